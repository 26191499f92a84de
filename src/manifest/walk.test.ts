import { describe, expect, it } from 'vitest';
import { isCollection, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { yamlWalker } from './index.ts';
import type { YamlPath } from './walk.ts';

interface Case {
  readonly name: string;
  readonly text: string;
  /** Parse with `merge: true` (as the spec and compose loaders do); plain YAML 1.2 otherwise (manifests). */
  readonly merge?: boolean;
  readonly path: YamlPath;
  /** How many leading segments exist. */
  readonly depth: number;
  /** line:col of the deepest found step's key, and of its value (`-` when empty). */
  readonly key?: string;
  readonly value?: string;
  /** The literal text of the scalar found, when the whole path exists. */
  readonly source?: string;
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

const cases: Case[] = [
  { name: 'plain key', text: 'a: 1\n', path: ['a'], depth: 1, key: '1:1', value: '1:4', source: '1' },
  { name: 'nested mapping', text: lines('a:', '  b:', '    c: x'), path: ['a', 'b', 'c'], depth: 3, key: '3:5', value: '3:8' },
  { name: 'sequence item, then a key', text: lines('a:', '  - x', '  - {b: 1}'), path: ['a', 1, 'b'], depth: 3, key: '3:6', value: '3:9' },
  { name: 'sequence item is its own key', text: lines('a:', '  - x', '  - y'), path: ['a', 1], depth: 2, key: '3:5', value: '3:5', source: 'y' },
  { name: 'index past the end: nearest ancestor', text: lines('a: [x]'), path: ['a', 3], depth: 1, key: '1:1', value: '1:4' },
  { name: 'name segment on a sequence stops', text: lines('a: [x]'), path: ['a', 'x'], depth: 1, key: '1:1' },
  { name: 'index segment on a mapping matches the key text', text: lines('a: {0: x}'), path: ['a', 0], depth: 2, key: '1:5', source: 'x' },
  { name: 'number key as toJS spells it', text: lines('a: {1.0: x}'), path: ['a', '1'], depth: 2, key: '1:5' },
  { name: 'missing key: nearest existing ancestor', text: lines('a:', '  b: 1'), path: ['a', 'c', 'd'], depth: 1, key: '1:1', value: '2:3' },
  { name: 'missing first key', text: lines('a: 1'), path: ['z'], depth: 0 },
  { name: 'empty value has no value position', text: lines('a:', 'b: 1'), path: ['a'], depth: 1, key: '1:1', value: '-' },
  { name: 'alias: keys inside point at the anchor', text: lines('d: &d {x: 1}', 'e: *d'), path: ['e', 'x'], depth: 2, key: '1:8', value: '1:11', source: '1' },
  { name: 'alias: the aliased key itself, value at the anchored node', text: lines('d: &d {x: 1}', 'e: *d'), path: ['e'], depth: 1, key: '2:1', value: '1:7' },
  { name: 'alias of a scalar keeps the written text', text: lines('v: &v 1.10', 'w: *v'), path: ['w'], depth: 1, key: '2:1', value: '1:7', source: '1.10' },
  { name: 'alias as a sequence item: listed at the alias, written at the anchor', text: lines('p: &p {n: 1}', 'l: [*p]'), path: ['l', 0], depth: 2, key: '2:5', value: '1:7' },
  { name: 'through an aliased sequence item', text: lines('p: &p {n: 1}', 'l: [*p]'), path: ['l', 0, 'n'], depth: 3, key: '1:8' },
  { name: 'the last anchor of a name before the alias', text: lines('a: &x {k: 1}', 'b: &x {k: 2}', 'c: *x', 'd: &x {k: 3}'), path: ['c', 'k'], depth: 2, key: '2:8' },
  { name: 'merge, single source', merge: true, text: lines('d: &d', '  x: 1', 'e:', '  <<: *d', '  y: 2'), path: ['e', 'x'], depth: 2, key: '2:3', value: '2:6' },
  { name: 'merge, explicit key of the mapping', merge: true, text: lines('d: &d', '  x: 1', 'e:', '  <<: *d', '  y: 2'), path: ['e', 'y'], depth: 2, key: '5:3' },
  { name: 'merge, list of sources: first', merge: true, text: lines('a: &a {x: 1}', 'b: &b {x: 2, y: 3}', 'c:', '  <<: [*a, *b]'), path: ['c', 'x'], depth: 2, key: '1:8' },
  { name: 'merge, list of sources: a key only the later one has', merge: true, text: lines('a: &a {x: 1}', 'b: &b {x: 2, y: 3}', 'c:', '  <<: [*a, *b]'), path: ['c', 'y'], depth: 2, key: '2:14' },
  { name: 'merge, two merge keys: the earlier wins', merge: true, text: lines('a: &a {x: 1}', 'b: &b {x: 2, y: 3}', 'c:', '  <<: *b', '  <<: *a'), path: ['c', 'x'], depth: 2, key: '2:8' },
  { name: 'merge, an explicit key after the merge wins', merge: true, text: lines('d: &d {x: 1}', 'e:', '  <<: *d', '  x: 2'), path: ['e', 'x'], depth: 2, key: '4:3', source: '2' },
  { name: 'merge, an explicit key before the merge wins', merge: true, text: lines('d: &d {x: 1}', 'e:', '  x: 2', '  <<: *d'), path: ['e', 'x'], depth: 2, key: '3:3', source: '2' },
  { name: 'merge, a merge source that merges', merge: true, text: lines('a: &a {x: 1}', 'b: &b', '  <<: *a', '  y: 2', 'c:', '  <<: *b'), path: ['c', 'x'], depth: 2, key: '1:8' },
  { name: 'merge, an inline mapping as the source', merge: true, text: lines('c:', '  <<: {x: 1}'), path: ['c', 'x'], depth: 2, key: '2:8' },
  { name: 'merge, deeper keys under a merged key', merge: true, text: lines('d: &d', '  env:', '    A: 1', 's:', '  <<: *d'), path: ['s', 'env', 'A'], depth: 3, key: '3:5' },
  { name: 'merge, a missing key under a merge', merge: true, text: lines('d: &d {x: 1}', 'e:', '  <<: *d'), path: ['e', 'z'], depth: 1, key: '2:1' },
  { name: 'plain YAML 1.2: << is an ordinary key', text: lines('d: &d {x: 1}', 'e:', '  <<: *d'), path: ['e', 'x'], depth: 1, key: '2:1' },
  { name: 'plain YAML 1.2: a path through the << key', text: lines('d: &d {x: 1}', 'e:', '  <<: *d'), path: ['e', '<<', 'x'], depth: 3, key: '1:8' },
  { name: 'quoted "<<" is an ordinary key even with merge', merge: true, text: lines('d: &d {x: 1}', 'e:', '  "<<": *d'), path: ['e', 'x'], depth: 1, key: '2:1' },
  { name: 'merge cycle: keys written in the mapping are found', merge: true, text: lines('a: &a', '  <<: *a', '  q: 1'), path: ['a', 'q'], depth: 2, key: '3:3' },
  { name: 'merge cycle: a missing key ends', merge: true, text: lines('a: &a', '  <<: *a', '  q: 1'), path: ['a', 'z'], depth: 1, key: '1:1' },
  { name: 'self-referencing alias: a long path ends', text: lines('a: &a', '  b: *a'), path: ['a', 'b', 'b', 'b', 'b', 'c'], depth: 5, key: '2:3' },
];

function positions(text: string, merge: boolean): { doc: Document; at: (offset: number | undefined) => string } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge, uniqueKeys: true, prettyErrors: false });
  expect(doc.errors).toEqual([]);
  return {
    doc,
    at: (offset) => {
      if (offset === undefined) return '-';
      const p = lineCounter.linePos(offset);
      return `${p.line}:${p.col}`;
    },
  };
}

/** The value at `path` in `doc.toJS()`, to check that the walker finds what toJS made. */
function valueAt(value: unknown, path: YamlPath): unknown {
  let v = value;
  for (const seg of path) v = (v as Record<string | number, unknown> | undefined)?.[seg];
  return v;
}

describe('yamlWalker', () => {
  it.each(cases)('$name', (c) => {
    const { doc, at } = positions(c.text, c.merge ?? false);
    const walker = yamlWalker(doc);
    const steps = walker.walk(c.path);
    expect(steps.length).toBe(c.depth);
    const last = steps.at(-1);
    if (c.key !== undefined) expect(at(last?.keyOffset)).toBe(c.key);
    if (c.value !== undefined) expect(at(last?.valueOffset)).toBe(c.value);
    expect(at(walker.keyOffsetOf(c.path))).toBe(c.key ?? '1:1');
    if (c.source !== undefined) expect(isScalar(last?.node) ? last.node.source : undefined).toBe(c.source);
    // Where the walker found a whole path, it found the node toJS turned into the value there.
    if (steps.length === c.path.length && !c.name.includes('cycle') && !c.name.includes('self-referencing')) {
      expect(last?.node ? (last.node.toJS(doc) as unknown) : null).toEqual(valueAt(doc.toJS(), c.path));
    }
  });

  // Mappings of more than 16 keys are indexed rather than scanned; the answers must not change.
  const filler = Array.from({ length: 20 }, (_, i) => `  f${i}: ${i}`);
  it.each([
    { name: 'a merged key', text: lines('a: &a {x: 1}', 'b: &b {x: 2, y: 3}', 'c:', '  <<: [*a, *b]', ...filler), path: ['c', 'y'], key: '2:14' },
    { name: 'merge list precedence', text: lines('a: &a {x: 1}', 'b: &b {x: 2, y: 3}', 'c:', '  <<: [*a, *b]', ...filler), path: ['c', 'x'], key: '1:8' },
    { name: 'an explicit key after the merge wins', text: lines('a: &a {x: 1}', 'c:', '  <<: *a', ...filler, '  x: 2'), path: ['c', 'x'], key: '24:3' },
    { name: 'an explicit key before the merge wins', text: lines('a: &a {x: 1}', 'c:', '  x: 2', ...filler, '  <<: *a'), path: ['c', 'x'], key: '3:3' },
    { name: 'a key of a big merge source', text: lines('a: &a', ...filler, 'c:', '  <<: *a'), path: ['c', 'f19'], key: '21:3' },
    { name: 'a merge cycle', text: lines('a: &a', '  <<: *a', ...filler), path: ['a', 'f3'], key: '6:3' },
  ])('big mapping: $name', (c) => {
    const { doc, at } = positions(c.text, true);
    expect(at(yamlWalker(doc).keyOffsetOf(c.path))).toBe(c.key);
  });

  it('an empty path is the document start', () => {
    const { doc, at } = positions('\n\na: 1\n', false);
    expect(yamlWalker(doc).walk([])).toEqual([]);
    expect(at(yamlWalker(doc).keyOffsetOf([]))).toBe('3:1');
  });

  it('an empty document: offset 0', () => {
    const { doc } = positions('# nothing\n', false);
    expect(yamlWalker(doc).keyOffsetOf(['a'])).toBe(0);
  });
});

/**
 * Counts every read of an item of every collection in `doc` (the walker's only way into the
 * tree, and `visit`'s): how much of the document the lookups touch.
 */
function countItemReads(doc: Document): { reads: () => number } {
  let n = 0;
  visit(doc, {
    Node: (_key, node) => {
      if (!isCollection(node)) return;
      node.items = new Proxy(node.items, {
        get(target, prop, receiver) {
          if (typeof prop === 'string' && /^\d+$/.test(prop)) n++;
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
    },
  });
  return { reads: () => n };
}

describe('yamlWalker cost', () => {
  // Linear: N lookups in one mapping of N keys read each item a small constant number of times.
  // A lookup that scanned the mapping (the walkers this one replaced) reads ~N²/2 items.
  it('many lookups in one big mapping stay linear', () => {
    const n = 2000;
    const text = `data:\n${Array.from({ length: n }, (_, i) => `  k${i}: v${i}\n`).join('')}`;
    const { doc } = positions(text, false);
    const counter = countItemReads(doc);
    const walker = yamlWalker(doc);
    for (let i = n - 1; i >= 0; i--) expect(walker.walk(['data', `k${i}`])).toHaveLength(2);
    expect(counter.reads()).toBeLessThan(4 * n);
  });

  // Each alias resolved through `Alias.resolve(doc)` visits the whole document; the walker
  // resolves all aliases from one visit.
  it('many lookups through aliases and merge keys stay linear', () => {
    const n = 500;
    const services = Array.from({ length: n }, (_, i) => `  s${i}:\n    <<: *d\n    env: *e\n`).join('');
    const text = `x: &d\n  image: a\n  imag: b\ny: &e {A: '1'}\nservices:\n${services}`;
    const { doc } = positions(text, true);
    const counter = countItemReads(doc);
    const walker = yamlWalker(doc);
    for (let i = 0; i < n; i++) {
      expect(walker.walk(['services', `s${i}`, 'imag'])).toHaveLength(3);
      expect(walker.walk(['services', `s${i}`, 'env', 'A'])).toHaveLength(4);
    }
    // The document has ~8 item slots per service; one visit plus one index per mapping.
    expect(counter.reads()).toBeLessThan(40 * n);
  });
});
