/**
 * The one place slipway reads YAML with positions: manifests (`lint`, `deploy`), the spec
 * (`validate`, `render`) and compose files (`import compose`) all come through here, so every
 * hostile input is refused the same way, as bad input (exit 2) with file:line:col, what was
 * expected and a hint, and never with a JavaScript message.
 *
 * Text comes from users and, for the GitOps controller, from repositories slipway does not
 * control. So besides YAML syntax this refuses what the `yaml` library either accepts or turns
 * into a crash, a warning on stderr or quadratic time:
 * - nesting deeper than {@link YAML_LIMITS}.maxDepth (the library's composer recurses per level
 *   and overflows the stack at ~775 levels; checked on the token tree before composing);
 * - aliases that add more than {@link YAML_LIMITS}.maxAliasNodes nodes to a file's value (alias
 *   bombs: 9 anchors nested 10-wide are 10^9 nodes). One anchor used thousands of times is fine:
 *   what is bounded is the size of the expanded value, not the number of aliases;
 * - an alias inside the node it names (`&c [x, *c]`: a value that contains itself);
 * - a `<<` merge key (when merge keys are on) whose value is not a mapping or a list of them;
 * - mapping keys that are mappings or lists (`? [a, b]`, `{a: 1}: x`): a JSON object key is a string;
 * - the same key twice in one mapping, compared as the JSON key it becomes (`1` and `"1"` too).
 *
 * Values are built here, not by the library's `toJS`: its duplicate-key check scans the mapping
 * for every key and each alias resolution scans the document, both quadratic; this walk is
 * linear. It builds what `toJS` builds (keys stringified as `toJS` does, `__proto__` and other
 * `Object.prototype` names as own properties, merge precedence: written keys win, then earlier
 * merge sources), and an aliased collection is one shared object, as in `toJS`.
 *
 * Lone CRs (a line break in YAML, not to the `yaml` library) become LFs first: same length, so
 * offsets and positions do not move, and YAML reads every line break in content as LF anyway.
 */
import { Composer, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, Parser, Scalar, type Alias, type CST, type Document, type Node, type YAMLMap } from 'yaml';
import { inputError, type SlipwayError } from '../errors/index.ts';
import { withPlainEnv } from './env.ts';
import { isRecord } from './record.ts';
import type { Position } from './types.ts';

/** Documented in README.md ("YAML input limits"). */
export const YAML_LIMITS = {
  /** Mappings and lists nested in each other, counted from the document (a document's root is level 1). */
  maxDepth: 256,
  /** Nodes that aliases and merge keys add to one file's value, summed over its documents. */
  maxAliasNodes: 1_000_000,
  /** Problems reported per file; the rest are counted in one closing problem. */
  maxProblems: 50,
} as const;

export interface YamlOptions {
  /** YAML 1.1 `<<` merge keys (compose files and specs use them with anchors); otherwise `<<` is a plain key. */
  readonly merge?: boolean;
  /**
   * The text holds one document (a spec, a compose file, a config file), which then always exists
   * (empty text is a document whose value is null); a second one is a problem.
   */
  readonly single?: boolean;
  /** false: only the node trees (for positions of values already read elsewhere); no values, no checks beyond syntax. */
  readonly values?: boolean;
}

interface YamlDocument {
  readonly doc: Document.Parsed;
  /** The document's value; undefined when it has problems. */
  readonly value: unknown;
  /** Syntax errors and the problems listed at the top of this file, with positions. */
  readonly problems: readonly SlipwayError[];
}

export interface YamlStream {
  /** Empty when the text as a whole is refused (too deep): then {@link problems} says why. */
  readonly docs: readonly YamlDocument[];
  /** Problems of the whole text (nesting too deep). */
  readonly problems: readonly SlipwayError[];
  readonly at: (offset: number) => Position;
}

/** Entries of the `yaml` parser's stack that {@link YAML_LIMITS}.maxDepth levels of nesting can need. */
const MAX_PARSER_STACK = 2 * YAML_LIMITS.maxDepth + 8;

/** Thrown from the parser's line callback when its stack passes {@link MAX_PARSER_STACK}. */
class ParserTooDeep extends Error {
  readonly offset: number;
  constructor(offset: number) {
    super('YAML parser stack too deep');
    this.offset = offset;
  }
}

/** A carriage return that is not part of CRLF. */
const LONE_CR = /\r(?!\n)/g;

/** `text` with lone CRs as LFs (same length, so offsets stay valid). */
export function normalizeLineBreaks(text: string): string {
  return text.includes('\r') ? text.replace(LONE_CR, '\n') : text;
}

const SYNTAX_HINT = 'check indentation and quoting near this position';

/**
 * Parses every document in `text`. Nothing is thrown for bad input: problems come back per
 * document (or for the whole text), each with a position; callers decide how to report them.
 */
export function parseYamlStream(text: string, file: string, options: YamlOptions = {}): YamlStream {
  const source = normalizeLineBreaks(text);
  const lineCounter = new LineCounter();
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  // Each document's token tree is checked for depth before the composer (which recurses per
  // level) sees it; documents stream from parser to composer, so only one tree is held at a time.
  let deep: number | undefined;
  function* checked(tokens: Iterable<CST.Token>): Generator<CST.Token> {
    for (const token of tokens) {
      deep = firstTooDeep(token);
      if (deep !== undefined) return;
      yield token;
    }
  }
  // The parser itself recurses once per open collection when a line closes many at once (a
  // tab-indented key makes each following line nest one level deeper: 2,000 such lines and a
  // dedent overflowed the stack before any document reached `checked`), so its stack is bounded
  // too, at every line break. A collection level is at most two entries of it (the collection and
  // the scalar or collection being read); the document, one more.
  const parser: Parser = new Parser((offset) => {
    lineCounter.addNewLine(offset);
    if (parser.stack.length > MAX_PARSER_STACK) throw new ParserTooDeep(firstTooDeepOpen(parser.stack) ?? offset);
  });
  const composer = new Composer({ merge: options.merge === true, uniqueKeys: false, logLevel: 'error', prettyErrors: false });
  let docs: Document.Parsed[] = [];
  try {
    docs = withPlainEnv(() => Array.from(composer.compose(checked(parser.parse(source)), options.single === true, source.length)));
  } catch (e) {
    if (!(e instanceof ParserTooDeep)) throw e;
    deep = e.offset;
  }
  if (deep !== undefined) {
    const problem = inputError(`nesting deeper than ${YAML_LIMITS.maxDepth} levels`, {
      cause: new RangeError(`YAML nesting over ${YAML_LIMITS.maxDepth}`),
      position: at(deep),
      expected: `at most ${YAML_LIMITS.maxDepth} mappings and lists nested in each other`,
      hint: 'slipway does not read YAML nested this deep; no Kubernetes object or spec needs it. Flatten the structure',
    });
    return { docs: [], problems: [problem], at };
  }
  const budget = { aliasNodes: 0 };
  const out = docs.map((doc, index): YamlDocument => {
    const problems: SlipwayError[] = doc.errors.map((err) =>
      inputError(err.message.split('\n')[0] ?? err.message, { cause: err, position: at(err.pos[0]), expected: 'valid YAML', hint: SYNTAX_HINT }),
    );
    if (options.single === true && index > 0) {
      problems.push(
        inputError('a second YAML document', {
          cause: doc,
          position: at(doc.range[0]),
          expected: 'one YAML document in this file',
          hint: 'remove the `---` line and what follows it, or move that document to its own file',
        }),
      );
    }
    if (options.values === false) return { doc, value: undefined, problems: capProblems(problems) };
    const built = buildValue(doc, options.merge === true, budget);
    for (const p of built.problems) problems.push(inputError(p.message, { cause: p.cause, position: at(p.offset), expected: p.expected, hint: p.hint }));
    return { doc, value: problems.length === 0 ? built.value : undefined, problems: capProblems(problems) };
  });
  return { docs: out, problems: [], at };
}

/** How many documents' node trees {@link documentTrees} keeps at a time. */
const KEPT_TREES = 16;

export interface DocumentTrees {
  /** The node tree of document `index` and the offset its node offsets are relative to; undefined when there is no such document. */
  tree(index: number): { readonly doc: Document.Parsed; readonly base: number } | undefined;
  readonly at: (offset: number) => Position;
}

/**
 * Node trees of the documents of `text`, one at a time, for positions of values read elsewhere
 * (the js-yaml fast path of `parseManifests`, whose input has no directives, anchors or tags, so
 * every document stands alone). The whole stream's trees are ~5x the text's size (a 1 MB file of
 * 10,000 objects: ~120 MB), so only the last {@link KEPT_TREES} are kept: documents are composed
 * in order as they are asked for (lint asks in order), and one asked for again after it was
 * dropped is parsed again from its own text (`base` then says where that text starts).
 */
export function documentTrees(text: string, file: string): DocumentTrees {
  const source = normalizeLineBreaks(text);
  let lineStarts: number[] | undefined;
  const at = (offset: number): Position => {
    if (lineStarts === undefined) {
      lineStarts = [0];
      for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    }
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { file, line: low + 1, col: offset - (lineStarts[low] ?? 0) + 1 };
  };
  const compose = (s: string): Generator<Document.Parsed> => new Composer({ merge: false, uniqueKeys: false, logLevel: 'error', prettyErrors: false }).compose(new Parser().parse(s), false, s.length);
  const stream = compose(source);
  /** [start, end] of each document composed so far. */
  const ranges: [number, number][] = [];
  const kept = new Map<number, { doc: Document.Parsed; base: number }>();
  const keep = (index: number, entry: { doc: Document.Parsed; base: number }): typeof entry => {
    kept.set(index, entry);
    if (kept.size > KEPT_TREES) kept.delete(kept.keys().next().value ?? index);
    return entry;
  };
  return {
    at,
    tree: (index) => {
      const hit = kept.get(index);
      if (hit !== undefined) return hit;
      while (ranges.length <= index) {
        const next = withPlainEnv(() => stream.next());
        if (next.done === true) return undefined;
        const doc = next.value;
        ranges.push([doc.range[0], doc.range[2]]);
        if (ranges.length - 1 === index) return keep(index, { doc, base: 0 });
        if (ranges.length > index - KEPT_TREES) keep(ranges.length - 1, { doc, base: 0 });
      }
      const range = ranges[index];
      if (range === undefined) return undefined;
      // From the start of the document's first line, so that indentation reads as it did.
      const base = source.lastIndexOf('\n', range[0] - 1) + 1;
      const again = withPlainEnv(() => Array.from(compose(source.slice(base, range[1]))));
      const doc = again.length === 1 ? again[0] : undefined;
      return doc === undefined ? undefined : keep(index, { doc, base });
    },
  };
}

/**
 * At most {@link YAML_LIMITS}.maxProblems of `problems`, the last one saying how many more
 * there were: one broken file must not print megabytes.
 */
export function capProblems(problems: readonly SlipwayError[]): SlipwayError[] {
  const max = YAML_LIMITS.maxProblems;
  if (problems.length <= max) return [...problems];
  const rest = problems.slice(max - 1);
  const first = rest[0];
  return [
    ...problems.slice(0, max - 1),
    inputError(`${rest.length} more problem(s) in this file, starting here`, {
      cause: rest,
      ...(first?.position !== undefined ? { position: first.position } : {}),
      expected: 'valid YAML',
      hint: 'fix the problems above first; the rest often follow from them',
    }),
  ];
}

/** Offset of the first collection past the limit among the parser's open tokens (outermost first). */
function firstTooDeepOpen(stack: readonly CST.Token[]): number | undefined {
  let level = 0;
  for (const t of stack) {
    if ((t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') && ++level > YAML_LIMITS.maxDepth) return t.offset;
  }
  return undefined;
}

/** Offset of the first collection nested deeper than the limit, walking the token tree without recursion. */
function firstTooDeep(root: CST.Token): number | undefined {
  const stack: { token: CST.Token; depth: number }[] = [{ token: root, depth: 0 }];
  const push = (t: CST.Token | null | undefined, d: number): void => {
    if (t) stack.push({ token: t, depth: d });
  };
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { token, depth } = top;
    switch (token.type) {
      case 'document':
        push(token.value, depth);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        const level = depth + 1;
        if (level > YAML_LIMITS.maxDepth) return token.offset;
        // Pushed last to first, so that the walk is in document order and finds the first one.
        for (let i = token.items.length - 1; i >= 0; i--) {
          push(token.items[i]?.value, level);
          push(token.items[i]?.key, level);
        }
        break;
      }
      case 'block-scalar':
        for (let i = token.props.length - 1; i >= 0; i--) push(token.props[i], depth);
        break;
      default:
        break;
    }
  }
  return undefined;
}

interface BuildProblem {
  readonly message: string;
  readonly offset: number;
  readonly expected: string;
  readonly hint: string;
  readonly cause: unknown;
}

/** Thrown inside {@link buildValue} when its alias budget is spent: the rest of the file is not built. */
class BudgetSpent extends Error {}

/**
 * The document's value (what `doc.toJS()` gives for what this accepts), and the problems that
 * stop it: see the top of this file. `budget` is shared by the documents of one file.
 */
function buildValue(doc: Document.Parsed, merge: boolean, budget: { aliasNodes: number }): { value: unknown; problems: BuildProblem[] } {
  const problems: BuildProblem[] = [];
  /** Anchored nodes by name, the last one entered (document order) winning, as `Alias.resolve` finds them. */
  const anchors = new Map<string, Node>();
  /** Each finished anchored node's value and its size in nodes (aliases in it expanded). */
  const done = new Map<Node, { value: unknown; size: number }>();
  /** The node each alias met so far names. */
  const named = new Map<Alias, Node>();
  /** Nodes built so far, aliases counted as the size of what they name. */
  let count = 0;
  const problem = (node: unknown, message: string, expected: string, hint: string): void => {
    problems.push({ message, offset: (isNode(node) ? node.range?.[0] : undefined) ?? doc.range[0], expected, hint, cause: node });
  };

  /** What an alias names, finished; undefined (with a problem) for an alias inside the node it names. */
  const target = (alias: Alias): { value: unknown; node: Node } | undefined => {
    const node = anchors.get(alias.source);
    // An unknown anchor is already a syntax error from the composer.
    if (node === undefined) return undefined;
    const d = done.get(node);
    if (d === undefined) {
      problem(alias, `alias *${alias.source} is inside the node it names`, 'an alias to a node that ends before the alias', 'a value cannot contain itself; copy the part you need instead');
      return undefined;
    }
    named.set(alias, node);
    budget.aliasNodes += d.size;
    count += d.size;
    if (budget.aliasNodes > YAML_LIMITS.maxAliasNodes) {
      const max = YAML_LIMITS.maxAliasNodes.toLocaleString('en-US');
      problem(
        alias,
        `aliases expand to more than ${max} nodes`,
        `aliases adding at most ${max} nodes to the file`,
        'an alias repeats the whole anchored node and nested aliases multiply: write the data out, or use fewer levels of aliases',
      );
      throw new BudgetSpent();
    }
    return { value: d.value, node };
  };

  const build = (node: unknown): unknown => {
    if (isAlias(node)) return target(node)?.value ?? null;
    if (!isMap(node) && !isSeq(node) && !isScalar(node)) return null;
    const start = count++;
    if (node.anchor !== undefined) anchors.set(node.anchor, node);
    const value = isScalar(node) ? node.value : isSeq(node) ? node.items.map((item) => build(item)) : buildMap(node);
    if (node.anchor !== undefined) done.set(node, { value, size: count - start });
    return value;
  };

  /** The JSON key a mapping key becomes (as in `toJS`); undefined, with a problem, when there is none. */
  const keyOf = (key: unknown): string | undefined => {
    let node: unknown = key;
    if (isAlias(key)) {
      const t = target(key);
      if (t === undefined) return undefined;
      node = t.node;
    } else {
      build(key);
    }
    if (node === null || node === undefined) return '';
    const name = isScalar(node) ? jsKeyOf(node.value) : undefined;
    if (name !== undefined) return name;
    problem(
      key,
      isMap(node) ? 'a mapping used as a key' : isSeq(node) ? 'a list used as a key' : 'a key that is not a string',
      'a string key (a scalar)',
      'YAML allows complex keys (`? [a, b]`), but a JSON object key, and so a Kubernetes or slipway field name, is a string: quote it',
    );
    return undefined;
  };

  const buildMap = (map: YAMLMap): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const written = new Set<string>();
    for (const pair of map.items) {
      if (merge && isScalar(pair.key) && isMergeKeyNode(pair.key)) {
        // Merged in place, as `toJS` does: keys written later in the mapping overwrite merged ones.
        mergeInto(out, written, pair.value);
        continue;
      }
      const name = keyOf(pair.key);
      const value = build(pair.value);
      if (name === undefined) continue;
      if (written.has(name)) {
        problem(pair.key, `duplicate key "${clip(name)}"`, 'valid YAML', 'a key appears once in a mapping: remove or rename the repeated key (one of the values would be lost)');
        continue;
      }
      written.add(name);
      setOwn(out, name, value);
    }
    return out;
  };

  /** Merges `<<`'s value (a mapping, or a list of them, maybe aliased) into `out`, keeping keys already there. */
  const mergeInto = (out: Record<string, unknown>, written: ReadonlySet<string>, value: unknown): void => {
    /** Each source's value, its node, and the node to point at when it is not a mapping. */
    const sources: { value: unknown; node: unknown; blame: unknown }[] = [];
    const aliased = isAlias(value) ? target(value) : undefined;
    if (isAlias(value) && aliased === undefined) return;
    const node = aliased ? aliased.node : value;
    if (isSeq(node)) {
      const values = aliased ? aliased.value : undefined;
      node.items.forEach((item, i) => {
        if (Array.isArray(values)) sources.push({ value: values[i], node: isAlias(item) ? named.get(item) : item, blame: value });
        else if (isAlias(item)) {
          const t = target(item);
          if (t) sources.push({ value: t.value, node: t.node, blame: item });
        } else sources.push({ value: build(item), node: item, blame: item });
      });
    } else {
      sources.push({ value: aliased ? aliased.value : build(value), node, blame: value });
    }
    for (const s of sources) {
      if (!isMap(s.node) || !isRecord(s.value)) {
        problem(s.blame, 'a merge key (`<<`) whose value is not a mapping', 'a mapping, an alias of one, or a list of them after `<<:`', 'write `<<: *anchor` where the anchor names a mapping, or `<<: [*a, *b]`');
        continue;
      }
      for (const [k, v] of Object.entries(s.value)) if (!written.has(k) && !Object.hasOwn(out, k)) setOwn(out, k, v);
    }
  };

  try {
    return { value: build(doc.contents), problems };
  } catch (e) {
    if (e instanceof BudgetSpent) return { value: undefined, problems };
    throw e;
  }
}

/**
 * Whether `yaml` reads this key as a merge key: with `merge: true`, a plain `<<` resolves to the
 * merge symbol; a quoted `"<<"` stays an ordinary key.
 */
export function isMergeKeyNode(key: Scalar): boolean {
  const v = key.value;
  return typeof v === 'symbol' && v.description === '<<' && (key.type === undefined || key.type === Scalar.PLAIN);
}

/**
 * The string a scalar key becomes in `toJS` (`null` -> `''`, `1.0` -> `'1'`); undefined for
 * values no schema the loaders use produces.
 */
export function jsKeyOf(value: unknown): string | undefined {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** Sets an own property even for names `Object.prototype` has (`__proto__`, `toString`), as `toJS` does. */
export function setOwn(out: Record<string, unknown>, name: string, value: unknown): void {
  if (name in out) Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
  else out[name] = value;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
