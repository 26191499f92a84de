/**
 * Resource requests and limits: the scheduler places pods by requests, and the kubelet evicts
 * and OOM-kills by limits.
 * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
 */
import { containersOf, K8S_DOCS, type ContainerRef, type Report, type Rule } from '../context.ts';
import { parseQuantity } from '../../manifest/index.ts';
import { get, rec } from '../util.ts';

const POD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'];
const URL = `${K8S_DOCS}/concepts/configuration/manage-resources-containers/`;

function eachAppContainer(fn: (c: ContainerRef, report: Report) => void): Rule['check'] {
  return (o, report) => {
    if (!o.pod) return;
    for (const c of containersOf(o.pod)) if (c.kind !== 'ephemeralContainers') fn(c, report);
  };
}

function resourceRule(opts: {
  id: string;
  name: string;
  kubeLinter?: string;
  field: 'requests' | 'limits';
  resource: 'cpu' | 'memory';
  severity: Rule['severity'];
  why: string;
}): Rule {
  const { id, name, field, resource, severity, why } = opts;
  return {
    id,
    name,
    category: 'efficiency',
    severity,
    kinds: POD_KINDS,
    ...(opts.kubeLinter !== undefined ? { kubeLinter: opts.kubeLinter } : {}),
    summary: `Containers must set resources.${field}.${resource}.`,
    why,
    fix: `Set resources.${field}.${resource} from observed usage (e.g. the p95 of the last week).`,
    url: URL,
    check: eachAppContainer((c, report) => {
      const v = get(c.c, ['resources', field, resource]);
      if (v === undefined || parseQuantity(v) === 0) {
        report([...c.path, 'resources', field, resource], `container "${c.name}" has no ${resource} ${field === 'requests' ? 'request' : 'limit'}`, `set resources.${field}.${resource}`);
      }
    }),
  };
}

export const efficiencyRules: readonly Rule[] = [
  resourceRule({
    id: 'EFF001',
    name: 'cpu-requests',
    kubeLinter: 'unset-cpu-requirements',
    field: 'requests',
    resource: 'cpu',
    severity: 'warning',
    why: 'Without a CPU request the scheduler packs the pod anywhere and it gets the smallest CPU share under contention.',
  }),
  resourceRule({
    id: 'EFF002',
    name: 'memory-requests',
    kubeLinter: 'unset-memory-requirements',
    field: 'requests',
    resource: 'memory',
    severity: 'warning',
    why: 'Without a memory request the pod is BestEffort and is the first evicted under node memory pressure.',
  }),
  resourceRule({
    id: 'EFF003',
    name: 'memory-limit',
    kubeLinter: 'unset-memory-requirements',
    field: 'limits',
    resource: 'memory',
    severity: 'warning',
    why: 'Without a memory limit one leaking container can exhaust the node and get other pods killed.',
  }),
  resourceRule({
    id: 'EFF004',
    name: 'cpu-limit',
    field: 'limits',
    resource: 'cpu',
    severity: 'info',
    why: 'A CPU limit caps noisy neighbours; some teams deliberately omit it to avoid throttling, hence info.',
  }),
  {
    id: 'EFF005',
    name: 'request-exceeds-limit',
    category: 'efficiency',
    severity: 'error',
    kinds: POD_KINDS,
    summary: 'A resource request must not exceed its limit.',
    why: 'The apiserver rejects a pod whose request is above its limit: the rollout never starts.',
    fix: 'Lower the request or raise the limit.',
    url: URL,
    check: eachAppContainer((c, report) => {
      const res = rec(c.c['resources']);
      for (const [name, lim] of Object.entries(rec(res['limits']))) {
        const req = rec(res['requests'])[name];
        const l = parseQuantity(lim);
        const r = parseQuantity(req);
        if (l !== undefined && r !== undefined && r > l) {
          report([...c.path, 'resources', 'requests', name], `container "${c.name}" requests ${String(req)} ${name}, above its limit ${String(lim)}`, 'make requests ≤ limits');
        }
      }
    }),
  },
];
