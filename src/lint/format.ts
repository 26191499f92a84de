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
  const sev: Record<Severity, Colorize> = { error: colors.red, warning: colors.yellow, info: colors.cyan };
  const lines: string[] = [];
  for (const f of result.findings) {
    lines.push(`${colors.bold(where(f))}: ${sev[f.severity](f.severity)} ${f.ruleId} ${colors.dim(`(${f.ruleName})`)} ${f.message} ${colors.dim(`[${objectLabel(f)}]`)}`);
    lines.push(`  ${colors.dim('hint:')} ${f.hint}`);
  }
  const c = result.counts;
  const summary = `${c.error} error(s), ${c.warning} warning(s), ${c.info} info in ${result.objects} object(s)`;
  lines.push(result.findings.length === 0 ? `no findings in ${result.objects} object(s)` : summary);
  return `${lines.join('\n')}\n`;
}

export function formatJson(result: LintResult): string {
  return `${JSON.stringify({ objects: result.objects, counts: result.counts, findings: result.findings }, null, 2)}\n`;
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
  const rules = result.rules.map(sarifRule);
  const index = new Map(result.rules.map((r, i) => [r.id, i]));
  const results: Result[] = result.findings.map((f) => ({
    ruleId: f.ruleId,
    ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
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
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'slipway', semanticVersion: toolVersion, informationUri: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/', rules } },
        results,
      },
    ],
  };
}

export function formatSarif(result: LintResult, toolVersion: string): string {
  return `${JSON.stringify(toSarif(result, toolVersion), null, 2)}\n`;
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
