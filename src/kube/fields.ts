/**
 * Server-side apply field sets (`managedFields[].fieldsV1`) and projections of objects onto them.
 * Projecting both the live object and the server's dry-run result onto the fields slipway owns
 * gives a comparison (and a diff) free of server defaults, status and bookkeeping metadata.
 * @see https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
 */
import { isRecord } from '../manifest/index.ts';

/** A fieldsV1 tree: keys are `f:<field>`, `k:<json keys>`, `v:<json value>`, `i:<index>` or `.`. */
export interface FieldSet {
  [key: string]: FieldSet;
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  fieldsV1?: FieldSet;
  subresource?: string;
}

/** Union of the field sets `manager` owns through Apply on the main resource (not /status). */
export function appliedFieldsOf(obj: unknown, manager: string): FieldSet | undefined {
  const meta = isRecord(obj) ? obj['metadata'] : undefined;
  const entries = isRecord(meta) && Array.isArray(meta['managedFields']) ? (meta['managedFields'] as ManagedFieldsEntry[]) : [];
  let out: FieldSet | undefined;
  for (const e of entries) {
    if (e.manager !== manager || e.operation !== 'Apply' || (e.subresource ?? '') !== '' || !e.fieldsV1) continue;
    out = out ? mergeFieldSets(out, e.fieldsV1) : e.fieldsV1;
  }
  return out;
}

function mergeFieldSets(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeFieldSets(out[k] ?? {}, v) : v;
  return out;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function elementMatches(key: string, el: unknown, index: number): boolean {
  if (key.startsWith('i:')) return Number(key.slice(2)) === index;
  let parsed: unknown;
  try {
    parsed = JSON.parse(key.slice(2));
  } catch {
    return false;
  }
  if (key.startsWith('v:')) return deepEqual(parsed, el);
  if (key.startsWith('k:') && isRecord(parsed) && isRecord(el)) return Object.entries(parsed).every(([k, v]) => deepEqual(el[k], v));
  return false;
}

/**
 * The part of `value` covered by `fields`. A leaf (`{}` or only `.`) keeps the whole value, since
 * the owner set it as one unit (a scalar, or an atomic list/map).
 */
export function project(value: unknown, fields: FieldSet): unknown {
  const keys = Object.keys(fields).filter((k) => k !== '.');
  if (keys.length === 0) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((el, i) => {
      const k = keys.find((key) => elementMatches(key, el, i));
      if (k !== undefined) out.push(project(el, fields[k] ?? {}));
    });
    return out;
  }
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      if (!k.startsWith('f:')) continue;
      const name = k.slice(2);
      if (name in value) out[name] = project(value[name], fields[k] ?? {});
    }
    return out;
  }
  return value;
}

/** Identity fields that no field set lists but every comparison and diff must show. */
function withIdentity(projected: unknown, full: Record<string, unknown>): Record<string, unknown> {
  const p = isRecord(projected) ? projected : {};
  const meta = isRecord(full['metadata']) ? full['metadata'] : {};
  const pmeta = isRecord(p['metadata']) ? p['metadata'] : {};
  const id: Record<string, unknown> = { name: meta['name'] };
  if (meta['namespace'] !== undefined) id['namespace'] = meta['namespace'];
  // metadata right after kind, as people write (and read) manifests.
  const out: Record<string, unknown> = { apiVersion: full['apiVersion'], kind: full['kind'], metadata: { ...id, ...pmeta } };
  for (const [k, v] of Object.entries(p)) if (k !== 'metadata') out[k] = v;
  return out;
}

/**
 * Live and "after apply" (a server-side dry-run result) reduced to the fields `manager` owns in
 * either: what applying would change, without server defaults, status or bookkeeping. `live`
 * undefined means the object does not exist yet.
 */
export function ownedPair(
  live: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
  manager: string,
): { before: Record<string, unknown> | undefined; after: Record<string, unknown> } {
  const afterFields = appliedFieldsOf(after, manager) ?? {};
  const liveFields = live ? appliedFieldsOf(live, manager) : undefined;
  const mask = liveFields ? mergeFieldSets(afterFields, liveFields) : afterFields;
  return {
    before: live ? withIdentity(project(live, mask), live) : undefined,
    after: withIdentity(project(after, mask), after),
  };
}

/**
 * Is every field of `desired` present in `live` with the same value? Lists must match element
 * for element. Used as a fast no-drift check before asking the server; a false negative (server
 * normalised `0.5` to `500m`, say) only costs a dry-run, never a wrong skip.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) return Array.isArray(live) && desired.length === live.length && desired.every((d, i) => isSubset(d, live[i]));
  if (isRecord(desired)) {
    if (!isRecord(live)) return false;
    return Object.entries(desired).every(([k, v]) => (v === null ? live[k] === undefined || live[k] === null : isSubset(v, live[k])));
  }
  return desired === live;
}

/** One managedFields entry that owns a field: who, how (`Apply`, `Update`) and through which subresource (`''`, `scale`, `status`). */
export interface FieldOwner {
  readonly manager: string;
  readonly operation: string;
  readonly subresource: string;
  /**
   * How many segments of the path the entry owns as one unit: the path's length when it owns the
   * field itself, less when it owns an ancestor whole (an atomic list or map, such as an
   * HTTPRoute's `spec.rules`). An apply that sets anything inside that unit replaces all of it.
   */
  readonly unit: number;
}

/**
 * Does `set` (a fieldsV1 tree) cover `path` of `value`: the field itself, or an ancestor owned as
 * one unit? The number of path segments of the unit it owns (see {@link FieldOwner.unit}), or -1.
 */
function covers(set: FieldSet, value: unknown, path: readonly (string | number)[]): number {
  let node = set;
  let v = value;
  let depth = 0;
  for (const seg of path) {
    const keys = Object.keys(node).filter((k) => k !== '.');
    // A leaf above the path: the owner set that whole value (a scalar, or an atomic list or map).
    if (keys.length === 0) return depth > 0 ? depth : -1;
    depth++;
    let next: string | undefined;
    if (typeof seg === 'string') next = `f:${seg}` in node ? `f:${seg}` : undefined;
    else {
      const el: unknown = Array.isArray(v) ? v[seg] : undefined;
      next = el === undefined ? undefined : keys.find((k) => elementMatches(k, el, seg));
    }
    if (next === undefined) return -1;
    node = node[next] ?? {};
    v = typeof seg === 'string' ? (isRecord(v) ? v[seg] : undefined) : Array.isArray(v) ? (v as unknown[])[seg] : undefined;
  }
  return depth;
}

/**
 * Who owns the field at `path` of the live object `live`, from its managedFields: every entry
 * whose field set holds the field or an ancestor set as one unit. List elements are matched by
 * their keys (`k:{"name":"web"}`), values or indexes against the live list. A field nobody owns
 * (removed by someone, or never set) has no owner.
 * @see https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
 */
export function ownersOf(live: unknown, path: readonly (string | number)[]): FieldOwner[] {
  const meta = isRecord(live) ? live['metadata'] : undefined;
  const entries = isRecord(meta) && Array.isArray(meta['managedFields']) ? (meta['managedFields'] as ManagedFieldsEntry[]) : [];
  const out: FieldOwner[] = [];
  for (const e of entries) {
    const unit = e.fieldsV1 ? covers(e.fieldsV1, live, path) : -1;
    if (unit < 0) continue;
    out.push({ manager: e.manager ?? '', operation: e.operation ?? '', subresource: e.subresource ?? '', unit });
  }
  return out;
}
