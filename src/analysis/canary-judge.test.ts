import { describe, expect, it } from 'vitest';
import { defaultJudgeMetrics, judgeNextDue, newJudgeRun, recordInterval, type CanaryJudgeSettingsT, type CanaryJudgeStatusT, type Sample } from './canary-judge.ts';

const S: CanaryJudgeSettingsT = { interval: '10s', count: 5, metrics: [{ name: 'latency', query: 'q', direction: 'increase' }] };
const T0 = '2026-01-01T00:00:00.000Z';
const at = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString();
const v = (value: number | null): Sample => ({ value });

/** The run after one interval per pair, ending every 10 s. */
function after(pairs: readonly (readonly [Sample, Sample])[], s: CanaryJudgeSettingsT = S): CanaryJudgeStatusT {
  return pairs.reduce((run, p, i) => recordInterval(s, run, [p], at(10 * (i + 1))), newJudgeRun('rev', s, T0));
}

describe('judgeNextDue: from the status alone', () => {
  it.each<[string, CanaryJudgeSettingsT, Partial<CanaryJudgeStatusT>, number | undefined]>([
    ['the first interval ends interval after the start', S, {}, 10],
    ['after initialDelay, when given', { ...S, initialDelay: '30s' }, {}, 40],
    ['interval after the last one recorded', S, { lastTime: at(25) }, 35],
    ['the default interval is 1m', { metrics: S.metrics }, {}, 60],
    ['none once judged', S, { phase: 'Fail' }, undefined],
  ])('%s', (_t, s, patch, want) => {
    const due = judgeNextDue(s, { ...newJudgeRun('rev', s, T0), ...patch });
    expect(due === undefined ? undefined : (due - Date.parse(T0)) / 1000).toBe(want);
  });
});

describe('recordInterval', () => {
  it.each<[string, readonly (readonly [Sample, Sample])[], Partial<CanaryJudgeStatusT>, string | undefined]>([
    ['sampling: one value per side per interval', [[v(1), v(2)], [v(1.5), v(2.5)]], { phase: 'Running', intervals: 2, message: 'sampled 2/5 intervals' }, undefined],
    ['no data on a side is a null sample, not an error', [[v(null), v(2)]], { phase: 'Running', intervals: 1, consecutiveErrors: 0 }, undefined],
    [
      'judged after count intervals: a canary higher on every interval is High (score 0, Fail)',
      [0, 1, 2, 3, 4].map((i) => [v(130 + i), v(100 + i)] as const),
      { phase: 'Fail', verdict: 'Fail', score: 0, intervals: 5 },
      'High',
    ],
    ['judged: equal samples pass (score 100)', [0, 1, 2, 3, 4].map((i) => [v(100 + i), v(100 + i)] as const), { phase: 'Pass', verdict: 'Pass', score: 100 }, 'Pass'],
    ['judged: missing samples are NoData, never a pass', [0, 1, 2, 3, 4].map((i) => [v(i < 2 ? 100 : null), v(100)] as const), { phase: 'Fail', score: 0 }, 'NoData'],
    ['a failed query records nothing and counts an error', [[{ error: 'Prometheus down' }, v(2)]], { phase: 'Running', intervals: 0, consecutiveErrors: 1, message: 'interval 1: query failed: latency (canary): Prometheus down' }, undefined],
    ['errors in a row beyond the limit (4) are the Error phase', Array.from({ length: 5 }, () => [v(1), { error: 'x' }] as const), { phase: 'Error', consecutiveErrors: 5, intervals: 0 }, undefined],
    ['a good interval ends an Error phase', [...Array.from({ length: 5 }, () => [v(1), { error: 'x' }] as const), [v(1), v(1)]], { phase: 'Running', consecutiveErrors: 0, intervals: 1 }, undefined],
  ])('%s', (_t, pairs, want, classification) => {
    const run = after(pairs);
    expect(run).toMatchObject(want);
    expect(run.lastTime).toBe(at(10 * pairs.length));
    expect(run.metrics[0]?.classification).toBe(classification);
  });

  it('keeps numbers to 6 significant digits, and every sample of the run', () => {
    const run = after([[v(1 / 3), v(2 / 3)]]);
    expect(run.metrics[0]).toMatchObject({ canary: [0.333333], baseline: [0.666667] });
  });

  it('records the per-metric result: medians, effect size, p-value, reason', () => {
    const run = after([0, 1, 2, 3, 4].map((i) => [v(130 + i), v(100 + i)] as const));
    expect(run.metrics[0]).toMatchObject({ canaryMedian: 132, baselineMedian: 102, ratio: 1.29412, classification: 'High' });
    expect(run.metrics[0]?.pValue).toBeCloseTo(2 / 252, 6);
    expect(run.message).toMatch(/^score 0 < marginal 75/);
  });
});

describe('defaultJudgeMetrics', () => {
  it('p95 latency and error rate of one side over each interval, with the service\'s names', () => {
    const m = defaultJudgeMetrics({ names: { requests: 'reqs_total', latency: 'lat_seconds' }, labels: { pod: 'kubernetes_pod_name' } });
    expect(m.map((x) => [x.name, x.direction])).toEqual([
      ['latency-p95', 'increase'],
      ['error-rate', 'increase'],
    ]);
    expect(m[0]?.query).toBe('1000 * histogram_quantile(0.95, sum by (le) (rate(lat_seconds_bucket{namespace="{{namespace}}",kubernetes_pod_name=~"{{pods}}"}[{{interval}}])))');
    expect(m[1]?.query).toContain('reqs_total{namespace="{{namespace}}",kubernetes_pod_name=~"{{pods}}",code=~"5.."}[{{interval}}]');
  });
});
