/**
 * The inventory: what slipway deployed for one app+env, kept in the cluster so that any machine
 * can prune, roll back or destroy. One Secret (objects may include Secrets, so not a ConfigMap)
 * named `slipway-inventory-<app>-<env>` in the app namespace holding:
 *  - `inventory.json`: the objects slipway currently tracks (group/kind/ns/name), the prune set;
 *  - `history.json`: the last {@link MAX_REVISIONS} revisions (number, time, status, message);
 *  - `rev-<n>.json.gz`: each kept revision's applied objects, gzip-compressed, for rollback.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { KubeObject } from '../manifest/index.ts';
import { internal } from '../errors/index.ts';
import type { ObjectId } from '../kube/index.ts';

export const MAX_REVISIONS = 10;
export const INVENTORY_TYPE = 'slipway.dev/inventory';

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
}

/** DNS-1123 name for the inventory Secret. */
export function inventoryName(app: string, env: string): string {
  const raw = `slipway-inventory-${app}-${env}`.toLowerCase().replace(/[^a-z0-9-.]/g, '-');
  return raw.slice(0, 253).replace(/[-.]+$/, '');
}

export function emptyInventory(app: string, env: string, namespace: string): Inventory {
  return { app, env, namespace, objects: [], history: [], manifests: new Map() };
}

/** Stable JSON: keys sorted, so that digests do not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
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

/** The Secret that stores `inv`; keeps only the newest {@link MAX_REVISIONS} revisions. */
export function encodeInventory(inv: Inventory): KubeObject {
  const history = inv.history.slice(-MAX_REVISIONS);
  const data: Record<string, string> = {
    'inventory.json': b64(JSON.stringify({ app: inv.app, env: inv.env, objects: inv.objects })),
    'history.json': b64(JSON.stringify(history)),
  };
  for (const r of history) {
    const m = inv.manifests.get(r.revision);
    if (m) data[`rev-${r.revision}.json.gz`] = gzipSync(JSON.stringify(m)).toString('base64');
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: INVENTORY_TYPE,
    metadata: {
      name: inventoryName(inv.app, inv.env),
      namespace: inv.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/app': inv.app, 'slipway.dev/env': inv.env },
    },
    data,
  };
}

export function decodeInventory(secret: KubeObject): Inventory {
  const data = (secret['data'] ?? {}) as Record<string, string>;
  const read = (k: string): Buffer => Buffer.from(data[k] ?? '', 'base64');
  try {
    const head = JSON.parse(read('inventory.json').toString('utf8') || '{}') as { app?: string; env?: string; objects?: ObjectId[] };
    const history = JSON.parse(read('history.json').toString('utf8') || '[]') as RevisionMeta[];
    const manifests = new Map<number, KubeObject[]>();
    for (const r of history) {
      const key = `rev-${r.revision}.json.gz`;
      if (data[key]) manifests.set(r.revision, JSON.parse(gunzipSync(read(key)).toString('utf8')) as KubeObject[]);
    }
    return {
      app: head.app ?? '',
      env: head.env ?? '',
      namespace: secret.metadata.namespace ?? '',
      objects: head.objects ?? [],
      history,
      manifests,
    };
  } catch (e) {
    throw internal(`inventory Secret ${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''} is corrupt: ${(e as Error).message}`, {
      cause: e,
      hint: 'delete it to start over (the next deploy will not prune objects it does not know about)',
    });
  }
}

/** Adds a revision (numbered after the newest) and trims to the newest {@link MAX_REVISIONS}. */
export function addRevision(inv: Inventory, r: Omit<Revision, 'revision'>, objects: readonly ObjectId[]): { inventory: Inventory; revision: number } {
  const revision = (inv.history.at(-1)?.revision ?? 0) + 1;
  const { manifests, ...meta } = r;
  const history = [...inv.history, { ...meta, revision }].slice(-MAX_REVISIONS);
  const kept = new Map<number, readonly KubeObject[]>();
  for (const h of history) {
    const m = h.revision === revision ? manifests : inv.manifests.get(h.revision);
    if (m) kept.set(h.revision, m);
  }
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
