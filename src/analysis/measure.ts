/**
 * Taking measurements: a metric's provider, its no-data rule and its conditions make one
 * measurement; `tick` takes the measurements of a run that are due now and returns the run's new
 * record, what was taken, and when the next one is due (the controller requeues for then).
 */
import { compileConditions, judge, type Conditions } from './condition.ts';
import { emptyMetricStatus, nextDue, record, runPhase } from './evaluate.ts';
import { jobProvider } from './job.ts';
import { prometheusProvider, queryFor } from './prometheus.ts';
import type { MetricProviderImpl, ProviderEnv } from './provider.ts';
import type { AnalysisRunStatusT, MeasurementT, MetricPhaseT, MetricStatusT, MetricT } from './types.ts';
import { webProvider } from './web.ts';

/** The provider of a metric (the CRD's validation guarantees exactly one). */
function providerOf(m: MetricT): MetricProviderImpl | undefined {
  return m.provider.prometheus ? prometheusProvider : m.provider.web ? webProvider : m.provider.job ? jobProvider : undefined;
}

/** A value as the status keeps it: numbers to 6 significant digits, anything else as JSON (cut to 256 characters). */
function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
  if (typeof v === 'string') return v.slice(0, 256);
  return (JSON.stringify(v) ?? String(v)).slice(0, 256);
}

const cut = (s: string): string => (s.length > 512 ? `${s.slice(0, 509)}...` : s);

/**
 * One measurement of `metric` started at `time`: an Error when the provider (or the no-data query)
 * fails, NoData when there is nothing to judge or fewer requests than the no-data minimum, else
 * the conditions' verdict. Undefined while a Job still runs.
 */
export async function measure(metric: MetricT, conditions: Conditions, env: ProviderEnv, time: Date): Promise<MeasurementT | undefined> {
  const provider = providerOf(metric);
  const at = time.toISOString();
  if (!provider) return { time: at, phase: 'Error', message: 'no provider' };
  const [out, nd] = await Promise.all([provider.measure(metric, env), metric.noData ? queryFor(metric, env, metric.noData.query) : undefined]);
  if ('pending' in out) return undefined;
  if ('error' in out) return { time: at, phase: 'Error', message: cut(out.error) };
  if (nd !== undefined && metric.noData) {
    if ('error' in nd) return { time: at, phase: 'Error', message: cut(`no-data query: ${nd.error}`) };
    const requests = nd.values.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
    if (requests < metric.noData.minimum) return { time: at, phase: 'NoData', ...('value' in out ? { value: formatValue(out.value) } : {}), message: `not enough traffic: ${formatValue(requests)} requests, fewer than the minimum ${metric.noData.minimum}` };
  }
  if ('noData' in out) return { time: at, phase: 'NoData', message: cut(out.noData) };
  const verdict = judge(conditions, out.value);
  return { time: at, phase: verdict.phase, value: formatValue(out.value), ...(verdict.message !== undefined ? { message: cut(verdict.message) } : {}) };
}

export interface Taken {
  readonly metric: string;
  readonly measurement: MeasurementT;
}

export interface TickOptions {
  /** The current time (ms since the epoch). */
  readonly now: number;
  /** Where metric `i` is in its document, for input errors (e.g. `spec.strategy.canary.analysis.metrics[0]`). */
  readonly pathOf: (i: number) => string;
  /** The provider environment for the `n`th measurement (0-based) of `metric`. */
  readonly envFor: (metric: MetricT, n: number) => ProviderEnv;
  /** Replaces {@link measure} (tests). */
  readonly measure?: typeof measure;
}

/** A Job still running is looked at again this soon (or at its interval, if shorter). */
const PENDING_RECHECK_MS = 1000;

/**
 * Takes every measurement of `run` that is due at `o.now` (concurrently) and records it. Throws an
 * input error (with the field path) for a condition that does not compile, before measuring
 * anything. `nextDueMs` is the earliest time another measurement is due; undefined when every
 * metric has its verdict.
 */
export async function tick(run: AnalysisRunStatusT, metrics: readonly MetricT[], o: TickOptions): Promise<{ readonly run: AnalysisRunStatusT; readonly taken: readonly Taken[]; readonly nextDueMs: number | undefined }> {
  const compiled = metrics.map((m, i) => compileConditions(m, o.pathOf(i)));
  const start = run.startTime ?? new Date(o.now).toISOString();
  const prev = new Map((run.metrics ?? []).map((s) => [s.name, s]));
  const take = o.measure ?? measure;
  let pendingAt: number | undefined;
  const results = await Promise.all(
    metrics.map(async (m, i): Promise<{ st: MetricStatusT | undefined; taken?: Taken }> => {
      const st = prev.get(m.name);
      const due = nextDue(m, start, st);
      if (due === undefined || due > o.now) return { st };
      const x = await take(m, compiled[i] ?? { success: undefined, failure: undefined }, o.envFor(m, st?.measured ?? 0), new Date(o.now));
      if (!x) {
        pendingAt = Math.min(pendingAt ?? Infinity, o.now + PENDING_RECHECK_MS);
        return { st };
      }
      return { st: record(m, st, x), taken: { metric: m.name, measurement: x } };
    }),
  );
  const statuses = results.map((r, i) => r.st ?? emptyMetricStatus(metrics[i]?.name ?? ''));
  const phase = runPhase(statuses.map((s) => s.phase as MetricPhaseT));
  const problems = statuses.filter((s) => s.phase !== 'Running' && s.phase !== 'Successful').map((s) => `${s.name}: ${s.phase}${s.message ? ` (${s.message})` : ''}${s.lastValue !== undefined ? `, last value ${s.lastValue}` : ''}`);
  const dues = metrics.map((m, i) => nextDue(m, start, statuses[i])).filter((d): d is number => d !== undefined);
  const nextDueMs = dues.length > 0 || pendingAt !== undefined ? Math.min(...dues, pendingAt ?? Infinity) : undefined;
  const message = phase === 'Successful' ? `every metric passed: ${statuses.map((s) => `${s.name} ${s.lastValue ?? '?'}`).join(', ')}` : problems.length > 0 ? problems.join('; ') : `measuring ${statuses.map((s) => `${s.name} ${s.successful}/${metrics.find((m) => m.name === s.name)?.count ?? '∞'}`).join(', ')}`;
  return {
    run: { ...run, startTime: start, phase, message, metrics: statuses },
    taken: results.flatMap((r) => (r.taken ? [r.taken] : [])),
    nextDueMs,
  };
}

