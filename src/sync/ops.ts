/**
 * Read-mostly operations over a deployed app: diff (server-side dry-run against live), status
 * (health tree), history, rollback to a stored revision, destroy.
 */
import { createTwoFilesPatch } from 'diff';
import type { V1Deployment } from '@kubernetes/client-node';
import { stringifyYaml, type KubeObject } from '../manifest/index.ts';
import { InputErrors, inputError, internal, isSlipwayError, notFound, type SlipwayError } from '../errors/index.ts';
import { FIELD_MANAGER, describe, ownedPair, type ObjectId } from '../kube/index.ts';
import { deploy, owned } from './engine.ts';
import { readInventory } from './store.ts';
import { cancelledError, isAbort } from './cancel.ts';
import { healthOf, reapedJobHealth, worst, type Health, type HealthStatus, type Model } from './health.ts';
import { idKey, idOf, inventoryName, type RevisionMeta } from './inventory.ts';
import { mapLimit } from './pool.ts';
import { prepare } from './prepare.ts';
import { stageOf } from './stages.ts';
import type { DeployOptions, DeployResult, DesiredObject, SyncTarget } from './types.ts';

export interface DiffEntry {
  readonly id: ObjectId;
  readonly change: 'create' | 'update' | 'delete' | 'none' | 'skip';
  /** Unified diff (live → after apply), empty when there is no change. */
  readonly patch: string;
  readonly message?: string;
}

/** YAML of an object reduced for display: no bookkeeping metadata. */
function show(o: Record<string, unknown> | undefined): string {
  return o ? stringifyYaml(o) : '';
}

function patchOf(id: ObjectId, before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): string {
  const name = describe(id);
  return createTwoFilesPatch(before ? `live/${name}` : '/dev/null', after ? `desired/${name}` : '/dev/null', show(before), show(after), undefined, undefined, { context: 3 });
}

export interface DiffOptions extends SyncTarget {
  readonly objects: readonly DesiredObject[];
  /** @default true */
  readonly skipMissingCrds?: boolean;
  /** @default false */
  readonly forceConflicts?: boolean;
  /** @default 32 */
  readonly concurrency?: number;
}

/**
 * What a deploy would change: for each object the server-side dry-run result against live,
 * both reduced to the fields slipway owns (so server defaults, status, managedFields,
 * resourceVersion, uid and timestamps never show), plus the objects a deploy would prune.
 */
export async function diff(o: DiffOptions): Promise<DiffEntry[]> {
  const prep = await prepare({ client: o.client, app: o.app, env: o.env, namespace: o.namespace, objects: o.objects, skipMissingCrds: o.skipMissingCrds ?? true, onEvent: () => undefined });
  const errors: SlipwayError[] = [];
  const entries = await mapLimit(prep.objects, o.concurrency ?? 32, async (p): Promise<DiffEntry | undefined> => {
    if (p.deferred) return { id: p.id, change: 'create', patch: patchOf(p.id, undefined, p.object), message: 'its Namespace or CRD is created by this deploy: shown as written' };
    try {
      const [after, live] = await Promise.all([o.client.apply(p.object, { dryRun: true, force: o.forceConflicts ?? false }), o.client.get(p.id)]);
      const pair = ownedPair(live, after, FIELD_MANAGER);
      const patch = patchOf(p.id, pair.before, pair.after);
      const changed = show(pair.before) !== show(pair.after);
      return { id: p.id, change: !live ? 'create' : changed ? 'update' : 'none', patch: changed ? patch : '' };
    } catch (e) {
      if (!isSlipwayError(e) || e.kind === 'cluster-unavailable') throw e;
      errors.push(e);
      return undefined;
    }
  });
  if (errors.length > 0) throw errors.every((e) => e.kind === 'input') ? new InputErrors(errors, errors[0]) : (errors[0] as SlipwayError);
  const out = entries.filter((e): e is DiffEntry => e !== undefined);
  out.push(...prep.skipped.map((s) => ({ id: { apiVersion: s.object.apiVersion, kind: s.object.kind, namespace: s.object.metadata.namespace, name: s.object.metadata.name ?? '' }, change: 'skip' as const, patch: '', message: s.reason })));
  const keep = new Set(prep.objects.map((p) => p.key));
  const inv = await readInventory(o);
  const gone = inv.objects.filter((id) => !keep.has(idKey(id)));
  const lives = await mapLimit(gone, o.concurrency ?? 32, (id) => o.client.get(id).catch(() => undefined));
  gone.forEach((id, i) => {
    const live = lives[i];
    if (live) out.push({ id, change: 'delete', patch: patchOf(id, ownedPair(live, live, FIELD_MANAGER).before, undefined), message: 'pruned by the next deploy' });
  });
  return out;
}

/** @public: part of the folder API (re-exported by index.ts). */
export interface StatusNode {
  readonly id: ObjectId;
  readonly health: Health;
  readonly pods?: readonly { readonly name: string; readonly health: Health }[];
}

export interface AppStatus {
  readonly app: string;
  readonly env: string;
  readonly namespace: string;
  readonly revision?: RevisionMeta;
  readonly health: HealthStatus;
  readonly objects: readonly StatusNode[];
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

function selectorOf(o: Model<V1Deployment>): string | undefined {
  const ml = o.spec?.selector?.matchLabels ?? {};
  const parts = Object.entries(ml).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(',') : undefined;
}

/** Health tree app → objects → pods, from the inventory and live objects. */
export async function status(t: SyncTarget & { readonly concurrency?: number }): Promise<AppStatus> {
  const inv = await readInventory(t);
  if (inv.history.length === 0) {
    throw notFound(`no deployment of app "${t.app}" env "${t.env}" in namespace ${t.namespace}`, {
      cause: undefined,
      hint: `looked for Secret ${t.namespace}/${inventoryName(t.app, t.env)}; deploy first, or pass -n/--env`,
    });
  }
  const latest = inv.history.at(-1);
  // A finished Job of a succeeded revision may since have been deleted by its TTL: it ran.
  const desired = latest?.status === 'succeeded' ? new Map((inv.manifests.get(latest.revision) ?? []).map((m) => [idKey(idOf(m)), m])) : new Map<string, KubeObject>();
  const nodes = await mapLimit(inv.objects, t.concurrency ?? 16, async (id): Promise<StatusNode> => {
    const live = await t.client.get(id).catch((e: unknown) => {
      if (isSlipwayError(e) && e.kind === 'not-found') return undefined;
      throw e;
    });
    const health = (live ? undefined : reapedJobHealth(desired.get(idKey(id)))) ?? healthOf(live);
    const sel = live && WORKLOADS.has(id.kind) ? selectorOf(live) : undefined;
    if (!sel) return { id, health };
    const pods = await t.client.list({ apiVersion: 'v1', kind: 'Pod', namespace: id.namespace, labelSelector: sel });
    return { id, health, pods: pods.map((p) => ({ name: p.metadata.name ?? '', health: healthOf(p) })) };
  });
  const revision = inv.history.at(-1);
  return {
    app: t.app,
    env: t.env,
    namespace: t.namespace,
    ...(revision ? { revision } : {}),
    health: worst(nodes.map((n) => n.health.status)),
    objects: nodes.sort((a, b) => stageOf(a.id.kind) - stageOf(b.id.kind) || describe(a.id).localeCompare(describe(b.id))),
  };
}

export async function history(t: SyncTarget): Promise<readonly RevisionMeta[]> {
  return (await readInventory(t)).history;
}

/**
 * Re-deploys a stored revision (default: the newest good revision before the latest one). It is
 * a normal deploy: validated, staged, waited for, pruned, recorded as a new revision.
 */
export async function rollbackTo(o: Omit<DeployOptions, 'objects'> & { readonly to?: number }): Promise<DeployResult> {
  const inv = await readInventory(o);
  const latest = inv.history.at(-1);
  const target = o.to ?? [...inv.history].reverse().find((r) => r.status === 'succeeded' && r.revision !== latest?.revision)?.revision;
  if (target === undefined) throw notFound(`no earlier good revision of ${o.app}/${o.env} to roll back to`, { cause: inv.history, hint: '`slipway history` lists the stored revisions' });
  const manifests = inv.manifests.get(target);
  if (!manifests) {
    throw inputError(`revision ${target} is not stored`, { cause: inv.history, expected: `one of: ${[...inv.manifests.keys()].join(', ')}`, hint: `the objects of the last 10 revisions are kept, fewer when they do not fit in the inventory Secret (1 MiB)` });
  }
  return deploy({ ...o, objects: manifests.map((object: KubeObject) => ({ object })), message: `rollback to revision ${target}`, lint: false });
}

export interface DestroyResult {
  readonly deleted: readonly ObjectId[];
  /** Tracked objects left alone because they are not this app's any more (label removed or changed). */
  readonly skipped: readonly ObjectId[];
  readonly errors: readonly SlipwayError[];
}

export interface DestroyOptions extends SyncTarget {
  /** @default 32 */
  readonly concurrency?: number;
  readonly onDelete?: (id: ObjectId) => void;
  /** Aborting stops deleting (an error of kind `cancelled`); the inventory is kept so destroy can be run again. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Deletes everything in the inventory (reverse stage order), then the inventory itself. Like
 * prune, only objects still labelled as this app's: an object someone took over (relabelled) or
 * replaced by an unrelated one of the same name is never deleted.
 */
export async function destroy(t: DestroyOptions): Promise<DestroyResult> {
  const inv = await readInventory(t);
  const deleted: ObjectId[] = [];
  const skipped: ObjectId[] = [];
  const errors: SlipwayError[] = [];
  for (const stage of [2, 1, 0] as const) {
    await mapLimit(inv.objects.filter((id) => stageOf(id.kind) === stage), t.concurrency ?? 32, async (id) => {
      if (t.signal?.aborted) return;
      try {
        if (!(await owned(t.client, id, t.app))) {
          skipped.push(id);
          return;
        }
        if ((await t.client.delete(id)) === 'deleted') {
          deleted.push(id);
          t.onDelete?.(id);
        }
      } catch (e) {
        if (isSlipwayError(e) && e.kind === 'not-found') return;
        errors.push(isAbort(e) ? cancelledError(t.signal, `deleting ${describe(id)}`) : isSlipwayError(e) ? e : internal(`deleting ${describe(id)}: ${(e as Error).message}`, { cause: e }));
      }
    });
  }
  if (t.signal?.aborted && !errors.some(isAbort)) errors.push(cancelledError(t.signal, 'destroy'));
  // Keep the inventory when something could not be deleted, so that destroy can be re-run.
  if (errors.length === 0 && inv.history.length > 0) await t.client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: t.namespace, name: inventoryName(t.app, t.env) });
  return { deleted, skipped, errors };
}
