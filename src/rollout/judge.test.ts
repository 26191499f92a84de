/**
 * The statistical judge in the reconciler: the baseline Deployment (stable template, canary scale,
 * started with the canary, removed once judged or done), per-interval samples of both sides from a
 * fake Prometheus, the verdict's effect on the rollout (Pass goes on, Marginal pauses, Fail aborts
 * with the route at 100% stable first), errors, `promote` by hand, and scheduling from the status.
 * The clock is faked (Date only); the scheduling itself is the real one.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { strategyAnnotations, workloadStrategyOf } from '../appspec/index.ts';
import type { CanaryJudgeSettingsT } from '../analysis/index.ts';
import { handOver } from './handover.ts';
import type { LiveObject } from '../kube/index.ts';
import { FakePrometheus, MemoryApi, memoryContext, reconcileOnce, type PromAnswer } from './testing.ts';
import { API_VERSION, KIND, REQUEST_ANNOTATIONS, type ServiceRollout, type ServiceRolloutStatusT, type StepT } from './types.ts';

const prom = new FakePrometheus();
beforeAll(() => prom.start());
afterAll(() => prom.stop());
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.parse('2026-01-01T00:00:00Z'));
});
afterEach(() => void vi.useRealTimers());

const template = (image: string) => ({ metadata: { labels: { app: 'api' }, annotations: { 'slipway.dev/simulate-metrics': image } }, spec: { containers: [{ name: 'api', image }] } });

const METRICS: CanaryJudgeSettingsT['metrics'] = [
  { name: 'latency', query: 'latency{pod=~"{{pods}}"}[{{interval}}]', direction: 'increase', effectSize: { allowedIncrease: 1.1 } },
  { name: 'errors', query: 'errors{pod=~"{{pods}}"}[{{interval}}]', direction: 'increase' },
];
const JUDGE: CanaryJudgeSettingsT = { interval: '2s', count: 6, metrics: METRICS };

const STEPS: StepT[] = [{ setWeight: 50 }, { pause: { duration: '1s' } }, { setWeight: 100 }];

function rollout(image: string, judge: CanaryJudgeSettingsT = JUDGE, steps: StepT[] = STEPS): ServiceRollout {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'api', namespace: 'shop' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'api' } },
      template: template(image),
      strategy: { canary: { steps, abortScaleDownDelaySeconds: 0, judge } },
      trafficRouting: { gatewayAPI: { parentRefs: [{ name: 'public' }], port: 8080 } },
    },
  };
}

/** Seeded-looking noise: the same six offsets, in turn, for each side and metric. */
const NOISE = [-3, 1, 4, -1, 2, 0];

type Side = 'canary' | 'baseline' | 'stable';
const sideOf = (pods: string): Side => (pods.startsWith('api-canary') ? 'canary' : pods.startsWith('api-baseline') ? 'baseline' : 'stable');

/** Answers `latency` as the side's value plus noise, `errors` as 0; `broken` answers HTTP 500. */
function serving(latency: Record<Side, number>, o: { broken?: () => boolean; extra?: (side: Side, text: string) => PromAnswer | undefined } = {}) {
  const seen = new Map<string, number>();
  return (_kind: unknown, pods: string, text: string): PromAnswer => {
    if (o.broken?.()) return { status: 500 };
    const side = sideOf(pods);
    const extra = o.extra?.(side, text);
    if (extra !== undefined) return extra;
    if (!text.startsWith('latency')) return 0;
    const n = seen.get(side) ?? 0;
    seen.set(side, n + 1);
    return latency[side] + (NOISE[n % NOISE.length] ?? 0);
  };
}

const routeWeight = (o: LiveObject): number | undefined => (o['spec'] as { rules: { backendRefs: { name: string; weight: number }[] }[] }).rules.at(-1)?.backendRefs.find((b) => b.name === 'api-canary')?.weight;
const replicas = (o: LiveObject | undefined): number | undefined => (o?.['spec'] as { replicas?: number } | undefined)?.replicas;
const imageOf = (o: LiveObject | undefined): string | undefined => (o?.['spec'] as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec.containers[0]?.image;

async function start(first: ServiceRollout) {
  const api = new MemoryApi();
  api.put(first);
  const { ctx, events } = memoryContext(api);
  const status = (): ServiceRolloutStatusT => api.rollout().status ?? {};
  const step = async (): Promise<void> => {
    const r = await reconcileOnce(ctx, prom.url);
    vi.setSystemTime(Date.now() + Math.min(Math.max(r?.requeueAfterMs ?? 1000, 1), 1000));
  };
  const env = {
    api,
    events,
    status,
    step,
    async until(what: string, done: (st: ServiceRolloutStatusT) => boolean, max = 120): Promise<ServiceRolloutStatusT> {
      for (let i = 0; i < max; i++) {
        await step();
        if (done(status())) return status();
      }
      throw new Error(`${what}: not reached after ${max} reconciles; status ${JSON.stringify(status())}`);
    },
    deploy: (ro: ServiceRollout) => api.update(ro),
    request(annotation: string): void {
      const ro = api.rollout();
      api.update({ ...ro, metadata: { ...ro.metadata, annotations: { ...ro.metadata.annotations, [annotation]: new Date().toISOString() } } });
    },
    deployment: (name: string) => api.get('Deployment', 'shop', name),
  };
  await env.until('first version', (st) => st.phase === 'Healthy');
  return env;
}

describe('the judge: canary against baseline', () => {
  it.each<[string, number, { verdict: string; score: number; classes: string[]; phase: string; stableImage: string; event: string }]>([
    ['a canary equal to its baseline within noise passes (score 100) and is promoted', 100, { verdict: 'Pass', score: 100, classes: ['Pass', 'Pass'], phase: 'Healthy', stableImage: 'api:2', event: 'Normal JudgePassed' }],
    ['a canary 30% slower fails (latency High, score 50) and aborts', 130, { verdict: 'Fail', score: 50, classes: ['High', 'Pass'], phase: 'Degraded', stableImage: 'api:1', event: 'Warning JudgeFailed' }],
    ['a canary 5% slower is within the allowed ×1.1 (significant, but passes)', 105, { verdict: 'Pass', score: 100, classes: ['Pass', 'Pass'], phase: 'Healthy', stableImage: 'api:2', event: 'Normal JudgePassed' }],
  ])('%s', async (_title, canaryLatency, want) => {
    const env = await start(rollout('api:1'));
    prom.answer = serving({ canary: canaryLatency, baseline: 100, stable: 90 });
    env.deploy(rollout('api:2'));
    const st = await env.until('settled', (s) => s.phase === want.phase && s.stableImage === want.stableImage && s.judge?.verdict !== undefined);
    expect(st.judge).toMatchObject({ verdict: want.verdict, phase: want.verdict, score: want.score, control: 'baseline', intervals: 6, count: 6 });
    expect(st.judge?.metrics.map((m) => m.classification)).toEqual(want.classes);
    // Every interval sampled once per side: the baseline's values are the baseline's, not the stable's (90).
    expect(st.judge?.metrics[0]?.baseline).toEqual(NOISE.map((n) => 100 + n));
    expect(st.judge?.metrics[0]?.canary).toEqual(NOISE.map((n) => canaryLatency + n));
    expect(env.events.some((e) => e.startsWith(want.event))).toBe(true);
    // The baseline existed while judging (stable template, canary scale: 2 of 4 at 50%) and is gone once judged.
    const baselineWrites = env.api.writes.filter((w) => w.what === 'apply Deployment' && w.object.metadata.name === 'api-baseline');
    expect(baselineWrites.map((w) => [replicas(w.object), imageOf(w.object), (w.object['spec'] as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels['slipway.dev/track']])).toEqual([[2, 'api:1', 'baseline']]);
    expect(env.deployment('api-baseline')).toBeUndefined();
  });

  it('the baseline is written in the same reconcile as the canary scale; samples start once both are ready; steps wait for the verdict', async () => {
    // No pause: nothing but the judge holds the step after the first weight.
    const steps: StepT[] = [{ setWeight: 50 }, { setWeight: 100 }];
    const env = await start(rollout('api:1', JUDGE, steps));
    prom.answer = serving({ canary: 100, baseline: 100, stable: 100 });
    env.deploy(rollout('api:2', JUDGE, steps));
    await env.until('judge started', (s) => s.judge !== undefined);
    const w = env.api.writes;
    const canaryScaled = w.findIndex((x) => x.what === 'apply Deployment' && x.object.metadata.name === 'api-canary' && replicas(x.object) === 2);
    const baseline = w.findIndex((x) => x.what === 'apply Deployment' && x.object.metadata.name === 'api-baseline');
    const nextReconcile = w.findIndex((x, i) => i > canaryScaled && x.what === 'status');
    expect(canaryScaled).toBeGreaterThan(0);
    expect(baseline).toBeGreaterThan(canaryScaled);
    // Nothing but the step's status write and the route between the canary's scale and the baseline's.
    expect(w.slice(canaryScaled + 1, baseline).every((x) => x.what === 'apply HTTPRoute' || x.what === 'status')).toBe(true);
    expect(nextReconcile).toBeGreaterThan(0);
    // Held at step 2 (index 1) until the verdict, with the route at 50%.
    const held = await env.until('sampling', (s) => (s.judge?.intervals ?? 0) >= 3);
    expect(held).toMatchObject({ currentStepIndex: 1, weight: 50, message: 'judge: sampled 3/6 intervals' });
    const done = await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableImage === 'api:2');
    expect(done.judge?.verdict).toBe('Pass');
  });

  it('scheduling from the status: a reconcile before the interval ends takes nothing; after downtime, one interval, not a burst', async () => {
    const env = await start(rollout('api:1'));
    prom.answer = serving({ canary: 100, baseline: 100, stable: 100 });
    env.deploy(rollout('api:2'));
    const first = await env.until('one interval', (s) => (s.judge?.intervals ?? 0) === 1);
    const last = Date.parse(first.judge?.lastTime ?? '');
    vi.setSystemTime(last + 1500);
    await reconcileOnce(memoryContext(env.api).ctx, prom.url);
    expect(env.status().judge?.intervals).toBe(1);
    // A "restarted controller" (a fresh context) 30 s later: exactly one more interval, ending now.
    vi.setSystemTime(last + 30_000);
    await reconcileOnce(memoryContext(env.api).ctx, prom.url);
    expect(env.status().judge).toMatchObject({ intervals: 2, lastTime: new Date(last + 30_000).toISOString() });
  });

  it('a Marginal verdict pauses; `slipway rollout promote` goes on and the canary is promoted', async () => {
    const metrics = [...METRICS, { name: 'cpu', query: 'cpu{pod=~"{{pods}}"}' }, { name: 'memory', query: 'memory{pod=~"{{pods}}"}' }];
    const env = await start(rollout('api:1', { ...JUDGE, metrics }));
    prom.answer = serving({ canary: 130, baseline: 100, stable: 100 });
    env.deploy(rollout('api:2', { ...JUDGE, metrics }));
    const st = await env.until('marginal', (s) => s.phase === 'Paused' && s.judge?.verdict !== undefined);
    expect(st.judge).toMatchObject({ verdict: 'Marginal', score: 75 });
    expect(st.message).toMatch(/^judge marginal: score 75 \(latency High, errors Pass, cpu Pass, memory Pass\) against the baseline; paused/);
    expect(env.events.filter((e) => e.startsWith('Warning JudgeMarginal'))).toHaveLength(1);
    await env.step();
    expect(env.status().phase).toBe('Paused');
    env.request(REQUEST_ANNOTATIONS.promote);
    const done = await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableImage === 'api:2');
    expect(done.judge).toMatchObject({ verdict: 'Marginal', promotedByHand: true });
    expect(env.events.some((e) => e.startsWith('Normal JudgePassedByHand'))).toBe(true);
  });

  it.each<[string, 'pause' | 'abort', string]>([['onMarginal: abort aborts a Marginal verdict', 'abort', 'Degraded']])('%s', async (_t, onMarginal, phase) => {
    const metrics = [...METRICS, { name: 'cpu', query: 'cpu{pod=~"{{pods}}"}' }, { name: 'memory', query: 'memory{pod=~"{{pods}}"}' }];
    const env = await start(rollout('api:1', { ...JUDGE, metrics, onMarginal }));
    prom.answer = serving({ canary: 130, baseline: 100, stable: 100 });
    env.deploy(rollout('api:2', { ...JUDGE, metrics, onMarginal }));
    const st = await env.until('settled', (s) => s.phase === phase);
    expect(st.abortReason).toMatch(/^judge marginal: score 75/);
  });

  it('Fail aborts with the route at 100% stable before the status records the verdict', async () => {
    const env = await start(rollout('api:1'));
    prom.answer = serving({ canary: 130, baseline: 100, stable: 100 });
    env.deploy(rollout('api:2'));
    const st = await env.until('aborted', (s) => s.phase === 'Degraded');
    expect(st.abortReason).toMatch(/^judge failed: score 50 \(latency High, errors Pass\) against the baseline/);
    const w = env.api.writes;
    const routed50 = w.findIndex((x) => x.what === 'apply HTTPRoute' && routeWeight(x.object) === 50);
    const routed0 = w.findLastIndex((x) => x.what === 'apply HTTPRoute' && routeWeight(x.object) === 0);
    const recorded = w.findIndex((x) => x.what === 'status' && (x.object['status'] as ServiceRolloutStatusT).judge?.verdict === 'Fail');
    expect(routed0).toBeGreaterThan(routed50);
    expect(recorded).toBeGreaterThan(routed0);
    expect((w[recorded]?.object['status'] as ServiceRolloutStatusT).phase).toBe('Degraded');
  });

  it('queries failing beyond the limit pause the rollout (nothing recorded for those intervals); it resumes when they recover', async () => {
    const env = await start(rollout('api:1', { ...JUDGE, consecutiveErrorLimit: 1 }));
    let broken = false;
    prom.answer = serving({ canary: 100, baseline: 100, stable: 100 }, { broken: () => broken });
    env.deploy(rollout('api:2', { ...JUDGE, consecutiveErrorLimit: 1 }));
    await env.until('sampling', (s) => (s.judge?.intervals ?? 0) === 2);
    broken = true;
    const paused = await env.until('paused', (s) => s.phase === 'Paused');
    expect(paused.judge).toMatchObject({ phase: 'Error', intervals: 2, consecutiveErrors: 2 });
    expect(paused.message).toMatch(/^judge: queries fail \(interval 3: query failed: latency \(canary\): Prometheus: HTTP 500/);
    expect(paused.currentStepIndex).toBe(1);
    broken = false;
    const resumed = await env.until('resumed', (s) => s.phase === 'Progressing' && s.judge?.phase === 'Running');
    expect(resumed.judge).toMatchObject({ intervals: 3, consecutiveErrors: 0 });
    const done = await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableImage === 'api:2');
    expect(done.judge?.verdict).toBe('Pass');
  });

  it('no data on a side is a missing sample, and too few samples are NoData: never a pass', async () => {
    const env = await start(rollout('api:1'));
    prom.answer = serving({ canary: 100, baseline: 100, stable: 100 }, { extra: (side, text) => (side === 'canary' && text.startsWith('errors') ? 'empty' : undefined) });
    env.deploy(rollout('api:2'));
    const st = await env.until('judged', (s) => s.judge?.verdict !== undefined);
    expect(st.judge?.metrics[1]).toMatchObject({ name: 'errors', classification: 'NoData', canary: [null, null, null, null, null, null] });
    expect(st.judge).toMatchObject({ verdict: 'Fail', score: 50 });
  });

  it('baseline: false compares with the stable pods and starts no baseline', async () => {
    const env = await start(rollout('api:1', { ...JUDGE, baseline: false }));
    prom.answer = serving({ canary: 100, baseline: 0, stable: 100 });
    env.deploy(rollout('api:2', { ...JUDGE, baseline: false }));
    const st = await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableImage === 'api:2');
    expect(st.judge).toMatchObject({ control: 'stable', verdict: 'Pass', score: 100 });
    expect(env.api.writes.some((w) => w.object.metadata.name === 'api-baseline')).toBe(false);
    expect(prom.queries.some((q) => q.includes('api-stable-'))).toBe(true);
  });

  it('`promote --full` skips the judge; the baseline goes with the canary', async () => {
    const env = await start(rollout('api:1'));
    prom.answer = serving({ canary: 130, baseline: 100, stable: 100 });
    env.deploy(rollout('api:2'));
    await env.until('baseline', () => env.deployment('api-baseline') !== undefined);
    env.request(REQUEST_ANNOTATIONS.promoteFull);
    const st = await env.until('promoted', (s) => s.phase === 'Healthy' && s.stableImage === 'api:2');
    expect(st.judge?.verdict).toBeUndefined();
    expect(env.deployment('api-baseline')).toBeUndefined();
    expect(env.events.some((e) => e.startsWith('Normal BaselineRemoved'))).toBe(true);
  });
});

describe('slipway.yaml canary.judge, handed over', () => {
  it('becomes spec.strategy.canary.judge, with the default metrics over the service\'s series names', () => {
    const strategy = workloadStrategyOf({ type: 'canary', canary: { steps: [{ setWeight: 20 }], judge: { interval: '30s', onMarginal: 'abort' } } }, { metrics: { names: { latency: 'lat_seconds' } } });
    const dep = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'shop', annotations: strategyAnnotations(strategy) },
      spec: { replicas: 4, selector: { matchLabels: { app: 'api' } }, template: template('api:1') },
    };
    const ro = handOver([{ object: dep }], (object) => ({ object })).map((d) => d.object).find((o) => o.kind === KIND) as ServiceRollout;
    const judge = ro.spec.strategy.canary?.judge;
    expect(judge).toMatchObject({ interval: '30s', onMarginal: 'abort' });
    expect(judge?.metrics.map((m) => [m.name, m.direction, m.effectSize?.allowedIncrease])).toEqual([
      ['latency-p95', 'increase', 1.1],
      ['error-rate', 'increase', undefined],
    ]);
    expect(judge?.metrics[0]?.query).toContain('lat_seconds_bucket{namespace="{{namespace}}",pod=~"{{pods}}"}[{{interval}}]');
    expect(judge).not.toHaveProperty('names');
  });
});
