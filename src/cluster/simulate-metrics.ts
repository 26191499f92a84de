/**
 * The workload metrics simulator's pure core: what a simulated pod's HTTP traffic looks like.
 *
 * Pods on the local cluster are kwok's: nothing runs, nothing serves. So that analysis can run
 * real PromQL against a real Prometheus, the simulator (metrics-simulator.ts) exports, for every
 * Running pod, the series a typical instrumented HTTP service would:
 *  - `http_requests_total{namespace,pod,service,version,code}` with `code` "200" or "500";
 *  - `http_request_duration_seconds{namespace,pod,service,version}` as a histogram.
 *
 * The numbers follow the pod annotation {@link SIMULATE_METRICS_ANNOTATION}
 * (`rps=50,errorRate=0.01,latencyP95Ms=120`); a pod without it looks healthy
 * ({@link HEALTHY}). Requests arrive as a Poisson process at `rps`, each fails (code 500) with
 * probability `errorRate`, and its latency is log-normal with the given 95th percentile.
 * Noise is seeded from the pod's namespace/name, so a test that creates the same pod sees the
 * same numbers for the same elapsed times.
 */

export const SIMULATE_METRICS_ANNOTATION = 'slipway.dev/simulate-metrics';

export interface TrafficParams {
  /** Requests per second (mean of a Poisson process). */
  readonly rps: number;
  /** Share of requests answered with code 500, 0..1. */
  readonly errorRate: number;
  /** 95th percentile of the request latency, in milliseconds. */
  readonly latencyP95Ms: number;
}

/** What a pod without the annotation serves. */
export const HEALTHY: TrafficParams = { rps: 10, errorRate: 0, latencyP95Ms: 50 };

/**
 * Histogram bucket upper bounds in ms. Fine around 100 ms (25 ms steps from 75 to 150) so that
 * `histogram_quantile(0.95, …)` tells a 100 ms p95 from a 130 ms one.
 */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000, 2500, 5000] as const;

/**
 * Spread of the log-normal latency (σ of its logarithm): the median is p95 / e^(1.645σ), about
 * p95 / 2.3. Wide enough that a p95 shift moves the whole histogram, narrow enough to stay
 * plausible for a web service.
 */
const LOG_SIGMA = 0.5;
const Z95 = 1.6448536269514722;

/** Upper bounds of the annotation's values (a typo like rps=5e9 must not stall the simulator). */
const LIMITS = { rps: 100_000, latencyP95Ms: 600_000 } as const;

export interface ParsedTraffic {
  readonly params: TrafficParams;
  /** One line per ignored key=value (unknown key, bad number, out of range); the rest still apply. */
  readonly problems: readonly string[];
}

/**
 * Pure: `rps=50,errorRate=0.01,latencyP95Ms=120` → params; keys missing fall back to
 * {@link HEALTHY}, bad ones are ignored and reported in `problems`. Never throws: the annotation
 * is user input read by a long-running process.
 */
export function parseTrafficAnnotation(value: string | undefined): ParsedTraffic {
  const out: { -readonly [K in keyof TrafficParams]: TrafficParams[K] } = { ...HEALTHY };
  const problems: string[] = [];
  if (value === undefined) return { params: out, problems };
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const text = eq < 0 ? '' : item.slice(eq + 1).trim();
    const n = text === '' ? Number.NaN : Number(text);
    const bad = (why: string): void => void problems.push(`${SIMULATE_METRICS_ANNOTATION}: ignored "${item}": ${why}`);
    switch (key) {
      case 'rps':
        if (!Number.isFinite(n) || n < 0 || n > LIMITS.rps) bad(`expected a number of requests per second from 0 to ${LIMITS.rps}`);
        else out.rps = n;
        break;
      case 'errorRate':
        if (!Number.isFinite(n) || n < 0 || n > 1) bad('expected a share from 0 to 1, e.g. errorRate=0.01');
        else out.errorRate = n;
        break;
      case 'latencyP95Ms':
        if (!Number.isFinite(n) || n <= 0 || n > LIMITS.latencyP95Ms) bad(`expected milliseconds above 0 and up to ${LIMITS.latencyP95Ms}`);
        else out.latencyP95Ms = n;
        break;
      default:
        bad('unknown key (known: rps, errorRate, latencyP95Ms)');
    }
  }
  return { params: out, problems };
}

/** A seeded pseudo-random source of uniforms in [0, 1). */
export type Rng = () => number;

/** Pure: a deterministic generator (mulberry32) seeded from a string's FNV-1a hash. */
export function seededRng(seed: string): Rng {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let a = h;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller). */
function gaussian(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]: log(0) never happens
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** A Poisson draw: exact (Knuth) for small means, normal approximation above 30. */
export function poisson(mean: number, rng: Rng): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rng)));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng(); p > limit; p *= rng()) k++;
  return k;
}

/** A binomial draw: exact for small n, normal approximation (clamped to 0..n) for large n. */
export function binomial(n: number, p: number, rng: Rng): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n <= 64) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rng() < p) k++;
    return k;
  }
  return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * gaussian(rng))));
}

/** One request's latency in ms: log-normal whose 95th percentile is `latencyP95Ms`. */
export function sampleLatencyMs(params: TrafficParams, rng: Rng): number {
  const median = params.latencyP95Ms / Math.exp(Z95 * LOG_SIGMA);
  return median * Math.exp(LOG_SIGMA * gaussian(rng));
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Share of requests at or below `ms` (the latency distribution's CDF). */
function latencyCdf(params: TrafficParams, ms: number): number {
  const median = params.latencyP95Ms / Math.exp(Z95 * LOG_SIGMA);
  return normalCdf(Math.log(ms / median) / LOG_SIGMA);
}

/** Cumulative counters of one simulated pod, as exported. */
export interface PodTraffic {
  /** Requests answered 200 / 500. */
  ok: number;
  errors: number;
  /** Requests per latency bucket ({@link LATENCY_BUCKETS_MS}, then +Inf); not cumulative. */
  readonly buckets: number[];
  /** Sum of all latencies, in seconds. */
  sumSeconds: number;
}

export const emptyTraffic = (): PodTraffic => ({ ok: 0, errors: 0, buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), sumSeconds: 0 });

/** Below this many requests in one step each is drawn; above, the buckets are drawn as a multinomial. */
const SAMPLE_EACH_UP_TO = 1000;

/**
 * Adds the requests of `seconds` of traffic to `t` (mutates it): a Poisson count at `rps`, a
 * binomial share of errors, and each request's latency in its bucket. Large steps (a long gap
 * between scrapes at a high rate) draw bucket counts as a multinomial instead of per request, so
 * a step costs at most about {@link SAMPLE_EACH_UP_TO} draws.
 */
export function advanceTraffic(t: PodTraffic, params: TrafficParams, seconds: number, rng: Rng): void {
  if (!(seconds > 0)) return;
  const n = poisson(params.rps * seconds, rng);
  if (n === 0) return;
  const errors = binomial(n, params.errorRate, rng);
  t.errors += errors;
  t.ok += n - errors;
  if (n <= SAMPLE_EACH_UP_TO) {
    for (let i = 0; i < n; i++) {
      const ms = sampleLatencyMs(params, rng);
      const found = LATENCY_BUCKETS_MS.findIndex((le) => ms <= le);
      const b = found < 0 ? LATENCY_BUCKETS_MS.length : found;
      t.buckets[b] = (t.buckets[b] ?? 0) + 1;
      t.sumSeconds += ms / 1000;
    }
    return;
  }
  // Multinomial as a chain of binomials: bucket i gets Bin(left, p_i / p_left).
  let left = n;
  let probLeft = 1;
  let prevCdf = 0;
  const median = params.latencyP95Ms / Math.exp(Z95 * LOG_SIGMA);
  for (let i = 0; i <= LATENCY_BUCKETS_MS.length && left > 0; i++) {
    const le = LATENCY_BUCKETS_MS[i];
    const cdf = le === undefined ? 1 : latencyCdf(params, le);
    const p = cdf - prevCdf;
    const k = le === undefined ? left : binomial(left, probLeft > 0 ? Math.min(1, p / probLeft) : 1, rng);
    t.buckets[i] = (t.buckets[i] ?? 0) + k;
    left -= k;
    probLeft -= p;
    prevCdf = cdf;
  }
  // Sum: n times the log-normal mean, with the noise of a mean of n draws.
  const meanMs = median * Math.exp((LOG_SIGMA * LOG_SIGMA) / 2);
  const sdMs = meanMs * Math.sqrt(Math.exp(LOG_SIGMA * LOG_SIGMA) - 1);
  t.sumSeconds += Math.max(0, n * meanMs + Math.sqrt(n) * sdMs * gaussian(rng)) / 1000;
}

/** The labels of a pod's series, from its labels (see CONTRACT: service and version). */
export interface PodSeriesLabels {
  readonly namespace: string;
  readonly pod: string;
  readonly service: string;
  readonly version: string;
}

/** Pure: `service` = app.kubernetes.io/name, else app; `version` = app.kubernetes.io/version, else slipway.dev/revision, else pod-template-hash. */
export function podSeriesLabels(namespace: string, pod: string, labels: Readonly<Record<string, string>>): PodSeriesLabels {
  const first = (...keys: string[]): string => keys.map((k) => labels[k]).find((v) => v !== undefined && v !== '') ?? '';
  return {
    namespace,
    pod,
    service: first('app.kubernetes.io/name', 'app'),
    version: first('app.kubernetes.io/version', 'slipway.dev/revision', 'pod-template-hash'),
  };
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (l: PodSeriesLabels): string =>
  `namespace="${escapeLabel(l.namespace)}",pod="${escapeLabel(l.pod)}",service="${escapeLabel(l.service)}",version="${escapeLabel(l.version)}"`;
/** A float as Prometheus prints it (`+Inf`, no exponent surprises for integers). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : '-Inf');

/**
 * Pure: the Prometheus text exposition (format 0.0.4) of every pod's traffic.
 *
 * Written here rather than with prom-client: the numbers are a function of simulated time,
 * advanced in bulk at scrape time (n requests at once, bucket counts drawn as a multinomial),
 * while prom-client's Histogram takes one observation per call and keeps its own copy of the
 * state; feeding it would mean one `observe()` per simulated request and two sets of counters
 * to keep in step (and to remove when a pod goes). The format is a few lines.
 */
export function exposition(pods: readonly { readonly labels: PodSeriesLabels; readonly traffic: PodTraffic }[]): string {
  const lines: string[] = [
    '# HELP http_requests_total HTTP requests served (simulated by slipway for the local cluster).',
    '# TYPE http_requests_total counter',
  ];
  for (const p of pods) {
    const l = labelText(p.labels);
    lines.push(`http_requests_total{${l},code="200"} ${num(p.traffic.ok)}`, `http_requests_total{${l},code="500"} ${num(p.traffic.errors)}`);
  }
  lines.push('# HELP http_request_duration_seconds HTTP request latency (simulated by slipway for the local cluster).', '# TYPE http_request_duration_seconds histogram');
  for (const p of pods) {
    const l = labelText(p.labels);
    let cumulative = 0;
    LATENCY_BUCKETS_MS.forEach((le, i) => {
      cumulative += p.traffic.buckets[i] ?? 0;
      lines.push(`http_request_duration_seconds_bucket{${l},le="${num(le / 1000)}"} ${num(cumulative)}`);
    });
    cumulative += p.traffic.buckets[LATENCY_BUCKETS_MS.length] ?? 0;
    lines.push(
      `http_request_duration_seconds_bucket{${l},le="+Inf"} ${num(cumulative)}`,
      `http_request_duration_seconds_sum{${l}} ${num(p.traffic.sumSeconds)}`,
      `http_request_duration_seconds_count{${l}} ${num(cumulative)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
