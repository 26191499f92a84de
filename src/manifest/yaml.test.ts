import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseDocument } from 'yaml';
import { parseYamlStream, YAML_LIMITS } from './yaml.ts';

/** The problems of parsing `text` as `line:col message`, with expected and hint (both must be there). */
function problemsOf(text: string, options: { merge?: boolean; single?: boolean } = {}): { at: string; message: string }[] {
  const s = parseYamlStream(text, 'f.yaml', options);
  const all = [...s.problems, ...s.docs.flatMap((d) => d.problems)];
  for (const p of all) {
    expect(p.kind).toBe('input');
    expect(p.expected, p.message).toBeTruthy();
    expect(p.hint, p.message).toBeTruthy();
    expect(p.position?.file).toBe('f.yaml');
  }
  return all.map((p) => ({ at: `${p.position?.line}:${p.position?.col}`, message: p.message }));
}

const valuesOf = (text: string, merge = false): unknown[] => parseYamlStream(text, 'f.yaml', { merge }).docs.map((d) => d.value);

const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const blockNested = (levels: number): string => Array.from({ length: levels }, (_, i) => `${'  '.repeat(i)}k:`).join('\n');
/** An anchored list of `size - 1` scalars (`size` nodes) and `uses` aliases of it. */
const aliasUses = (size: number, uses: number): string => `a: &a [${Array.from({ length: size - 1 }, () => 'x').join(', ')}]\nb:\n${'  - *a\n'.repeat(uses)}`;
const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n');

describe('parseYamlStream: hostile input is a positioned input problem', () => {
  it.each([
    // issue 14: "Excessive alias count", exit 1, no position
    { name: 'alias bomb', text: bomb, at: '6:36', message: /aliases expand to more than 1,000,000 nodes/ },
    { name: 'alias expansion one node over the bound', text: aliasUses(1000, 1001), at: '1003:5', message: /more than 1,000,000 nodes/ },
    { name: 'alias budget shared by the documents of a file', text: `${aliasUses(1000, 600)}---\n${aliasUses(1000, 600)}`, at: '1006:5', message: /more than 1,000,000 nodes/ },
    // "Maximum call stack size exceeded"
    { name: 'alias inside its own list', text: 'x: &c [x, *c]', at: '1:11', message: /alias \*c is inside the node it names/ },
    { name: 'alias inside its own mapping', text: 'a: &a\n  b: *a\n', at: '2:6', message: /alias \*a is inside the node it names/ },
    { name: 'alias inside its own merge', text: 'a: &a\n  <<: *a\n', merge: true, at: '2:7', message: /alias \*a is inside the node it names/ },
    // nesting: a stack overflow at ~775 levels (the root mapping `x:` is level 1)
    { name: 'flow nesting over the limit', text: `x: ${nested(YAML_LIMITS.maxDepth + 1)}`, at: `1:${YAML_LIMITS.maxDepth + 3}`, message: /nesting deeper than 256 levels/ },
    { name: 'flow nesting far over the limit', text: `x: ${nested(5000)}`, at: `1:${YAML_LIMITS.maxDepth + 3}`, message: /nesting deeper than 256 levels/ },
    { name: 'block nesting over the limit', text: blockNested(YAML_LIMITS.maxDepth + 1), at: `${YAML_LIMITS.maxDepth + 1}:${2 * YAML_LIMITS.maxDepth + 1}`, message: /nesting deeper/ },
    // Found by the fuzz suite: after a tab-indented key each line nests one level deeper, and the
    // dedent that closes them all overflowed the parser's own stack before any depth check ran.
    { name: 'a tab-indented key, 3,000 lines nesting deeper, then a dedent', text: `x:\n  \tk0: v\n${Array.from({ length: 3000 }, (_, i) => `    k${i + 1}: v`).join('\n')}\ny: 1\n`, at: '256:11', message: /nesting deeper than 256 levels/ },
    { name: 'compact block sequences over the limit', text: `${'- '.repeat(YAML_LIMITS.maxDepth + 1)}x`, at: `1:${2 * YAML_LIMITS.maxDepth + 1}`, message: /nesting deeper/ },
    // merge key with a non-map value: a library message, exit 1, no position
    { name: 'merge of a scalar', text: 'x:\n  <<: 5\n', merge: true, at: '2:7', message: /merge key .* not a mapping/ },
    { name: 'merge of an aliased scalar', text: 'v: &v 5\nx:\n  <<: *v\n', merge: true, at: '3:7', message: /merge key .* not a mapping/ },
    { name: 'merge of a list with a scalar in it', text: 'a: &a {k: 1}\nx:\n  <<: [*a, 5]\n', merge: true, at: '3:12', message: /merge key .* not a mapping/ },
    { name: 'merge of an aliased list of lists', text: 'l: &l [[1]]\nx:\n  <<: *l\n', merge: true, at: '3:7', message: /merge key .* not a mapping/ },
    // collection keys: "Keys with collection values will be stringified" on stderr
    { name: 'flow mapping key', text: '{a: 1}: b\n', at: '1:1', message: /a mapping used as a key/ },
    { name: 'explicit list key', text: '? [a, b]\n: 1\n', at: '1:3', message: /a list used as a key/ },
    { name: 'flow list key inside a flow mapping', text: 'x: {[a]: b}\n', at: '1:5', message: /a list used as a key/ },
    { name: 'alias of a mapping as a key', text: 'a: &m {k: 1}\n? *m\n: v\n', at: '2:3', message: /a mapping used as a key/ },
    // duplicates (checked here, in linear time, not by the library)
    { name: 'duplicate key', text: 'a: 1\nb: 2\na: 3\n', at: '3:1', message: /duplicate key "a"/ },
    { name: 'duplicate key in a flow mapping', text: 'x: {a: 1, a: 2}\n', at: '1:11', message: /duplicate key "a"/ },
    { name: 'int and string keys that become one JSON key', text: '1: a\n"1": b\n', at: '2:1', message: /duplicate key "1"/ },
    { name: 'two null keys', text: '~: a\nnull: b\n', at: '2:1', message: /duplicate key ""/ },
    // a spec or compose file holds one document: not the library's "please use YAML.parseAllDocuments()"
    { name: 'second document in a one-document file', text: 'a: 1\n---\nb: 2\n', single: true, at: '2:1', message: /a second YAML document/ },
  ])('$name', ({ text, merge, single, at, message }) => {
    const found = problemsOf(text, { merge: merge === true, single: single === true });
    expect(found.length, JSON.stringify(found)).toBeGreaterThan(0);
    expect(found[0]?.message).toMatch(message);
    expect(found[0]?.at).toBe(at);
  });

  it('reports at most maxProblems per file, the last one counting the rest', () => {
    const text = `${Array.from({ length: 200 }, () => 'a: 1').join('\n')}\n`;
    const found = problemsOf(text);
    expect(found).toHaveLength(YAML_LIMITS.maxProblems);
    expect(found.at(-1)?.message).toBe(`${200 - 1 - (YAML_LIMITS.maxProblems - 1)} more problem(s) in this file, starting here`);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints no warnings of its own (the library logs to process.emitWarning)', () => {
    // eslint-disable-next-line no-restricted-globals -- watches the channel the library warns on
    const warn = vi.spyOn(process, 'emitWarning');
    for (const text of ['{a: 1}: b\n', '? [a]\n: b\n', 'a: !unknown 1\n', '%YAML 1.1\n---\na: 1\n', 'a: 1\n---\nb: 2\n']) parseYamlStream(text, 'f.yaml', { single: true, merge: true });
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('parseYamlStream: what it accepts has the value yaml gives', () => {
  /** `yaml`'s own toJS (alias checks off), the reference for everything accepted. */
  const reference = (text: string, merge: boolean): unknown => parseDocument(text, { merge, uniqueKeys: false }).toJS({ maxAliasCount: -1 });

  it.each([
    { name: 'one anchor used 1,001 times (a real spec did this)', text: `v: &v hello\nlabels:\n${Array.from({ length: 1001 }, (_, i) => `  k${i}: *v\n`).join('')}` },
    { name: 'alias expansion exactly at the bound', text: aliasUses(1000, 999) },
    { name: 'nesting exactly at the limit (flow)', text: `x: ${nested(YAML_LIMITS.maxDepth - 1)}` },
    { name: 'nesting exactly at the limit (block)', text: blockNested(YAML_LIMITS.maxDepth) },
    { name: 'aliased mapping shared', text: 'a: &a {x: 1, y: [1, 2]}\nb: *a\nc: [*a, *a]\n' },
    { name: 'anchor redefined: the last one before the alias', text: 'a: &x 1\nb: *x\nc: &x 2\nd: *x\n' },
    { name: 'anchored key', text: '&k key: 1\nother: *k\n' },
    { name: 'alias of a scalar as a key', text: 'a: &k name\n*k : 1\n' },
    { name: 'keys stringified as toJS does', text: '1: a\n1.0e3: b\ntrue: c\n~: d\n0x1F: e\n.inf: f\n' },
    { name: 'Object.prototype names are own keys', text: '__proto__: p\ntoString: t\nconstructor: c\nhasOwnProperty: h\n' },
    { name: 'merge keys: written keys win, earlier sources win', text: 'a: &a {x: a, y: a}\nb: &b {y: b, z: b}\nm:\n  x: written\n  <<: [*a, *b]\n  z: later\n', merge: true },
    { name: 'merge key first, written key after it wins', text: 'a: &a {x: a, y: a}\nm:\n  <<: *a\n  x: written\n', merge: true },
    { name: 'merge of an inline mapping and a list of inline mappings', text: 'm:\n  <<: {x: 1}\nn:\n  <<: [{x: 1}, {x: 2, y: 2}]\n', merge: true },
    { name: 'merge source with its own merge', text: 'a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\n', merge: true },
    { name: 'merge of an aliased list of mappings', text: 'a: &a {x: 1}\nb: &b {y: 2}\nl: &l [*a, *b]\nc: {<<: *l}\n', merge: true },
    { name: 'quoted << is a plain key', text: '"<<": {x: 1}\n', merge: true },
    { name: '<< without merge keys is a plain key', text: '<<: {x: 1}\n' },
    { name: 'empty values and documents', text: 'a:\nb: []\nc: {}\nd: ""\n' },
    { name: 'lone CRs are line breaks', text: 'a: 1\rb:\r  - x\r  - "y\r    z"\rc: |\r  l1\r  l2\r' },
  ])('$name', ({ text, merge }) => {
    const m = merge === true;
    expect(problemsOf(text, { merge: m })).toEqual([]);
    expect(valuesOf(text, m)).toStrictEqual([reference(text.replace(/\r(?!\n)/g, '\n'), m)]);
  });

  it('a lone-CR file reads like its LF twin (the library alone reads it as one comment line)', () => {
    const lf = '# header\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n';
    expect(valuesOf(lf.replace(/\n/g, '\r'))).toStrictEqual(valuesOf(lf));
    expect(valuesOf(lf)).toStrictEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }]);
  });

  it('an aliased collection is one shared object, as with toJS', () => {
    const [v] = valuesOf('a: &a {x: 1}\nb: *a\n') as [{ a: unknown; b: unknown }];
    expect(v.b).toBe(v.a);
  });
});

describe('parseYamlStream: time linear in the keys of one mapping', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // `yaml`'s own duplicate-key check runs `items.some(...)` over the mapping for every key: n²/2
  // comparisons (80k keys took minutes). Counting the predicate calls of Array.prototype.some
  // during a parse finds that step without timing anything.
  it('no step compares each key with the keys before it', () => {
    const some = Array.prototype.some;
    let calls = 0;
    vi.spyOn(Array.prototype, 'some').mockImplementation(function (this: unknown[], predicate, thisArg) {
      return some.call(this, (...args: [unknown, number, unknown[]]) => {
        calls++;
        return predicate.apply(thisArg, args) as boolean;
      });
    });
    const count = (n: number): number => {
      calls = 0;
      const text = `labels: &l {a: b}\ndata:\n${Array.from({ length: n }, (_, i) => `  k${i}: v${i}\n`).join('')}`;
      const s = parseYamlStream(text, 'f.yaml', { merge: true });
      expect(s.docs[0]?.problems).toEqual([]);
      return calls;
    };
    const small = count(1000);
    const large = count(4000);
    // Linear: 4x the keys, at most ~4x the comparisons (plus a constant); quadratic would be 16x.
    expect(large).toBeLessThanOrEqual(4 * small + 100);
  });
});
