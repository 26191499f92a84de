/**
 * Resource health with Argo CD's statuses and ordering: Healthy < Suspended < Progressing <
 * Missing < Degraded < Unknown; an aggregate is the worst of its parts.
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/health/
 */
import type {
  V1Condition,
  V1DaemonSet,
  V1Deployment,
  V1Ingress,
  V1Job,
  V1Namespace,
  V1PersistentVolumeClaim,
  V1Pod,
  V1ReplicaSet,
  V1Service,
  V1StatefulSet,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { KubeObject } from '../manifest/index.ts';

/**
 * The fields of a @kubernetes/client-node model class as a plain object type: objects from the
 * apiserver are JSON, never instances of those classes (type-only, nothing is imported at run time).
 */
export type Shape<T> = { [K in keyof T]: T[K] };

export type HealthStatus = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown';
const HEALTH_ORDER: readonly HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export interface Health {
  readonly status: HealthStatus;
  readonly message?: string;
}

export function worst(statuses: readonly HealthStatus[]): HealthStatus {
  let w: HealthStatus = 'Healthy';
  for (const s of statuses) if (HEALTH_ORDER.indexOf(s) > HEALTH_ORDER.indexOf(w)) w = s;
  return w;
}

/** A live object of a kind, read through its model type (top-level fields may be missing in JSON). */
export type Model<T> = Partial<Shape<T>> & KubeObject;
const n = (v: number | undefined, d = 0): number => v ?? d;
const h = (status: HealthStatus, message?: string): Health => (message === undefined ? { status } : { status, message });

/** What every kind's condition has (V1Condition, V1DeploymentCondition, V1PodCondition…). */
type Condition = Pick<V1Condition, 'type' | 'status'> & { readonly reason?: string | undefined; readonly message?: string | undefined };

/** Any status with conditions (every workload kind, and most custom resources). */
type WithConditions = KubeObject & { readonly status?: { readonly conditions?: readonly Condition[] | undefined; readonly observedGeneration?: number | undefined } | undefined };

const conditions = (o: WithConditions): readonly Condition[] => o.status?.conditions ?? [];
const cond = (o: WithConditions, type: string): Condition | undefined => conditions(o).find((c) => c.type === type);
const generation = (o: KubeObject): number => (typeof o.metadata['generation'] === 'number' ? o.metadata['generation'] : 0);

/** True while the controller has not yet seen the latest spec. */
function generationPending(o: WithConditions): boolean {
  const observed = o.status?.observedGeneration;
  return observed !== undefined && observed < generation(o);
}

function deploymentHealth(o: Model<V1Deployment>): Health {
  const { spec, status: st } = o;
  if (spec?.paused === true) return h('Suspended', 'deployment is paused');
  if (generation(o) > n(st?.observedGeneration, -1)) {
    return h('Progressing', 'waiting for rollout to finish: observed deployment generation less than desired generation');
  }
  const progressing = cond(o, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return h('Degraded', `deployment exceeded its progress deadline: ${progressing.message ?? ''}`.trim());
  const want = n(spec?.replicas, 1);
  const updated = n(st?.updatedReplicas);
  if (updated < want) return h('Progressing', `waiting for rollout to finish: ${updated} out of ${want} new replicas have been updated`);
  if (n(st?.replicas) > updated) return h('Progressing', `waiting for rollout to finish: ${n(st?.replicas) - updated} old replicas are pending termination`);
  if (n(st?.availableReplicas) < updated) return h('Progressing', `waiting for rollout to finish: ${n(st?.availableReplicas)} of ${updated} updated replicas are available`);
  return h('Healthy');
}

function statefulSetHealth(o: Model<V1StatefulSet>): Health {
  const { spec, status: st } = o;
  if (n(st?.observedGeneration) === 0 || generation(o) > n(st?.observedGeneration)) {
    return h('Progressing', 'waiting for statefulset spec update to be observed');
  }
  const want = n(spec?.replicas, 1);
  if (n(st?.readyReplicas) < want) return h('Progressing', `waiting for ${want} pods to be ready, ${n(st?.readyReplicas)} are`);
  if (spec?.updateStrategy?.type === 'OnDelete') return h('Healthy', 'statefulset uses OnDelete: rollout is manual');
  const partition = n(spec?.updateStrategy?.rollingUpdate?.partition);
  if (n(st?.updatedReplicas) < want - partition) return h('Progressing', `waiting for partitioned roll out to finish: ${n(st?.updatedReplicas)} out of ${want - partition} new pods have been updated`);
  if (partition === 0 && st?.updateRevision !== st?.currentRevision) return h('Progressing', 'waiting for statefulset rolling update to complete');
  return h('Healthy');
}

function daemonSetHealth(o: Model<V1DaemonSet>): Health {
  const st = o.status;
  if (generation(o) > n(st?.observedGeneration)) return h('Progressing', 'waiting for daemon set spec update to be observed');
  if (o.spec?.updateStrategy?.type === 'OnDelete') return h('Healthy', 'daemon set uses OnDelete: rollout is manual');
  const desired = n(st?.desiredNumberScheduled);
  if (n(st?.updatedNumberScheduled) < desired) return h('Progressing', `waiting for daemon set rollout: ${n(st?.updatedNumberScheduled)} of ${desired} updated`);
  if (n(st?.numberAvailable) < desired) return h('Progressing', `waiting for daemon set rollout: ${n(st?.numberAvailable)} of ${desired} available`);
  return h('Healthy');
}

function replicaSetHealth(o: Model<V1ReplicaSet>): Health {
  if (generationPending(o)) return h('Progressing', 'waiting for replica set spec update to be observed');
  const failure = cond(o, 'ReplicaFailure');
  if (failure?.status === 'True') return h('Degraded', failure.message ?? 'replica failure');
  const want = n(o.spec?.replicas, 1);
  const available = n(o.status?.availableReplicas);
  if (available < want) return h('Progressing', `waiting for rollout to finish: ${available} out of ${want} replicas are available`);
  return h('Healthy');
}

const BAD_WAITING = new Set(['CrashLoopBackOff', 'ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError', 'InvalidImageName', 'CreateContainerError']);

function podHealth(o: Model<V1Pod>): Health {
  const st = o.status;
  const statuses = [...(st?.initContainerStatuses ?? []), ...(st?.containerStatuses ?? [])];
  for (const cs of statuses) {
    const waiting = cs.state?.waiting;
    if (waiting?.reason !== undefined && BAD_WAITING.has(waiting.reason)) return h('Degraded', `${waiting.reason}: ${waiting.message ?? ''}`.trim());
  }
  switch (st?.phase) {
    case 'Pending':
      return h('Progressing', st.message ?? 'pod is pending');
    case 'Succeeded':
      return h('Healthy', 'pod completed');
    case 'Failed':
      return h('Degraded', st.message ?? 'pod failed');
    case 'Running': {
      if ((o.spec?.restartPolicy ?? 'Always') !== 'Always') return h('Progressing', 'pod is running');
      return cond(o, 'Ready')?.status === 'True' ? h('Healthy') : h('Progressing', 'pod is running but not ready');
    }
    default:
      return h('Unknown', `pod phase ${st?.phase ?? 'unknown'}`);
  }
}

function loadBalancerHealth(o: Model<V1Service> | Model<V1Ingress>, what: string): Health {
  const ingress = o.status?.loadBalancer?.ingress;
  return Array.isArray(ingress) && ingress.length > 0 ? h('Healthy') : h('Progressing', `waiting for ${what} to get a load balancer address`);
}

function pvcHealth(o: Model<V1PersistentVolumeClaim>): Health {
  const phase = o.status?.phase;
  if (phase === 'Bound') return h('Healthy');
  if (phase === 'Pending') return h('Progressing', 'waiting for the claim to be bound');
  if (phase === 'Lost') return h('Degraded', 'the claim lost its volume');
  return h('Unknown', `claim phase ${phase ?? 'unknown'}`);
}

function jobHealth(o: Model<V1Job>): Health {
  const cs = o.status?.conditions ?? [];
  const failed = cs.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return h('Degraded', failed.message ?? failed.reason ?? 'job failed');
  const complete = cs.find((c) => (c.type === 'Complete' || c.type === 'SuccessCriteriaMet') && c.status === 'True');
  if (complete) return h('Healthy', 'job completed');
  if (o.spec?.suspend === true) return h('Suspended', 'job is suspended');
  return h('Progressing', 'job is running');
}

function hpaHealth(o: Model<V2HorizontalPodAutoscaler>): Health {
  const cs = o.status?.conditions ?? [];
  const failing = cs.find((c) => c.status === 'False' && (c.reason ?? '').startsWith('Failed'));
  if (failing) return h('Degraded', failing.message ?? failing.reason);
  if (cs.some((c) => c.type === 'AbleToScale' && c.status === 'True')) return h('Healthy');
  return h('Progressing', 'waiting to autoscale');
}

/** Any other kind: kstatus-style `Ready`/`Stalled` conditions and observedGeneration; no status means nothing to wait for. */
function genericHealth(o: WithConditions): Health {
  if (generationPending(o)) return h('Progressing', 'waiting for the controller to observe the latest spec');
  const stalled = cond(o, 'Stalled');
  if (stalled?.status === 'True') return h('Degraded', stalled.message ?? stalled.reason ?? 'stalled');
  const ready = cond(o, 'Ready') ?? cond(o, 'Available') ?? cond(o, 'Established');
  if (ready?.status === 'True') return h('Healthy');
  if (ready?.status === 'False') return h('Progressing', ready.message ?? ready.reason ?? `${ready.type} is False`);
  return h('Healthy');
}

/**
 * A ServiceRollout's health is its controller's verdict; the message says where a canary is (step,
 * weight, ready canary pods), so deploy --wait prints each step as it happens. A pause waiting for
 * `slipway rollout promote` is Suspended, like Argo's paused Rollout: deploy does not wait on it.
 */
function serviceRolloutHealth(o: KubeObject): Health {
  type St = { phase?: string; message?: string; observedGeneration?: number; currentStepIndex?: number; weight?: number; canaryRevision?: string; stableRevision?: string; strategy?: string };
  const st = o['status'] as St | undefined;
  const generation = typeof o.metadata['generation'] === 'number' ? o.metadata['generation'] : 0;
  if (!st?.phase || (st.observedGeneration ?? 0) < generation) return h('Progressing', 'waiting for the slipway controller to pick up this version');
  const steps = ((o['spec'] as { strategy?: { canary?: { steps?: unknown[] } } } | undefined)?.strategy?.canary?.steps ?? []).length;
  const inCanary = st.strategy !== 'blueGreen' && st.canaryRevision !== undefined && st.canaryRevision !== st.stableRevision;
  const where = inCanary && steps > 0 ? `step ${Math.min((st.currentStepIndex ?? 0) + 1, steps)}/${steps}, weight ${st.weight ?? 0}%: ` : '';
  const message = `${where}${st.message ?? ''}`;
  if (st.phase === 'Healthy') return h('Healthy', message);
  if (st.phase === 'Degraded') return h('Degraded', message);
  if (st.phase === 'Paused') return h('Suspended', message);
  return h('Progressing', message);
}

/** Live objects are JSON of their kind: each function reads the fields its model type declares, all optional. */
const BY_KIND: Readonly<Record<string, (o: KubeObject) => Health>> = {
  Deployment: deploymentHealth,
  StatefulSet: statefulSetHealth,
  DaemonSet: daemonSetHealth,
  ReplicaSet: replicaSetHealth,
  Pod: podHealth,
  Service: (o: Model<V1Service>) => (o.spec?.type === 'LoadBalancer' ? loadBalancerHealth(o, 'service') : h('Healthy')),
  Ingress: (o: Model<V1Ingress>) => loadBalancerHealth(o, 'ingress'),
  PersistentVolumeClaim: pvcHealth,
  Job: jobHealth,
  HorizontalPodAutoscaler: hpaHealth,
  Namespace: (o: Model<V1Namespace>) => (o.status?.phase === 'Terminating' ? h('Progressing', 'namespace is terminating') : h('Healthy')),
  ServiceRollout: serviceRolloutHealth, // slipway.dev progressive delivery
  CustomResourceDefinition: (o: WithConditions) => (cond(o, 'Established')?.status === 'True' ? h('Healthy') : h('Progressing', 'waiting for the CRD to be established')),
};

/** Health of one live object; `undefined` (not found) is Missing. A terminating object is Progressing. */
export function healthOf(obj: KubeObject | undefined): Health {
  if (!obj) return h('Missing', 'object does not exist');
  const fn = BY_KIND[obj.kind] ?? genericHealth;
  const result = fn(obj);
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
  const ttl = (desired as Model<V1Job>).spec?.ttlSecondsAfterFinished;
  if (typeof ttl !== 'number') return undefined;
  return { status: 'Healthy', message: `finished earlier; deleted by its ttlSecondsAfterFinished (${String(ttl)}s)` };
}
