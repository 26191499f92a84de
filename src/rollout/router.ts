/**
 * Traffic routers: how a canary's weight reaches the traffic. One interface, one conformance
 * suite (router.conformance in test/integration) run against each.
 *  - `gatewayAPI`: an HTTPRoute named after the rollout with two weighted backendRefs (the
 *    `-stable` and `-canary` Services), and a header match rule ahead of them for
 *    `setHeaderRoute`. The controller owns the whole route (server-side apply, its own field
 *    manager), so nothing else fights over the weights.
 *  - `nginx`: a copy of the service's Ingress named `<ingress>-canary`, pointing at the `-canary`
 *    Service, with `nginx.ingress.kubernetes.io/canary: "true"` and `canary-weight` (and
 *    `canary-by-header`/`canary-by-header-value` for `setHeaderRoute`), as ingress-nginx expects.
 *  - `istio` (opt-in): a DestinationRule with `stable`/`canary` subsets (by the track label) and a
 *    VirtualService weighting them, a header-match route ahead for `setHeaderRoute`.
 *  - `replicas` (no router): the weight is approximated by the ratio of canary to stable pods
 *    behind the service's own Service, and the rollout's status says so.
 */
import type { KubeClient, LiveObject } from '../kube/index.ts';
import { canonicalJson } from '../manifest/index.ts';
import { notFound } from '../errors/index.ts';
import type { ServiceRollout } from './types.ts';

export const CONTROLLER_MANAGER = 'slipway-controller';

export interface HeaderRoute {
  readonly name: string;
  readonly value: string;
}

export interface TrafficRouter {
  /** `gatewayAPI`, `replicas`… (status.routing). */
  readonly name: string;
  /** Objects the router needs besides the route (the stable and canary Services). */
  prepare(ro: ServiceRollout): Promise<void>;
  /** Sends `weight`% to the canary (and requests matching `header` always), atomically. */
  setWeight(ro: ServiceRollout, weight: number, header: HeaderRoute | undefined): Promise<void>;
  /** The weight the route carries now, as the apiserver stores it (undefined: no route). */
  currentWeight(ro: ServiceRollout): Promise<number | undefined>;
}

export const stableName = (ro: ServiceRollout): string => `${ro.metadata.name ?? ''}-stable`;
export const canaryName = (ro: ServiceRollout): string => `${ro.metadata.name ?? ''}-canary`;
export const TRACK_LABEL = 'slipway.dev/track';

/** An owner reference to the rollout, so that deleting it garbage-collects what it made. */
export function ownedBy(ro: ServiceRollout): Record<string, unknown>[] {
  const uid = (ro.metadata as { uid?: string }).uid;
  return uid ? [{ apiVersion: ro.apiVersion, kind: ro.kind, name: ro.metadata.name, uid, controller: true, blockOwnerDeletion: true }] : [];
}

class GatewayApiRouter implements TrafficRouter {
  readonly name = 'gatewayAPI';
  private readonly client: KubeClient;
  constructor(client: KubeClient) {
    this.client = client;
  }

  prepare(ro: ServiceRollout): Promise<void> {
    return prepareServices(this.client, ro, ro.spec.trafficRouting?.gatewayAPI?.port ?? 80);
  }

  async setWeight(ro: ServiceRollout, weight: number, header: HeaderRoute | undefined): Promise<void> {
    const gw = ro.spec.trafficRouting?.gatewayAPI;
    if (!gw) return;
    const backend = (name: string, w: number): Record<string, unknown> => ({ group: '', kind: 'Service', name, port: gw.port, weight: w });
    const rules: Record<string, unknown>[] = [];
    if (header) rules.push({ matches: [{ headers: [{ type: 'Exact', name: header.name, value: header.value }] }], backendRefs: [backend(canaryName(ro), 1)] });
    rules.push({ backendRefs: [backend(stableName(ro), 100 - weight), backend(canaryName(ro), weight)] });
    await this.client.apply(
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: ro.metadata.name ?? '', namespace: ro.metadata.namespace ?? 'default', labels: ro.spec.selector.matchLabels, ownerReferences: ownedBy(ro) },
        spec: { parentRefs: gw.parentRefs, ...(gw.hostnames ? { hostnames: gw.hostnames } : {}), rules },
      },
      { force: true, fieldManager: CONTROLLER_MANAGER },
    );
  }

  async currentWeight(ro: ServiceRollout): Promise<number | undefined> {
    const route = await this.client.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ro.metadata.namespace, name: ro.metadata.name ?? '' });
    return route ? canaryWeightOf(route, canaryName(ro)) : undefined;
  }
}

/** The Services `-stable` and `-canary` a router sends traffic to (written only when missing or different). */
/**
 * The rollouts (uid, generation, port) whose Services this process has already checked: a rollout
 * reconciled many times per step does not GET both Services every time. Process memory only: a
 * restarted controller checks again, and so does a new generation.
 */
const prepared = new Map<string, string>();

async function prepareServices(client: KubeClient, ro: ServiceRollout, port: number): Promise<void> {
  const uid = (ro.metadata as { uid?: string }).uid ?? '';
  const mark = `${String((ro.metadata as { generation?: number }).generation ?? 0)}|${port}`;
  if (uid !== '' && prepared.get(uid) === mark) return;
  await ensureServices(client, ro, port);
  if (uid !== '') prepared.set(uid, mark);
  if (prepared.size > 10_000) prepared.delete(prepared.keys().next().value ?? '');
}

async function ensureServices(client: KubeClient, ro: ServiceRollout, port: number): Promise<void> {
  for (const [name, track] of [[stableName(ro), 'stable'], [canaryName(ro), 'canary']] as const) {
    const live = await client.get({ apiVersion: 'v1', kind: 'Service', namespace: ro.metadata.namespace ?? 'default', name });
    const spec = live?.['spec'] as { selector?: Record<string, string>; ports?: { port?: number }[] } | undefined;
    const selector = { ...ro.spec.selector.matchLabels, [TRACK_LABEL]: track };
    if (spec && canonicalJson(spec.selector) === canonicalJson(selector) && spec.ports?.[0]?.port === port) continue;
    await client.apply(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ro.metadata.namespace ?? 'default', labels: selector, ownerReferences: ownedBy(ro) },
        spec: { selector, ports: [{ name: 'http', port, targetPort: port, protocol: 'TCP' }] },
      },
      { force: true, fieldManager: CONTROLLER_MANAGER },
    );
  }
}

const NGINX = 'nginx.ingress.kubernetes.io';

class NginxRouter implements TrafficRouter {
  readonly name = 'nginx';
  private readonly client: KubeClient;
  constructor(client: KubeClient) {
    this.client = client;
  }

  prepare(ro: ServiceRollout): Promise<void> {
    return prepareServices(this.client, ro, ro.spec.trafficRouting?.nginx?.port ?? 80);
  }

  async setWeight(ro: ServiceRollout, weight: number, header: HeaderRoute | undefined): Promise<void> {
    const n = ro.spec.trafficRouting?.nginx;
    if (!n) return;
    const ns = ro.metadata.namespace ?? 'default';
    const stable = await this.client.get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: ns, name: n.stableIngress });
    if (!stable) throw notFound(`Ingress ${ns}/${n.stableIngress} (trafficRouting.nginx.stableIngress) does not exist`, { cause: undefined, hint: 'deploy the service\'s Ingress first, or fix the name' });
    // The stable Ingress's rules, every backend of this service pointed at the canary Service.
    const service = ro.metadata.name ?? '';
    const spec = JSON.parse(JSON.stringify(stable['spec'] ?? {}).replaceAll(`"name":"${service}"`, `"name":"${canaryName(ro)}"`).replaceAll(`"name":"${stableName(ro)}"`, `"name":"${canaryName(ro)}"`)) as Record<string, unknown>;
    const annotations: Record<string, string> = { [`${NGINX}/canary`]: 'true', [`${NGINX}/canary-weight`]: String(weight) };
    if (header) Object.assign(annotations, { [`${NGINX}/canary-by-header`]: header.name, [`${NGINX}/canary-by-header-value`]: header.value });
    await this.client.apply(
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `${n.stableIngress}-canary`, namespace: ns, labels: ro.spec.selector.matchLabels, annotations, ownerReferences: ownedBy(ro) }, spec: { ...spec, tls: undefined } },
      { force: true, fieldManager: CONTROLLER_MANAGER },
    );
  }

  async currentWeight(ro: ServiceRollout): Promise<number | undefined> {
    const n = ro.spec.trafficRouting?.nginx;
    if (!n) return undefined;
    const ing = await this.client.get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: ro.metadata.namespace ?? 'default', name: `${n.stableIngress}-canary` });
    const w = ing?.metadata.annotations?.[`${NGINX}/canary-weight`];
    return w === undefined ? undefined : Number(w);
  }
}

class IstioRouter implements TrafficRouter {
  readonly name = 'istio';
  private readonly client: KubeClient;
  constructor(client: KubeClient) {
    this.client = client;
  }

  async prepare(ro: ServiceRollout): Promise<void> {
    const ns = ro.metadata.namespace ?? 'default';
    const name = ro.metadata.name ?? '';
    const subsets = ['stable', 'canary'].map((track) => ({ name: track, labels: { [TRACK_LABEL]: track } }));
    const live = await this.client.get({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', namespace: ns, name });
    if (live && canonicalJson((live['spec'] as { subsets?: unknown } | undefined)?.subsets) === canonicalJson(subsets)) return;
    await this.client.apply(
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns, labels: ro.spec.selector.matchLabels, ownerReferences: ownedBy(ro) }, spec: { host: name, subsets } },
      { force: true, fieldManager: CONTROLLER_MANAGER },
    );
  }

  async setWeight(ro: ServiceRollout, weight: number, header: HeaderRoute | undefined): Promise<void> {
    const istio = ro.spec.trafficRouting?.istio;
    if (!istio) return;
    const name = ro.metadata.name ?? '';
    const to = (subset: string, w: number): Record<string, unknown> => ({ destination: { host: name, subset, port: { number: istio.port } }, weight: w });
    const http: Record<string, unknown>[] = [];
    if (header) http.push({ name: 'header-route', match: [{ headers: { [header.name]: { exact: header.value } } }], route: [to('canary', 100)] });
    http.push({ name: 'primary', route: [to('stable', 100 - weight), to('canary', weight)] });
    await this.client.apply(
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: ro.metadata.namespace ?? 'default', labels: ro.spec.selector.matchLabels, ownerReferences: ownedBy(ro) }, spec: { hosts: istio.hosts ?? [name], http } },
      { force: true, fieldManager: CONTROLLER_MANAGER },
    );
  }

  async currentWeight(ro: ServiceRollout): Promise<number | undefined> {
    const vs = await this.client.get({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: ro.metadata.namespace ?? 'default', name: ro.metadata.name ?? '' });
    const primary = ((vs?.['spec'] as { http?: { name?: string; route?: { destination?: { subset?: string }; weight?: number }[] }[] } | undefined)?.http ?? []).find((h) => h.name === 'primary');
    return primary ? (primary.route?.find((r) => r.destination?.subset === 'canary')?.weight ?? 0) : undefined;
  }
}

/** The canary backend's weight in the route's last (catch-all) rule. */
export function canaryWeightOf(route: LiveObject, canary: string): number | undefined {
  const rules = ((route['spec'] as { rules?: { matches?: unknown[]; backendRefs?: { name?: string; weight?: number }[] }[] } | undefined)?.rules ?? []).filter((r) => !r.matches || r.matches.length === 0 || JSON.stringify(r.matches) === '[{"path":{"type":"PathPrefix","value":"/"}}]');
  const last = rules.at(-1);
  const ref = last?.backendRefs?.find((b) => b.name === canary);
  return ref ? (ref.weight ?? 1) : last ? 0 : undefined;
}

class ReplicaRouter implements TrafficRouter {
  readonly name = 'replicas';
  prepare(): Promise<void> {
    return Promise.resolve();
  }
  setWeight(): Promise<void> {
    return Promise.resolve();
  }
  currentWeight(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }
}

/** The router a rollout's spec asks for. */
export function routerFor(client: KubeClient, ro: ServiceRollout): TrafficRouter {
  if (ro.spec.trafficRouting?.gatewayAPI) return new GatewayApiRouter(client);
  if (ro.spec.trafficRouting?.nginx) return new NginxRouter(client);
  if (ro.spec.trafficRouting?.istio) return new IstioRouter(client);
  return new ReplicaRouter();
}
