import { describe, expect, it } from 'vitest';
import { isSlipwayError } from '../errors/index.ts';
import { compileConditions, judge } from './condition.ts';
import { ANALYSIS_DEFAULTS, effectiveMetric, emptyMetricStatus, metricPhase, nextDue, parseDuration, record, runPhase } from './evaluate.ts';
import { tick } from './measure.ts';
import type { AnalysisRunStatusT, MeasurementPhaseT, MeasurementT, MetricPhaseT, MetricT } from './types.ts';

const metric = (o: Partial<MetricT> = {}): MetricT => ({ name: 'm', provider: { prometheus: { query: 'up' } }, successCondition: 'result >= 0.99', ...o });

describe('conditions (CEL)', () => {
  const cases: readonly { success?: string; failure?: string; result: unknown; phase: MeasurementPhaseT }[] = [
    { success: 'result >= 0.99', result: 0.995, phase: 'Successful' },
    { success: 'result >= 0.99', result: 0.5, phase: 'Failed' },
    { success: 'result >= 1', result: 2, phase: 'Successful' },
    { success: 'result < 100', result: 250.5, phase: 'Failed' },
    { failure: 'result > 0.05', result: 0.01, phase: 'Successful' },
    { failure: 'result > 0.05', result: 0.2, phase: 'Failed' },
    { success: 'result >= 0.99', failure: 'result < 0.9', result: 0.95, phase: 'Inconclusive' },
    { success: 'result >= 0.99', failure: 'result < 0.9', result: 0.5, phase: 'Failed' },
    { success: 'result.all(x, x < 1.0)', result: [0.5, 0.7], phase: 'Successful' },
    { success: 'result.ok == true', result: { ok: true }, phase: 'Successful' },
    // No conditions: a boolean (a Job's exit status) decides; anything else is an Error, never a pass.
    { result: true, phase: 'Successful' },
    { result: false, phase: 'Failed' },
    { result: 0.995, phase: 'Error' },
    // A condition that cannot be evaluated on this value is an Error.
    { success: 'result >= 0.99', result: [0.5], phase: 'Error' },
    { success: 'result >= 0.99', result: 'text', phase: 'Error' },
  ];
  it.each(cases)('$success / $failure on $result → $phase', (c) => {
    const cond = compileConditions({ successCondition: c.success, failureCondition: c.failure } as MetricT, 'm');
    expect(judge(cond, c.result).phase).toBe(c.phase);
  });

  it.each([
    { expr: 'result >=', field: 'successCondition', why: 'does not parse' },
    { expr: 'result + "a" > 1', field: 'successCondition', why: 'not well typed' },
    { expr: '1 + 2', field: 'failureCondition', why: 'not a bool' },
  ])('a bad condition ($expr) is an input error naming the field', ({ expr, field, why }) => {
    let err: unknown;
    try {
      compileConditions({ [field]: expr }, 'spec.strategy.canary.analysis.metrics[2]');
    } catch (e) {
      err = e;
    }
    expect(isSlipwayError(err) && err.kind).toBe('input');
    expect(isSlipwayError(err) && err.path).toBe(`spec.strategy.canary.analysis.metrics[2].${field}`);
    expect((err as Error).message).toContain(why);
  });
});

describe('parseDuration', () => {
  it.each([
    ['1s', 1000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1s500ms', 1500],
  ])('%s → %i ms', (d, ms) => expect(parseDuration(d)).toBe(ms));
});

const at = (s: number): string => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
const x = (phase: MeasurementPhaseT, s: number, value?: string): MeasurementT => ({ time: at(s), phase, ...(value !== undefined ? { value } : {}) });

describe('scheduling from the timestamps in the status', () => {
  const start = at(0);
  it.each([
    { name: 'first measurement: the run start plus initialDelay', m: metric({ initialDelay: '5s' }), after: [] as MeasurementT[], due: at(5) },
    { name: 'first measurement without initialDelay: at once', m: metric(), after: [], due: at(0) },
    { name: 'next: the last measurement plus interval', m: metric({ interval: '2s' }), after: [x('Successful', 3)], due: at(5) },
    { name: 'next after an Error: the interval again (errors are retried, never skipped)', m: metric({ interval: '1s' }), after: [x('Successful', 3), x('Error', 4)], due: at(5) },
    { name: 'a metric with its verdict is not measured again', m: metric({ count: 1 }), after: [x('Successful', 3)], due: undefined },
  ])('$name', ({ m, after, due }) => {
    let st = undefined as ReturnType<typeof record> | undefined;
    for (const a of after) st = record(m, st, a);
    const got = nextDue(m, start, st);
    expect(got === undefined ? undefined : new Date(got).toISOString()).toBe(due);
  });
});

describe('verdicts', () => {
  const seq = (m: MetricT, phases: readonly MeasurementPhaseT[]): MetricPhaseT => {
    let st = undefined as ReturnType<typeof record> | undefined;
    phases.forEach((p, i) => (st = record(m, st, x(p, i))));
    return (st?.phase ?? 'Running') as MetricPhaseT;
  };
  it.each([
    { name: 'count reached, all passed', m: metric({ count: 3 }), phases: ['Successful', 'Successful', 'Successful'], want: 'Successful' },
    { name: 'not yet count', m: metric({ count: 3 }), phases: ['Successful', 'Successful'], want: 'Running' },
    { name: 'one failure, failureLimit 0: failed at once', m: metric({ count: 10 }), phases: ['Successful', 'Failed'], want: 'Failed' },
    { name: 'failures within failureLimit', m: metric({ count: 3, failureLimit: 1 }), phases: ['Failed', 'Successful', 'Successful'], want: 'Successful' },
    { name: 'failures beyond failureLimit', m: metric({ count: 5, failureLimit: 1 }), phases: ['Failed', 'Successful', 'Failed'], want: 'Failed' },
    { name: 'count reached with no pass at all is never Successful', m: metric({ count: 2, failureLimit: 5 }), phases: ['Failed', 'Failed'], want: 'Failed' },
    { name: 'inconclusive beyond its limit', m: metric({ count: 5 }), phases: ['Inconclusive'], want: 'Inconclusive' },
    { name: 'inconclusive within its limit', m: metric({ count: 5, inconclusiveLimit: 1 }), phases: ['Inconclusive', 'Successful'], want: 'Running' },
    { name: 'Errors and NoData do not count toward count', m: metric({ count: 2 }), phases: ['Successful', 'Error', 'NoData', 'Error'], want: 'Running' },
    { name: 'consecutive errors beyond the limit', m: metric({ count: 10, consecutiveErrorLimit: 2 }), phases: ['Error', 'Error', 'Error'], want: 'Error' },
    { name: 'errors not in a row stay within the limit', m: metric({ count: 10, consecutiveErrorLimit: 2 }), phases: ['Error', 'Error', 'Successful', 'Error', 'Error'], want: 'Running' },
    { name: 'a good measurement after Error resumes the run (Prometheus back)', m: metric({ count: 10, consecutiveErrorLimit: 1 }), phases: ['Error', 'Error', 'Successful'], want: 'Running' },
    { name: 'not enough traffic, in a row beyond the limit', m: metric({ count: 10, consecutiveNoDataLimit: 3 }), phases: ['NoData', 'NoData', 'NoData', 'NoData'], want: 'NoData' },
    { name: 'NoData forever never passes (no count reached)', m: metric({ count: 1, consecutiveNoDataLimit: 1000 }), phases: Array<MeasurementPhaseT>(50).fill('NoData'), want: 'Running' },
    { name: 'background analysis without count never completes', m: metric(), phases: Array<MeasurementPhaseT>(30).fill('Successful'), want: 'Running' },
  ] as const)('$name → $want', ({ m, phases, want }) => expect(seq(m, phases)).toBe(want));

  it('keeps the last 10 measurements, and counts over the whole run', () => {
    const m = metric({ count: 100 });
    let st = emptyMetricStatus('m');
    for (let i = 0; i < 25; i++) st = record(m, st, x('Successful', i, String(i)));
    expect(st.measurements.map((y) => y.value)).toEqual(['15', '16', '17', '18', '19', '20', '21', '22', '23', '24']);
    expect(st).toMatchObject({ measured: 25, successful: 25, lastValue: '24' });
  });

  it.each([
    { phases: ['Successful', 'Successful'], want: 'Successful' },
    { phases: ['Successful', 'Running'], want: 'Running' },
    { phases: ['Successful', 'Failed', 'Error'], want: 'Failed' },
    { phases: ['Running', 'NoData', 'Error'], want: 'Error' },
    { phases: ['Running', 'NoData'], want: 'NoData' },
    { phases: ['Inconclusive', 'Successful'], want: 'Inconclusive' },
    { phases: [], want: 'Running' },
  ] as const)('run of $phases → $want', ({ phases, want }) => expect(runPhase(phases)).toBe(want));

  it('metricPhase: the limits default to 0 failures, 0 inconclusive, 4 errors, 10 no-data in a row', () => {
    const zero = { measured: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, noData: 0, consecutiveError: 0, consecutiveNoData: 0 };
    expect(metricPhase(metric(), { ...zero, failed: 1 })).toBe('Failed');
    expect(metricPhase(metric(), { ...zero, inconclusive: 1 })).toBe('Inconclusive');
    expect(metricPhase(metric(), { ...zero, consecutiveError: ANALYSIS_DEFAULTS.consecutiveErrorLimit })).toBe('Running');
    expect(metricPhase(metric(), { ...zero, consecutiveError: ANALYSIS_DEFAULTS.consecutiveErrorLimit + 1 })).toBe('Error');
    expect(metricPhase(metric(), { ...zero, consecutiveNoData: ANALYSIS_DEFAULTS.consecutiveNoDataLimit + 1 })).toBe('NoData');
  });

  it('effectiveMetric: an inline step overrides interval, count and failureLimit; inline count defaults to 10, background has none', () => {
    expect(effectiveMetric(metric({ interval: '5s', count: 3 }), { interval: '2s', failureLimit: 1 })).toMatchObject({ interval: '2s', count: 3, failureLimit: 1 });
    expect(effectiveMetric(metric(), {}).count).toBe(10);
    expect(effectiveMetric(metric(), undefined).count).toBeUndefined();
  });
});

describe('tick', () => {
  const m1 = metric({ name: 'a', interval: '1s', count: 2 });
  const m2 = metric({ name: 'b', interval: '3s', count: 2 });
  const env = () => ({ vars: { namespace: 'n', service: 's', pods: 'p', interval: '1s' }, measurementId: 'id' });
  const fake = (phases: Record<string, MeasurementPhaseT>) => (m: MetricT, _c: unknown, _e: unknown, time: Date) => Promise.resolve({ time: time.toISOString(), phase: phases[m.name] ?? 'Successful', value: '1' });

  it('measures only what is due, records it, and says when the next is due; a restart at the same instant measures nothing again', async () => {
    const t0 = Date.parse(at(0));
    let run: AnalysisRunStatusT = { phase: 'Running', startTime: at(0) };
    const first = await tick(run, [m1, m2], { now: t0, pathOf: (i) => `m[${i}]`, envFor: env, measure: fake({}) });
    expect(first.taken.map((t) => t.metric)).toEqual(['a', 'b']);
    expect(first.nextDueMs).toBe(t0 + 1000);
    run = first.run;
    // The same instant again (a restarted controller reading the status it wrote): nothing is due.
    const again = await tick(run, [m1, m2], { now: t0 + 10, pathOf: (i) => `m[${i}]`, envFor: env, measure: fake({}) });
    expect(again.taken).toEqual([]);
    expect(again.run).toEqual(run);
    // A controller down for a long time measures once when it comes back, not a burst.
    const late = await tick(run, [m1, m2], { now: t0 + 60_000, pathOf: (i) => `m[${i}]`, envFor: env, measure: fake({}) });
    expect(late.taken.map((t) => t.metric)).toEqual(['a', 'b']);
    expect(late.run.phase).toBe('Successful');
    expect(late.nextDueMs).toBeUndefined();
  });

  it('a failing measurement fails the run in the same tick', async () => {
    const r = await tick({ phase: 'Running', startTime: at(0) }, [m1, m2], { now: Date.parse(at(0)), pathOf: (i) => `m[${i}]`, envFor: env, measure: fake({ b: 'Failed' }) });
    expect(r.run.phase).toBe('Failed');
    expect(r.run.message).toContain('b: Failed');
  });

  it('a bad condition is an input error before anything is measured', async () => {
    let measured = false;
    const bad = metric({ name: 'bad', successCondition: 'result >=' });
    await expect(
      tick({ phase: 'Running' }, [m1, bad], {
        now: 0,
        pathOf: (i) => `spec.metrics[${i}]`,
        envFor: env,
        measure: () => {
          measured = true;
          return Promise.resolve(undefined);
        },
      }),
    ).rejects.toMatchObject({ kind: 'input', path: 'spec.metrics[1].successCondition' });
    expect(measured).toBe(false);
  });
});
