/* eslint-disable no-restricted-imports -- the test reads the repository's YAML corpus from disk; the parser under test stays pure */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputErrors } from '../errors/index.ts';
import { parseManifests, parseManifestsFull, usesFastPath } from './parse.ts';
import type { FieldPath, ParsedManifest } from './types.ts';

// parseManifests takes values from js-yaml and positions lazily from `yaml`; parseManifestsFull
// is the `yaml`-only path it falls back to. Everything here checks that the two cannot be told
// apart: same objects (strict deep equality, so -0/0, NaN and key order count), same document
// indexes, same positions, same errors.

const head = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n';
/** A ConfigMap whose `v` field holds `scalar` as written. */
const withValue = (scalar: string): string => `${head}v: ${scalar}\n`;

/** Every path to a leaf or container in `value`, parents first. */
function pathsOf(value: unknown, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

const shape = (ms: readonly ParsedManifest[]): unknown[] => ms.map((m) => ({ object: m.object, file: m.file, index: m.index }));

/** Same objects, indexes and (for up to `sample` paths per document, plus a missing one) positions. */
function expectSame(text: string, file: string, sample = 40): void {
  const full = parseManifestsFull(text, file);
  const fast = parseManifests(text, file);
  expect(shape(fast)).toStrictEqual(shape(full));
  fast.forEach((m, i) => {
    const paths = pathsOf(m.object);
    const step = Math.max(1, Math.floor(paths.length / sample));
    const picked = [...paths.filter((_, j) => j % step === 0), ['spec', 'no', 'such', 'field']];
    for (const p of picked) expect(m.positionOf(p), `${file} doc ${i} ${p.join('.')}`).toStrictEqual(full[i]?.positionOf(p));
  });
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectSameError(text: string, file: string): void {
  const full = thrown(() => parseManifestsFull(text, file));
  const fast = thrown(() => parseManifests(text, file));
  expect(full).toBeInstanceOf(InputErrors);
  expect(fast).toBeInstanceOf(InputErrors);
  const view = (e: unknown): unknown => (e as InputErrors).problems.map((p) => ({ message: p.message, position: p.position, hint: p.hint }));
  expect(view(fast)).toStrictEqual(view(full));
  expect((fast as Error).message).toBe((full as Error).message);
}

describe('parseManifests: scalars resolve as with the yaml core schema', () => {
  const scalars = [
    // YAML 1.1 booleans and numbers are strings in 1.2 core
    'on', 'off', 'yes', 'no', 'y', 'n', 'On', 'YES', '1_000', '0b101', '017', '0017', '12:30', '1:20:30', '2001-12-14', '2001-12-14T21:59:43.10-05:00',
    // core ints and floats, signs, zeros
    '0o17', '0x1F', '0X1F', '0x1f', '0o8', '0x', '+1', '-1', '+0', '-0', '0', '00', '-0.0', '0.0', '1.0', '1.10', '5.', '.5', '-.5', '+.5e2',
    '1e3', '1E-3', '1.5e+3', '1e400', '-1e400', '12345678901234567890', '9'.repeat(400), '-' + '9'.repeat(400), '1.2.3', '1e', 'e3', '0o-1', '-0x1F',
    // special floats
    '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '.NAN', '-.nan', '.Nan', 'inf', 'nan',
    // nulls and booleans
    '~', 'null', 'Null', 'NULL', 'nUll', '', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE',
    // quoted variants stay strings
    "'on'", '"yes"', '"0x1F"', "'1e3'", '"~"', "''", '""', "'null'", '"12:30"', "'it''s'", '"tab\\tnew\\nline \\u00e9 \\x41 \\"q\\""', '"a\\\n  b"',
    // plain text oddities
    'a:b', 'a #comment', 'a#b', 'http://x/y?z=1&w=2#frag', '-a', '.a', '+a', '--', 'é ü 日本', 'a\tb', '"x: y"', "'# not a comment'",
    // flow collections
    '{a: 1, b: [1, 2.5, ~, "s", yes]}', '[a, b, ]', '{}', '[]', '[{a: 1}, [2]]', '{ "k": v , k2: }',
  ];
  it.each(scalars)('v: %s', (scalar) => {
    const text = withValue(scalar);
    expect(usesFastPath(text)).toBe(true);
    expectSame(text, 's.yaml');
  });
});

describe('parseManifests: documents and scalar styles', () => {
  const cases: { name: string; text: string; fast: boolean }[] = [
    ...['|', '|-', '|+', '>', '>-', '>+', '|2', '>2-', '|+2'].map((ind) => ({
      name: `block scalar ${ind}`,
      text: `${head}data:\n  s: ${ind}\n    line one\n      more indented\n\n    line two\n\n\n  t: after\n`,
      fast: true,
    })),
    ...['|', '|-', '|+', '>', '>-', '>+'].map((ind) => ({ name: `block scalar ${ind} at end of stream`, text: `${head}data:\n  s: ${ind}\n    last\n\n\n`, fast: true })),
    { name: 'block scalar with comment after indicator', text: `${head}data:\n  s: |- # note\n    body\n`, fast: true },
    { name: 'multi-line plain scalar', text: `${head}data:\n  s: first\n    second\n\n    third\n  t: x\n`, fast: true },
    { name: 'multi-line double-quoted', text: `${head}data:\n  s: "first\n    second\n\n    third \\\n    fourth"\n`, fast: true },
    { name: 'multi-line single-quoted', text: `${head}data:\n  s: 'first\n    second\n\n    third'\n`, fast: true },
    { name: 'multi-line flow', text: `${head}data: {\n  a: 1,\n  b: [x,\n    y],\n  c: "z"\n }\n`, fast: true },
    { name: 'flow end at column 1 (js-yaml: deficient indentation)', text: `${head}data: {\n  a: 1\n}\n`, fast: false },
    { name: 'comments everywhere', text: `# top\n${head}# between\ndata: # after key\n  a: 1 # trailing\n  # own line\n  b: 2\n# end\n`, fast: true },
    { name: 'BOM', text: `\uFEFF${head}data:\n  a: 1\n`, fast: true },
    { name: 'BOM and second document', text: `\uFEFF${head}---\n${head}`, fast: true },
    { name: 'CRLF line endings', text: `${head}data:\n  s: |\n    a\n    b\n  p: x\n    y\n  q: "m\n    n"\n`.replace(/\n/g, '\r\n'), fast: true },
    { name: 'separators and empty documents', text: `---\n---\n${head}---\n\n---\n# only a comment\n---\n${head}---\n${head}---\n`, fast: true },
    { name: 'CRLF separators and empty documents', text: `---\r\n---\r\n${head}---\r\n\r\n---\r\n${head}`.replace(/(?<!\r)\n/g, '\r\n'), fast: true },
    { name: 'text that only looks like markers', text: `${head}data:\n  a: ...x\n  b: ---x\n  c: "x\n    ...\n    ---"\n`, fast: true },
    // `yaml` opens an empty document for a `...` after no content, js-yaml does not
    { name: 'document end markers', text: `${head}...\n# after end\n---\n${head}...\n`, fast: false },
    { name: 'repeated document end markers', text: `${head}...\n...\n${head}`, fast: false },
    { name: 'document end marker first', text: `...\n${head}`, fast: false },
    // `yaml` rejects a tab-only line in an empty document
    { name: 'tab-only line after a separator', text: `${head}---\n\t\n`, fast: false },
    { name: 'tab-only line in a document', text: `${head}\t\ndata: {}\n`, fast: false },
    { name: 'tab after indentation in a block scalar', text: `${head}data:\n  make: |\n    all:\n    \techo hi\n`, fast: false },
    { name: 'tab inside a line', text: `${head}data:\n  a: x\ty\n  b: "\t"\n`, fast: true },
    // a CR without LF is a line break in YAML (read as LF before either parser sees it)
    { name: 'lone CR line breaks', text: `# header\r${head}data:\r  a: x\r  b: |\r    y\r    z\r`.replace(/\n/g, '\r'), fast: true },
    { name: 'lone CRs and CRLFs mixed', text: `${head}data:\r\n  a: x\r  b: "y\r    z"\r`, fast: true },
    { name: 'separator with comment', text: `--- # first\n${head}--- # second\n${head}`, fast: true },
    { name: 'leading comment then separator', text: `# header\n---\n${head}`, fast: true },
    { name: 'null document', text: `null\n---\n~\n---\n${head}`, fast: true },
    { name: 'List flattened', text: `---\napiVersion: v1\nkind: List\nitems:\n  - ${head.trimEnd().replace(/\n/g, '\n    ')}\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: s}\n`, fast: true },
    { name: 'empty List', text: 'apiVersion: v1\nkind: List\nitems: []\n', fast: true },
    { name: 'a kind ending in List without items is an object', text: 'apiVersion: x.io/v1\nkind: AllowList\nmetadata: {name: a}\nspec: {}\n', fast: true },
    { name: 'ConfigMapList', text: `apiVersion: v1\nkind: ConfigMapList\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}]\n`, fast: true },
    { name: 'JSON', text: `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1", "n": 1.5e3, "z": null}}`, fast: true },
    { name: 'keys named like Object.prototype', text: `${head}data:\n  __proto__: p\n  toString: t\n  constructor: c\n  hasOwnProperty: h\n`, fast: true },
    { name: 'quoted keys that look like other types', text: `${head}data:\n  "1": a\n  'true': b\n  "null": c\n  "": d\n`, fast: true },
    { name: 'quoted merge key', text: `${head}data:\n  "<<": e\n`, fast: false },
    { name: 'long keys under the limit', text: `${head}data:\n  ${'k'.repeat(990)}: 1\n  "${'q'.repeat(990)}": 2\n  v: ${'x'.repeat(5000)}\n`, fast: true },
    { name: 'long key near the limit', text: `${head}data:\n  ${'k'.repeat(1010)}: 1\n`, fast: false },
    { name: 'null byte in a string', text: `${head}data:\n  a: "\u0000"\n`, fast: false },
    { name: 'deep nesting and sequences', text: `${head}spec:\n  - - a\n    - - b\n  - {x: [1, {y: z}]}\n  -\n  - - \n`, fast: true },
    { name: 'empty values', text: `${head}data:\n  a:\n  b: \n  c: ""\nlist:\n  -\n  - ~\n`, fast: true },
    { name: 'no trailing newline', text: head.trimEnd(), fast: true },
    { name: 'indentation with compact sequences', text: `${head}items:\n- a\n- b:\n    c\n- - d\n`, fast: true },
    // fallbacks: identical by construction, but must not break anything
    { name: 'anchor and alias', text: `${head}data: &d\n  a: 1\nmore: *d\n`, fast: false },
    { name: 'anchor only', text: `${head}data: &d {a: 1}\n`, fast: false },
    { name: 'explicit tag', text: `${head}data:\n  a: !!str 1\n`, fast: false },
    { name: 'non-specific tag', text: `${head}data:\n  a: ! 1\n`, fast: false },
    { name: 'local tag', text: `${head}data:\n  a: !x 1\n`, fast: false },
    { name: 'YAML 1.1 directive', text: `%YAML 1.1\n---\n${head}data:\n  a: on\n`, fast: false },
    { name: 'explicit key', text: `${head}data:\n  ? a\n  : 1\n`, fast: false },
    { name: 'int key', text: `${head}data:\n  1: a\n`, fast: false },
    { name: 'float key', text: `${head}data:\n  1.0: a\n`, fast: false },
    { name: 'null key', text: `${head}data:\n  ~: a\n`, fast: false },
    { name: 'empty key', text: `${head}data: {: a}\n`, fast: false },
    { name: 'bool key', text: `${head}data:\n  true: a\n`, fast: false },
    { name: 'merge key', text: `${head}data:\n  <<: {a: 1}\n`, fast: false },
    { name: 'question mark in a value', text: `${head}data:\n  q: is it ? yes\n`, fast: false },
  ];
  it.each(cases)('$name', ({ text, fast }) => {
    expect(usesFastPath(text)).toBe(fast);
    expectSame(text, 'd.yaml');
  });
});

describe('parseManifests: errors are the yaml path errors', () => {
  const cases: { name: string; text: string }[] = [
    { name: 'duplicate key', text: `${head}data:\n  a: 1\n  a: 2\n` },
    { name: 'duplicate key, one quoted', text: `${head}data:\n  a: 1\n  "a": 2\n` },
    { name: 'duplicate top-level key', text: `${head}kind: Secret\n` },
    { name: 'tab indentation', text: `${head}data:\n\ta: 1\n` },
    { name: 'unclosed double quote', text: `${head}data:\n  a: "x\n` },
    { name: 'unclosed single quote', text: `${head}data:\n  a: 'x\n` },
    { name: 'unclosed flow sequence', text: `${head}data: [1, 2\n` },
    { name: 'unclosed flow map', text: `${head}data: {a: 1\n` },
    { name: 'nested compact mapping', text: `${head}data: a: b\n` },
    { name: 'bad indentation', text: `${head}data:\n    a: 1\n  b: 2\n` },
    { name: 'reserved @', text: `${head}data:\n  a: @x\n` },
    { name: 'reserved backtick', text: `${head}data:\n  a: \`x\n` },
    { name: 'bad escape', text: `${head}data:\n  a: "\\q"\n` },
    { name: 'multi-line implicit key', text: `${head}data:\n  "a\n  b": 1\n` },
    { name: 'implicit key over 1024 chars', text: `${head}data:\n  ${'k'.repeat(1100)}: 1\n` },
    // a BOM after the start is content to `yaml`, skipped by js-yaml
    { name: 'BOM before a later separator', text: `${head}\uFEFF---\n${head}` },
    { name: 'two null keys', text: `${head}data:\n  ~: a\n  null: b\n` },
    { name: 'implicit flow pair key over 1024 chars', text: `${head}data: [${'k'.repeat(1100)}: 1]\n` },
    { name: 'spaces before the colon over 1024', text: `${head}data:\n  k${' '.repeat(1100)}: 1\n` },
    { name: 'sequence where a map continues', text: `${head}data:\n  a: 1\n- b\n` },
    { name: 'text after quoted scalar', text: `${head}data:\n  a: "x" y\n` },
    { name: 'comment without space', text: `${head}data:\n  a: "x"#c\n` },
    { name: 'stray closing bracket', text: `${head}data: ]\n` },
    { name: 'not an object', text: '- 1\n- 2\n' },
    { name: 'scalar document', text: 'hello\n' },
    { name: 'missing kind', text: 'apiVersion: v1\nmetadata: {name: x}\n' },
    { name: 'metadata not a map', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: [x]\n' },
    { name: 'good document then bad one', text: `${head}---\n- 1\n---\n${head}data: [\n` },
    { name: 'error after an alias', text: `${head}data: &a {x: 1}\nb: *a\nc: [\n` },
    // a lone CR is a line break, so `y` is a key without a value
    { name: 'lone CR before a bare word', text: `${head}data:\n  a: x\ry\n` },
    // both become the JSON key "1": one value would be lost
    { name: 'int and string key, same text', text: `${head}data:\n  1: a\n  "1": b\n` },
    { name: 'flow map key', text: `${head}data:\n  {a: 1}: b\n` },
    { name: 'flow seq key', text: `${head}data: {[a]: b}\n` },
    { name: 'List item not an object', text: `apiVersion: v1\nkind: List\nitems:\n  - ${head.trimEnd().replace(/\n/g, '\n    ')}\n  - not an object\n` },
    { name: 'List items not a list', text: 'apiVersion: v1\nkind: List\nmetadata: {}\nitems: {}\n' },
    { name: 'List without items', text: 'apiVersion: v1\nkind: List\n' },
    { name: 'List inside a List', text: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n' },
    { name: 'nesting over the limit', text: `${head}data: ${'['.repeat(300)}${']'.repeat(300)}\n` },
  ];
  it.each(cases)('$name', ({ text }) => {
    expectSameError(text, 'e.yaml');
  });
});

describe('parseManifests: repository YAML', () => {
  const root = join(import.meta.dirname, '..', '..');
  const walk = (dir: string, keep: (path: string) => boolean): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return walk(path, keep);
      return e.name.endsWith('.yaml') && keep(path) ? [path] : [];
    });
  const files = [
    ...walk(join(root, 'src'), (p) => p.includes('/testdata/')),
    ...walk(join(root, 'test', 'lint-corpus'), () => true),
    ...walk(join(root, 'examples'), () => true),
  ].map((p) => relative(root, p));

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(files)('%s', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    if (thrown(() => parseManifestsFull(text, file)) === undefined) expectSame(text, file, 25);
    else expectSameError(text, file);
  });
});

describe('parseManifests: positions of a long stream, asked for in any order', () => {
  // The fast path keeps node trees of a few documents at a time (memory: issue 14, item 5) and
  // parses a document again from its own text when it is asked for after being dropped.
  const docs = Array.from({ length: 60 }, (_, i) =>
    i % 3 === 0
      ? `# doc ${i}\n${head.replace('name: x', `name: x${i}`)}data:\n  k${i}: v\n  nested: {a: [1, {b: ${i}}]}\n`
      : i % 3 === 1
        ? `${head.replace('name: x', `name: "x${i}"`)}spec:\n    deep:\n      - a: 1\n      -   b: 2\n`
        : `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j${i}"}, "data": {"k": "v"}}\n`,
  );
  const text = `${docs.join('---\n')}---\n\n--- # trailing\n${head}`;

  it('match the full path, forwards, backwards and at random', () => {
    expect(usesFastPath(text)).toBe(true);
    const full = parseManifestsFull(text, 'f.yaml');
    const fast = parseManifests(text, 'f.yaml');
    expect(fast).toHaveLength(full.length);
    const order = [...fast.keys(), ...[...fast.keys()].reverse(), ...[...fast.keys()].map((i) => (i * 37) % fast.length)];
    for (const i of order) {
      for (const p of pathsOf(fast[i]?.object)) expect(fast[i]?.positionOf(p), `doc ${i} ${p.join('.')}`).toStrictEqual(full[i]?.positionOf(p));
    }
  });
});
