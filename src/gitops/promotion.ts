/**
 * Promotion between environments: the pure gate logic (no I/O).
 *
 * A pipeline is a chain of SlipwayApps, one per environment; an app with `spec.promotion.from`
 * deploys what the app before it proved, not what git says. The revision that app runs becomes
 * the next one's target once it passed the gates, checked in this order:
 *
 *  1. it is not failing there: no canary aborted, its last sync did not fail, it is not Degraded
 *     (any of these **blocks** it: it never goes further, and the reason is in the status);
 *  2. it is Synced and Healthy there, every canary of the app (its ServiceRollouts) promoted with
 *     its analysis passed, nothing syncing (else it **waits**);
 *  3. it has run so for the soak time (timestamps from the status: the reconcile is requeued to
 *     the end of the soak, nothing sleeps);
 *  4. with `approval: Manual`, someone approved that revision (`slipway promote`).
 *
 * {@link evaluateGates} decides from the statuses alone, so the controller's decision is the same
 * after a restart, and the table-driven tests cover it without a cluster.
 */
import { MAX_HISTORY, type PromotionRecordT, type PromotionStatusT, type SlipwayApp } from './types.ts';
import { clip, durationMs } from './status.ts';

/** What a canary of the previous environment says, as its ServiceRollout's status has it. */
export interface RolloutGateView {
  readonly name: string;
  readonly generation: number;
  readonly observedGeneration?: number | undefined;
  readonly phase?: string | undefined;
  readonly message?: string | undefined;
  readonly abortedRevision?: string | undefined;
  readonly abortReason?: string | undefined;
  readonly canaryRevision?: string | undefined;
  readonly stableRevision?: string | undefined;
}

/** A `slipway promote` approval (the annotation on the app of the environment promoted to). */
export interface Approval {
  readonly id: string;
  readonly revision: string;
  readonly by: string;
  readonly at: string;
}

export interface GateInput {
  /** The app of the previous environment; undefined when it does not exist. */
  readonly upstream: SlipwayApp | undefined;
  /** Its canaries; undefined while they are not known yet (their informer has not listed). */
  readonly rollouts: readonly RolloutGateView[] | undefined;
  readonly soakMs: number;
  readonly manual: boolean;
  readonly approval: Approval | undefined;
  /** The revision promoted here already. */
  readonly promoted: string | undefined;
  readonly now: number;
}

type GatePhase = 'Promoted' | 'Waiting' | 'Soaking' | 'AwaitingApproval' | 'Blocked';

export interface GateDecision {
  /** `promote`: make `revision` this environment's target now. */
  readonly promote: boolean;
  readonly phase: GatePhase;
  readonly revision?: string | undefined;
  readonly reason: string;
  readonly message: string;
  readonly healthySince?: string | undefined;
  readonly soakUntil?: string | undefined;
  /** When to look again without any event (the end of the soak). */
  readonly recheckAfterMs?: number | undefined;
  /** Who let it through: the approver, else undefined (the controller). */
  readonly approvedBy?: string | undefined;
  readonly approvedAt?: string | undefined;
}

const short = (sha: string | undefined): string => (sha && /^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 7) : (sha ?? 'none'));
const firstLine = (s: string | undefined): string => clip((s ?? '').split('\n').find((l) => l.trim() !== '') ?? '', 512);

/** A canary that ended aborted (its controller's verdict; the stable version kept serving). */
const abortedRollout = (r: RolloutGateView): boolean => r.phase === 'Degraded' && r.abortedRevision !== undefined;

/** The latest of some ISO timestamps (undefined ones skipped). */
function latest(...ts: (string | undefined)[]): string | undefined {
  let best: string | undefined;
  for (const t of ts) if (t !== undefined && !Number.isNaN(Date.parse(t)) && (best === undefined || Date.parse(t) > Date.parse(best))) best = t;
  return best;
}

interface Upstream {
  readonly app: SlipwayApp;
  readonly where: string;
  readonly st: NonNullable<SlipwayApp['status']>;
  readonly deployed: string | undefined;
  readonly target: string | undefined;
}

function wait(revision: string | undefined, reason: string, message: string): GateDecision {
  return { promote: false, phase: 'Waiting', ...(revision ? { revision } : {}), reason, message };
}
function block(revision: string | undefined, reason: string, message: string): GateDecision {
  return { promote: false, phase: 'Blocked', ...(revision ? { revision } : {}), reason, message: `${message}; it is not promoted` };
}

/** 1. Failing there (a canary aborted, the last sync failed, Degraded): blocked, whatever else. */
function failing(u: Upstream, rollouts: readonly RolloutGateView[] | undefined): GateDecision | undefined {
  const { st, where, deployed, target } = u;
  const aborted = (rollouts ?? []).find(abortedRollout);
  if (aborted) return block(target, 'CanaryAborted', `the canary of ${aborted.name} was aborted in ${where}${aborted.abortReason ? `: ${firstLine(aborted.abortReason)}` : ''}`);
  const last = st.lastSync;
  if (st.operation === undefined && last?.phase === 'Failed' && (last.revision === target || last.revision !== deployed)) {
    return block(last.revision, 'SyncFailed', `sync #${last.id} of ${short(last.revision)} failed in ${where}${last.message ? `: ${firstLine(last.message)}` : ''}`);
  }
  if (st.health?.status === 'Degraded' && target === deployed) return block(deployed, 'Degraded', `${short(deployed)} is Degraded in ${where}${st.health.message ? `: ${firstLine(st.health.message)}` : ''}`);
  return undefined;
}

/** 2. Not done there yet (syncing, not deployed, drifted, not healthy, a canary not promoted): waits. */
function unfinished(u: Upstream, rollouts: readonly RolloutGateView[] | undefined): GateDecision | undefined {
  const { st, where, deployed, target } = u;
  if (st.operation) return wait(st.operation.revision, 'Syncing', `${where} is syncing ${short(st.operation.revision)}`);
  if (!deployed) return wait(target, 'NotDeployed', `${where} has not deployed a revision yet`);
  if (target !== deployed) return wait(target, 'NotDeployed', `${where} has not deployed ${short(target)} yet (it runs ${short(deployed)})`);
  if (st.sync?.status !== 'Synced') return wait(deployed, 'OutOfSync', `${short(deployed)} is ${st.sync?.status ?? 'Unknown'} in ${where}${conditionMessage(u.app, 'Synced')}`);
  if (st.health?.status !== 'Healthy') return wait(deployed, 'NotHealthy', `${short(deployed)} is ${st.health?.status ?? 'Unknown'} in ${where}${st.health?.message ? `: ${firstLine(st.health.message)}` : ''}`);
  if (rollouts === undefined) return wait(deployed, 'CanariesUnknown', `reading the canaries of ${where}`);
  for (const r of rollouts) {
    const what = `the canary of ${r.name} in ${where}`;
    const detail = r.message ? `: ${firstLine(r.message)}` : '';
    if ((r.observedGeneration ?? 0) < r.generation || r.phase === undefined) return wait(deployed, 'CanaryProgressing', `${what} has not been picked up by its controller yet`);
    if (r.phase === 'Paused') return wait(deployed, 'CanaryPaused', `${what} is paused${detail} (\`slipway rollout promote ${r.name}\` goes on)`);
    if (r.phase !== 'Healthy') return wait(deployed, 'CanaryProgressing', `${what} is ${r.phase}${detail}`);
  }
  return undefined;
}

/** Since when the deployed revision has run Synced and Healthy there, with its sync finished. */
function healthySince(st: Upstream['st'], deployed: string): string | undefined {
  const synced = st.conditions?.find((c) => c.type === 'Synced' && c.status === 'True')?.lastTransitionTime;
  const healthy = st.conditions?.find((c) => c.type === 'Healthy' && c.status === 'True')?.lastTransitionTime;
  const last = st.lastSync;
  const finished = last?.revision === deployed && last.phase === 'Succeeded' ? last.finishedAt : undefined;
  return latest(synced, healthy, finished);
}

/** Decides what happens to the revision the previous environment runs (see the module comment for the order). */
export function evaluateGates(i: GateInput): GateDecision {
  if (!i.upstream) return wait(undefined, 'UpstreamNotFound', "the previous environment's SlipwayApp does not exist (or another controller instance manages it)");
  const app = i.upstream;
  const st = app.status ?? {};
  const u: Upstream = { app, st, where: `${app.spec.source.env ?? 'default'} (${app.metadata.name ?? ''})`, deployed: st.revision, target: st.sync?.revision ?? st.revision };
  const stopped = failing(u, i.rollouts) ?? unfinished(u, i.rollouts);
  if (stopped) return stopped;
  const deployed = u.deployed ?? '';
  if (deployed === i.promoted) return { promote: false, phase: 'Promoted', revision: deployed, reason: 'UpToDate', message: `${short(deployed)} from ${u.where} is promoted` };

  // 3. Soak.
  const since = healthySince(st, deployed);
  const timing = since ? { healthySince: since } : {};
  const until = (since !== undefined ? Date.parse(since) : i.now) + i.soakMs;
  if (i.soakMs > 0 && i.now < until) {
    const soakUntil = new Date(until).toISOString().replace(/\.\d+Z$/, 'Z');
    return { promote: false, phase: 'Soaking', revision: deployed, reason: 'Soaking', message: `${short(deployed)} soaks in ${u.where} until ${soakUntil}`, ...timing, soakUntil, recheckAfterMs: until - i.now };
  }

  // 4. Approval.
  if (!i.manual) return { promote: true, phase: 'Promoted', revision: deployed, reason: 'GatesPassed', message: `${short(deployed)} passed the gates in ${u.where}`, ...timing };
  if (i.approval?.revision !== deployed) {
    return { promote: false, phase: 'AwaitingApproval', revision: deployed, reason: 'AwaitingApproval', message: `${short(deployed)} passed the gates in ${u.where}; waiting for \`slipway promote\` (manual approval)`, ...timing };
  }
  return { promote: true, phase: 'Promoted', revision: deployed, reason: 'Approved', message: `${short(deployed)} from ${u.where} approved by ${i.approval.by}`, approvedBy: i.approval.by, approvedAt: i.approval.at, ...timing };
}

function conditionMessage(app: SlipwayApp, type: string): string {
  const c = app.status?.conditions?.find((x) => x.type === type && x.status !== 'True');
  return c ? `: ${firstLine(c.message)}` : '';
}

/** The soak of `spec.promotion`, in ms. */
export const soakMsOf = (app: SlipwayApp): number => durationMs(app.spec.promotion?.soak ?? '0s');

/** The approval annotation's value, or undefined when it is not one. */
export function parseApproval(value: string | undefined): Approval | undefined {
  if (value === undefined) return undefined;
  try {
    const o = JSON.parse(value) as Record<string, unknown>;
    const str = (k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? o[k] : undefined);
    const id = str('id');
    const revision = str('revision');
    if (id === undefined || revision === undefined) return undefined;
    return { id, revision, by: (str('by') ?? 'unknown').slice(0, 253), at: str('at') ?? '' };
  } catch {
    return undefined;
  }
}

/** The promotion status after `d` was acted on at `now` (a promotion recorded in current and history). */
export function nextPromotionStatus(prev: PromotionStatusT | undefined, d: GateDecision, o: { from: string; fromEnvironment: string; now: string; approval: Approval | undefined }): PromotionStatusT {
  const gate = {
    ...(d.revision ? { revision: d.revision } : {}),
    phase: d.phase,
    reason: d.reason,
    message: d.message,
    ...(d.healthySince ? { healthySince: d.healthySince } : {}),
    ...(d.soakUntil ? { soakUntil: d.soakUntil } : {}),
  };
  const approval = o.approval ? { approval: { ...o.approval } } : prev?.approval ? { approval: prev.approval } : {};
  if (!d.promote || !d.revision) return { ...(prev ?? {}), gate, ...approval };
  const record: PromotionRecordT = {
    revision: d.revision,
    from: o.from,
    fromEnvironment: o.fromEnvironment,
    at: o.now,
    by: d.approvedBy ?? 'slipway-controller (automatic)',
    ...(d.approvedAt ? { approvedAt: d.approvedAt } : {}),
  };
  return { ...(prev ?? {}), revision: d.revision, current: record, gate, ...approval, history: [...(prev?.history ?? []), record].slice(-MAX_HISTORY) };
}

/** The environments of a pipeline in order (first: the one without `from`), then any not linked to it. */
export function pipelineOrder(apps: readonly SlipwayApp[]): SlipwayApp[] {
  const byName = new Map(apps.map((a) => [a.metadata.name ?? '', a]));
  const next = new Map<string, SlipwayApp[]>();
  const roots: SlipwayApp[] = [];
  for (const a of apps) {
    const from = a.spec.promotion?.from;
    if (from === undefined || !byName.has(from)) roots.push(a);
    else next.set(from, [...(next.get(from) ?? []), a]);
  }
  const out: SlipwayApp[] = [];
  const seen = new Set<string>();
  const visit = (a: SlipwayApp): void => {
    const n = a.metadata.name ?? '';
    if (seen.has(n)) return;
    seen.add(n);
    out.push(a);
    for (const b of (next.get(n) ?? []).sort((x, y) => (x.metadata.name ?? '').localeCompare(y.metadata.name ?? ''))) visit(b);
  };
  for (const r of roots.sort((x, y) => (x.metadata.name ?? '').localeCompare(y.metadata.name ?? ''))) visit(r);
  // A cycle has no root: listed as found.
  for (const a of apps) visit(a);
  return out;
}
