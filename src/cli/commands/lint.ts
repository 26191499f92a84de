/**
 * `slipway lint`: policy rules + offline schema validation over manifests, directories, stdin,
 * kustomize builds and slipway specs (rendered per environment). This file only gathers input
 * (all file and process I/O) and prints; the checks live in src/lint.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Option, type Command } from 'commander';
import { inputError, InputErrors, isSlipwayError, type SlipwayError } from '../../errors/index.ts';
import { readInputFile, readStdin } from '../../files/index.ts';
import {
  findRule,
  formatExplain,
  formatList,
  jsonChunks,
  lintObjects,
  listRules,
  mergeResults,
  parseLintConfig,
  ruleMeta,
  sarifChunks,
  severityAtLeast,
  textChunks,
  type CrdSchemaSource,
  type LintConfig,
  type LintDocument,
  type LintResult,
  type Severity,
} from '../../lint/index.ts';
import { parseManifests, parseYamlValue, type ParsedManifest } from '../../manifest/index.ts';
import type { Io } from '../io.ts';
import { SPEC_FILE_NAMES } from '../spec-file-names.ts';
import { VERSION } from '../version.ts';

interface LintFlags {
  output: 'text' | 'json' | 'sarif';
  failOn: Severity | 'never';
  config?: string;
  crd?: string[];
  kustomize?: string[];
  env?: string;
  schema: boolean;
  list?: boolean;
  explain?: string;
}

const CONFIG_NAMES = ['.slipway-lint.yaml', '.slipway-lint.yml'];
const MANIFEST_EXT = /\.(ya?ml|json)$/i;
const SKIP_DIRS = new Set(['node_modules', '.git', 'vendor']);

/** A regular file (or stdin) within SLIPWAY_MAX_INPUT_BYTES: a FIFO or /dev/zero is refused, not read. */
function readText(file: string): string {
  return file === '-' ? readStdin() : readInputFile(file);
}

function isSpecFile(file: string): boolean {
  return (SPEC_FILE_NAMES as readonly string[]).includes(basename(file));
}

/** Files under a directory, sorted so output is stable. Hidden directories are skipped. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!e.name.startsWith('.') && !SKIP_DIRS.has(e.name)) out.push(...walk(p));
    } else if (e.isFile() && MANIFEST_EXT.test(e.name) && !CONFIG_NAMES.includes(e.name)) {
      out.push(p);
    }
  }
  return out;
}

/** Only "document is not a Kubernetes object" problems: a YAML file of another kind (compose, CI). */
function onlyNonKubeDocs(e: unknown): boolean {
  return e instanceof InputErrors && e.problems.every((p) => p.message === 'document is not a Kubernetes object');
}

interface Gathered {
  manifests: LintDocument[];
  specs: string[];
  problems: SlipwayError[];
  skipped: string[];
}

function parseInto(g: Gathered, file: string, text: string, fromDir: boolean): void {
  try {
    g.manifests.push(...parseManifests(text, file === '-' ? '<stdin>' : file));
  } catch (e) {
    if (fromDir && onlyNonKubeDocs(e)) {
      g.skipped.push(file);
      return;
    }
    if (e instanceof InputErrors) g.problems.push(...e.problems);
    else if (isSlipwayError(e)) g.problems.push(e);
    else throw e;
  }
}

function gather(paths: readonly string[]): Gathered {
  const g: Gathered = { manifests: [], specs: [], problems: [], skipped: [] };
  for (const p of paths) {
    if (p === '-') {
      parseInto(g, p, readText(p), false);
      continue;
    }
    const st = statSync(p, { throwIfNoEntry: false });
    if (st === undefined) {
      g.problems.push(inputError(`cannot read ${p}: no such file or directory`, { cause: p, expected: 'a file, a directory or - for stdin' }));
    } else if (st.isDirectory()) {
      for (const f of walk(p)) {
        if (isSpecFile(f)) g.specs.push(f);
        else parseInto(g, f, readText(f), true);
      }
    } else if (isSpecFile(p)) {
      g.specs.push(p);
    } else {
      parseInto(g, p, readText(p), false);
    }
  }
  return g;
}

function kustomizeBuild(dir: string): ParsedManifest[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (e) {
    const stderr = (e as { stderr?: unknown }).stderr;
    throw inputError(`kubectl kustomize ${dir} failed: ${typeof stderr === 'string' && stderr !== '' ? stderr.trim() : e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      expected: 'a directory with a kustomization.yaml',
      hint: 'kubectl must be on PATH; run `kubectl kustomize <dir>` to see the error',
    });
  }
  // Positions point into the built output (kustomize does not keep source positions).
  return parseManifests(out, `kustomize:${dir}`);
}

function loadConfig(path: string | undefined): LintConfig {
  const file = path ?? CONFIG_NAMES.find((n) => statSync(n, { throwIfNoEntry: false })?.isFile() === true);
  if (file === undefined) return {};
  return parseLintConfig(parseYamlValue(readText(file), file), file);
}

function loadCrds(files: readonly string[], inputs: readonly LintDocument[]): CrdSchemaSource[] {
  const crds: CrdSchemaSource[] = [];
  for (const f of files) for (const d of parseManifests(readText(f), f)) crds.push({ object: d.object, file: f });
  // CRDs among the linted manifests validate the custom resources next to them.
  for (const d of inputs) if (d.object.kind === 'CustomResourceDefinition') crds.push({ object: d.object, ...(d.file !== undefined ? { file: d.file } : {}) });
  return crds;
}

async function runLint(paths: readonly string[], f: LintFlags, io: Io): Promise<LintResult> {
  const config = loadConfig(f.config);
  const g = gather(paths);
  for (const dir of f.kustomize ?? []) g.manifests.push(...kustomizeBuild(dir));
  if (g.problems.length > 0) throw new InputErrors(g.problems, g.problems[0]);
  for (const s of g.skipped) io.err(`${io.color.dim(`skipped ${s}: not Kubernetes manifests`)}\n`);
  const options = { config, schema: f.schema, crds: loadCrds(f.crd ?? [], g.manifests) };
  const results: LintResult[] = [];
  if (g.manifests.length > 0 || g.specs.length === 0) results.push(lintObjects(g.manifests, options));
  // Loaded only for slipway.yaml inputs: the spec schema and renderer cost ~100 ms of start-up
  // that linting plain manifests does not need.
  if (g.specs.length === 0) return mergeResults(results);
  const [{ readSpecFiles }, { environmentNames }, { renderApp }] = await Promise.all([import('../spec-files.ts'), import('../../appspec/index.ts'), import('../../render/index.ts')]);
  for (const specPath of g.specs) {
    const { file, spec, envFiles } = readSpecFiles(specPath);
    // Each environment is its own set of objects: cross-object rules must not mix them.
    for (const env of f.env === undefined ? environmentNames(spec) : [f.env]) {
      const { objects } = renderApp(spec, env, { envFiles });
      results.push(lintObjects(objects.map((object) => ({ object, file, context: `env ${env}` })), options));
    }
  }
  return mergeResults(results);
}

export function registerLint(program: Command, io: Io): void {
  program
    .command('lint')
    .description('policy and offline schema checks for Kubernetes manifests (PSS, reliability, RBAC, networking)')
    .argument('[paths...]', 'manifest files, directories (recursive), slipway.yaml, or - for stdin (default: . unless --kustomize)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices(['error', 'warning', 'info', 'never']).default('error'))
    .option('-c, --config <file>', 'lint config (default: .slipway-lint.yaml in the working directory)')
    .option('--crd <file...>', 'CustomResourceDefinition manifests to validate custom resources with')
    .option('-k, --kustomize <dir...>', 'lint the output of `kubectl kustomize <dir>`')
    .option('-e, --env <name>', 'for slipway.yaml inputs: lint only this environment (default: all)')
    .option('--no-schema', 'skip Kubernetes/CRD schema validation')
    .option('--list', 'list all rules with their default severity')
    .option('--explain <rule>', 'explain a rule: what, why, how to fix, link')
    .addHelpText(
      'after',
      `
Every finding names file:line:col of the offending field, the object, the rule, and a fix hint.
Objects are validated offline against the Kubernetes v1.34 OpenAPI schema (and bundled
ServiceMonitor, PrometheusRule and HTTPRoute CRDs; more with --crd). A kind without a schema is
reported as "not validated", never passed silently.

Config (.slipway-lint.yaml):
  disable: [SEC022]          # rule ids or names
  rules: { REL006: error, NET006: "off" }

Per-object opt-out, with a reason (an opt-out without one is itself a finding):
  metadata:
    annotations:
      ignore-check.slipway.dev/SEC020: "nginx writes its pid file; tracked in OPS-12"

Exit codes: 0 no finding at --fail-on or above, 1 findings, 2 unreadable or invalid input.

Examples:
  slipway lint out/                                  every *.yaml/*.json under out/
  slipway lint examples/code-review --env prod       render the spec and lint the result
  kubectl get deploy -o yaml | slipway lint -        from stdin
  slipway lint -k overlays/prod -o sarif > lint.sarif
  slipway lint deploy.yaml --crd crds/widget.yaml --fail-on warning
  slipway lint --list
  slipway lint --explain SEC004`,
    )
    .action(async (paths: string[], f: LintFlags) => {
      if (f.list === true) {
        io.out(formatList(listRules()));
        return;
      }
      if (f.explain !== undefined) {
        const rule = findRule(f.explain);
        if (!rule) throw inputError(`unknown rule "${f.explain}"`, { cause: f.explain, expected: 'a rule id or name', hint: 'run `slipway lint --list`' });
        io.out(formatExplain(ruleMeta(rule)));
        return;
      }
      const result = await runLint(paths.length === 0 && (f.kustomize ?? []).length === 0 ? ['.'] : paths, f, io);
      // Written as it is formatted: one string of the whole report can be 100 MB (issue 14, item 5).
      const chunks = f.output === 'json' ? jsonChunks(result) : f.output === 'sarif' ? sarifChunks(result, VERSION) : textChunks(result, io.color);
      for (const chunk of chunks) io.out(chunk);
      const threshold = f.failOn;
      if (threshold !== 'never' && result.findings.some((x) => severityAtLeast(x.severity, threshold))) io.setExitCode(1);
    });
}
