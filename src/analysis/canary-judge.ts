/**
 * The statistical judge in a release: canary against baseline, sampled per interval from
 * Prometheus and judged by {@link judge} (Mann-Whitney U per metric, a weighted score, Pass /
 * Marginal / Fail), as Kayenta's canary analysis does.
 *
 *  - The settings ({@link CanaryJudgeSettings}) are what a ServiceRollout carries in
 *    `spec.strategy.canary.judge`: the metrics (a PromQL query each, with `{{pods}}` filled once
 *    with the canary's pods and once with the baseline's, and the judge's per-metric settings),
 *    the interval and number of intervals, the confidence level and score thresholds.
 *  - One sample per metric, per side and per interval: the query over that interval (the default
 *    metrics use `{{interval}}` as their rate window, so samples do not overlap). An empty result
 *    or NaN is a missing sample (null), which the judge removes; too few samples are NoData, never
 *    a pass. A query that fails (Prometheus unreachable, a refused query, several series) makes the
 *    interval an error: nothing is recorded for it, and errors in a row beyond the limit are the
 *    run's Error phase (the controller pauses or aborts as configured).
 *  - Scheduling comes from the status: the next interval ends `interval` after the last one
 *    recorded (the first: `initialDelay` + `interval` after the run's start), so a restarted
 *    controller neither repeats nor skips one.
 *  - After `count` intervals the run is judged once and keeps its verdict.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { parseDuration } from './evaluate.ts';
import { judge, JudgeMetricSettings, type JudgeMetricSettingsT, type JudgeResult, type MetricSamples } from './judge.ts';
import { queryFor } from './prometheus.ts';
import type { ProviderEnv } from './provider.ts';
import { DURATION_PATTERN, PrometheusAuth, type MetricT } from './types.ts';

const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
const StringEnum = <T extends string>(values: readonly T[], description: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], description });
/** A number or null (a missing sample), as a CRD says it. */
const NullableNumber = Type.Unsafe<number | null>({ type: 'number', nullable: true });

/** The most intervals a run may have: the status keeps every sample of the run. */
const MAX_JUDGE_INTERVALS = 100;
const MAX_JUDGE_METRICS = 16;

/** One metric the judge compares: a query and how to judge it. */
const CanaryJudgeMetric = Type.Composite(
  [
    Type.Object({
      name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$' }),
      query: Type.String({
        minLength: 1,
        description:
          'An instant PromQL query answering one number for one side: {{pods}} is the canary\'s pod regex, then the baseline\'s; {{namespace}}, {{service}} and {{interval}} (use it as the rate window, so samples do not overlap) are filled in. An empty result or NaN is a missing sample.',
      }),
    }),
    JudgeMetricSettings,
  ],
  { description: 'A metric the judge compares between canary and baseline.' },
);
export type CanaryJudgeMetricT = Static<typeof CanaryJudgeMetric>;

const ON_PROBLEM = ['pause', 'abort'] as const;

/** `spec.strategy.canary.judge` of a ServiceRollout. */
export const CanaryJudgeSettings = Type.Object(
  {
    baseline: Opt(
      Type.Boolean({
        description:
          'Start a baseline: the stable template at the canary\'s scale, started together with the canary and removed when the canary is promoted or aborted, so warm-up and uptime do not bias the comparison (as Kayenta advises). false compares the canary with the stable pods. @default true',
      }),
    ),
    startingStep: Opt(Type.Integer({ minimum: 0, description: 'Sample from when the steps before this one (0-based) are done; the steps from it on wait for the verdict. @default the step after the first setWeight above 0' })),
    interval: Opt(Type.String({ pattern: DURATION_PATTERN, description: 'Length of one interval: one sample per metric and side each. At least two scrape intervals of your Prometheus. @default 1m' })),
    count: Opt(Type.Integer({ minimum: 1, maximum: MAX_JUDGE_INTERVALS, description: 'Intervals sampled before the judgement (the analysis lifetime is count × interval). @default 10' })),
    initialDelay: Opt(Type.String({ pattern: DURATION_PATTERN, description: 'Wait this long after both sides are ready before the first interval. @default 0s' })),
    confidenceLevel: Opt(Type.Number({ minimum: 0.5, maximum: 0.999, description: 'Of the two-sided Mann-Whitney U test: a difference is significant when p < 1 - confidenceLevel. @default 0.95' })),
    scoreThresholds: Opt(
      Type.Object(
        {
          pass: Type.Number({ minimum: 0, maximum: 100, description: 'A score at or above this passes. @default 95' }),
          marginal: Type.Number({ minimum: 0, maximum: 100, description: 'At or above this (below pass) is Marginal; below it fails. @default 75' }),
        },
        { description: 'Score thresholds (the score is the weighted share of metrics that pass, 0-100).' },
      ),
    ),
    onMarginal: Opt(StringEnum(ON_PROBLEM, 'A Marginal verdict: pause (`slipway rollout promote` goes on, `abort` stops) or abort. @default pause')),
    onError: Opt(StringEnum(ON_PROBLEM, 'Beyond consecutiveErrorLimit failed intervals in a row: pause (sampling goes on and resumes the rollout) or abort. @default pause')),
    consecutiveErrorLimit: Opt(Type.Integer({ minimum: 0, description: 'Intervals in a row whose queries fail that are tolerated. @default 4' })),
    prometheus: Opt(
      Type.Object(
        {
          address: Opt(Type.String({ pattern: '^https?://', description: 'Prometheus base URL. @default the controller\'s --prometheus-url' })),
          authSecretRef: Opt(PrometheusAuth),
        },
        { description: 'The Prometheus every metric queries.' },
      ),
    ),
    metrics: Type.Array(CanaryJudgeMetric, { minItems: 1, maxItems: MAX_JUDGE_METRICS }),
  },
  { description: 'The statistical judge: canary against baseline, per metric, with a Mann-Whitney U test (after Kayenta\'s NetflixACAJudge); Pass goes on, Marginal pauses, Fail aborts.' },
);
export type CanaryJudgeSettingsT = Static<typeof CanaryJudgeSettings>;

export const JUDGE_DEFAULTS = { interval: '1m', count: 10, initialDelay: '0s', onMarginal: 'pause', onError: 'pause', consecutiveErrorLimit: 4 } as const;

const JUDGE_PHASES = ['Running', 'Error', 'Pass', 'Marginal', 'Fail'] as const;
const CLASSIFICATIONS = ['Pass', 'High', 'Low', 'NoData'] as const;

const JudgeMetricStatus = Type.Object({
  name: Type.String(),
  canary: Type.Array(NullableNumber, { maxItems: MAX_JUDGE_INTERVALS, description: 'One sample per interval (null: no data).' }),
  baseline: Type.Array(NullableNumber, { maxItems: MAX_JUDGE_INTERVALS, description: 'One sample per interval (null: no data).' }),
  classification: Opt(Type.String({ enum: [...CLASSIFICATIONS] })),
  reason: Opt(Type.String({ maxLength: 512 })),
  canaryMedian: Opt(Type.Number()),
  baselineMedian: Opt(Type.Number()),
  ratio: Opt(Type.Number({ description: 'Effect size: 1 + Hodges-Lehmann shift / |baseline median| (absent when infinite: see reason).' })),
  pValue: Opt(Type.Number()),
});
type JudgeMetricStatusT = Static<typeof JudgeMetricStatus>;

/** `status.judge`: the samples so far and, once judged, the verdict. */
export const CanaryJudgeStatus = Type.Object(
  {
    revision: Type.String({ description: 'The canary revision judged.' }),
    phase: Type.String({ enum: [...JUDGE_PHASES], description: 'Running (sampling), Error (queries failing beyond the limit), or the verdict: Pass, Marginal, Fail.' }),
    control: Type.String({ enum: ['baseline', 'stable'], description: 'What the canary is compared with.' }),
    startTime: Type.String({ description: 'When both sides were ready: the first interval ends initialDelay + interval after it.' }),
    lastTime: Opt(Type.String({ description: 'The end of the last interval sampled (or failed): the next ends `interval` after it.' })),
    intervals: Type.Integer({ minimum: 0, description: 'Intervals sampled.' }),
    count: Type.Integer({ minimum: 1, description: 'Intervals to sample before the judgement.' }),
    consecutiveErrors: Type.Integer({ minimum: 0 }),
    message: Opt(Type.String({ maxLength: 1024 })),
    score: Opt(Type.Number({ minimum: 0, maximum: 100 })),
    verdict: Opt(Type.String({ enum: ['Pass', 'Marginal', 'Fail'] })),
    judgedAt: Opt(Type.String()),
    promotedByHand: Opt(Type.Boolean({ description: '`slipway rollout promote` went on without (or past a Marginal) verdict.' })),
    metrics: Type.Array(JudgeMetricStatus, { maxItems: MAX_JUDGE_METRICS }),
  },
  { description: 'The statistical judge\'s run: per-interval samples of canary and baseline per metric, then the per-metric classification, the score and the verdict.' },
);
export type CanaryJudgeStatusT = Static<typeof CanaryJudgeStatus>;

/** A fresh run of the judge for canary `revision`, both sides ready at `at`. */
export function newJudgeRun(revision: string, s: CanaryJudgeSettingsT, at: string): CanaryJudgeStatusT {
  return {
    revision,
    phase: 'Running',
    control: s.baseline === false ? 'stable' : 'baseline',
    startTime: at,
    intervals: 0,
    count: s.count ?? JUDGE_DEFAULTS.count,
    consecutiveErrors: 0,
    metrics: s.metrics.map((m) => ({ name: m.name, canary: [], baseline: [] })),
  };
}

/** When the next interval ends (ms since the epoch); undefined once judged. */
export function judgeNextDue(s: CanaryJudgeSettingsT, run: CanaryJudgeStatusT): number | undefined {
  if (run.phase === 'Pass' || run.phase === 'Marginal' || run.phase === 'Fail') return undefined;
  const interval = parseDuration(s.interval ?? JUDGE_DEFAULTS.interval);
  const from = run.lastTime !== undefined ? Date.parse(run.lastTime) : Date.parse(run.startTime) + parseDuration(s.initialDelay ?? JUDGE_DEFAULTS.initialDelay);
  return from + interval;
}

/** A number as the status keeps it: 6 significant digits; null when missing. */
const keep = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(6)));
const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/** One side's sample of one metric: a number, null (no data), or why the query failed. */
export type Sample = { readonly value: number | null } | { readonly error: string };

/** The per-metric results of a judgement, as the status keeps them. */
function recordJudgement(run: CanaryJudgeStatusT, result: JudgeResult, at: string): CanaryJudgeStatusT {
  const byName = new Map(result.metrics.map((m) => [m.name, m]));
  return {
    ...run,
    phase: result.verdict,
    verdict: result.verdict,
    score: result.score,
    judgedAt: at,
    message: cut(result.reason, 1024),
    metrics: run.metrics.map((m) => {
      const r = byName.get(m.name);
      if (!r) return m;
      const num = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? { v: Number(v.toPrecision(6)) } : undefined);
      const cm = num(r.canary.median);
      const bm = num(r.baseline.median);
      const ratio = num(r.ratio);
      const p = num(r.test?.pValue);
      return {
        ...m,
        classification: r.classification,
        reason: cut(r.reason, 512),
        ...(cm ? { canaryMedian: cm.v } : {}),
        ...(bm ? { baselineMedian: bm.v } : {}),
        ...(ratio ? { ratio: ratio.v } : {}),
        ...(p ? { pValue: p.v } : {}),
      };
    }),
  };
}

/** Judges the samples of `run` with the settings' metrics. */
function judgeRun(s: CanaryJudgeSettingsT, run: CanaryJudgeStatusT): JudgeResult {
  const samples = new Map(run.metrics.map((m) => [m.name, m]));
  const metrics: MetricSamples[] = s.metrics.map((m) => {
    const st = samples.get(m.name);
    const nums = (xs: readonly (number | null)[] | undefined) => (xs ?? []).map((v) => (v === null ? Number.NaN : v));
    const settings: JudgeMetricSettingsT = {
      ...(m.direction !== undefined ? { direction: m.direction } : {}),
      ...(m.effectSize !== undefined ? { effectSize: m.effectSize } : {}),
      ...(m.weight !== undefined ? { weight: m.weight } : {}),
      ...(m.critical !== undefined ? { critical: m.critical } : {}),
      ...(m.minSamples !== undefined ? { minSamples: m.minSamples } : {}),
      ...(m.nanStrategy !== undefined ? { nanStrategy: m.nanStrategy } : {}),
    };
    return { name: m.name, canary: nums(st?.canary), baseline: nums(st?.baseline), settings };
  });
  return judge(metrics, {
    ...(s.confidenceLevel !== undefined ? { confidenceLevel: s.confidenceLevel } : {}),
    ...(s.scoreThresholds !== undefined ? { scoreThresholds: s.scoreThresholds } : {}),
  });
}

/**
 * Pure: the run with one interval's samples (`samples[i]` = [canary, baseline] of metric i) ended
 * at `at` added, and judged once it has `count` intervals. A failed query makes the interval an
 * error instead: nothing recorded, the error counted.
 */
export function recordInterval(s: CanaryJudgeSettingsT, run: CanaryJudgeStatusT, samples: readonly (readonly [Sample, Sample])[], at: string): CanaryJudgeStatusT {
  const errors = samples.flatMap(([c, b], i) => [c, b].flatMap((x, side) => ('error' in x ? [`${s.metrics[i]?.name ?? '?'} (${side === 0 ? 'canary' : run.control}): ${x.error}`] : [])));
  if (errors.length > 0) {
    const consecutiveErrors = run.consecutiveErrors + 1;
    const limit = s.consecutiveErrorLimit ?? JUDGE_DEFAULTS.consecutiveErrorLimit;
    return { ...run, lastTime: at, consecutiveErrors, phase: consecutiveErrors > limit ? 'Error' : 'Running', message: cut(`interval ${run.intervals + 1}: query failed: ${errors.join('; ')}`, 1024) };
  }
  const value = (x: Sample): number | null => ('value' in x ? keep(x.value) : null);
  // By the settings' metrics (a metric added during the run starts with fewer samples).
  const metrics = s.metrics.map((sm, i): JudgeMetricStatusT => {
    const m = run.metrics.find((x) => x.name === sm.name) ?? { name: sm.name, canary: [], baseline: [] };
    const pair = samples[i];
    if (!pair) return m;
    return { ...m, canary: [...m.canary, value(pair[0])].slice(-MAX_JUDGE_INTERVALS), baseline: [...m.baseline, value(pair[1])].slice(-MAX_JUDGE_INTERVALS) };
  });
  const intervals = run.intervals + 1;
  const next: CanaryJudgeStatusT = { ...run, lastTime: at, consecutiveErrors: 0, intervals, metrics, phase: 'Running', message: `sampled ${intervals}/${run.count} intervals` };
  return intervals >= run.count ? recordJudgement(next, judgeRun(s, next), at) : next;
}

/** The number of one query for one side: one series' value, null without data, an error otherwise. */
async function sample(m: CanaryJudgeMetricT, s: CanaryJudgeSettingsT, env: ProviderEnv): Promise<Sample> {
  const metric: MetricT = { name: m.name, provider: { prometheus: { query: m.query, ...s.prometheus } } };
  const r = await queryFor(metric, env, m.query);
  if ('error' in r) return r;
  if (r.values.length === 0) return { value: null };
  if (r.values.length > 1) return { error: `the query answered ${r.values.length} series; aggregate it to one number (sum, avg, max)` };
  const v = r.values[0] ?? Number.NaN;
  return { value: Number.isFinite(v) ? v : null };
}

export interface JudgeTickOptions {
  /** The current time (ms since the epoch). */
  readonly now: number;
  /** The provider environment of each side: `{{pods}}` is that side's pods. */
  readonly envFor: (side: 'canary' | 'control') => ProviderEnv;
}

/**
 * Samples the interval that ended, if one did: every metric on both sides (concurrently).
 * `sampled` says whether the run changed; `nextDueMs` when to look again (undefined once judged).
 */
export async function judgeTick(s: CanaryJudgeSettingsT, run: CanaryJudgeStatusT, o: JudgeTickOptions): Promise<{ readonly run: CanaryJudgeStatusT; readonly sampled: boolean; readonly nextDueMs: number | undefined }> {
  const due = judgeNextDue(s, run);
  if (due === undefined || due > o.now) return { run, sampled: false, nextDueMs: due };
  const canary = o.envFor('canary');
  const control = o.envFor('control');
  const samples = await Promise.all(s.metrics.map(async (m) => [await sample(m, s, canary), await sample(m, s, control)] as const));
  const next = recordInterval(s, run, samples, new Date(o.now).toISOString());
  return { run: next, sampled: true, nextDueMs: judgeNextDue(s, next) };
}

/** Names and labels of a service's series, for the default judge metrics. */
export interface JudgeSeriesNames {
  readonly names?: { readonly requests?: string | undefined; readonly latency?: string | undefined } | undefined;
  readonly labels?: { readonly code?: string | undefined; readonly namespace?: string | undefined; readonly pod?: string | undefined } | undefined;
}

/**
 * The judge's metrics when none are given: the p95 latency (ms) and the 5xx error rate of each
 * side's pods over each interval, both failing only on an increase; latency tolerates 10% (a
 * significant shift below ×1.1 passes), errors tolerate none.
 */
export function defaultJudgeMetrics(n: JudgeSeriesNames = {}): CanaryJudgeMetricT[] {
  const requests = n.names?.requests ?? 'http_requests_total';
  const latency = n.names?.latency ?? 'http_request_duration_seconds';
  const code = n.labels?.code ?? 'code';
  const sel = `${n.labels?.namespace ?? 'namespace'}="{{namespace}}",${n.labels?.pod ?? 'pod'}=~"{{pods}}"`;
  return [
    {
      name: 'latency-p95',
      query: `1000 * histogram_quantile(0.95, sum by (le) (rate(${latency}_bucket{${sel}}[{{interval}}])))`,
      direction: 'increase',
      effectSize: { allowedIncrease: 1.1 },
    },
    {
      name: 'error-rate',
      // `or vector(0)`: no 5xx series at all is no error, not a missing sample; no requests at all is.
      query: `(sum(rate(${requests}{${sel},${code}=~"5.."}[{{interval}}])) or vector(0)) / sum(rate(${requests}{${sel}}[{{interval}}]))`,
      direction: 'increase',
    },
  ];
}
