/**
 * The fuzz suite's inputs (src/cli/fuzz.test.ts): a seeded PRNG, structure-aware mutations of
 * parsed YAML (specs, compose files, manifests) and byte-level damage of the text. Everything
 * here is a pure function of the seed, so a failing case is reproduced by its seed alone.
 */
import { Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';

/** sfc32: a small, fast PRNG with a 128-bit state (https://pracrand.sourceforge.net/RNG_engines.txt). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 2 ** 32) * n);
  }

  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/** The seed of case `index` of a run seeded with `seed` (a run's cases are independent of each other). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Scalars written as they are (not quoted by the YAML writer): numbers at and past the limits, YAML 1.1 look-alikes, tags. */
const RAW_SCALARS = [
  '0', '-1', '1', '2147483647', '2147483648', '-2147483649', '9007199254740993', '1e300', '1e400', '-1e400', '.inf', '-.inf', '.nan', '0x7fffffff', '0o777', '0777', '1_000',
  '~', 'null', 'true', 'false', 'yes', 'no', 'on', 'off', 'y', '12:30', '2024-01-01', '1.0', '"1.0"', "''", '""', '" "', '"\\0"', '"\\t"', '"\\u202e"', '"\\ud800"', '!!binary aGVsbG8=', '!!str 5',
  '!custom x', '!!int "x"', '!!map {}', '[]', '{}', '[[]]', '{a: {b: {c: {}}}}', '[1, [2, [3]]]', '"${HOME}"', '${UNSET:?must be set}', '"$$"', '"${"', '*nosuchalias', '&anchor x', '|\n  block\n',
  '>-\n  folded\n', '"../../../../../../etc/hostname"', '/proc/self/environ', '/dev/zero', '/dev/urandom', '/etc/passwd', '"./../outside.env"', '"."', '"/"', '""',
  '"1Ei"', '"100m"', '"-100m"', '"0.5"', '"1e3"', '"500Mi"', '"64MB"', '"1.5Gi"', '"9999999999999999999Ti"', '"nginx"', '":1.0"', '"nginx:"', '"@sha256:"', '"UPPER_case"', '"a b"', '"Bad Key!"',
  '"http://x"', '"-"', '"80:80:80"', '"65536"', '"0-65535"', '"1-2-3/udp"', '"127.0.0.1:5432:5432"', '"${APP_VERSION:-2.3.1}"',
];

/** Keys to add or to rename a key to. */
const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', '<<', 'Bad Key!', 'a/b/c', 'app.kubernetes.io/name', 'x'.repeat(300), '日本', '\u202e', 'null', '1', 'true', 'items', 'kind', 'apiVersion', 'metadata', 'dependsOn', 'envFile', 'env_file', 'extends', 'include', 'configs', 'secrets', 'profiles', 'replicas', 'image', 'ports', 'environments', 'services'];

/** The raw text that replaces each `FUZZRAWn` placeholder after writing. */
interface Raws {
  readonly list: string[];
}

function raw(raws: Raws, text: string): string {
  raws.list.push(text);
  return `FUZZRAW${raws.list.length - 1}X`;
}

/** A value to put somewhere: a raw scalar, a long string, a deep or wide collection. */
function interesting(rng: Rng, raws: Raws): unknown {
  switch (rng.int(8)) {
    case 0:
      return rng.pick(['x'.repeat(rng.pick([64, 254, 64_000])), 'é'.repeat(300), 'a\nb\n'.repeat(50), '\u0000\u0007\u001b[31m', '%s%n%x', '<script>', '..\\..\\windows']);
    case 1: {
      let v: unknown = rng.pick(['leaf', 1, null]);
      for (let i = rng.int(300); i > 0; i--) v = rng.chance(0.5) ? [v] : { k: v };
      return v;
    }
    case 2:
      return Array.from({ length: rng.pick([0, 1, 2, 100, 3000]) }, (_, i) => (rng.chance(0.5) ? `item-${i}` : { name: `n${i % 7}`, value: i }));
    case 3:
      return Object.fromEntries(Array.from({ length: rng.pick([0, 1, 50, 3000]) }, (_, i) => [`key${i}`, `v${i}`]));
    default:
      return raw(raws, rng.pick(RAW_SCALARS));
  }
}

interface Slot {
  readonly parent: Record<string, unknown> | unknown[];
  readonly key: string | number;
  readonly depth: number;
}

/** Every place in `value` a value sits (map entries and list items). */
function slots(value: unknown, depth = 0, out: Slot[] = []): Slot[] {
  if (depth > 40) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push({ parent: value, key: i, depth });
      slots(v, depth + 1, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push({ parent: value as Record<string, unknown>, key: k, depth });
      slots(v, depth + 1, out);
    }
  }
  return out;
}

function get(s: Slot): unknown {
  return Array.isArray(s.parent) ? s.parent[s.key as number] : s.parent[s.key as string];
}

function set(s: Slot, v: unknown): void {
  if (Array.isArray(s.parent)) s.parent[s.key as number] = v;
  else s.parent[s.key as string] = v;
}

function remove(s: Slot): void {
  if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
  else Reflect.deleteProperty(s.parent, s.key);
}

/** A deep copy (JSON data only). */
function copy(v: unknown): unknown {
  return v === undefined ? null : (JSON.parse(JSON.stringify(v)) as unknown);
}

/** A value of the same type as `v`, near it or at a limit. */
function tweak(rng: Rng, v: unknown): unknown {
  if (typeof v === 'number') return rng.pick([0, -1, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 53 + 2, 1e300, -0.5, 0.5, v * 1000, v + 1]);
  if (typeof v === 'string') return rng.pick([v.toUpperCase(), `${v}${v}`, v.slice(0, 1), `${v} x`, `${v}/..`, `${v}-${'x'.repeat(60)}`, `${v}.`, `-${v}`, `${v}\u00e9`, `${v}:`, '']);
  return typeof v === 'boolean' ? !v : v;
}

/** One structural change at a random slot; returns what it did. */
function mutateOnce(rng: Rng, root: unknown, raws: Raws, gentle: boolean): string {
  const all = slots(root);
  if (all.length === 0) return 'nothing to mutate';
  const s = rng.pick(all);
  const at = `${String(s.key)}@${s.depth}`;
  // Gentle: a value of the same type, or a list item repeated: the input often stays valid, so
  // the case reaches render and the linter instead of stopping at the schema.
  switch (gentle ? rng.pick([9, 9, 9, 7]) : rng.int(10)) {
    case 0:
      remove(s);
      return `delete ${at}`;
    case 1:
    case 2:
      set(s, interesting(rng, raws));
      return `replace ${at}`;
    case 3: {
      // A value of another kind: a map where a list was, a list for a scalar…
      const v = get(s);
      set(s, Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [`k${i}`, x])) : typeof v === 'object' && v !== null ? Object.values(v) : rng.chance(0.5) ? [v] : { value: v });
      return `retype ${at}`;
    }
    case 4: {
      if (Array.isArray(s.parent)) {
        const v = get(s);
        s.parent.push(...Array.from({ length: rng.pick([1, 2, 50]) }, () => copy(v)));
        return `repeat item ${at}`;
      }
      const k = rng.pick(KEYS);
      const entries = Object.entries(s.parent).map(([key, v]) => (key === s.key ? [k, v] : [key, v]));
      for (const key of Object.keys(s.parent)) Reflect.deleteProperty(s.parent, key);
      for (const [key, v] of entries) Object.defineProperty(s.parent, key as string, { value: v, enumerable: true, writable: true, configurable: true });
      return `rename ${at} to ${JSON.stringify(k.slice(0, 20))}`;
    }
    case 5: {
      const k = rng.pick(KEYS);
      const target = get(s);
      const into = typeof target === 'object' && target !== null && !Array.isArray(target) ? (target as Record<string, unknown>) : s.parent;
      if (Array.isArray(into)) into.push(interesting(rng, raws));
      else Object.defineProperty(into, k, { value: interesting(rng, raws), enumerable: true, writable: true, configurable: true });
      return `add key ${JSON.stringify(k.slice(0, 20))} near ${at}`;
    }
    case 6: {
      // Another slot's subtree here (a service where a port is, …).
      const other = rng.pick(all);
      set(s, copy(get(other)));
      return `graft ${String(other.key)} into ${at}`;
    }
    case 7: {
      // The same entry twice in a list, or a copy under a sibling name.
      const v = copy(get(s));
      if (Array.isArray(s.parent)) s.parent.push(v);
      else s.parent[`${String(s.key)}-copy`] = v;
      return `duplicate ${at}`;
    }
    case 8:
      set(s, raw(raws, rng.pick(RAW_SCALARS)));
      return `scalar ${at}`;
    default: {
      const v = get(s);
      set(s, tweak(rng, v));
      return `tweak ${at}`;
    }
  }
}

/** The text with 1–3 structural mutations, and what they were; undefined when the text does not parse as one YAML document. */
export function mutateStructure(rng: Rng, text: string): { text: string; what: string[] } | undefined {
  const doc = parseDocument(text, { merge: true, uniqueKeys: false });
  if (doc.errors.length > 0) return undefined;
  const root = doc.toJS({ maxAliasCount: -1 }) as unknown;
  const raws: Raws = { list: [] };
  const gentle = rng.chance(0.4);
  const what = Array.from({ length: 1 + rng.int(3) }, () => `${gentle ? 'gentle ' : ''}${mutateOnce(rng, root, raws, gentle)}`);
  const out = writeYaml(root, rng).replace(/(["']?)FUZZRAW(\d+)X\1/g, (_, _q: string, n: string) => raws.list[Number(n)] ?? '');
  return { text: out, what };
}

/** Multi-document text (manifests): each document mutated with probability 1/3 (at least one). */
export function mutateDocuments(rng: Rng, text: string): { text: string; what: string[] } | undefined {
  const docs = text.split(/^---[ \t]*$/m);
  const pickOne = rng.int(docs.length);
  const what: string[] = [];
  const out = docs.map((d, i) => {
    if (i !== pickOne && !rng.chance(1 / 3)) return d;
    const m = mutateStructure(rng, d);
    if (m === undefined) return d;
    what.push(...m.what.map((w) => `doc ${i}: ${w}`));
    return `\n${m.text}`;
  });
  return what.length === 0 ? undefined : { text: out.join('---'), what };
}

/** YAML text of a value, block or flow style, sometimes as JSON (JSON is YAML). */
function writeYaml(value: unknown, rng: Rng): string {
  if (rng.chance(0.1)) return `${JSON.stringify(value, null, rng.chance(0.5) ? 2 : undefined)}\n`;
  const doc = new Document(value);
  if (rng.chance(0.2)) {
    const flow = (n: unknown): void => {
      if (isMap(n) || isSeq(n)) {
        n.flow = rng.chance(0.5);
        for (const item of n.items) flow(isScalar(item) ? undefined : isMap(n) ? (item as { value: unknown }).value : item);
      }
    };
    flow(doc.contents);
  }
  return doc.toString({ lineWidth: 0 });
}

/** Byte-level damage: what a truncated download, a bad merge or an attacker does to a file. */
export function damageBytes(rng: Rng, text: string): { bytes: Buffer; what: string } {
  const b = Buffer.from(text);
  const lines = text.split('\n');
  const at = rng.int(b.length + 1);
  const lineAt = rng.int(lines.length);
  const spliceLines = (insert: string[], del = 0): string => [...lines.slice(0, lineAt), ...insert, ...lines.slice(lineAt + del)].join('\n');
  switch (rng.int(16)) {
    case 0:
      return { bytes: b.subarray(0, at), what: `truncate at byte ${at}` };
    case 1: {
      const junk = Buffer.from(Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)));
      return { bytes: Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]), what: `insert ${junk.length} random bytes at ${at}` };
    }
    case 2: {
      const c = Buffer.from(b);
      for (let i = 0; i < 1 + rng.int(8); i++) c[rng.int(c.length)] = rng.int(256);
      return { bytes: c, what: 'overwrite random bytes' };
    }
    case 3: {
      const n = 1 + rng.int(5);
      return { bytes: Buffer.from(spliceLines(lines.slice(lineAt, lineAt + n).concat(lines.slice(lineAt, lineAt + n)), n)), what: `duplicate ${n} line(s) at line ${lineAt + 1}` };
    }
    case 4:
      return { bytes: Buffer.from(spliceLines([], 1 + rng.int(3))), what: `delete lines at ${lineAt + 1}` };
    case 5: {
      const l = lines[lineAt] ?? '';
      const shifted = rng.chance(0.5) ? ` ${l}` : rng.chance(0.5) ? l.replace(/^ {1,2}/, '') : `\t${l}`;
      return { bytes: Buffer.from(spliceLines([shifted], 1)), what: `re-indent line ${lineAt + 1}` };
    }
    case 6:
      return rng.chance(0.5) ? { bytes: Buffer.from(text.replace(/\n/g, '\r\n')), what: 'CRLF line breaks' } : { bytes: Buffer.from(text.replace(/\n/g, '\r')), what: 'lone CR line breaks' };
    case 7:
      return rng.chance(0.5) ? { bytes: Buffer.from(`\uFEFF${text}`), what: 'BOM' } : { bytes: Buffer.concat([b.subarray(0, at), Buffer.from('\uFEFF'), b.subarray(at)]), what: `BOM at ${at}` };
    case 8: {
      const n = rng.pick([100, 255, 257, 800, 5000]);
      const flow = rng.chance(0.5);
      const nest = flow ? `${'['.repeat(n)}${']'.repeat(n)}` : `\n${Array.from({ length: n }, (_, i) => `${'  '.repeat(i + 1)}k:`).join('\n')}`;
      return { bytes: Buffer.from(`${text.trimEnd()}\nfuzzdeep: ${nest}\n`), what: `${flow ? 'flow' : 'block'} nesting of ${n}` };
    }
    case 9: {
      const n = rng.pick([100_000, 1_000_000, 3_000_000]);
      return { bytes: Buffer.from(`${text.trimEnd()}\nfuzzhuge: ${rng.chance(0.5) ? 'x'.repeat(n) : `"${'y'.repeat(n)}"`}\n`), what: `scalar of ${n} bytes` };
    }
    case 10: {
      const n = rng.pick([1000, 20_000]);
      return { bytes: Buffer.from(`${text.trimEnd()}\nfuzzwide:\n${Array.from({ length: n }, (_, i) => `  k${i}: v`).join('\n')}\n`), what: `mapping of ${n} keys` };
    }
    case 11: {
      const n = rng.pick([10, 1001, 50_000]);
      return { bytes: Buffer.from(`${text.trimEnd()}\nfuzzanchor: &fa {a: 1}\nfuzzaliases: [${Array(n).fill('*fa').join(', ')}]\n`), what: `one anchor used ${n} times` };
    }
    case 12:
      return { bytes: Buffer.from(spliceLines([rng.pick(['---', '...', '%YAML 1.1', '? [a, b]', ': x', '<<: 5', '<<: *nope', 'x: &c [x, *c]', '"unterminated', '- - -', '{', ': :', '!<tag:x> y', '&a &b c'])])), what: `insert a line at ${lineAt + 1}` };
    case 13:
      return { bytes: Buffer.from(text.replaceAll(rng.pick([': ', '- ', '  ', '"', "'"]), rng.pick([':', '-', ' ', '', '\t']))), what: 'replace a token everywhere' };
    case 14:
      return { bytes: Buffer.concat([b, b]), what: 'the file twice' };
    default:
      return { bytes: Buffer.alloc(rng.pick([0, 1, 4096])).fill(rng.pick([0, 0x20, 0x0a, 0xff])), what: 'filler bytes only' };
  }
}
