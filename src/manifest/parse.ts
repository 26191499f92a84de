import { constructFromEvents, CORE_SCHEMA, defineMappingTag, defineScalarTag, EVENT_ID, NOT_RESOLVED, parseEvents, type Event } from 'js-yaml';
import { inputError, InputErrors, type SlipwayError } from '../errors/index.ts';
import { isRecord } from './record.ts';
import type { FieldPath, KubeObject, ParsedManifest, Position } from './types.ts';
import { yamlWalker, type YamlWalker } from './walk.ts';
import type { Document } from 'yaml';
import { capProblems, documentTrees, normalizeLineBreaks, parseYamlStream, YAML_LIMITS, type DocumentTrees } from './yaml.ts';

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
 * tags, directives, explicit `?` keys, `...` markers, tab indentation, non-string, duplicate or
 * over-long keys, `<<`, nesting past the limit, any js-yaml error, any document that is not an
 * object or a well-formed List) takes the full `yaml` path ({@link parseManifestsFull}), which
 * also produces the errors: a fallback only costs speed. Lone CRs are LFs for both (see
 * `normalizeLineBreaks`).
 */
export function parseManifests(text: string, file: string): ParsedManifest[] {
  const source = normalizeLineBreaks(text);
  const values = fastValues(source);
  if (values === undefined) return parseManifestsFull(source, file);
  let trees: DocumentTrees | undefined;
  const walkers = new WeakMap<Document.Parsed, YamlWalker>();
  const positionIn = (index: number, path: FieldPath): Position => {
    trees ??= documentTrees(source, file);
    const tree = trees.tree(index);
    // Only if the parsers disagreed on the document list, which the fallbacks exist to prevent:
    // the file is still right, and a position is no reason to fail a deploy.
    if (!tree || tree.doc.contents === null) return { file, line: 1, col: 1 };
    let walker = walkers.get(tree.doc);
    if (walker === undefined) walkers.set(tree.doc, (walker = yamlWalker(tree.doc)));
    return trees.at(tree.base + walker.keyOffsetOf(path));
  };
  const out: ParsedManifest[] = [];
  for (const [index, value] of values.entries()) {
    const found = manifestsOf(value, file, index, (path) => positionIn(index, path));
    // The full path reports the problems, with its positions and errors.
    if (found.problems.length > 0) return parseManifestsFull(source, file);
    out.push(...found.manifests);
  }
  return out;
}

/** A document that is not what it should be, found after parsing. */
interface ShapeProblem {
  readonly path: FieldPath;
  readonly message: string;
  readonly expected: string;
  readonly hint: string;
}

const OBJECT_EXPECTED = 'a mapping with apiVersion, kind and metadata';

/**
 * The document's object, or a List's items, flattened as kubectl does (positions under `items`).
 * A List is `kind: List`, or any other `...List` kind with `items` (a custom resource kind may end
 * in List). Empty documents give nothing; anything else that is not an object is a problem.
 */
function manifestsOf(value: unknown, file: string, index: number, positionOf: (path: FieldPath) => Position): { manifests: ParsedManifest[]; problems: ShapeProblem[] } {
  if (value === null || value === undefined) return { manifests: [], problems: [] };
  const kind = listKind(value);
  if (kind === undefined || !isRecord(value)) {
    if (isKubeObject(value)) return { manifests: [{ object: value, file, index, positionOf }], problems: [] };
    return { manifests: [], problems: [{ path: [], message: NOT_AN_OBJECT, expected: OBJECT_EXPECTED, hint: 'every document needs apiVersion, kind and metadata.name' }] };
  }
  const items = value['items'];
  if (!Array.isArray(items)) {
    const missing = items === undefined;
    return {
      manifests: [],
      problems: [
        {
          path: missing ? ['kind'] : ['items'],
          message: missing ? `a ${kind} without items` : `items of a ${kind} is not a list`,
          expected: '`items:` with a list of Kubernetes objects',
          hint: 'write `items: []` for an empty List, or give the document the kind of the one object it holds',
        },
      ],
    };
  }
  const manifests: ParsedManifest[] = [];
  const problems: ShapeProblem[] = [];
  items.forEach((item: unknown, i) => {
    const inner = listKind(item);
    if (inner !== undefined) {
      problems.push({ path: ['items', i, 'kind'], message: `a ${inner} inside a ${kind}`, expected: 'Kubernetes objects as the items of a List', hint: 'move the inner List\'s items into the outer one' });
    } else if (isKubeObject(item)) {
      manifests.push({ object: item, file, index, positionOf: (p) => positionOf(['items', i, ...p]) });
    } else {
      problems.push({ path: ['items', i], message: `item ${i} of a ${kind} is not a Kubernetes object`, expected: OBJECT_EXPECTED, hint: 'every item needs apiVersion, kind and metadata.name' });
    }
  });
  return { manifests, problems };
}

const NOT_AN_OBJECT = 'document is not a Kubernetes object';

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

/**
 * Whether the text is one the two parsers are known to read alike. Besides the patterns above:
 * a byte order mark after the start is content to `yaml` but skipped by js-yaml.
 */
function fastPathText(text: string): boolean {
  return !EXPLICIT_KEY.test(text) && !DOCUMENT_END.test(text) && !TAB_INDENT.test(text) && !text.includes('\uFEFF', 1);
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
  return fastValues(normalizeLineBreaks(text)) !== undefined;
}

/**
 * `yaml` rejects an implicit key whose `:` is more than 1024 chars after its start; js-yaml has no
 * such limit. Keys this long (less a margin for quotes) take the full path and get its error.
 */
const MAX_KEY_SPAN = 1000;

/**
 * No anchors, aliases, tags (not even `!`) or directives anywhere, no over-long map key, and no
 * nesting deeper than the full path accepts.
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
      // Below the document entry, each open entry is one level of nesting.
      if (open.length - 1 > YAML_LIMITS.maxDepth) return false;
    }
  }
  return true;
}

/**
 * The full `yaml` path: values and positions from one node tree, with the limits and errors of
 * {@link parseYamlStream}. {@link parseManifests} falls back to it.
 */
export function parseManifestsFull(text: string, file: string): ParsedManifest[] {
  const stream = parseYamlStream(text, file);
  const out: ParsedManifest[] = [];
  const problems: SlipwayError[] = [...stream.problems];
  stream.docs.forEach(({ doc, value, problems: syntax }, index) => {
    problems.push(...syntax);
    if (syntax.length > 0) return;
    let walker: YamlWalker | undefined;
    const positionOf = (path: FieldPath): Position => stream.at((walker ??= yamlWalker(doc)).keyOffsetOf(path));
    const found = manifestsOf(value, file, index, positionOf);
    out.push(...found.manifests);
    for (const p of found.problems) problems.push(inputError(p.message, { cause: value, position: positionOf(p.path), expected: p.expected, hint: p.hint }));
  });
  if (problems.length > 0) throw new InputErrors(capProblems(problems), problems[0]?.cause);
  return out;
}

/** The kind of a List to flatten (`kind: List`, or another kind ending in List that has `items`); undefined for anything else. */
function listKind(v: unknown): string | undefined {
  if (!isRecord(v) || typeof v['apiVersion'] !== 'string' || typeof v['kind'] !== 'string') return undefined;
  return v['kind'] === 'List' || (v['kind'].endsWith('List') && Object.hasOwn(v, 'items')) ? v['kind'] : undefined;
}

function isKubeObject(v: unknown): v is KubeObject {
  return isRecord(v) && typeof v['apiVersion'] === 'string' && typeof v['kind'] === 'string' && isRecord(v['metadata']);
}

/**
 * Parses one YAML/JSON document of any shape (not necessarily a Kubernetes object): a config
 * file. Undefined for an empty file.
 */
export function parseYamlValue(text: string, file: string): unknown {
  const stream = parseYamlStream(text, file, { single: true });
  const problems = [...stream.problems, ...stream.docs.flatMap((d) => d.problems)];
  if (problems.length > 0) throw new InputErrors(capProblems(problems), problems[0]?.cause);
  const first = stream.docs[0];
  return first === undefined || first.doc.contents === null ? undefined : first.value;
}
