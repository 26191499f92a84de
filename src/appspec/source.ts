/**
 * The spec file as a YAML document that remembers where every key and value came from, so that
 * every problem found later (schema, semantics, environment overlays) can name file:line:col.
 */
import { isScalar, type Document } from 'yaml';
import { InputErrors, type SourcePosition } from '../errors/index.ts';
import { capProblems, parseYamlStream, yamlWalker } from '../manifest/index.ts';

/** A path into the spec: map keys and list indexes, e.g. `['services', 'api', 'ports', 0, 'port']`. */
export type SpecPath = readonly (string | number)[];

/** Where things are in one source document. */
export interface SourceMap {
  readonly file: string;
  /**
   * Position of the node at `path`: its key when `at` is `key` (where an editor should put the
   * cursor for "this key is wrong"), else its value. Missing nodes resolve to the deepest existing
   * ancestor's key; `undefined` only when not even the first segment exists.
   */
  positionOf(path: SpecPath, at?: 'key' | 'value'): SourcePosition | undefined;
  /** How many leading segments of `path` exist in the document. */
  depthOf(path: SpecPath): number;
  /** The literal source text of the scalar at `path`, e.g. `1.10` for a value YAML read as a number. */
  sourceText(path: SpecPath): string | undefined;
}

export interface ParsedSource {
  readonly value: unknown;
  readonly source: SourceMap;
}

/**
 * Parses one YAML (or JSON) document, with `<<` merge keys. Syntax errors and the input limits of
 * `parseYamlStream` (depth, aliases, keys) are thrown together as {@link InputErrors}.
 */
export function parseSource(text: string, file: string): ParsedSource {
  const stream = parseYamlStream(text, file, { merge: true, single: true });
  const problems = [...stream.problems, ...stream.docs.flatMap((d) => d.problems)];
  const first = stream.docs[0];
  if (problems.length > 0 || first === undefined) throw new InputErrors(capProblems(problems), problems[0]?.cause);
  return { value: first.value, source: makeSourceMap(first.doc, file, stream.at) };
}

function makeSourceMap(doc: Document, file: string, at: (offset: number) => SourcePosition): SourceMap {
  const root = doc.contents;
  const walker = yamlWalker(doc);
  return {
    file,
    positionOf(path, where = 'value') {
      const steps = walker.walk(path);
      const last = steps[steps.length - 1];
      if (last === undefined) {
        if (path.length === 0 && root?.range) return at(root.range[0]);
        return undefined;
      }
      const complete = steps.length === path.length;
      const offset = complete && where === 'value' ? (last.valueOffset ?? last.keyOffset) : (last.keyOffset ?? last.valueOffset);
      return offset === undefined ? undefined : at(offset);
    },
    depthOf: (path) => walker.walk(path).length,
    sourceText(path) {
      const steps = walker.walk(path);
      const node = steps.length === path.length ? steps[steps.length - 1]?.node : undefined;
      return node && isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
    },
  };
}

/** `services.api.ports[0].port`; keys that are not identifiers are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: SpecPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * The inverse of {@link formatPath}: `services.api.ports[0]` → `['services', 'api', 'ports', 0]`.
 * Returns undefined for text formatPath does not produce (a problem keeps its path, unpositioned).
 */
export function parseFormattedPath(text: string): SpecPath | undefined {
  const out: (string | number)[] = [];
  const segment = /^(?:\.?([^.[\]"]+)|\[(0|[1-9][0-9]*)\]|\[("(?:[^"\\]|\\.)*")\])/;
  let rest = text;
  while (rest !== '') {
    const m = segment.exec(rest);
    if (m === null || (out.length === 0 && rest.startsWith('.'))) return undefined;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3] ?? '""') as string);
    rest = rest.slice(m[0].length);
  }
  return out;
}
