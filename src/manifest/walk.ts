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
 * Cost: each big mapping's keys are indexed once, on the first lookup that passes through it, and
 * aliases are resolved from one table built on the first alias met, so many lookups in one big
 * document stay linear overall (`Alias.resolve` alone visits the whole document every call).
 * A merge cycle (`a: &a {<<: *a}`) contributes nothing instead of recursing forever.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, visit, type Alias, type Document, type Node, type YAMLMap } from 'yaml';
import { isMergeKeyNode as isMergeKey, jsKeyOf as jsKey } from './yaml.ts';

/** A path into a document: map keys and list indexes, e.g. `['spec', 'containers', 0, 'image']`. */
export type YamlPath = readonly (string | number)[];

/** One segment of a path, found. */
interface YamlStep {
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

/** A mapping entry: its key node and its value (maybe an alias). */
interface Entry {
  readonly key: Node;
  readonly value: unknown;
}

const NO_ENTRIES: ReadonlyMap<string, Entry> = new Map();

/**
 * Mappings up to this size are scanned instead of indexed: most mappings on a path are small
 * (metadata, a container), and a scan of a few keys is cheaper than building a `Map`. The bound
 * keeps lookups linear overall.
 */
const SCAN_LIMIT = 16;

/** A walker over one document. Cheap to make: its indexes are built on demand and kept. */
export function yamlWalker(doc: Document): YamlWalker {
  /** Each indexed mapping's keys, merged ones included; `null` while being built (a merge cycle). */
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
      if (name !== undefined) own.set(name, it as Entry);
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

  /** The entry named `name`: a key written in the mapping, else one merged into it. */
  const lookup = (map: YAMLMap, name: string): Entry | undefined => {
    const items = map.items as unknown[];
    if (items.length > SCAN_LIMIT) return entries(map).get(name);
    let found: Entry | undefined;
    let merges = false;
    for (const it of items) {
      if (!isPair(it) || !isScalar(it.key)) continue;
      const v = it.key.value;
      if (typeof v === 'string' ? v === name : jsKey(v) === name) found = it as Entry;
      else if (isMergeKey(it.key)) merges = true;
    }
    return found ?? (merges ? entries(map).get(name) : undefined);
  };

  /** The entry for `seg` under `node` (a sequence item is its own key), if there is one. */
  const child = (node: Node | null, seg: string | number): Entry | undefined => {
    if (isMap(node)) return lookup(node, String(seg));
    if (!isSeq(node) || typeof seg !== 'number') return undefined;
    const item: unknown = node.items[seg];
    return isNode(item) ? { key: item, value: item } : undefined;
  };

  return {
    walk(path) {
      const steps: YamlStep[] = [];
      let node = resolve(doc.contents);
      for (const seg of path) {
        const entry = child(node, seg);
        if (entry === undefined) break;
        node = resolve(entry.value);
        steps.push({ keyOffset: entry.key.range?.[0], valueOffset: node === null || isEmpty(node) ? undefined : node.range?.[0], node });
      }
      return steps;
    },
    keyOffsetOf(path) {
      let offset = doc.contents?.range?.[0] ?? 0;
      let node = resolve(doc.contents);
      for (const seg of path) {
        const entry = child(node, seg);
        if (entry === undefined) break;
        offset = entry.key.range?.[0] ?? offset;
        node = resolve(entry.value);
      }
      return offset;
    },
  };
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
