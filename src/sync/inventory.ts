/**
 * The inventory: what slipway deployed for one app+env, kept in the cluster so that any machine
 * can prune, roll back or destroy. One Secret (objects may include Secrets, so not a ConfigMap)
 * named `slipway-inventory-<app>-<env>` in the app namespace holding:
 *  - `inventory.json`: the objects slipway currently tracks (group/kind/ns/name), the prune set;
 *  - `history.json`: the last {@link MAX_REVISIONS} revisions (number, time, status, message);
 *  - `rev-<n>.json.gz`: each kept revision's applied objects, gzip-compressed, for rollback.
 *
 * A Secret holds at most 1 MiB of data. Revisions of a large app can exceed that long before
 * {@link MAX_REVISIONS}, and an inventory that cannot be written after every object was applied
 * would lose track of them (no prune, no rollback). So the newest revisions' objects are kept
 * within {@link DATA_BUDGET}; older ones keep their history entry but not their objects.
 *
 * Reading is lazy: only the revisions a run looks at (the latest, for drift detection; a
 * rollback target) are decompressed, and the others are written back as they were read.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { V1Secret } from '@kubernetes/client-node';
import type { Shape } from './health.ts';
import { canonicalJson, type KubeObject } from '../manifest/index.ts';
import { internal, isSlipwayError } from '../errors/index.ts';
import type { ObjectId } from '../kube/index.ts';

export const MAX_REVISIONS = 10;
/**
 * Bytes of Secret data the inventory uses at most: the apiserver's 1 MiB Secret limit, less room
 * for what may be added next to it (labels, annotations count separately, but a margin is cheap).
 */
export const DATA_BUDGET = 1024 * 1024 - 64 * 1024;
const INVENTORY_TYPE = 'slipway.dev/inventory';

export type RevisionStatus = 'succeeded' | 'failed' | 'rolled-back';

export interface RevisionMeta {
  readonly revision: number;
  /** ISO-8601 time the revision finished. */
  readonly time: string;
  readonly status: RevisionStatus;
  readonly message: string;
  /** sha256 of the canonical desired objects: equal digests mean the same desired state. */
  readonly digest: string;
  readonly objects: number;
  /** Set when this revision re-applied an earlier one. */
  readonly rollbackOf?: number;
}

export interface Revision extends RevisionMeta {
  readonly manifests: readonly KubeObject[];
}

export interface Inventory {
  readonly app: string;
  readonly env: string;
  readonly namespace: string;
  /** Objects currently tracked (the prune set). */
  readonly objects: readonly ObjectId[];
  /** Oldest first. */
  readonly history: readonly RevisionMeta[];
  /** Stored objects per kept revision. */
  readonly manifests: ReadonlyMap<number, readonly KubeObject[]>;
  /**
   * The Secret's resourceVersion when read; undefined when there is no Secret yet. A write
   * carries it so that the apiserver refuses it (409) when another run wrote in between.
   */
  readonly resourceVersion?: string | undefined;
}

const revKey = (revision: number): string => `rev-${revision}.json.gz`;

function corrupt(secret: { namespace?: string | undefined; name?: string | undefined }, e: unknown): Error {
  return internal(`inventory Secret ${secret.namespace ?? ''}/${secret.name ?? ''} is corrupt: ${(e as Error).message}`, {
    cause: e,
    hint: 'delete it to start over (the next deploy will not prune objects it does not know about)',
  });
}

/**
 * Objects per revision, decompressed on first use. Keeps each revision's stored form (base64 of
 * the gzip) so that writing the inventory back does not re-encode revisions nobody changed.
 */
class RevisionStore implements ReadonlyMap<number, readonly KubeObject[]> {
  private readonly decoded = new Map<number, readonly KubeObject[]>();
  private readonly encoded = new Map<number, string>();
  private readonly order: number[] = [];
  private readonly secret: { namespace?: string | undefined; name?: string | undefined };

  constructor(entries: Iterable<readonly [number, { readonly objects?: readonly KubeObject[]; readonly stored?: string }]> = [], secret: { namespace?: string | undefined; name?: string | undefined } = {}) {
    this.secret = secret;
    for (const [revision, e] of entries) {
      if (e.objects) this.decoded.set(revision, e.objects);
      if (e.stored !== undefined) this.encoded.set(revision, e.stored);
      if (e.objects || e.stored !== undefined) this.order.push(revision);
    }
  }

  get size(): number {
    return this.order.length;
  }

  has(revision: number): boolean {
    return this.order.includes(revision);
  }

  get(revision: number): readonly KubeObject[] | undefined {
    const hit = this.decoded.get(revision);
    if (hit) return hit;
    const stored = this.encoded.get(revision);
    if (stored === undefined) return undefined;
    let objects: KubeObject[];
    try {
      objects = JSON.parse(gunzipSync(Buffer.from(stored, 'base64')).toString('utf8')) as KubeObject[];
    } catch (e) {
      throw corrupt(this.secret, e);
    }
    this.decoded.set(revision, objects);
    return objects;
  }

  /** The stored form (base64 of the gzip), encoding it on first request. */
  stored(revision: number): string | undefined {
    const hit = this.encoded.get(revision);
    if (hit !== undefined) return hit;
    const objects = this.decoded.get(revision);
    if (!objects) return undefined;
    const out = gzipSync(JSON.stringify(objects)).toString('base64');
    this.encoded.set(revision, out);
    return out;
  }

  /** A store with `revisions` only (in that order), sharing what is already decoded or encoded. */
  pick(revisions: readonly number[], added?: { revision: number; objects: readonly KubeObject[] }): RevisionStore {
    const out = new RevisionStore([], this.secret);
    for (const r of revisions) {
      if (added && r === added.revision) {
        out.decoded.set(r, added.objects);
        out.order.push(r);
        continue;
      }
      if (!this.has(r)) continue;
      const d = this.decoded.get(r);
      const e = this.encoded.get(r);
      if (d) out.decoded.set(r, d);
      if (e !== undefined) out.encoded.set(r, e);
      out.order.push(r);
    }
    return out;
  }

  keys(): MapIterator<number> {
    return this.order[Symbol.iterator]();
  }

  *values(): MapIterator<readonly KubeObject[]> {
    for (const r of this.order) yield this.get(r) ?? [];
  }

  *entries(): MapIterator<[number, readonly KubeObject[]]> {
    for (const r of this.order) yield [r, this.get(r) ?? []];
  }

  [Symbol.iterator](): MapIterator<[number, readonly KubeObject[]]> {
    return this.entries();
  }

  forEach(fn: (value: readonly KubeObject[], key: number, map: ReadonlyMap<number, readonly KubeObject[]>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}

/** DNS-1123 name for the inventory Secret. */
export function inventoryName(app: string, env: string): string {
  const raw = `slipway-inventory-${app}-${env}`.toLowerCase().replace(/[^a-z0-9-.]/g, '-');
  return raw.slice(0, 253).replace(/[-.]+$/, '');
}

export function emptyInventory(app: string, env: string, namespace: string): Inventory {
  return { app, env, namespace, objects: [], history: [], manifests: new RevisionStore() };
}


export function idOf(o: KubeObject): ObjectId {
  return { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name ?? '' };
}

/** Identity ignoring version: the same object served at v1beta1 and v1 is one object. */
export function idKey(id: ObjectId): string {
  const group = id.apiVersion.includes('/') ? id.apiVersion.split('/')[0] ?? '' : '';
  return `${group}/${id.kind}/${id.namespace ?? ''}/${id.name}`;
}

export function digestOf(objects: readonly KubeObject[]): string {
  const sorted = [...objects].sort((a, b) => idKey(idOf(a)).localeCompare(idKey(idOf(b))));
  return createHash('sha256').update(canonicalJson(sorted)).digest('hex');
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

const storeOf = (m: ReadonlyMap<number, readonly KubeObject[]>): RevisionStore =>
  m instanceof RevisionStore ? m : new RevisionStore([...m].map(([r, objects]) => [r, { objects }] as const));

/**
 * The Secret that stores `inv`: the newest {@link MAX_REVISIONS} history entries, and the objects
 * of the newest revisions that fit in {@link DATA_BUDGET} bytes of data (the rest are dropped,
 * oldest first: `slipway rollback` then says the revision is not stored).
 */
export function encodeInventory(inv: Inventory): KubeObject {
  const history = inv.history.slice(-MAX_REVISIONS);
  const data: Record<string, string> = {
    'inventory.json': b64(JSON.stringify({ app: inv.app, env: inv.env, objects: inv.objects })),
    'history.json': b64(JSON.stringify(history)),
  };
  // Secret size counts decoded bytes: 3 per 4 base64 characters.
  let used = Object.values(data).reduce((n, v) => n + (v.length * 3) / 4, 0);
  const store = storeOf(inv.manifests);
  for (const r of [...history].reverse()) {
    const stored = store.stored(r.revision);
    if (stored === undefined) continue;
    used += (stored.length * 3) / 4 + revKey(r.revision).length;
    if (used > DATA_BUDGET) break;
    data[revKey(r.revision)] = stored;
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: INVENTORY_TYPE,
    metadata: {
      name: inventoryName(inv.app, inv.env),
      namespace: inv.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/app': inv.app, 'slipway.dev/env': inv.env },
      ...(inv.resourceVersion !== undefined ? { resourceVersion: inv.resourceVersion } : {}),
    },
    data,
  };
}

/**
 * The inventory a Secret stores. The latest revision's objects are decoded at once (every deploy
 * compares against them, and a corrupt Secret should fail here); older ones when first used.
 */
export function decodeInventory(secret: KubeObject): Inventory {
  const data = (secret as Shape<V1Secret>).data ?? {};
  const read = (k: string): Buffer => Buffer.from(data[k] ?? '', 'base64');
  try {
    const head = JSON.parse(read('inventory.json').toString('utf8') || '{}') as { app?: string; env?: string; objects?: ObjectId[] };
    const history = JSON.parse(read('history.json').toString('utf8') || '[]') as RevisionMeta[];
    const entries = history.filter((r) => data[revKey(r.revision)] !== undefined).map((r) => [r.revision, { stored: data[revKey(r.revision)] ?? '' }] as const);
    const manifests = new RevisionStore(entries, secret.metadata);
    const latest = history.at(-1);
    if (latest) manifests.get(latest.revision);
    return {
      app: head.app ?? '',
      env: head.env ?? '',
      namespace: secret.metadata.namespace ?? '',
      objects: head.objects ?? [],
      history,
      manifests,
      ...(typeof secret.metadata['resourceVersion'] === 'string' ? { resourceVersion: secret.metadata['resourceVersion'] } : {}),
    };
  } catch (e) {
    if (isSlipwayError(e)) throw e;
    throw corrupt(secret.metadata, e);
  }
}

/** Adds a revision (numbered after the newest) and trims to the newest {@link MAX_REVISIONS}. */
export function addRevision(inv: Inventory, r: Omit<Revision, 'revision'>, objects: readonly ObjectId[]): { inventory: Inventory; revision: number } {
  const revision = (inv.history.at(-1)?.revision ?? 0) + 1;
  const { manifests, ...meta } = r;
  const history = [...inv.history, { ...meta, revision }].slice(-MAX_REVISIONS);
  const kept = storeOf(inv.manifests).pick(
    history.map((h) => h.revision),
    { revision, objects: manifests },
  );
  return { inventory: { ...inv, objects, history, manifests: kept }, revision };
}

/** Newest revision with status succeeded, if any: what an automatic rollback returns to. */
export function lastGood(inv: Inventory): RevisionMeta | undefined {
  return [...inv.history].reverse().find((r) => r.status === 'succeeded');
}

/** Union of two id lists by identity (a failed run keeps tracking what it created, so a later run can prune it). */
export function unionIds(a: readonly ObjectId[], b: readonly ObjectId[]): ObjectId[] {
  const m = new Map<string, ObjectId>();
  for (const id of [...a, ...b]) m.set(idKey(id), id);
  return [...m.values()];
}
