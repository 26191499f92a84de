/**
 * Reliability: probes, replicas, disruption budgets, autoscaling, spreading, selectors and API
 * versions — the things that turn a node drain or a bad deploy into an outage.
 */
import { containersOf, K8S_DOCS, SERVING_KINDS, type ContainerRef, type LintObject, type Report, type Rule } from '../context.ts';
import { isRecord, labelValueProblem, qualifiedNameProblem, type FieldPath } from '../../manifest/index.ts';
import { arr, get, num, rec, selectorIsEmpty, selectorMatches, str, strMap, type Rec } from '../util.ts';

const POD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'];
const SCALABLE = ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController'];
const PROBE_URL = `${K8S_DOCS}/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/`;
const PDB_URL = `${K8S_DOCS}/tasks/run-application/configure-pdb/`;
const HPA_URL = `${K8S_DOCS}/tasks/run-application/horizontal-pod-autoscale/`;

/** Replicas as the apiserver will default them (1 when unset). */
function replicasOf(o: LintObject): number {
  return num(get(o.object, ['spec', 'replicas'])) ?? 1;
}

function eachServingContainer(fn: (c: ContainerRef, report: Report) => void): Rule['check'] {
  return (o, report) => {
    if (!o.pod || !SERVING_KINDS.has(o.kind)) return;
    for (const c of containersOf(o.pod, 'app')) fn(c, report);
  };
}

/** The handler part of a probe (what it calls), without timings. */
function probeHandler(p: unknown): string | undefined {
  if (!isRecord(p)) return undefined;
  for (const k of ['httpGet', 'tcpSocket', 'grpc', 'exec']) if (p[k] !== undefined) return JSON.stringify({ [k]: p[k] });
  return undefined;
}

function probePort(p: unknown): { port: unknown; field: string } | undefined {
  for (const k of ['httpGet', 'tcpSocket', 'grpc']) {
    const h = rec(rec(p)[k]);
    if (h['port'] !== undefined) return { port: h['port'], field: k };
  }
  return undefined;
}

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

function pdbBudgetProblem(pdb: Rec, replicas: number): { field: string; why: string } | undefined {
  const maxU = pdb['maxUnavailable'];
  const minA = pdb['minAvailable'];
  if (maxU === 0 || maxU === '0%') return { field: 'maxUnavailable', why: 'maxUnavailable 0 allows no voluntary eviction: node drains hang' };
  if (minA === '100%') return { field: 'minAvailable', why: 'minAvailable 100% allows no voluntary eviction: node drains hang' };
  if (typeof minA === 'number' && minA >= replicas) return { field: 'minAvailable', why: `minAvailable ${minA} ≥ replicas ${replicas}: no pod can ever be evicted` };
  return undefined;
}

/** Removed (no longer served by v1.34) group/versions, optionally per kind. */
const REMOVED: readonly { gv: string; kinds?: readonly string[]; since: string; use: string }[] = [
  { gv: 'extensions/v1beta1', since: '1.16/1.22', use: 'apps/v1 or networking.k8s.io/v1' },
  { gv: 'apps/v1beta1', since: '1.16', use: 'apps/v1' },
  { gv: 'apps/v1beta2', since: '1.16', use: 'apps/v1' },
  { gv: 'networking.k8s.io/v1beta1', since: '1.22', use: 'networking.k8s.io/v1' },
  { gv: 'rbac.authorization.k8s.io/v1beta1', since: '1.22', use: 'rbac.authorization.k8s.io/v1' },
  { gv: 'rbac.authorization.k8s.io/v1alpha1', since: '1.22', use: 'rbac.authorization.k8s.io/v1' },
  { gv: 'admissionregistration.k8s.io/v1beta1', since: '1.22', use: 'admissionregistration.k8s.io/v1' },
  { gv: 'apiextensions.k8s.io/v1beta1', since: '1.22', use: 'apiextensions.k8s.io/v1' },
  { gv: 'certificates.k8s.io/v1beta1', since: '1.22', use: 'certificates.k8s.io/v1' },
  { gv: 'coordination.k8s.io/v1beta1', since: '1.22', use: 'coordination.k8s.io/v1' },
  { gv: 'scheduling.k8s.io/v1beta1', since: '1.22', use: 'scheduling.k8s.io/v1' },
  { gv: 'storage.k8s.io/v1beta1', since: '1.22/1.27', use: 'storage.k8s.io/v1' },
  { gv: 'policy/v1beta1', since: '1.25', use: 'policy/v1 (PodSecurityPolicy: Pod Security Admission)' },
  { gv: 'batch/v1beta1', since: '1.25', use: 'batch/v1' },
  { gv: 'batch/v2alpha1', since: '1.21', use: 'batch/v1' },
  { gv: 'autoscaling/v2beta1', since: '1.25', use: 'autoscaling/v2' },
  { gv: 'autoscaling/v2beta2', since: '1.26', use: 'autoscaling/v2' },
  { gv: 'discovery.k8s.io/v1beta1', since: '1.25', use: 'discovery.k8s.io/v1' },
  { gv: 'events.k8s.io/v1beta1', since: '1.25', use: 'events.k8s.io/v1' },
  { gv: 'node.k8s.io/v1beta1', since: '1.25', use: 'node.k8s.io/v1' },
  { gv: 'flowcontrol.apiserver.k8s.io/v1beta1', since: '1.26', use: 'flowcontrol.apiserver.k8s.io/v1' },
  { gv: 'flowcontrol.apiserver.k8s.io/v1beta2', since: '1.29', use: 'flowcontrol.apiserver.k8s.io/v1' },
  { gv: 'flowcontrol.apiserver.k8s.io/v1beta3', since: '1.32', use: 'flowcontrol.apiserver.k8s.io/v1' },
];
/** Still served by v1.34 but deprecated. */
const DEPRECATED: readonly { gv: string; kinds?: readonly string[]; use: string }[] = [
  { gv: 'v1', kinds: ['Endpoints'], use: 'discovery.k8s.io/v1 EndpointSlice (Endpoints is deprecated since 1.33)' },
  { gv: 'v1', kinds: ['ComponentStatus'], use: 'the apiserver /livez and /readyz endpoints' },
  { gv: 'gateway.networking.k8s.io/v1beta1', kinds: ['HTTPRoute', 'Gateway', 'GatewayClass'], use: 'gateway.networking.k8s.io/v1' },
];

/** Is this apiVersion/kind one v1.34 no longer serves? */
export function isRemovedApi(apiVersion: string, kind: string): boolean {
  return REMOVED.some((x) => x.gv === apiVersion && (x.kinds === undefined || x.kinds.includes(kind)));
}

export const reliabilityRules: readonly Rule[] = [
  {
    id: 'REL001',
    name: 'no-liveness-probe',
    category: 'reliability',
    severity: 'warning',
    kinds: POD_KINDS,
    kubeLinter: 'no-liveness-probe',
    summary: 'Long-running containers should have a liveness probe.',
    why: 'Without one, a deadlocked process keeps its pod Running forever and keeps receiving traffic.',
    fix: 'Add livenessProbe checking that the process itself is alive (not its dependencies).',
    url: PROBE_URL,
    check: eachServingContainer((c, report) => {
      if (c.c['livenessProbe'] === undefined) report([...c.path, 'livenessProbe'], `container "${c.name}" has no liveness probe`, 'add livenessProbe');
    }),
  },
  {
    id: 'REL002',
    name: 'no-readiness-probe',
    category: 'reliability',
    severity: 'warning',
    kinds: POD_KINDS,
    kubeLinter: 'no-readiness-probe',
    summary: 'Long-running containers should have a readiness probe.',
    why: 'Without one, a pod gets traffic as soon as the process starts, before it can serve; rollouts then drop requests.',
    fix: 'Add readinessProbe against an endpoint that answers only when the app can serve.',
    url: PROBE_URL,
    check: eachServingContainer((c, report) => {
      if (c.c['readinessProbe'] === undefined) report([...c.path, 'readinessProbe'], `container "${c.name}" has no readiness probe`, 'add readinessProbe');
    }),
  },
  {
    id: 'REL003',
    name: 'probe-port-unknown',
    category: 'reliability',
    severity: 'error',
    kinds: POD_KINDS,
    kubeLinter: 'liveness-port',
    summary: 'A probe that names a port must name a port the container declares.',
    why: 'The kubelet cannot resolve an unknown named port: the probe always fails and the pod never becomes ready (or restarts forever).',
    fix: 'Use a port name from the container’s ports list, or the port number.',
    url: PROBE_URL,
    check: (o, report) => {
      if (!o.pod) return;
      for (const c of containersOf(o.pod, 'app')) {
        const names = new Set(arr(c.c['ports']).map((p) => str(rec(p)['name'])));
        for (const probe of PROBES) {
          const pp = probePort(c.c[probe]);
          if (pp && typeof pp.port === 'string' && !/^\d+$/.test(pp.port) && !names.has(pp.port)) {
            report([...c.path, probe, pp.field, 'port'], `${probe} of container "${c.name}" uses port "${pp.port}", which the container does not declare`, 'declare the port under ports with that name, or use its number');
          }
        }
      }
    },
  },
  {
    id: 'REL004',
    name: 'probe-port-undeclared',
    category: 'reliability',
    severity: 'info',
    kinds: POD_KINDS,
    summary: 'A probe’s numeric port should be one the container declares.',
    why: 'A probe on a port the container does not list is often a typo or a stale port after a change.',
    fix: 'Declare the port under ports (with a name) and probe it by name.',
    url: PROBE_URL,
    check: (o, report) => {
      if (!o.pod) return;
      for (const c of containersOf(o.pod, 'app')) {
        const declared = arr(c.c['ports']).map((p) => rec(p)['containerPort']);
        if (declared.length === 0) continue;
        for (const probe of PROBES) {
          const pp = probePort(c.c[probe]);
          if (pp && typeof pp.port === 'number' && !declared.includes(pp.port)) {
            report([...c.path, probe, pp.field, 'port'], `${probe} of container "${c.name}" probes port ${pp.port}, not in its ports`, 'declare the port or fix the probe');
          }
        }
      }
    },
  },
  {
    id: 'REL005',
    name: 'liveness-equals-readiness',
    category: 'reliability',
    severity: 'warning',
    kinds: POD_KINDS,
    summary: 'Liveness and readiness probes should not call the same check.',
    why: 'If readiness fails because a dependency is down, an identical liveness probe restarts every pod at once: a cascading outage.',
    fix: 'Make liveness a cheap "process is alive" check and readiness the "can serve" check.',
    url: PROBE_URL,
    check: eachServingContainer((c, report) => {
      const l = probeHandler(c.c['livenessProbe']);
      if (l !== undefined && l === probeHandler(c.c['readinessProbe'])) {
        report([...c.path, 'livenessProbe'], `container "${c.name}" liveness and readiness probes are the same check`, 'point liveness at a separate, dependency-free endpoint');
      }
    }),
  },
  {
    id: 'REL006',
    name: 'single-replica',
    category: 'reliability',
    severity: 'warning',
    kinds: SCALABLE,
    kubeLinter: 'minimum-three-replicas',
    summary: 'Workloads should run at least 2 replicas (or be scaled by an HPA).',
    why: 'One replica means every node drain, eviction and rollout is an outage.',
    fix: 'Set spec.replicas ≥ 2, or add a HorizontalPodAutoscaler with minReplicas ≥ 2.',
    url: `${K8S_DOCS}/concepts/workloads/controllers/deployment/`,
    check: (o, report, ctx) => {
      if (replicasOf(o) >= 2 || ctx.hpasFor(o).length > 0) return;
      report(['spec', 'replicas'], `${o.kind} runs ${replicasOf(o)} replica(s) and no HorizontalPodAutoscaler scales it`, 'set spec.replicas: 2 or more');
    },
  },
  {
    id: 'REL007',
    name: 'no-pod-disruption-budget',
    category: 'reliability',
    severity: 'info',
    kinds: ['Deployment', 'StatefulSet'],
    summary: 'Replicated workloads should have a PodDisruptionBudget.',
    why: 'Without one, a node drain may evict all replicas at once.',
    fix: 'Add a PodDisruptionBudget with maxUnavailable: 1 selecting the pods.',
    url: PDB_URL,
    check: (o, report, ctx) => {
      if (!o.pod || (replicasOf(o) < 2 && ctx.hpasFor(o).length === 0)) return;
      if (!ctx.anySelects('PodDisruptionBudget', o.namespace, ['spec', 'selector'], o.pod.labels)) report(['metadata', 'name'], `${o.kind} ${o.name} has no PodDisruptionBudget`, 'add a PodDisruptionBudget with maxUnavailable: 1');
    },
  },
  {
    id: 'REL008',
    name: 'pdb-blocks-eviction',
    category: 'reliability',
    severity: 'warning',
    kinds: ['PodDisruptionBudget'],
    kubeLinter: 'pdb-max-unavailable',
    summary: 'A PodDisruptionBudget must allow at least one pod to be evicted.',
    why: 'A budget that allows no disruption blocks node drains and cluster upgrades indefinitely.',
    fix: 'Use maxUnavailable: 1 (or a minAvailable below the replica count).',
    url: PDB_URL,
    check: (o, report, ctx) => {
      const spec = rec(o.object['spec']);
      const targets = selectorIsEmpty(spec['selector']) ? [] : ctx.workloadsMatching(o.namespace, spec['selector']).filter((w) => SERVING_KINDS.has(w.kind));
      const replicas = targets.length > 0 ? Math.max(...targets.map((t) => Math.max(replicasOf(t), ...ctx.hpasFor(t).map((h) => num(get(h.object, ['spec', 'maxReplicas'])) ?? 1)))) : Infinity;
      const p = pdbBudgetProblem(spec, replicas);
      if (p) report(['spec', p.field], p.why, 'use maxUnavailable: 1');
    },
  },
  {
    id: 'REL009',
    name: 'pdb-vs-hpa-min',
    category: 'reliability',
    severity: 'warning',
    kinds: ['PodDisruptionBudget'],
    kubeLinter: 'pdb-min-available',
    summary: 'A PodDisruptionBudget’s minAvailable must be below the HPA minReplicas of the pods it covers.',
    why: 'When the HPA scales down to minReplicas, a minAvailable ≥ minReplicas blocks every eviction.',
    fix: 'Lower minAvailable below the HPA minReplicas, or use maxUnavailable.',
    url: PDB_URL,
    check: (o, report, ctx) => {
      const spec = rec(o.object['spec']);
      const minA = spec['minAvailable'];
      if (typeof minA !== 'number' || selectorIsEmpty(spec['selector'])) return;
      for (const w of ctx.workloadsMatching(o.namespace, spec['selector'])) {
        for (const h of ctx.hpasFor(w)) {
          const min = num(get(h.object, ['spec', 'minReplicas'])) ?? 1;
          if (minA >= min) report(['spec', 'minAvailable'], `minAvailable ${minA} ≥ minReplicas ${min} of HorizontalPodAutoscaler ${h.name}`, `set minAvailable below ${min}`);
        }
      }
    },
  },
  {
    id: 'REL010',
    name: 'pdb-selects-nothing',
    category: 'reliability',
    severity: 'warning',
    kinds: ['PodDisruptionBudget'],
    summary: 'A PodDisruptionBudget should select at least one workload’s pods.',
    why: 'A budget that matches no pods protects nothing; usually its selector has a typo.',
    fix: 'Make spec.selector match the pod template labels.',
    url: PDB_URL,
    check: (o, report, ctx) => {
      if (ctx.workloadsMatching(o.namespace, get(o.object, ['spec', 'selector'])).length === 0) {
        report(['spec', 'selector'], `PodDisruptionBudget ${o.name} selects no pods`, 'match the pod template labels');
      }
    },
  },
  {
    id: 'REL011',
    name: 'no-anti-affinity',
    category: 'reliability',
    severity: 'info',
    kinds: SCALABLE,
    kubeLinter: 'no-anti-affinity',
    summary: 'Replicas should be spread across nodes/zones (anti-affinity or topology spread).',
    why: 'Without spreading, the scheduler may put all replicas on one node: one node failure takes the service down.',
    fix: 'Add topologySpreadConstraints on kubernetes.io/hostname (and zone), or podAntiAffinity.',
    url: `${K8S_DOCS}/concepts/scheduling-eviction/topology-spread-constraints/`,
    check: (o, report, ctx) => {
      if (!o.pod || (replicasOf(o) < 2 && ctx.hpasFor(o).length === 0)) return;
      if (arr(o.pod.spec['topologySpreadConstraints']).length > 0 || get(o.pod.spec, ['affinity', 'podAntiAffinity']) !== undefined) return;
      report([...o.pod.specPath, 'affinity'], `${o.kind} ${o.name} does not spread its replicas`, 'add topologySpreadConstraints');
    },
  },
  {
    id: 'REL012',
    name: 'hpa-target-missing',
    category: 'reliability',
    severity: 'error',
    kinds: ['HorizontalPodAutoscaler'],
    kubeLinter: 'dangling-horizontalpodautoscaler',
    summary: 'A HorizontalPodAutoscaler must target an object in the same set of manifests.',
    why: 'An HPA whose target does not exist scales nothing; usually a renamed Deployment.',
    fix: 'Fix spec.scaleTargetRef kind/name.',
    url: HPA_URL,
    check: (o, report, ctx) => {
      const ref = rec(get(o.object, ['spec', 'scaleTargetRef']));
      const kind = str(ref['kind']);
      const name = str(ref['name']);
      if (kind === undefined || name === undefined) return;
      if (!ctx.find(kind, o.namespace, name)) report(['spec', 'scaleTargetRef', 'name'], `scale target ${kind}/${name} does not exist`, 'point scaleTargetRef at an existing workload');
    },
  },
  {
    id: 'REL013',
    name: 'replicas-with-hpa',
    category: 'reliability',
    severity: 'warning',
    kinds: SCALABLE,
    summary: 'A workload scaled by an HPA should not set spec.replicas.',
    why: 'Every apply resets replicas to the static value, fighting the autoscaler (a scale-down under load).',
    fix: 'Remove spec.replicas; let the HPA own it.',
    url: `${HPA_URL}#migrating-deployments-and-statefulsets-to-horizontal-autoscaling`,
    check: (o, report, ctx) => {
      if (get(o.object, ['spec', 'replicas']) === undefined) return;
      const h = ctx.hpasFor(o)[0];
      if (h) report(['spec', 'replicas'], `spec.replicas is set but HorizontalPodAutoscaler ${h.name} scales this ${o.kind}`, 'remove spec.replicas');
    },
  },
  {
    id: 'REL014',
    name: 'selector-mismatch',
    category: 'reliability',
    severity: 'error',
    kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController'],
    kubeLinter: 'mismatching-selector',
    summary: 'A workload’s selector must match its pod template labels.',
    why: 'The apiserver rejects the object ("selector does not match template labels").',
    fix: 'Make spec.selector a subset of spec.template.metadata.labels.',
    url: `${K8S_DOCS}/concepts/workloads/controllers/deployment/#selector`,
    check: (o, report) => {
      if (!o.pod) return;
      const sel = get(o.object, ['spec', 'selector']);
      const ok = o.kind === 'ReplicationController' ? Object.entries(strMap(sel)).every(([k, v]) => o.pod?.labels[k] === v) : selectorMatches(sel, o.pod.labels);
      if (!ok) report(['spec', 'selector'], `spec.selector does not match the pod template labels`, 'make the selector labels equal to template labels');
    },
  },
  {
    id: 'REL015',
    name: 'duplicate-env',
    category: 'reliability',
    severity: 'error',
    kinds: POD_KINDS,
    kubeLinter: 'duplicate-env-var',
    summary: 'A container must not define the same env var twice.',
    why: 'The last one silently wins, and server-side apply reports conflicts on env entries keyed by name.',
    fix: 'Remove the duplicate.',
    url: `${K8S_DOCS}/tasks/inject-data-application/define-environment-variable-container/`,
    check: (o, report) => {
      if (!o.pod) return;
      for (const c of containersOf(o.pod)) {
        const seen = new Set<string>();
        arr(c.c['env']).forEach((e, i) => {
          const n = str(rec(e)['name']);
          if (n === undefined) return;
          if (seen.has(n)) report([...c.path, 'env', i, 'name'], `container "${c.name}" defines env ${n} more than once`, 'remove the duplicate');
          seen.add(n);
        });
      }
    },
  },
  {
    id: 'REL016',
    name: 'removed-api-version',
    category: 'reliability',
    severity: 'error',
    kinds: '*',
    kubeLinter: 'no-extensions-v1beta',
    summary: 'Objects must not use API versions Kubernetes v1.34 no longer serves.',
    why: 'The apiserver answers "no matches for kind": the deploy fails.',
    fix: 'Move to the replacement API version (and check for field changes).',
    url: `${K8S_DOCS}/reference/using-api/deprecation-guide/`,
    check: (o, report) => {
      const r = REMOVED.find((x) => x.gv === o.apiVersion && (x.kinds === undefined || x.kinds.includes(o.kind)));
      if (r) report(['apiVersion'], `${o.apiVersion} ${o.kind} was removed in Kubernetes ${r.since}`, `use ${r.use}`);
    },
  },
  {
    id: 'REL017',
    name: 'deprecated-api-version',
    category: 'reliability',
    severity: 'warning',
    kinds: '*',
    summary: 'Objects should not use deprecated API versions.',
    why: 'Deprecated APIs are removed in a later release; the manifests then stop applying.',
    fix: 'Move to the replacement API.',
    url: `${K8S_DOCS}/reference/using-api/deprecation-guide/`,
    check: (o, report) => {
      const d = DEPRECATED.find((x) => x.gv === o.apiVersion && (x.kinds === undefined || x.kinds.includes(o.kind)));
      if (d) report(['apiVersion'], `${o.apiVersion} ${o.kind} is deprecated`, `use ${d.use}`);
    },
  },
  {
    id: 'REL018',
    name: 'default-namespace',
    category: 'reliability',
    severity: 'warning',
    kinds: '*',
    kubeLinter: 'use-namespace',
    summary: 'Objects should not be put in the "default" namespace.',
    why: 'The default namespace is shared by everything that forgot to choose one: quotas, policies and RBAC cannot be scoped to the app.',
    fix: 'Use a namespace per app/environment.',
    url: `${K8S_DOCS}/concepts/overview/working-with-objects/namespaces/`,
    check: (o, report) => {
      if (o.namespace === 'default') report(['metadata', 'namespace'], `${o.kind} ${o.name} is in the default namespace`, 'set metadata.namespace to the app namespace');
    },
  },
  {
    id: 'REL019',
    name: 'invalid-label-syntax',
    category: 'reliability',
    severity: 'error',
    kinds: '*',
    summary: 'Label keys and values, selector labels and annotation keys must follow Kubernetes syntax.',
    why: 'The apiserver rejects the whole object (`"Bad Key!": "value with spaces"` is neither a valid label key nor value): the apply fails.',
    fix: 'Keys: an optional DNS-subdomain prefix and "/", then at most 63 characters of letters, digits, "-", "_", "." (alphanumeric at both ends). Label values: the same, or empty. Free text belongs in annotation values.',
    url: `${K8S_DOCS}/concepts/overview/working-with-objects/labels/#syntax-and-character-set`,
    check: (o, report) => {
      const labels = (path: FieldPath, m: unknown): void => checkSyntax(report, path, m, 'label');
      labels(['metadata', 'labels'], get(o.object, ['metadata', 'labels']));
      checkSyntax(report, ['metadata', 'annotations'], get(o.object, ['metadata', 'annotations']), 'annotation');
      if (o.pod !== undefined) {
        labels([...o.pod.metaPath, 'labels'], get(o.object, [...o.pod.metaPath, 'labels']));
        checkSyntax(report, [...o.pod.metaPath, 'annotations'], get(o.object, [...o.pod.metaPath, 'annotations']), 'annotation');
        labels([...o.pod.specPath, 'nodeSelector'], get(o.object, [...o.pod.specPath, 'nodeSelector']));
      }
      // Selectors: a Service's is a plain map, the others' matchLabels.
      if (o.kind === 'Service') labels(['spec', 'selector'], get(o.object, ['spec', 'selector']));
      else labels(['spec', 'selector', 'matchLabels'], get(o.object, ['spec', 'selector', 'matchLabels']));
    },
  },
];

/** Reports every key (and, for labels, value) of `m` Kubernetes would refuse, at the key. */
function checkSyntax(report: Report, path: FieldPath, m: unknown, what: 'label' | 'annotation'): void {
  if (!isRecord(m)) return;
  for (const [key, value] of Object.entries(m)) {
    const keyProblem = qualifiedNameProblem(key, what);
    if (keyProblem !== undefined) report([...path, key], keyProblem.message, `use ${keyProblem.expected}`);
    const valueProblem = what === 'label' && typeof value === 'string' ? labelValueProblem(value) : undefined;
    if (valueProblem !== undefined) report([...path, key], valueProblem.message, `use ${valueProblem.expected}; free text belongs in an annotation`);
  }
}
