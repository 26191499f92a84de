import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import {
  DEFAULT_CONFIDENCE_LEVEL,
  DEFAULT_SCORE_THRESHOLDS,
  METRIC_DEFAULTS,
  JudgeMetricSettings,
  JudgeSettings,
  exactUCounts,
  judge,
  judgeMetric,
  mannWhitney,
  minimumPValue,
  normalCdf,
  normalQuantile,
  type JudgeMetricSettingsT,
  type MetricClassification,
  type MetricSamples,
  type Verdict,
} from './judge.ts';

/** mulberry32: a small seeded PRNG, so every "noisy" sample below is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values of a normal distribution (Box-Muller), seeded. */
function normalSamples(seed: number, n: number, mean: number, sd: number): number[] {
  const next = prng(seed);
  const out: number[] = [];
  while (out.length < n) {
    const u1 = Math.max(next(), 1e-12);
    const u2 = next();
    out.push(mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  }
  return out;
}

/** Per-interval latency (ms) as the simulator's pods give it: ~10% noise around the mean. */
const latency = (seed: number, mean: number, n = 30) => normalSamples(seed, n, mean, mean * 0.1);

describe('normal distribution', () => {
  // Reference: Python's math.erfc (0.5 * erfc(-z / sqrt 2)), independent of normalCdf.
  it.each([
    [1, 0.8413447460685429],
    [1.96, 0.9750021048517795],
    [-3, 0.0013498980316300957],
    [-8, 6.220960574271819e-16],
    [0, 0.5],
  ])('Φ(%s) = %s to 1e-6 relative', (z, p) => {
    expect(Math.abs(normalCdf(z) - p) / p).toBeLessThan(1e-6);
  });

  it('quantile inverts Φ: Φ⁻¹(0.975) = 1.959964', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 6);
  });
});

describe('mannWhitney against R wilcox.test', () => {
  // Hollander & Wolfe (1973) p. 69, the example of R's ?wilcox.test: wilcox.test(x, y, alternative = "g")
  // prints W = 35, p-value = 0.1272 (exact); the two-sided exact p-value is twice that.
  const hwX = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const hwY = [1.15, 0.88, 0.9, 0.74, 1.21];
  // R's datasets::mtcars, mpg by transmission (am = 0 automatic, am = 1 manual).
  const automatic = [21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4, 14.7, 21.5, 15.5, 15.2, 13.3, 19.2];
  const manual = [21.0, 21.0, 22.8, 32.4, 30.4, 33.9, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4];

  it.each([
    // wilcox.test(1:3, 4:6): W = 0, p-value = 0.1 (the smallest of 20 arrangements, both tails).
    { name: '1:3 vs 4:6', x: [1, 2, 3], y: [4, 5, 6], u: 0, p: 0.1, method: 'exact' },
    { name: 'Hollander & Wolfe', x: hwX, y: hwY, u: 35, p: 2 * 0.1272, method: 'exact', tol: 1e-4 },
    // By hand: 6:10 vs 1:5 is one arrangement of C(10,5) = 252, both tails: 2/252.
    { name: '6:10 vs 1:5', x: [6, 7, 8, 9, 10], y: [1, 2, 3, 4, 5], u: 25, p: 2 / 252, method: 'exact' },
    // wilcox.test(mpg ~ am, data = mtcars): W = 42, p-value = 0.001871 (ties: normal approximation).
    { name: 'mtcars mpg ~ am', x: automatic, y: manual, u: 42, p: 0.001871, method: 'normal', tol: 1e-6 },
    // By hand, ties: ranks 5,5,5 | 2,2,2; σ² = 9/12 · (7 − 48/30) = 4.05; z = (9 − 4.5 − 0.5)/σ;
    // p = erfc(z/√2) = 0.04685417760387374 (Python math.erfc).
    { name: 'constant 5s vs constant 3s', x: [5, 5, 5], y: [3, 3, 3], u: 9, p: 0.04685417760387374, method: 'normal', tol: 1e-8 },
  ])('$name: W = $u, p = $p ($method)', ({ x, y, u, p, method, tol }) => {
    const r = mannWhitney(x, y);
    expect(r.u).toBe(u);
    expect(r.method).toBe(method);
    expect(Math.abs(r.pValue - p)).toBeLessThanOrEqual(tol ?? 1e-12);
  });

  it('6:10 vs 1:5 (by hand): 95% CI [2, 8] = 3rd and 23rd of the 25 sorted differences, estimate 5', () => {
    // qwilcox(0.025, 5, 5) = 3 (P(W ≤ 2) = 4/252 < 0.025 ≤ P(W ≤ 3) = 7/252).
    const r = mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]);
    expect(r.confidenceInterval).toEqual([2, 8]);
    expect(r.estimate).toBe(5);
  });

  it('4:6 vs 1:3 at 90% (by hand): qwilcox(0.05, 3, 3) = 0 is raised to 1, CI = [min, max] difference = [1, 5], estimate 3', () => {
    const r = mannWhitney([4, 5, 6], [1, 2, 3], 0.9);
    expect(r.confidenceInterval).toEqual([1, 5]);
    expect(r.estimate).toBe(3);
    expect(r.pValue).toBeCloseTo(0.1, 12);
  });

  it('mtcars mpg ~ am, conf.int = TRUE: R prints CI -11.699942 -2.900042, difference in location -6.799963', () => {
    // R finds these with uniroot(tol = 1e-4); our bisection finds the same steps of the statistic.
    const r = mannWhitney(automatic, manual);
    expect(r.confidenceInterval[0]).toBeCloseTo(-11.7, 3);
    expect(r.confidenceInterval[1]).toBeCloseTo(-2.9, 3);
    expect(r.estimate).toBeCloseTo(-6.8, 3);
  });

  it('50 samples or more: the normal approximation even without ties (R\'s rule), p by hand', () => {
    // Samples of 50 or more use the normal approximation even without ties (R's rule).
    const x = Array.from({ length: 50 }, (_, i) => i * 2 + 1);
    const y = Array.from({ length: 50 }, (_, i) => i * 2);
    const r = mannWhitney(x, y);
    expect(r.method).toBe('normal');
    expect(r.ties).toBe(false);
    // U = Σ_i (i + 1) = 1275; mean 1250; σ² = 2500·101/12; z = 24.5/σ; p = erfc(z/√2) ≈ 0.8313.
    const z = 24.5 / Math.sqrt((2500 * 101) / 12);
    expect(r.u).toBe(1275);
    expect(r.pValue).toBeCloseTo(2 * (1 - normalCdf(z)), 10);
  });

  it('exact counts equal brute-force enumeration of every arrangement', () => {
    for (const [m, n] of [
      [1, 1],
      [3, 4],
      [5, 5],
      [6, 3],
      [2, 7],
    ] as const) {
      const brute = new Array<number>(m * n + 1).fill(0);
      // Every choice of which m of the m+n ranks are x's; U = Σ x-ranks − m(m+1)/2.
      for (let mask = 0; mask < 1 << (m + n); mask++) {
        let bits = 0;
        let rankSum = 0;
        for (let k = 0; k < m + n; k++)
          if (mask & (1 << k)) {
            bits++;
            rankSum += k + 1;
          }
        if (bits === m) brute[rankSum - (m * (m + 1)) / 2]!++;
      }
      expect(Array.from(exactUCounts(m, n))).toEqual(brute);
    }
  });

  it('swapping the samples mirrors U, the estimate and the interval, and keeps p', () => {
    const x = latency(1, 100, 12);
    const y = latency(2, 110, 15);
    const a = mannWhitney(x, y);
    const b = mannWhitney(y, x);
    expect(b.u).toBe(x.length * y.length - a.u);
    expect(b.pValue).toBeCloseTo(a.pValue, 12);
    expect(b.estimate).toBeCloseTo(-a.estimate, 12);
    expect(b.confidenceInterval[0]).toBeCloseTo(-a.confidenceInterval[1], 12);
    expect(b.confidenceInterval[1]).toBeCloseTo(-a.confidenceInterval[0], 12);
  });

  it('shifting one sample shifts the estimate and the interval by as much, and contains the true shift', () => {
    const y = latency(3, 100, 20);
    const x = y.map((v) => v + 7);
    const r = mannWhitney(x, y);
    expect(r.estimate).toBeCloseTo(7, 9);
    expect(r.confidenceInterval[0]).toBeLessThanOrEqual(7);
    expect(r.confidenceInterval[1]).toBeGreaterThanOrEqual(7);
  });

  it('all values equal: p = 1, shift 0', () => {
    const r = mannWhitney([4, 4, 4, 4, 4], [4, 4, 4, 4, 4, 4]);
    expect(r.pValue).toBe(1);
    expect(r.estimate).toBe(0);
    expect(r.confidenceInterval).toEqual([0, 0]);
  });

  it('refuses an empty sample', () => {
    expect(() => mannWhitney([], [1])).toThrow(RangeError);
  });

  it('holds its size on equal noise and finds a 30% slowdown (200 seeds, 20 samples each)', () => {
    let falseAlarms = 0;
    let detected = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const baseline = latency(seed * 2, 100, 20);
      if (mannWhitney(latency(seed * 2 + 1, 100, 20), baseline).pValue < 0.05) falseAlarms++;
      if (mannWhitney(latency(seed * 2 + 1, 130, 20), baseline).pValue < 0.05) detected++;
    }
    expect(falseAlarms).toBeLessThanOrEqual(16); // nominal 5% of 200 = 10
    expect(detected).toBe(200);
  });

  it('minimumPValue is 2/C(m+n, m)', () => {
    expect(minimumPValue(3, 3)).toBeCloseTo(0.1, 12);
    expect(minimumPValue(4, 4)).toBeCloseTo(2 / 70, 12);
    expect(minimumPValue(5, 5)).toBeCloseTo(2 / 252, 12);
    expect(minimumPValue(1, 1)).toBe(1);
  });
});

describe('judgeMetric', () => {
  const increase: JudgeMetricSettingsT = { direction: 'increase' };
  const equalCanary = latency(11, 100);
  const baseline = latency(12, 100);
  const slower = latency(13, 130);
  const faster = latency(14, 70);

  it.each([
    { name: 'canary 30% slower, increase is bad', canary: slower, settings: increase, want: 'High', reason: /significantly higher/ },
    { name: 'canary equal within noise', canary: equalCanary, settings: increase, want: 'Pass', reason: /no significant difference/ },
    { name: 'canary 30% faster, only increase is bad', canary: faster, settings: increase, want: 'Pass', reason: /only an increase fails/ },
    { name: 'canary 30% faster, either is bad (default)', canary: faster, settings: {}, want: 'Low', reason: /significantly lower/ },
    { name: 'canary 30% slower, only decrease is bad', canary: slower, settings: { direction: 'decrease' }, want: 'Pass', reason: /only a decrease fails/ },
    { name: 'canary 30% faster, decrease is bad', canary: faster, settings: { direction: 'decrease' }, want: 'Low', reason: /allowed ×1 \(/ },
    { name: '30% slower within allowedIncrease 1.5', canary: slower, settings: { direction: 'increase', effectSize: { allowedIncrease: 1.5 } }, want: 'Pass', reason: /below the allowed ×1.5/ },
    { name: '30% slower beyond allowedIncrease 1.2', canary: slower, settings: { direction: 'increase', effectSize: { allowedIncrease: 1.2 } }, want: 'High', reason: /allowed ×1\.2 \(/ },
    { name: '30% faster within allowedDecrease 0.5', canary: faster, settings: { effectSize: { allowedDecrease: 0.5 } }, want: 'Pass', reason: /above the allowed ×0.5/ },
    { name: 'too few canary samples', canary: slower.slice(0, 4), settings: increase, want: 'NoData', reason: /4 canary and 30 baseline samples, fewer than the 5 required/ },
    { name: 'no canary samples', canary: [], settings: increase, want: 'NoData', reason: /0 canary/ },
    { name: 'all canary samples NaN', canary: slower.map(() => Number.NaN), settings: increase, want: 'NoData', reason: /0 canary/ },
    { name: 'minSamples lowered below what the test can use', canary: slower.slice(0, 3), baseline: baseline.slice(0, 3), settings: { minSamples: 1 }, want: 'NoData', reason: /too few for any difference to be significant/ },
  ] satisfies { name: string; canary: number[]; baseline?: number[]; settings: JudgeMetricSettingsT; want: string; reason: RegExp }[])(
    '$name → $want',
    ({ canary, settings, want, reason, ...rest }) => {
      const r = judgeMetric({ name: 'latency', canary, baseline: rest.baseline ?? baseline, settings });
      expect(r.classification).toBe(want);
      expect(r.reason).toMatch(reason);
    },
  );

  it('reports the effect size: 30% slower is a ratio near 1.3', () => {
    const r = judgeMetric({ name: 'latency', canary: slower, baseline, settings: increase });
    expect(r.ratio).toBeGreaterThan(1.2);
    expect(r.ratio).toBeLessThan(1.4);
    expect(r.canary.count).toBe(30);
    expect(r.test?.method).toBe('exact');
  });

  it('NaN samples are removed by default and read as 0 with nanStrategy replace', () => {
    const canary = [...slower.slice(0, 10), Number.NaN, Number.NaN];
    expect(judgeMetric({ name: 'm', canary, baseline }).canary.count).toBe(10);
    expect(judgeMetric({ name: 'm', canary, baseline, settings: { nanStrategy: 'replace' } }).canary.count).toBe(12);
  });

  it('error counters: NaN (no errors reported) as 0 makes an all-quiet pair pass and a failing canary High', () => {
    const quiet = Array.from({ length: 10 }, () => Number.NaN);
    const settings: JudgeMetricSettingsT = { direction: 'increase', nanStrategy: 'replace', effectSize: { allowedIncrease: 1.5 } };
    expect(judgeMetric({ name: 'errors', canary: quiet, baseline: quiet, settings }).classification).toBe('Pass');
    // With the baseline at 0, a canary at 20% errors is an infinite ratio: beyond any allowedIncrease.
    const failing = judgeMetric({ name: 'errors', canary: Array.from({ length: 10 }, () => 0.2), baseline: quiet, settings });
    expect(failing.classification).toBe('High');
    expect(failing.ratio).toBe(Number.POSITIVE_INFINITY);
    expect(failing.reason).toMatch(/×∞/);
  });

  it('ties: a mostly-zero error rate with a few more errors in the canary', () => {
    const baselineErrors = [0, 0, 0, 0, 0.01, 0, 0, 0, 0, 0, 0, 0.01];
    const canaryErrors = [0.05, 0.04, 0.06, 0, 0.05, 0.07, 0.04, 0.05, 0.06, 0.05, 0.04, 0.05];
    const r = judgeMetric({ name: 'errors', canary: canaryErrors, baseline: baselineErrors, settings: { direction: 'increase' } });
    expect(r.test?.ties).toBe(true);
    expect(r.test?.method).toBe('normal');
    expect(r.classification).toBe('High');
    // The same canary without its extra errors passes.
    expect(judgeMetric({ name: 'errors', canary: [...baselineErrors].reverse(), baseline: baselineErrors }).classification).toBe('Pass');
  });

  it('all samples equal on both sides pass', () => {
    const sevens = Array.from({ length: 8 }, () => 7);
    const r = judgeMetric({ name: 'm', canary: sevens, baseline: sevens });
    expect(r.classification).toBe('Pass');
    expect(r.ratio).toBe(1);
  });

  it('a higher confidence level needs stronger evidence', () => {
    // An 8% slowdown on 12 samples each: p ≈ 0.0045, significant at 0.99, not at 0.999.
    const canary = latency(7, 108, 12);
    const base = latency(107, 100, 12);
    const at99 = judgeMetric({ name: 'm', canary, baseline: base }, 0.99);
    const at999 = judgeMetric({ name: 'm', canary, baseline: base }, 0.999);
    expect(at99.test!.pValue).toBeGreaterThan(0.001);
    expect(at99.test!.pValue).toBeLessThan(0.01);
    expect(at99.classification).toBe('High');
    expect(at999.classification).toBe('Pass');
  });
});

describe('judge', () => {
  const metrics = (canaryLatencyMs: number, seed: number): MetricSamples[] => [
    { name: 'latency-p95', canary: latency(seed, canaryLatencyMs), baseline: latency(seed + 1, 100), settings: { direction: 'increase' } },
    { name: 'error-rate', canary: normalSamples(seed + 2, 30, 0.01, 0.002), baseline: normalSamples(seed + 3, 30, 0.01, 0.002), settings: { direction: 'increase' } },
  ];

  it('the issue proof: a canary 30% slower than its baseline fails, score 50', () => {
    const r = judge(metrics(130, 100));
    const classifications: MetricClassification[] = ['High', 'Pass'];
    const verdict: Verdict = 'Fail';
    expect(r.metrics.map((m) => m.classification)).toEqual(classifications);
    expect(r.score).toBe(50);
    expect(r.verdict).toBe(verdict);
    expect(r.reason).toMatch(/score 50 < marginal 75 \(1 of 2 metrics pass\); not passing: latency-p95 High/);
  });

  it('the issue proof: a canary equal to its baseline within noise passes, score 100', () => {
    const r = judge(metrics(100, 100));
    expect(r.metrics.map((m) => m.classification)).toEqual(['Pass', 'Pass']);
    expect(r.score).toBe(100);
    expect(r.verdict).toBe('Pass');
    expect(r.counts).toEqual({ Pass: 2, High: 0, Low: 0, NoData: 0 });
  });

  it('equal canaries pass across seeds once each tolerance is above its noise; 30% slower always fails', () => {
    // Latency noise is 10% and error-rate noise 20% of the mean: with 30 samples a chance shift of
    // ~12% in the error rate is still significant now and then (seed 1048), so it gets 1.25.
    const allowed = { 'latency-p95': 1.1, 'error-rate': 1.25 } as Record<string, number>;
    const tolerant = (canaryMs: number, seed: number): MetricSamples[] =>
      metrics(canaryMs, seed).map((m) => ({ ...m, settings: { ...m.settings, effectSize: { allowedIncrease: allowed[m.name]! } } }));
    for (let seed = 1000; seed < 1100; seed += 4) {
      expect(judge(tolerant(100, seed)).verdict).toBe('Pass');
      expect(judge(tolerant(130, seed)).verdict).toBe('Fail');
    }
  });

  it('weights: a failing metric of weight 1 beside weight 3 scores 75, Marginal', () => {
    const [lat, err] = metrics(130, 200) as [MetricSamples, MetricSamples];
    const r = judge([lat, { ...err, settings: { direction: 'increase', weight: 3 } }]);
    expect(r.score).toBe(75);
    expect(r.verdict).toBe('Marginal');
  });

  it('scores round to two decimals and the thresholds are inclusive', () => {
    const pass = (name: string): MetricSamples => ({ name, canary: latency(1, 100), baseline: latency(1, 100) });
    const high: MetricSamples = { name: 'slow', canary: latency(5, 150), baseline: latency(6, 100), settings: { direction: 'increase' } };
    const two = judge([pass('a'), pass('b'), high]);
    expect(two.score).toBe(66.67);
    const r = judge([...Array.from({ length: 19 }, (_, i) => pass(`m${i}`)), high]);
    expect(r.score).toBe(95);
    expect(r.verdict).toBe('Pass');
    expect(judge([...Array.from({ length: 19 }, (_, i) => pass(`m${i}`)), high], { scoreThresholds: { pass: 96, marginal: 95 } }).verdict).toBe('Marginal');
  });

  it('a critical metric that fails makes the run Fail whatever the score', () => {
    const pass = (name: string): MetricSamples => ({ name, canary: latency(1, 100), baseline: latency(1, 100) });
    const high: MetricSamples = { name: 'latency', canary: latency(5, 150), baseline: latency(6, 100), settings: { direction: 'increase', critical: true } };
    const r = judge([...Array.from({ length: 19 }, (_, i) => pass(`m${i}`)), high]);
    expect(r.score).toBe(95);
    expect(r.verdict).toBe('Fail');
    expect(r.reason).toMatch(/^critical metric not passing: latency \(High\); first: latency: canary significantly higher/);
  });

  it('a critical metric without data fails the run too', () => {
    const r = judge([
      { name: 'ok', canary: latency(1, 100), baseline: latency(2, 100) },
      { name: 'errors', canary: [], baseline: latency(3, 1), settings: { critical: true, weight: 0 } },
    ]);
    expect(r.score).toBe(100);
    expect(r.verdict).toBe('Fail');
    expect(r.reason).toMatch(/errors \(NoData\)/);
  });

  it('NoData is never a pass: it counts against the score', () => {
    const r = judge([
      { name: 'latency', canary: latency(1, 100), baseline: latency(2, 100) },
      { name: 'errors', canary: [1, 2], baseline: latency(3, 1) },
    ]);
    expect(r.counts.NoData).toBe(1);
    expect(r.score).toBe(50);
    expect(r.verdict).toBe('Fail');
    const all = judge([{ name: 'latency', canary: [], baseline: [] }]);
    expect(all.score).toBe(0);
    expect(all.verdict).toBe('Fail');
  });

  it('nothing to judge fails', () => {
    expect(judge([])).toMatchObject({ score: 0, verdict: 'Fail', reason: 'no metric to judge' });
    expect(judge([{ name: 'm', canary: latency(1, 100), baseline: latency(2, 100), settings: { weight: 0 } }])).toMatchObject({ verdict: 'Fail', reason: 'every metric has weight 0' });
  });

  it('defaults: confidence 0.95, thresholds 95/75, Kayenta\'s per-metric defaults', () => {
    expect(DEFAULT_CONFIDENCE_LEVEL).toBe(0.95);
    expect(DEFAULT_SCORE_THRESHOLDS).toEqual({ pass: 95, marginal: 75 });
    expect(METRIC_DEFAULTS).toEqual({ direction: 'either', allowedIncrease: 1, allowedDecrease: 1, weight: 1, critical: false, minSamples: 5, nanStrategy: 'remove' });
    const r = judge([{ name: 'm', canary: latency(1, 100), baseline: latency(2, 100) }]);
    expect(r.metrics[0]!.test!.confidenceLevel).toBe(0.95);
    expect(r.metrics[0]!.weight).toBe(1);
  });
});

describe('settings schema', () => {
  const ajv = new Ajv({ strict: false });
  const metric = ajv.compile(JudgeMetricSettings);
  const settings = ajv.compile(JudgeSettings);

  it.each([
    [{}, true],
    [{ direction: 'increase', effectSize: { allowedIncrease: 1.1, allowedDecrease: 0.9 }, weight: 2, critical: true, minSamples: 10, nanStrategy: 'replace' }, true],
    [{ direction: 'up' }, false],
    [{ effectSize: { allowedIncrease: 0.9 } }, false],
    [{ effectSize: { allowedDecrease: 1.1 } }, false],
    [{ weight: -1 }, false],
    [{ minSamples: 0 }, false],
    [{ minSamples: 2.5 }, false],
    [{ nanStrategy: 'zero' }, false],
  ])('metric settings %j valid: %s', (value, valid) => {
    expect(metric(value)).toBe(valid);
  });

  it.each([
    [{}, true],
    [{ confidenceLevel: 0.99, scoreThresholds: { pass: 90, marginal: 50 } }, true],
    [{ confidenceLevel: 1 }, false],
    [{ confidenceLevel: 0.3 }, false],
    [{ scoreThresholds: { pass: 101, marginal: 75 } }, false],
    [{ scoreThresholds: { pass: 95 } }, false],
  ])('judge settings %j valid: %s', (value, valid) => {
    expect(settings(value)).toBe(valid);
  });

  it('is a structural CRD schema: enums as strings, no numeric exclusive bounds', () => {
    const text = JSON.stringify([JudgeMetricSettings, JudgeSettings]);
    expect(text).not.toMatch(/exclusiveM(in|ax)imum/);
    expect(JSON.parse(JSON.stringify(JudgeMetricSettings.properties.direction))).toMatchObject({ type: 'string', enum: ['increase', 'decrease', 'either'] });
  });
});
