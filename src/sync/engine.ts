/**
 * The deploy engine. One run:
 *  1. prepare (namespaces, labels, REST mapping; kinds the cluster does not serve are skipped with a warning),
 *  2. snapshot live objects and find drift: an object equal to the last revision's and already
 *     matching live is skipped without a request; every other object is server-side dry-run,
 *     and ALL rejections are reported together before the first write,
 *  3. apply what changed, stage by stage (definitions → config → workloads), field manager `slipway`,
 *  4. wait for health; on failure roll back to the last good revision (a failed run never prunes),
 *  4b. verify the rolling releases of workloads with SLOs on their new pods in Prometheus (verify.ts);
 *     one that does not pass is a failed rollout, rolled back like a failed wait,
 *  5. prune what earlier revisions deployed and this one does not, then record the revision.
 *
 * Before the first write of an object the inventory does not track yet, the inventory's prune set
 * is extended to every desired object: a run that crashes, is cancelled, or cannot record its
 * revision leaves nothing behind that a later run cannot prune. Inventory writes use optimistic
 * concurrency (store.ts): two runs at once both end up in the history.
 *
 * Decisions (documented for users in `slipway deploy --help`):
 *  - Kinds the cluster does not serve (a ServiceMonitor without its CRD) are skipped with a
 *    warning by default (`skipMissingCrds`), where Argo CD would fail the sync: an app should
 *    deploy to a cluster without optional add-ons. `--no-skip-missing-crds` makes it an error.
 *  - Objects in a Namespace, or of a CRD, that this deploy creates cannot be dry-run before
 *    stage 0; they are dry-run right after it, before any of them is written.
 *  - An object equal to the last revision's and still matching live is not dry-run (nothing
 *    is written for it either); that is what makes a no-op deploy cost a few LISTs.
 *  - A failed run never prunes, and keeps tracking everything it wrote so a later run can.
 *  - A revision that cannot be recorded is a warning, not a failure: the objects are deployed.
 *  - An aborted signal ends the run with a `cancelled` error; what it wrote is recorded as a
 *    failed revision (that one write ignores the signal) and nothing is rolled back.
 */
import type { FieldPath, KubeObject } from '../manifest/index.ts';
import { CONFIG_OF_LABEL } from '../appspec/index.ts';
import { InputErrors, SlipwayError, conflict, isSlipwayError, internal, unsupported } from '../errors/index.ts';
import { FIELD_MANAGER, appliedFieldsOf, deepEqual, describe, isSubset, ownedPair, type KubeClient, type LiveObject, type ObjectId } from '../kube/index.ts';
import { addRevision, digestOf, idKey, idOf, lastGood, unionIds, type Inventory, type RevisionStatus } from './inventory.ts';
import { cancelledError, checkAborted, isAbort, pause } from './cancel.ts';
import { commitInventory, readInventory, storedInventory } from './store.ts';
import { healthOf, reapedJobHealth, type Health, type HealthStatus } from './health.ts';
import { lintObjects, type Finding } from '../lint/index.ts';
import { mapLimit } from './pool.ts';
import { LABEL_APP, prepare, snapshot } from './prepare.ts';
import { stageOf, STAGE_NAMES, type Stage } from './stages.ts';
import type { DeployEvent, DeployOptions, DeployResult, ObjectResult, PreparedObject, RollbackResult } from './types.ts';
import { waitHealthy } from './wait.ts';
import { verificationPlans, verifyReleases, type VerificationReport } from './verify.ts';

const SUPPORTED_STRATEGIES: readonly string[] = ['rolling'];

/** Strategies are a seam: anything but `rolling` fails loudly rather than deploying as rolling. */
export function checkStrategy(strategy: string | undefined): void {
  const s = strategy ?? 'rolling';
  if (SUPPORTED_STRATEGIES.includes(s)) return;
  throw unsupported(`deployment strategy "${s}" is not supported yet`, {
    cause: s,
    expected: `one of: ${SUPPORTED_STRATEGIES.join(', ')}`,
    hint: 'use strategy: rolling, canary or blueGreen (canary and blueGreen are run by the slipway controller)',
  });
}

/** `spec.template.spec.containers[0].image` → ['spec','template','spec','containers',0,'image']. */
export function fieldPathOf(field: string): FieldPath {
  const out: (string | number)[] = [];
  for (const part of field.replace(/^\./, '').split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** The same error, pointing into the user's file at the first field the apiserver complained about. */
function locate(e: SlipwayError, p: PreparedObject): SlipwayError {
  if (!p.positionOf) return e;
  const causes = ((e.cause as { details?: { causes?: { field?: string }[] } } | undefined)?.details?.causes ?? []).map((c) => c.field ?? '').filter(Boolean);
  const position = p.positionOf(causes[0] ? fieldPathOf(causes[0]) : ['metadata', 'name']);
  return new SlipwayError(e.kind, e.message, { cause: e.cause, position, ...(e.hint ? { hint: e.hint } : {}) });
}

/** Several failures as one error: all input problems → InputErrors (exit 2); otherwise the worst kind, every message listed. */
function combine(errors: readonly SlipwayError[], what: string): SlipwayError {
  if (errors.every((e) => e.kind === 'input')) return new InputErrors(errors, errors[0]);
  const first = errors.find((e) => e.kind !== 'input') ?? errors[0];
  const hint = errors.find((e) => e.hint)?.hint;
  return new SlipwayError(first?.kind ?? 'internal', `${what}:\n${errors.map((e) => `  - ${e.format().replace(/\n/g, '\n    ')}`).join('\n')}`, {
    cause: errors,
    ...(hint ? { hint } : {}),
  });
}

interface Ctx {
  readonly o: DeployOptions;
  readonly client: KubeClient;
  readonly emit: (e: DeployEvent) => void;
  readonly concurrency: number;
  readonly signal: AbortSignal | undefined;
  writes: number;
  /** The inventory as last read or written: its resourceVersion guards the next write. */
  base: Inventory;
  /** Another run wrote the inventory since this one read it (a write of this run was refused once). */
  raced: boolean;
  /** {@link base} is what the Secret holds: the last inventory write of this run (if any) succeeded. */
  baseCurrent: boolean;
  /** The generation each apply of this run returned, by idKey (the health wait on a cache needs it). */
  readonly applied: Map<string, number>;
  readonly warnings: string[];
}

interface Planned {
  readonly p: PreparedObject;
  /** `replaced`: deleted, then created (a Job whose pod template changed: that field is immutable). */
  readonly action: 'created' | 'configured' | 'unchanged' | 'replaced';
}

/**
 * A Job's pod template is immutable, so a new migration image cannot be applied over the Job of
 * the previous release. Like Helm's `before-hook-creation` delete policy, the finished Job of this
 * app is replaced: the new spec is validated by a dry-run under a temporary name, and at apply time
 * the old Job is deleted before the new one is created. A Job still running is a conflict (deleting
 * it would kill a migration half-way). Undefined when `e` is not that case.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/
 */
async function planJobReplacement(ctx: Ctx, p: PreparedObject, e: unknown, live: LiveObject | undefined): Promise<Planned | undefined> {
  if (p.object.kind !== 'Job' || !isSlipwayError(e) || !e.message.includes('field is immutable')) return undefined;
  const current = live ?? (await ctx.client.get(p.id, { signal: ctx.signal }));
  if (current?.metadata.labels?.[LABEL_APP] !== ctx.o.app) return undefined;
  const state = healthOf(current).status;
  if (state !== 'Healthy' && state !== 'Degraded') {
    throw conflict(`${describe(p.id)} is still running and its pod template changed (immutable): it cannot be replaced now`, {
      cause: e,
      hint: 'wait for the Job to finish and deploy again, or delete it (kubectl delete job) to cancel it',
    });
  }
  const probe = { ...p.object, metadata: { ...p.object.metadata, name: `${(p.object.metadata.name ?? 'job').slice(0, 48)}-slipway-check` } };
  await ctx.client.applyResult(probe, { dryRun: true, force: true, signal: ctx.signal });
  return { p, action: 'replaced' };
}

/** Deletes `id` and waits until it is gone (a Job's pods go with it, in the background). */
async function deleteAndWait(ctx: Ctx, id: ObjectId, timeoutMs = 60_000): Promise<void> {
  await ctx.client.delete(id, { signal: ctx.signal });
  const deadline = Date.now() + timeoutMs;
  while ((await ctx.client.get(id, { signal: ctx.signal })) !== undefined) {
    if (Date.now() > deadline) throw conflict(`${describe(id)} was deleted but is still there after ${String(timeoutMs / 1000)}s`, { cause: id, hint: 'check its finalizers' });
    await pause(250, ctx.signal, `waiting for ${describe(id)} to be deleted`);
  }
}

/** Dry-run each object and compare the server's answer with live, on the fields slipway owns. */
async function dryRunPlan(ctx: Ctx, items: readonly PreparedObject[], live: ReadonlyMap<string, LiveObject>): Promise<{ planned: Planned[]; errors: SlipwayError[] }> {
  const force = ctx.o.forceConflicts ?? false;
  const outcomes = await mapLimit(items, ctx.concurrency, async (p) => {
    checkAborted(ctx.signal, 'deploy');
    try {
      const { object: after, created } = await ctx.client.applyResult(p.object, { dryRun: true, force, signal: ctx.signal });
      if (created) return { ok: true as const, value: { p, action: 'created' as const } };
      // Snapshot lists only labelled objects; an unlabelled live object (adoption) needs a GET.
      const current = live.get(p.key) ?? (await ctx.client.get(p.id, { signal: ctx.signal }));
      if (!current) return { ok: true as const, value: { p, action: 'created' as const } };
      const pair = ownedPair(current, after, FIELD_MANAGER);
      const same = deepEqual(pair.before, pair.after) && deepEqual(appliedFieldsOf(current, FIELD_MANAGER), appliedFieldsOf(after, FIELD_MANAGER));
      return { ok: true as const, value: { p, action: same ? ('unchanged' as const) : ('configured' as const) } };
    } catch (e) {
      if (!isSlipwayError(e) || e.kind === 'cluster-unavailable' || e.kind === 'cancelled') throw e;
      try {
        const replacement = await planJobReplacement(ctx, p, e, live.get(p.key));
        if (replacement) return { ok: true as const, value: replacement };
      } catch (e2) {
        if (!isSlipwayError(e2) || e2.kind === 'cluster-unavailable') throw e2;
        return { ok: false as const, error: locate(e2, p) };
      }
      return { ok: false as const, error: locate(e, p) };
    }
  });
  const planned: Planned[] = [];
  const errors: SlipwayError[] = [];
  for (const r of outcomes) {
    if (r.ok) planned.push(r.value);
    else errors.push(r.error);
  }
  return { planned, errors };
}

/** The desired object is exactly what the previous revision deployed under the same key. */
function sameAsPrevious(p: PreparedObject, previous: ReadonlyMap<string, KubeObject>): boolean {
  const prev = previous.get(p.key);
  return prev !== undefined && deepEqual(prev, p.object);
}

/**
 * Unchanged without asking the server: same desired object as the last revision, and live still
 * has every desired field. Or a Job of the last revision, unchanged, that its TTL deleted after it
 * finished: like a Helm hook, a Job runs again when its spec changes, not on every deploy.
 */
function fastUnchanged(p: PreparedObject, live: LiveObject | undefined, previous: ReadonlyMap<string, KubeObject>): boolean {
  if (!sameAsPrevious(p, previous)) return false;
  if (!live) return reapedJobHealth(p.object) !== undefined;
  return isSubset(p.object, live) && appliedFieldsOf(live, FIELD_MANAGER) !== undefined;
}

async function applyStage(ctx: Ctx, items: readonly Planned[]): Promise<{ results: ObjectResult[]; errors: SlipwayError[] }> {
  const force = ctx.o.forceConflicts ?? false;
  const outs = await mapLimit(items, ctx.concurrency, async (it): Promise<ObjectResult | SlipwayError> => {
    // Not started once aborted; what is in flight finishes (a half-sent apply is not undone anyway).
    if (ctx.signal?.aborted) return cancelledError(ctx.signal, `applying ${describe(it.p.id)}`);
    try {
      if (it.action === 'replaced') {
        ctx.writes++;
        await deleteAndWait(ctx, it.p.id);
      }
      ctx.writes++;
      const out = await ctx.client.apply(ctx.o.beforeApply?.(it.p.object) ?? it.p.object, { force, signal: ctx.signal });
      const generation = (out.metadata as { generation?: number } | undefined)?.generation;
      if (generation !== undefined) ctx.applied.set(it.p.key, generation);
      ctx.emit({ type: 'object', id: it.p.id, action: it.action });
      return { id: it.p.id, action: it.action };
    } catch (e) {
      const err = isAbort(e) ? cancelledError(ctx.signal, `applying ${describe(it.p.id)}`) : isSlipwayError(e) ? locate(e, it.p) : internal(`applying ${describe(it.p.id)}: ${(e as Error).message}`, { cause: e });
      ctx.emit({ type: 'object', id: it.p.id, action: 'failed', message: err.message });
      return err;
    }
  });
  const results: ObjectResult[] = [];
  const errors: SlipwayError[] = [];
  for (const r of outs) {
    if (r instanceof SlipwayError) errors.push(r);
    else results.push(r);
  }
  return { results, errors };
}

interface SyncOutcome {
  readonly results: ObjectResult[];
  readonly desiredIds: ObjectId[];
  readonly manifests: KubeObject[];
  /** Objects this run wrote (created or configured). */
  readonly written: ObjectId[];
  /**
   * Every desired object equals the latest revision's, and there are as many: the desired state
   * is that revision's, so its digest need not be computed again.
   */
  readonly sameAsLatest?: boolean;
  readonly health?: HealthStatus;
  readonly error?: SlipwayError;
  /** The live objects before this run wrote anything (the snapshot), by key: verification tells new pods by them. */
  readonly before?: ReadonlyMap<string, LiveObject>;
}

/**
 * Validation, drift detection, staged apply and wait, without recording. Throws (having written
 * nothing) when validation fails; returns an error inside the outcome once writes may have happened.
 */
async function syncOnce(ctx: Ctx, objects: DeployOptions['objects'], previous: ReadonlyMap<string, KubeObject>): Promise<SyncOutcome> {
  const { o, client, emit } = ctx;
  emit({ type: 'phase', phase: 'validate', message: `preparing ${objects.length} object(s)` });
  const prep = await prepare({ client, app: o.app, env: o.env, namespace: o.namespace, objects, skipMissingCrds: o.skipMissingCrds ?? true, onEvent: emit });
  const results: ObjectResult[] = prep.skipped.map((s) => ({ id: idOf(s.object), action: 'skipped' as const, message: s.reason }));
  checkAborted(ctx.signal, 'deploy');
  const live = await snapshot(client, prep.objects, o.app, ctx.concurrency, o.live);
  const fast = prep.objects.filter((p) => !p.deferred && fastUnchanged(p, live.get(p.key), previous));
  const fastKeys = new Set(fast.map((p) => p.key));
  const toCheck = prep.objects.filter((p) => !p.deferred && !fastKeys.has(p.key));
  emit({ type: 'phase', phase: 'dry-run', message: `server-side dry-run of ${toCheck.length} object(s) (${fast.length} unchanged since the last revision)` });
  const dry = await dryRunPlan(ctx, toCheck, live);
  if (dry.errors.length > 0) throw combine(dry.errors, `${dry.errors.length} object(s) rejected by server-side dry-run; nothing was changed`);
  checkAborted(ctx.signal, 'deploy');
  const planned: Planned[] = [...fast.map((p) => ({ p, action: 'unchanged' as const })), ...dry.planned];
  const deferred = prep.objects.filter((p) => p.deferred);
  const manifests = prep.objects.map((p) => p.object);
  const desiredIds = prep.objects.map((p) => p.id);
  if (o.dryRun) {
    const all = [...planned.map((x) => ({ id: x.p.id, action: x.action })), ...deferred.map((p) => ({ id: p.id, action: 'created' as const, message: 'validated after its Namespace/CRD exists' }))];
    return { results: [...results, ...all], desiredIds, manifests, written: [] };
  }
  const written: ObjectId[] = [];
  // From here on objects may have been written: every failure is returned with what was written, never thrown.
  try {
    const error = await applyStages(ctx, { planned, deferred, desiredIds, results, written });
    if (error) return { results, desiredIds, manifests, written, error };
    // Non-empty: an empty `previous` may also mean "not stored" (size budget) or "no revision to compare with".
    const sameAsLatest = fast.length > 0 && fast.length === prep.objects.length && previous.size === fast.length;
    if (o.wait === false) return { results, desiredIds, manifests, written, sameAsLatest };
    emit({ type: 'phase', phase: 'wait', message: `waiting for ${desiredIds.length} object(s) to become healthy` });
    const w = await waitHealthy({ client, ids: desiredIds, timeoutMs: o.timeoutMs ?? 300_000, pollIntervalMs: o.pollIntervalMs ?? 1000, concurrency: ctx.concurrency, onEvent: emit, whenMissing: reapableJobs(prep.objects, written, previous), signal: ctx.signal, live: o.live, applied: ctx.applied });
    return { results, desiredIds, manifests, written, sameAsLatest, health: w.status, before: live, ...(w.error ? { error: w.error } : {}) };
  } catch (e) {
    const error = isAbort(e) ? cancelledError(ctx.signal, 'deploy') : isSlipwayError(e) ? e : internal(`deploy: ${(e as Error).message}`, { cause: e });
    // Nothing written (e.g. the inventory could not track the new objects): nothing to record either.
    if (written.length === 0) throw error;
    return { results, desiredIds, manifests, written, error };
  }
}

/** Stage by stage: track new objects in the inventory, then apply (stage 0 is waited for: later stages live in it). */
async function applyStages(
  ctx: Ctx,
  s: { planned: Planned[]; readonly deferred: readonly PreparedObject[]; readonly desiredIds: readonly ObjectId[]; readonly results: ObjectResult[]; readonly written: ObjectId[] },
): Promise<SlipwayError | undefined> {
  const { o, client, emit } = ctx;
  const { planned, deferred, results, written } = s;
  for (const stage of [0, 1, 2] as const) {
    results.push(...planned.filter((x) => x.p.stage === stage && x.action === 'unchanged').map((x) => ({ id: x.p.id, action: x.action })));
    if (stage === 1 && deferred.length > 0) {
      // Namespaces and CRDs now exist: map and validate what lives in them before writing it.
      client.mapper.invalidate();
      const again = await prepare({ client, app: o.app, env: o.env, namespace: o.namespace, objects: deferred.map((p) => ({ object: p.object, ...(p.positionOf ? { positionOf: p.positionOf } : {}) })), skipMissingCrds: o.skipMissingCrds ?? true, onEvent: emit });
      const d2 = await dryRunPlan(ctx, again.objects, new Map());
      if (d2.errors.length > 0) return combine(d2.errors, `${d2.errors.length} object(s) rejected by server-side dry-run after stage 0`);
      planned.push(...d2.planned);
    }
    const items = planned.filter((x) => x.p.stage === stage && x.action !== 'unchanged');
    if (items.length === 0) continue;
    await track(ctx, s.desiredIds, stage);
    emit({ type: 'phase', phase: 'apply', message: `applying ${items.length} object(s): ${STAGE_NAMES[stage]}` });
    const r = await applyStage(ctx, items);
    results.push(...r.results);
    written.push(...r.results.map((x) => x.id));
    if (ctx.signal?.aborted) return cancelledError(ctx.signal, 'deploy');
    if (r.errors.length > 0) return combine(r.errors, `${r.errors.length} object(s) failed to apply`);
    if (stage === 0) {
      const w = await waitHealthy({ client, ids: items.map((x) => x.p.id), timeoutMs: 60_000, pollIntervalMs: 250, concurrency: ctx.concurrency, onEvent: emit, signal: ctx.signal, live: o.live, applied: ctx.applied });
      if (w.error) return w.error;
    }
  }
  return undefined;
}

/**
 * Before writing objects the inventory does not track yet, adds every desired object to its prune
 * set (no new revision): if this run then crashes, is cancelled or cannot record its revision, the
 * next run still prunes what it wrote. A no-op when all are tracked. When the inventory's namespace
 * does not exist yet (this deploy creates it in stage 0), tracking waits for the next stage.
 */
async function track(ctx: Ctx, ids: readonly ObjectId[], stage: Stage): Promise<void> {
  const known = new Set(ctx.base.objects.map(idKey));
  const missing = ids.filter((id) => !known.has(idKey(id)));
  if (missing.length === 0) return;
  ctx.emit({ type: 'phase', phase: 'record', message: `tracking ${missing.length} new object(s) in the inventory before writing them` });
  try {
    await commit(ctx, (current) => ({ ...current, objects: unionIds(current.objects, ids) }));
  } catch (e) {
    if (stage === 0 && isSlipwayError(e) && e.kind === 'not-found') return;
    throw e;
  }
}

/** {@link commitInventory} on top of {@link Ctx.base}, which becomes what was written. */
async function commit(ctx: Ctx, change: (current: Inventory, raced: boolean) => Inventory): Promise<void> {
  try {
    const c = await commitInventory(ctx.o, ctx.base, change, ctx);
    ctx.base = c.inventory;
    ctx.baseCurrent = true;
    if (c.conflicts > 0) ctx.raced = true;
  } catch (e) {
    ctx.baseCurrent = false;
    throw e;
  }
}

/**
 * Jobs this run did not write and the previous revision deployed unchanged: if they are gone, their
 * TTL removed them after they finished (a Job whose template changed is written, so it is waited for).
 */
function reapableJobs(objects: readonly PreparedObject[], written: readonly ObjectId[], previous: ReadonlyMap<string, KubeObject>): Map<string, Health> {
  const wrote = new Set(written.map(idKey));
  const out = new Map<string, Health>();
  for (const p of objects) {
    const h = wrote.has(p.key) || !sameAsPrevious(p, previous) ? undefined : reapedJobHealth(p.object);
    if (h) out.set(p.key, h);
  }
  return out;
}

/** Deletes tracked objects no longer desired, in reverse stage order; only objects still labelled as this app's. */
async function prune(ctx: Ctx, inv: Inventory, keep: ReadonlySet<string>): Promise<{ pruned: ObjectId[]; errors: SlipwayError[] }> {
  const gone = inv.objects.filter((id) => !keep.has(idKey(id)));
  const pruned: ObjectId[] = [];
  const errors: SlipwayError[] = [];
  if (gone.length === 0) return { pruned, errors };
  ctx.emit({ type: 'phase', phase: 'prune', message: `pruning ${gone.length} object(s) no longer desired` });
  for (const stage of [2, 1, 0] as const) {
    const batch = gone.filter((id) => stageOf(id.kind) === stage);
    await mapLimit(batch, ctx.concurrency, async (id) => {
      if (ctx.signal?.aborted) return;
      try {
        const live = await ctx.client.get(id, { signal: ctx.signal });
        if (!live || !ownedLive(live, ctx.o.app)) return;
        // A content-versioned config copy: the stable version may still mount it; the controller collects it.
        if (live.metadata.labels?.[CONFIG_OF_LABEL] !== undefined) return;
        ctx.writes++;
        await ctx.client.delete(id, { signal: ctx.signal });
        pruned.push(id);
        ctx.emit({ type: 'object', id, action: 'pruned' });
      } catch (e) {
        if (isSlipwayError(e) && e.kind === 'not-found') return;
        errors.push(isAbort(e) ? cancelledError(ctx.signal, `pruning ${describe(id)}`) : isSlipwayError(e) ? e : internal(`pruning ${describe(id)}: ${(e as Error).message}`, { cause: e }));
      }
    });
  }
  if (ctx.signal?.aborted && !errors.some(isAbort)) errors.push(cancelledError(ctx.signal, 'pruning'));
  return { pruned, errors };
}

interface RecordInput {
  readonly status: RevisionStatus;
  readonly message: string;
  readonly manifests: KubeObject[];
  /** The prune set after this run. */
  readonly objects: ObjectId[];
  readonly rollbackOf?: number;
  readonly digest?: string;
}

/**
 * Records a revision on top of {@link Ctx.base}. When another run wrote the inventory since this
 * one read it (any write of this run was refused, now or while tracking), this revision is
 * numbered after that run's, both stay in the history, and the prune set is the union of both
 * runs' (an object either may have written stays tracked; pruning one that is gone costs a GET).
 * Never aborted by the signal: what was written must be tracked.
 */
async function record(ctx: Ctx, r: RecordInput): Promise<{ revision: number }> {
  ctx.emit({ type: 'phase', phase: 'record', message: `recording revision (${r.status})` });
  const meta = {
    time: new Date().toISOString(),
    status: r.status,
    message: r.message,
    digest: r.digest ?? digestOf(r.manifests),
    objects: r.manifests.length,
    manifests: r.manifests,
    ...(r.rollbackOf !== undefined ? { rollbackOf: r.rollbackOf } : {}),
  };
  let revision = 0;
  await commit(ctx, (current, raced) => {
    const next = addRevision(current, meta, raced || ctx.raced ? unionIds(current.objects, r.objects) : r.objects);
    revision = next.revision;
    return next.inventory;
  });
  if (ctx.raced) {
    const message = `another deploy of ${ctx.o.app}/${ctx.o.env} wrote the inventory during this one: this run is revision ${revision}, and both runs' objects stay tracked`;
    ctx.warnings.push(message);
    ctx.emit({ type: 'warning', message });
  }
  return { revision };
}

/** {@link record}, a failure of which is a warning: the objects are deployed, and tracked since before they were written. */
async function tryRecord(ctx: Ctx, r: RecordInput): Promise<{ revision: number } | undefined> {
  try {
    return await record(ctx, r);
  } catch (e) {
    const why = isSlipwayError(e) ? e.message : String(e);
    const message = `the ${r.status} revision could not be recorded (${why}): \`slipway history\` will not list it and rollback cannot return to it; the objects it wrote are tracked, so the next deploy still prunes them`;
    ctx.warnings.push(message);
    ctx.emit({ type: 'warning', message });
    return undefined;
  }
}

function manifestsByKey(inv: Inventory): Map<string, KubeObject> {
  const latest = inv.history.at(-1);
  const m = latest ? inv.manifests.get(latest.revision) ?? [] : [];
  return new Map(m.map((o) => [idKey(idOf(o)), o]));
}

async function autoRollback(ctx: Ctx, failedRevision: number | undefined): Promise<RollbackResult> {
  const good = lastGood(ctx.base);
  let manifests: readonly KubeObject[] | undefined;
  try {
    // Older revisions are decompressed only now (inventory.ts): a corrupt one fails the rollback, not the deploy report.
    manifests = good ? ctx.base.manifests.get(good.revision) : undefined;
  } catch (e) {
    const error = isSlipwayError(e) ? e : internal(String(e), { cause: e });
    ctx.emit({ type: 'warning', message: error.message });
    return { toRevision: good?.revision ?? 0, ok: false, error };
  }
  if (!good || !manifests) {
    // A good revision whose objects were dropped to keep the inventory Secret under 1 MiB cannot be re-applied either.
    const why = good ? `the objects of revision ${good.revision} are not stored (inventory size limit)` : 'no earlier good revision to roll back to';
    ctx.emit({ type: 'warning', message: why });
    return { toRevision: good?.revision ?? 0, ok: false, error: internal(why, { cause: good }) };
  }
  ctx.emit({ type: 'phase', phase: 'rollback', message: `rolling back to revision ${good.revision}` });
  const out = await syncOnce({ ...ctx, o: { ...ctx.o, forceConflicts: true } }, manifests.map((object) => ({ object })), new Map()).catch((e: unknown) => ({ error: isSlipwayError(e) ? e : internal(String(e), { cause: e }) }) as const);
  const ok = !('error' in out && out.error);
  const health = 'health' in out ? out.health : undefined;
  const written = 'written' in out ? out.written : [];
  const after = failedRevision !== undefined ? `revision ${failedRevision}` : 'a deploy whose revision was not recorded';
  const rec = await tryRecord(ctx, {
    status: ok ? 'succeeded' : 'failed',
    message: `automatic rollback to revision ${good.revision} after ${after} failed`,
    manifests: [...manifests],
    objects: unionIds(ctx.base.objects, written),
    rollbackOf: good.revision,
  });
  return { toRevision: good.revision, ...(rec ? { revision: rec.revision } : {}), ok, ...(health ? { health } : {}), ...('error' in out && out.error ? { error: out.error } : {}) };
}

/**
 * A failed run never prunes; it keeps tracking what it wrote so that a later run can prune it, and
 * rolls back on a failed rollout (also when its own revision could not be recorded).
 */
async function failedRun(ctx: Ctx, out: SyncOutcome, error: SlipwayError, verification?: VerificationReport): Promise<DeployResult> {
  const { o } = ctx;
  const failed = await tryRecord(ctx, { status: 'failed', message: error.message, manifests: out.manifests, objects: unionIds(ctx.base.objects, out.written) });
  let rollback: RollbackResult | undefined;
  if (o.rollback !== false && out.written.length > 0 && error.kind === 'rollout-failed') rollback = await autoRollback(ctx, failed?.revision);
  return {
    app: o.app,
    env: o.env,
    namespace: o.namespace,
    dryRun: false,
    ok: false,
    objects: out.results,
    pruned: [],
    error,
    writes: ctx.writes,
    warnings: ctx.warnings,
    ...(failed ? { revision: failed.revision } : {}),
    ...(out.health ? { health: out.health } : {}),
    ...(rollback ? { rollback } : {}),
    ...(verification ? { verification } : {}),
  };
}

/** Whether `id` is live and labelled as `app`'s: the only objects prune and destroy delete. */
export async function owned(client: KubeClient, id: ObjectId, app: string): Promise<boolean> {
  const live = await client.get(id);
  return live !== undefined && ownedLive(live, app);
}

const ownedLive = (live: KubeObject, app: string): boolean => live.metadata.labels?.[LABEL_APP] === app;

/**
 * Policy gate before anything touches the cluster: lint findings at severity error refuse the
 * deploy, all of them reported. A crash inside the linter is a warning, not a refusal: the
 * apiserver's dry-run still validates every object.
 *
 * The first pass lints the bare objects: every finding asks for its position, and for parsed
 * manifests the first position costs a full position-keeping YAML parse, which a passing gate
 * (the usual case, and every no-op re-sync) never shows. Only a failing gate lints again with
 * positions, so that its findings and messages are exactly those of a single positioned pass.
 */
export function lintGate(o: DeployOptions, emit: (e: DeployEvent) => void): void {
  if (o.lint === false) return;
  const errorsOf = (withPositions: boolean): Finding[] | undefined => {
    try {
      const inputs = o.objects.map((d) => (withPositions && d.positionOf ? { object: d.object, positionOf: d.positionOf } : d.object));
      return lintObjects(inputs).findings.filter((f) => f.severity === 'error');
    } catch (e) {
      emit({ type: 'warning', message: `lint could not run (${(e as Error).message}); relying on server-side validation` });
      return undefined;
    }
  };
  const bare = errorsOf(false);
  if (bare === undefined || bare.length === 0) return;
  const errors = o.objects.some((d) => d.positionOf) ? errorsOf(true) : bare;
  if (errors === undefined || errors.length === 0) return;
  const name = (f: (typeof errors)[number]): string => `${f.object.kind}/${f.object.name ?? ''}`;
  throw new InputErrors(
    errors.map((f) => new SlipwayError('input', `${f.ruleId} (${f.ruleName}): ${f.message} [${name(f)}]`, { cause: f, hint: f.hint, ...(f.position ? { position: f.position } : {}) })),
    errors[0],
  );
}

export async function deploy(o: DeployOptions): Promise<DeployResult> {
  const t0 = performance.now();
  const r = await deployOnce(o);
  return { ...r, durationMs: Math.round(performance.now() - t0) };
}

async function deployOnce(o: DeployOptions): Promise<DeployResult> {
  checkStrategy(o.strategy);
  const emit = o.onEvent ?? (() => undefined);
  lintGate(o, emit);
  // Read before anything is written: a malformed verification annotation is bad input.
  const plans = verificationPlans(o.objects, o.namespace);
  checkAborted(o.signal, 'deploy');
  // GitOps passes the inventory it has just read (for drift detection): one read per sync, not two.
  const inv = o.inventory ?? (await readInventory(o));
  const ctx: Ctx = { o, client: o.client, emit, concurrency: o.concurrency ?? 32, signal: o.signal, writes: 0, base: inv, raced: false, baseCurrent: true, warnings: [], applied: new Map() };
  try {
    return await run(ctx, inv, plans);
  } finally {
    // What the Secret holds now, as a read would return it (revisions over the size budget left
    // out), so that the caller's next use of it is the same as reading it again.
    if (o.onInventory && ctx.baseCurrent) o.onInventory(ctx.base === inv ? inv : storedInventory(ctx.base));
  }
}

async function run(ctx: Ctx, inv: Inventory, plans: ReturnType<typeof verificationPlans>): Promise<DeployResult> {
  const { o } = ctx;
  const base = { app: o.app, env: o.env, namespace: o.namespace, dryRun: o.dryRun ?? false };
  const out = await syncOnce(ctx, o.objects, manifestsByKey(inv));
  const keep = new Set(out.desiredIds.map(idKey));
  const stale = inv.objects.filter((id) => !keep.has(idKey(id)));
  if (o.dryRun) {
    const wouldPrune = stale.map((id) => ({ id, action: 'pruned' as const, message: 'would be pruned' }));
    return { ...base, ok: true, objects: [...out.results, ...wouldPrune], pruned: [], writes: 0, warnings: [] };
  }
  if (out.error) return failedRun(ctx, out, out.error);
  const latest = inv.history.at(-1);
  const digest = out.sameAsLatest && latest ? latest.digest : digestOf(out.manifests);
  const noChange = out.written.length === 0 && stale.length === 0 && latest?.status === 'succeeded' && latest.digest === digest;
  if (noChange) return { ...base, ok: true, objects: out.results, pruned: [], writes: ctx.writes, warnings: ctx.warnings, ...(out.health ? { health: out.health } : {}) };
  // Healthy is not good yet: rolling releases of services with SLOs are measured on their new pods
  // first; one that does not pass is a failed rollout (rolled back), and nothing is pruned.
  const verified = await verify(ctx, plans, out);
  if (verified?.error) return failedRun(ctx, out, verified.error, verified.report);
  const pr = o.prune === false ? { pruned: [], errors: [] } : await prune(ctx, inv, keep);
  // Stale objects that were not ours any more (label gone) or already deleted stop being tracked.
  const remaining = o.prune === false ? unionIds(out.desiredIds, stale) : out.desiredIds;
  const rec = await tryRecord(ctx, {
    status: 'succeeded',
    message: o.message ?? `deployed ${out.manifests.length} object(s)`,
    manifests: out.manifests,
    digest,
    objects: pr.errors.length > 0 ? unionIds(remaining, stale) : remaining,
  });
  const error = pr.errors.length > 0 ? combine(pr.errors, `${pr.errors.length} object(s) could not be pruned`) : undefined;
  return {
    ...base,
    ok: !error,
    objects: out.results,
    pruned: pr.pruned,
    writes: ctx.writes,
    warnings: ctx.warnings,
    ...(rec ? { revision: rec.revision } : {}),
    ...(out.health ? { health: out.health } : {}),
    ...(error ? { error } : {}),
    ...(verified ? { verification: verified.report } : {}),
  };
}

/** {@link verifyReleases} for this run; a cancel or an unexpected failure while verifying is the run's error, like one while waiting. */
async function verify(ctx: Ctx, plans: ReturnType<typeof verificationPlans>, out: SyncOutcome): Promise<{ report?: VerificationReport; error?: SlipwayError } | undefined> {
  try {
    return await verifyReleases({ client: ctx.client, plans, written: out.written, before: out.before ?? new Map(), options: ctx.o.verification, noWait: ctx.o.wait === false, emit: ctx.emit, signal: ctx.signal });
  } catch (e) {
    return { error: isAbort(e) ? cancelledError(ctx.signal, 'deploy') : isSlipwayError(e) ? e : internal(`verification: ${(e as Error).message}`, { cause: e }) };
  }
}
