/**
 * Per-service and per-job objects: ServiceAccount, Deployment or StatefulSet, Service(s),
 * PodDisruptionBudget, HorizontalPodAutoscaler, Job, CronJob.
 */
import type { KubeObject } from '../manifest/index.ts';
import { DEPENDS_ON_ANNOTATION, IGNORE_CHECK_PREFIX, STRATEGY_ANNOTATION, strategyAnnotations, workloadStrategyOf, type AutoscalingSpec, type CronJobSpec, type JobSpec, type ServiceSpec } from '../appspec/index.ts';
import type { ConfigData } from './config.ts';
import {
  HOOK_ANNOTATION,
  meta,
  problem,
  quantity,
  selectorLabels,
  standardLabels,
  stringValues,
  warn,
  type RenderContext,
} from './context.ts';
import { buildPod, type PodOutput, type PodSource } from './pod.ts';

const DEFAULT_PROGRESS_DEADLINE = 600;
const REVISION_HISTORY_LIMIT = 5;
const DEFAULT_BACKOFF_LIMIT = 3;
const DEFAULT_TTL_AFTER_FINISHED = 3600;
const DEFAULT_VOLUME_SIZE = '1Gi';
const DEFAULT_CPU_TARGET = 80;

function headlessServiceName(service: string): string {
  return `${service}-headless`;
}

/** A service gets a StatefulSet when it has at least one persistent volume. */
function isStateful(svc: ServiceSpec): boolean {
  return (svc.volumes ?? []).some((v) => v.type !== 'emptyDir');
}

export function workloadKind(svc: ServiceSpec): 'Deployment' | 'StatefulSet' {
  return isStateful(svc) ? 'StatefulSet' : 'Deployment';
}

/** The replica floor a PDB must respect: HPA min when autoscaling, else replicas (@default 1). */
function minReplicas(svc: ServiceSpec): number {
  return svc.autoscaling ? svc.autoscaling.min : (svc.replicas ?? 1);
}

/** Lint opt-outs the spec states (`ignoreChecks`), as the annotations `slipway lint` honours. */
function ignoreAnnotations(src: PodSource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rule, reason] of Object.entries(src.ignoreChecks ?? {})) out[`${IGNORE_CHECK_PREFIX}${rule}`] = reason;
  return out;
}

/** Workload annotations: the lint opt-outs, then what the renderer itself adds. */
function workloadAnnotations(src: PodSource, own: Record<string, string> | undefined): Record<string, string> | undefined {
  const all = { ...ignoreAnnotations(src), ...own };
  return Object.keys(all).length > 0 ? all : undefined;
}

function serviceAccount(ctx: RenderContext, name: string, component: 'service' | 'job' | 'cronjob', src: PodSource): KubeObject {
  const annotations = src.serviceAccount?.annotations;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(ctx, { name, labels: standardLabels(ctx, { name, component }), annotations: annotations ? stringValues(annotations) : undefined }),
    // The API token is mounted only when asked: most apps never talk to the apiserver.
    automountServiceAccountToken: src.serviceAccount?.automountToken ?? false,
  };
}

export function renderService(ctx: RenderContext, name: string, svc: ServiceSpec, data: ConfigData): KubeObject[] {
  const path = `services.${name}`;
  const scaled = svc.autoscaling !== undefined || (svc.replicas ?? 1) > 1;
  const pod = buildPod(ctx, { name, component: 'service', path, src: svc, data, service: { spec: svc, spread: scaled } });
  const out: KubeObject[] = [serviceAccount(ctx, name, 'service', svc)];
  if (pod.configMap) out.push(pod.configMap);
  if (svc.serviceAccount?.automountToken === true && (svc.egress ?? []).length === 0) {
    // Default-deny egress also blocks the apiserver; its address is cluster-specific.
    warn(ctx, `${path}: automountToken is on but NetworkPolicies deny egress to the Kubernetes API; add the apiserver address under egress (e.g. { cidr: 10.0.0.1/32, ports: [443] })`);
  }
  const labels = standardLabels(ctx, { name, component: 'service', version: pod.version, extra: svc.labels });
  if (svc.ports && svc.ports.length > 0) out.push(clusterService(ctx, name, svc, labels));
  else if (svc.expose && svc.expose.type !== 'internal') {
    problem(ctx, `${path}.expose`, 'an exposed service needs ports', { expected: 'ports: [...] on the service', hint: `add ports to services.${name}` });
  }
  // A StatefulSet's pods get their DNS names (<pod>.<name>-headless) from the headless Service,
  // which, unlike a ClusterIP Service, may have no ports: a worker or a database whose port
  // nobody declared still gets one.
  if (isStateful(svc)) out.push(clusterService(ctx, name, svc, { ...labels, 'slipway.dev/headless': 'true' }, true));
  out.push(isStateful(svc) ? statefulSet(ctx, name, svc, pod, labels) : deployment(ctx, name, svc, pod, labels));
  if (minReplicas(svc) > 1) out.push(pdb(ctx, name, labels));
  if (svc.autoscaling) out.push(hpa(ctx, name, svc, svc.autoscaling, labels));
  return out;
}

/** ClusterIP Service; the headless variant gives StatefulSet pods stable DNS names. */
function clusterService(ctx: RenderContext, name: string, svc: ServiceSpec, labels: Record<string, string>, headless = false): KubeObject {
  const spec: Record<string, unknown> = { type: 'ClusterIP' };
  if (headless) spec['clusterIP'] = 'None';
  spec['selector'] = selectorLabels(ctx, name);
  const ports = svc.ports ?? [];
  if (ports.length > 0 || !headless) spec['ports'] = ports.map((p) => ({
    name: p.name,
    port: p.servicePort ?? p.port,
    // By name: the container port can change without touching the Service.
    targetPort: p.name,
    protocol: p.protocol ?? 'TCP',
    ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
  }));
  return { apiVersion: 'v1', kind: 'Service', metadata: meta(ctx, { name: headless ? headlessServiceName(name) : name, labels }), spec };
}

/**
 * A canary or blue-green strategy is kept on the workload (see src/appspec/strategy.ts) for the
 * progressive-delivery controller. The Deployment itself is a plain RollingUpdate, which Kubernetes
 * alone would roll out to 100% at once: that is why `slipway deploy` turns a canary Deployment
 * into a ServiceRollout the controller runs (for blueGreen, with the Service in front of it).
 */
function progressiveAnnotations(ctx: RenderContext, name: string, svc: ServiceSpec): Record<string, string> | undefined {
  const strategy = workloadStrategyOf(svc.strategy, svc);
  if (strategy.type === 'rolling') return undefined;
  if (isStateful(svc)) {
    problem(ctx, `services.${name}.strategy.type`, `strategy ${strategy.type} is not supported for a StatefulSet`, { expected: 'rolling', hint: 'remove the strategy (a service with persistent volumes rolls pod by pod), or its volumes' });
    return undefined;
  }
  warn(
    ctx,
    `services.${name}: strategy ${strategy.type} is kept on the Deployment (${STRATEGY_ANNOTATION}* annotations) for the slipway progressive-delivery controller: \`slipway deploy\` hands it${strategy.type === 'blueGreen' ? ' and its Service' : ''} to the controller as a ServiceRollout; a plain \`kubectl apply\` of this Deployment rolls out to 100% at once`,
  );
  const deps = [...new Set((svc.dependsOn ?? []).map((d) => (typeof d === 'string' ? d : d.service)))].sort();
  return { ...strategyAnnotations(strategy), ...(deps.length > 0 ? { [DEPENDS_ON_ANNOTATION]: deps.join(',') } : {}) };
}

function deployment(ctx: RenderContext, name: string, svc: ServiceSpec, pod: PodOutput, labels: Record<string, string>): KubeObject {
  const spec: Record<string, unknown> = {};
  // With an HPA the HPA owns the replica count; a `replicas` here would reset it on every apply.
  if (!svc.autoscaling) spec['replicas'] = svc.replicas ?? 1;
  spec['revisionHistoryLimit'] = REVISION_HISTORY_LIMIT;
  spec['progressDeadlineSeconds'] = svc.strategy?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE;
  spec['selector'] = { matchLabels: selectorLabels(ctx, name) };
  spec['strategy'] = {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: svc.strategy?.maxSurge ?? '25%', maxUnavailable: svc.strategy?.maxUnavailable ?? 0 },
  };
  spec['template'] = pod.template;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(ctx, { name, labels, annotations: workloadAnnotations(svc, progressiveAnnotations(ctx, name, svc)) }),
    spec,
  };
}

function statefulSet(ctx: RenderContext, name: string, svc: ServiceSpec, pod: PodOutput, labels: Record<string, string>): KubeObject {
  progressiveAnnotations(ctx, name, svc);
  const spec: Record<string, unknown> = {};
  if (!svc.autoscaling) spec['replicas'] = svc.replicas ?? 1;
  spec['revisionHistoryLimit'] = REVISION_HISTORY_LIMIT;
  spec['serviceName'] = headlessServiceName(name);
  spec['selector'] = { matchLabels: selectorLabels(ctx, name) };
  spec['updateStrategy'] = { type: 'RollingUpdate' };
  // Data outlives the workload: deleting or scaling down never deletes volumes.
  spec['persistentVolumeClaimRetentionPolicy'] = { whenDeleted: 'Retain', whenScaled: 'Retain' };
  spec['template'] = pod.template;
  spec['volumeClaimTemplates'] = (svc.volumes ?? [])
    .filter((v) => v.type !== 'emptyDir')
    .map((v) => ({
      metadata: { name: v.name, labels: selectorLabels(ctx, name) },
      spec: {
        accessModes: v.accessModes ? [...v.accessModes] : ['ReadWriteOnce'],
        ...(v.storageClass !== undefined ? { storageClassName: v.storageClass } : {}),
        resources: { requests: { storage: v.size !== undefined ? quantity(v.size) : DEFAULT_VOLUME_SIZE } },
      },
    }));
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(ctx, { name, labels, annotations: workloadAnnotations(svc, undefined) }), spec };
}

/**
 * maxUnavailable 1 (never minAvailable): with the replica floor > 1 it always allows one
 * eviction, so node drains make progress whatever the HPA has scaled to.
 * @see https://kubernetes.io/docs/tasks/run-application/configure-pdb/
 */
function pdb(ctx: RenderContext, name: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(ctx, { name, labels }),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(ctx, name) },
      // Crash-looping pods can always be evicted; otherwise they would block drains forever.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}

/** Fast up (double or +4 pods per 15s), slow down (at most 25% per minute after 5 min of calm). A function: each HPA gets its own copy. */
function defaultBehavior(): { scaleUp: Record<string, unknown>; scaleDown: Record<string, unknown> } {
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Percent', value: 100, periodSeconds: 15 },
        { type: 'Pods', value: 4, periodSeconds: 15 },
      ],
    },
    scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 25, periodSeconds: 60 }] },
  };
}

function hpa(ctx: RenderContext, name: string, svc: ServiceSpec, a: AutoscalingSpec, labels: Record<string, string>): KubeObject {
  const path = `services.${name}.autoscaling`;
  if (a.min > a.max) problem(ctx, path, `min (${a.min}) is greater than max (${a.max})`, { expected: 'min ≤ max', hint: `lower min to at most ${a.max}, or raise max to at least ${a.min}` });
  if (svc.replicas !== undefined) warn(ctx, `services.${name}: replicas is ignored because autoscaling is set (the HPA owns the replica count)`);
  const metrics: Record<string, unknown>[] = [];
  const utilization = (resource: 'cpu' | 'memory', pct: number): Record<string, unknown> => ({
    type: 'Resource',
    resource: { name: resource, target: { type: 'Utilization', averageUtilization: pct } },
  });
  const cpu = a.cpu ?? (a.memory === undefined && (a.metrics ?? []).length === 0 ? DEFAULT_CPU_TARGET : undefined);
  if (cpu !== undefined) metrics.push(utilization('cpu', cpu));
  if (a.memory !== undefined) metrics.push(utilization('memory', a.memory));
  for (const [i, m] of (a.metrics ?? []).entries()) {
    if ('pods' in m) {
      metrics.push({
        type: 'Pods',
        pods: { metric: metricId(m.pods.name, m.pods.selector), target: { type: 'AverageValue', averageValue: quantity(m.pods.averageValue) } },
      });
    } else {
      const e = m.external;
      if ((e.value === undefined) === (e.averageValue === undefined)) {
        problem(ctx, `${path}.metrics[${i}].external`, 'an external metric needs exactly one of value, averageValue', { expected: 'value or averageValue', hint: 'give value (a total) or averageValue (per pod), not both' });
      }
      const target = e.value !== undefined ? { type: 'Value', value: quantity(e.value) } : { type: 'AverageValue', averageValue: quantity(e.averageValue ?? 0) };
      metrics.push({ type: 'External', external: { metric: metricId(e.name, e.selector), target } });
    }
  }
  const defaults = defaultBehavior();
  const behavior = {
    scaleUp: { ...defaults.scaleUp, ...structuredClone(a.behavior?.scaleUp) },
    scaleDown: { ...defaults.scaleDown, ...structuredClone(a.behavior?.scaleDown) },
  };
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(ctx, { name, labels }),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: workloadKind(svc), name },
      minReplicas: a.min,
      maxReplicas: a.max,
      metrics,
      behavior,
    },
  };
}

function metricId(name: string, selector: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  return selector ? { name, selector: { matchLabels: { ...selector } } } : { name };
}

function jobSpec(job: JobSpec | CronJobSpec, pod: PodOutput): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    backoffLimit: job.backoffLimit ?? DEFAULT_BACKOFF_LIMIT,
    ttlSecondsAfterFinished: job.ttlSecondsAfterFinished ?? DEFAULT_TTL_AFTER_FINISHED,
  };
  if (job.activeDeadlineSeconds !== undefined) spec['activeDeadlineSeconds'] = job.activeDeadlineSeconds;
  const template = pod.template as { spec: Record<string, unknown> };
  // A failed pod is retried as a new pod (backoffLimit), never restarted in place.
  spec['template'] = { ...pod.template, spec: { ...template.spec, restartPolicy: 'Never' } };
  return spec;
}

/**
 * A Job keeps the spec's name, so prune and status find it. Its pod template is immutable: when a
 * new render changes it (a new image for a migration), the deploy engine has to delete the old
 * Job before applying; ttlSecondsAfterFinished removes finished ones in the meantime.
 */
export function renderJob(ctx: RenderContext, name: string, job: JobSpec, data: ConfigData): KubeObject[] {
  const pod = buildPod(ctx, { name, component: 'job', path: `jobs.${name}`, src: job, data });
  const out: KubeObject[] = [serviceAccount(ctx, name, 'job', job)];
  if (pod.configMap) out.push(pod.configMap);
  const labels = standardLabels(ctx, { name, component: 'job', version: pod.version, extra: job.labels });
  out.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(ctx, { name, labels, annotations: workloadAnnotations(job, job.hook ? { [HOOK_ANNOTATION]: job.hook } : undefined) }),
    spec: jobSpec(job, pod),
  });
  return out;
}

export function renderCronJob(ctx: RenderContext, name: string, cj: CronJobSpec, data: ConfigData): KubeObject[] {
  const pod = buildPod(ctx, { name, component: 'cronjob', path: `cronJobs.${name}`, src: cj, data });
  const out: KubeObject[] = [serviceAccount(ctx, name, 'cronjob', cj)];
  if (pod.configMap) out.push(pod.configMap);
  const labels = standardLabels(ctx, { name, component: 'cronjob', version: pod.version, extra: cj.labels });
  const spec: Record<string, unknown> = {
    schedule: cj.schedule,
    ...(cj.timeZone !== undefined ? { timeZone: cj.timeZone } : {}),
    // Forbid by default: overlapping runs of a batch job rarely do what anyone wants.
    concurrencyPolicy: cj.concurrencyPolicy ?? 'Forbid',
    ...(cj.suspend !== undefined ? { suspend: cj.suspend } : {}),
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    jobTemplate: { metadata: { labels: { ...labels } }, spec: jobSpec(cj, pod) },
  };
  return [...out, { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta(ctx, { name, labels, annotations: workloadAnnotations(cj, undefined) }), spec }];
}
