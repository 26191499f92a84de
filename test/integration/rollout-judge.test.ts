/**
 * The statistical judge end to end: a real `slipway controller run` process, the real local
 * control plane, the cluster's real Prometheus scraping the workload metrics simulator. v1 runs
 * with `latencyP95Ms=100`; v2's canary is compared with a baseline (v1's template at the canary's
 * scale, started with it) over per-interval samples of the default judge metrics (p95 latency and
 * error rate of each side's pods), with a Mann-Whitney U test per metric.
 *  - a canary 30% slower (130 ms against 100 ms) fails: latency High, score 50, the rollout aborts;
 *  - a canary equal within the simulator's seeded noise passes: score 100, it is promoted.
 * Verdicts and scores are asserted, not timings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CanaryJudgeSettingsT } from '../../src/analysis/index.ts';
import { strategyAnnotations, workloadStrategyOf } from '../../src/appspec/index.ts';
import { KubeClient } from '../../src/kube/index.ts';
import { handOver, type ServiceRollout, type StepT } from '../../src/rollout/index.ts';
import { testKubeconfigPath, testPrometheusUrl, useNamespace, waitFor, type TestNamespace } from './harness.ts';
import { cli, deployment, ensureCrds, rollout, rolloutEvents, waitStatus, withController } from './rollout-harness.ts';

let prometheusUrl = '';

beforeAll(async () => {
  prometheusUrl = await testPrometheusUrl();
  await ensureCrds(testKubeconfigPath());
});

/**
 * slipway.yaml's `strategy.canary.judge: {interval: 3s, count: 10}` as deploy hands it to the
 * controller (the default metrics: p95 latency and error rate): sampled every 3 s (three scrapes of
 * the local Prometheus per rate window), 10 intervals a side.
 */
function judgeFromSpec(): CanaryJudgeSettingsT {
  const strategy = workloadStrategyOf({ type: 'canary', canary: { steps: [{ setWeight: 50 }], judge: { interval: '3s', count: 10 } } });
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', annotations: strategyAnnotations(strategy) }, spec: { selector: { matchLabels: { app: 'web' } }, template: {} } };
  const ro = handOver([{ object: dep }], (object) => ({ object })).map((d) => d.object).find((o) => o.kind === 'ServiceRollout') as ServiceRollout | undefined;
  const judge = ro?.spec.strategy.canary?.judge;
  if (!judge) throw new Error('handOver made no judge');
  return judge;
}
const JUDGE = judgeFromSpec();
const STEPS: StepT[] = [{ setWeight: 50 }, { setWeight: 100 }];

function canary(ns: TestNamespace, instance: string, image: string, simulate: string): ServiceRollout {
  const base = rollout(ns, { image, steps: STEPS, instance, gateway: true, replicas: 4 });
  const t = base.spec.template as { metadata: { labels: Record<string, string> } };
  const template = { ...base.spec.template, metadata: { ...t.metadata, annotations: { 'slipway.dev/simulate-metrics': simulate } } };
  return { ...base, spec: { ...base.spec, template, strategy: { canary: { ...base.spec.strategy.canary, steps: STEPS, judge: JUDGE } } } };
}

/** A controller of its own instance that measures on the cluster's Prometheus. */
const withJudgeController = <T>(ns: TestNamespace, instance: string, f: (c: KubeClient) => Promise<T>): Promise<T> =>
  withController(ns, instance, (c) => f(c), { SLIPWAY_PROMETHEUS_URL: prometheusUrl });

interface JudgeView {
  judge?: { phase: string; verdict?: string; score?: number; control: string; intervals: number; metrics: { name: string; classification?: string; canaryMedian?: number; baselineMedian?: number }[] };
}

/** v1 at 100 ms, then v2 with `simulate`; the rollout once the judge has its verdict and the rollout settled. */
async function release(ns: TestNamespace, instance: string, simulate: string, settled: (ro: ServiceRollout) => boolean): Promise<{ ro: ServiceRollout; events: string[]; view: JudgeView }> {
  return withJudgeController(ns, instance, async (c) => {
    await c.apply(canary(ns, instance, 'registry.example/web:1', 'rps=50,errorRate=0,latencyP95Ms=100'));
    await waitStatus(c, ns, 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
    await c.apply(canary(ns, instance, 'registry.example/web:2', simulate));
    // The baseline: v1's template at the canary's scale (2 of 4 at 50%), its pods labelled track=baseline.
    const baseline = await waitFor(async () => {
      const d = await deployment(c, ns, 'web-baseline');
      return (d?.['spec'] as { replicas?: number } | undefined)?.replicas === 2 ? d : undefined;
    }, { what: 'the baseline Deployment at the canary scale', timeoutMs: 60_000, intervalMs: 200 });
    const tpl = (baseline['spec'] as { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { containers: { image: string }[] } } }).template;
    expect(tpl.spec.containers[0]?.image).toBe('registry.example/web:1');
    expect(tpl.metadata.labels['slipway.dev/track']).toBe('baseline');
    expect(tpl.metadata.annotations['slipway.dev/simulate-metrics']).toBe('rps=50,errorRate=0,latencyP95Ms=100');
    const ro = await waitStatus(c, ns, 'the judge verdict and the rollout settled', (r) => r.status?.judge?.verdict !== undefined && settled(r), { timeoutMs: 150_000 });
    // Removed once judged (and the canary promoted or aborted).
    await waitFor(async () => ((await deployment(c, ns, 'web-baseline')) === undefined ? true : undefined), { what: 'the baseline deleted', timeoutMs: 30_000, intervalMs: 200 });
    const view = JSON.parse((await cli(ns, 'rollout', 'status', 'web', '-o', 'json')).out) as JudgeView;
    // Reported, not asserted: what the judge saw.
    for (const m of ro.status?.judge?.metrics ?? []) {
      process.stderr.write(`[judge ${instance}] ${m.name}: ${m.classification ?? '?'} canary ${m.canaryMedian ?? '-'} vs baseline ${m.baselineMedian ?? '-'} ratio ${m.ratio ?? '-'} p ${m.pValue ?? '-'}; canary ${JSON.stringify(m.canary)} baseline ${JSON.stringify(m.baseline)}\n`);
    }
    process.stdout.write((await cli(ns, 'rollout', 'status', 'web')).out);
    return { ro, events: await rolloutEvents(c, ns), view };
  });
}

function judgeTest(prefix: string, title: string, body: (ns: () => TestNamespace) => Promise<void>): void {
  describe(title, () => {
    const ns = useNamespace(prefix);
    it(title, () => body(ns));
  });
}

describe('the statistical judge on the real Prometheus', () => {
  judgeTest('jd-slow', 'a canary 30% slower than its baseline (130 ms against 100 ms p95) fails the judge and aborts', async (ns) => {
    const { ro, events, view } = await release(ns(), 'jd-slow', 'rps=50,errorRate=0,latencyP95Ms=130', (r) => r.status?.phase === 'Degraded');
    const j = ro.status?.judge;
    expect(j?.verdict).toBe('Fail');
    expect(j?.control).toBe('baseline');
    expect(j?.intervals).toBe(10);
    // latency-p95 High, error-rate (0 on both sides) Pass: half the weight passes.
    expect(j?.metrics.map((m) => [m.name, m.classification])).toEqual([
      ['latency-p95', 'High'],
      ['error-rate', 'Pass'],
    ]);
    expect(j?.score).toBe(50);
    const latency = j?.metrics[0];
    expect(latency?.canary).toHaveLength(10);
    expect(latency?.baseline).toHaveLength(10);
    expect(latency?.ratio).toBeGreaterThan(1.1);
    expect(ro.status?.abortReason).toContain('judge failed: score 50');
    expect(ro.status?.weight).toBe(0);
    expect(ro.status?.stableImage).toBe('registry.example/web:1');
    expect(events.some((e) => e.startsWith('JudgeStarted'))).toBe(true);
    expect(events.some((e) => e.startsWith('JudgeFailed') && e.includes('latency-p95 High'))).toBe(true);
    expect(events.some((e) => e.startsWith('Aborted'))).toBe(true);
    expect(view.judge).toMatchObject({ phase: 'Fail', verdict: 'Fail', score: 50, control: 'baseline' });
    expect(view.judge?.metrics.map((m) => m.classification)).toEqual(['High', 'Pass']);
  });

  judgeTest('jd-same', 'a canary equal to its baseline within the seeded noise passes the judge and is promoted', async (ns) => {
    const { ro, events, view } = await release(ns(), 'jd-same', 'rps=50,errorRate=0,latencyP95Ms=100', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:2');
    const j = ro.status?.judge;
    expect(j?.verdict).toBe('Pass');
    expect(j?.metrics.map((m) => [m.name, m.classification])).toEqual([
      ['latency-p95', 'Pass'],
      ['error-rate', 'Pass'],
    ]);
    expect(j?.score).toBe(100);
    expect(ro.status?.abortReason).toBeUndefined();
    expect(events.some((e) => e.startsWith('JudgePassed'))).toBe(true);
    expect(events.some((e) => e.startsWith('Promoted'))).toBe(true);
    expect(view.judge).toMatchObject({ phase: 'Pass', verdict: 'Pass', score: 100 });
  });
});
