/**
 * Pure analysis rules: when a metric's next measurement is due, what a measurement does to the
 * metric's record, and the verdict of a metric and of a run. No clock is read here: "now" is a
 * parameter, and every time the rules use comes from the status, so a controller that restarts
 * picks up exactly where the record ends (a measurement is neither skipped nor repeated).
 */
import { KEPT_MEASUREMENTS, type MeasurementT, type MetricPhaseT, type MetricStatusT, type MetricT, type RunPhaseT } from './types.ts';

/** The defaults of a metric's settings (docs/rollout.md lists them). */
export const ANALYSIS_DEFAULTS = {
  /** Small, so that a bad canary is rolled back within about a second of Prometheus seeing it. */
  interval: '1s',
  /** Conclusive measurements an inline analysis step needs. */
  count: 10,
  initialDelay: '0s',
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  consecutiveNoDataLimit: 10,
  onNoData: 'pause',
  onError: 'pause',
} as const;

/** `500ms`, `15s`, `1m30s`, `2h` → milliseconds (the pattern the schema allows). */
export function parseDuration(d: string): number {
  let ms = 0;
  for (const m of d.matchAll(/(\d+)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
  }
  return ms;
}

/** Settings an inline `analysis` step gives for every metric it runs (slipway.yaml's `analysis: {interval, count, failureLimit}`). */
export interface StepOverrides {
  readonly interval?: string | undefined;
  readonly count?: number | undefined;
  readonly failureLimit?: number | undefined;
}

/** A metric as one run measures it: the step's settings over the metric's own; an inline run's count defaults to 10, a background run has none unless the metric gives one. */
export function effectiveMetric(m: MetricT, step: StepOverrides | undefined): MetricT {
  const inline = step !== undefined;
  const count = step?.count ?? m.count ?? (inline ? ANALYSIS_DEFAULTS.count : undefined);
  return {
    ...m,
    ...(step?.interval !== undefined ? { interval: step.interval } : {}),
    ...(step?.failureLimit !== undefined ? { failureLimit: step.failureLimit } : {}),
    ...(count !== undefined ? { count } : {}),
  };
}

const TERMINAL: readonly MetricPhaseT[] = ['Successful', 'Failed', 'Inconclusive'];

/**
 * When the metric's next measurement is due (ms since the epoch): `interval` after the last one
 * recorded, or `initialDelay` after the run's start for the first; undefined once the metric has
 * its verdict (Successful, Failed, Inconclusive). A due time in the past means "now", once: a
 * controller that was down does not catch up with a burst.
 */
export function nextDue(m: MetricT, runStart: string, st: MetricStatusT | undefined): number | undefined {
  if (st && TERMINAL.includes(st.phase as MetricPhaseT)) return undefined;
  const last = st?.measurements.at(-1);
  if (last) return Date.parse(last.time) + parseDuration(m.interval ?? ANALYSIS_DEFAULTS.interval);
  return Date.parse(runStart) + parseDuration(m.initialDelay ?? ANALYSIS_DEFAULTS.initialDelay);
}

export const emptyMetricStatus = (name: string): MetricStatusT => ({
  name,
  phase: 'Running',
  measured: 0,
  successful: 0,
  failed: 0,
  inconclusive: 0,
  error: 0,
  noData: 0,
  consecutiveError: 0,
  consecutiveNoData: 0,
  measurements: [],
});

/**
 * The metric's phase from its counts: too many Failed (more than failureLimit) fails it, too
 * many Inconclusive makes it Inconclusive; Errors or NoData in a row beyond their limits make it
 * Error or NoData (not final: the next good measurement resumes it); `count` conclusive
 * measurements complete it, Successful only if at least one passed.
 */
export function metricPhase(m: MetricT, c: Omit<MetricStatusT, 'name' | 'phase' | 'measurements'>): MetricPhaseT {
  if (c.failed > (m.failureLimit ?? ANALYSIS_DEFAULTS.failureLimit)) return 'Failed';
  if (c.inconclusive > (m.inconclusiveLimit ?? ANALYSIS_DEFAULTS.inconclusiveLimit)) return 'Inconclusive';
  if (c.consecutiveError > (m.consecutiveErrorLimit ?? ANALYSIS_DEFAULTS.consecutiveErrorLimit)) return 'Error';
  if (c.consecutiveNoData > (m.consecutiveNoDataLimit ?? ANALYSIS_DEFAULTS.consecutiveNoDataLimit)) return 'NoData';
  const conclusive = c.successful + c.failed + c.inconclusive;
  if (m.count !== undefined && conclusive >= m.count) return c.successful > 0 ? 'Successful' : 'Failed';
  return 'Running';
}

/** The metric's record with `x` added: counts, the bounded list, the phase. */
export function record(m: MetricT, st: MetricStatusT | undefined, x: MeasurementT): MetricStatusT {
  const prev = st ?? emptyMetricStatus(m.name);
  const counts = {
    measured: prev.measured + 1,
    successful: prev.successful + (x.phase === 'Successful' ? 1 : 0),
    failed: prev.failed + (x.phase === 'Failed' ? 1 : 0),
    inconclusive: prev.inconclusive + (x.phase === 'Inconclusive' ? 1 : 0),
    error: prev.error + (x.phase === 'Error' ? 1 : 0),
    noData: prev.noData + (x.phase === 'NoData' ? 1 : 0),
    consecutiveError: x.phase === 'Error' ? prev.consecutiveError + 1 : 0,
    consecutiveNoData: x.phase === 'NoData' ? prev.consecutiveNoData + 1 : 0,
  };
  const phase = metricPhase(m, counts);
  const message = phase === 'Running' ? undefined : x.message !== undefined && phase !== 'Successful' ? x.message : undefined;
  return {
    name: m.name,
    phase,
    ...(x.value !== undefined ? { lastValue: x.value } : prev.lastValue !== undefined ? { lastValue: prev.lastValue } : {}),
    ...(message !== undefined ? { message } : {}),
    ...counts,
    measurements: [...prev.measurements, x].slice(-KEPT_MEASUREMENTS),
  };
}

/**
 * A run's phase from its metrics': any Failed fails it; else any Error, NoData or Inconclusive
 * (in that order) holds it; Successful only when every metric is; an empty run is Running
 * (never a pass: slipway never promotes on missing data).
 */
export function runPhase(phases: readonly MetricPhaseT[]): RunPhaseT {
  for (const p of ['Failed', 'Error', 'NoData', 'Inconclusive', 'Running'] as const) if (phases.includes(p)) return p;
  return phases.length > 0 ? 'Successful' : 'Running';
}
