/**
 * Safe readers over loosely typed Kubernetes objects: user input can have any shape, and a rule
 * must never throw on a field of the wrong type (schema validation reports that).
 */
import { isRecord, type FieldPath } from '../manifest/index.ts';

export type Rec = Readonly<Record<string, unknown>>;

export function rec(v: unknown): Rec {
  return isRecord(v) ? v : {};
}

export function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

export function get(v: unknown, path: FieldPath): unknown {
  let cur = v;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg] as unknown;
    } else {
      if (!isRecord(cur)) return undefined;
      cur = cur[seg];
    }
  }
  return cur;
}

export function strMap(v: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v))) if (typeof val === 'string') out[k] = val;
  return out;
}

/** Does a label set satisfy a LabelSelector (matchLabels + matchExpressions)? */
export function selectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const sel = rec(selector);
  for (const [k, v] of Object.entries(strMap(sel['matchLabels']))) if (labels[k] !== v) return false;
  for (const e of arr(sel['matchExpressions'])) {
    const key = str(rec(e)['key']) ?? '';
    const op = str(rec(e)['operator']);
    const values = arr(rec(e)['values']).filter((x): x is string => typeof x === 'string');
    const has = Object.hasOwn(labels, key);
    const val = labels[key];
    if (op === 'In' && !(has && val !== undefined && values.includes(val))) return false;
    if (op === 'NotIn' && has && val !== undefined && values.includes(val)) return false;
    if (op === 'Exists' && !has) return false;
    if (op === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Does a plain map selector (Service / ReplicationController style) select these labels? */
export function mapSelectorMatches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/** Is a LabelSelector empty (selects everything)? */
export function selectorIsEmpty(selector: unknown): boolean {
  const sel = rec(selector);
  return Object.keys(rec(sel['matchLabels'])).length === 0 && arr(sel['matchExpressions']).length === 0;
}
