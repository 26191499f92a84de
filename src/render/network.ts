/**
 * NetworkPolicies: deny everything in the namespace, then allow exactly what the spec declares —
 * DNS, each `dependsOn` edge, the ingress controller, egress CIDRs and Prometheus scraping.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
import type { KubeObject } from '../manifest/index.ts';
import type { DependencySpec, PortSpec, ServiceSpec } from '../appspec/index.ts';
import { from, meta, problem, selectorLabels, standardLabels, type RenderContext } from './context.ts';

/** Namespace Prometheus runs in (its scrapes are allowed into metrics ports). */
const MONITORING_NAMESPACE = 'monitoring';
const DEFAULT_INGRESS_NAMESPACE = 'ingress-nginx';
const NS_NAME_LABEL = 'kubernetes.io/metadata.name';

function policy(ctx: RenderContext, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(ctx, { name, labels: standardLabels(ctx, { name: ctx.spec.app, component: 'network' }) }),
    spec,
  };
}

function podsOf(ctx: RenderContext, name: string): Record<string, unknown> {
  return { matchLabels: selectorLabels(ctx, name) };
}

function namespaceSelector(ns: string): Record<string, unknown> {
  // Set by the apiserver on every namespace (immutable), so it cannot be spoofed by relabelling.
  return { matchLabels: { [NS_NAME_LABEL]: ns } };
}

interface Edge {
  readonly caller: string;
  readonly callerPath: string;
  /** The dependsOn entry, e.g. `services.web.dependsOn[0]`. */
  readonly path: string;
  readonly target: string;
  readonly port: PortSpec;
}

function dependencyEdges(ctx: RenderContext): Edge[] {
  const edges: Edge[] = [];
  const services = ctx.spec.services;
  const callers: [string, string, readonly DependencySpec[] | undefined][] = [
    ...Object.entries(services).map(([n, s]): [string, string, readonly DependencySpec[] | undefined] => [n, `services.${n}`, s.dependsOn]),
    ...Object.entries(ctx.spec.jobs ?? {}).map(([n, s]): [string, string, readonly DependencySpec[] | undefined] => [n, `jobs.${n}`, s.dependsOn]),
    ...Object.entries(ctx.spec.cronJobs ?? {}).map(([n, s]): [string, string, readonly DependencySpec[] | undefined] => [n, `cronJobs.${n}`, s.dependsOn]),
  ];
  for (const [caller, callerPath, deps] of callers) {
    for (const [i, dep] of (deps ?? []).entries()) {
      const path = `${callerPath}.dependsOn[${i}]`;
      const targetName = typeof dep === 'string' ? dep : dep.service;
      const target = services[targetName];
      if (target === undefined) {
        problem(ctx, path, `unknown service "${targetName}"`, {
          expected: `one of: ${Object.keys(services).join(', ')}`,
          hint: 'for something outside the app, use `egress:` with its CIDR',
        });
        continue;
      }
      const port = findPort(target, typeof dep === 'string' ? undefined : dep.port);
      if (port === undefined) {
        problem(ctx, path, `service "${targetName}" has no ${typeof dep !== 'string' && dep.port !== undefined ? `port ${String(dep.port)}` : 'ports'}`, {
          expected: `a port of services.${targetName}`,
          hint: `declare the port under services.${targetName}.ports, or remove this entry`,
        });
        continue;
      }
      edges.push({ caller, callerPath, path, target: targetName, port });
    }
  }
  return edges;
}

/**
 * One policy pair per caller and target: `dependsOn: [db, db]` or `[db, {service: db, port: admin}]`
 * name the same pair twice, and two objects with one name would make the second overwrite the first
 * on apply. The ports of every mention are allowed, each once, in the order first written.
 */
function mergeEdges(edges: readonly Edge[]): { caller: string; target: string; path: string; ports: PortSpec[] }[] {
  const byPair = new Map<string, { caller: string; target: string; path: string; ports: PortSpec[] }>();
  for (const e of edges) {
    const key = `${e.caller}\0${e.target}`;
    const merged = byPair.get(key) ?? { caller: e.caller, target: e.target, path: e.path, ports: [] };
    if (!merged.ports.some((p) => p.port === e.port.port && (p.protocol ?? 'TCP') === (e.port.protocol ?? 'TCP'))) merged.ports.push(e.port);
    byPair.set(key, merged);
  }
  return [...byPair.values()];
}

/** By name, by container port, or by Service port; the first port when unspecified. */
export function findPort(svc: ServiceSpec, ref: string | number | undefined): PortSpec | undefined {
  const ports = svc.ports ?? [];
  if (ref === undefined) return ports[0];
  return ports.find((p) => p.name === ref || p.port === ref || p.servicePort === ref);
}

function portRule(p: PortSpec): Record<string, unknown> {
  // The container port: NetworkPolicies act on pod traffic, after Service translation.
  return { protocol: p.protocol ?? 'TCP', port: p.port };
}

export function renderNetworkPolicies(ctx: RenderContext): KubeObject[] {
  const out: KubeObject[] = [
    policy(ctx, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy(ctx, 'allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: namespaceSelector('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    }),
  ];
  for (const e of mergeEdges(dependencyEdges(ctx))) {
    const base = `${e.caller}-to-${e.target}`;
    const ports = e.ports.map(portRule);
    const pair = [
      policy(ctx, `${base}-ingress`, {
        podSelector: podsOf(ctx, e.target),
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: podsOf(ctx, e.caller) }], ports }],
      }),
      policy(ctx, `${base}-egress`, {
        podSelector: podsOf(ctx, e.caller),
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: podsOf(ctx, e.target) }], ports: ports.map((p) => ({ ...p })) }],
      }),
    ];
    out.push(...from(ctx, e.path, pair));
  }
  for (const [name, svc] of Object.entries(ctx.spec.services)) out.push(...from(ctx, `services.${name}`, servicePolicies(ctx, name, svc)));
  return out;
}

function servicePolicies(ctx: RenderContext, name: string, svc: ServiceSpec): KubeObject[] {
  const out: KubeObject[] = [];
  const exposeType = exposureType(svc);
  if (exposeType !== 'internal') {
    const port = findPort(svc, svc.expose?.port);
    const ic = svc.expose?.ingressController;
    const ns = ic?.namespace ?? (exposeType === 'gateway' ? svc.expose?.gateway?.namespace : undefined) ?? DEFAULT_INGRESS_NAMESPACE;
    const peer: Record<string, unknown> = { namespaceSelector: namespaceSelector(ns) };
    if (ic?.podLabels) peer['podSelector'] = { matchLabels: { ...ic.podLabels } };
    if (port !== undefined) {
      out.push(policy(ctx, `${name}-from-ingress`, { podSelector: podsOf(ctx, name), policyTypes: ['Ingress'], ingress: [{ from: [peer], ports: [portRule(port)] }] }));
    }
  }
  if (svc.metrics) {
    const port = findPort(svc, svc.metrics.port ?? metricsPortName(svc));
    if (port !== undefined) {
      out.push(
        policy(ctx, `${name}-from-monitoring`, {
          podSelector: podsOf(ctx, name),
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ namespaceSelector: namespaceSelector(MONITORING_NAMESPACE) }], ports: [portRule(port)] }],
        }),
      );
    }
  }
  if (svc.egress && svc.egress.length > 0) {
    out.push(
      policy(ctx, `${name}-egress-external`, {
        podSelector: podsOf(ctx, name),
        policyTypes: ['Egress'],
        egress: svc.egress.map((e) => ({
          to: [{ ipBlock: { cidr: e.cidr } }],
          ...(e.ports && e.ports.length > 0 ? { ports: e.ports.map((p) => ({ protocol: 'TCP', port: p })) } : {}),
        })),
      }),
    );
  }
  return out;
}

/** `internal` when no host is set, `ingress` when one is, unless the spec says otherwise. */
export function exposureType(svc: ServiceSpec): 'internal' | 'ingress' | 'gateway' {
  const e = svc.expose;
  if (e === undefined) return 'internal';
  return e.type ?? (e.host !== undefined ? 'ingress' : 'internal');
}

/** The metrics port when `metrics.port` is unset: a port named `metrics`, else the first port. */
export function metricsPortName(svc: ServiceSpec): string | undefined {
  const ports = svc.ports ?? [];
  return (ports.find((p) => p.name === 'metrics') ?? ports[0])?.name;
}
