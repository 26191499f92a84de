import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { healthOf, reapedJobHealth, worst, type HealthStatus } from './health.ts';

const obj = (kind: string, rest: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name: 'x', generation: 2, ...meta },
  ...rest,
});
const cond = (type: string, status: string, reason?: string): Record<string, unknown> => ({ type, status, ...(reason ? { reason } : {}) });

describe('healthOf', () => {
  it.each<[string, KubeObject | undefined, HealthStatus]>([
    ['absent object is Missing', undefined, 'Missing'],
    // Deployment
    ['deployment healthy', obj('Deployment', { spec: { replicas: 2 }, status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 } }), 'Healthy'],
    ['deployment paused is Suspended', obj('Deployment', { spec: { replicas: 2, paused: true }, status: {} }), 'Suspended'],
    ['deployment generation not observed', obj('Deployment', { spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 } }), 'Progressing'],
    ['deployment new, no status', obj('Deployment', { spec: { replicas: 1 } }), 'Progressing'],
    ['deployment updating', obj('Deployment', { spec: { replicas: 4 }, status: { observedGeneration: 2, replicas: 5, updatedReplicas: 2, availableReplicas: 3 } }), 'Progressing'],
    ['deployment old replicas pending termination', obj('Deployment', { spec: { replicas: 2 }, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 } }), 'Progressing'],
    ['deployment updated but unavailable', obj('Deployment', { spec: { replicas: 2 }, status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 } }), 'Progressing'],
    [
      'deployment past progress deadline is Degraded',
      obj('Deployment', { spec: { replicas: 2 }, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2, conditions: [cond('Progressing', 'False', 'ProgressDeadlineExceeded')] } }),
      'Degraded',
    ],
    // StatefulSet
    ['statefulset healthy', obj('StatefulSet', { spec: { replicas: 2 }, status: { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'a' } }), 'Healthy'],
    ['statefulset not ready', obj('StatefulSet', { spec: { replicas: 2 }, status: { observedGeneration: 2, readyReplicas: 1, updatedReplicas: 2 } }), 'Progressing'],
    ['statefulset revision rolling', obj('StatefulSet', { spec: { replicas: 2 }, status: { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'b' } }), 'Progressing'],
    ['statefulset OnDelete', obj('StatefulSet', { spec: { replicas: 1, updateStrategy: { type: 'OnDelete' } }, status: { observedGeneration: 2, readyReplicas: 1 } }), 'Healthy'],
    // DaemonSet
    ['daemonset healthy', obj('DaemonSet', { status: { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 } }), 'Healthy'],
    ['daemonset rolling', obj('DaemonSet', { status: { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 1, numberAvailable: 3 } }), 'Progressing'],
    ['daemonset unavailable', obj('DaemonSet', { status: { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 } }), 'Progressing'],
    // ReplicaSet
    ['replicaset healthy', obj('ReplicaSet', { spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 2 } }), 'Healthy'],
    ['replicaset failure', obj('ReplicaSet', { spec: { replicas: 2 }, status: { observedGeneration: 2, conditions: [cond('ReplicaFailure', 'True', 'FailedCreate')] } }), 'Degraded'],
    ['replicaset scaling', obj('ReplicaSet', { spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 1 } }), 'Progressing'],
    // Pod
    ['pod ready', obj('Pod', { status: { phase: 'Running', conditions: [cond('Ready', 'True')] } }), 'Healthy'],
    ['pod running not ready', obj('Pod', { status: { phase: 'Running', conditions: [cond('Ready', 'False')] } }), 'Progressing'],
    ['pod pending', obj('Pod', { status: { phase: 'Pending' } }), 'Progressing'],
    ['pod succeeded', obj('Pod', { status: { phase: 'Succeeded' } }), 'Healthy'],
    ['pod failed', obj('Pod', { status: { phase: 'Failed' } }), 'Degraded'],
    ['pod crashloop', obj('Pod', { status: { phase: 'Running', containerStatuses: [{ state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }), 'Degraded'],
    ['pod image pull', obj('Pod', { status: { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff' } } }] } }), 'Degraded'],
    ['pod unknown phase', obj('Pod', { status: { phase: 'Unknown' } }), 'Unknown'],
    // Service / Ingress
    ['service ClusterIP', obj('Service', { spec: { type: 'ClusterIP' } }), 'Healthy'],
    ['service LoadBalancer pending', obj('Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } }), 'Progressing'],
    ['service LoadBalancer with ingress', obj('Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } }), 'Healthy'],
    ['ingress without address', obj('Ingress', { status: {} }), 'Progressing'],
    ['ingress with address', obj('Ingress', { status: { loadBalancer: { ingress: [{ hostname: 'lb' }] } } }), 'Healthy'],
    // PVC
    ['pvc bound', obj('PersistentVolumeClaim', { status: { phase: 'Bound' } }), 'Healthy'],
    ['pvc pending', obj('PersistentVolumeClaim', { status: { phase: 'Pending' } }), 'Progressing'],
    ['pvc lost', obj('PersistentVolumeClaim', { status: { phase: 'Lost' } }), 'Degraded'],
    // Job
    ['job complete', obj('Job', { status: { conditions: [cond('Complete', 'True')] } }), 'Healthy'],
    ['job failed', obj('Job', { status: { conditions: [cond('Failed', 'True', 'BackoffLimitExceeded')] } }), 'Degraded'],
    ['job suspended', obj('Job', { spec: { suspend: true }, status: {} }), 'Suspended'],
    ['job running', obj('Job', { status: { active: 1 } }), 'Progressing'],
    // HPA
    ['hpa able to scale', obj('HorizontalPodAutoscaler', { status: { conditions: [cond('AbleToScale', 'True', 'SucceededGetScale')] } }), 'Healthy'],
    ['hpa failing metrics', obj('HorizontalPodAutoscaler', { status: { conditions: [cond('ScalingActive', 'False', 'FailedGetResourceMetric')] } }), 'Degraded'],
    ['hpa no conditions yet', obj('HorizontalPodAutoscaler', { status: {} }), 'Progressing'],
    // Generic kinds and CRs
    ['configmap (no status) is Healthy', obj('ConfigMap', { data: {} }), 'Healthy'],
    ['custom resource Ready', obj('Widget', { status: { observedGeneration: 2, conditions: [cond('Ready', 'True')] } }), 'Healthy'],
    ['custom resource not Ready', obj('Widget', { status: { observedGeneration: 2, conditions: [cond('Ready', 'False')] } }), 'Progressing'],
    ['custom resource Stalled', obj('Widget', { status: { observedGeneration: 2, conditions: [cond('Stalled', 'True'), cond('Ready', 'False')] } }), 'Degraded'],
    ['custom resource stale generation', obj('Widget', { status: { observedGeneration: 1, conditions: [cond('Ready', 'True')] } }), 'Progressing'],
    ['crd established', obj('CustomResourceDefinition', { status: { conditions: [cond('Established', 'True')] } }), 'Healthy'],
    ['crd not yet established', obj('CustomResourceDefinition', { status: {} }), 'Progressing'],
    ['namespace terminating', obj('Namespace', { status: { phase: 'Terminating' } }), 'Progressing'],
    ['object being deleted', obj('ConfigMap', {}, { deletionTimestamp: '2024-01-01T00:00:00Z' }), 'Progressing'],
  ])('%s', (_name, o, want) => {
    expect(healthOf(o).status).toBe(want);
  });
});

describe('worst', () => {
  it.each<[HealthStatus[], HealthStatus]>([
    [[], 'Healthy'],
    [['Healthy', 'Suspended'], 'Suspended'],
    [['Suspended', 'Progressing'], 'Progressing'],
    [['Progressing', 'Missing'], 'Missing'],
    [['Missing', 'Degraded', 'Healthy'], 'Degraded'],
    [['Degraded', 'Unknown'], 'Unknown'],
  ])('%j → %s', (all, want) => {
    expect(worst(all)).toBe(want);
  });
});

describe('reapedJobHealth', () => {
  const job = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'ns' }, spec });
  it.each([
    { name: 'a Job with ttlSecondsAfterFinished', desired: job({ ttlSecondsAfterFinished: 3600 }), status: 'Healthy', message: /ttlSecondsAfterFinished \(3600s\)/ },
    { name: 'a Job with ttlSecondsAfterFinished 0', desired: job({ ttlSecondsAfterFinished: 0 }), status: 'Healthy', message: /\(0s\)/ },
    { name: 'a Job without a TTL (it should still exist)', desired: job({}), status: undefined, message: undefined },
    { name: 'another kind', desired: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { ttlSecondsAfterFinished: 1 } }, status: undefined, message: undefined },
    { name: 'no desired object', desired: undefined, status: undefined, message: undefined },
  ])('$name', ({ desired, status, message }) => {
    const h = reapedJobHealth(desired);
    expect(h?.status).toBe(status);
    if (message) expect(h?.message).toMatch(message);
  });
});

describe('ServiceRollout health: the controller verdict, with where the canary is', () => {
  const ro = (status: Record<string, unknown> | undefined, generation = 2, blueGreen = false): KubeObject => ({
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'ServiceRollout',
    metadata: { name: 'web', generation },
    spec: { strategy: blueGreen ? { blueGreen: {} } : { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] } } },
    ...(status ? { status: { observedGeneration: 2, ...status } } : {}),
  });
  it.each<[string, KubeObject, HealthStatus, string]>([
    ['no status yet', ro(undefined), 'Progressing', 'waiting for the slipway controller to pick up this version'],
    ['an older generation observed', ro({ phase: 'Healthy', observedGeneration: 1 }), 'Progressing', 'waiting for the slipway controller to pick up this version'],
    ['a canary at step 3', ro({ phase: 'Progressing', strategy: 'canary', canaryRevision: 'b', stableRevision: 'a', currentStepIndex: 2, weight: 20, message: 'canary pods starting' }), 'Progressing', 'step 3/3, weight 20%: canary pods starting'],
    ['an indefinite pause is Suspended', ro({ phase: 'Paused', strategy: 'canary', canaryRevision: 'b', stableRevision: 'a', currentStepIndex: 1, weight: 20, message: 'paused' }), 'Suspended', 'step 2/3, weight 20%: paused'],
    ['promoted', ro({ phase: 'Healthy', strategy: 'canary', stableRevision: 'b', message: 'promoted b' }), 'Healthy', 'promoted b'],
    ['aborted', ro({ phase: 'Degraded', strategy: 'canary', canaryRevision: 'b', stableRevision: 'a', currentStepIndex: 0, weight: 0, message: 'aborted: x' }), 'Degraded', 'step 1/3, weight 0%: aborted: x'],
    ['blue-green has no steps', ro({ phase: 'Paused', strategy: 'blueGreen', canaryRevision: 'b', stableRevision: 'a', message: 'preview ready' }, 2, true), 'Suspended', 'preview ready'],
  ])('%s', (_n, o, status, message) => {
    expect(healthOf(o)).toEqual({ status, message });
  });
});
