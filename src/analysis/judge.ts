/**
 * The statistical canary judge: canary against baseline, per metric, with a Mann-Whitney U test.
 *
 * The method follows Kayenta's NetflixACAJudge (spinnaker/kayenta: kayenta-judge NetflixACAJudge.scala,
 * MannWhitneyClassifier.scala, WeightedSumScorer.scala, ThresholdScoreClassifier.scala; the
 * spinnaker.io guide "How canary judgment works"; kayenta docs/canary-config.md):
 *  - per metric, missing values (NaN) are removed (`nanStrategy: remove`, the default) or read as 0
 *    (`replace`, for counters that report nothing when nothing happened);
 *  - a metric without data on either side is NoData, and NoData is never a pass;
 *  - otherwise the canary's samples are compared with the baseline's by a two-sided Mann-Whitney U
 *    (Wilcoxon rank-sum) test, with the Hodges-Lehmann shift estimate as the size of the difference;
 *  - a significant difference fails the metric only in the direction the metric cares about
 *    (`increase`, `decrease` or `either`) and only when the effect is at least `allowedIncrease` (a
 *    ratio ≥ 1) or at most `allowedDecrease` (a ratio ≤ 1); Kayenta defaults both to 1: any
 *    significant change in a bad direction fails;
 *  - the score is the weighted share of metrics classified Pass, 0-100, rounded to two decimals; a
 *    score ≥ `pass` is Pass, ≥ `marginal` is Marginal, below is Fail;
 *  - a `critical` metric that is not Pass (High, Low or NoData) fails the whole run.
 *
 * Where slipway differs from Kayenta, on purpose:
 *  - Kayenta decides significance with the confidence interval of the shift (NetflixACAJudge runs it
 *    at confidence 0.98; slipway's default is 0.95) and a tolerance of 25% of the shift estimate; here the test's p-value decides (p < 1 − confidenceLevel), with an exact
 *    p-value for small samples without ties, as R's wilcox.test does. Kayenta's effect size is the
 *    ratio of means after removing outliers; here it is 1 + Hodges-Lehmann shift / |baseline median|,
 *    robust without an outlier pass, and +∞ when the baseline median is 0 and the canary is higher
 *    (Kayenta reads a zero baseline mean as ratio 1, so a `allowedIncrease` > 1 never fails an error
 *    rate that was 0).
 *  - Kayenta leaves NoData out of the score (and fails only when half the metrics are NoData); here a
 *    NoData metric counts in the score as not passing, so missing data can never raise a score.
 *  - A minimum sample count per side (`minSamples`); below it, or when the samples are too few for
 *    the test ever to reach the confidence level (3 + 3 samples cannot reach p < 0.05), the metric is
 *    NoData rather than a vacuous Pass.
 *  - A critical failure sets the verdict to Fail but keeps the computed score (Kayenta sets it to 0).
 *
 * Pure: no I/O, no clock, no randomness.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Opt = <T extends TSchema>(t: T) => Type.Optional(t);

/** A string enum the CRD can carry (`type: string` + `enum`) with a precise static type. */
const StringEnum = <T extends string>(values: readonly T[], description: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], description });

const METRIC_DIRECTIONS = ['increase', 'decrease', 'either'] as const;
type MetricDirection = (typeof METRIC_DIRECTIONS)[number];

/** How the judge reads one metric. Every field has a default (see {@link METRIC_DEFAULTS}). */
export const JudgeMetricSettings = Type.Object(
  {
    direction: Opt(
      StringEnum(
        METRIC_DIRECTIONS,
        'Which change fails the metric: increase (latency, errors), decrease (throughput, success rate) or either. @default either (as Kayenta)',
      ),
    ),
    effectSize: Opt(
      Type.Object(
        {
          allowedIncrease: Opt(
            Type.Number({ minimum: 1, description: 'A significant increase fails only from this ratio of canary to baseline up, e.g. 1.1 = 10% higher. @default 1 (as Kayenta)' }),
          ),
          allowedDecrease: Opt(
            Type.Number({ minimum: 0, maximum: 1, description: 'A significant decrease fails only from this ratio down, e.g. 0.9 = 10% lower. @default 1 (as Kayenta)' }),
          ),
        },
        { description: 'How large a significant difference must be to fail the metric.' },
      ),
    ),
    weight: Opt(Type.Number({ minimum: 0, description: "The metric's share of the score, relative to the other metrics' weights. @default 1" })),
    critical: Opt(Type.Boolean({ description: 'A critical metric that does not pass (High, Low or NoData) fails the whole analysis, whatever the score. @default false' })),
    minSamples: Opt(Type.Integer({ minimum: 1, description: 'Fewer samples than this on either side makes the metric NoData (never a pass). @default 5' })),
    nanStrategy: Opt(StringEnum(['remove', 'replace'] as const, 'Missing values (NaN): removed, or replaced by 0 (counters that report nothing when nothing happened). @default remove')),
  },
  { description: 'How the statistical judge compares one metric of the canary with the baseline.' },
);
export type JudgeMetricSettingsT = Static<typeof JudgeMetricSettings>;

/** Score thresholds of a judgement. */
const ScoreThresholds = Type.Object(
  {
    pass: Type.Number({ minimum: 0, maximum: 100, description: 'A score at or above this passes. @default 95' }),
    marginal: Type.Number({ minimum: 0, maximum: 100, description: 'A score at or above this (and below pass) is marginal; below it fails. @default 75' }),
  },
  { description: 'Score (0-100, the weighted share of passing metrics) thresholds.' },
);
export type ScoreThresholdsT = Static<typeof ScoreThresholds>;

/** The judge's settings for one analysis (the per-metric ones go with each metric). */
export const JudgeSettings = Type.Object(
  {
    // 0.5-0.999 rather than an exclusive (0, 1): CRD schemas take only the boolean OpenAPI 3.0 exclusiveMinimum.
    confidenceLevel: Opt(Type.Number({ minimum: 0.5, maximum: 0.999, description: 'Confidence level of the two-sided Mann-Whitney U test: a difference is significant when p < 1 - confidenceLevel. @default 0.95' })),
    scoreThresholds: Opt(ScoreThresholds),
  },
  { description: 'The statistical judge: canary against baseline.' },
);
export type JudgeSettingsT = Static<typeof JudgeSettings>;

/** Per-metric defaults: Kayenta's (direction either, allowed ratios 1, nanStrategy remove, not critical), plus weight 1 and 5 samples. */
export const METRIC_DEFAULTS = {
  direction: 'either',
  allowedIncrease: 1,
  allowedDecrease: 1,
  weight: 1,
  critical: false,
  minSamples: 5,
  nanStrategy: 'remove',
} as const satisfies {
  direction: MetricDirection;
  allowedIncrease: number;
  allowedDecrease: number;
  weight: number;
  critical: boolean;
  minSamples: number;
  nanStrategy: 'remove' | 'replace';
};

/**
 * Kayenta has no default thresholds (its CanaryClassifierThresholdsConfig requires `pass` and
 * `marginal`); 95 and 75 are the values of its documentation's canary config examples and of
 * Spinnaker's canary stage, so they are what users of Kayenta know.
 */
export const DEFAULT_SCORE_THRESHOLDS: ScoreThresholdsT = { pass: 95, marginal: 75 };
export const DEFAULT_CONFIDENCE_LEVEL = 0.95;

// ---------------------------------------------------------------------------------------------
// Mann-Whitney U test
// ---------------------------------------------------------------------------------------------

export interface MannWhitneyResult {
  /** Sample sizes of x and y. */
  readonly nx: number;
  readonly ny: number;
  /** U of x: the number of pairs (xi, yj) with xi > yj, ties counting ½ (R's W statistic). */
  readonly u: number;
  /** Two-sided p-value. */
  readonly pValue: number;
  /** exact: the permutation distribution of U (both samples under 50, no ties); normal: the normal approximation with tie and continuity correction. */
  readonly method: 'exact' | 'normal';
  /** Whether any value occurs more than once in the pooled samples. */
  readonly ties: boolean;
  /** Hodges-Lehmann estimate of the shift x − y: the median of all pairwise differences. */
  readonly estimate: number;
  /** Confidence interval of the shift at `confidenceLevel` (R's wilcox.test(conf.int = TRUE)). */
  readonly confidenceInterval: readonly [number, number];
  readonly confidenceLevel: number;
}

const EMPTY = new Float64Array(0);

/** values[i], which the caller knows to exist (NaN otherwise, never undefined). */
function num(values: ArrayLike<number>, i: number): number {
  return values[i] ?? Number.NaN;
}

/** Ranks 1..n of the values, ties sharing the average of their ranks; plus Σ(t³ − t) over tie groups. */
function rank(values: readonly number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((_, i) => i).sort((a, b) => num(values, a) - num(values, b));
  const ranks = new Array<number>(values.length).fill(0);
  let tieTerm = 0;
  for (let start = 0; start < order.length; ) {
    const value = num(values, num(order, start));
    let end = start + 1;
    while (end < order.length && num(values, num(order, end)) === value) end++;
    const average = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[num(order, k)] = average;
    const t = end - start;
    tieTerm += t * t * t - t;
    start = end;
  }
  return { ranks, tieTerm };
}

/** U of x against y (ties ½) and the tie term of the pooled sample. */
function uStatistic(x: readonly number[], y: readonly number[]): { u: number; tieTerm: number } {
  const { ranks, tieTerm } = rank([...x, ...y]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += num(ranks, i);
  return { u: sum - (x.length * (x.length + 1)) / 2, tieTerm };
}

/**
 * Counts of U = 0..m·n over the C(m+n, m) equally likely arrangements of m x's and n y's, by the
 * recurrence on the largest observation: an x beats all n y's (U − n left for m − 1, n), a y beats
 * nothing (U left for m, n − 1). Sums of positive counts only, so the doubles stay accurate.
 */
export function exactUCounts(m: number, n: number): Float64Array {
  // prev[j]: counts for (i − 1, j); cur[j]: counts for (i, j).
  let prev: Float64Array[] = Array.from({ length: n + 1 }, () => Float64Array.of(1));
  for (let i = 1; i <= m; i++) {
    const cur: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n; j++) {
      const withX = prev[j] ?? EMPTY; // (i − 1, j), shifted by j
      const withY = cur[j - 1] ?? EMPTY; // (i, j − 1)
      const c = new Float64Array(i * j + 1);
      for (let u = 0; u < c.length; u++) c[u] = (withX[u - j] ?? 0) + (withY[u] ?? 0);
      cur.push(c);
    }
    prev = cur;
  }
  return prev[n] ?? EMPTY;
}

/** The standard normal distribution function Φ (erfc of Numerical Recipes, relative error < 1.2e-7, tails included). */
export function normalCdf(z: number): number {
  const x = -z / Math.SQRT2;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.5 * a);
  const poly = -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfcA = t * Math.exp(poly);
  return 0.5 * (x >= 0 ? erfcA : 2 - erfcA);
}

/** The quantile Φ⁻¹(p), by bisection on {@link normalCdf} (no table of coefficients to get wrong). */
export function normalQuantile(p: number): number {
  let lo = -40;
  let hi = 40;
  for (let k = 0; k < 200 && hi - lo > 1e-12; k++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = Math.floor(n / 2);
  return n % 2 === 1 ? num(sorted, h) : (num(sorted, h - 1) + num(sorted, h)) / 2;
}

function pairwiseDifferences(x: readonly number[], y: readonly number[]): number[] {
  const d: number[] = [];
  for (const xi of x) for (const yj of y) d.push(xi - yj);
  return d.sort((a, b) => a - b);
}

/** Exact two-sided p-value and confidence interval (R: pwilcox/qwilcox over the exact counts). */
function exactTest(u: number, m: number, n: number, alpha: number, diffs: readonly number[]): { pValue: number; ci: [number, number] } {
  const counts = exactUCounts(m, n);
  let total = 0;
  for (const c of counts) total += c;
  const mn = m * n;
  // P(U ≤ u) for u below the centre, P(U ≥ u) above: sum the tail directly.
  let tail = 0;
  if (u > mn / 2) for (let k = Math.ceil(u); k <= mn; k++) tail += counts[k] ?? 0;
  else for (let k = 0; k <= Math.floor(u); k++) tail += counts[k] ?? 0;
  const pValue = Math.min(1, (2 * tail) / total);
  // qwilcox(alpha/2): the smallest q with P(U ≤ q) ≥ alpha/2; at least 1.
  let cumulative = 0;
  let q = 0;
  for (; q <= mn; q++) {
    cumulative += counts[q] ?? 0;
    if (cumulative / total >= alpha / 2) break;
  }
  const qu = Math.max(q, 1);
  const ql = mn - qu;
  return { pValue, ci: [num(diffs, qu - 1), num(diffs, ql)] };
}

/**
 * The standardized U of x − d against y, with tie and continuity correction, minus zq (R's wdiff):
 * non-increasing in d, its roots bound the normal-approximation confidence interval.
 */
function standardizedShift(x: readonly number[], y: readonly number[], d: number, zq: number): number {
  const m = x.length;
  const n = y.length;
  const { u, tieTerm } = uStatistic(
    x.map((v) => v - d),
    y,
  );
  const dz = u - (m * n) / 2;
  const sigma = Math.sqrt(((m * n) / 12) * (m + n + 1 - tieTerm / ((m + n) * (m + n - 1))));
  if (sigma === 0) return -zq;
  return (dz - Math.sign(dz) * 0.5) / sigma - zq;
}

/** R's root(): the shift where {@link standardizedShift} crosses 0, by bisection on [lo, hi]. */
function shiftRoot(x: readonly number[], y: readonly number[], zq: number, range: readonly [number, number]): number {
  let [lo, hi] = range;
  if (standardizedShift(x, y, lo, zq) <= 0) return lo;
  if (standardizedShift(x, y, hi, zq) >= 0) return hi;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (standardizedShift(x, y, mid, zq) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function extent(values: readonly number[]): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Normal-approximation two-sided p-value (tie and continuity corrected) and confidence interval. */
function normalTest(x: readonly number[], y: readonly number[], alpha: number, stat: { u: number; tieTerm: number }): { pValue: number; ci: [number, number] } {
  const m = x.length;
  const n = y.length;
  const sigma = Math.sqrt(((m * n) / 12) * (m + n + 1 - stat.tieTerm / ((m + n) * (m + n - 1))));
  if (sigma === 0) return { pValue: 1, ci: [0, 0] }; // every value equal: no difference to find
  const dz = stat.u - (m * n) / 2;
  const z = (dz - Math.sign(dz) * 0.5) / sigma;
  const pValue = Math.min(1, 2 * Math.min(normalCdf(z), normalCdf(-z)));
  // Loops, not Math.min(...x): a spread of a large sample overflows the call stack.
  const [xMin, xMax] = extent(x);
  const [yMin, yMax] = extent(y);
  const range: [number, number] = [xMin - yMax, xMax - yMin];
  const zq = normalQuantile(1 - alpha / 2);
  return { pValue, ci: [shiftRoot(x, y, zq, range), shiftRoot(x, y, -zq, range)] };
}

/**
 * The two-sided Mann-Whitney U (Wilcoxon rank-sum) test of x against y, as R's
 * `wilcox.test(x, y, conf.int = TRUE, conf.level)` computes it: exact when both samples have fewer
 * than 50 values and there are no ties, otherwise the normal approximation with tie correction of the
 * variance and continuity correction. The estimate is always the Hodges-Lehmann median of pairwise
 * differences (R's normal branch solves for it instead; the two agree to its 1e-4 tolerance or so).
 * Both samples must be non-empty and finite. Cost: the m·n pairwise differences (the estimate and
 * the exact interval) and, for the normal interval, some hundred rankings of m + n values; meant for
 * per-interval samples (tens to a few thousand values), not raw events.
 */
export function mannWhitney(x: readonly number[], y: readonly number[], confidenceLevel = DEFAULT_CONFIDENCE_LEVEL): MannWhitneyResult {
  if (x.length === 0 || y.length === 0) throw new RangeError('mannWhitney needs at least one value in each sample');
  const alpha = 1 - confidenceLevel;
  const stat = uStatistic(x, y);
  const ties = stat.tieTerm > 0;
  const diffs = pairwiseDifferences(x, y);
  const exact = x.length < 50 && y.length < 50 && !ties;
  const { pValue, ci } = exact ? exactTest(stat.u, x.length, y.length, alpha, diffs) : normalTest(x, y, alpha, stat);
  return { nx: x.length, ny: y.length, u: stat.u, pValue, method: exact ? 'exact' : 'normal', ties, estimate: median(diffs), confidenceInterval: ci, confidenceLevel };
}

/**
 * The smallest two-sided p-value the test can give for samples of m and n values: both samples
 * entirely apart, 2 / C(m+n, m). When it is not below 1 − confidence level, the test cannot find
 * any difference, and a "no significant difference" would be vacuous.
 */
export function minimumPValue(m: number, n: number): number {
  let combinations = 1;
  for (let k = 1; k <= Math.min(m, n); k++) combinations = (combinations * (m + n - Math.min(m, n) + k)) / k;
  return Math.min(1, 2 / combinations);
}

// ---------------------------------------------------------------------------------------------
// Judging metrics
// ---------------------------------------------------------------------------------------------

export type MetricClassification = 'Pass' | 'High' | 'Low' | 'NoData';
export type Verdict = 'Pass' | 'Marginal' | 'Fail';

/** One metric's samples (one value per interval, typically) for the canary and the baseline. */
export interface MetricSamples {
  readonly name: string;
  readonly canary: readonly number[];
  readonly baseline: readonly number[];
  readonly settings?: JudgeMetricSettingsT;
}

interface SampleSummary {
  /** Values used, after NaN handling. */
  readonly count: number;
  /** Their median; NaN without values. */
  readonly median: number;
}

export interface MetricResult {
  readonly name: string;
  readonly classification: MetricClassification;
  /** One sentence for people: what was compared and why it is classified so. */
  readonly reason: string;
  readonly critical: boolean;
  readonly weight: number;
  readonly canary: SampleSummary;
  readonly baseline: SampleSummary;
  /**
   * Effect size: 1 + Hodges-Lehmann shift / |baseline median|; 1.3 = the canary is 30% higher.
   * ±Infinity when the baseline median is 0 and the canary differs; absent for NoData.
   */
  readonly ratio?: number;
  /** The test, when it ran. */
  readonly test?: MannWhitneyResult;
}

export interface JudgeResult {
  /** Weighted share of Pass metrics, 0-100, two decimals. */
  readonly score: number;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly metrics: readonly MetricResult[];
  /** How many metrics got each classification. */
  readonly counts: Readonly<Record<MetricClassification, number>>;
}

/** A number for a reason text: 3 significant digits, no exponent for everyday values. */
function show(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}

function showP(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

function clean(values: readonly number[], strategy: 'remove' | 'replace'): number[] {
  return strategy === 'remove' ? values.filter((v) => Number.isFinite(v)) : values.map((v) => (Number.isFinite(v) ? v : 0));
}

function effectRatio(shift: number, baselineMedian: number): number {
  if (baselineMedian === 0) return shift === 0 ? 1 : shift > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return 1 + shift / Math.abs(baselineMedian);
}

interface Resolved {
  direction: MetricDirection;
  allowedIncrease: number;
  allowedDecrease: number;
  weight: number;
  critical: boolean;
  minSamples: number;
  nanStrategy: 'remove' | 'replace';
}

function resolve(s: JudgeMetricSettingsT | undefined): Resolved {
  return {
    direction: s?.direction ?? METRIC_DEFAULTS.direction,
    allowedIncrease: s?.effectSize?.allowedIncrease ?? METRIC_DEFAULTS.allowedIncrease,
    allowedDecrease: s?.effectSize?.allowedDecrease ?? METRIC_DEFAULTS.allowedDecrease,
    weight: s?.weight ?? METRIC_DEFAULTS.weight,
    critical: s?.critical ?? METRIC_DEFAULTS.critical,
    minSamples: s?.minSamples ?? METRIC_DEFAULTS.minSamples,
    nanStrategy: s?.nanStrategy ?? METRIC_DEFAULTS.nanStrategy,
  };
}

/** The classification of a significant difference, given the metric's direction and allowed effect. */
function classifyDifference(higher: boolean, ratio: number, s: Resolved): { classification: MetricClassification; why: string } {
  const word = higher ? 'higher' : 'lower';
  const badDirection = higher ? s.direction !== 'decrease' : s.direction !== 'increase';
  if (!badDirection) return { classification: 'Pass', why: `canary significantly ${word}, but only ${s.direction === 'increase' ? 'an increase' : 'a decrease'} fails this metric` };
  if (higher && ratio < s.allowedIncrease) return { classification: 'Pass', why: `canary significantly higher, ×${show(ratio)} below the allowed ×${show(s.allowedIncrease)}` };
  if (!higher && ratio > s.allowedDecrease) return { classification: 'Pass', why: `canary significantly lower, ×${show(ratio)} above the allowed ×${show(s.allowedDecrease)}` };
  return { classification: higher ? 'High' : 'Low', why: `canary significantly ${word}: ×${show(ratio)}, allowed ×${show(higher ? s.allowedIncrease : s.allowedDecrease)}` };
}

/**
 * Classify one metric: Pass, High (canary significantly and materially higher, and higher is bad),
 * Low (the same, lower), or NoData (too few samples on either side to judge; never a pass).
 */
export function judgeMetric(metric: MetricSamples, confidenceLevel = DEFAULT_CONFIDENCE_LEVEL): MetricResult {
  const s = resolve(metric.settings);
  const canary = clean(metric.canary, s.nanStrategy).sort((a, b) => a - b);
  const baseline = clean(metric.baseline, s.nanStrategy).sort((a, b) => a - b);
  const base = {
    name: metric.name,
    critical: s.critical,
    weight: s.weight,
    canary: { count: canary.length, median: median(canary) },
    baseline: { count: baseline.length, median: median(baseline) },
  };
  const alpha = 1 - confidenceLevel;
  const samples = `${canary.length} canary and ${baseline.length} baseline samples`;
  if (canary.length < s.minSamples || baseline.length < s.minSamples) {
    return { ...base, classification: 'NoData', reason: `${metric.name}: ${samples}, fewer than the ${s.minSamples} required on each side` };
  }
  if (minimumPValue(canary.length, baseline.length) >= alpha) {
    return { ...base, classification: 'NoData', reason: `${metric.name}: ${samples} are too few for any difference to be significant at confidence ${confidenceLevel}` };
  }
  const test = mannWhitney(canary, baseline, confidenceLevel);
  const ratio = effectRatio(test.estimate, base.baseline.median);
  const medians = `median ${show(base.canary.median)} vs ${show(base.baseline.median)}`;
  if (!(test.pValue < alpha)) {
    return { ...base, classification: 'Pass', ratio, test, reason: `${metric.name}: no significant difference (${medians}, p=${showP(test.pValue)} ≥ ${showP(alpha)})` };
  }
  const { classification, why } = classifyDifference(test.u > (canary.length * baseline.length) / 2, ratio, s);
  return { ...base, classification, ratio, test, reason: `${metric.name}: ${why} (${medians}, p=${showP(test.pValue)} < ${showP(alpha)})` };
}

function verdictOf(score: number, t: ScoreThresholdsT): Verdict {
  if (score >= t.pass) return 'Pass';
  if (score >= t.marginal) return 'Marginal';
  return 'Fail';
}

/**
 * Judge a canary against its baseline: classify every metric ({@link judgeMetric}), score the
 * weighted share of Pass metrics and map it to a verdict with the thresholds. A critical metric
 * that is not Pass fails the run whatever the score; no metric (or no weight) at all fails too.
 */
export function judge(metrics: readonly MetricSamples[], settings: JudgeSettingsT = {}): JudgeResult {
  const confidenceLevel = settings.confidenceLevel ?? DEFAULT_CONFIDENCE_LEVEL;
  const thresholds = settings.scoreThresholds ?? DEFAULT_SCORE_THRESHOLDS;
  const results = metrics.map((m) => judgeMetric(m, confidenceLevel));
  const counts: Record<MetricClassification, number> = { Pass: 0, High: 0, Low: 0, NoData: 0 };
  let total = 0;
  let passed = 0;
  for (const r of results) {
    counts[r.classification]++;
    total += r.weight;
    if (r.classification === 'Pass') passed += r.weight;
  }
  if (total === 0) {
    return { score: 0, verdict: 'Fail', reason: results.length === 0 ? 'no metric to judge' : 'every metric has weight 0', metrics: results, counts };
  }
  const score = Math.round((passed / total) * 100 * 100) / 100;
  const criticals = results.filter((r) => r.critical && r.classification !== 'Pass');
  if (criticals.length > 0) {
    const list = criticals.map((r) => `${r.name} (${r.classification})`).join(', ');
    return { score, verdict: 'Fail', reason: `critical metric not passing: ${list}; first: ${criticals[0]?.reason ?? ''}`, metrics: results, counts };
  }
  const verdict = verdictOf(score, thresholds);
  const failing = results.filter((r) => r.classification !== 'Pass').map((r) => `${r.name} ${r.classification}`);
  const rule = verdict === 'Pass' ? `≥ pass ${thresholds.pass}` : verdict === 'Marginal' ? `≥ marginal ${thresholds.marginal}, < pass ${thresholds.pass}` : `< marginal ${thresholds.marginal}`;
  const detail = failing.length > 0 ? `; not passing: ${failing.join(', ')}` : '';
  return { score, verdict, reason: `score ${score} ${rule} (${counts.Pass} of ${results.length} metrics pass)${detail}`, metrics: results, counts };
}
