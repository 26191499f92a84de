/**
 * The statistical judge in the canary controller (`spec.strategy.canary.judge`): canary against
 * baseline, as Kayenta's canary analysis (docs/rollout.md#the-statistical-judge).
 *
 *  - The baseline is a Deployment `<rollout>-baseline` running the stable template at the
 *    canary's scale, its pods labelled `slipway.dev/track: baseline`. It is written in the same
 *    reconcile as the canary's scale (so both start together: cache warm-up and uptime do not
 *    bias the comparison), follows the canary's replica count, and is deleted once the judge has
 *    its verdict, or the canary is promoted, aborted or superseded. It gets no route weight of its
 *    own (the Gateway API, NGINX and Istio routers send traffic to the stable and canary Services
 *    only; without a router, the service's own Service selects it like a stable pod, since it runs
 *    the stable version): the judge compares per-pod metrics, which is what Kayenta compares too.
 *  - From `startingStep` (default: after the first step with canary traffic) the judge samples
 *    every interval, once both sides have ready pods; the steps from there on wait for its verdict.
 *    Pass goes on; Marginal pauses (or aborts, `onMarginal`); Fail aborts at once: all traffic to
 *    stable first, then the run in the same status write as the abort.
 *  - `slipway rollout promote` goes on by hand (before a verdict, or past a Marginal one);
 *    `promote --full` skips the judge, as it skips background analysis.
 */
import { JUDGE_DEFAULTS, judgeTick, newJudgeRun, podsRegex, type CanaryJudgeSettingsT, type CanaryJudgeStatusT } from '../analysis/index.ts';
import type { ReconcileResult } from '../controller/index.ts';
import { canaryName, stableName, TRACK_LABEL } from './router.ts';
import { deploymentsQuery, now, viewOf, type DeploymentView, type Run, type StatusPatch } from './run.ts';
import { REQUEST_ANNOTATIONS, type ServiceRollout } from './types.ts';

const baselineName = (ro: ServiceRollout): string => `${ro.metadata.name ?? ''}-baseline`;

const judgeOf = (r: Run): CanaryJudgeSettingsT | undefined => r.ro.spec.strategy.canary?.judge;

/** The step (0-based) from which the judge samples and the steps wait for its verdict. */
function judgeStartingStep(r: Run, s: CanaryJudgeSettingsT): number {
  if (s.startingStep !== undefined) return Math.min(s.startingStep, r.steps.length);
  const first = r.steps.findIndex((x) => (x.setWeight ?? 0) > 0);
  return first >= 0 ? first + 1 : r.steps.length;
}

/** The run of the judge for canary `desired`, if any. */
const runOf = (r: Run, desired: string): CanaryJudgeStatusT | undefined => (r.st.judge?.revision === desired ? r.st.judge : undefined);

/** A verdict that lets the steps go on: Pass, or `slipway rollout promote`. */
const accepted = (run: CanaryJudgeStatusT | undefined): boolean => run !== undefined && (run.phase === 'Pass' || run.promotedByHand === true);
const judged = (run: CanaryJudgeStatusT | undefined): boolean => run !== undefined && (run.phase === 'Pass' || run.phase === 'Marginal' || run.phase === 'Fail' || run.promotedByHand === true);

/** Step `i` (or promotion, i = steps.length) has to wait for the judge's verdict. */
export function judgeHolds(r: Run, desired: string, i: number): boolean {
  const s = judgeOf(r);
  return s !== undefined && i >= judgeStartingStep(r, s) && !accepted(runOf(r, desired));
}

const replicasOfDeployment = (d: Awaited<ReturnType<Run['deployment']>>): number => ((d?.['spec'] as { replicas?: number } | undefined)?.replicas ?? 0);

/**
 * The baseline at the canary's scale while the judge needs it (a canary in flight, neither
 * promoting nor aborted, not judged yet); otherwise no baseline. Called at the end of every
 * reconcile of a canary rollout, after the canary's scale was written.
 */
export async function syncBaseline(r: Run, desired: string | undefined, stable: DeploymentView): Promise<void> {
  const s = judgeOf(r);
  const name = baselineName(r.ro);
  const wanted =
    s !== undefined &&
    s.baseline !== false &&
    desired !== undefined &&
    r.st.canaryRevision === desired &&
    desired !== r.st.stableRevision &&
    stable.revision !== desired &&
    r.st.abortedRevision !== desired &&
    !judged(runOf(r, desired));
  if (wanted) {
    const replicas = replicasOfDeployment(await r.deployment(canaryName(r.ro)));
    if (replicas > 0 && stable.revision !== undefined) {
      await r.applyWorkload(name, { [TRACK_LABEL]: 'baseline' }, stable.template, replicas, stable.revision);
      return;
    }
  }
  // No judge in the spec: only the cache is asked (a rollout that never had one costs nothing).
  const exists = s !== undefined ? (await r.deployment(name)) !== undefined : r.ctx.informers.informer(deploymentsQuery(r.primary.namespace)).get(name, r.ns) !== undefined;
  if (!exists) return;
  await r.client.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: r.ns, name }, { signal: r.ctx.signal });
  await r.event('Normal', 'BaselineRemoved', `baseline ${name} deleted: ${s === undefined ? 'the rollout has no judge' : wanted ? 'the canary has no pods' : 'the judge has its verdict, or the canary is done'}`);
}

type Abort = (reason: string, record: StatusPatch) => Promise<ReconcileResult>;

/** What the judge asks of this reconcile: end it here with `result`, or go on (steps may run), looking again after `requeueAfterMs`. */
export type JudgeOutcome = { readonly result: ReconcileResult | undefined } | { readonly requeueAfterMs: number | undefined } | undefined;

function describe(run: CanaryJudgeStatusT): string {
  const metrics = run.metrics.map((m) => `${m.name} ${m.classification ?? '?'}`).join(', ');
  return `score ${run.score ?? '?'} (${metrics}) against the ${run.control}`;
}

/** Both sides have ready pods (undefined), or what is still missing. */
async function sidesReady(r: Run, s: CanaryJudgeSettingsT): Promise<string | undefined> {
  const control = s.baseline === false ? stableName(r.ro) : baselineName(r.ro);
  const missing: string[] = [];
  for (const name of [canaryName(r.ro), control]) {
    const d = await r.deployment(name);
    if (!viewOf(d).ready || replicasOfDeployment(d) === 0) missing.push(name);
  }
  return missing.length > 0 ? `waiting for ready pods of ${missing.join(' and ')}` : undefined;
}

/**
 * The judge's part of a reconcile of canary `desired` (after its steps reached the starting step):
 * starts its run once both sides are ready, samples the interval that ended, and acts on the
 * verdict. Undefined when it has nothing to do (no judge, not started yet, or accepted).
 */
export async function canaryJudge(r: Run, desired: string, abort: Abort): Promise<JudgeOutcome> {
  const s = judgeOf(r);
  if (!s || (r.st.currentStepIndex ?? 0) < judgeStartingStep(r, s)) return undefined;
  const run = runOf(r, desired);
  if (accepted(run)) return undefined;
  const promoteReq = r.fresh(REQUEST_ANNOTATIONS.promote, r.st.handledPromote);
  if (promoteReq !== undefined) {
    const base = run ?? newJudgeRun(desired, s, now());
    const message = run?.phase === 'Marginal' ? `marginal ${describe(run)} accepted by \`slipway rollout promote\`` : 'passed by `slipway rollout promote` before a verdict';
    await r.writeStatus({ handledPromote: promoteReq, judge: { ...base, promotedByHand: true, message }, phase: 'Progressing', message: `judge ${message}` });
    await r.event('Normal', 'JudgePassedByHand', `judge of ${desired} ${message}`);
    return undefined;
  }
  const j: Judging = { r, s, desired, abort };
  if (run?.phase === 'Fail') return { result: await abort(`judge failed: ${describe(run)}`, { judge: run }) };
  if (run?.phase === 'Marginal') return { result: await marginal(j, run, false) };
  const started = run ?? (await startRun(j));
  return started === undefined ? { result: { requeueAfterMs: 2000 } } : sampleAndAct(j, started);
}

/** One judge's reconcile: the rollout, its judge settings, the canary revision, and how to abort. */
interface Judging {
  readonly r: Run;
  readonly s: CanaryJudgeSettingsT;
  readonly desired: string;
  readonly abort: Abort;
}

/** A new run once both sides have ready pods (recorded, with an Event); undefined while waiting for them. */
async function startRun({ r, s, desired }: Judging): Promise<CanaryJudgeStatusT | undefined> {
  const waiting = await sidesReady(r, s);
  if (waiting !== undefined) {
    const message = `judge: ${waiting}`;
    if (r.st.message !== message) await r.writeStatus({ phase: 'Progressing', message });
    return undefined;
  }
  const run = newJudgeRun(desired, s, now());
  const interval = s.interval ?? JUDGE_DEFAULTS.interval;
  await r.writeStatus({ judge: run, phase: 'Progressing', message: `judge: sampling canary and ${run.control} every ${interval}, ${run.count} intervals` });
  await r.event('Normal', 'JudgeStarted', `judge of ${desired}: canary against the ${run.control}, ${run.count} intervals of ${interval}`);
  return run;
}

/** Samples the interval that ended (if one did) and acts on what the run became. */
async function sampleAndAct(j: Judging, prev: CanaryJudgeStatusT): Promise<JudgeOutcome> {
  const { r, s, desired, abort } = j;
  const interval = s.interval ?? JUDGE_DEFAULTS.interval;
  const control = s.baseline === false ? stableName(r.ro) : baselineName(r.ro);
  const env = (side: 'canary' | 'control') => ({
    vars: { namespace: r.ns, service: r.ro.metadata.name ?? '', pods: podsRegex(side === 'canary' ? canaryName(r.ro) : control), interval },
    prometheusUrl: r.options.prometheusUrl,
    client: r.client,
    measurementId: `${r.ro.metadata.name ?? ''}-judge`,
    signal: r.ctx.signal,
  });
  const t = await judgeTick(s, prev, { now: Date.now(), envFor: env });
  const requeueAfterMs = t.nextDueMs === undefined ? undefined : Math.max(1, t.nextDueMs - Date.now());
  if (!t.sampled) return { result: { requeueAfterMs } };
  const next = t.run;
  switch (next.phase) {
    case 'Pass':
      await r.writeStatus({ judge: next, phase: 'Progressing', message: `judge passed: ${describe(next)}` });
      await r.event('Normal', 'JudgePassed', `judge of ${desired} passed: ${describe(next)}: ${next.message ?? ''}`);
      return { requeueAfterMs: undefined };
    case 'Fail': {
      // Traffic to stable first, with the run in the abort's status write; then the Event.
      const result = await abort(`judge failed: ${describe(next)}: ${next.message ?? ''}`, { judge: next });
      await r.event('Warning', 'JudgeFailed', `judge of ${desired} failed: ${describe(next)}: ${next.message ?? ''}`);
      return { result };
    }
    case 'Marginal':
      return { result: await marginal(j, next, true) };
    case 'Error': {
      const why = `judge: queries fail (${next.message ?? ''})`;
      if ((s.onError ?? JUDGE_DEFAULTS.onError) === 'abort') return { result: await abort(why, { judge: next }) };
      await r.writeStatus({ judge: next, phase: 'Paused', message: `${why}; paused: sampling goes on and it resumes when they recover; \`slipway rollout promote\` goes on by hand` });
      if (prev.phase !== 'Error') await r.event('Warning', 'JudgeError', why);
      return { result: { requeueAfterMs } };
    }
    default:
      // Sampling; a failed interval below the limit keeps the message it had, a good one (also ending a pause for errors) says how far.
      await r.writeStatus({ judge: next, ...(next.consecutiveErrors === 0 ? { phase: 'Progressing', message: `judge: ${next.message ?? ''}` } : {}) });
      return { result: { requeueAfterMs } };
  }
}

/** A Marginal verdict: pause for a human (`promote` goes on, `abort` stops), or abort (onMarginal). `fresh`: just judged (the Event). */
async function marginal({ r, s, desired, abort }: Judging, run: CanaryJudgeStatusT, fresh: boolean): Promise<ReconcileResult | undefined> {
  const why = `judge marginal: ${describe(run)}`;
  if ((s.onMarginal ?? JUDGE_DEFAULTS.onMarginal) === 'abort') {
    const result = await abort(`${why}: ${run.message ?? ''}`, { judge: run });
    if (fresh) await r.event('Warning', 'JudgeMarginal', `judge of ${desired} ${why}; aborted (onMarginal: abort)`);
    return result;
  }
  const message = `${why}; paused: \`slipway rollout promote\` goes on, \`abort\` stops`;
  if (fresh || r.st.phase !== 'Paused' || r.st.message !== message) await r.writeStatus({ judge: run, phase: 'Paused', message });
  if (fresh) await r.event('Warning', 'JudgeMarginal', `judge of ${desired} ${why}: ${run.message ?? ''}`);
  return undefined;
}
