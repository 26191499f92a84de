/**
 * The service's SLOs gate canary and blue-green releases with no analysis configuration, end to
 * end: the ServiceRollout is what `slipway deploy` hands the controller for a rendered Deployment
 * whose slipway.yaml service declares `slo` and a strategy and nothing else (handOver of the
 * strategy annotations render writes), run by a real `slipway controller run` process against the
 * real local control plane and the cluster's real Prometheus, which scrapes the workload metrics
 * simulator (pods annotated `slipway.dev/simulate-metrics`). One namespace per test.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { strategyAnnotations, workloadStrategyOf, type StrategySpec } from '../../src/appspec/index.ts';
import { KubeClient, type LiveObject } from '../../src/kube/index.ts';
import type { KubeObject } from '../../src/manifest/index.ts';
import { INSTANCE_LABEL, handOver, templateHash, versionName, type ServiceRollout } from '../../src/rollout/index.ts';
import { testKubeconfigPath, testPrometheusUrl, useNamespace, waitFor, type TestNamespace } from './harness.ts';
import { HEALTHY_TRAFFIC as HEALTHY, cli, ensureCrds, getRollout, rollout, rolloutEvents, waitStatus, withController } from './rollout-harness.ts';

let prometheusUrl = '';

beforeAll(async () => {
  prometheusUrl = await testPrometheusUrl();
  await ensureCrds(testKubeconfigPath());
});

/** The service's SLOs in slipway.yaml: `slo: {successRate: 99, latencyP95Ms: 200}`. */
const SLO = { successRate: 99, latencyP95Ms: 200 };
const SIMULATE = 'slipway.dev/simulate-metrics';

interface Service {
  readonly name: string;
  readonly instance: string;
  readonly image: string;
  readonly simulate: string;
  readonly strategy: StrategySpec;
}

/**
 * What `slipway deploy` hands the controller for a service with `strategy` and the SLOs and no
 * analysis configuration: a Deployment carrying render's strategy annotations, its Service and
 * HTTPRoute, through handOver; labelled for this test's controller instance.
 */
function handedOver(ns: TestNamespace, s: Service): ServiceRollout {
  const base = rollout(ns, { name: s.name, image: s.image, steps: [{ setWeight: 100 }], instance: s.instance });
  const t = base.spec.template as { metadata: { labels: Record<string, string> } };
  const template = { ...base.spec.template, metadata: { ...t.metadata, annotations: { [SIMULATE]: s.simulate } } };
  const dep: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, namespace: ns.name, labels: { app: s.name }, annotations: strategyAnnotations(workloadStrategyOf(s.strategy, { slo: SLO })) },
    spec: { replicas: 4, selector: { matchLabels: { app: s.name } }, template },
  };
  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: s.name, namespace: ns.name }, spec: { selector: { app: s.name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
  const route: KubeObject = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: s.name, namespace: ns.name },
    spec: { parentRefs: [{ name: 'public', namespace: ns.name }], rules: [{ backendRefs: [{ name: s.name, port: 80 }] }] },
  };
  const ro = handOver([dep, svc, route].map((object) => ({ object })), (object) => ({ object }))
    .map((d) => d.object)
    .find((o): o is ServiceRollout => o.kind === 'ServiceRollout');
  if (!ro) throw new Error('handOver made no ServiceRollout');
  return { ...ro, metadata: { ...ro.metadata, labels: { ...ro.metadata.labels, [INSTANCE_LABEL]: s.instance } } };
}

/** A controller of its own instance that measures on the cluster's Prometheus. */
const withSloController = <T>(ns: TestNamespace, instance: string, f: (c: KubeClient) => Promise<T>): Promise<T> =>
  withController(ns, instance, (c) => f(c), { SLIPWAY_PROMETHEUS_URL: prometheusUrl });

const routeCanaryWeight = (route: LiveObject | undefined, name: string): number | undefined =>
  ((route?.['spec'] as { rules?: { backendRefs?: { name?: string; weight?: number }[] }[] } | undefined)?.rules?.at(-1)?.backendRefs ?? []).find((b) => b.name === `${name}-canary`)?.weight;

/** The revision the active Service `name` selects. */
async function activeRevision(c: KubeClient, ns: TestNamespace, name: string): Promise<string | undefined> {
  const svc = await c.get({ apiVersion: 'v1', kind: 'Service', namespace: ns.name, name });
  return (svc?.['spec'] as { selector?: Record<string, string> } | undefined)?.selector?.['slipway.dev/revision'];
}

const STEPS: StrategySpec = { type: 'canary', canary: { steps: [{ setWeight: 20 }, { pause: { duration: '5s' } }, { setWeight: 50 }, { pause: { duration: '5s' } }] } };

describe('canary with SLOs and no analysis steps: errorRate=0.2 aborts', () => {
  const ns = useNamespace('slo-canary-bad');
  it('background analysis fails on the canary pods and aborts: all traffic back on stable', async () => {
    const svc = { name: 'slo-bad', instance: 'slo-bad', strategy: STEPS };
    await withSloController(ns(), svc.instance, async (c) => {
      const v1 = handedOver(ns(), { ...svc, image: 'registry.example/web:1', simulate: HEALTHY });
      // Zero configuration: the SLO metrics, measured in background from the step after the first with traffic.
      expect(v1.spec.strategy.canary?.analysis).toMatchObject({ startingStep: 1, metrics: [{ name: 'success-rate' }, { name: 'latency-p95' }] });
      expect(v1.spec.strategy.canary?.steps.some((s) => s.analysis !== undefined)).toBe(false);
      await c.apply(v1);
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy', { name: svc.name });
      await c.apply(handedOver(ns(), { ...svc, image: 'registry.example/web:2', simulate: 'rps=50,errorRate=0.2,latencyP95Ms=80' }));
      const routeWeight = async () => routeCanaryWeight(await c.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns().name, name: svc.name }), svc.name) ?? 0;
      await waitFor(async () => ((await routeWeight()) > 0 ? true : undefined), { what: 'canary traffic', timeoutMs: 60_000, intervalMs: 50 });
      const stableAt = await waitFor(async () => ((await routeWeight()) === 0 ? Date.now() : undefined), { what: 'route back to 100% stable', timeoutMs: 60_000, intervalMs: 20 });
      const ro = await waitStatus(c, ns(), 'aborted', (r) => r.status?.phase === 'Degraded', { name: svc.name, timeoutMs: 30_000 });
      expect(ro.status?.abortReason).toMatch(/^background analysis failed: success-rate: Failed/);
      expect(ro.status?.stableImage).toBe('registry.example/web:1');
      const failed = ro.status?.backgroundAnalysis?.metrics?.find((m) => m.name === 'success-rate')?.measurements.findLast((m) => m.phase === 'Failed');
      // The canary's ~0.8, not the stable's ~1: a first window of ~100 requests at errorRate=0.2 varies by
      // ±0.04 (a full local CI run measured 0.9016), so the bound is 0.95, four deviations away.
      expect(Number(failed?.value)).toBeLessThan(0.95);
      process.stderr.write(`[slo-gating] background analysis: failing measurement (value ${failed?.value ?? '?'}) → route 100% stable: ${stableAt - Date.parse(failed?.time ?? '')} ms (observed by 20 ms polling)\n`);
      expect(await routeWeight()).toBe(0);
      const events = await rolloutEvents(c, ns(), svc.name);
      expect(events.some((e) => e.startsWith('AnalysisMeasurement: background analysis: success-rate Failed'))).toBe(true);
      expect(events.some((e) => e.startsWith('Aborted:'))).toBe(true);
    });
  });
});

describe('canary with SLOs and no analysis steps: a healthy one promotes', () => {
  const ns = useNamespace('slo-canary-ok');
  it('measured in background through the steps; promoted once every metric has a passing measurement', async () => {
    const svc = { name: 'slo-ok', instance: 'slo-ok', strategy: STEPS };
    await withSloController(ns(), svc.instance, async (c) => {
      await c.apply(handedOver(ns(), { ...svc, image: 'registry.example/web:1', simulate: HEALTHY }));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy', { name: svc.name });
      await c.apply(handedOver(ns(), { ...svc, image: 'registry.example/web:2', simulate: HEALTHY }));
      const ro = await waitStatus(c, ns(), 'v2 promoted', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:2', { name: svc.name, timeoutMs: 110_000 });
      expect(ro.status?.abortReason).toBeUndefined();
      expect(ro.status?.backgroundAnalysis?.phase).toBe('Successful');
      expect(ro.status?.backgroundAnalysis?.message).toMatch(/^passed before promotion/);
      for (const m of ro.status?.backgroundAnalysis?.metrics ?? []) {
        expect(m.failed).toBe(0);
        expect(m.successful).toBeGreaterThan(0);
        expect(m.measurements.at(-1)?.phase).toBe('Successful');
      }
      const view = JSON.parse((await cli(ns(), 'rollout', 'status', svc.name, '-o', 'json')).out) as { analysis: { name: string; run: string; phase: string }[] };
      expect(view.analysis.map((m) => [m.run, m.name])).toEqual([
        ['background', 'success-rate'],
        ['background', 'latency-p95'],
      ]);
      const events = await rolloutEvents(c, ns(), svc.name);
      expect(events.some((e) => e.startsWith('AnalysisPassed: background analysis'))).toBe(true);
    });
  });
});

describe('blue-green with SLOs: a bad preview never switches', () => {
  const ns = useNamespace('slo-bg-pre');
  it('pre-promotion analysis fails on the preview pods and aborts; the active Service stays on v1', async () => {
    const svc = { name: 'bg-bad', instance: 'bg-bad', strategy: { type: 'blueGreen', blueGreen: { autoPromote: true, scaleDownDelaySeconds: 5 } } satisfies StrategySpec };
    await withSloController(ns(), svc.instance, async (c) => {
      const v1 = handedOver(ns(), { ...svc, image: 'registry.example/web:1', simulate: HEALTHY });
      expect(v1.spec.strategy.blueGreen?.prePromotionAnalysis?.metrics.map((m) => m.name)).toEqual(['success-rate', 'latency-p95']);
      await c.apply(v1);
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy', { name: svc.name });
      const rev1 = templateHash(v1.spec.template);
      expect(await activeRevision(c, ns(), svc.name)).toBe(rev1);
      const v2 = handedOver(ns(), { ...svc, image: 'registry.example/web:2', simulate: 'rps=50,errorRate=0.2,latencyP95Ms=80' });
      await c.apply(v2);
      // Every look at the active Service until the abort: still v1.
      const seen = new Set<string | undefined>();
      const ro = await waitFor(
        async () => {
          seen.add(await activeRevision(c, ns(), svc.name));
          const r = await getRollout(c, ns(), svc.name);
          return r.status?.phase === 'Degraded' ? r : undefined;
        },
        { what: 'aborted by pre-promotion analysis', timeoutMs: 90_000, intervalMs: 100 },
      );
      expect([...seen]).toEqual([rev1]);
      expect(ro.status).toMatchObject({ stableRevision: rev1, abortedRevision: templateHash(v2.spec.template) });
      expect(ro.status?.abortReason).toMatch(/^pre-promotion analysis failed: success-rate: Failed/);
      expect(ro.status?.prePromotionAnalysis?.phase).toBe('Failed');
      expect(ro.status?.postPromotionAnalysis).toBeUndefined();
      // After the abort's scale-down delay the preview is gone, and the active Service never moved.
      await waitFor(async () => ((await c.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns().name, name: versionName(svc.name, templateHash(v2.spec.template)) })) === undefined ? true : undefined), { what: 'preview removed', timeoutMs: 30_000 });
      expect(await activeRevision(c, ns(), svc.name)).toBe(rev1);
      const text = (await cli(ns(), 'rollout', 'status', svc.name)).out;
      expect(text).toMatch(/pre-promotion success-rate .* Failed/);
    });
  });
});

describe('blue-green with SLOs: a version that goes bad after the switch is switched back', () => {
  const ns = useNamespace('slo-bg-post');
  it('post-promotion analysis fails on the new active pods; the active Service goes back to v1, Degraded', async () => {
    const svc = { name: 'bg-post', instance: 'bg-post', strategy: { type: 'blueGreen', blueGreen: { autoPromote: false, scaleDownDelaySeconds: 30 } } satisfies StrategySpec };
    await withSloController(ns(), svc.instance, async (c) => {
      const v1 = handedOver(ns(), { ...svc, image: 'registry.example/web:1', simulate: HEALTHY });
      await c.apply(v1);
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy', { name: svc.name });
      const [rev1, v2] = [templateHash(v1.spec.template), handedOver(ns(), { ...svc, image: 'registry.example/web:2', simulate: HEALTHY })];
      const rev2 = templateHash(v2.spec.template);
      await c.apply(v2);
      const ready = await waitStatus(c, ns(), 'pre-promotion passed, waiting for promote', (r) => r.status?.phase === 'Paused' && r.status.prePromotionAnalysis?.phase === 'Successful', { name: svc.name, timeoutMs: 90_000 });
      expect(ready.status?.message).toContain('waiting for `slipway rollout promote`');
      expect(await activeRevision(c, ns(), svc.name)).toBe(rev1);
      expect((await cli(ns(), 'rollout', 'promote', svc.name)).code).toBe(0);
      await waitFor(async () => ((await activeRevision(c, ns(), svc.name)) === rev2 ? true : undefined), { what: 'the switch to v2', timeoutMs: 30_000, intervalMs: 50 });
      // v2 goes bad once it carries production traffic: the simulator follows its pods' annotation from now on.
      const pods = await c.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns().name, labelSelector: `app=${svc.name},slipway.dev/revision=${rev2}` });
      expect(pods.length).toBe(4);
      for (const p of pods) await c.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: p.metadata.name ?? '', namespace: ns().name, annotations: { [SIMULATE]: 'rps=50,errorRate=0.5,latencyP95Ms=80' } } }, { fieldManager: 'slo-gating-test', force: true });
      const ro = await waitStatus(c, ns(), 'switched back', (r) => r.status?.phase === 'Degraded', { name: svc.name, timeoutMs: 60_000 });
      // The record is written first, the switch right after it (crash-safe, as undo).
      const backAt = await waitFor(async () => ((await activeRevision(c, ns(), svc.name)) === rev1 ? Date.now() : undefined), { what: 'the active Service back on v1', timeoutMs: 10_000, intervalMs: 20 });
      const failed = ro.status?.postPromotionAnalysis?.metrics?.find((m) => m.name === 'success-rate')?.measurements.findLast((m) => m.phase === 'Failed');
      process.stderr.write(`[slo-gating] post-promotion: failing measurement (value ${failed?.value ?? '?'}) → active Service back on v1: ${backAt - Date.parse(failed?.time ?? '')} ms (observed by 20 ms polling)\n`);
      expect(ro.status).toMatchObject({ stableRevision: rev1, abortedRevision: rev2 });
      expect(ro.status?.abortReason).toMatch(/^post-promotion analysis failed: success-rate: Failed/);
      expect(ro.status?.postPromotionAnalysis).toMatchObject({ revision: rev2, phase: 'Failed' });
      const events = await rolloutEvents(c, ns(), svc.name);
      expect(events.some((e) => e.startsWith('SwitchedBack: post-promotion analysis failed'))).toBe(true);
      const view = JSON.parse((await cli(ns(), 'rollout', 'status', svc.name, '-o', 'json')).out) as { phase: string; analysis: { run: string; name: string; phase: string }[] };
      expect(view.phase).toBe('Degraded');
      expect(view.analysis.filter((m) => m.run === 'post-promotion' && m.name === 'success-rate').map((m) => m.phase)).toEqual(['Failed']);
    });
  });
});
