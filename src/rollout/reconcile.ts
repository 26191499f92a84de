/**
 * The ServiceRollout reconciler: canary releases, step by step, crash-safe.
 *
 * Objects it owns per rollout `web`: Deployments `web-stable` and `web-canary` (pods labelled
 * `slipway.dev/track`), and for Gateway API routing the Services `web-stable`/`web-canary` and
 * the HTTPRoute `web`. All progress lives in `status`; every reconcile recomputes what to do from
 * the status and the live objects, so it is idempotent and a controller killed at any instant
 * resumes where it was:
 *  - each effect (a weight, a scale) is written before the status that records it, and writing
 *    it again is a no-op; so after a crash the current step is redone, never skipped, and the
 *    route never carries a weight the current step does not call for;
 *  - a pause's start time is in the status, so a restart does not restart the pause.
 *
 * Semantics (docs/rollout.md): the first version goes straight to stable; only a change of the
 * pod template starts a canary (replicas alone do not); stable keeps full scale until promotion,
 * so an abort is instant (weight 0 first, canary scaled down after a delay); promotion rolls the
 * stable Deployment to the new template with maxUnavailable 0 while the traffic stays split,
 * then returns all traffic to stable and scales the canary to 0; re-deploying the stable
 * template is an instant rollback; a new template during a canary supersedes it.
 */
import type { ReconcileContext, Reconciler, ReconcileResult } from '../controller/index.ts';
import type { KindQuery } from '../kube/index.ts';
import { advanceAnalysis, analysisMetrics, canarySource, newRun, recordTaken, type AnalysisDecision } from './analysis.ts';
import { reconcileBlueGreen } from './bluegreen.ts';
import { deleteConfig, unusedConfig } from './config.ts';
import { canaryJudge, judgeHolds, syncBaseline } from './judge.ts';
import { gateStart, releaseVerdict, type Member } from './release.ts';
import { canaryName, stableName } from './router.ts';
import { DEFAULT_ABORT_DELAY_S, DEFAULT_PROGRESS_DEADLINE_S, Run, canaryScaleAt, deploymentsQuery, durationMs, imageOf, now, replicasOf, templateHash, viewOf, type DeploymentView, type RolloutOptions, type StatusPatch } from './run.ts';
import { API_VERSION, KIND, REQUEST_ANNOTATIONS, type ServiceRollout, type StepT } from './types.ts';

/** One reconcile of the rollout at `key` (`namespace/name`). */
export async function reconcileRollout(key: string, ctx: ReconcileContext, primary: KindQuery, options: RolloutOptions = {}): Promise<ReconcileResult | undefined> {
  const [ns = 'default', name = ''] = key.split('/');
  // The informer says something changed; the apiserver says what is true now. A cache that lags
  // behind this controller's own last status write would make it redo a step (restart a pause).
  if (!ctx.informers.informer(primary).get(name, ns)) return undefined;
  const live = (await ctx.client.get({ apiVersion: API_VERSION, kind: KIND, namespace: ns, name }, { signal: ctx.signal })) as ServiceRollout | undefined;
  if (!live || (live.metadata as { deletionTimestamp?: string }).deletionTimestamp) return undefined;
  const r = new Run(live, ctx, primary, options);
  if (live.spec.strategy.blueGreen) return reconcileBlueGreen(r, live.spec.strategy.blueGreen);
  const desired = templateHash(live.spec.template);
  await r.router.prepare(live);
  const stable = await r.deployment(stableName(live));

  // First version: straight to stable, nothing to compare with.
  if (!stable) {
    await r.applyDeployment('stable', live.spec.template, replicasOf(live));
    await r.applyDeployment('canary', live.spec.template, 0);
    await r.router.setWeight(live, 0, undefined);
    await r.writeStatus({ stableRevision: desired, stableImage: imageOf(live.spec.template), weight: 0, currentStepIndex: r.steps.length, phase: 'Progressing', message: 'first version: deployed as stable' }, ['canaryRevision', 'canaryImage', 'pauseStartTime', 'abortedRevision', 'abortReason']);
    await r.event('Normal', 'Initialized', `first version ${desired} (${imageOf(live.spec.template) ?? '?'}) deployed as stable`);
    return { requeueAfterMs: 1000 };
  }
  const stableView = viewOf(stable);
  // Replicas alone never start a canary: stable follows spec.replicas with its own template.
  await r.applyDeployment('stable', stableView.template, replicasOf(live), stableView.revision);

  // The status is the record; the stable Deployment's revision stands in only when the status was lost.
  if (desired === r.st.stableRevision || (r.st.stableRevision === undefined && stableView.revision === desired)) {
    const settled = await settleOnStable(r, desired, stableView);
    await syncBaseline(r, undefined, stableView);
    return settled;
  }
  // Promotion has begun once stable runs the desired template (promote() wrote it).
  const result = await progressCanary(r, desired, stableView.revision === desired);
  // The judge's baseline follows the canary's scale written just now (judge.ts).
  await syncBaseline(r, desired, stableView);
  return result;
}

/** The desired template is the stable one: no canary (or an instant rollback of one). */
async function settleOnStable(r: Run, desired: string, stable: DeploymentView): Promise<ReconcileResult | undefined> {
  const released = await settleRelease(r, desired);
  if (released) return released;
  const inFlight = r.st.canaryRevision !== undefined && r.st.canaryRevision !== desired;
  if (inFlight || (r.st.weight ?? 0) !== 0) await r.router.setWeight(r.ro, 0, undefined);
  // The dropped canary's config copies go before its template does (that is where they are listed).
  if (inFlight) await dropCanaryConfig(r, [stable.template, r.ro.spec.template]);
  await r.applyDeployment('canary', r.ro.spec.template, 0);
  const phase = stable.ready ? 'Healthy' : 'Progressing';
  const message = inFlight ? `the stable version ${desired} was deployed again: canary ${r.st.canaryRevision ?? ''} dropped (instant rollback)` : stable.ready ? `stable ${desired} healthy` : `waiting for stable ${desired} to be ready`;
  if (inFlight) await r.event('Normal', 'RolledBack', message);
  if (r.st.phase !== phase || inFlight || r.st.stableRevision !== desired || r.st.message !== message) {
    await r.writeStatus({ phase, message, weight: 0, stableRevision: desired, stableImage: imageOf(r.ro.spec.template), currentStepIndex: r.steps.length }, ['canaryRevision', 'canaryImage', 'pauseStartTime', 'abortedRevision', 'abortReason']);
  }
  return stable.ready ? undefined : { requeueAfterMs: 2000 };
}

/**
 * A member of a multi-service release that promoted in it: rolled back when another member aborted
 * (once nothing depending on it is still promoted), or done with what a rollback needed once every
 * member is promoted. Undefined when it has nothing to do.
 */
async function settleRelease(r: Run, desired: string): Promise<ReconcileResult | undefined> {
  const rel = r.ro.spec.release;
  const mine = r.st.release;
  if (!rel || mine?.id !== rel.id || mine.previousRevision === undefined) return undefined;
  const verdict = releaseVerdict(r.ro, r.ctx.informers.informer(r.primary).list(r.ns) as unknown as Member[]);
  if ('hold' in verdict) return undefined;
  if ('complete' in verdict) {
    await deleteConfig(r.client, r.ns, r.st.configGarbage ?? [], r.ctx.signal);
    await r.writeStatus({ message: `release ${rel.id} complete: every service promoted` }, ['release', 'configGarbage']);
    await r.event('Normal', 'ReleaseComplete', `release ${rel.id}: every service promoted`);
    return undefined;
  }
  // Back to the stable template this release replaced (effect first: a restart then finds it done).
  const template = mine.previousTemplate;
  await r.applyDeployment('stable', template, replicasOf(r.ro), mine.previousRevision);
  const garbage = unusedConfig([r.ro.spec.template], [template]);
  await r.writeStatus(
    { stableRevision: mine.previousRevision, stableImage: imageOf(template), abortedRevision: desired, abortReason: `${verdict.rollback}; rolled back`, phase: 'Degraded', message: `rolled back to ${mine.previousRevision}: ${verdict.rollback}`, stepStartTime: now(), configGarbage: garbage.length > 0 ? garbage : undefined },
    ['release'],
  );
  r.metrics.aborts.inc();
  await r.event('Warning', 'ReleaseRolledBack', `${desired} rolled back to ${mine.previousRevision}: ${verdict.rollback}`);
  return { requeueAfterMs: 1000 };
}

/** Deletes the config copies the canary Deployment's template lists and none of `keep` does. */
async function dropCanaryConfig(r: Run, keep: readonly unknown[]): Promise<void> {
  const canary = viewOf(await r.deployment(canaryName(r.ro)));
  const unused = unusedConfig([canary.template], keep);
  if (unused.length === 0) return;
  await deleteConfig(r.client, r.ns, unused, r.ctx.signal);
  await r.event('Normal', 'ConfigCollected', `config no version mounts any more deleted: ${unused.join(', ')}`);
}

async function abort(r: Run, desired: string, reason: string, record: StatusPatch = {}): Promise<ReconcileResult> {
  r.metrics.aborts.inc();
  // Traffic first: all of it to stable, at once; then the record of why (with `record`, e.g. the failing measurement).
  await r.router.setWeight(r.ro, 0, undefined);
  await r.writeStatus({ ...record, weight: 0, phase: 'Degraded', abortedRevision: desired, abortReason: reason, message: `aborted: ${reason}`, stepStartTime: now() }, ['pauseStartTime']);
  await r.event('Warning', 'Aborted', `canary ${desired} aborted: ${reason}; all traffic on stable ${r.st.stableRevision ?? ''}`);
  return { requeueAfterMs: (r.ro.spec.strategy.canary?.abortScaleDownDelaySeconds ?? DEFAULT_ABORT_DELAY_S) * 1000 };
}

/** An aborted canary stays aborted (weight 0, pods gone after the delay) until retried; undefined when it goes on. */
async function holdAborted(r: Run, desired: string): Promise<{ result: ReconcileResult | undefined } | undefined> {
  if (r.st.abortedRevision === desired) {
    const retry = r.fresh(REQUEST_ANNOTATIONS.retry, r.st.handledRetry);
    if (retry === undefined) {
      const delayMs = (r.ro.spec.strategy.canary?.abortScaleDownDelaySeconds ?? DEFAULT_ABORT_DELAY_S) * 1000;
      const since = r.st.stepStartTime ? Date.parse(r.st.stepStartTime) : 0;
      const left = since + delayMs - Date.now();
      if ((r.st.weight ?? 0) !== 0) await r.router.setWeight(r.ro, 0, undefined);
      if (left > 0) return { result: { requeueAfterMs: left } };
      await r.applyDeployment('canary', r.ro.spec.template, 0);
      // A release rolled back: the config of the version it left.
      if ((r.st.configGarbage ?? []).length > 0) {
        await deleteConfig(r.client, r.ns, r.st.configGarbage ?? [], r.ctx.signal);
        await r.writeStatus({}, ['configGarbage']);
      }
      return { result: undefined };
    }
    await r.writeStatus({ handledRetry: retry, currentStepIndex: 0, weight: 0, phase: 'Progressing', message: 'retrying the aborted canary', stepStartTime: now() }, ['abortedRevision', 'abortReason', 'pauseStartTime', 'analysis', 'backgroundAnalysis', 'judge']);
    await r.event('Normal', 'Retried', `canary ${desired} retried from step 0`);
  }
  return undefined;
}

/** A new template: start a canary (superseding one in flight: traffic back to stable first). */
async function startIfNew(r: Run, desired: string): Promise<void> {
  if (r.st.canaryRevision !== desired) {
    const superseded = r.st.canaryRevision !== undefined && r.st.canaryRevision !== r.st.stableRevision ? r.st.canaryRevision : undefined;
    if (superseded !== undefined || (r.st.weight ?? 0) !== 0) await r.router.setWeight(r.ro, 0, undefined);
    if (superseded !== undefined) await dropCanaryConfig(r, [viewOf(await r.deployment(stableName(r.ro))).template, r.ro.spec.template]);
    await r.applyDeployment('canary', r.ro.spec.template, 0);
    await r.writeStatus(
      { canaryRevision: desired, canaryImage: imageOf(r.ro.spec.template), currentStepIndex: 0, weight: 0, phase: 'Progressing', stepStartTime: now(), message: superseded ? `canary ${superseded} superseded by ${desired}` : `canary ${desired} started` },
      ['pauseStartTime', 'abortedRevision', 'abortReason', 'analysis', 'backgroundAnalysis', 'judge'],
    );
    await r.event('Normal', superseded ? 'Superseded' : 'CanaryStarted', superseded ? `canary ${superseded} superseded by ${desired}; starting from step 0` : `canary ${desired} (${imageOf(r.ro.spec.template) ?? '?'}) started`);
  }
}

/** The canary follows the stable replica count (an HPA's current one) at the weight reached so far. */
async function followStableScale(r: Run): Promise<void> {
  const done = Math.min(r.st.currentStepIndex ?? 0, r.steps.length);
  const current = r.steps[done];
  // A setWeight or setCanaryScale step in progress scales the canary itself, to its own target.
  if (done === 0 || current === undefined || current.setWeight !== undefined || current.setCanaryScale !== undefined) return;
  await r.applyDeployment('canary', r.ro.spec.template, canaryScaleAt(r.steps, done, replicasOf(r.ro)));
}

async function progressCanary(r: Run, desired: string, promoting: boolean): Promise<ReconcileResult | undefined> {
  const held = await holdAborted(r, desired);
  if (held) return held.result;
  if (r.st.canaryRevision !== desired) {
    const gate = await gateStart(r);
    if (gate === 'waiting') return undefined;
    if (gate) return abort(r, desired, gate.abort);
  }
  await startIfNew(r, desired);
  const abortReq = r.fresh(REQUEST_ANNOTATIONS.abort, r.st.handledAbort);
  if (abortReq !== undefined) {
    await r.writeStatus({ handledAbort: abortReq });
    return abort(r, desired, 'aborted by `slipway rollout abort`');
  }
  await followStableScale(r);
  if (r.ro.spec.paused) {
    if (r.st.phase !== 'Paused') await r.writeStatus({ phase: 'Paused', message: 'paused by `slipway rollout pause`' });
    return undefined;
  }
  const full = r.fresh(REQUEST_ANNOTATIONS.promoteFull, r.st.handledPromote);
  if (full !== undefined) {
    await r.writeStatus({ handledPromote: full, currentStepIndex: r.steps.length, message: 'promoted fully by `slipway rollout promote --full`' }, ['pauseStartTime']);
    await r.event('Normal', 'PromotedFull', 'remaining steps skipped, background analysis too');
  }

  // Background analysis watches the canary until its promotion begins; `promote --full` skips it (as Argo Rollouts' does).
  const gated = full === undefined && !promoting;
  const background = gated ? await backgroundAnalysis(r, desired) : undefined;
  if (background && 'result' in background) return background.result;
  // The statistical judge (judge.ts): the steps from its starting step wait for its verdict.
  const judged = gated ? await canaryJudge(r, desired, (reason, record) => abort(r, desired, reason, record)) : undefined;
  if (judged && 'result' in judged) return judged.result;
  return earliest(await runSteps(r, desired, gated), background?.requeueAfterMs);
}

/** The sooner of a step's requeue and background analysis's next measurement. */
function earliest(result: ReconcileResult | undefined, requeueAfterMs: number | undefined): ReconcileResult | undefined {
  if (requeueAfterMs === undefined) return result;
  if (result?.requeueAfterMs === undefined) return { ...result, requeueAfterMs };
  return { ...result, requeueAfterMs: Math.min(result.requeueAfterMs, requeueAfterMs) };
}

/**
 * Background analysis (spec.strategy.canary.analysis.startingStep): the metrics are measured from
 * that step until promotion, alongside the steps. A failure aborts at once; errors or no data
 * beyond their limits hold the steps (or abort, as configured). `result` when the reconcile ends
 * here; otherwise when the next measurement is due.
 */
async function backgroundAnalysis(r: Run, desired: string): Promise<{ readonly result: ReconcileResult | undefined } | { readonly requeueAfterMs: number | undefined } | undefined> {
  if (!hasBackground(r) || (r.st.currentStepIndex ?? 0) < (r.ro.spec.strategy.canary?.analysis?.startingStep ?? 0)) return undefined;
  const prev = r.st.backgroundAnalysis?.revision === desired ? r.st.backgroundAnalysis : newRun(desired, undefined, now());
  if (prev.phase === 'Successful') return undefined;
  const d = await advanceAnalysis(r, canarySource(r, true), prev, undefined, 'background analysis');
  const out = await applyDecision(r, desired, d, 'backgroundAnalysis');
  if (out.abort) return { result: out.abort };
  // Paused: the steps wait, unless `slipway rollout promote` says to go on (a pause or analysis step, or the promotion gate, takes the request).
  const goOn = r.fresh(REQUEST_ANNOTATIONS.promote, r.st.handledPromote) !== undefined;
  if (d.go === 'wait' && d.paused !== undefined && !goOn) return { result: { requeueAfterMs: d.requeueAfterMs } };
  return { requeueAfterMs: d.go === 'wait' ? d.requeueAfterMs : undefined };
}

/** The rollout has background analysis that reaches its steps (spec.strategy.canary.analysis.startingStep and metrics). */
function hasBackground(r: Run): boolean {
  const start = r.ro.spec.strategy.canary?.analysis?.startingStep;
  return start !== undefined && start <= r.steps.length && analysisMetrics(r).length > 0;
}

/**
 * Never promoted blind: after the last step, a canary under background analysis is promoted only
 * once every metric's latest measurement is Successful (the run is then recorded as passed).
 * Until then it waits, measuring on: errors and no data beyond their limits pause it (or abort)
 * as with an analysis step, a failure aborts. `slipway rollout promote` promotes by hand.
 * Undefined when it may promote; otherwise the reconcile's result.
 */
async function promotionGate(r: Run, desired: string): Promise<{ readonly wait: ReconcileResult | undefined } | undefined> {
  if (!hasBackground(r)) return undefined;
  const run = r.st.backgroundAnalysis?.revision === desired ? r.st.backgroundAnalysis : undefined;
  if (run?.phase === 'Successful') return undefined;
  const promoteReq = r.fresh(REQUEST_ANNOTATIONS.promote, r.st.handledPromote);
  if (promoteReq !== undefined) {
    await r.writeStatus({ handledPromote: promoteReq, message: 'background analysis passed by `slipway rollout promote`' });
    await r.event('Normal', 'AnalysisPassedByHand', `background analysis of ${desired} passed by \`slipway rollout promote\` before it had a verdict`);
    return undefined;
  }
  const last = new Map((run?.metrics ?? []).map((m) => [m.name, m.measurements.at(-1)]));
  const pending = analysisMetrics(r).filter((m) => last.get(m.name)?.phase !== 'Successful');
  if (run && pending.length === 0) {
    const message = `passed before promotion: the latest measurement of every metric is Successful (${(run.metrics ?? []).map((m) => `${m.name} ${m.lastValue ?? '?'}`).join(', ')})`;
    await r.writeStatus({ backgroundAnalysis: { ...run, phase: 'Successful', message } });
    await r.event('Normal', 'AnalysisPassed', `background analysis of ${desired} ${message}`);
    return undefined;
  }
  const why = pending.map((m) => `${m.name} ${last.get(m.name)?.phase ?? 'not measured yet'}`).join(', ');
  const message = `steps done; waiting for a Successful measurement of ${why} before promotion (never promoted on missing data); \`slipway rollout promote\` promotes by hand`;
  if (r.st.message !== message || r.st.phase !== 'Progressing') await r.writeStatus({ phase: 'Progressing', message });
  // The next measurement (background analysis's requeue) looks again; a run not started yet (the last step just completed) starts now.
  return { wait: run === undefined ? { requeueAfterMs: 1 } : undefined };
}

/**
 * Writes what an analysis tick decided into `field`: an abort (traffic first, with the run in the
 * same status write), a pause, or the new measurements; then the Events and metrics of the
 * measurements. Returns the abort's result when it aborted.
 */
async function applyDecision(r: Run, desired: string, d: AnalysisDecision, field: 'analysis' | 'backgroundAnalysis', step?: number): Promise<{ readonly abort?: ReconcileResult }> {
  const where = step === undefined ? 'background analysis' : `step ${step + 1}: analysis`;
  try {
    if (d.go === 'abort') return { abort: await abort(r, desired, d.reason, { [field]: d.run }) };
    if (d.go === 'passed') {
      // An inline step records its run with the step's completion (runSteps).
      if (field === 'backgroundAnalysis') await r.writeStatus({ [field]: d.run });
      return {};
    }
    if (d.paused !== undefined) {
      if (d.changed || r.st.phase !== 'Paused' || r.st.message !== d.paused) await r.writeStatus({ [field]: d.run, phase: 'Paused', message: d.paused });
      return {};
    }
    if (!d.changed) return {};
    // Measurements going on: an inline step says so in the message; background analysis leaves the step's message alone, unless it had paused the rollout.
    const resumed = r.st.phase === 'Paused' && (r.st.message ?? '').startsWith(where);
    await r.writeStatus({ [field]: d.run, ...(field === 'analysis' || resumed ? { phase: 'Progressing', message: `${where}: ${d.run.message ?? 'running'}` } : {}) });
    return {};
  } finally {
    await recordTaken(r, d.taken, where);
  }
}

/** What one step did: finished (with the status to record), or has to wait (with when to look again). */
type StepOutcome = { readonly done: string; readonly patch?: StatusPatch } | { readonly wait: ReconcileResult | undefined };

/** Runs steps from the current one until one has to wait (or promotion). */
async function runSteps(r: Run, desired: string, gated: boolean): Promise<ReconcileResult | undefined> {
  const deadlineMs = (r.ro.spec.strategy.canary?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S) * 1000;
  for (;;) {
    const i = r.st.currentStepIndex ?? 0;
    // The judge starts with the next reconcile (canaryJudge); these steps wait for its verdict.
    if (gated && judgeHolds(r, desired, i)) return { requeueAfterMs: 1 };
    if (i >= r.steps.length) {
      const held = gated ? await promotionGate(r, desired) : undefined;
      return held ? held.wait : promote(r, desired, deadlineMs);
    }
    const out = await runStep(r, desired, r.steps[i] ?? {}, i, deadlineMs);
    if ('wait' in out) return out.wait;
    const began = r.st.stepStartTime ? Date.parse(r.st.stepStartTime) : undefined;
    await r.writeStatus({ ...out.patch, currentStepIndex: i + 1, stepStartTime: now(), phase: 'Progressing', message: out.done }, ['pauseStartTime']);
    if (began !== undefined) r.metrics.stepSeconds.observe({ step: String(i + 1) }, (Date.now() - began) / 1000);
    await r.event('Normal', 'StepCompleted', `step ${i + 1}/${r.steps.length}: ${out.done}`);
  }
}

async function runStep(r: Run, desired: string, step: StepT, i: number, deadlineMs: number): Promise<StepOutcome> {
  if (step.setWeight !== undefined) {
    const waiting = await setWeightStep(r, desired, step.setWeight, i, deadlineMs);
    return waiting ? { wait: waiting } : { done: `weight ${step.setWeight}%`, patch: { weight: step.setWeight } };
  }
  if (step.pause !== undefined) return pauseStep(r, step.pause.duration, i);
  if (step.setCanaryScale !== undefined) {
    const replicas = canaryScaleAt(r.steps, i + 1, replicasOf(r.ro));
    await r.applyDeployment('canary', r.ro.spec.template, replicas);
    return { done: `canary scaled to ${replicas}` };
  }
  if (step.setHeaderRoute !== undefined) {
    const h = step.setHeaderRoute;
    await r.router.setWeight(r.ro, r.st.weight ?? 0, { name: h.name, value: h.value });
    return { done: `requests with ${h.name}: ${h.value} go to the canary`, patch: { headerRouteName: h.name, headerRouteValue: h.value } };
  }
  if (step.analysis !== undefined) return analysisStep(r, desired, i);
  // A step with no known action (the CRD's validation prevents it): skip it loudly.
  return { done: 'unknown step skipped' };
}

async function pauseStep(r: Run, duration: string | undefined, i: number): Promise<StepOutcome> {
  const promoteReq = r.fresh(REQUEST_ANNOTATIONS.promote, r.st.handledPromote);
  if (promoteReq !== undefined) return { done: 'pause ended by `slipway rollout promote`', patch: { handledPromote: promoteReq } };
  if (r.st.pauseStartTime === undefined) {
    await r.writeStatus({ pauseStartTime: now(), phase: duration === undefined ? 'Paused' : 'Progressing', message: duration === undefined ? `paused at step ${i + 1} until \`slipway rollout promote\`` : `pausing ${duration} at step ${i + 1}` });
  }
  if (duration === undefined) return { wait: undefined };
  const left = Date.parse(r.st.pauseStartTime ?? now()) + durationMs(duration) - Date.now();
  return left > 0 ? { wait: { requeueAfterMs: left } } : { done: `paused ${duration}` };
}

/**
 * An inline analysis step: measures the rollout's metrics (the service SLOs by default) until
 * each has its verdict. A failing measurement aborts in this very reconcile; success completes
 * the step; errors and no data never pass. Without metrics the step waits for a verdict in
 * status.analysis written by an external engine. `slipway rollout promote` passes it by hand.
 */
async function analysisStep(r: Run, desired: string, i: number): Promise<StepOutcome> {
  const promoteReq = r.fresh(REQUEST_ANNOTATIONS.promote, r.st.handledPromote);
  if (analysisMetrics(r).length === 0) return externalVerdict(r, desired, i, promoteReq);
  const prev = r.st.analysis?.stepIndex === i && r.st.analysis.revision === desired ? r.st.analysis : newRun(desired, i, now());
  if (promoteReq !== undefined) return { done: 'analysis step passed by `slipway rollout promote`', patch: { handledPromote: promoteReq, analysis: prev } };
  if (prev.phase === 'Successful') return { done: `analysis passed: ${prev.message ?? ''}`, patch: { analysis: prev } };
  if (prev.phase === 'Failed') return { wait: await abort(r, desired, `analysis failed at step ${i + 1}: ${prev.message ?? ''}`, { analysis: prev }) };
  if (prev.phase === 'Inconclusive') return { wait: undefined };
  const d = await advanceAnalysis(r, canarySource(r, false), prev, r.steps[i]?.analysis ?? {}, `analysis at step ${i + 1}`);
  if (d.go === 'passed') {
    await recordTaken(r, d.taken, `step ${i + 1}: analysis`);
    return { done: `analysis passed: ${d.run.message ?? ''}`, patch: { analysis: d.run } };
  }
  const out = await applyDecision(r, desired, d, 'analysis', i);
  if (out.abort) return { wait: out.abort };
  return { wait: d.go === 'wait' && d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : undefined };
}

/** An analysis step of a rollout without metrics: an external engine writes the verdict in status.analysis; slipway never promotes on missing data. */
async function externalVerdict(r: Run, desired: string, i: number, promoteReq: string | undefined): Promise<StepOutcome> {
  const a = r.st.analysis?.stepIndex === i ? r.st.analysis : undefined;
  if (a?.phase === 'Failed') return { wait: await abort(r, desired, `analysis failed at step ${i + 1}${a.message ? `: ${a.message}` : ''}`) };
  if (a?.phase === 'Successful') return { done: `analysis passed${a.message ? `: ${a.message}` : ''}` };
  if (promoteReq !== undefined) return { done: 'analysis step passed by `slipway rollout promote`', patch: { handledPromote: promoteReq } };
  const message = `step ${i + 1}: waiting for an analysis result${a ? ` (${a.phase})` : ''} (the rollout has no analysis metrics); \`slipway rollout promote\` passes it by hand`;
  if (r.st.message !== message) await r.writeStatus({ phase: 'Paused', message });
  return { wait: undefined };
}

/** Scales the canary for weight `w`, and once its pods are ready routes `w`% to it; a result while it has to wait (or aborted). */
async function setWeightStep(r: Run, desired: string, w: number, i: number, deadlineMs: number): Promise<ReconcileResult | undefined> {
  await r.applyDeployment('canary', r.ro.spec.template, canaryScaleAt(r.steps, i + 1, replicasOf(r.ro)));
  const view = viewOf(await r.deployment(canaryName(r.ro)));
  if (!view.ready && w > 0) {
    const started = r.st.stepStartTime ? Date.parse(r.st.stepStartTime) : Date.now();
    if (Date.now() - started > deadlineMs) return abort(r, desired, `canary pods not ready within ${deadlineMs / 1000}s (progress deadline) at step ${i + 1}`);
    return { requeueAfterMs: Math.min(2000, Math.max(100, started + deadlineMs - Date.now())) };
  }
  await r.router.setWeight(r.ro, w, r.header());
  return undefined;
}

/** After the last step: stable takes the canary's template (maxUnavailable 0) while traffic stays split; then all traffic to stable. */
async function promote(r: Run, desired: string, deadlineMs: number): Promise<ReconcileResult | undefined> {
  const stable = viewOf(await r.deployment(stableName(r.ro)));
  if (stable.revision !== desired) {
    // The old stable template lists its config copies: recorded before it is overwritten.
    const garbage = unusedConfig([stable.template], [r.ro.spec.template]);
    // In a multi-service release, what a rollback to the old stable needs is kept until the release completes.
    const rel = r.ro.spec.release;
    const release = rel && stable.revision !== undefined ? { id: rel.id, previousRevision: stable.revision, previousTemplate: stable.template as Record<string, unknown> } : undefined;
    await r.writeStatus({ phase: 'Progressing', message: `promoting: stable rolls to ${desired}`, stepStartTime: now(), configGarbage: garbage.length > 0 ? garbage : undefined, release });
    await r.applyDeployment('stable', r.ro.spec.template, replicasOf(r.ro));
    await r.event('Normal', 'Promoting', `stable rolls to ${desired} (maxUnavailable 0) while traffic stays split`);
    return { requeueAfterMs: 1000 };
  }
  if (!stable.ready) {
    const started = r.st.stepStartTime ? Date.parse(r.st.stepStartTime) : Date.now();
    if (Date.now() - started > deadlineMs) return abort(r, desired, `stable did not become ready on ${desired} within ${deadlineMs / 1000}s`);
    return { requeueAfterMs: 1000 };
  }
  await r.router.setWeight(r.ro, 0, undefined);
  await r.applyDeployment('canary', r.ro.spec.template, 0);
  const garbage = r.ro.spec.release ? [] : (r.st.configGarbage ?? []);
  if (garbage.length > 0) {
    await deleteConfig(r.client, r.ns, garbage, r.ctx.signal);
    await r.event('Normal', 'ConfigCollected', `config the old stable version mounted deleted: ${garbage.join(', ')}`);
  }
  const image = imageOf(r.ro.spec.template);
  await r.writeStatus({ stableRevision: desired, stableImage: image, weight: 0, phase: 'Healthy', message: `promoted ${desired}`, currentStepIndex: r.steps.length }, ['canaryRevision', 'canaryImage', 'pauseStartTime', 'headerRouteName', 'headerRouteValue', ...(r.ro.spec.release ? [] : (['configGarbage'] as const))]);
  await r.event('Normal', 'Promoted', `${desired} (${image ?? '?'}) promoted to stable; all traffic on stable`);
  return undefined;
}

/** Label that assigns a ServiceRollout to one controller instance (`slipway controller run --instance`). */
export const INSTANCE_LABEL = 'slipway.dev/controller-instance';

/**
 * The reconciler the controller runs: ServiceRollouts, woken by changes of the Deployments they
 * own. With `instance`, only rollouts labelled with it; without, only rollouts without the label
 * (so several controllers, e.g. a test's and the cluster's, never act on the same rollout).
 */
export function rolloutReconciler(o: { namespace?: string | undefined; instance?: string | undefined; prometheusUrl?: string | undefined }): Reconciler {
  const labelSelector = o.instance ? `${INSTANCE_LABEL}=${o.instance}` : `!${INSTANCE_LABEL}`;
  const primary = { apiVersion: API_VERSION, kind: KIND, namespace: o.namespace, labelSelector };
  return {
    name: 'rollout',
    // Reconciles mostly wait on the apiserver: more workers than cores (bench/rollout.ts at 200 canaries).
    workers: 16,
    primary,
    secondary: [
      // The members of a multi-service release wake each other (release.ts).
      { query: primary, keysOf: (o) => ((o as unknown as Member).spec.release?.members ?? []).filter((n) => n !== o.metadata.name).map((n) => `${o.metadata.namespace ?? ''}/${n}`) },
      {
        query: deploymentsQuery(o.namespace),
        keysOf: (d) => {
          const owner = (d.metadata as { ownerReferences?: { kind?: string; name?: string }[] }).ownerReferences?.find((x) => x.kind === KIND);
          return owner?.name ? [`${d.metadata.namespace ?? ''}/${owner.name}`] : [];
        },
      },
    ],
    reconcile: (key, ctx) => reconcileRollout(key, ctx, primary, { prometheusUrl: o.prometheusUrl }),
  };
}
