import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { handOver, plannedPauseMs } from './handover.ts';
import type { ServiceRolloutSpecT } from './types.ts';

const dep = (annotations: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api', namespace: 'shop', labels: { app: 'api' }, annotations },
  spec: { replicas: 3, progressDeadlineSeconds: 120, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:2' }] } } },
});
const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { selector: { app: 'api' }, ports: [{ port: 8080 }] } };
const route: KubeObject = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'api', namespace: 'shop' }, spec: { parentRefs: [{ name: 'public' }], hostnames: ['api.example.com'], rules: [{ backendRefs: [{ name: 'api', port: 8080 }] }] } };
const hpa: KubeObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'api', namespace: 'shop' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }, minReplicas: 2, maxReplicas: 5 } };
const canary = { 'slipway.dev/strategy': 'canary', 'slipway.dev/strategy-steps': '[{"setWeight":20},{"pause":{"duration":"15m"}},{"analysis":{"count":3}},{"setWeight":50},{"pause":{}}]' };

const run = (objects: KubeObject[]): KubeObject[] => handOver(objects.map((object) => ({ object })), (object) => ({ object })).map((d) => d.object);

describe('handOver: deploy gives canary services to the controller', () => {
  it('a rolling Deployment stays as it is', () => {
    const objects = [dep({}), svc, route];
    expect(run(objects)).toEqual(objects);
  });

  it('a canary Deployment becomes a ServiceRollout with its template, replicas and steps; its route becomes Gateway API routing', () => {
    const out = run([dep(canary), svc, route, hpa]);
    expect(out.map((o) => `${o.kind}/${o.metadata.name ?? ''}`)).toEqual(['ServiceRollout/api', 'Service/api', 'HorizontalPodAutoscaler/api']);
    const ro = out[0] as KubeObject & { spec: Record<string, unknown> };
    expect(ro.metadata).toEqual({ name: 'api', namespace: 'shop', labels: { app: 'api' } });
    expect(ro.spec).toEqual({
      replicas: 3,
      selector: { matchLabels: { app: 'api' } },
      template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:2' }] } },
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '15m' } }, { analysis: { count: 3 } }, { setWeight: 50 }, { pause: {} }], progressDeadlineSeconds: 120 } },
      trafficRouting: { gatewayAPI: { parentRefs: [{ name: 'public' }], hostnames: ['api.example.com'], port: 8080 } },
    });
    expect((out[2]?.['spec'] as { scaleTargetRef: unknown }).scaleTargetRef).toEqual({ apiVersion: 'slipway.dev/v1alpha1', kind: 'ServiceRollout', name: 'api' });
  });

  it('an Ingress of class nginx becomes NGINX routing (the Ingress stays: the router adds a canary Ingress next to it)', () => {
    const ing: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'api-public', namespace: 'shop' }, spec: { ingressClassName: 'nginx', rules: [{ host: 'api.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 8080 } } } }] } }] } };
    const out = run([dep(canary), svc, ing]);
    expect(out.map((o) => o.kind)).toEqual(['ServiceRollout', 'Service', 'Ingress']);
    expect((out[0]?.['spec'] as Record<string, unknown>)['trafficRouting']).toEqual({ nginx: { stableIngress: 'api-public', port: 8080 } });
  });

  it('without a route the rollout has no traffic routing (the replica ratio approximates the weight)', () => {
    const out = run([dep(canary), svc]);
    expect((out[0]?.['spec'] as Record<string, unknown>)['trafficRouting']).toBeUndefined();
    expect(out).toHaveLength(2);
  });

  it('the SLOs its analysis steps check become metrics over the canary pods (zero configuration), with the service\'s metric names', () => {
    const out = run([dep({ ...canary, 'slipway.dev/strategy-analysis': '{"latencyP95Ms":120,"names":{"requests":"reqs_total"},"successRate":99.5}' }), svc]);
    const analysis = ((out[0]?.['spec'] as ServiceRolloutSpecT).strategy.canary?.analysis ?? {}) as { metrics?: { name: string; successCondition?: string; provider: { prometheus?: { query: string } } }[] };
    expect(analysis.metrics?.map((m) => [m.name, m.successCondition])).toEqual([
      ['success-rate', 'result >= 0.995'],
      ['latency-p95', 'result <= 120'],
    ]);
    expect(analysis.metrics?.[0]?.provider.prometheus?.query).toContain('reqs_total{namespace="{{namespace}}",pod=~"{{pods}}"');
    // Without the annotation (no analysis step, or no SLO), no metrics: an analysis step would wait, never pass.
    expect((run([dep(canary), svc])[0]?.['spec'] as ServiceRolloutSpecT).strategy.canary?.analysis).toBeUndefined();
  });

  it.each<[string, string, Record<string, unknown> | undefined]>([
    ['no analysis step: background analysis once the first step with traffic is done', '[{"pause":{"duration":"1m"}},{"setWeight":0},{"setWeight":20},{"pause":{}},{"setWeight":50}]', { startingStep: 3 }],
    ['traffic from the first step', '[{"setWeight":100}]', { startingStep: 1 }],
    ['explicit analysis steps win: they check the SLOs, no background analysis', '[{"setWeight":20},{"analysis":{"count":3}}]', {}],
    ['steps that never send the canary traffic: nothing to measure', '[{"setCanaryScale":{"replicas":1}},{"pause":{}}]', undefined],
  ])('SLOs with zero configuration: %s', (_n, steps, want) => {
    const out = run([dep({ 'slipway.dev/strategy': 'canary', 'slipway.dev/strategy-steps': steps, 'slipway.dev/strategy-analysis': '{"successRate":99}' }), svc]);
    const analysis = (out[0]?.['spec'] as ServiceRolloutSpecT).strategy.canary?.analysis;
    expect(analysis).toEqual(want === undefined ? undefined : { metrics: [expect.objectContaining({ name: 'success-rate', successCondition: 'result >= 0.99' })], ...want });
  });

  it('a malformed analysis annotation is an input error naming it', () => {
    expect(() => run([dep({ ...canary, 'slipway.dev/strategy-analysis': '{"successRate":500}' })])).toThrow(/slipway\.dev\/strategy-analysis/);
  });

  it('malformed steps are an input error naming the object and the annotation', () => {
    expect(() => run([dep({ 'slipway.dev/strategy': 'canary', 'slipway.dev/strategy-steps': '[{"setWeight": 500}]' })])).toThrow(/Deployment api.*slipway\.dev\/strategy-steps/s);
  });
});

describe('handOver: deploy gives blue-green services and their Service to the controller', () => {
  const bg = { 'slipway.dev/strategy': 'blueGreen', 'slipway.dev/strategy-blue-green': '{"autoPromote":true,"autoPromotionSeconds":60,"scaleDownDelaySeconds":45}' };
  const lb: KubeObject = { ...svc, spec: { type: 'LoadBalancer', clusterIP: '10.0.0.9', selector: { app: 'api' }, ports: [{ port: 8080, nodePort: 30080 }] } };

  it('the Deployment becomes a blue-green ServiceRollout; the Service becomes its active Service (without selector or clusterIP); routes stay', () => {
    const out = run([dep(bg), lb, route, hpa]);
    expect(out.map((o) => `${o.kind}/${o.metadata.name ?? ''}`)).toEqual(['ServiceRollout/api', 'HTTPRoute/api', 'HorizontalPodAutoscaler/api']);
    expect((out[0]?.['spec'] as Record<string, unknown>)['strategy']).toEqual({
      blueGreen: { activeService: 'api', previewService: 'api-preview', service: { type: 'LoadBalancer', ports: [{ port: 8080, nodePort: 30080 }] }, autoPromote: true, autoPromotionSeconds: 60, scaleDownDelaySeconds: 45, progressDeadlineSeconds: 120 },
    });
    expect((out[0]?.['spec'] as Record<string, unknown>)['trafficRouting']).toBeUndefined();
  });

  it('the SLOs gate the switch (pre-promotion, on the preview pods) and its outcome (post-promotion, switching back on failure)', () => {
    const out = run([dep({ ...bg, 'slipway.dev/strategy-analysis': '{"latencyP95Ms":300,"successRate":99.9}' }), lb]);
    const b = (out[0]?.['spec'] as ServiceRolloutSpecT).strategy.blueGreen;
    for (const gate of [b?.prePromotionAnalysis, b?.postPromotionAnalysis]) {
      expect(gate?.metrics.map((m) => [m.name, m.successCondition])).toEqual([
        ['success-rate', 'result >= 0.999'],
        ['latency-p95', 'result <= 300'],
      ]);
    }
  });

  it('without a Service there is nothing to switch: an input error that says what to add', () => {
    expect(() => run([dep(bg)])).toThrow(/blue-green needs a Service that selects its pods/);
  });
});

describe('handOver: several progressive services in one deploy are one release', () => {
  const named = (name: string, annotations: Record<string, string>): KubeObject => {
    const d = dep(annotations);
    return { ...d, metadata: { ...d.metadata, name } };
  };
  const spec = (o: KubeObject | undefined): { release?: { id: string; members: string[]; after: string[] } } => (o?.['spec'] ?? {});

  it('each gets the release id, the members, and the members it depends on', () => {
    const out = run([named('db', canary), named('api', { ...canary, 'slipway.dev/depends-on': 'cache,db' })]);
    const [db, api] = [spec(out[0]).release, spec(out[1]).release];
    expect(db?.id).toMatch(/^[0-9a-f]{10}$/);
    expect(api?.id).toBe(db?.id);
    expect(db).toEqual({ id: db?.id, members: ['api', 'db'], after: [] });
    // cache is not a progressive service of this deploy: nothing to wait for.
    expect(api).toEqual({ id: db?.id, members: ['api', 'db'], after: ['db'] });
    expect(out[1]?.metadata.annotations).toEqual({ 'slipway.dev/depends-on': 'cache,db' });
  });

  it.each<[string, KubeObject[], boolean]>([
    ['the same deploy again: the same release', [named('db', canary), named('api', canary)], true],
    ['another template: another release', [named('db', canary), { ...named('api', canary), spec: { ...(named('api', canary)['spec'] as object), template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'api:3' }] } } } }], false],
  ])('%s', (_n, objects, same) => {
    const a = spec(run([named('db', canary), named('api', canary)])[0]).release?.id;
    expect(spec(run(objects)[0]).release?.id === a).toBe(same);
  });

  it('a single progressive service is no release', () => {
    expect(spec(run([dep(canary), svc])[0]).release).toBeUndefined();
  });
});

describe('plannedPauseMs: what deploy --wait adds to its default timeout', () => {
  it.each<[string, Record<string, string>, number]>([
    ['timed pauses add up; an indefinite one adds nothing (deploy returns on Suspended)', { 'slipway.dev/strategy': 'canary', 'slipway.dev/strategy-steps': '[{"setWeight":10},{"pause":{"duration":"15m"}},{"setWeight":50},{"pause":{"duration":"10m"}},{"pause":{}}]' }, 25 * 60_000],
    ['blue-green with autoPromote waits autoPromotionSeconds', { 'slipway.dev/strategy': 'blueGreen', 'slipway.dev/strategy-blue-green': '{"autoPromote":true,"autoPromotionSeconds":90,"scaleDownDelaySeconds":30}' }, 90_000],
    ['a rolling Deployment: nothing', {}, 0],
  ])('%s', (_n, annotations, want) => {
    expect(plannedPauseMs(run([dep(annotations), svc]))).toBe(want);
  });
});

describe('handOver: every canary step and Istio from slipway.yaml', () => {
  const steps = '[{"setHeaderRoute":{"name":"x-canary","value":"1"}},{"setCanaryScale":{"replicas":1}},{"setWeight":20},{"setCanaryScale":{"matchTrafficWeight":true}}]';
  it('setHeaderRoute and setCanaryScale become ServiceRollout steps', () => {
    const out = run([dep({ 'slipway.dev/strategy': 'canary', 'slipway.dev/strategy-steps': steps }), svc]);
    expect(((out[0]?.['spec'] as { strategy: { canary: { steps: unknown } } }).strategy.canary.steps)).toEqual([
      { setHeaderRoute: { name: 'x-canary', value: '1' } },
      { setCanaryScale: { replicas: 1 } },
      { setWeight: 20 },
      { setCanaryScale: { matchTrafficWeight: true } },
    ]);
  });

  it('trafficRouting: istio routes through Istio on the Service port, even with an HTTPRoute (which stays)', () => {
    const out = run([dep({ ...canary, 'slipway.dev/strategy-traffic-routing': 'istio' }), svc, route]);
    expect(out.map((o) => o.kind)).toEqual(['ServiceRollout', 'Service', 'HTTPRoute']);
    expect((out[0]?.['spec'] as Record<string, unknown>)['trafficRouting']).toEqual({ istio: { port: 8080 } });
  });

  it.each<[string, Record<string, string>, KubeObject[], RegExp]>([
    ['an unknown router is an input error at its annotation', { ...canary, 'slipway.dev/strategy-traffic-routing': 'linkerd' }, [svc], /unknown traffic routing "linkerd"/],
    ['Istio without a Service has no port to weight', { ...canary, 'slipway.dev/strategy-traffic-routing': 'istio' }, [], /Istio traffic routing needs a Service with a port/],
    ['a routing annotation on blue-green is refused', { 'slipway.dev/strategy': 'blueGreen', 'slipway.dev/strategy-traffic-routing': 'istio' }, [svc], /slipway\.dev\/strategy-traffic-routing is given but the strategy is blueGreen/],
  ])('%s', (_n, annotations, rest, message) => {
    expect(() => run([dep(annotations), ...rest])).toThrow(message);
  });
});
