/**
 * Analysis in the canary reconciler, against an in-memory apiserver (every write recorded in
 * order) and a local HTTP endpoint as the metric: a failing measurement aborts in the same
 * reconcile with the route written before the record; measurements are scheduled from the
 * status, so a fresh reconcile (a restarted controller) neither repeats nor skips one; errors
 * and no data pause or abort as configured, and never pass.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReconcileContext } from '../controller/index.ts';
import type { LiveObject } from '../kube/index.ts';
import type { MetricT } from '../analysis/index.ts';
import { templateHash } from './run.ts';
import { MemoryApi, memoryContext, reconcileOnce } from './testing.ts';
import { API_VERSION, KIND, type ServiceRollout } from './types.ts';

/** The value the metric endpoint answers (or an HTTP status to fail with). */
let answer: { value: number } | { status: number } = { value: 0.999 };
let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((_req, res) => {
    if ('status' in answer) return void res.writeHead(answer.status).end('broken');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ratio: answer.value }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/ratio`;
});
afterAll(() => new Promise((r) => server.close(r)));

const template = (image: string) => ({ metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image }] } });

function setup(metric: Partial<MetricT>, analysis: Record<string, unknown> = {}, count = 2): { api: MemoryApi; ctx: ReconcileContext; events: string[] } {
  const api = new MemoryApi();
  const desired = template('api:2');
  const ro: ServiceRollout = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'api', namespace: 'shop' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'api' } },
      template: desired,
      strategy: {
        canary: {
          steps: [{ setWeight: 20 }, { analysis: { count } }],
          analysis: { ...analysis, metrics: [{ name: 'success-rate', provider: { web: { url, jsonPath: 'ratio' } }, successCondition: 'result >= 0.99', interval: '200ms', ...metric }] },
        },
      },
      trafficRouting: { gatewayAPI: { parentRefs: [{ name: 'gw' }], port: 8080 } },
    },
  };
  api.put(ro);
  api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api-stable', namespace: 'shop', annotations: { 'slipway.dev/revision': templateHash(template('api:1')) } }, spec: { replicas: 4, template: template('api:1') } });
  api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api-canary', namespace: 'shop', annotations: { 'slipway.dev/revision': templateHash(desired) } }, spec: { replicas: 1, template: desired } });
  const live = api.rollout();
  api.objects.set(`${KIND}/shop/api`, { ...live, status: { stableRevision: templateHash(template('api:1')), canaryRevision: templateHash(desired), currentStepIndex: 1, weight: 20, phase: 'Progressing', stepStartTime: new Date().toISOString() } });
  const { ctx, events } = memoryContext(api);
  return { api, ctx, events };
}

const reconcile = (ctx: ReconcileContext) => reconcileOnce(ctx);
const routeWeight = (o: LiveObject): number | undefined => ((o['spec'] as { rules: { backendRefs: { name: string; weight: number }[] }[] }).rules.at(-1)?.backendRefs.find((b) => b.name === 'api-canary')?.weight);
/** The clock is faked (Date only): "later" is exact, whatever the machine's load. */
const later = (ms: number) => void vi.setSystemTime(Date.now() + ms);
beforeEach(() => void vi.useFakeTimers({ toFake: ['Date'] }));
afterEach(() => void vi.useRealTimers());

describe('inline analysis step in the reconciler', () => {
  it('healthy: measures, requeues for the next due time, a fresh reconcile does not repeat it, then the step passes', async () => {
    answer = { value: 0.999 };
    const { api, ctx, events } = setup({});
    const first = await reconcile(ctx);
    let st = api.rollout().status;
    expect(st?.analysis?.metrics?.[0]).toMatchObject({ name: 'success-rate', phase: 'Running', measured: 1, successful: 1, lastValue: '0.999' });
    expect(first?.requeueAfterMs).toBeGreaterThan(0);
    expect(first?.requeueAfterMs).toBeLessThanOrEqual(200);
    // A restarted controller (a new reconcile, nothing in memory) before the next is due: nothing measured again.
    await reconcile(ctx);
    expect(api.rollout().status?.analysis?.metrics?.[0]?.measured).toBe(1);
    later(210);
    await reconcile(ctx);
    st = api.rollout().status;
    // count 2 reached: the step completed and the run is kept in the status; promotion began.
    expect(st?.currentStepIndex).toBe(2);
    expect(st?.analysis).toMatchObject({ stepIndex: 1, phase: 'Successful' });
    expect(st?.analysis?.metrics?.[0]?.measurements.map((m) => m.phase)).toEqual(['Successful', 'Successful']);
    const times = st?.analysis?.metrics?.[0]?.measurements.map((m) => Date.parse(m.time)) ?? [];
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(200);
    expect(events.filter((e) => e.includes('AnalysisMeasurement'))).toHaveLength(2);
    const metrics = await ctx.registry.getSingleMetricAsString('slipway_analysis_measurements_total');
    expect(metrics).toContain('slipway_analysis_measurements_total{metric="success-rate",phase="Successful"} 2');
  });

  it('a failing measurement aborts in the same reconcile: the route goes to 100% stable before the status records it', async () => {
    answer = { value: 0.8 };
    const { api, ctx, events } = setup({});
    const t0 = Date.now();
    await reconcile(ctx);
    const route = api.writes.findIndex((w) => w.what === 'apply HTTPRoute' && routeWeight(w.object) === 0);
    const record = api.writes.findIndex((w) => w.what === 'status' && (w.object['status'] as ServiceRollout['status'])?.analysis?.phase === 'Failed');
    expect(route).toBeGreaterThanOrEqual(0);
    expect(record).toBeGreaterThan(route);
    const st = api.rollout().status;
    expect(st).toMatchObject({ phase: 'Degraded', weight: 0 });
    expect(st?.abortReason).toMatch(/analysis at step 2 failed: success-rate: Failed/);
    const measuredAt = Date.parse(st?.analysis?.metrics?.[0]?.measurements[0]?.time ?? '');
    expect(measuredAt).toBeGreaterThanOrEqual(t0 - 5);
    expect((api.writes[route]?.at ?? Infinity) - measuredAt).toBeLessThan(1000);
    expect(events.some((e) => e.startsWith('Warning AnalysisMeasurement') && e.includes('success-rate Failed (value 0.8)'))).toBe(true);
  });

  it.each([
    { name: 'errors beyond consecutiveErrorLimit with onError: abort → aborted', answer: { status: 500 }, metric: { consecutiveErrorLimit: 0 }, analysis: { onError: 'abort' }, phase: 'Degraded' },
    { name: 'errors beyond consecutiveErrorLimit with onError: pause (the default) → Paused, measuring on', answer: { status: 500 }, metric: { consecutiveErrorLimit: 0 }, analysis: {}, phase: 'Paused' },
    { name: 'a single error within the limit → still Progressing, never a pass', answer: { status: 503 }, metric: {}, analysis: {}, phase: 'Progressing' },
  ])('$name', async (c) => {
    answer = c.answer;
    const { api, ctx } = setup(c.metric, c.analysis);
    const r = await reconcile(ctx);
    const st = api.rollout().status;
    expect(st?.phase).toBe(c.phase);
    expect(st?.currentStepIndex).toBe(1);
    expect(st?.analysis?.metrics?.[0]).toMatchObject({ error: 1, successful: 0 });
    if (c.phase !== 'Degraded') expect(r?.requeueAfterMs).toBeGreaterThan(0);
  });

  it('paused on errors resumes by itself once measurements recover (Prometheus back)', async () => {
    answer = { status: 500 };
    const { api, ctx } = setup({ consecutiveErrorLimit: 0 });
    await reconcile(ctx);
    expect(api.rollout().status?.phase).toBe('Paused');
    answer = { value: 0.999 };
    later(210);
    await reconcile(ctx);
    const st = api.rollout().status;
    expect(st?.phase).toBe('Progressing');
    expect(st?.analysis?.metrics?.[0]).toMatchObject({ phase: 'Running', error: 1, successful: 1 });
  });

  it('a condition that does not compile stops the analysis with the field path, never a pass', async () => {
    answer = { value: 0.999 };
    const { api, ctx } = setup({ successCondition: 'result >=' });
    await reconcile(ctx);
    const st = api.rollout().status;
    expect(st?.phase).toBe('Paused');
    expect(st?.analysis?.phase).toBe('Error');
    expect(st?.message).toContain('spec.strategy.canary.analysis.metrics[0].successCondition');
  });
});
