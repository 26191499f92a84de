/**
 * The one walk from a path of keys and indexes to where a node is written in a parsed `yaml`
 * document. The manifest parser (lint findings), the spec loader and the compose importer all
 * report positions through it, so a key is found the same way everywhere.
 *
 * It follows what the document's own `toJS` does, so that a path into the value leads to the
 * text that produced it:
 * - aliases lead to the anchored node (the last anchor of that name before the alias);
 * - `<<` merge keys, when the document was parsed with `merge: true` (only then does `yaml` read
 *   a plain `<<` as a merge key; in plain YAML 1.2 it is an ordinary key), with the YAML merge
 *   precedence: a key written in the mapping wins over a merged one, an earlier merge source
 *   over a later one (`<<: [*a, *b]`), and a merge source's own merges count as its keys.
 *
 * Cost: each mapping's keys are indexed once, on the first lookup that passes through it, and
 * aliases are resolved from one table built on the first alias met, so many lookups in one big
 * document stay linear overall (`Alias.resolve` alone visits the whole document every call).
 * A merge cycle (`a: &a {<<: *a}`) contributes nothing instead of recursing forever.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, Scalar, visit, type Alias, type Document, type Node, type YAMLMap } from 'yaml';

/** A path into a document: map keys and list indexes, e.g. `['spec', 'containers', 0, 'image']`. */
export type YamlPath = readonly (string | number)[];

/** One segment of a path, found. */
export interface YamlStep {
  /** Where the entry is written: its key in a mapping; in a sequence, the item as listed. */
  readonly keyOffset: number | undefined;
  /** Where the value is written (for an alias, the anchored node); undefined for an empty value (`key:`). */
  readonly valueOffset: number | undefined;
  /** The value, aliases resolved; null when there is none. */
  readonly node: Node | null;
}

export interface YamlWalker {
  /** The steps along `path` as far as it exists: `walk(p).length` leading segments exist. */
  walk(path: YamlPath): YamlStep[];
  /**
   * Offset of the key of the deepest node along `path` that exists (for "this field is wrong",
   * where an editor should put the cursor); the document's start when not even the first
   * segment exists.
   */
  keyOffsetOf(path: YamlPath): number;
}

interface Entry {
  readonly key: Node;
  readonly value: unknown;
}

const NO_ENTRIES: ReadonlyMap<string, Entry> = new Map();

/** A walker over one document. Cheap to make: its indexes are built on demand and kept. */
export function yamlWalker(doc: Document): YamlWalker {
  /** Each mapping's keys, merged ones included; `null` while being built (a merge cycle). */
  const indexes = new WeakMap<YAMLMap, ReadonlyMap<string, Entry> | null>();
  let aliases: ReadonlyMap<Alias, Node> | undefined;

  const resolve = (node: unknown): Node | null => {
    if (!isAlias(node)) return isNode(node) ? node : null;
    aliases ??= aliasTargets(doc);
    return aliases.get(node) ?? null;
  };

  const entries = (map: YAMLMap): ReadonlyMap<string, Entry> => {
    const known = indexes.get(map);
    if (known !== undefined) return known ?? NO_ENTRIES;
    indexes.set(map, null);
    const own = new Map<string, Entry>();
    const merges: unknown[] = [];
    for (const it of map.items as unknown[]) {
      if (!isPair(it) || !isScalar(it.key)) continue;
      if (isMergeKey(it.key)) {
        merges.push(it.value);
        continue;
      }
      const name = jsKey(it.key.value);
      // A repeated key: the last one wins, as in toJS (the loaders refuse duplicates anyway).
      if (name !== undefined) own.set(name, { key: it.key, value: it.value });
    }
    for (const merge of merges) {
      const source = resolve(merge);
      for (const item of isSeq(source) ? source.items : [source]) {
        const from = resolve(item);
        if (!isMap(from)) continue;
        for (const [k, e] of entries(from)) if (!own.has(k)) own.set(k, e);
      }
    }
    indexes.set(map, own);
    return own;
  };

  const walk = (path: YamlPath): YamlStep[] => {
    const steps: YamlStep[] = [];
    let node = resolve(doc.contents);
    for (const seg of path) {
      let key: Node;
      let value: unknown;
      if (isMap(node)) {
        const entry = entries(node).get(String(seg));
        if (entry === undefined) break;
        ({ key, value } = entry);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item: unknown = node.items[seg];
        if (!isNode(item)) break;
        key = item;
        value = item;
      } else {
        break;
      }
      node = resolve(value);
      steps.push({ keyOffset: key.range?.[0], valueOffset: node === null || isEmpty(node) ? undefined : node.range?.[0], node });
    }
    return steps;
  };

  return {
    walk,
    keyOffsetOf(path) {
      let offset = doc.contents?.range?.[0] ?? 0;
      for (const step of walk(path)) offset = step.keyOffset ?? offset;
      return offset;
    },
  };
}

/**
 * Whether `yaml` reads this key as a merge key: only with `merge: true` does a plain `<<` resolve
 * to the merge symbol; a quoted `"<<"` stays an ordinary key (yaml's own isMergeKey).
 */
function isMergeKey(key: Scalar): boolean {
  const v = key.value;
  return typeof v === 'symbol' && v.description === '<<' && (key.type === undefined || key.type === Scalar.PLAIN);
}

/**
 * The string a scalar key becomes in toJS (`null` -> `''`, `1.0` -> `'1'`); undefined for keys
 * no schema the loaders use produces (a path cannot name them).
 */
function jsKey(value: unknown): string | undefined {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** `key:` with nothing after it: a position should name the key, not the space after the colon. */
function isEmpty(node: Node): boolean {
  return isScalar(node) && node.value === null && node.source === '';
}

/** Every alias's node: the last node anchored with its name before it, as `Alias.resolve` finds it. */
function aliasTargets(doc: Document): Map<Alias, Node> {
  const anchored = new Map<string, Node>();
  const out = new Map<Alias, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = anchored.get(node.source);
        if (target !== undefined) out.set(node, target);
      } else if (node.anchor !== undefined) {
        anchored.set(node.anchor, node);
      }
    },
  });
  return out;
}
