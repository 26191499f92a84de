/**
 * The service's SLOs gate canary and blue-green releases with no analysis configuration: the
 * ServiceRollout comes from handOver (what `slipway deploy` does with a rendered Deployment), the
 * reconciler runs against an in-memory apiserver, and a fake Prometheus answers the SLO queries
 * per set of pods. The clock is faked (Date only), so measurements due every second are taken
 * without waiting; the scheduling itself is the real one (from the status' timestamps).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { strategyAnnotations, workloadStrategyOf, type StrategySpec } from '../appspec/index.ts';
import type { ReconcileResult } from '../controller/index.ts';
import type { LiveObject } from '../kube/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import { versionName } from './bluegreen.ts';
import { handOver } from './handover.ts';
import { FakePrometheus, MemoryApi, memoryContext, reconcileOnce, type PromAnswer, type SloQuery } from './testing.ts';
import { REQUEST_ANNOTATIONS, type ServiceRollout, type ServiceRolloutStatusT } from './types.ts';
import { templateHash } from './run.ts';

const prom = new FakePrometheus();
beforeAll(() => prom.start());
afterAll(() => prom.stop());
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.parse('2026-01-01T00:00:00Z'));
  prom.answer = () => 'empty';
});
afterEach(() => void vi.useRealTimers());

const SLO = { successRate: 99, latencyP95Ms: 200 };
const template = (image: string) => ({ metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image }] } });
const V1 = templateHash(template('api:1'));

/** What deploy hands to the controller for a service with `strategy` and the SLOs: the ServiceRollout, from the rendered Deployment's annotations. */
function handedOver(strategy: StrategySpec, image: string, slo: typeof SLO | undefined = SLO): ServiceRollout {
  const dep: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'shop', labels: { app: 'api' }, annotations: strategyAnnotations(workloadStrategyOf(strategy, slo ? { slo } : {})) },
    spec: { replicas: 4, selector: { matchLabels: { app: 'api' } }, template: template(image) },
  };
  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { selector: { app: 'api' }, ports: [{ port: 8080 }] } };
  const route: KubeObject = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'api', namespace: 'shop' }, spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'api', port: 8080 }] }] } };
  const objects = handOver([dep, svc, route].map((object) => ({ object })), (object) => ({ object })).map((d) => d.object);
  return objects.find((o) => o.kind === 'ServiceRollout') as ServiceRollout;
}

interface Env {
  readonly api: MemoryApi;
  readonly events: string[];
  /** What the last reconcile asked for (when to look again). */
  last(): ReconcileResult | undefined;
  /** Reconciles (the clock jumping to each requeue, at most 1 s, as the controller's queue would wake it) until `done` holds; the last status. */
  until(what: string, done: (st: ServiceRolloutStatusT) => boolean, max?: number): Promise<ServiceRolloutStatusT>;
  /** Reconciles `n` times, the clock advancing as in `until`. */
  run(n: number): Promise<ServiceRolloutStatusT>;
  /** A new spec (a deploy), or a request annotation (`slipway rollout promote`). */
  deploy(ro: ServiceRollout): void;
  request(annotation: string): void;
}

async function start(first: ServiceRollout): Promise<Env> {
  const api = new MemoryApi();
  api.put(first);
  const { ctx, events } = memoryContext(api);
  const status = () => api.rollout().status ?? {};
  let last: ReconcileResult | undefined;
  const step = async () => {
    const r = await reconcileOnce(ctx, prom.url);
    last = r;
    vi.setSystemTime(Date.now() + Math.min(Math.max(r?.requeueAfterMs ?? 1000, 1), 1000));
  };
  const env: Env = {
    api,
    events,
    last: () => last,
    async until(what, done, max = 80) {
      for (let i = 0; i < max; i++) {
        await step();
        if (done(status())) return status();
      }
      throw new Error(`${what}: not reached after ${max} reconciles; status ${JSON.stringify({ ...status(), analysis: undefined })}`);
    },
    async run(n) {
      for (let i = 0; i < n; i++) await step();
      return status();
    },
    deploy: (ro) => api.update(ro),
    request: (annotation) => {
      const ro = api.rollout();
      api.update({ ...ro, metadata: { ...ro.metadata, annotations: { ...ro.metadata.annotations, [annotation]: new Date().toISOString() } } });
    },
  };
  await env.until('first version', (st) => st.phase === 'Healthy');
  return env;
}

/** A fake Prometheus answer from the pods a query selects and what each set of pods serves. */
const servedBy = (perPods: (pods: string) => Partial<Record<SloQuery, PromAnswer>>) => (q: SloQuery, pods: string): PromAnswer => perPods(pods)[q] ?? (q === 'successRate' ? 0.999 : q === 'latencyP95Ms' ? 80 : 500);

const routeWeight = (o: LiveObject): number | undefined => (o['spec'] as { rules: { backendRefs: { name: string; weight: number }[] }[] }).rules.at(-1)?.backendRefs.find((b) => b.name === 'api-canary')?.weight;

describe('canary: background analysis of the SLOs with no configuration', () => {
  const CANARY: StrategySpec = { type: 'canary', canary: { steps: [{ setWeight: 20 }, { pause: { duration: '5s' } }, { setWeight: 50 }, { pause: { duration: '5s' } }] } };

  it('handOver: background analysis from the step after the first one with traffic, over the canary pods', () => {
    expect(handedOver(CANARY, 'api:1').spec.strategy.canary?.analysis).toMatchObject({ startingStep: 1, metrics: [{ name: 'success-rate' }, { name: 'latency-p95' }] });
  });

  it('a bad canary (success rate 0.8) aborts at its first measurement: the route is 100% stable before the status records it', async () => {
    const env = await start(handedOver(CANARY, 'api:1'));
    prom.answer = servedBy((pods) => (pods.startsWith('api-canary') ? { successRate: 0.8 } : {}));
    env.deploy(handedOver(CANARY, 'api:2'));
    const st = await env.until('aborted', (s) => s.phase === 'Degraded');
    expect(st.currentStepIndex).toBe(1);
    expect(st.abortReason).toMatch(/^background analysis failed: success-rate: Failed/);
    expect(st.backgroundAnalysis?.metrics?.find((m) => m.name === 'success-rate')).toMatchObject({ phase: 'Failed', failed: 1, lastValue: '0.8' });
    const routed = env.api.writes.findLastIndex((w) => w.what === 'apply HTTPRoute' && routeWeight(w.object) === 0);
    const recorded = env.api.writes.findIndex((w) => w.what === 'status' && (w.object['status'] as ServiceRolloutStatusT).backgroundAnalysis?.phase === 'Failed');
    expect(routed).toBeGreaterThan(env.api.writes.findIndex((w) => w.what === 'apply HTTPRoute' && routeWeight(w.object) === 20));
    expect(recorded).toBeGreaterThan(routed);
    expect(env.events.some((e) => e.startsWith('Warning AnalysisMeasurement background analysis: success-rate Failed (value 0.8)'))).toBe(true);
  });

  it('a healthy canary promotes; nothing is measured before the canary has traffic; the run is recorded as passed before promotion', async () => {
    const env = await start(handedOver(CANARY, 'api:1'));
    prom.answer = servedBy(() => ({}));
    env.deploy(handedOver(CANARY, 'api:2'));
    const st = await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableImage === 'api:2');
    expect(st.backgroundAnalysis).toMatchObject({ phase: 'Successful', message: expect.stringMatching(/^passed before promotion/) as string });
    const m = st.backgroundAnalysis?.metrics ?? [];
    expect(m.map((x) => [x.name, x.failed, x.error])).toEqual([
      ['success-rate', 0, 0],
      ['latency-p95', 0, 0],
    ]);
    // Measured every second through both pauses (5 s each), never before the route sent the canary 20%.
    expect(m[0]?.successful).toBeGreaterThanOrEqual(10);
    const firstMeasured = env.api.writes.findIndex((w) => w.what === 'status' && ((w.object['status'] as ServiceRolloutStatusT).backgroundAnalysis?.metrics?.[0]?.measured ?? 0) > 0);
    const routed20 = env.api.writes.findIndex((w) => w.what === 'apply HTTPRoute' && routeWeight(w.object) === 20);
    expect(routed20).toBeGreaterThan(0);
    expect(firstMeasured).toBeGreaterThan(routed20);
    expect(prom.queries.every((q) => q.includes('pod=~"api-canary-[a-z0-9]+-[a-z0-9]+"'))).toBe(true);
    expect(env.events.some((e) => e.startsWith('Normal AnalysisPassed background analysis'))).toBe(true);
  });

  it.each<{ name: string; answer: Partial<Record<SloQuery, PromAnswer>>; phase: string; message: RegExp }>([
    { name: 'too little traffic (NoData)', answer: { requests: 3 }, phase: 'Paused', message: /not enough data, never a pass/ },
    { name: 'Prometheus failing (Error)', answer: { successRate: { status: 503 }, latencyP95Ms: { status: 503 }, requests: { status: 503 } }, phase: 'Paused', message: /measurements fail/ },
  ])('$name: never promoted; the steps done, it waits and then pauses; data back, it promotes', async (c) => {
    const steps: StrategySpec = { type: 'canary', canary: { steps: [{ setWeight: 100 }] } };
    const env = await start(handedOver(steps, 'api:1'));
    prom.answer = servedBy((pods) => (pods.startsWith('api-canary') ? c.answer : {}));
    env.deploy(handedOver(steps, 'api:2'));
    const waiting = await env.until('waiting at the gate', (s) => s.currentStepIndex === 1 && s.phase === 'Progressing' && /before promotion/.test(s.message ?? ''));
    // Waiting is never waiting for nothing: the next measurement is scheduled.
    expect(env.last()?.requeueAfterMs).toBeGreaterThan(0);
    expect(waiting.message).toMatch(/waiting for a Successful measurement of success-rate .*never promoted on missing data/);
    const paused = await env.until('paused', (s) => s.phase === 'Paused');
    expect(paused.message).toMatch(c.message);
    const later = await env.run(20);
    expect(later).toMatchObject({ phase: 'Paused', stableRevision: V1 });
    expect(env.api.get('Deployment', 'shop', 'api-stable')?.metadata.annotations?.['slipway.dev/revision']).toBe(V1);
    prom.answer = servedBy(() => ({}));
    const done = await env.until('promoted once data is back', (s) => s.phase === 'Healthy' && s.stableImage === 'api:2');
    expect(done.backgroundAnalysis?.phase).toBe('Successful');
  });

  it('`slipway rollout promote` promotes by hand at the gate, without a verdict', async () => {
    const steps: StrategySpec = { type: 'canary', canary: { steps: [{ setWeight: 50 }] } };
    const env = await start(handedOver(steps, 'api:1'));
    prom.answer = servedBy((pods) => (pods.startsWith('api-canary') ? { requests: 0 } : {}));
    env.deploy(handedOver(steps, 'api:2'));
    await env.until('paused on no data', (s) => s.phase === 'Paused');
    env.request(REQUEST_ANNOTATIONS.promote);
    await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableImage === 'api:2');
    expect(env.events.some((e) => e.startsWith('Normal AnalysisPassedByHand'))).toBe(true);
  });

  it('`slipway rollout promote --full` skips background analysis', async () => {
    const env = await start(handedOver(CANARY, 'api:1'));
    prom.answer = servedBy(() => ({ successRate: 0.1 }));
    const before = prom.queries.length;
    env.request(REQUEST_ANNOTATIONS.promoteFull);
    env.deploy({ ...handedOver(CANARY, 'api:2'), metadata: env.api.rollout().metadata });
    await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableImage === 'api:2');
    expect(prom.queries.length).toBe(before);
  });
});

describe('blue-green: pre- and post-promotion analysis of the SLOs with no configuration', () => {
  const BG: StrategySpec = { type: 'blueGreen', blueGreen: { autoPromote: true, scaleDownDelaySeconds: 30 } };
  const V2 = templateHash(template('api:2'));
  /** The revision the active Service `api` selects now. */
  const activeOf = (api: MemoryApi): string | undefined => (api.get('Service', 'shop', 'api')?.['spec'] as { selector?: Record<string, string> } | undefined)?.selector?.['slipway.dev/revision'];
  const podsOf = (rev: string) => `${versionName('api', rev)}-`;

  it('handOver: pre- and post-promotion analysis of the SLOs', () => {
    const bg = handedOver(BG, 'api:1').spec.strategy.blueGreen;
    expect(bg?.prePromotionAnalysis?.metrics.map((m) => m.name)).toEqual(['success-rate', 'latency-p95']);
    expect(bg?.postPromotionAnalysis?.metrics.map((m) => m.name)).toEqual(['success-rate', 'latency-p95']);
  });

  it('a preview that fails pre-promotion analysis aborts; the active Service never moves', async () => {
    const env = await start(handedOver(BG, 'api:1'));
    prom.answer = servedBy((pods) => (pods.startsWith(podsOf(V2)) ? { latencyP95Ms: 900 } : {}));
    env.deploy(handedOver(BG, 'api:2'));
    const st = await env.until('aborted', (s) => s.phase === 'Degraded');
    expect(st).toMatchObject({ stableRevision: V1, abortedRevision: V2 });
    expect(st.abortReason).toMatch(/^pre-promotion analysis failed: latency-p95: Failed/);
    expect(st.prePromotionAnalysis?.metrics?.find((m) => m.name === 'latency-p95')?.lastValue).toBe('900');
    const activeWrites = env.api.writes.filter((w) => w.what === 'apply Service' && w.object.metadata.name === 'api');
    expect(activeWrites.map((w) => (w.object['spec'] as { selector: Record<string, string> }).selector['slipway.dev/revision'])).toEqual([V1]);
    await env.run(40);
    expect(activeOf(env.api)).toBe(V1);
    expect(env.api.get('Deployment', 'shop', versionName('api', V2))).toBeUndefined();
  });

  it('a healthy preview: pre-promotion passes before the switch, post-promotion after it; the previous version keeps its pods until then', async () => {
    const env = await start(handedOver(BG, 'api:1'));
    prom.answer = servedBy(() => ({}));
    env.deploy(handedOver(BG, 'api:2'));
    const st = await env.until('promoted and analysed', (s) => s.phase === 'Healthy' && s.stableRevision === V2);
    expect(st.prePromotionAnalysis).toMatchObject({ revision: V2, phase: 'Successful' });
    expect(st.postPromotionAnalysis).toMatchObject({ revision: V2, phase: 'Successful' });
    expect(st.prePromotionAnalysis?.metrics?.[0]?.successful).toBe(10);
    // The switch came after the pre-promotion verdict; the post-promotion run started with it.
    const statusAt = (f: (s: ServiceRolloutStatusT) => boolean) => env.api.writes.findIndex((w) => w.what === 'status' && f(w.object['status'] as ServiceRolloutStatusT));
    const switched = env.api.writes.findIndex((w) => w.what === 'apply Service' && w.object.metadata.name === 'api' && (w.object['spec'] as { selector: Record<string, string> }).selector['slipway.dev/revision'] === V2);
    expect(switched).toBeGreaterThan(statusAt((s) => s.prePromotionAnalysis?.phase === 'Successful'));
    expect(switched).toBeGreaterThan(statusAt((s) => s.postPromotionAnalysis?.phase === 'Running' && s.stableRevision === V2));
    // The previous version kept its pods through the analysis; its scale-down counts from the verdict.
    const passedAt = Date.parse(st.postPromotionAnalysis?.metrics?.[0]?.measurements.at(-1)?.time ?? '');
    expect(Date.parse(st.scaleDownTime ?? '') - passedAt).toBeGreaterThanOrEqual(30_000);
    expect(env.api.get('Deployment', 'shop', versionName('api', V1))).toBeDefined();
    expect(env.events.filter((e) => e.startsWith('Normal AnalysisPassed'))).toHaveLength(2);
  });

  it('a version that goes bad after the switch is switched back by post-promotion analysis (the record first), Degraded', async () => {
    const env = await start(handedOver(BG, 'api:1'));
    // The new version serves errors only once it carries production traffic.
    prom.answer = servedBy((pods) => (pods.startsWith(podsOf(V2)) && activeOf(env.api) === V2 ? { successRate: 0.7 } : {}));
    env.deploy(handedOver(BG, 'api:2'));
    await env.until('switched', () => activeOf(env.api) === V2);
    const st = await env.until('switched back', (s) => s.phase === 'Degraded');
    expect(activeOf(env.api)).toBe(V1);
    expect(st).toMatchObject({ stableRevision: V1, abortedRevision: V2 });
    expect(st.abortReason).toMatch(/^post-promotion analysis failed: success-rate: Failed/);
    expect(st.prePromotionAnalysis?.phase).toBe('Successful');
    expect(st.postPromotionAnalysis).toMatchObject({ revision: V2, phase: 'Failed' });
    const recorded = env.api.writes.findIndex((w) => w.what === 'status' && (w.object['status'] as ServiceRolloutStatusT).postPromotionAnalysis?.phase === 'Failed');
    const back = env.api.writes.findLastIndex((w) => w.what === 'apply Service' && w.object.metadata.name === 'api');
    expect(back).toBeGreaterThan(recorded);
    expect(env.events.some((e) => e.startsWith('Warning SwitchedBack post-promotion analysis failed'))).toBe(true);
    // It stays switched back; the failed version loses its pods after the delay.
    await env.run(40);
    expect(activeOf(env.api)).toBe(V1);
    expect(env.api.rollout().status?.phase).toBe('Degraded');
    expect(env.api.get('Deployment', 'shop', versionName('api', V2))).toBeUndefined();
  });

  it('without autoPromote: pre-promotion passes, then it waits for `slipway rollout promote`', async () => {
    const manual: StrategySpec = { type: 'blueGreen' };
    const env = await start(handedOver(manual, 'api:1'));
    prom.answer = servedBy(() => ({}));
    env.deploy(handedOver(manual, 'api:2'));
    const paused = await env.until('waiting for promote', (s) => s.phase === 'Paused');
    expect(paused.message).toMatch(/pre-promotion analysis passed; waiting for `slipway rollout promote`/);
    await env.run(5);
    expect(activeOf(env.api)).toBe(V1);
    env.request(REQUEST_ANNOTATIONS.promote);
    await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableRevision === V2);
  });

  it('a preview without traffic (NoData) is never promoted automatically; `promote` switches by hand', async () => {
    const env = await start(handedOver(BG, 'api:1'));
    prom.answer = servedBy((pods) => (pods.startsWith(podsOf(V2)) ? { requests: 0 } : {}));
    env.deploy(handedOver(BG, 'api:2'));
    const paused = await env.until('paused', (s) => s.phase === 'Paused');
    expect(paused.message).toMatch(/pre-promotion analysis: not enough data, never a pass.*`slipway rollout promote` switches by hand/);
    await env.run(20);
    expect(activeOf(env.api)).toBe(V1);
    prom.answer = servedBy(() => ({}));
    env.request(REQUEST_ANNOTATIONS.promote);
    await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableRevision === V2);
  });

  it('with strategy.analysis: false nothing is measured (no gates in the spec)', () => {
    const bg = handedOver({ ...BG, analysis: false }, 'api:1').spec.strategy.blueGreen;
    expect(bg?.prePromotionAnalysis).toBeUndefined();
    expect(bg?.postPromotionAnalysis).toBeUndefined();
    expect(handedOver({ type: 'canary', analysis: false, canary: { steps: [{ setWeight: 10 }] } }, 'api:1').spec.strategy.canary?.analysis).toBeUndefined();
  });
});
