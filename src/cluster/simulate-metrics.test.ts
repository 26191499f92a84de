import { describe, expect, it } from 'vitest';
import {
  advanceTraffic,
  binomial,
  emptyTraffic,
  exposition,
  HEALTHY,
  LATENCY_BUCKETS_MS,
  parseTrafficAnnotation,
  podSeriesLabels,
  poisson,
  sampleLatencyMs,
  seededRng,
  type PodTraffic,
  type TrafficParams,
} from './simulate-metrics.ts';

describe('parseTrafficAnnotation', () => {
  it.each([
    { value: undefined, params: HEALTHY, problems: 0 },
    { value: '', params: HEALTHY, problems: 0 },
    { value: 'rps=50,errorRate=0.01,latencyP95Ms=120', params: { rps: 50, errorRate: 0.01, latencyP95Ms: 120 }, problems: 0 },
    { value: ' rps = 0.01 , , latencyP95Ms=300 ', params: { rps: 0.01, errorRate: 0, latencyP95Ms: 300 }, problems: 0 },
    { value: 'errorRate=1', params: { ...HEALTHY, errorRate: 1 }, problems: 0 },
    { value: 'rps=0', params: { ...HEALTHY, rps: 0 }, problems: 0 },
    // A bad key is ignored, the good ones still apply.
    { value: 'rps=fast,errorRate=0.2', params: { ...HEALTHY, errorRate: 0.2 }, problems: 1 },
    { value: 'errorRate=1.5,latencyP95Ms=120', params: { ...HEALTHY, latencyP95Ms: 120 }, problems: 1 },
    { value: 'errorRate=-0.1', params: HEALTHY, problems: 1 },
    { value: 'latencyP95Ms=0', params: HEALTHY, problems: 1 },
    { value: 'latencyP95Ms=Infinity', params: HEALTHY, problems: 1 },
    { value: 'rps=1e9', params: HEALTHY, problems: 1 },
    { value: 'rps=', params: HEALTHY, problems: 1 },
    { value: 'rps', params: HEALTHY, problems: 1 },
    { value: 'RPS=5,p95=3,rps=7', params: { ...HEALTHY, rps: 7 }, problems: 2 },
    { value: '=,==', params: HEALTHY, problems: 2 },
  ])('$value', ({ value, params, problems }) => {
    const r = parseTrafficAnnotation(value);
    expect(r.params).toEqual(params);
    expect(r.problems).toHaveLength(problems);
    for (const p of r.problems) expect(p).toMatch(/^slipway\.dev\/simulate-metrics: ignored "/);
  });
});

describe('podSeriesLabels', () => {
  it.each([
    { labels: {}, service: '', version: '' },
    { labels: { app: 'web', 'pod-template-hash': '5d8f' }, service: 'web', version: '5d8f' },
    { labels: { app: 'web', 'app.kubernetes.io/name': 'shop', 'slipway.dev/revision': '7', 'pod-template-hash': '5d8f' }, service: 'shop', version: '7' },
    { labels: { 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/version': '1.2.3', 'slipway.dev/revision': '7' }, service: 'shop', version: '1.2.3' },
    // An empty value falls through to the next label.
    { labels: { 'app.kubernetes.io/name': '', app: 'web', 'app.kubernetes.io/version': '', 'pod-template-hash': 'abc' }, service: 'web', version: 'abc' },
  ])('$labels', ({ labels, service, version }) => {
    expect(podSeriesLabels('ns', 'p', labels)).toEqual({ namespace: 'ns', pod: 'p', service, version });
  });
});

/** Prometheus' histogram_quantile over cumulative buckets (linear interpolation within a bucket). */
function histogramQuantile(q: number, t: PodTraffic): number {
  const total = t.buckets.reduce((a, b) => a + b, 0);
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
    const before = cumulative;
    cumulative += t.buckets[i] ?? 0;
    if (cumulative >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] ?? 0);
      const upper = LATENCY_BUCKETS_MS[i] ?? 0;
      return lower + ((upper - lower) * (rank - before)) / (cumulative - before);
    }
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] ?? 0;
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1] ?? Number.NaN;

describe('latency distribution', () => {
  it.each([50, 100, 120, 130, 300, 2000])('10k samples of latencyP95Ms=%d have a p95 within 3%%', (p95) => {
    const rng = seededRng(`default/web-${p95}`);
    const xs = Array.from({ length: 10_000 }, () => sampleLatencyMs({ ...HEALTHY, latencyP95Ms: p95 }, rng));
    expect(Math.abs(quantile(xs, 0.95) / p95 - 1)).toBeLessThan(0.03);
  });

  // Per request (small steps) and as a multinomial (large steps): histogram_quantile lands near the target.
  it.each([
    { p95: 50, seconds: 1, steps: 200 },
    { p95: 120, seconds: 1, steps: 200 },
    { p95: 50, seconds: 60, steps: 10 },
    { p95: 120, seconds: 60, steps: 10 },
  ])('histogram_quantile(0.95) of latencyP95Ms=$p95 in steps of $seconds s is within 6%', ({ p95, seconds, steps }) => {
    const t = emptyTraffic();
    const rng = seededRng('ns/pod');
    for (let i = 0; i < steps; i++) advanceTraffic(t, { rps: 50, errorRate: 0, latencyP95Ms: p95 }, seconds, rng);
    expect(Math.abs(histogramQuantile(0.95, t) / p95 - 1)).toBeLessThan(0.06);
  });

  it('tells a 100 ms p95 from a 130 ms one through the buckets', () => {
    const est = (p95: number): number => {
      const t = emptyTraffic();
      const rng = seededRng(`x/${p95}`);
      for (let i = 0; i < 30; i++) advanceTraffic(t, { rps: 50, errorRate: 0, latencyP95Ms: p95 }, 1, rng);
      return histogramQuantile(0.95, t);
    };
    expect(est(100)).toBeLessThan(110);
    expect(est(130)).toBeGreaterThan(120);
  });
});

describe('advanceTraffic', () => {
  it.each([
    { params: { rps: 50, errorRate: 0.2, latencyP95Ms: 120 }, seconds: 1, steps: 200 },
    { params: { rps: 50, errorRate: 0.01, latencyP95Ms: 120 }, seconds: 1, steps: 200 },
    { params: { rps: 10, errorRate: 0, latencyP95Ms: 50 }, seconds: 1, steps: 200 },
    { params: { rps: 2000, errorRate: 0.05, latencyP95Ms: 80 }, seconds: 5, steps: 20 },
  ])('$params: rate and error share as configured', ({ params, seconds, steps }: { params: TrafficParams; seconds: number; steps: number }) => {
    const t = emptyTraffic();
    const rng = seededRng('shop/web-7c9d-abcde');
    for (let i = 0; i < steps; i++) advanceTraffic(t, params, seconds, rng);
    const total = t.ok + t.errors;
    const expected = params.rps * seconds * steps;
    expect(Math.abs(total / expected - 1)).toBeLessThan(0.05);
    expect(Math.abs(t.errors / total - params.errorRate)).toBeLessThan(Math.max(0.01, params.errorRate * 0.1));
    // Every request is in exactly one bucket; the sum is plausible for the distribution.
    expect(t.buckets.reduce((a, b) => a + b, 0)).toBe(total);
    expect(t.sumSeconds / total).toBeGreaterThan(params.latencyP95Ms / 1000 / 3);
    expect(t.sumSeconds / total).toBeLessThan(params.latencyP95Ms / 1000);
  });

  it('is reproducible from the seed, and differs between seeds', () => {
    const run = (seed: string): PodTraffic => {
      const t = emptyTraffic();
      const rng = seededRng(seed);
      for (let i = 0; i < 10; i++) advanceTraffic(t, { rps: 50, errorRate: 0.1, latencyP95Ms: 120 }, 1, rng);
      return t;
    };
    expect(run('a/b')).toEqual(run('a/b'));
    expect(run('a/b')).not.toEqual(run('a/c'));
  });

  it.each([0, -1, Number.NaN])('a step of %d s adds nothing', (seconds) => {
    const t = emptyTraffic();
    advanceTraffic(t, { rps: 50, errorRate: 0.5, latencyP95Ms: 100 }, seconds, seededRng('x'));
    expect(t).toEqual(emptyTraffic());
  });

  it('rps=0 serves nothing; a low rate serves a few', () => {
    const t = emptyTraffic();
    const rng = seededRng('x');
    for (let i = 0; i < 100; i++) advanceTraffic(t, { rps: 0, errorRate: 0, latencyP95Ms: 100 }, 1, rng);
    expect(t.ok + t.errors).toBe(0);
    for (let i = 0; i < 1000; i++) advanceTraffic(t, { rps: 0.01, errorRate: 0, latencyP95Ms: 100 }, 1, rng);
    expect(t.ok).toBeGreaterThan(2);
    expect(t.ok).toBeLessThan(25);
  });
});

describe('poisson and binomial', () => {
  it.each([0.5, 5, 29, 31, 500])('poisson(%d) has that mean', (mean) => {
    const rng = seededRng(`p${mean}`);
    const n = 20_000;
    let s = 0;
    for (let i = 0; i < n; i++) s += poisson(mean, rng);
    expect(Math.abs(s / n / mean - 1)).toBeLessThan(0.03);
  });
  it.each([
    { n: 10, p: 0.3 },
    { n: 64, p: 0.5 },
    { n: 65, p: 0.2 },
    { n: 10_000, p: 0.01 },
  ])('binomial($n, $p) has mean n·p and stays in 0..n', ({ n, p }) => {
    const rng = seededRng(`b${n}`);
    let s = 0;
    for (let i = 0; i < 5000; i++) {
      const k = binomial(n, p, rng);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(k).toBeLessThanOrEqual(n);
      s += k;
    }
    expect(Math.abs(s / 5000 / (n * p) - 1)).toBeLessThan(0.05);
  });
});

describe('exposition', () => {
  it('renders counters per code and a cumulative histogram in seconds, labels escaped', () => {
    const t = emptyTraffic();
    t.ok = 7;
    t.errors = 3;
    t.buckets[0] = 2; // ≤ 5 ms
    t.buckets[5] = 5; // ≤ 100 ms
    t.buckets[LATENCY_BUCKETS_MS.length] = 3; // > 5 s
    t.sumSeconds = 16.25;
    const text = exposition([{ labels: { namespace: 'shop', pod: 'web-1', service: 'we"b\\', version: '1\n2' }, traffic: t }]);
    const l = 'namespace="shop",pod="web-1",service="we\\"b\\\\",version="1\\n2"';
    expect(text).toContain('# TYPE http_requests_total counter\n');
    expect(text).toContain(`http_requests_total{${l},code="200"} 7\n`);
    expect(text).toContain(`http_requests_total{${l},code="500"} 3\n`);
    expect(text).toContain('# TYPE http_request_duration_seconds histogram\n');
    expect(text).toContain(`http_request_duration_seconds_bucket{${l},le="0.005"} 2\n`);
    expect(text).toContain(`http_request_duration_seconds_bucket{${l},le="0.075"} 2\n`);
    expect(text).toContain(`http_request_duration_seconds_bucket{${l},le="0.1"} 7\n`);
    expect(text).toContain(`http_request_duration_seconds_bucket{${l},le="5"} 7\n`);
    expect(text).toContain(`http_request_duration_seconds_bucket{${l},le="+Inf"} 10\n`);
    expect(text).toContain(`http_request_duration_seconds_sum{${l}} 16.25\n`);
    expect(text).toContain(`http_request_duration_seconds_count{${l}} 10\n`);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('no pods: only the metadata lines', () => {
    expect(exposition([]).split('\n').filter((x) => x !== '' && !x.startsWith('#'))).toEqual([]);
  });
});
