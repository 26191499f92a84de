/**
 * Analysis in the rollout controller: a canary's inline `analysis` steps and background analysis
 * measure `spec.strategy.canary.analysis.metrics` on the canary's pods; a blue-green's pre- and
 * post-promotion analysis measure theirs on the preview's, then the new active version's pods (by
 * default the service's SLOs, from handOver).
 *
 *  - Measurements are scheduled from the times recorded in the status (src/analysis nextDue):
 *    the controller requeues the rollout for the next due time, and a restart neither skips nor
 *    repeats a measurement.
 *  - A measurement that fails the analysis aborts in the same reconcile: all traffic to stable is
 *    written right after the measurement, before its record (blue-green after a failed
 *    post-promotion analysis: the record, then the switch back, see bluegreen.ts).
 *  - Errors and "not enough traffic" never pass: beyond their limits the rollout pauses (the
 *    measurements go on, and it resumes when they recover) or aborts, as `onError`/`onNoData` say.
 *  - Every measurement is in the status (a bounded list per metric and a summary), is a
 *    Kubernetes Event, and counts in slipway_analysis_measurements_total{metric,phase}.
 */
import { createHash } from 'node:crypto';
import { ANALYSIS_DEFAULTS, effectiveMetric, podsRegex, tick, type AnalysisRunStatusT, type MetricT, type OnProblemT, type StepOverrides, type Taken } from '../analysis/index.ts';
import { isSlipwayError } from '../errors/index.ts';
import { canaryName } from './router.ts';
import type { Run } from './run.ts';

/** What an analysis run measures: its metrics, on which pods, with which problem settings. */
export interface AnalysisSource {
  readonly metrics: readonly MetricT[];
  /** onError / onNoData. */
  readonly settings: { readonly onError?: string | undefined; readonly onNoData?: string | undefined } | undefined;
  /** The Deployment whose pods are measured ({{pods}}). */
  readonly deployment: string;
  /** Where the metrics are in the ServiceRollout, for input errors. */
  readonly path: string;
  /** What `slipway rollout promote` does while the run is held (for the paused message). */
  readonly byHand: string;
  /** Tells runs that are not inline steps apart in measurement ids (Job names). */
  readonly key: string;
}

/** What an analysis run asks of the rollout after a tick. */
type Decision =
  | { readonly go: 'passed'; readonly run: AnalysisRunStatusT }
  | { readonly go: 'abort'; readonly run: AnalysisRunStatusT; readonly reason: string }
  /** Keep waiting: `paused` when the rollout is to show Paused (Inconclusive, or errors/no data under `pause`). */
  | { readonly go: 'wait'; readonly run: AnalysisRunStatusT; readonly paused: string | undefined; readonly requeueAfterMs: number | undefined; readonly changed: boolean };
export type AnalysisDecision = Decision & {
  /** The measurements this tick took: for {@link recordTaken} once the decision is written (the abort first). */
  readonly taken: readonly Taken[];
};

/** The metrics the canary analyses (empty: nothing to measure). */
export const analysisMetrics = (r: Run): readonly MetricT[] => r.ro.spec.strategy.canary?.analysis?.metrics ?? [];

/** The canary's analysis (an inline step's, or background): spec.strategy.canary.analysis on the canary's pods. */
export const canarySource = (r: Run, background: boolean): AnalysisSource => ({
  metrics: analysisMetrics(r),
  settings: r.ro.spec.strategy.canary?.analysis,
  deployment: canaryName(r.ro),
  path: 'spec.strategy.canary.analysis.metrics',
  byHand: background ? '`slipway rollout promote` goes on by hand' : '`slipway rollout promote` passes the step by hand',
  key: 'bg',
});

/** A fresh run for the canary `revision` (at inline step `stepIndex`, or background). */
export function newRun(revision: string, stepIndex: number | undefined, at: string): AnalysisRunStatusT {
  return { ...(stepIndex !== undefined ? { stepIndex } : {}), revision, phase: 'Running', startTime: at, metrics: [] };
}

/** A name unique to one measurement, short enough for a Job: `<rollout>-<metric>-<hash>`. */
function measurementId(r: Run, run: AnalysisRunStatusT, source: AnalysisSource, metric: string, n: number): string {
  const hash = createHash('sha256').update(`${run.revision ?? ''}\0${run.startTime ?? ''}\0${run.stepIndex ?? source.key}\0${metric}\0${n}`).digest('hex').slice(0, 8);
  const base = `${r.ro.metadata.name ?? 'rollout'}-${metric.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 50).replace(/-+$/, '');
  return `${base}-${hash}`;
}

/** Takes the due measurements of `run` and says what the rollout does next. */
export async function advanceAnalysis(r: Run, source: AnalysisSource, prev: AnalysisRunStatusT, step: StepOverrides | undefined, what: string): Promise<AnalysisDecision> {
  const { settings } = source;
  const metrics = source.metrics.map((m) => effectiveMetric(m, step));
  const uid = (r.ro.metadata as { uid?: string }).uid;
  let result: Awaited<ReturnType<typeof tick>>;
  try {
    result = await tick(prev, metrics, {
      now: Date.now(),
      pathOf: (i) => `${source.path}[${i}]`,
      envFor: (m, n) => ({
        vars: { namespace: r.ns, service: r.ro.metadata.name ?? '', pods: podsRegex(source.deployment), interval: m.interval ?? ANALYSIS_DEFAULTS.interval },
        prometheusUrl: r.options.prometheusUrl,
        client: r.client,
        owner: uid ? { apiVersion: r.ro.apiVersion, kind: r.ro.kind, name: r.ro.metadata.name ?? '', uid } : undefined,
        measurementId: measurementId(r, prev, source, m.name, n),
        signal: r.ctx.signal,
      }),
    });
  } catch (e) {
    // A condition that does not compile: nothing can be measured until the spec is fixed.
    if (!isSlipwayError(e) || e.kind !== 'input') throw e;
    const run: AnalysisRunStatusT = { ...prev, phase: 'Error', message: `invalid analysis: ${e.message}` };
    return { ...onProblem(settings?.onError, run, `${what}: invalid analysis: ${e.message}`, { byHand: source.byHand, requeueAfterMs: undefined, changed: prev.phase !== 'Error' || prev.message !== run.message }), taken: [] };
  }
  const { run, taken, nextDueMs } = result;
  // A new run (its start time) must be recorded even before its first measurement is due.
  return { ...decide(source, run, what, nextDueMs, JSON.stringify(prev) !== JSON.stringify(run)), taken };
}

function decide(source: AnalysisSource, run: AnalysisRunStatusT, what: string, nextDueMs: number | undefined, changed: boolean): Decision {
  const { settings, byHand } = source;
  const requeueAfterMs = nextDueMs === undefined ? undefined : Math.max(1, nextDueMs - Date.now());
  switch (run.phase) {
    case 'Successful':
      return { go: 'passed', run };
    case 'Failed':
      return { go: 'abort', run, reason: `${what} failed: ${run.message ?? ''}` };
    case 'Inconclusive':
      return { go: 'wait', run, paused: `${what} inconclusive: ${run.message ?? ''}; \`slipway rollout promote\` goes on, \`abort\` stops`, requeueAfterMs: undefined, changed };
    case 'Error':
      return onProblem(settings?.onError, run, `${what}: measurements fail (${run.message ?? ''})`, { byHand, requeueAfterMs, changed });
    case 'NoData':
      return onProblem(settings?.onNoData, run, `${what}: not enough data, never a pass (${run.message ?? ''})`, { byHand, requeueAfterMs, changed });
    default:
      return { go: 'wait', run, paused: undefined, requeueAfterMs, changed };
  }
}

function onProblem(action: string | undefined, run: AnalysisRunStatusT, why: string, o: { readonly byHand: string; readonly requeueAfterMs: number | undefined; readonly changed: boolean }): Decision {
  if (((action ?? ANALYSIS_DEFAULTS.onError) as OnProblemT) === 'abort') return { go: 'abort', run, reason: why };
  return { go: 'wait', run, paused: `${why}; paused: measurements go on and it resumes when they recover; ${o.byHand}`, requeueAfterMs: o.requeueAfterMs, changed: o.changed };
}

/** Events and the counter for the measurements just taken. */
export async function recordTaken(r: Run, taken: readonly Taken[], what: string): Promise<void> {
  for (const t of taken) {
    const x = t.measurement;
    r.metrics.measurements.inc({ metric: t.metric, phase: x.phase });
    const text = `${what}: ${t.metric} ${x.phase}${x.value !== undefined ? ` (value ${x.value})` : ''}${x.message !== undefined ? `: ${x.message}` : ''} at ${x.time}`;
    r.ctx.log.debug({ metric: t.metric, phase: x.phase, value: x.value }, text);
    await r.ctx.events.record(r.ro, x.phase === 'Successful' ? 'Normal' : 'Warning', 'AnalysisMeasurement', text);
  }
}
