/**
 * Drift: a live object that no longer has what was applied. Every field the last sync applied is
 * compared with the live object, and each difference is classified by who changed it, from the
 * object's managedFields (server-side apply records, per field, the manager of the last write):
 *
 *  - still owned by slipway's apply: nobody else wrote it; the apiserver (or a mutating webhook)
 *    only normalised the value (`0.5` → `500m`): not drift;
 *  - `spec.replicas` owned by an autoscaler (the HPA's `kube-controller-manager`, KEDA, …): not
 *    drift, and not reverted;
 *  - owned by the slipway rollout controller (route weights, canary scale): not drift, and a canary
 *    in progress is never reverted;
 *  - matched by an `ignoreDifferences` rule (a JSON pointer, or a field manager): not drift;
 *  - anything else (kubectl edit, kubectl scale, another tool, a field removed): drift, reported
 *    with the managers that changed it.
 *
 * The not-drift fields owned by someone else are also left out of the next apply ({@link withoutForeign}),
 * so a sync never fights an HPA or the rollout controller for them.
 */
import { createTwoFilesPatch } from 'diff';
import { isRecord, omit, stringifyYaml, type KubeObject } from '../manifest/index.ts';
import { FIELD_MANAGER, ownersOf, type FieldOwner, type LiveObject } from '../kube/index.ts';
import { CONTROLLER_MANAGER } from '../rollout/index.ts';
import { MAX_DIFF_CHARS, type IgnoreDifferenceT } from './types.ts';

export type Segment = string | number;

type NotDriftReason = 'autoscaler' | 'rollout' | 'ignored';

export interface FieldChange {
  readonly path: readonly Segment[];
  readonly desired: unknown;
  readonly live: unknown;
  /** Managers that own the live value (none: the field was removed). */
  readonly owners: readonly string[];
}

/** A difference that is not drift: why, and the unit another manager owns it in. */
interface IgnoredChange extends FieldChange {
  readonly reason: NotDriftReason;
  /**
   * The path of what the other manager owns as one unit: the field itself, or an atomic ancestor
   * (the rollout controller's HTTPRoute `spec.rules`, which holds the weights). Leaving a field out
   * of an apply means leaving out that unit: an apply of the rest of an atomic list replaces it.
   */
  readonly unit: readonly Segment[];
}

export interface ObjectComparison {
  readonly missing: boolean;
  /** Real drift. */
  readonly drift: readonly FieldChange[];
  /** Differences that are not drift, and why. */
  readonly ignored: readonly IgnoredChange[];
}

/** Field managers whose `spec.replicas` is an autoscaler's decision. The HPA controller runs in kube-controller-manager. */
const AUTOSCALERS = /^(kube-controller-manager|keda-operator.*|.*autoscaler.*)$/;

/** `spec.template.spec.containers[0].image` */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const s of path) out += typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][\w-]*$/.test(s) ? `${out ? '.' : ''}${s}` : `[${JSON.stringify(s)}]`;
  return out;
}

/** `/spec/template/spec/containers/0/image` (RFC 6901). */
export function pointerOf(path: readonly Segment[]): string {
  return path.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/**
 * The fields of `desired` whose value `live` does not have. Maps and objects: each key of desired
 * (null: must be absent); lists: element by element when the lengths match, else the whole list.
 */
export function differences(desired: unknown, live: unknown, path: Segment[] = []): FieldChange[] {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return [{ path, desired, live, owners: [] }];
    return desired.flatMap((d, i) => differences(d, live[i], [...path, i]));
  }
  if (isRecord(desired)) {
    if (!isRecord(live)) return [{ path, desired, live, owners: [] }];
    const out: FieldChange[] = [];
    for (const [k, v] of Object.entries(desired)) {
      if (v === null) {
        if (live[k] !== undefined && live[k] !== null) out.push({ path: [...path, k], desired: undefined, live: live[k], owners: [] });
        continue;
      }
      out.push(...differences(v, live[k], [...path, k]));
    }
    return out;
  }
  return desired === live || (typeof desired === 'number' && typeof live === 'string' && String(desired) === live) ? [] : [{ path, desired, live, owners: [] }];
}

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '');

function rulesFor(o: KubeObject, rules: readonly IgnoreDifferenceT[]): IgnoreDifferenceT[] {
  return rules.filter(
    (r) =>
      r.kind === o.kind &&
      (r.group === undefined || r.group === '' ? true : r.group === groupOf(o.apiVersion)) &&
      (r.name === undefined || r.name === o.metadata.name) &&
      (r.namespace === undefined || r.namespace === o.metadata.namespace),
  );
}

function classify(change: FieldChange, owners: readonly FieldOwner[], rules: readonly IgnoreDifferenceT[]): NotDriftReason | 'normalized' | undefined {
  if (owners.some((o) => o.manager === FIELD_MANAGER && o.operation === 'Apply' && o.subresource === '')) return 'normalized';
  const foreign = owners.filter((o) => o.manager !== FIELD_MANAGER);
  const pointer = pointerOf(change.path);
  if (rules.some((r) => (r.jsonPointers ?? []).some((p) => pointer === p || pointer.startsWith(`${p}/`)))) return 'ignored';
  if (foreign.length > 0 && rules.some((r) => foreign.every((o) => (r.managedFieldsManagers ?? []).includes(o.manager)))) return 'ignored';
  if (foreign.length > 0 && foreign.every((o) => o.manager === CONTROLLER_MANAGER)) return 'rollout';
  if (pointer === '/spec/replicas' && foreign.length > 0 && foreign.every((o) => AUTOSCALERS.test(o.manager))) return 'autoscaler';
  return undefined;
}

/** A Secret's `stringData` as the `data` the apiserver stores it as (it keeps no stringData): compared where a change would show. */
function asStored(o: KubeObject): KubeObject {
  const stringData = o['stringData'];
  if (o.kind !== 'Secret' || !isRecord(stringData)) return o;
  const data = { ...(isRecord(o['data']) ? o['data'] : {}) };
  for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  return { ...(omit(o, ['stringData']) as KubeObject), data };
}

/** Compares what was applied (`desired`, as the inventory recorded it) with the live object. */
export function compareObject(applied: KubeObject, live: LiveObject | undefined, rules: readonly IgnoreDifferenceT[] = []): ObjectComparison {
  if (!live) return { missing: true, drift: [], ignored: [] };
  const desired = asStored(applied);
  const mine = rulesFor(desired, rules);
  const drift: FieldChange[] = [];
  const ignored: IgnoredChange[] = [];
  for (const d of differences(desired, live)) {
    const owners = ownersOf(live, d.path);
    const change = { ...d, owners: [...new Set(owners.map((o) => (o.subresource ? `${o.manager} (${o.subresource})` : o.manager)))] };
    const why = classify(change, owners, mine);
    if (why === 'normalized') continue;
    const foreign = owners.filter((o) => o.manager !== FIELD_MANAGER);
    const unit = foreign.length > 0 ? d.path.slice(0, Math.min(...foreign.map((o) => o.unit))) : d.path;
    if (why) ignored.push({ ...change, reason: why, unit });
    else drift.push(change);
  }
  return { missing: false, drift, ignored };
}

function deleteAt(obj: unknown, path: readonly Segment[]): void {
  let node: unknown = obj;
  for (const s of path.slice(0, -1)) node = Array.isArray(node) && typeof s === 'number' ? node[s] : isRecord(node) && typeof s === 'string' ? node[s] : undefined;
  const last = path.at(-1);
  if (isRecord(node) && typeof last === 'string') Reflect.deleteProperty(node, last);
}

/**
 * `desired` without the fields that are not drift and that another manager owns now (an HPA's
 * replicas, the rollout controller's weights, ignored fields someone else set): applying them
 * would take them back. Fields only slipway owns stay, so leaving them out never deletes them.
 *
 * A field inside something the other manager owns whole (an atomic list such as an HTTPRoute's
 * `spec.rules`, whose weights the rollout controller sets) is left out with all of that unit:
 * applying the rest of the list would replace the manager's list with it (the weights left out
 * would take their defaults).
 */
export function withoutForeign(desired: KubeObject, live: LiveObject | undefined, rules: readonly IgnoreDifferenceT[] = []): KubeObject {
  if (!live) return desired;
  const c = compareObject(desired, live, rules);
  const paths = new Map<string, readonly Segment[]>();
  for (const f of c.ignored) {
    if (f.owners.length === 0) continue;
    // An object key can be left out; an element of a list cannot (the list would change): then the field itself, as before.
    const path = typeof f.unit.at(-1) === 'string' ? f.unit : f.path;
    if (typeof path.at(-1) === 'string') paths.set(pointerOf(path), path);
  }
  if (paths.size === 0) return desired;
  const copy = structuredClone(desired);
  for (const p of paths.values()) deleteAt(copy, p);
  return copy;
}

/** A value as one short line for status. */
export function short(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

/** A unified diff live → desired of the drifted fields only (bounded), as `slipway app diff` shows it. */
export function driftDiff(name: string, changes: readonly FieldChange[]): string {
  const live: Record<string, unknown> = {};
  const want: Record<string, unknown> = {};
  for (const c of changes) {
    const key = formatPath(c.path);
    if (c.live !== undefined) live[key] = c.live;
    if (c.desired !== undefined) want[key] = c.desired;
  }
  const patch = createTwoFilesPatch(`live/${name}`, `git/${name}`, Object.keys(live).length ? stringifyYaml(live) : '', Object.keys(want).length ? stringifyYaml(want) : '', undefined, undefined, { context: 1 });
  return patch.length > MAX_DIFF_CHARS ? `${patch.slice(0, MAX_DIFF_CHARS)}\n… (diff cut at ${MAX_DIFF_CHARS} characters)` : patch;
}
