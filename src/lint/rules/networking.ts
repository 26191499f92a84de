/**
 * Networking: cross-object checks that Services, Ingresses, HTTPRoutes, NetworkPolicies and
 * ServiceMonitors actually reach something, plus exposure hygiene.
 */
import { containersOf, K8S_DOCS, type LintContext, type LintObject, type Rule } from '../context.ts';
import { arr, get, rec, selectorIsEmpty, str, strMap } from '../util.ts';

const SVC_URL = `${K8S_DOCS}/concepts/services-networking/service/`;
const ING_URL = `${K8S_DOCS}/concepts/services-networking/ingress/`;
const NP_URL = `${K8S_DOCS}/concepts/services-networking/network-policies/`;
const GW_URL = 'https://gateway-api.sigs.k8s.io/api-types/httproute/';

function podsSelectedByService(ctx: LintContext, svc: LintObject): LintObject[] {
  return ctx.workloadsMatchingMap(svc.namespace, strMap(get(svc.object, ['spec', 'selector'])));
}

/** Ports a Service exposes, by number and by name. */
function servicePorts(svc: LintObject): { numbers: Set<number>; names: Set<string> } {
  const numbers = new Set<number>();
  const names = new Set<string>();
  for (const p of arr(get(svc.object, ['spec', 'ports']))) {
    const n = rec(p)['port'];
    const name = str(rec(p)['name']);
    if (typeof n === 'number') numbers.add(n);
    if (name !== undefined) names.add(name);
  }
  return { numbers, names };
}

/** Services without a selector are backed by manually managed EndpointSlices; nothing to check. */
function hasSelector(svc: LintObject): boolean {
  return Object.keys(strMap(get(svc.object, ['spec', 'selector']))).length > 0;
}

export const networkingRules: readonly Rule[] = [
  {
    id: 'NET001',
    name: 'dangling-service',
    category: 'networking',
    severity: 'warning',
    kinds: ['Service'],
    kubeLinter: 'dangling-service',
    summary: 'A Service’s selector should match the pods of some workload.',
    why: 'A Service that selects no pods has no endpoints: every connection is refused.',
    fix: 'Make spec.selector equal to (a subset of) the pod template labels.',
    url: SVC_URL,
    check: (o, report, ctx) => {
      if (!hasSelector(o) || str(get(o.object, ['spec', 'type'])) === 'ExternalName') return;
      if (podsSelectedByService(ctx, o).length === 0) report(['spec', 'selector'], `Service ${o.name} selects no pods`, 'match the pod template labels of the backing workload');
    },
  },
  {
    id: 'NET002',
    name: 'service-target-port-unknown',
    category: 'networking',
    severity: 'error',
    kinds: ['Service'],
    summary: 'A Service’s named targetPort must be a port name the selected pods declare.',
    why: 'Endpoints are built only from pods that declare the named port: with a typo the Service has no endpoints.',
    fix: 'Use a container port name that exists (or the port number).',
    url: `${SVC_URL}#defining-a-service`,
    check: (o, report, ctx) => {
      const pods = podsSelectedByService(ctx, o);
      if (!hasSelector(o) || pods.length === 0) return;
      const names = new Set<string>();
      for (const w of pods) {
        if (!w.pod) continue;
        for (const c of containersOf(w.pod, 'app')) for (const p of arr(c.c['ports'])) names.add(str(rec(p)['name']) ?? '');
      }
      arr(get(o.object, ['spec', 'ports'])).forEach((p, i) => {
        const tp = rec(p)['targetPort'];
        if (typeof tp === 'string' && !/^\d+$/.test(tp) && !names.has(tp)) {
          report(['spec', 'ports', i, 'targetPort'], `targetPort "${tp}" is not a port name of the selected pods`, 'use an existing container port name');
        }
      });
    },
  },
  {
    id: 'NET003',
    name: 'dangling-ingress',
    category: 'networking',
    severity: 'warning',
    kinds: ['Ingress'],
    kubeLinter: 'dangling-ingress',
    summary: 'An Ingress backend must name an existing Service and one of its ports.',
    why: 'A backend pointing to a missing Service or port returns 503 for that path.',
    fix: 'Fix backend.service.name / port.',
    url: ING_URL,
    check: (o, report, ctx) => {
      const spec = rec(o.object['spec']);
      const backends: { b: unknown; path: (string | number)[] }[] = [];
      if (spec['defaultBackend'] !== undefined) backends.push({ b: spec['defaultBackend'], path: ['spec', 'defaultBackend'] });
      arr(spec['rules']).forEach((r, i) => {
        arr(get(r, ['http', 'paths'])).forEach((p, j) => backends.push({ b: rec(p)['backend'], path: ['spec', 'rules', i, 'http', 'paths', j, 'backend'] }));
      });
      for (const { b, path } of backends) {
        const svc = rec(rec(b)['service']);
        const name = str(svc['name']);
        if (name === undefined) continue;
        const target = ctx.find('Service', o.namespace, name);
        if (!target) {
          report([...path, 'service', 'name'], `backend Service ${name} does not exist`, 'point the backend at an existing Service');
          continue;
        }
        const ports = servicePorts(target);
        const num = get(svc, ['port', 'number']);
        const pname = str(get(svc, ['port', 'name']));
        if ((typeof num === 'number' && !ports.numbers.has(num)) || (pname !== undefined && !ports.names.has(pname))) {
          report([...path, 'service', 'port'], `Service ${name} has no port ${typeof num === 'number' ? String(num) : (pname ?? '')}`, 'use a port the Service exposes');
        }
      }
    },
  },
  {
    id: 'NET004',
    name: 'dangling-httproute',
    category: 'networking',
    severity: 'warning',
    kinds: ['HTTPRoute'],
    summary: 'An HTTPRoute backendRef must name an existing Service and one of its ports.',
    why: 'A backendRef to a missing Service or port makes the gateway return 500 for that rule.',
    fix: 'Fix backendRefs[].name / port.',
    url: GW_URL,
    check: (o, report, ctx) => {
      arr(get(o.object, ['spec', 'rules'])).forEach((r, i) => {
        arr(rec(r)['backendRefs']).forEach((b, j) => {
          const ref = rec(b);
          const kind = str(ref['kind']) ?? 'Service';
          const group = str(ref['group']) ?? '';
          const name = str(ref['name']);
          if (kind !== 'Service' || group !== '' || name === undefined) return;
          const ns = str(ref['namespace']) ?? o.namespace;
          const path = ['spec', 'rules', i, 'backendRefs', j];
          const target = ctx.find('Service', ns, name);
          if (!target) {
            report([...path, 'name'], `backend Service ${name} does not exist`, 'point backendRefs at an existing Service');
            return;
          }
          const port = ref['port'];
          if (typeof port === 'number' && !servicePorts(target).numbers.has(port)) report([...path, 'port'], `Service ${name} has no port ${port}`, 'use a port the Service exposes');
        });
      });
    },
  },
  {
    id: 'NET005',
    name: 'dangling-networkpolicy',
    category: 'networking',
    severity: 'warning',
    kinds: ['NetworkPolicy'],
    kubeLinter: 'dangling-networkpolicy',
    summary: 'A NetworkPolicy’s podSelector should match some pods.',
    why: 'A policy that selects nothing enforces nothing; the pods it was meant for are unprotected.',
    fix: 'Make spec.podSelector match the pod template labels (an empty selector selects every pod).',
    url: NP_URL,
    check: (o, report, ctx) => {
      const sel = get(o.object, ['spec', 'podSelector']);
      if (selectorIsEmpty(sel)) return;
      if (ctx.workloadsMatching(o.namespace, sel).length === 0) {
        report(['spec', 'podSelector'], `NetworkPolicy ${o.name} selects no pods`, 'match the pod template labels');
      }
    },
  },
  {
    id: 'NET006',
    name: 'non-isolated-pod',
    category: 'networking',
    severity: 'info',
    kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Pod', 'Job', 'CronJob'],
    kubeLinter: 'non-isolated-pod',
    summary: 'Pods should be covered by a NetworkPolicy.',
    why: 'Without a policy any pod in the cluster can reach them; a compromised neighbour can move laterally.',
    fix: 'Add a NetworkPolicy selecting these pods (e.g. a namespace default-deny plus allow rules).',
    url: NP_URL,
    check: (o, report, ctx) => {
      if (!o.pod) return;
      const labels = o.pod.labels;
      if (!ctx.anySelects('NetworkPolicy', o.namespace, ['spec', 'podSelector'], labels)) {
        report([...o.pod.metaPath, 'labels'], `pods of ${o.kind} ${o.name} are not selected by any NetworkPolicy`, 'add a NetworkPolicy');
      }
    },
  },
  {
    id: 'NET007',
    name: 'dangling-servicemonitor',
    category: 'networking',
    severity: 'warning',
    kinds: ['ServiceMonitor'],
    kubeLinter: 'dangling-servicemonitor',
    summary: 'A ServiceMonitor should select some Service (and a port it names).',
    why: 'A ServiceMonitor that selects no Service scrapes nothing: dashboards and alerts go silent.',
    fix: 'Make spec.selector match the Service labels and endpoints[].port a Service port name.',
    url: 'https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor',
    check: (o, report, ctx) => {
      const spec = rec(o.object['spec']);
      const nsSel = rec(spec['namespaceSelector']);
      const namespaces = nsSel['any'] === true ? undefined : arr(nsSel['matchNames']).length > 0 ? arr(nsSel['matchNames']) : [o.namespace];
      const svcs = ctx.servicesMatching(spec['selector']).filter((s) => namespaces === undefined || namespaces.includes(s.namespace));
      if (svcs.length === 0) {
        report(['spec', 'selector'], `ServiceMonitor ${o.name} selects no Service`, 'match the labels of the Service to scrape');
        return;
      }
      arr(spec['endpoints']).forEach((e, i) => {
        const port = str(rec(e)['port']);
        if (port !== undefined && !svcs.some((s) => servicePorts(s).names.has(port))) report(['spec', 'endpoints', i, 'port'], `no selected Service has a port named "${port}"`, 'use a named Service port');
      });
    },
  },
  {
    id: 'NET008',
    name: 'ingress-without-tls',
    category: 'networking',
    severity: 'warning',
    kinds: ['Ingress'],
    summary: 'An Ingress should terminate TLS.',
    why: 'Without tls the host is served over plain HTTP: credentials and cookies travel in clear text.',
    fix: 'Add spec.tls with the hosts and a certificate Secret (e.g. issued by cert-manager).',
    url: `${ING_URL}#tls`,
    check: (o, report) => {
      if (arr(get(o.object, ['spec', 'tls'])).length === 0) report(['spec', 'tls'], `Ingress ${o.name} has no TLS`, 'add spec.tls');
    },
  },
  {
    id: 'NET009',
    name: 'ssh-port',
    category: 'networking',
    severity: 'info',
    kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Pod', 'Job', 'CronJob'],
    kubeLinter: 'ssh-port',
    summary: 'Containers should not expose SSH (port 22).',
    why: 'An SSH server in a container is an unmanaged entry point; use kubectl exec/debug instead.',
    fix: 'Remove the SSH server and port 22.',
    url: `${K8S_DOCS}/tasks/debug/debug-application/debug-running-pod/`,
    check: (o, report) => {
      if (!o.pod) return;
      for (const c of containersOf(o.pod, 'app')) {
        arr(c.c['ports']).forEach((p, i) => {
          if (rec(p)['containerPort'] === 22) report([...c.path, 'ports', i, 'containerPort'], `container "${c.name}" exposes port 22`, 'remove the SSH port');
        });
      }
    },
  },
  {
    id: 'NET010',
    name: 'exposed-service',
    category: 'networking',
    severity: 'info',
    kinds: ['Service'],
    kubeLinter: 'exposed-services',
    summary: 'Services of type NodePort are reachable on every node.',
    why: 'A NodePort opens the port on every node’s address, bypassing the ingress layer.',
    fix: 'Use ClusterIP behind an Ingress/Gateway, or LoadBalancer if it must be external.',
    url: `${SVC_URL}#type-nodeport`,
    check: (o, report) => {
      if (str(get(o.object, ['spec', 'type'])) === 'NodePort') report(['spec', 'type'], `Service ${o.name} is a NodePort`, 'use ClusterIP behind an Ingress');
    },
  },
];
