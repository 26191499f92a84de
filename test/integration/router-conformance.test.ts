/**
 * One conformance suite for the TrafficRouter interface, run against every router on the real
 * apiserver (Gateway API and Ingress schemas as the cluster serves them): the Services it needs,
 * every weight a canary goes through, a header route, and reading the weight back.
 */
import { describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/index.ts';
import { routerFor, type ServiceRollout } from '../../src/rollout/index.ts';
import { useNamespace, type TestNamespace } from './harness.ts';
import { rollout } from './rollout-harness.ts';

interface RouterCase {
  readonly name: string;
  readonly routing: (ns: TestNamespace) => ServiceRollout['spec']['trafficRouting'];
  /** Objects the router builds on (the service's own Ingress, say). */
  readonly given: (ns: TestNamespace) => Record<string, unknown>[];
  /** What `prepare` makes: the -stable/-canary Services, or Istio's DestinationRule. */
  readonly prepared: 'services' | 'destinationRule';
}

const CASES: readonly RouterCase[] = [
  { name: 'istio', routing: () => ({ istio: { port: 8080 } }), given: () => [], prepared: 'destinationRule' },
  { name: 'gatewayAPI', routing: (ns) => ({ gatewayAPI: { parentRefs: [{ name: 'public', namespace: ns.name }], hostnames: ['web.example.com'], port: 8080 } }), given: () => [], prepared: 'services' },
  {
    name: 'nginx',
    routing: () => ({ nginx: { stableIngress: 'web', port: 8080 } }),
    prepared: 'services',
    given: (ns) => [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'web', namespace: ns.name },
        spec: { ingressClassName: 'nginx', rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 8080 } } } }] } }] },
      },
    ],
  },
];

describe.each(CASES)('router $name', (rc) => {
  const ns = useNamespace(`router-${rc.name.toLowerCase()}`);

  it('conforms: services, weights 0 → 20 → 50 → 100 → 0 read back as written, a header route accepted by the apiserver', async () => {
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      for (const o of rc.given(ns())) await c.apply(o as never);
      const base = rollout(ns(), { image: 'registry.example/web:1', steps: [{ setWeight: 20 }], instance: 'conformance' });
      const ro = (await c.apply({ ...base, spec: { ...base.spec, trafficRouting: rc.routing(ns()) } })) as ServiceRollout;
      const router = routerFor(c, ro);
      expect(router.name).toBe(rc.name);
      await router.prepare(ro);
      const made = rc.prepared === 'services' ? { apiVersion: 'v1', kind: 'Service', namespace: ns().name, name: 'web-stable' } : { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', namespace: ns().name, name: 'web' };
      if (rc.prepared === 'services') {
        for (const track of ['stable', 'canary']) {
          const svc = await c.get({ apiVersion: 'v1', kind: 'Service', namespace: ns().name, name: `web-${track}` });
          expect((svc?.['spec'] as { selector: Record<string, string> }).selector).toEqual({ app: 'web', 'slipway.dev/track': track });
        }
      } else {
        const dr = await c.get(made);
        expect((dr?.['spec'] as { subsets: { name: string }[] }).subsets.map((x) => x.name)).toEqual(['stable', 'canary']);
      }
      for (const w of [0, 20, 50, 100, 0]) {
        await router.setWeight(ro, w, undefined);
        expect(await router.currentWeight(ro)).toBe(w);
      }
      await router.setWeight(ro, 20, { name: 'x-canary', value: 'always' });
      expect(await router.currentWeight(ro)).toBe(20);
      // Preparing again writes nothing: what it made is as wanted.
      const before = (await c.get(made))?.metadata['resourceVersion'];
      await router.prepare(ro);
      expect((await c.get(made))?.metadata['resourceVersion']).toBe(before);
    } finally {
      c.close();
    }
  });
});
