/**
 * Monitoring as code: a ServiceMonitor per scraped service, a PrometheusRule with SLO and health
 * alerts, and a Grafana dashboard ConfigMap.
 *
 * Metric names assumed (Prometheus client conventions):
 * - `http_requests_total` counter with a `code` label (HTTP status) — error rate;
 * - `http_request_duration_seconds_bucket` histogram with `le` — latency p95;
 * - kube-state-metrics: `kube_deployment_status_replicas_available`,
 *   `kube_statefulset_status_replicas_ready`, `kube_pod_container_status_restarts_total`.
 * Series scraped through a ServiceMonitor carry `namespace` and `service` labels, which the
 * queries select on.
 * @see https://prometheus-operator.dev/docs/api-reference/api/
 */
import type { KubeObject } from '../manifest/index.ts';
import type { ServiceSpec } from '../appspec/index.ts';
import { meta, selectorLabels, standardLabels, warn, type RenderContext } from './context.ts';
import { metricsPortName } from './network.ts';
import { workloadKind } from './workloads.ts';

export const DASHBOARD_LABEL = 'grafana_dashboard';

function dashboardName(app: string): string {
  return `${app}-dashboard`;
}

function findMetricsPort(svc: ServiceSpec): string | undefined {
  const ref = svc.metrics?.port ?? metricsPortName(svc);
  const p = (svc.ports ?? []).find((x) => x.name === ref || x.port === ref);
  return p?.name;
}

export function renderServiceMonitor(ctx: RenderContext, name: string, svc: ServiceSpec): KubeObject[] {
  if (svc.metrics === undefined) return [];
  const port = findMetricsPort(svc);
  if (port === undefined) {
    warn(ctx, `services.${name}.metrics: no port to scrape (declare ports, or set metrics.port to one of them); no ServiceMonitor rendered`);
    return [];
  }
  const endpoint: Record<string, unknown> = { port, path: svc.metrics.path ?? '/metrics' };
  if (svc.metrics.interval !== undefined) endpoint['interval'] = svc.metrics.interval;
  return [
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: meta(ctx, { name, labels: standardLabels(ctx, { name, component: 'monitoring' }) }),
      spec: {
        // The headless twin of a StatefulSet's Service selects the same pods: skip it, or every
        // target would be scraped twice.
        selector: { matchLabels: selectorLabels(ctx, name), matchExpressions: [{ key: 'slipway.dev/headless', operator: 'DoesNotExist' }] },
        endpoints: [endpoint],
      },
    },
  ];
}

/** `(100 − 99.9) / 100` without binary floating point noise. */
function ratio(percent: number): number {
  return Number(((100 - percent) / 100).toPrecision(6));
}

function sel(ctx: RenderContext, extra: Record<string, string>): string {
  const all = { namespace: ctx.namespace, ...extra };
  return `{${Object.entries(all)
    .map(([k, v]) => `${k}${v.startsWith('~') ? `=~"${v.slice(1)}"` : `="${v}"`}`)
    .join(',')}}`;
}

function alertName(service: string, what: string): string {
  const camel = service.replace(/(^|-)([a-z0-9])/g, (_m, _d: string, c: string) => c.toUpperCase());
  return `${camel}${what}`;
}

function serviceAlerts(ctx: RenderContext, name: string, svc: ServiceSpec): Record<string, unknown>[] {
  const rules: Record<string, unknown>[] = [];
  const common = { namespace: ctx.namespace, service: name };
  const scraped = svc.metrics !== undefined;
  const slo = svc.slo;
  if (slo !== undefined && !scraped && (slo.successRate !== undefined || slo.latencyP95Ms !== undefined)) {
    warn(ctx, `services.${name}.slo: error-rate and latency alerts need metrics (set services.${name}.metrics so Prometheus scrapes it)`);
  }
  if (scraped && slo?.successRate !== undefined) {
    const threshold = ratio(slo.successRate);
    const s = sel(ctx, { service: name });
    const s5 = sel(ctx, { service: name, code: '~5..' });
    rules.push({
      alert: alertName(name, 'HighErrorRate'),
      expr: `(sum(rate(http_requests_total${s5}[5m])) / sum(rate(http_requests_total${s}[5m]))) > ${threshold}`,
      for: '5m',
      labels: { severity: 'critical', ...common },
      annotations: {
        summary: `${name}: 5xx error rate above ${String(Number((100 - slo.successRate).toPrecision(6)))}%`,
        description: `More than ${String(threshold * 100)}% of requests to ${name} failed with 5xx over 5 minutes (SLO: ${String(slo.successRate)}% success).`,
      },
    });
  }
  if (scraped && slo?.latencyP95Ms !== undefined) {
    const seconds = Number((slo.latencyP95Ms / 1000).toPrecision(6));
    rules.push({
      alert: alertName(name, 'HighLatencyP95'),
      expr: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket${sel(ctx, { service: name })}[5m]))) > ${seconds}`,
      for: '10m',
      labels: { severity: 'warning', ...common },
      annotations: { summary: `${name}: p95 latency above ${String(slo.latencyP95Ms)}ms`, description: `The 95th percentile latency of ${name} has been above ${String(slo.latencyP95Ms)}ms for 10 minutes.` },
    });
  }
  if (svc.autoscaling !== undefined || (svc.replicas ?? 1) > 0) {
    const expr =
      workloadKind(svc) === 'StatefulSet'
        ? `kube_statefulset_status_replicas_ready${sel(ctx, { statefulset: name })} < 1`
        : `kube_deployment_status_replicas_available${sel(ctx, { deployment: name })} < 1`;
    rules.push({
      alert: alertName(name, 'Unavailable'),
      expr,
      for: '5m',
      labels: { severity: 'critical', ...common },
      annotations: { summary: `${name}: no ready replicas`, description: `${name} has had no available replica for 5 minutes.` },
    });
  }
  rules.push({
    alert: alertName(name, 'PodsRestarting'),
    expr: `increase(kube_pod_container_status_restarts_total${sel(ctx, { container: name })}[15m]) > 3`,
    for: '5m',
    labels: { severity: 'warning', ...common },
    annotations: { summary: `${name}: containers restarting`, description: `A ${name} container restarted more than 3 times in 15 minutes (crash loop or OOM).` },
  });
  return rules;
}

/** Rendered when any service is scraped or has an SLO: alerts for every service of the app. */
function monitoringEnabled(ctx: RenderContext): boolean {
  return Object.values(ctx.spec.services).some((s) => s.metrics !== undefined || s.slo !== undefined);
}

export function renderPrometheusRule(ctx: RenderContext): KubeObject[] {
  if (!monitoringEnabled(ctx)) return [];
  const name = `${ctx.spec.app}-alerts`;
  const groups = Object.entries(ctx.spec.services)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([svcName, svc]) => ({ name: `${ctx.spec.app}.${svcName}`, rules: serviceAlerts(ctx, svcName, svc) }));
  return [
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: meta(ctx, { name, labels: standardLabels(ctx, { name: ctx.spec.app, component: 'monitoring' }) }),
      spec: { groups },
    },
  ];
}

interface Panel {
  readonly title: string;
  readonly expr: string;
  readonly unit: string;
}

function panels(ctx: RenderContext, name: string, svc: ServiceSpec): Panel[] {
  const s = sel(ctx, { service: name });
  const replicas =
    workloadKind(svc) === 'StatefulSet'
      ? `kube_statefulset_status_replicas_ready${sel(ctx, { statefulset: name })}`
      : `kube_deployment_status_replicas_available${sel(ctx, { deployment: name })}`;
  return [
    { title: `${name}: requests/s`, expr: `sum(rate(http_requests_total${s}[5m]))`, unit: 'reqps' },
    { title: `${name}: 5xx ratio`, expr: `sum(rate(http_requests_total${sel(ctx, { service: name, code: '~5..' })}[5m])) / sum(rate(http_requests_total${s}[5m]))`, unit: 'percentunit' },
    { title: `${name}: p95 latency`, expr: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket${s}[5m])))`, unit: 's' },
    { title: `${name}: ready replicas`, expr: replicas, unit: 'short' },
  ];
}

/**
 * A Grafana dashboard as a ConfigMap: the Grafana sidecar imports every ConfigMap labelled
 * `grafana_dashboard: "1"`. One row of four panels per service.
 */
export function renderDashboard(ctx: RenderContext): KubeObject[] {
  if (!monitoringEnabled(ctx)) return [];
  const name = dashboardName(ctx.spec.app);
  const list: Record<string, unknown>[] = [];
  let id = 1;
  const services = Object.entries(ctx.spec.services).sort(([a], [b]) => a.localeCompare(b));
  for (const [row, [svcName, svc]] of services.entries()) {
    for (const [col, p] of panels(ctx, svcName, svc).entries()) {
      list.push({
        id: id++,
        type: 'timeseries',
        title: p.title,
        datasource: { type: 'prometheus', uid: '${datasource}' },
        gridPos: { h: 8, w: 6, x: col * 6, y: row * 8 },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        targets: [{ refId: 'A', expr: p.expr, datasource: { type: 'prometheus', uid: '${datasource}' } }],
      });
    }
  }
  const dashboard = {
    title: `${ctx.spec.app} (${ctx.env})`,
    uid: `slipway-${ctx.spec.app}-${ctx.env}`.slice(0, 40),
    schemaVersion: 39,
    tags: ['slipway', ctx.spec.app, ctx.env],
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Data source' }] },
    panels: list,
  };
  const labels = { ...standardLabels(ctx, { name: ctx.spec.app, component: 'monitoring' }), [DASHBOARD_LABEL]: '1' };
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(ctx, { name, labels }),
      data: { [`${ctx.spec.app}.json`]: `${JSON.stringify(dashboard, null, 2)}\n` },
    },
  ];
}
