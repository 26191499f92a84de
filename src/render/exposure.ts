/**
 * How a service is reached from outside: an Ingress (networking.k8s.io/v1) or a Gateway API
 * HTTPRoute (gateway.networking.k8s.io/v1).
 * @see https://kubernetes.io/docs/concepts/services-networking/ingress/
 * @see https://gateway-api.sigs.k8s.io/api-types/httproute/
 */
import type { KubeObject } from '../manifest/index.ts';
import type { ExposureSpec, ServiceSpec } from '../appspec/index.ts';
import { meta, problem, standardLabels, warn, type RenderContext } from './context.ts';
import { exposureType, findPort } from './network.ts';

const DEFAULT_INGRESS_CLASS = 'nginx';

export function renderExposure(ctx: RenderContext, name: string, svc: ServiceSpec): KubeObject[] {
  const type = exposureType(svc);
  const e = svc.expose;
  if (type === 'internal' || e === undefined) return [];
  const path = `services.${name}.expose`;
  const port = findPort(svc, e.port);
  if (port === undefined) {
    if ((svc.ports ?? []).length > 0) problem(ctx, `${path}.port`, `unknown port "${String(e.port)}"`, { expected: 'a port name or number from ports', hint: 'name one of the ports the service declares' });
    return [];
  }
  const labels = standardLabels(ctx, { name, component: 'service' });
  const servicePort = port.servicePort ?? port.port;
  return type === 'gateway' ? [httpRoute(ctx, { name, path, e, servicePort, labels })] : [ingress(ctx, { name, e, portName: port.name, labels })];
}

function ingress(ctx: RenderContext, o: { name: string; e: ExposureSpec; portName: string; labels: Record<string, string> }): KubeObject {
  const { name, e } = o;
  const annotations: Record<string, string> = {};
  const tls: Record<string, unknown>[] = [];
  if (e.tls) {
    const secretName = e.tls.secretName ?? `${name}-tls`;
    if ('issuer' in e.tls) {
      // cert-manager's ingress-shim watches this annotation and issues the certificate into secretName.
      const kind = e.tls.issuerKind ?? 'ClusterIssuer';
      annotations[kind === 'ClusterIssuer' ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer'] = e.tls.issuer;
    }
    tls.push({ ...(e.host !== undefined ? { hosts: [e.host] } : {}), secretName });
  }
  if (e.rateLimit) {
    // ingress-nginx: per client IP; burst is expressed as a multiplier of the rate.
    annotations['nginx.ingress.kubernetes.io/limit-rps'] = String(e.rateLimit.rps);
    if (e.rateLimit.burst !== undefined) {
      annotations['nginx.ingress.kubernetes.io/limit-burst-multiplier'] = String(Math.max(1, Math.ceil(e.rateLimit.burst / e.rateLimit.rps)));
    }
  }
  const rule: Record<string, unknown> = {};
  if (e.host !== undefined) rule['host'] = e.host;
  rule['http'] = { paths: [{ path: e.path ?? '/', pathType: 'Prefix', backend: { service: { name, port: { name: o.portName } } } }] };
  const spec: Record<string, unknown> = { ingressClassName: e.className ?? DEFAULT_INGRESS_CLASS };
  if (tls.length > 0) spec['tls'] = tls;
  spec['rules'] = [rule];
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta(ctx, { name, labels: o.labels, annotations }), spec };
}

function httpRoute(ctx: RenderContext, o: { name: string; path: string; e: ExposureSpec; servicePort: number; labels: Record<string, string> }): KubeObject {
  const { name, e } = o;
  if (e.gateway === undefined) {
    problem(ctx, `${o.path}.gateway`, 'an HTTPRoute needs a parent Gateway', { expected: '{ name, namespace?, sectionName? }', hint: 'set expose.gateway.name' });
  }
  if (e.tls) warn(ctx, `services.${name}.expose.tls: TLS for an HTTPRoute is configured on its Gateway listener, not on the route; the tls setting is not rendered`);
  if (e.rateLimit) warn(ctx, `services.${name}.expose.rateLimit: rate limits are ingress-nginx annotations and have no HTTPRoute equivalent; not rendered`);
  const g = e.gateway;
  const parent: Record<string, unknown> = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: g?.name ?? '' };
  if (g?.namespace !== undefined) parent['namespace'] = g.namespace;
  if (g?.sectionName !== undefined) parent['sectionName'] = g.sectionName;
  const spec: Record<string, unknown> = { parentRefs: [parent] };
  if (e.host !== undefined) spec['hostnames'] = [e.host];
  spec['rules'] = [
    {
      matches: [{ path: { type: 'PathPrefix', value: e.path ?? '/' } }],
      backendRefs: [{ name, port: o.servicePort }],
    },
  ];
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta(ctx, { name, labels: o.labels }), spec };
}
