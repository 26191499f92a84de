/**
 * Blue-green releases of a ServiceRollout.
 *
 * Each version runs as its own Deployment `<name>-<revision>` (pods labelled
 * `slipway.dev/revision`), at full scale. The active Service (the service's own name) selects the
 * active revision; the preview Service selects the new one while it waits for promotion, and the
 * active one otherwise. Promotion switches the active Service's selector in one write; the
 * previous version keeps its pods for `scaleDownDelaySeconds`, and `slipway rollout undo` inside
 * that window only switches the selector back (no new pod). After the window its Deployment is
 * deleted.
 *
 * Analysis, as Argo Rollouts defines it (by default the service's SLOs, from handOver):
 *  - pre-promotion: measured on the preview's pods once they are ready; a failure aborts (the
 *    active Service never moves); autoPromote waits for its success;
 *  - post-promotion: measured on the new active version's pods right after the switch, while the
 *    previous version keeps its pods (its scale-down delay counts from the analysis' success); a
 *    failure switches the active Service back to the previous version and marks the rollout
 *    Degraded, as `slipway rollout undo` does.
 *
 * Crash safety, as for canaries: every effect is written before the status that records it and
 * writing it again is a no-op; the times that count (preview ready, scale-down, analysis runs)
 * live in the status.
 */
import { BLUE_GREEN_DEFAULTS } from '../appspec/index.ts';
import type { AnalysisRunStatusT, StepOverrides, Taken } from '../analysis/index.ts';
import type { ReconcileResult } from '../controller/index.ts';
import type { LiveObject } from '../kube/index.ts';
import { omit } from '../manifest/index.ts';
import { advanceAnalysis, newRun, recordTaken, type AnalysisSource } from './analysis.ts';
import { deleteConfig, unusedConfig } from './config.ts';
import { gateStart } from './release.ts';
import { CONTROLLER_MANAGER, TRACK_LABEL, ownedBy } from './router.ts';
import { DEFAULT_PROGRESS_DEADLINE_S, REVISION_LABEL, Run, imageOf, now, replicasOf, templateHash, viewOf, type StatusPatch } from './run.ts';
import { REQUEST_ANNOTATIONS, type BlueGreenT } from './types.ts';

/** The Deployment of one version. */
export const versionName = (rollout: string, revision: string): string => `${rollout}-${revision}`;

const SERVICE_HASH_ANNOTATION = 'slipway.dev/service-hash';

/** A Service spec for the preview: the same ports, reachable inside the cluster only. */
function previewSpec(spec: Record<string, unknown>): Record<string, unknown> {
  const rest = omit(spec, ['type', 'externalTrafficPolicy', 'loadBalancerIP', 'loadBalancerSourceRanges', 'loadBalancerClass', 'externalName', 'clusterIP', 'clusterIPs', 'healthCheckNodePort', 'allocateLoadBalancerNodePorts']);
  const ports = Array.isArray(rest['ports']) ? (rest['ports'] as Record<string, unknown>[]).map((p) => omit(p, ['nodePort'])) : rest['ports'];
  return { ...rest, ...(ports !== undefined ? { ports } : {}), type: 'ClusterIP' };
}

class BlueGreenRun {
  readonly r: Run;
  readonly bg: BlueGreenT;
  readonly desired: string;

  constructor(r: Run, bg: BlueGreenT) {
    this.r = r;
    this.bg = bg;
    this.desired = templateHash(r.ro.spec.template);
  }

  get name(): string {
    return this.r.ro.metadata.name ?? '';
  }

  get delayMs(): number {
    return (this.bg.scaleDownDelaySeconds ?? BLUE_GREEN_DEFAULTS.scaleDownDelaySeconds) * 1000;
  }

  /** Points `service` at `revision`, unless it already is (a write only when something changes). */
  async selectRevision(service: string, spec: Record<string, unknown>, revision: string): Promise<void> {
    const selector = { ...this.r.ro.spec.selector.matchLabels, [REVISION_LABEL]: revision };
    const hash = templateHash({ spec, selector });
    const live = await this.r.client.get({ apiVersion: 'v1', kind: 'Service', namespace: this.r.ns, name: service }, { signal: this.r.ctx.signal });
    if (live?.metadata.annotations?.[SERVICE_HASH_ANNOTATION] === hash) return;
    await this.r.client.apply(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: service, namespace: this.r.ns, labels: this.r.ro.spec.selector.matchLabels, annotations: { [SERVICE_HASH_ANNOTATION]: hash }, ownerReferences: ownedBy(this.r.ro) },
        spec: { ...spec, selector },
      },
      { force: true, fieldManager: CONTROLLER_MANAGER, signal: this.r.ctx.signal },
    );
  }

  /** Active selects `active`; preview selects `preview`. Active last: a promotion is its one write. */
  async route(active: string, preview: string): Promise<void> {
    await this.selectRevision(this.bg.previewService, previewSpec(this.bg.service), preview);
    await this.selectRevision(this.bg.activeService, this.bg.service, active);
  }

  /** Runs version `revision` at the rollout's replicas (with its own template when it is not the desired one). */
  async runVersion(revision: string, template: unknown): Promise<void> {
    await this.r.applyWorkload(versionName(this.name, revision), { [REVISION_LABEL]: revision }, template, replicasOf(this.r.ro), revision);
  }

  async version(revision: string): Promise<LiveObject | undefined> {
    return this.r.deployment(versionName(this.name, revision));
  }

  /** Deletes the Deployments of versions other than `keep`; their pods go with them. */
  async collect(keep: readonly string[]): Promise<void> {
    const sel = Object.entries(this.r.ro.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`);
    const deps = await this.r.client.list({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: this.r.ns, labelSelector: [`${TRACK_LABEL}=blueGreen`, ...sel].join(',') }, { signal: this.r.ctx.signal });
    const uid = (this.r.ro.metadata as { uid?: string }).uid;
    const revisionOf = (d: LiveObject): string | undefined => d.metadata.labels?.[REVISION_LABEL];
    const ours = deps.filter((d) => (d.metadata as { ownerReferences?: { uid?: string }[] }).ownerReferences?.some((o) => o.uid === uid) && revisionOf(d) !== undefined);
    const templateOf = (d: LiveObject): unknown => (d['spec'] as { template?: unknown } | undefined)?.template;
    const kept = [this.r.ro.spec.template, ...ours.filter((d) => keep.includes(revisionOf(d) ?? '')).map(templateOf)];
    for (const d of ours.filter((x) => !keep.includes(revisionOf(x) ?? ''))) {
      // Its config copies first (its template lists them), then the Deployment and its pods.
      const unused = unusedConfig([templateOf(d)], kept);
      await deleteConfig(this.r.client, this.r.ns, unused, this.r.ctx.signal);
      await this.r.client.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: this.r.ns, name: d.metadata.name ?? '' }, { signal: this.r.ctx.signal });
      await this.r.event('Normal', 'ScaledDown', `version ${revisionOf(d) ?? '?'} removed${unused.length > 0 ? `, with its config ${unused.join(', ')}` : ''}`);
    }
  }
}

/** One reconcile of a blue-green ServiceRollout. */
export async function reconcileBlueGreen(r: Run, bg: BlueGreenT): Promise<ReconcileResult | undefined> {
  const b = new BlueGreenRun(r, bg);
  const { desired } = b;
  let active = r.st.stableRevision;
  if (active !== undefined && (await b.version(active)) === undefined && active !== desired) {
    // The active version's Deployment is gone (deleted by hand): its template went with it.
    await r.event('Warning', 'ActiveMissing', `the Deployment of active version ${active} is gone; deploying ${desired} directly`);
    active = undefined;
  }
  if (active === undefined) {
    await b.runVersion(desired, r.ro.spec.template);
    await b.route(desired, desired);
    await r.writeStatus({ stableRevision: desired, stableImage: imageOf(r.ro.spec.template), phase: 'Progressing', message: 'first version: deployed as active', currentStepIndex: 0, weight: 0 }, ['canaryRevision', 'canaryImage', 'previewReadyTime', 'abortedRevision', 'abortReason', 'previousRevision', 'scaleDownTime']);
    await r.event('Normal', 'Initialized', `first version ${desired} (${imageOf(r.ro.spec.template) ?? '?'}) deployed as active`);
    return { requeueAfterMs: 1000 };
  }
  // The active version keeps full scale with its own template (replicas follow spec.replicas).
  const activeLive = await b.version(active);
  await b.runVersion(active, active === desired ? r.ro.spec.template : (activeLive?.['spec'] as { template?: unknown } | undefined)?.template);

  const undo = r.fresh(REQUEST_ANNOTATIONS.undo, r.st.handledUndo);
  if (undo !== undefined) return undoPromotion(b, active, undo);
  if (desired === active) return settle(b, active);
  return preview(b, active);
}

/** `slipway rollout undo`: inside the scale-down window, the active Service goes back to the previous version. */
async function undoPromotion(b: BlueGreenRun, active: string, undo: string): Promise<ReconcileResult | undefined> {
  const { r } = b;
  const prev = r.st.previousRevision;
  const prevLive = prev !== undefined ? await b.version(prev) : undefined;
  if (prev === undefined || !prevLive || !viewOf(prevLive).ready) {
    await r.writeStatus({ handledUndo: undo });
    await r.event('Warning', 'UndoRefused', prev === undefined ? 'nothing to undo: no promotion in the scale-down window' : `nothing to undo: version ${prev} has no ready pods any more; deploy it again (\`slipway rollback\`)`);
    return { requeueAfterMs: 100 };
  }
  // As for promotion: the record first, then the one write that switches the active Service.
  await r.writeStatus(
    { handledUndo: undo, stableRevision: prev, stableImage: imageOf((prevLive['spec'] as { template?: unknown } | undefined)?.template), abortedRevision: active, abortReason: 'undone by `slipway rollout undo`', scaleDownTime: new Date(Date.now() + b.delayMs).toISOString(), phase: 'Degraded', message: `undone: the active Service is back on ${prev}; ${active} keeps its pods for ${b.delayMs / 1000}s` },
    ['previousRevision', 'canaryRevision', 'canaryImage', 'previewReadyTime'],
  );
  await b.route(prev, prev);
  await r.event('Warning', 'Undone', `active Service switched back from ${active} to ${prev} (no new pods)`);
  return { requeueAfterMs: b.delayMs };
}

/**
 * The desired version is active: its post-promotion analysis (if any) runs while the previous
 * version keeps its pods; then the previous one is kept until its scale-down time, and removed.
 */
async function settle(b: BlueGreenRun, active: string): Promise<ReconcileResult | undefined> {
  const { r } = b;
  const post = await postPromotion(b, active);
  if (post && 'result' in post) return post.result;
  const analysing = post?.wait;
  const dropped = r.st.canaryRevision !== undefined && r.st.canaryRevision !== active ? r.st.canaryRevision : undefined;
  await b.route(active, active);
  const { keep, left } = keptVersions(b, active, analysing !== undefined);
  await b.collect(keep);
  const ready = viewOf(await b.version(active)).ready;
  const { phase, message } = settledState(b, active, { analysing, dropped, ready, kept: keep.length > 1 });
  if (dropped !== undefined) await r.event('Normal', 'RolledBack', message);
  const expired = keep.length === 1 && (r.st.previousRevision !== undefined || r.st.scaleDownTime !== undefined);
  if (analysing?.changed === true || r.st.phase !== phase || r.st.message !== message || dropped !== undefined || expired || r.st.abortedRevision !== undefined) {
    await r.writeStatus(
      { phase, message, ...(analysing ? { postPromotionAnalysis: analysing.run } : {}) },
      ['canaryRevision', 'canaryImage', 'previewReadyTime', 'abortedRevision', 'abortReason', ...(keep.length === 1 ? (['previousRevision', 'scaleDownTime'] as const) : [])],
    );
  }
  if (analysing) {
    await recordTaken(r, analysing.taken, 'post-promotion analysis');
    return analysing.requeueAfterMs !== undefined ? { requeueAfterMs: analysing.requeueAfterMs } : undefined;
  }
  if (!ready) return { requeueAfterMs: 2000 };
  return left > 0 ? { requeueAfterMs: left } : undefined;
}

/** The versions that keep their pods: the active one, and the previous one while post-promotion analysis runs or until its scale-down time (`left` ms). */
function keptVersions(b: BlueGreenRun, active: string, analysing: boolean): { keep: string[]; left: number } {
  const prev = b.r.st.previousRevision;
  const left = b.r.st.scaleDownTime !== undefined ? Date.parse(b.r.st.scaleDownTime) - Date.now() : 0;
  return { keep: prev !== undefined && (analysing || left > 0) ? [active, prev] : [active], left };
}

/** The phase and message of a settled (or settling) active version. */
function settledState(b: BlueGreenRun, active: string, o: { readonly analysing: PostWait | undefined; readonly dropped: string | undefined; readonly ready: boolean; readonly kept: boolean }): { phase: 'Progressing' | 'Paused' | 'Healthy' | 'Degraded'; message: string } {
  const st = b.r.st;
  const stranded = postFailedWithoutPrevious(b, active);
  const phase = o.analysing?.phase ?? (stranded !== undefined ? 'Degraded' : o.ready ? 'Healthy' : 'Progressing');
  if (o.dropped !== undefined) return { phase, message: `active version ${active} deployed again: preview ${o.dropped} dropped (instant rollback)` };
  if (o.analysing) return { phase, message: o.analysing.message };
  if (stranded !== undefined) return { phase, message: stranded };
  const kept = o.kept ? `; ${st.previousRevision ?? ''} keeps its pods until ${st.scaleDownTime ?? ''} (\`slipway rollout undo\` switches back)` : '';
  return { phase, message: o.ready ? `active ${active} healthy${kept}` : `waiting for active ${active} to be ready` };
}

type Gate = 'pre' | 'post';

/** The rollout's pre- or post-promotion analysis of version `revision`: what it measures and the overrides of its metrics; undefined without one. */
function gateOf(b: BlueGreenRun, which: Gate, revision: string): { readonly source: AnalysisSource; readonly overrides: StepOverrides } | undefined {
  const a = which === 'pre' ? b.bg.prePromotionAnalysis : b.bg.postPromotionAnalysis;
  if (!a || a.metrics.length === 0) return undefined;
  return {
    source: {
      metrics: a.metrics,
      settings: a,
      deployment: versionName(b.name, revision),
      path: `spec.strategy.blueGreen.${which}PromotionAnalysis.metrics`,
      byHand: which === 'pre' ? '`slipway rollout promote` switches by hand' : '`slipway rollout promote` accepts the version by hand, `slipway rollout undo` switches back',
      key: which,
    },
    // Like an inline analysis step: a verdict is needed, so `count` defaults to 10.
    overrides: { interval: a.interval, count: a.count, failureLimit: a.failureLimit },
  };
}

/** A failed post-promotion analysis that could not switch back (the previous version was gone): the message, else undefined. */
function postFailedWithoutPrevious(b: BlueGreenRun, active: string): string | undefined {
  const run = b.r.st.postPromotionAnalysis;
  if (run?.revision !== active || run.phase !== 'Failed' || b.r.st.previousRevision !== undefined) return undefined;
  return `post-promotion analysis of ${active} failed (${run.message ?? ''}) and the previous version has no Deployment any more: nothing to switch back to; deploy a fixed version, or the previous one (\`slipway rollback\`)`;
}

/** Still measuring after the switch: what settle() writes and when to look again. */
interface PostWait {
  readonly run: AnalysisRunStatusT;
  readonly changed: boolean;
  readonly taken: readonly Taken[];
  readonly phase: 'Progressing' | 'Paused';
  readonly message: string;
  readonly requeueAfterMs: number | undefined;
}

/**
 * Post-promotion analysis of the active version, while the previous version keeps its pods (no
 * scaleDownTime yet): a failure switches back (`result`), success schedules the previous version's
 * scale-down, otherwise `wait`. Undefined when there is nothing (more) to analyse.
 */
async function postPromotion(b: BlueGreenRun, active: string): Promise<{ readonly result: ReconcileResult | undefined } | { readonly wait: PostWait } | undefined> {
  const { r } = b;
  const gate = gateOf(b, 'post', active);
  const run = r.st.postPromotionAnalysis;
  const prev = r.st.previousRevision;
  if (!gate || run?.revision !== active || run.phase === 'Successful' || prev === undefined || r.st.scaleDownTime !== undefined) return undefined;
  const scaleDownTime = new Date(Date.now() + b.delayMs).toISOString();
  const promoteReq = r.fresh(REQUEST_ANNOTATIONS.promote, r.st.handledPromote) ?? r.fresh(REQUEST_ANNOTATIONS.promoteFull, r.st.handledPromote);
  if (promoteReq !== undefined) {
    await r.writeStatus({ handledPromote: promoteReq, scaleDownTime });
    await r.event('Normal', 'AnalysisPassedByHand', `post-promotion analysis of ${active} passed by \`slipway rollout promote\` before it had a verdict; ${prev} keeps its pods for ${b.delayMs / 1000}s`);
    return undefined;
  }
  const d = await advanceAnalysis(r, gate.source, run, gate.overrides, 'post-promotion analysis');
  if (d.go === 'abort') {
    try {
      return { result: await switchBack(b, active, prev, d.run, d.reason) };
    } finally {
      await recordTaken(r, d.taken, 'post-promotion analysis');
    }
  }
  if (d.go === 'passed') {
    await r.writeStatus({ postPromotionAnalysis: d.run, scaleDownTime });
    await recordTaken(r, d.taken, 'post-promotion analysis');
    await r.event('Normal', 'AnalysisPassed', `post-promotion analysis of ${active} passed (${d.run.message ?? ''}); ${prev} keeps its pods for ${b.delayMs / 1000}s`);
    return undefined;
  }
  const message = d.paused ?? `post-promotion analysis of ${active} (${prev} keeps its pods until it passes; a failure switches back): ${d.run.message ?? 'running'}`;
  return { wait: { run: d.run, changed: d.changed, taken: d.taken, phase: d.paused !== undefined ? 'Paused' : 'Progressing', message, requeueAfterMs: d.requeueAfterMs } };
}

/**
 * A failed post-promotion analysis: the active Service goes back to the previous version (as
 * undo does: the record first, then the one write that switches, so a controller killed in
 * between switches on restart instead of pointing the Service at the failed version again).
 */
async function switchBack(b: BlueGreenRun, active: string, prev: string, run: AnalysisRunStatusT, reason: string): Promise<ReconcileResult | undefined> {
  const { r } = b;
  r.metrics.aborts.inc();
  const prevLive = await b.version(prev);
  if (!prevLive) {
    // Nothing to switch back to: the run is recorded as failed and the rollout Degraded (settle says why).
    await r.writeStatus({ postPromotionAnalysis: { ...run, phase: 'Failed', message: reason }, abortReason: reason }, ['previousRevision', 'scaleDownTime']);
    await r.event('Warning', 'SwitchBackImpossible', `${reason}; the previous version ${prev} has no Deployment any more, the active Service stays on ${active}`);
    return { requeueAfterMs: 100 };
  }
  await r.writeStatus(
    {
      postPromotionAnalysis: run,
      stableRevision: prev,
      stableImage: imageOf((prevLive['spec'] as { template?: unknown } | undefined)?.template),
      abortedRevision: active,
      abortReason: reason,
      scaleDownTime: new Date(Date.now() + b.delayMs).toISOString(),
      phase: 'Degraded',
      message: `${reason}: the active Service is back on ${prev}; ${active} keeps its pods for ${b.delayMs / 1000}s`,
    },
    ['previousRevision', 'canaryRevision', 'canaryImage', 'previewReadyTime'],
  );
  await b.route(prev, prev);
  await r.event('Warning', 'SwitchedBack', `${reason}; the active Service switched back from ${active} to ${prev}`);
  return { requeueAfterMs: b.delayMs };
}

/**
 * Pre-promotion analysis of the ready preview: undefined once it passed (or without one), else the
 * reconcile's result (measuring on, paused, or aborted: the active Service never moved).
 */
async function prePromotion(b: BlueGreenRun, active: string): Promise<{ readonly result: ReconcileResult | undefined } | undefined> {
  const { r, desired } = b;
  const gate = gateOf(b, 'pre', desired);
  if (!gate) return undefined;
  const prev = r.st.prePromotionAnalysis?.revision === desired ? r.st.prePromotionAnalysis : newRun(desired, undefined, now());
  if (prev.phase === 'Successful') return undefined;
  const d = await advanceAnalysis(r, gate.source, prev, gate.overrides, 'pre-promotion analysis');
  try {
    if (d.go === 'abort') return { result: await abortPreview(b, active, d.reason, { prePromotionAnalysis: d.run }) };
    if (d.go === 'passed') {
      await r.writeStatus({ prePromotionAnalysis: d.run });
      await r.event('Normal', 'AnalysisPassed', `pre-promotion analysis of preview ${desired} passed (${d.run.message ?? ''})`);
      return undefined;
    }
    const phase = d.paused !== undefined ? 'Paused' : 'Progressing';
    const message = d.paused ?? `pre-promotion analysis of preview ${desired} (the active Service stays on ${active} until it passes): ${d.run.message ?? 'running'}`;
    if (d.changed || r.st.phase !== phase || r.st.message !== message) await r.writeStatus({ prePromotionAnalysis: d.run, phase, message });
    return { result: d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : undefined };
  } finally {
    await recordTaken(r, d.taken, 'pre-promotion analysis');
  }
}

/** An aborted (or undone) version stays so until retried, and loses its pods after the delay; undefined when it goes on. */
async function holdAborted(b: BlueGreenRun, active: string): Promise<{ result: ReconcileResult | undefined } | undefined> {
  const { r, desired } = b;
  if (r.st.abortedRevision !== desired) return undefined;
  const retry = r.fresh(REQUEST_ANNOTATIONS.retry, r.st.handledRetry);
  if (retry === undefined) {
    await b.route(active, active);
    const left = (r.st.scaleDownTime ? Date.parse(r.st.scaleDownTime) : 0) - Date.now();
    if (left > 0) return { result: { requeueAfterMs: left } };
    await b.collect([active]);
    return { result: undefined };
  }
  await r.writeStatus({ handledRetry: retry, phase: 'Progressing', message: `retrying preview ${desired}`, stepStartTime: now() }, ['abortedRevision', 'abortReason', 'previewReadyTime', 'scaleDownTime', 'canaryRevision', 'prePromotionAnalysis', 'postPromotionAnalysis']);
  await r.event('Normal', 'Retried', `preview ${desired} retried`);
  return undefined;
}

/** A new version: run it at full scale behind the preview Service, then promote (by hand or automatically). */
async function preview(b: BlueGreenRun, active: string): Promise<ReconcileResult | undefined> {
  const { r, desired, bg } = b;
  const held = await holdAborted(b, active);
  if (held) return held.result;
  if (r.st.canaryRevision !== desired) {
    // A member of a multi-service release starts once its dependencies are promoted (release.ts).
    const gate = await gateStart(r);
    if (gate === 'waiting') return undefined;
    if (gate) return abortPreview(b, active, gate.abort, {});
    const superseded = r.st.canaryRevision !== undefined && r.st.canaryRevision !== active ? r.st.canaryRevision : undefined;
    // A post-promotion analysis still running for the active version ends here: the new version supersedes it, and the previous one gets its scale-down time.
    const post = r.st.postPromotionAnalysis;
    const postCut = post?.revision === active && post.phase !== 'Successful' && r.st.previousRevision !== undefined && r.st.scaleDownTime === undefined;
    const message = `${superseded !== undefined ? `preview ${superseded} superseded by ${desired}` : `preview ${desired} started`}${postCut ? `; the post-promotion analysis of ${active} ends without a verdict` : ''}`;
    await r.writeStatus(
      { canaryRevision: desired, canaryImage: imageOf(r.ro.spec.template), phase: 'Progressing', stepStartTime: now(), message, ...(postCut ? { scaleDownTime: new Date(Date.now() + b.delayMs).toISOString() } : {}) },
      ['previewReadyTime', 'abortedRevision', 'abortReason', 'prePromotionAnalysis', 'postPromotionAnalysis'],
    );
    await r.event('Normal', superseded !== undefined ? 'Superseded' : 'PreviewStarted', `${message} (${imageOf(r.ro.spec.template) ?? '?'})`);
  }
  const abortReq = r.fresh(REQUEST_ANNOTATIONS.abort, r.st.handledAbort);
  if (abortReq !== undefined) return abortPreview(b, active, 'aborted by `slipway rollout abort`', { handledAbort: abortReq });

  await b.runVersion(desired, r.ro.spec.template);
  // A superseded preview, or the version undone earlier, is no longer needed.
  const prevKept = r.st.previousRevision !== undefined && r.st.scaleDownTime !== undefined && Date.parse(r.st.scaleDownTime) > Date.now() ? [r.st.previousRevision] : [];
  await b.collect([active, desired, ...prevKept]);
  await b.route(active, desired);
  const view = viewOf(await b.version(desired));
  if (!view.ready) {
    const deadlineMs = (bg.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S) * 1000;
    const started = r.st.stepStartTime ? Date.parse(r.st.stepStartTime) : Date.now();
    if (Date.now() - started > deadlineMs) return abortPreview(b, active, `preview pods not ready within ${deadlineMs / 1000}s (progress deadline)`, {});
    return { requeueAfterMs: Math.min(2000, Math.max(100, started + deadlineMs - Date.now())) };
  }
  return promoteWhenDue(b, active);
}

/**
 * The preview is ready: its pre-promotion analysis runs, then it is promoted on request, or with
 * autoPromote once it has been ready long enough and the analysis passed. A promote request
 * switches before the analysis has its verdict (a failure has aborted already); `--full` also
 * skips the post-promotion analysis.
 */
async function promoteWhenDue(b: BlueGreenRun, active: string): Promise<ReconcileResult | undefined> {
  const { r, desired, bg } = b;
  const analysed = gateOf(b, 'pre', desired) !== undefined;
  const waiting = `preview ${desired} ready on Service ${bg.previewService}; ${analysed ? 'pre-promotion analysis passed; ' : ''}waiting for \`slipway rollout promote\``;
  if (r.st.previewReadyTime === undefined) {
    const message = analysed ? `preview ${desired} ready; pre-promotion analysis before ${bg.autoPromote ? 'the automatic promotion' : '`slipway rollout promote`'}` : bg.autoPromote ? `preview ${desired} ready; promoting in ${bg.autoPromotionSeconds ?? 0}s` : waiting;
    await r.writeStatus({ previewReadyTime: now(), phase: bg.autoPromote || analysed ? 'Progressing' : 'Paused', message });
    await r.event('Normal', 'PreviewReady', message);
  }
  const full = r.fresh(REQUEST_ANNOTATIONS.promoteFull, r.st.handledPromote);
  const promoteReq = r.fresh(REQUEST_ANNOTATIONS.promote, r.st.handledPromote) ?? full;
  if (promoteReq === undefined) {
    if (r.ro.spec.paused) {
      if (r.st.phase !== 'Paused') await r.writeStatus({ phase: 'Paused', message: 'paused by `slipway rollout pause`' });
      return undefined;
    }
    const held = await prePromotion(b, active);
    if (held) return held.result;
    if (!bg.autoPromote) {
      if (r.st.phase !== 'Paused' || r.st.message !== waiting) await r.writeStatus({ phase: 'Paused', message: waiting });
      return undefined;
    }
    const left = Date.parse(r.st.previewReadyTime ?? now()) + (bg.autoPromotionSeconds ?? 0) * 1000 - Date.now();
    if (left > 0) return { requeueAfterMs: left };
  }
  return promote(b, active, promoteReq, full !== undefined && promoteReq === full);
}

async function abortPreview(b: BlueGreenRun, active: string, reason: string, extra: StatusPatch): Promise<ReconcileResult> {
  const { r, desired } = b;
  r.metrics.aborts.inc();
  await b.route(active, active);
  await r.writeStatus({ ...extra, phase: 'Degraded', abortedRevision: desired, abortReason: reason, message: `aborted: ${reason}`, scaleDownTime: new Date(Date.now() + b.delayMs).toISOString() }, ['previewReadyTime']);
  await r.event('Warning', 'Aborted', `preview ${desired} aborted: ${reason}; the active Service stays on ${active}`);
  return { requeueAfterMs: b.delayMs };
}

/**
 * Switches the active Service to the preview version in one write. The old version is kept for
 * the delay; with post-promotion analysis (unless `full`), until that passed and then for the delay.
 */
async function promote(b: BlueGreenRun, active: string, request: string | undefined, full = false): Promise<ReconcileResult> {
  const { r, desired } = b;
  // The record first, then the switch: a controller killed in between finds the desired version
  // active in the status and settle() makes the Service say so; switching first would have the
  // restarted controller point the active Service back at the old version for a moment. The
  // post-promotion run starts with this record, so a restart neither loses nor restarts it.
  const image = imageOf(r.ro.spec.template);
  const post = !full && gateOf(b, 'post', desired) !== undefined;
  await r.writeStatus(
    {
      ...(request !== undefined ? { handledPromote: request } : {}),
      stableRevision: desired,
      stableImage: image,
      previousRevision: active,
      scaleDownTime: post ? undefined : new Date(Date.now() + b.delayMs).toISOString(),
      postPromotionAnalysis: post ? newRun(desired, undefined, now()) : undefined,
      phase: 'Progressing',
      message: `promoting ${desired}: switching the active Service from ${active}`,
    },
    ['canaryRevision', 'canaryImage', 'previewReadyTime'],
  );
  await b.route(desired, desired);
  r.metrics.stepSeconds.observe({ step: 'promote' }, r.st.stepStartTime ? (Date.now() - Date.parse(r.st.stepStartTime)) / 1000 : 0);
  await r.event('Normal', 'Promoted', `${desired} (${image ?? '?'}) is active; ${active} is kept ${post ? 'until the post-promotion analysis passes, then ' : ''}for ${b.delayMs / 1000}s`);
  // Healthy is written by settle(), after the switch: a reader of the status never sees the new
  // version Healthy while the active Service still selects the old one.
  return { requeueAfterMs: 0 };
}
