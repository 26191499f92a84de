/**
 * Zero configuration from SLOs: a service's `slo.successRate` and `slo.latencyP95Ms` become
 * Prometheus metrics over the canary's pods only, with a no-data rule (too few requests is
 * NoData, never a pass). The metric and label names default to the common ones
 * (`http_requests_total{code}`, `http_request_duration_seconds_bucket{le}`, `namespace`, `pod`);
 * a service renames them in slipway.yaml (`metrics.names`, `metrics.labels`).
 */
import type { MetricT } from './types.ts';

export interface SloSpec {
  readonly successRate?: number | undefined;
  readonly latencyP95Ms?: number | undefined;
  /** Series names, if the service's differ from the defaults. */
  readonly names?: { readonly requests?: string | undefined; readonly latency?: string | undefined } | undefined;
  /** Label names, if the service's differ from the defaults. */
  readonly labels?: { readonly code?: string | undefined; readonly namespace?: string | undefined; readonly pod?: string | undefined } | undefined;
  /** Fewer requests than this in the window: NoData. */
  readonly minRequests?: number | undefined;
}

const SLO_DEFAULTS = {
  requests: 'http_requests_total',
  /** A histogram: its `_bucket` series is queried. */
  latency: 'http_request_duration_seconds',
  code: 'code',
  namespace: 'namespace',
  pod: 'pod',
  /** The rate window of SLO queries. Only canary pods are selected, so a bad canary shows at once whatever the window. */
  window: '30s',
  minRequests: 10,
} as const;

/** Names of the metrics {@link sloMetrics} makes. */
const SLO_METRIC_NAMES = { successRate: 'success-rate', latencyP95: 'latency-p95' } as const;

/**
 * The PromQL regex of a Deployment's pod names (`<deployment>-<template hash>-<suffix>`), as Flagger
 * selects a canary's pods; with `templateHash`, only the pods of that ReplicaSet (its
 * `pod-template-hash`): a rolling release's new pods, not the old ones still terminating.
 */
export function podsRegex(deployment: string, templateHash?: string): string {
  return `${deployment.replaceAll('.', '[.]')}-${templateHash ?? '[a-z0-9]+'}-[a-z0-9]+`;
}

const num = (n: number): string => String(Number(n.toPrecision(6)));

/** The SLO checks of a service as metrics (none when it declares neither successRate nor latencyP95Ms). */
export function sloMetrics(slo: SloSpec): MetricT[] {
  const requests = slo.names?.requests ?? SLO_DEFAULTS.requests;
  const latency = slo.names?.latency ?? SLO_DEFAULTS.latency;
  const code = slo.labels?.code ?? SLO_DEFAULTS.code;
  const sel = `${slo.labels?.namespace ?? SLO_DEFAULTS.namespace}="{{namespace}}",${slo.labels?.pod ?? SLO_DEFAULTS.pod}=~"{{pods}}"`;
  const w = SLO_DEFAULTS.window;
  const noData = { query: `sum(increase(${requests}{${sel}}[${w}]))`, minimum: slo.minRequests ?? SLO_DEFAULTS.minRequests };
  const out: MetricT[] = [];
  if (slo.successRate !== undefined) {
    out.push({
      name: SLO_METRIC_NAMES.successRate,
      // `or vector(0)`: a canary that answers nothing but 5xx has no non-5xx series at all; it is 0% successful, not NoData.
      provider: { prometheus: { query: `(sum(rate(${requests}{${sel},${code}!~"5.."}[${w}])) or vector(0)) / sum(rate(${requests}{${sel}}[${w}]))` } },
      successCondition: `result >= ${num(slo.successRate / 100)}`,
      noData,
    });
  }
  if (slo.latencyP95Ms !== undefined) {
    out.push({
      name: SLO_METRIC_NAMES.latencyP95,
      provider: { prometheus: { query: `1000 * histogram_quantile(0.95, sum by (le) (rate(${latency}_bucket{${sel}}[${w}])))` } },
      successCondition: `result <= ${num(slo.latencyP95Ms)}`,
      noData,
    });
  }
  return out;
}
