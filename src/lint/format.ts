/**
 * Output formats for findings: text (compiler style, file:line:col first so editors can jump),
 * JSON (the LintResult), and SARIF 2.1.0 (code-scanning UIs).
 * @see https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 */
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { FieldPath } from '../manifest/index.ts';
import type { Finding, LintResult, RuleMeta, Severity } from './types.ts';

type Colorize = (s: string) => string;
/** The colour functions the text format uses (the CLI passes io.color). */
export interface TextColors {
  readonly red: Colorize;
  readonly yellow: Colorize;
  readonly cyan: Colorize;
  readonly bold: Colorize;
  readonly dim: Colorize;
}

const plain: Colorize = (s) => s;
const NO_COLOR: TextColors = { red: plain, yellow: plain, cyan: plain, bold: plain, dim: plain };

function dottedPath(p: FieldPath): string {
  return p.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z0-9_-]+$/.test(s) ? `.${s}` : `["${s}"]`)).join('').replace(/^\./, '');
}

function objectLabel(f: Finding): string {
  const o = f.object;
  return [o.kind, o.namespace, o.name ?? '<unnamed>'].filter((x) => x !== undefined).join('/');
}

function where(f: Finding): string {
  if (f.position) return `${f.position.file}:${f.position.line}:${f.position.col}`;
  const field = `${objectLabel(f)}:${dottedPath(f.path) || '(object)'}`;
  const src = [f.file, f.context === undefined ? undefined : `(${f.context})`].filter((x) => x !== undefined).join(' ');
  return src === '' ? field : `${src}: ${field}`;
}

export function formatText(result: LintResult, colors: TextColors = NO_COLOR): string {
  return [...textChunks(result, colors)].join('');
}

/**
 * The text format in pieces of about {@link CHUNK} characters, for writing as they are made:
 * 10,000 objects give ~130,000 findings and 20 MB of text (JSON 80 MB, SARIF 100 MB), which as
 * one string, plus the pieces it is joined from, would be most of a run's memory.
 */
export function* textChunks(result: LintResult, colors: TextColors = NO_COLOR): Generator<string> {
  const sev: Record<Severity, Colorize> = { error: colors.red, warning: colors.yellow, info: colors.cyan };
  let chunk = '';
  for (const f of result.findings) {
    chunk += `${colors.bold(where(f))}: ${sev[f.severity](f.severity)} ${f.ruleId} ${colors.dim(`(${f.ruleName})`)} ${f.message} ${colors.dim(`[${objectLabel(f)}]`)}\n`;
    chunk += `  ${colors.dim('hint:')} ${f.hint}\n`;
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = '';
    }
  }
  const c = result.counts;
  const summary = `${c.error} error(s), ${c.warning} warning(s), ${c.info} info in ${result.objects} object(s)`;
  yield `${chunk}${result.findings.length === 0 ? `no findings in ${result.objects} object(s)` : summary}\n`;
}

const CHUNK = 64 * 1024;

/**
 * `items` as the JSON array `JSON.stringify(..., null, 2)` writes at `depth` levels of
 * indentation, in chunks (see {@link textChunks}); `[]` when empty.
 */
function* jsonArrayChunks<T>(items: Iterable<T>, depth: number, toJson: (item: T) => unknown): Generator<string> {
  const pad = '  '.repeat(depth);
  let chunk = '';
  let first = true;
  for (const item of items) {
    // A JSON text has no raw line breaks inside strings: every \n is a line of the layout.
    chunk += `${first ? '[\n' : ',\n'}${pad}  ${JSON.stringify(toJson(item), null, 2).replace(/\n/g, `\n${pad}  `)}`;
    first = false;
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = '';
    }
  }
  yield first ? '[]' : `${chunk}\n${pad}]`;
}

/**
 * `skeleton` (whose last written key is `"<key>": []`) as `JSON.stringify(..., null, 2)` writes it,
 * with `items` in that array, in chunks.
 */
function* jsonWithArray<T>(skeleton: unknown, key: string, depth: number, items: Iterable<T>, toJson: (item: T) => unknown): Generator<string> {
  const text = `${JSON.stringify(skeleton, null, 2)}\n`;
  const marker = `${JSON.stringify(key)}: []`;
  const at = text.lastIndexOf(marker) + marker.length - 2;
  yield text.slice(0, at);
  yield* jsonArrayChunks(items, depth, toJson);
  yield text.slice(at + 2);
}

export function formatJson(result: LintResult): string {
  return [...jsonChunks(result)].join('');
}

/** {@link formatJson} in chunks (see {@link textChunks}). */
export function jsonChunks(result: LintResult): Generator<string> {
  return jsonWithArray({ objects: result.objects, counts: result.counts, findings: [] }, 'findings', 1, result.findings, (f) => f);
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

function sarifRule(r: RuleMeta): ReportingDescriptor {
  return {
    id: r.id,
    name: r.name,
    shortDescription: { text: r.summary },
    fullDescription: { text: r.why },
    help: { text: `${r.summary}\n\nWhy: ${r.why}\n\nFix: ${r.fix}\n\nMore: ${r.url}`, markdown: `${r.summary}\n\n**Why:** ${r.why}\n\n**Fix:** ${r.fix}\n\n[More](${r.url})` },
    helpUri: r.url,
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { category: r.category, tags: [r.category, ...(r.pss !== undefined ? [`pss-${r.pss}`] : [])] },
  };
}

/** Files become relative URIs (as given on the command line), percent-encoded where needed. */
function fileUri(file: string): string {
  return encodeURI(file.replace(/\\/g, '/'));
}

export function toSarif(result: LintResult, toolVersion: string): Log {
  const rules = index(result);
  const log = sarifSkeleton(result, toolVersion);
  for (const run of log.runs) run.results = result.findings.map((f) => sarifResult(f, rules));
  return log;
}

function index(result: LintResult): Map<string, number> {
  return new Map(result.rules.map((r, i) => [r.id, i]));
}

/** The log without results (`results: []`, the run's last key). */
function sarifSkeleton(result: LintResult, toolVersion: string): Log {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'slipway', semanticVersion: toolVersion, informationUri: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/', rules: result.rules.map(sarifRule) } },
        results: [],
      },
    ],
  };
}

function sarifResult(f: Finding, rules: ReadonlyMap<string, number>): Result {
  return {
    ruleId: f.ruleId,
    ...(rules.has(f.ruleId) ? { ruleIndex: rules.get(f.ruleId) } : {}),
    level: LEVEL[f.severity],
    message: { text: `${f.message}. Hint: ${f.hint}` },
    locations: [
      {
        ...(f.position
          ? { physicalLocation: { artifactLocation: { uri: fileUri(f.position.file) }, region: { startLine: f.position.line, startColumn: f.position.col } } }
          : f.file !== undefined
            ? { physicalLocation: { artifactLocation: { uri: fileUri(f.file) } } }
            : {}),
        logicalLocations: [{ fullyQualifiedName: `${f.context !== undefined ? `${f.context}:` : ''}${objectLabel(f)}:${dottedPath(f.path)}`, kind: 'object' }],
      },
    ],
  };
}

export function formatSarif(result: LintResult, toolVersion: string): string {
  return [...sarifChunks(result, toolVersion)].join('');
}

/** {@link formatSarif} in chunks (see {@link textChunks}): each result is built as it is written. */
export function sarifChunks(result: LintResult, toolVersion: string): Generator<string> {
  const rules = index(result);
  return jsonWithArray(sarifSkeleton(result, toolVersion), 'results', 3, result.findings, (f) => sarifResult(f, rules));
}

/** `--explain <rule>`: what, why, how to fix, link. */
export function formatExplain(r: RuleMeta): string {
  return [
    `${r.id} ${r.name} (${r.category}, default ${r.severity}${r.pss !== undefined ? `, Pod Security Standards ${r.pss}` : ''})`,
    '',
    `What: ${r.summary}`,
    `Why:  ${r.why}`,
    `Fix:  ${r.fix}`,
    `More: ${r.url}`,
    ...(r.kubeLinter !== undefined ? [`kube-linter equivalent: ${r.kubeLinter}`] : []),
    `Opt out per object: metadata.annotations["ignore-check.slipway.dev/${r.id}"]: "<reason>"`,
    '',
  ].join('\n');
}

/** `--list`: one line per rule. */
export function formatList(rules: readonly RuleMeta[]): string {
  const w = Math.max(...rules.map((r) => r.name.length));
  return `${rules.map((r) => `${r.id.padEnd(8)} ${r.name.padEnd(w)}  ${r.severity.padEnd(7)} ${r.category.padEnd(11)} ${r.summary}`).join('\n')}\n`;
}
