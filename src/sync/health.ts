/**
 * Resource health with Argo CD's statuses and ordering: Healthy < Suspended < Progressing <
 * Missing < Degraded < Unknown; an aggregate is the worst of its parts.
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/health/
 */
import type { KubeObject } from '../manifest/index.ts';

/**
 * The fields of a @kubernetes/client-node model class as a plain object type: objects from the
 * apiserver are JSON, never instances of those classes (type-only, nothing is imported at run time).
 */
export type Shape<T> = { [K in keyof T]: T[K] };

export type HealthStatus = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown';
export const HEALTH_ORDER: readonly HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export interface Health {
  readonly status: HealthStatus;
  readonly message?: string;
}

export function worst(statuses: readonly HealthStatus[]): HealthStatus {
  let w: HealthStatus = 'Healthy';
  for (const s of statuses) if (HEALTH_ORDER.indexOf(s) > HEALTH_ORDER.indexOf(w)) w = s;
  return w;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const num = (v: unknown, d = 0): number => (typeof v === 'number' ? v : d);
const h = (status: HealthStatus, message?: string): Health => (message === undefined ? { status } : { status, message });

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

function conditions(o: Rec): Condition[] {
  const c = rec(o['status'])['conditions'];
  return Array.isArray(c) ? (c as Condition[]) : [];
}
const cond = (o: Rec, type: string): Condition | undefined => conditions(o).find((c) => c.type === type);

/** True while the controller has not yet seen the latest spec. */
function generationPending(o: Rec): boolean {
  const gen = num(rec(o['metadata'])['generation']);
  const status = rec(o['status']);
  return 'observedGeneration' in status && num(status['observedGeneration']) < gen;
}

function deploymentHealth(o: Rec): Health {
  const spec = rec(o['spec']);
  const st = rec(o['status']);
  if (spec['paused'] === true) return h('Suspended', 'deployment is paused');
  if (num(rec(o['metadata'])['generation']) > num(st['observedGeneration'], -1)) {
    return h('Progressing', 'waiting for rollout to finish: observed deployment generation less than desired generation');
  }
  const progressing = cond(o, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return h('Degraded', `deployment exceeded its progress deadline: ${progressing.message ?? ''}`.trim());
  const want = num(spec['replicas'], 1);
  const updated = num(st['updatedReplicas']);
  if (updated < want) return h('Progressing', `waiting for rollout to finish: ${updated} out of ${want} new replicas have been updated`);
  if (num(st['replicas']) > updated) return h('Progressing', `waiting for rollout to finish: ${num(st['replicas']) - updated} old replicas are pending termination`);
  if (num(st['availableReplicas']) < updated) return h('Progressing', `waiting for rollout to finish: ${num(st['availableReplicas'])} of ${updated} updated replicas are available`);
  return h('Healthy');
}

function statefulSetHealth(o: Rec): Health {
  const spec = rec(o['spec']);
  const st = rec(o['status']);
  if (num(st['observedGeneration']) === 0 || num(rec(o['metadata'])['generation']) > num(st['observedGeneration'])) {
    return h('Progressing', 'waiting for statefulset spec update to be observed');
  }
  const want = num(spec['replicas'], 1);
  if (num(st['readyReplicas']) < want) return h('Progressing', `waiting for ${want} pods to be ready, ${num(st['readyReplicas'])} are`);
  const strategy = rec(spec['updateStrategy']);
  if (strategy['type'] === 'OnDelete') return h('Healthy', 'statefulset uses OnDelete: rollout is manual');
  const partition = num(rec(strategy['rollingUpdate'])['partition']);
  if (num(st['updatedReplicas']) < want - partition) return h('Progressing', `waiting for partitioned roll out to finish: ${num(st['updatedReplicas'])} out of ${want - partition} new pods have been updated`);
  if (partition === 0 && st['updateRevision'] !== st['currentRevision']) return h('Progressing', 'waiting for statefulset rolling update to complete');
  return h('Healthy');
}

function daemonSetHealth(o: Rec): Health {
  const st = rec(o['status']);
  if (num(rec(o['metadata'])['generation']) > num(st['observedGeneration'])) return h('Progressing', 'waiting for daemon set spec update to be observed');
  if (rec(rec(o['spec'])['updateStrategy'])['type'] === 'OnDelete') return h('Healthy', 'daemon set uses OnDelete: rollout is manual');
  const desired = num(st['desiredNumberScheduled']);
  if (num(st['updatedNumberScheduled']) < desired) return h('Progressing', `waiting for daemon set rollout: ${num(st['updatedNumberScheduled'])} of ${desired} updated`);
  if (num(st['numberAvailable']) < desired) return h('Progressing', `waiting for daemon set rollout: ${num(st['numberAvailable'])} of ${desired} available`);
  return h('Healthy');
}

function replicaSetHealth(o: Rec): Health {
  if (generationPending(o)) return h('Progressing', 'waiting for replica set spec update to be observed');
  const failure = cond(o, 'ReplicaFailure');
  if (failure?.status === 'True') return h('Degraded', failure.message ?? 'replica failure');
  const want = num(rec(o['spec'])['replicas'], 1);
  const available = num(rec(o['status'])['availableReplicas']);
  if (available < want) return h('Progressing', `waiting for rollout to finish: ${available} out of ${want} replicas are available`);
  return h('Healthy');
}

const BAD_WAITING = new Set(['CrashLoopBackOff', 'ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError', 'InvalidImageName', 'CreateContainerError']);

function podHealth(o: Rec): Health {
  const st = rec(o['status']);
  const phase = st['phase'];
  const list = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);
  const statuses = [...list(st['initContainerStatuses']), ...list(st['containerStatuses'])];
  for (const cs of statuses) {
    const waiting = rec(rec(cs['state'])['waiting']);
    const reason = waiting['reason'];
    if (typeof reason === 'string' && BAD_WAITING.has(reason)) return h('Degraded', `${reason}: ${typeof waiting['message'] === 'string' ? waiting['message'] : ''}`.trim());
  }
  switch (phase) {
    case 'Pending':
      return h('Progressing', typeof st['message'] === 'string' ? st['message'] : 'pod is pending');
    case 'Succeeded':
      return h('Healthy', 'pod completed');
    case 'Failed':
      return h('Degraded', typeof st['message'] === 'string' ? st['message'] : 'pod failed');
    case 'Running': {
      if ((rec(o['spec'])['restartPolicy'] ?? 'Always') !== 'Always') return h('Progressing', 'pod is running');
      return cond(o, 'Ready')?.status === 'True' ? h('Healthy') : h('Progressing', 'pod is running but not ready');
    }
    default:
      return h('Unknown', `pod phase ${typeof phase === 'string' ? phase : 'unknown'}`);
  }
}

function loadBalancerHealth(o: Rec, what: string): Health {
  const ingress = rec(rec(o['status'])['loadBalancer'])['ingress'];
  return Array.isArray(ingress) && ingress.length > 0 ? h('Healthy') : h('Progressing', `waiting for ${what} to get a load balancer address`);
}

function pvcHealth(o: Rec): Health {
  const phase = rec(o['status'])['phase'];
  if (phase === 'Bound') return h('Healthy');
  if (phase === 'Pending') return h('Progressing', 'waiting for the claim to be bound');
  if (phase === 'Lost') return h('Degraded', 'the claim lost its volume');
  return h('Unknown', `claim phase ${typeof phase === 'string' ? phase : 'unknown'}`);
}

function jobHealth(o: Rec): Health {
  const failed = conditions(o).find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return h('Degraded', failed.message ?? failed.reason ?? 'job failed');
  const complete = conditions(o).find((c) => (c.type === 'Complete' || c.type === 'SuccessCriteriaMet') && c.status === 'True');
  if (complete) return h('Healthy', 'job completed');
  if (rec(o['spec'])['suspend'] === true) return h('Suspended', 'job is suspended');
  return h('Progressing', 'job is running');
}

function hpaHealth(o: Rec): Health {
  const cs = conditions(o);
  const failing = cs.find((c) => c.status === 'False' && (c.reason ?? '').startsWith('Failed'));
  if (failing) return h('Degraded', failing.message ?? failing.reason);
  if (cs.some((c) => c.type === 'AbleToScale' && c.status === 'True')) return h('Healthy');
  return h('Progressing', 'waiting to autoscale');
}

/** Any other kind: kstatus-style `Ready`/`Stalled` conditions and observedGeneration; no status means nothing to wait for. */
function genericHealth(o: Rec): Health {
  if (generationPending(o)) return h('Progressing', 'waiting for the controller to observe the latest spec');
  const stalled = cond(o, 'Stalled');
  if (stalled?.status === 'True') return h('Degraded', stalled.message ?? stalled.reason ?? 'stalled');
  const ready = cond(o, 'Ready') ?? cond(o, 'Available') ?? cond(o, 'Established');
  if (ready?.status === 'True') return h('Healthy');
  if (ready?.status === 'False') return h('Progressing', ready.message ?? ready.reason ?? `${ready.type} is False`);
  return h('Healthy');
}

const BY_KIND: Readonly<Record<string, (o: Rec) => Health>> = {
  Deployment: deploymentHealth,
  StatefulSet: statefulSetHealth,
  DaemonSet: daemonSetHealth,
  ReplicaSet: replicaSetHealth,
  Pod: podHealth,
  Service: (o) => (rec(o['spec'])['type'] === 'LoadBalancer' ? loadBalancerHealth(o, 'service') : h('Healthy')),
  Ingress: (o) => loadBalancerHealth(o, 'ingress'),
  PersistentVolumeClaim: pvcHealth,
  Job: jobHealth,
  HorizontalPodAutoscaler: hpaHealth,
  Namespace: (o) => (rec(o['status'])['phase'] === 'Terminating' ? h('Progressing', 'namespace is terminating') : h('Healthy')),
  CustomResourceDefinition: (o) => (cond(o, 'Established')?.status === 'True' ? h('Healthy') : h('Progressing', 'waiting for the CRD to be established')),
};

/** Health of one live object; `undefined` (not found) is Missing. A terminating object is Progressing. */
export function healthOf(obj: KubeObject | undefined): Health {
  if (!obj) return h('Missing', 'object does not exist');
  const o = obj as Rec;
  const fn = BY_KIND[obj.kind] ?? genericHealth;
  const result = fn(o);
  if (obj.metadata['deletionTimestamp'] !== undefined && result.status === 'Healthy') return h('Progressing', 'object is being deleted');
  return result;
}

/**
 * Health of a Job that is gone because it finished: it was deployed by an earlier revision and
 * declares `ttlSecondsAfterFinished`, so the TTL-after-finished controller deletes it some time
 * after it completes. That Job ran; reporting it Missing would fail every later deploy and status
 * (Argo CD users hit this as a Job stuck OutOfSync). Undefined when `desired` is not such a Job.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/ttlafterfinished/
 */
export function reapedJobHealth(desired: KubeObject | undefined): Health | undefined {
  if (desired?.kind !== 'Job') return undefined;
  const ttl = (desired['spec'] as { ttlSecondsAfterFinished?: unknown } | undefined)?.ttlSecondsAfterFinished;
  if (typeof ttl !== 'number') return undefined;
  return { status: 'Healthy', message: `finished earlier; deleted by its ttlSecondsAfterFinished (${String(ttl)}s)` };
}
