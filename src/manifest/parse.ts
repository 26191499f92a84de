import { constructFromEvents, CORE_SCHEMA, defineMappingTag, defineScalarTag, EVENT_ID, NOT_RESOLVED, parseEvents, type Event } from 'js-yaml';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { inputError, InputErrors, type SlipwayError } from '../errors/index.ts';
import { isRecord } from './record.ts';
import type { FieldPath, KubeObject, ParsedManifest, Position } from './types.ts';
import { yamlWalker, type YamlWalker } from './walk.ts';

/**
 * Runs `f` (synchronous) with `process.env` swapped for a plain copy.
 *
 * Why: the `yaml` parser reads `process.env.LOG_TOKENS` for every token (and the composer
 * `LOG_STREAM` for every document), and each read of the real `process.env` is a call into
 * native code: on 3,000 Deployments that is ~30% of the parse. A plain object makes the reads
 * ordinary property lookups. `f` is synchronous, so no other code runs while the copy is in
 * place; the real object is restored even when `f` throws.
 *
 * The one use of `process` in the pure core (exempt from the layer rule below): it reads no
 * variable and the result of `f` does not depend on the swap, which only makes the parser faster.
 */
export function withPlainEnv<T>(f: () => T): T {
  /* eslint-disable no-restricted-globals -- swaps process.env for a plain copy and back; see above */
  const real = process.env;
  process.env = { ...real };
  try {
    return f();
  } finally {
    process.env = real;
  }
  /* eslint-enable no-restricted-globals */
}

/**
 * Parses multi-document YAML (JSON is YAML) into Kubernetes objects, keeping a way back to source
 * positions so that every later finding can name file:line:col. Empty documents and `List` kinds
 * are handled the way kubectl does: empties skipped, `items` flattened.
 *
 * Syntax errors and documents that are not objects with apiVersion/kind/metadata are collected
 * and thrown together as {@link InputErrors}: a user fixes all of them in one pass.
 *
 * Why two parsers: positions come from the `yaml` package's node tree, which costs ~3x a plain
 * value parse, and most runs (a no-op deploy) never ask for a position. So values come from
 * js-yaml with a schema that resolves scalars exactly like `yaml`'s YAML 1.2 core schema, and the
 * `yaml` tree is built on the first `positionOf` call, once per call of this function. Anything
 * where the two could disagree or where only the `yaml` path has protections (anchors and aliases,
 * tags, directives, explicit `?` keys, `...` markers, tab indentation, lone CRs, non-string,
 * duplicate or over-long keys, `<<`, any js-yaml error, any document that is not an object) takes
 * the full `yaml` path ({@link parseManifestsFull}), which also produces the errors: a fallback
 * only costs speed.
 */
export function parseManifests(text: string, file: string): ParsedManifest[] {
  const values = fastValues(text);
  if (values === undefined) return parseManifestsFull(text, file);
  let tree: DocTree | undefined;
  const walkers: YamlWalker[] = [];
  const positionIn = (index: number, path: FieldPath): Position => {
    tree ??= parseTree(text, file);
    const doc = tree.docs[index];
    // Only if the parsers disagreed on the document list, which the fallbacks exist to prevent:
    // the file is still right, and a position is no reason to fail a deploy.
    if (!doc || doc.contents === null) return { file, line: 1, col: 1 };
    const walker = (walkers[index] ??= yamlWalker(doc));
    return tree.at(walker.keyOffsetOf(path));
  };
  const out: ParsedManifest[] = [];
  for (const [index, value] of values.entries()) {
    if (value === null || value === undefined) continue;
    if (!isKubeObject(value)) return parseManifestsFull(text, file);
    out.push(...manifestsOf(value, file, index, (path) => positionIn(index, path)));
  }
  return out;
}

/** The document's object, or a `List`'s items (flattened as kubectl does, positions under `items`). */
function manifestsOf(value: KubeObject, file: string, index: number, positionOf: (path: FieldPath) => Position): ParsedManifest[] {
  if (!value.kind.endsWith('List') || !Array.isArray(value['items'])) return [{ object: value, file, index, positionOf }];
  const out: ParsedManifest[] = [];
  value['items'].forEach((item: unknown, i) => {
    if (isKubeObject(item)) out.push({ object: item, file, index, positionOf: (p) => positionOf(['items', i, ...p]) });
  });
  return out;
}

/**
 * Map keys resolve to strings only: `yaml` stringifies other keys its own way (`null` -> `''`,
 * `1.0` -> `'1'`), js-yaml differently, so any such key makes the fast path give up. `<<` is a
 * plain key in both core schemas, refused anyway so merge semantics can never differ.
 */
const stringKeyMapTag = defineMappingTag<Record<string, unknown>>('tag:yaml.org,2002:map', {
  create: () => ({}),
  addPair: (map, key, value) => {
    if (typeof key !== 'string' || key === '<<') return 'slipway: not a plain string key';
    // Same as `yaml`'s toJS: a key that exists on Object.prototype (`__proto__`, `toString`)
    // becomes an own property instead of hitting the inherited setter or value.
    if (key in map) Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
    else map[key] = value;
    return '';
  },
  has: (map, key) => typeof key === 'string' && Object.hasOwn(map, key),
  keys: (map) => Object.keys(map),
  get: (map, key) => (typeof key === 'string' && Object.hasOwn(map, key) ? map[key] : null),
  identify: () => false,
});

// Copies of `yaml`'s core int/float resolution (yaml/dist/schema/core/{int,float}.js): js-yaml's
// own core tags turn out-of-range numbers (`1e400`, 400-digit ints) into strings where `yaml`
// gives Infinity, and compute the sign separately.
const DIGITS = '0123456789'.split('');
const INT_DEC = /^[-+]?[0-9]+$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_PLAIN = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const yamlIntTag = defineScalarTag<number>('tag:yaml.org,2002:int', {
  implicit: true,
  implicitFirstChars: ['-', '+', ...DIGITS],
  resolve: (s) => {
    if (INT_OCT.test(s)) return parseInt(s.substring(2), 8);
    if (INT_HEX.test(s)) return parseInt(s.substring(2), 16);
    return INT_DEC.test(s) ? parseInt(s, 10) : NOT_RESOLVED;
  },
  identify: () => false,
});

const yamlFloatTag = defineScalarTag<number>('tag:yaml.org,2002:float', {
  implicit: true,
  implicitFirstChars: ['-', '+', '.', ...DIGITS],
  resolve: (s) => {
    if (FLOAT_SPECIAL.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s.startsWith('-') ? -Infinity : Infinity;
    return FLOAT_EXP.test(s) || FLOAT_PLAIN.test(s) ? parseFloat(s) : NOT_RESOLVED;
  },
  identify: () => false,
});

const FAST_SCHEMA = CORE_SCHEMA.withTags(stringKeyMapTag, yamlIntTag, yamlFloatTag);

/**
 * An explicit key indicator (`? `), wherever it could start a node. Also matches inside quoted
 * text or comments; that only sends such a file down the full path.
 */
const EXPLICIT_KEY = /(?:^|[\s,[{])\?(?:[ \t\r\n]|$)/m;

/**
 * A document end marker (`...`). `yaml` opens an empty document for a `...` that follows no
 * content (at the start, or after another `...`), js-yaml does not, which would shift the index
 * of every later document. Rare in manifests, so any `...` takes the full path.
 */
const DOCUMENT_END = /^\uFEFF?\.\.\.(?:[ \t\r\n]|$)/m;

/**
 * A tab in a line's indentation. `yaml` rejects some that js-yaml accepts (a tab-only line in an
 * empty document), so all of them take the full path, where tab-indented text gets its error.
 */
const TAB_INDENT = /^ *\t/m;

/** A carriage return that is not part of CRLF: the two parsers break lines at it differently. */
const LONE_CR = /\r(?!\n)/;

/**
 * Whether the text is one the two parsers are known to read alike. Besides the patterns above:
 * a byte order mark after the start is content to `yaml` but skipped by js-yaml.
 */
function fastPathText(text: string): boolean {
  return !EXPLICIT_KEY.test(text) && !DOCUMENT_END.test(text) && !TAB_INDENT.test(text) && !LONE_CR.test(text) && !text.includes('\uFEFF', 1);
}

/** Every document's value, or undefined when the text must take the full `yaml` path. */
function fastValues(text: string): unknown[] | undefined {
  if (!fastPathText(text)) return undefined;
  try {
    const events = parseEvents(text, {});
    if (!isPlainStream(text, events)) return undefined;
    return constructFromEvents(events, { source: text, schema: FAST_SCHEMA, maxAliases: 0 });
  } catch {
    return undefined;
  }
}

/** Whether {@link parseManifests} takes the js-yaml path for `text`; for tests. */
export function usesFastPath(text: string): boolean {
  return fastValues(text) !== undefined;
}

/**
 * `yaml` rejects an implicit key whose `:` is more than 1024 chars after its start; js-yaml has no
 * such limit. Keys this long (less a margin for quotes) take the full path and get its error.
 */
const MAX_KEY_SPAN = 1000;

/**
 * No anchors, aliases, tags (not even `!`) or directives anywhere, and no over-long map key.
 * `open` tracks, per open document or collection, whether it is a mapping and how many child
 * nodes it has had: a mapping's even-numbered children are its keys.
 */
function isPlainStream(text: string, events: readonly Event[]): boolean {
  const open: { map: boolean; n: number }[] = [];
  for (const e of events) {
    if (e.type === EVENT_ID.POP) {
      open.pop();
      const parent = open.at(-1);
      if (parent) parent.n++;
    } else if (e.type === EVENT_ID.DOCUMENT) {
      if (e.directives.length > 0) return false;
      open.push({ map: false, n: 0 });
    } else if (e.type === EVENT_ID.ALIAS || e.anchorStart !== -1 || e.tagStart !== -1) {
      return false;
    } else if (e.type === EVENT_ID.SCALAR) {
      const parent = open.at(-1);
      if (parent?.map && parent.n % 2 === 0 && text.indexOf(':', e.valueEnd) - e.valueStart > MAX_KEY_SPAN) return false;
      if (parent) parent.n++;
    } else {
      open.push({ map: e.type === EVENT_ID.MAPPING, n: 0 });
    }
  }
  return true;
}

interface DocTree {
  readonly docs: readonly Document.Parsed[];
  readonly at: (offset: number) => Position;
}

function parseTree(text: string, file: string): DocTree {
  const lineCounter = new LineCounter();
  const parsed = withPlainEnv(() => parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true }));
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  return { docs: Array.isArray(parsed) ? parsed : [], at };
}

/**
 * The full `yaml` path: values and positions from one node tree, with `yaml`'s limits (alias
 * count, unique keys) and its error messages. {@link parseManifests} falls back to it.
 */
export function parseManifestsFull(text: string, file: string): ParsedManifest[] {
  const { docs, at } = parseTree(text, file);
  const out: ParsedManifest[] = [];
  const problems: SlipwayError[] = [];
  docs.forEach((doc, index) => {
    for (const err of doc.errors) {
      problems.push(
        inputError(err.message.split('\n')[0] ?? err.message, {
          cause: err,
          position: at(err.pos[0]),
          expected: 'valid YAML',
          hint: 'check indentation and quoting near this position',
        }),
      );
    }
    if (doc.errors.length > 0 || doc.contents === null) return;
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) return;
    const root = doc.contents;
    let walker: YamlWalker | undefined;
    const positionOf = (path: FieldPath): Position => at((walker ??= yamlWalker(doc)).keyOffsetOf(path));
    if (!isKubeObject(value)) {
      problems.push(
        inputError('document is not a Kubernetes object', {
          cause: value,
          position: at(root.range?.[0] ?? 0),
          expected: 'a mapping with apiVersion, kind and metadata',
          hint: 'every document needs apiVersion, kind and metadata.name',
        }),
      );
      return;
    }
    out.push(...manifestsOf(value, file, index, positionOf));
  });
  if (problems.length > 0) throw new InputErrors(problems, problems[0]?.cause);
  return out;
}

function isKubeObject(v: unknown): v is KubeObject {
  if (!isRecord(v)) return false;
  const isList = typeof v['kind'] === 'string' && v['kind'].endsWith('List');
  return typeof v['apiVersion'] === 'string' && typeof v['kind'] === 'string' && (isList || isRecord(v['metadata']));
}

/** Parses one YAML/JSON document of any shape (not necessarily a Kubernetes object). */
export function parseYamlValue(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const docs = withPlainEnv(() => parseAllDocuments(text, { lineCounter, prettyErrors: false }));
  const first = Array.isArray(docs) ? docs[0] : docs;
  if (!first) return undefined;
  const err = first.errors[0];
  if (err) {
    const p = lineCounter.linePos(err.pos[0]);
    throw inputError(err.message.split('\n')[0] ?? err.message, {
      cause: err,
      position: { file, line: p.line, col: p.col },
      expected: 'valid YAML',
    });
  }
  return first.toJS({ maxAliasCount: 1000 });
}
