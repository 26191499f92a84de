/**
 * What the simulated nodes and pods do: kwok "Stage" objects (handed to kwok in its config file,
 * see {@link kwokConfigYaml}) plus the Node objects slipway creates. Pure data, applied by `up`.
 *
 * Pod behaviour is chosen per pod with the label {@link SIMULATE_LABEL}:
 *  - no label (or an unknown value): Running and Ready about one second after scheduling;
 *  - `slow-ready`: Ready after about 20 s (exercises rollout progress/timeouts);
 *  - `never-ready`: Running, containers running, but never Ready (a failing readiness probe);
 *  - `crash-loop`: containers keep restarting, `CrashLoopBackOff`, `restartCount` grows;
 *  - `fail`: Running and Ready like a plain pod; a pod with `restartPolicy: Never` (a Job's)
 *    then exits 1 instead of 0: phase `Failed` (a smoke-test Job that fails).
 * @see https://kwok.sigs.k8s.io/docs/user/stages-configuration/
 */
import { stringify } from 'yaml';
import type { KubeObject } from '../manifest/index.ts';
import { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE } from './flags.ts';

export const SIMULATE_LABEL = 'slipway.dev/simulate';
/** Simulations that change how a pod starts (the plain "Ready after ~1 s" stage skips them). */
const START_SIMULATIONS = ['never-ready', 'crash-loop', 'slow-ready'] as const;
/** @public: part of the folder API (re-exported by index.ts). */
export type Simulation = (typeof START_SIMULATIONS)[number] | 'fail';

const STAGE_GROUP = 'kwok.x-k8s.io';
const STAGE_VERSION = 'v1alpha1';

/** Delay before a plain pod turns Ready. @default 1000 ms (jittered up to 1500 ms) */
const READY_DELAY_MS = 1000;
/** Delay before a `slow-ready` pod turns Ready. @default 20000 ms */
const SLOW_READY_DELAY_MS = 20_000;
/** Time between two restarts of a `crash-loop` pod. @default 5000 ms */
const CRASH_RESTART_MS = 5000;

interface Expr {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[];
}

interface StageInput {
  readonly name: string;
  readonly kind: 'Pod' | 'Node' | 'Service' | 'Ingress' | 'HorizontalPodAutoscaler';
  /** `group/version` (`v1` for core). @default "v1" */
  readonly apiGroup?: string;
  readonly match: readonly Expr[];
  readonly delayMs?: number;
  readonly jitterMs?: number;
  readonly statusTemplate?: string;
  readonly deleteObject?: boolean;
  /** Merge patch of the status subresource (for kinds other than Pod/Node). */
  readonly statusPatch?: string;
  readonly event?: { readonly reason: string; readonly message: string; readonly type?: 'Normal' | 'Warning' };
}

function stage(s: StageInput): KubeObject {
  const next: Record<string, unknown> = {};
  if (s.event) next['event'] = { type: s.event.type ?? 'Normal', reason: s.event.reason, message: s.event.message };
  if (s.statusTemplate !== undefined) next['statusTemplate'] = s.statusTemplate;
  if (s.statusPatch !== undefined) next['patches'] = [{ subresource: 'status', root: 'status', type: 'merge', template: s.statusPatch }];
  if (s.deleteObject === true) {
    next['finalizers'] = { empty: true };
    next['delete'] = true;
  }
  const spec: Record<string, unknown> = {
    resourceRef: { apiGroup: s.apiGroup ?? 'v1', kind: s.kind },
    selector: { matchExpressions: s.match.map((m) => ({ ...m, ...(m.values ? { values: [...m.values] } : {}) })) },
    next,
  };
  if (s.delayMs !== undefined) {
    spec['delay'] = { durationMilliseconds: s.delayMs, ...(s.jitterMs !== undefined ? { jitterDurationMilliseconds: s.jitterMs } : {}) };
  }
  return {
    apiVersion: `${STAGE_GROUP}/${STAGE_VERSION}`,
    kind: 'Stage',
    metadata: { name: `slipway-${s.name}`, labels: { 'app.kubernetes.io/managed-by': 'slipway' } },
    spec,
  };
}

const simulate = `.metadata.labels["${SIMULATE_LABEL}"]`;
const alive: Expr = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' };
const notStarted: Expr = { key: '.status.podIP', operator: 'DoesNotExist' };
const withSimulation = (...v: Simulation[]): Expr => ({ key: simulate, operator: 'In', values: v });

/** Pod addresses and phase: the part every "container started" template shares. */
const podStarted = `hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
phase: Running
startTime: {{ $now | Quote }}
`;

/** Init containers: run-to-completion ones have finished, sidecars (restartPolicy Always) run. */
const initStatuses = `{{ with .spec.initContainers }}
initContainerStatuses:
{{ range . }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  restartCount: 0
  {{ if eq ( or .restartPolicy "" ) "Always" }}
  ready: true
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
  {{ else }}
  ready: false
  started: false
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
  {{ end }}
{{ end }}
{{ end }}
`;

function conditions(ready: boolean, reason: string): string {
  const status = ready ? '"True"' : '"False"';
  const why = ready ? '' : `\n  reason: ${reason}\n  message: "containers with unready status: [{{ range $i, $c := .spec.containers }}{{ if $i }} {{ end }}{{ $c.name }}{{ end }}]"`;
  return `conditions:
- type: Initialized
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
- type: ContainersReady
  status: ${status}
  lastTransitionTime: {{ $now | Quote }}${why}
- type: Ready
  status: ${status}
  lastTransitionTime: {{ $now | Quote }}${why}
{{ range .spec.readinessGates }}
- type: {{ .conditionType | Quote }}
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
`;
}

const runningContainers = (ready: boolean): string => `containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: ${ready}
  started: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
`;

const crashingContainers = (restartCount: string): string => `containerStatuses:
{{ range $c := $containers }}
- name: {{ $c.name | Quote }}
  image: {{ $c.image | Quote }}
  ready: false
  started: false
  restartCount: ${restartCount}
  lastState:
    terminated:
      exitCode: 1
      reason: Error
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
  state:
    waiting:
      reason: CrashLoopBackOff
      message: {{ printf "back-off restarting failed container %s" $c.name | Quote }}
{{ end }}
`;

const header = '{{ $now := Now }}\n';

/** Pod stages, in the order they are installed. */
export function podStages(): KubeObject[] {
  const readyTemplate = header + conditions(true, '') + initStatuses + runningContainers(true) + podStarted;
  return [
    stage({
      name: 'pod-ready',
      kind: 'Pod',
      match: [alive, notStarted, { key: simulate, operator: 'NotIn', values: START_SIMULATIONS }],
      delayMs: READY_DELAY_MS,
      jitterMs: READY_DELAY_MS + 500,
      statusTemplate: readyTemplate,
      event: { reason: 'Started', message: 'Started container (simulated by kwok)' },
    }),
    stage({
      name: 'pod-slow-ready',
      kind: 'Pod',
      match: [alive, notStarted, withSimulation('slow-ready')],
      delayMs: SLOW_READY_DELAY_MS,
      statusTemplate: readyTemplate,
      event: { reason: 'Started', message: 'Started container after a slow start (slipway.dev/simulate=slow-ready)' },
    }),
    stage({
      name: 'pod-never-ready',
      kind: 'Pod',
      match: [alive, notStarted, withSimulation('never-ready')],
      delayMs: READY_DELAY_MS,
      statusTemplate: header + conditions(false, 'ContainersNotReady') + initStatuses + runningContainers(false) + podStarted,
      event: { type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed (slipway.dev/simulate=never-ready)' },
    }),
    stage({
      name: 'pod-crash-loop-start',
      kind: 'Pod',
      match: [alive, notStarted, withSimulation('crash-loop')],
      delayMs: READY_DELAY_MS,
      statusTemplate:
        header + '{{ $containers := .spec.containers }}\n' + conditions(false, 'ContainersNotReady') + initStatuses + crashingContainers('1') + podStarted,
      event: { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container (slipway.dev/simulate=crash-loop)' },
    }),
    stage({
      // Re-matches after every patch, so the restart count keeps growing like a kubelet's.
      name: 'pod-crash-loop-restart',
      kind: 'Pod',
      match: [alive, { key: '.status.podIP', operator: 'Exists' }, withSimulation('crash-loop')],
      delayMs: CRASH_RESTART_MS,
      statusTemplate: header + '{{ $containers := .status.containerStatuses }}\n' + crashingContainers('{{ add1 ( or $c.restartCount 0 ) }}'),
      event: { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container (slipway.dev/simulate=crash-loop)' },
    }),
    stage({
      // Jobs' pods finish: their containers exit 0 shortly after they started.
      name: 'pod-complete',
      kind: 'Pod',
      match: [
        alive,
        { key: '.status.phase', operator: 'In', values: ['Running'] },
        { key: '.metadata.ownerReferences.[].kind', operator: 'In', values: ['Job'] },
        { key: simulate, operator: 'NotIn', values: ['never-ready', 'crash-loop', 'fail'] },
      ],
      delayMs: READY_DELAY_MS,
      statusTemplate: `${header}conditions:
- type: Ready
  status: "False"
  reason: PodCompleted
  lastTransitionTime: {{ $now | Quote }}
- type: ContainersReady
  status: "False"
  reason: PodCompleted
  lastTransitionTime: {{ $now | Quote }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: false
  started: false
  restartCount: 0
  state:
    terminated:
      exitCode: 0
      reason: Completed
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
phase: Succeeded
`,
    }),
    stage({
      // `fail`: a run-to-completion pod whose containers exit 1 (a kubelet restarts the container
      // of an Always or OnFailure pod instead, so only restartPolicy Never fails the pod).
      name: 'pod-fail',
      kind: 'Pod',
      match: [alive, { key: '.status.phase', operator: 'In', values: ['Running'] }, { key: '.spec.restartPolicy', operator: 'In', values: ['Never'] }, withSimulation('fail')],
      delayMs: READY_DELAY_MS,
      statusTemplate: `${header}conditions:
- type: Ready
  status: "False"
  reason: PodFailed
  lastTransitionTime: {{ $now | Quote }}
- type: ContainersReady
  status: "False"
  reason: PodFailed
  lastTransitionTime: {{ $now | Quote }}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  ready: false
  started: false
  restartCount: 0
  state:
    terminated:
      exitCode: 1
      reason: Error
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}
phase: Failed
`,
      event: { type: 'Warning', reason: 'Failed', message: 'Container exited with code 1 (slipway.dev/simulate=fail)' },
    }),
    stage({
      // A deleted pod goes away (as after its containers stopped): drop finalizers, delete.
      name: 'pod-delete',
      kind: 'Pod',
      match: [{ key: '.metadata.deletionTimestamp', operator: 'Exists' }],
      deleteObject: true,
    }),
  ];
}

const nodeStatus = `{{ $now := Now }}
{{ $since := or .metadata.creationTimestamp $now }}
conditions:
{{ range NodeConditions }}
- type: {{ .type | Quote }}
  status: {{ .status | Quote }}
  reason: {{ .reason | Quote }}
  message: {{ .message | Quote }}
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $since | Quote }}
{{ end }}
`;

/** Node stages: become Ready once, then refresh the Ready heartbeat (leases do liveness). */
export function nodeStages(): KubeObject[] {
  const readyExpr = '.status.conditions.[] | select( .type == "Ready" ) | .status';
  return [
    stage({
      name: 'node-initialize',
      kind: 'Node',
      match: [{ key: readyExpr, operator: 'NotIn', values: ['True'] }],
      statusTemplate: `${nodeStatus}addresses:
{{ with .status.addresses }}{{ YAML . 1 }}{{ else }}
- type: InternalIP
  address: {{ NodeIP | Quote }}
- type: Hostname
  address: {{ NodeName | Quote }}
{{ end }}
{{ with NodePort }}
daemonEndpoints:
  kubeletEndpoint:
    Port: {{ . }}
{{ end }}
{{ $info := or .status.nodeInfo dict }}
nodeInfo:
  architecture: {{ or $info.architecture "amd64" }}
  operatingSystem: {{ or $info.operatingSystem "linux" }}
  kubeletVersion: {{ or $info.kubeletVersion ( printf "kwok-%s" Version ) | Quote }}
  kubeProxyVersion: {{ or $info.kubeProxyVersion ( printf "kwok-%s" Version ) | Quote }}
  containerRuntimeVersion: {{ or $info.containerRuntimeVersion ( printf "kwok-%s" Version ) | Quote }}
  kernelVersion: {{ or $info.kernelVersion ( printf "kwok-%s" Version ) | Quote }}
  osImage: {{ or $info.osImage "kwok" | Quote }}
  bootID: ""
  machineID: ""
  systemUUID: ""
phase: Running
`,
    }),
    stage({
      name: 'node-heartbeat',
      kind: 'Node',
      match: [
        { key: '.status.phase', operator: 'In', values: ['Running'] },
        { key: readyExpr, operator: 'In', values: ['True'] },
      ],
      delayMs: 30_000,
      jitterMs: 40_000,
      statusTemplate: nodeStatus,
    }),
  ];
}

/** Address given to LoadBalancer Services and Ingresses (nothing listens there: it is a simulation). */
const LOAD_BALANCER_IP = '127.0.0.1';

/**
 * A cloud load balancer and an ingress controller, simulated: LoadBalancer Services and
 * Ingresses get a `status.loadBalancer` address, so health checks that wait for one pass.
 */
export function loadBalancerStages(): KubeObject[] {
  const unassigned: Expr = { key: '.status.loadBalancer.ingress', operator: 'DoesNotExist' };
  const patch = `loadBalancer:\n  ingress:\n  - ip: ${LOAD_BALANCER_IP}\n`;
  return [
    stage({
      name: 'service-load-balancer',
      kind: 'Service',
      match: [alive, { key: '.spec.type', operator: 'In', values: ['LoadBalancer'] }, unassigned],
      delayMs: READY_DELAY_MS,
      statusPatch: patch,
    }),
    stage({
      name: 'ingress-load-balancer',
      kind: 'Ingress',
      apiGroup: 'networking.k8s.io/v1',
      match: [alive, unassigned],
      delayMs: READY_DELAY_MS,
      statusPatch: patch,
    }),
  ];
}

/**
 * A metrics pipeline, simulated: every HorizontalPodAutoscaler reports that it can read its
 * metrics and that they are at target, so it neither scales nor reports a failure.
 *
 * The local cluster has no metrics-server and no custom/external metrics adapter, so the real
 * HPA controller would mark every HPA `ScalingActive=False` (`FailedGetResourceMetric`, …) about
 * 15 s after it is created: a deploy's health then depends on whether its wait ended first, and
 * `slipway status` turns Degraded. That controller is therefore switched off (flags.ts) and this
 * stage writes the status a working pipeline at rest would. Nothing scales: a Deployment keeps
 * the replicas of its spec (1 when the HPA owns them).
 */
export function autoscalerStages(): KubeObject[] {
  const condition = (type: string, status: 'True' | 'False', reason: string, message: string): string =>
    `- type: ${type}\n  status: "${status}"\n  reason: ${reason}\n  message: ${JSON.stringify(message)}\n  lastTransitionTime: {{ $now | Quote }}\n`;
  return [
    stage({
      name: 'hpa-metrics-at-target',
      kind: 'HorizontalPodAutoscaler',
      apiGroup: 'autoscaling/v2',
      match: [alive, { key: '.status.conditions', operator: 'DoesNotExist' }],
      delayMs: READY_DELAY_MS,
      statusPatch:
        `{{ $now := Now }}\ndesiredReplicas: {{ or .spec.minReplicas 1 }}\nconditions:\n` +
        condition('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size (simulated: the local cluster does not autoscale)') +
        condition('ScalingActive', 'True', 'ValidMetricFound', 'the HPA was able to successfully calculate a replica count (simulated: metrics at target)') +
        condition('ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range'),
    }),
  ];
}

/**
 * The default StorageClass: the controller-manager's host-path provisioner (enabled with
 * `--enable-hostpath-provisioner`) creates a PersistentVolume for every claim, so StatefulSets
 * with volumeClaimTemplates schedule. Volumes are empty dirs under /tmp/hostpath_pv; no pod
 * ever mounts them.
 * @see https://kubernetes.io/docs/concepts/storage/storage-classes/
 */
export function defaultStorageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: 'standard',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      labels: { 'app.kubernetes.io/managed-by': 'slipway' },
    },
    provisioner: 'kubernetes.io/host-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: false,
  };
}

/**
 * kwok's `--config` file: an empty KwokConfiguration (so `~/.kwok/kwok.yaml` is never read) and
 * every Stage.
 *
 * The stages are not Stage objects in the apiserver (`--enable-crds=Stage`): kwok v0.7.0 caches
 * its list of CRD stages under the informer's last-synced resourceVersion, which runs ahead of
 * the informer's store, so stages created just before (or while) kwok starts can be missed for
 * good. kwok then starts no controller for Nodes or Pods, nodes never turn Ready, and `up` hangs
 * until a Stage happens to change. Stages from the config file start their controllers
 * synchronously at start-up.
 */
export function kwokConfigYaml(): string {
  const docs: unknown[] = [
    { apiVersion: 'config.kwok.x-k8s.io/v1alpha1', kind: 'KwokConfiguration', options: {} },
    ...nodeStages(),
    ...podStages(),
    ...loadBalancerStages(),
    ...autoscalerStages(),
  ];
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

export const ZONES = ['zone-a', 'zone-b', 'zone-c'] as const;

/** Generous, so a dev stack never hits "Insufficient cpu"; the real limits are the user's requests. */
const NODE_ALLOCATABLE = { cpu: '32', memory: '128Gi', pods: '110', 'ephemeral-storage': '500Gi' } as const;

/** Simulated node `i` (0-based) of `count`, spread round-robin over three zones. */
function nodeObject(i: number): KubeObject {
  const name = `kwok-node-${i + 1}`;
  const zone = ZONES[i % ZONES.length] ?? 'zone-a';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE, 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'kwok-sim',
        'topology.kubernetes.io/region': 'local',
        'topology.kubernetes.io/zone': zone,
        type: 'kwok',
      },
    },
    spec: {},
    status: { allocatable: { ...NODE_ALLOCATABLE }, capacity: { ...NODE_ALLOCATABLE } },
  };
}

export function nodeObjects(count: number): KubeObject[] {
  return Array.from({ length: count }, (_, i) => nodeObject(i));
}
