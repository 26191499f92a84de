/**
 * Values the apiserver refuses although they parse: numbers outside the integer type Kubernetes
 * stores a field in (`replicas: 2147483648`, `terminationGracePeriodSeconds: 1e300`), numbers that
 * are no number at all (YAML reads `1e400` as Infinity and `.nan` as NaN), and ConfigMap/Secret
 * data keys that cannot name a file. The spec checks these where they are written; these rules
 * check any manifest, including ones slipway did not render.
 */
import { configKeyProblem, isRecord, type FieldPath } from '../../manifest/index.ts';
import { K8S_DOCS, type LintObject, type Report, type Rule } from '../context.ts';
import { get } from '../util.ts';

type IntType = 'int32' | 'int64';

const RANGES: Readonly<Record<IntType, { readonly min: number; readonly max: number; readonly shown: string }>> = {
  int32: { min: -(2 ** 31), max: 2 ** 31 - 1, shown: '-2147483648 and 2147483647' },
  // As doubles: 2 ** 63 - 1 rounds to 2 ** 63 (a double cannot tell ...807 from ...808); the next double above is refused.
  int64: { min: -(2 ** 63), max: 2 ** 63 - 1, shown: '-9223372036854775808 and 9223372036854775807' },
};

/** A field pattern: keys, and `*` for every element of a list (or value of a map). */
type Pattern = readonly string[];
type Fields = readonly (readonly [Pattern, IntType])[];

const PROBE: Fields = [
  [['initialDelaySeconds'], 'int32'],
  [['timeoutSeconds'], 'int32'],
  [['periodSeconds'], 'int32'],
  [['successThreshold'], 'int32'],
  [['failureThreshold'], 'int32'],
  [['terminationGracePeriodSeconds'], 'int64'],
  [['httpGet', 'port'], 'int32'],
  [['tcpSocket', 'port'], 'int32'],
  [['grpc', 'port'], 'int32'],
];

const under = (prefix: Pattern, fields: Fields): Fields => fields.map(([p, t]) => [[...prefix, ...p], t] as const);

/** Fields of a container (containers, initContainers, ephemeralContainers). */
const CONTAINER: Fields = [
  [['ports', '*', 'containerPort'], 'int32'],
  [['ports', '*', 'hostPort'], 'int32'],
  ...under(['livenessProbe'], PROBE),
  ...under(['readinessProbe'], PROBE),
  ...under(['startupProbe'], PROBE),
  ...(['postStart', 'preStop'] as const).flatMap((h): Fields => [
    [['lifecycle', h, 'httpGet', 'port'], 'int32'],
    [['lifecycle', h, 'tcpSocket', 'port'], 'int32'],
    [['lifecycle', h, 'sleep', 'seconds'], 'int64'],
  ]),
  [['securityContext', 'runAsUser'], 'int64'],
  [['securityContext', 'runAsGroup'], 'int64'],
];

/** Fields of a pod spec. */
const POD_SPEC: Fields = [
  [['terminationGracePeriodSeconds'], 'int64'],
  [['activeDeadlineSeconds'], 'int64'],
  [['priority'], 'int32'],
  [['securityContext', 'runAsUser'], 'int64'],
  [['securityContext', 'runAsGroup'], 'int64'],
  [['securityContext', 'fsGroup'], 'int64'],
  [['securityContext', 'supplementalGroups', '*'], 'int64'],
  [['topologySpreadConstraints', '*', 'maxSkew'], 'int32'],
  [['topologySpreadConstraints', '*', 'minDomains'], 'int32'],
  ...(['configMap', 'secret', 'downwardAPI', 'projected'] as const).flatMap((v): Fields => [
    [['volumes', '*', v, 'defaultMode'], 'int32'],
    [['volumes', '*', v, 'items', '*', 'mode'], 'int32'],
  ]),
  ...(['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((k) => under([k, '*'], CONTAINER)),
];

const JOB_SPEC: Fields = [
  [['parallelism'], 'int32'],
  [['completions'], 'int32'],
  [['backoffLimit'], 'int32'],
  [['backoffLimitPerIndex'], 'int32'],
  [['maxFailedIndexes'], 'int32'],
  [['ttlSecondsAfterFinished'], 'int32'],
  [['activeDeadlineSeconds'], 'int64'],
  ...under(['template', 'spec'], POD_SPEC),
];

const WORKLOAD_SPEC: Fields = [
  [['replicas'], 'int32'],
  [['minReadySeconds'], 'int32'],
  [['revisionHistoryLimit'], 'int32'],
  [['progressDeadlineSeconds'], 'int32'],
  [['ordinals', 'start'], 'int32'],
  ...under(['template', 'spec'], POD_SPEC),
];

const NETWORK_POLICY_PORTS: Fields = (['ingress', 'egress'] as const).flatMap((d): Fields => [
  [['spec', d, '*', 'ports', '*', 'port'], 'int32'],
  [['spec', d, '*', 'ports', '*', 'endPort'], 'int32'],
]);

const SCALING_RULES: Fields = (['scaleUp', 'scaleDown'] as const).flatMap((d): Fields => [
  [['spec', 'behavior', d, 'stabilizationWindowSeconds'], 'int32'],
  [['spec', 'behavior', d, 'policies', '*', 'value'], 'int32'],
  [['spec', 'behavior', d, 'policies', '*', 'periodSeconds'], 'int32'],
]);

/**
 * The well-known integer fields, by kind. Int-or-string fields (a PDB's minAvailable, a Service's
 * targetPort) are checked when they are numbers.
 */
const INT_FIELDS: Readonly<Record<string, Fields>> = {
  Pod: under(['spec'], POD_SPEC),
  Deployment: under(['spec'], WORKLOAD_SPEC),
  StatefulSet: under(['spec'], WORKLOAD_SPEC),
  ReplicaSet: under(['spec'], WORKLOAD_SPEC),
  ReplicationController: under(['spec'], WORKLOAD_SPEC),
  DaemonSet: under(['spec'], WORKLOAD_SPEC),
  Job: under(['spec'], JOB_SPEC),
  CronJob: [
    [['spec', 'successfulJobsHistoryLimit'], 'int32'],
    [['spec', 'failedJobsHistoryLimit'], 'int32'],
    [['spec', 'startingDeadlineSeconds'], 'int64'],
    ...under(['spec', 'jobTemplate', 'spec'], JOB_SPEC),
  ],
  Service: [
    [['spec', 'ports', '*', 'port'], 'int32'],
    [['spec', 'ports', '*', 'targetPort'], 'int32'],
    [['spec', 'ports', '*', 'nodePort'], 'int32'],
    [['spec', 'healthCheckNodePort'], 'int32'],
    [['spec', 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds'], 'int32'],
  ],
  HorizontalPodAutoscaler: [
    [['spec', 'minReplicas'], 'int32'],
    [['spec', 'maxReplicas'], 'int32'],
    [['spec', 'targetCPUUtilizationPercentage'], 'int32'],
    [['spec', 'metrics', '*', 'resource', 'target', 'averageUtilization'], 'int32'],
    [['spec', 'metrics', '*', 'containerResource', 'target', 'averageUtilization'], 'int32'],
    ...SCALING_RULES,
  ],
  PodDisruptionBudget: [
    [['spec', 'minAvailable'], 'int32'],
    [['spec', 'maxUnavailable'], 'int32'],
  ],
  Ingress: [
    [['spec', 'defaultBackend', 'service', 'port', 'number'], 'int32'],
    [['spec', 'rules', '*', 'http', 'paths', '*', 'backend', 'service', 'port', 'number'], 'int32'],
  ],
  NetworkPolicy: NETWORK_POLICY_PORTS,
};

/**
 * Calls `fn` with every value at `pattern` under `node` and its path. One path stack for the
 * whole walk (copied only for a value that is reported): this runs on every object render's lint
 * gate checks, for ~80 patterns of a workload.
 */
function visitAt(node: unknown, pattern: Pattern, i: number, path: (string | number)[], fn: (path: readonly (string | number)[], value: unknown) => void): void {
  if (i === pattern.length) {
    fn(path, node);
    return;
  }
  const head = pattern[i];
  if (head === '*') {
    if (Array.isArray(node)) {
      for (let k = 0; k < node.length; k++) {
        path.push(k);
        visitAt(node[k], pattern, i + 1, path, fn);
        path.pop();
      }
    } else if (isRecord(node)) {
      for (const k of Object.keys(node)) {
        path.push(k);
        visitAt(node[k], pattern, i + 1, path, fn);
        path.pop();
      }
    }
    return;
  }
  if (head !== undefined && isRecord(node) && Object.hasOwn(node, head)) {
    path.push(head);
    visitAt(node[head], pattern, i + 1, path, fn);
    path.pop();
  }
}

const dotted = (path: FieldPath): string => path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').slice(1);

/** Numbers that are no number (Infinity, NaN), anywhere in the object, at most `limit` reported. */
function nonFinite(node: unknown, path: (string | number)[], report: Report, budget: { left: number }): void {
  if (budget.left <= 0) return;
  if (typeof node === 'number') {
    if (!Number.isFinite(node)) {
      budget.left--;
      report([...path], `${dotted(path) || 'the value'} is ${String(node)}, not a number Kubernetes can store (YAML reads 1e400 as Infinity, .nan as NaN)`, 'write the number in digits, within the range of the field');
    }
    return;
  }
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      path.push(i);
      nonFinite(node[i], path, report, budget);
      path.pop();
    }
  } else if (isRecord(node)) {
    for (const k of Object.keys(node)) {
      path.push(k);
      nonFinite(node[k], path, report, budget);
      path.pop();
    }
  }
}

function checkNumbers(o: LintObject, report: Report): void {
  nonFinite(o.object, [], report, { left: 50 });
  for (const [pattern, type] of INT_FIELDS[o.kind] ?? []) {
    const range = RANGES[type];
    visitAt(o.object, pattern, 0, [], (path, value) => {
      // Strings (int-or-string fields, or a type error the schema check reports) and non-finite numbers (above) are not this check's.
      if (typeof value !== 'number' || !Number.isFinite(value)) return;
      if (value >= range.min && value <= range.max) return;
      report([...path], `${dotted(path)} ${String(value)} is out of range: Kubernetes stores it as a ${type === 'int32' ? '32' : '64'}-bit integer`, `use a value between ${range.shown}`);
    });
  }
}

const DATA_FIELDS: Readonly<Record<string, readonly string[]>> = { ConfigMap: ['data', 'binaryData'], Secret: ['data', 'stringData'] };

function checkDataKeys(o: LintObject, report: Report): void {
  const fields = DATA_FIELDS[o.kind] ?? [];
  for (const field of fields) {
    const data = get(o.object, [field]);
    if (!isRecord(data)) continue;
    for (const key of Object.keys(data)) {
      const problem = configKeyProblem(key);
      if (problem !== undefined) report([field, key], `${o.kind} ${o.name}: ${problem.message}`, `use ${problem.expected}`);
    }
  }
  // A ConfigMap key may be in data or in binaryData, not both (the apiserver refuses the object).
  if (o.kind === 'ConfigMap') {
    const data = get(o.object, ['data']);
    const binary = get(o.object, ['binaryData']);
    if (isRecord(data) && isRecord(binary)) {
      for (const key of Object.keys(binary)) {
        if (Object.hasOwn(data, key)) report(['binaryData', key], `ConfigMap ${o.name}: key ${JSON.stringify(key)} is in both data and binaryData`, 'keep the key in one of them');
      }
    }
  }
}

export const limitRules: readonly Rule[] = [
  {
    id: 'REL020',
    name: 'number-out-of-range',
    category: 'reliability',
    severity: 'error',
    kinds: '*',
    summary: 'Integer fields must fit the type Kubernetes stores them in, and numbers must be finite.',
    why: 'The apiserver refuses `replicas: 2147483648` (an int32) and `terminationGracePeriodSeconds: 1e300` (an int64), and YAML reads `1e400` as Infinity, which serializes as no valid number: the apply fails.',
    fix: 'Write the number in digits within the field\'s range: int32 fields (replicas, ports, probe timings, history limits …) up to 2147483647, int64 fields (grace periods, deadlines, user and group ids) up to 9223372036854775807.',
    url: `${K8S_DOCS}/reference/using-api/api-concepts/`,
    check: checkNumbers,
  },
  {
    id: 'REL021',
    name: 'invalid-data-key',
    category: 'reliability',
    severity: 'error',
    kinds: ['ConfigMap', 'Secret'],
    summary: 'ConfigMap and Secret data keys must be valid file names: [-._a-zA-Z0-9]+, at most 253 characters.',
    why: 'Each key becomes a file name when the object is mounted; the apiserver refuses the whole object when one key has a space, a "/", is "." or "..", or is longer than 253 characters.',
    fix: 'Rename the key with letters, digits, "-", "_" and "." only (e.g. `app.properties`, `DB_URL`); keep a ConfigMap key in data or binaryData, not both.',
    url: `${K8S_DOCS}/concepts/configuration/configmap/#configmap-object`,
    check: checkDataKeys,
  },
];
