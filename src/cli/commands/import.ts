/** `slipway import compose`: docker-compose.yml → slipway.yaml, with a report of what was not translated. */
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { inputError, InputErrors, isSlipwayError, type SlipwayError } from '../../errors/index.ts';
import { projectRoot, readInputFile, referenceReader, writeOutputFile } from '../../files/index.ts';
import { stringifyYaml } from '../../manifest/index.ts';
import { DEFAULT_ENVIRONMENTS, environmentNames, importCompose, loadSpec, loadSpecValue, SCHEMA_ID, type AppSpec, type ComposeImportResult, type ImportReportEntry } from '../../appspec/index.ts';
import { checkEnvironments, lintConfigFor } from '../render-gate.ts';
import type { Io } from '../io.ts';

interface ImportFlags {
  output?: string;
  envName?: string;
  environments?: string;
  profile?: string[];
  envFile?: string;
  schema: string;
  strict?: boolean;
  force?: boolean;
}

/**
 * A `readFile` for the importer: files the compose file references (env_file, configs.file) stay
 * inside the project root, symlinks resolved; a missing file is `undefined` (the importer reports
 * it, with its position); any other refusal is thrown for the importer to position.
 */
function composeReader(read: (ref: string) => string): (ref: string) => string | undefined {
  return (ref) => {
    try {
      return read(ref);
    } catch (e) {
      if (isSlipwayError(e) && e.kind === 'not-found') return undefined;
      throw e;
    }
  };
}

/**
 * Interpolation variables the way compose builds them: the .env file (parsed and interpolated by
 * the importer, as compose does), overridden by the shell. `--env-file` is the user's choice (read
 * as given, bounded); the implicit `.env` next to the compose file is a file reference like any
 * other (inside the project root, symlinks resolved).
 */
function variables(composeFile: string, read: (ref: string) => string | undefined, envFile: string | undefined): { shell: Record<string, string>; dotenv?: { file: string; text: string } } {
  let text: string | undefined;
  let shown = envFile ?? join(dirname(composeFile), '.env');
  if (envFile !== undefined) text = readInputFile(envFile, { shown: `${envFile} (--env-file)`, as: 'referenced' });
  else {
    try {
      text = read('.env');
    } catch (e) {
      if (!isSlipwayError(e)) throw e;
      throw inputError(`cannot read ${shown} (the .env next to the compose file): ${e.message}`, {
        cause: e,
        position: { file: shown, line: 1, col: 1 },
        ...(e.expected !== undefined ? { expected: e.expected } : {}),
        ...(e.hint !== undefined ? { hint: e.hint } : {}),
      });
    }
  }
  shown = toPosix(shown);
  const shell = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  return text === undefined ? { shell } : { shell, dotenv: { file: shown, text } };
}

/** `--env-name x` (one environment) or `--environments a,b,c` (default dev,staging,prod). */
function environmentList(f: ImportFlags): string[] {
  const names = f.environments !== undefined ? f.environments.split(',').map((n) => n.trim()).filter((n) => n !== '') : f.envName !== undefined ? [f.envName] : [...DEFAULT_ENVIRONMENTS];
  for (const n of names) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || n.length > 40) {
      throw inputError(`invalid environment name "${n}"`, { cause: n, expected: 'lowercase letters, digits and "-", starting and ending alphanumeric, at most 40 characters', hint: 'e.g. --environments dev,staging,prod' });
    }
  }
  if (new Set(names).size !== names.length) throw inputError(`environment listed twice in "${names.join(',')}"`, { cause: names, expected: 'each environment once', hint: 'e.g. --environments dev,staging,prod' });
  return names;
}

function toPosix(p: string): string {
  return p.split('\\').join('/');
}

export interface ImportRun {
  readonly result: ComposeImportResult;
  readonly text: string;
  readonly outPath: string | undefined;
  /**
   * Problems `slipway validate` would report in the written text, as error entries positioned in
   * that text: the importer never reports success for a spec validate refuses.
   */
  readonly outputProblems: readonly ImportReportEntry[];
}

/**
 * Checks the generated text the way `slipway validate` and `slipway render` do (render-gate.ts):
 * loaded with its envFiles (read from where slipway.yaml goes), every environment rendered, the
 * lint gate applied. What they would refuse is an error entry at its line in the written file, so
 * an import that exits 0 has written a spec that validates and renders in every environment.
 */
function validateOutput(value: unknown, text: string, shown: string, specDir: string): ImportReportEntry[] {
  const toEntries = (problems: readonly SlipwayError[], what: string): ImportReportEntry[] =>
    problems.map((p) => ({
      severity: 'error' as const,
      path: p.path ?? '(spec)',
      converted: false,
      message: `the generated ${shown} ${what}: ${p.message}`,
      hint: p.hint ?? (p.expected !== undefined ? `expected ${p.expected}; fix it in the compose file (or via x-slipway) and import again` : 'fix it in the compose file (or via x-slipway) and import again'),
      ...(p.position ? { position: p.position } : {}),
    }));
  const read = referenceReader({ base: specDir, root: projectRoot(specDir), relativeTo: 'slipway.yaml' });
  const config = lintConfigFor(specDir);
  const reader = (envFiles: Record<string, string>) => (rel: string) => (envFiles[rel] = read(rel));
  // Fast path, the common case: the spec as data passes the same checks, and no YAML parse of the
  // output is needed (parsing it with positions was a third of a 500-service import). Only when
  // something fails is the written text loaded, for the problems' file:line:col in it.
  try {
    const envFiles: Record<string, string> = {};
    const spec = loadSpecValue(JSON.parse(JSON.stringify(value)), shown, { readFile: reader(envFiles) });
    if (checkEnvironments(spec, environmentNames(spec), { envFiles, config }).problems.length === 0) return [];
  } catch (e) {
    if (!(e instanceof InputErrors)) throw e;
  }
  const envFiles: Record<string, string> = {};
  let spec: AppSpec;
  try {
    spec = loadSpec(text, shown, { readFile: reader(envFiles) });
  } catch (e) {
    if (!(e instanceof InputErrors)) throw e;
    return toEntries(e.problems, 'does not validate');
  }
  return toEntries(checkEnvironments(spec, environmentNames(spec), { envFiles, config }).problems, 'does not render');
}

/** Reads the compose file and what it references, converts, and renders slipway.yaml's text. */
export function runComposeImport(file: string, f: ImportFlags): ImportRun {
  const text = readInputFile(file);
  const composeDir = dirname(resolve(file));
  const read = composeReader(referenceReader({ base: composeDir, root: projectRoot(composeDir), relativeTo: 'the compose file' }));
  const vars = variables(file, read, f.envFile);
  const outPath = f.output === '-' ? undefined : resolve(f.output ?? resolve(composeDir, 'slipway.yaml'));
  const prefix = outPath === undefined ? '' : toPosix(relative(dirname(outPath), composeDir));
  const profiles = f.profile ?? (process.env['COMPOSE_PROFILES'] ?? '').split(',').filter((p) => p !== '');
  const result = importCompose({
    text,
    file,
    // Missing files are reported by the importer, refused ones are input errors (both with positions).
    readFile: read,
    variables: vars.shell,
    ...(vars.dotenv === undefined ? {} : { dotenv: vars.dotenv }),
    profiles,
    projectName: process.env['COMPOSE_PROJECT_NAME'] ?? basename(composeDir),
    pathPrefix: prefix,
    environments: environmentList(f),
  });
  const header = [
    `# yaml-language-server: $schema=${f.schema}`,
    '#',
    `# Generated by \`slipway import compose ${basename(file)}\`. Review the import report it printed:`,
    '# keys it could not translate are listed there, not silently dropped.',
    '',
  ].join('\n');
  const out = `${header}${stringifyYaml(result.spec)}`;
  return { result, text: out, outPath, outputProblems: validateOutput(result.spec, out, outPath === undefined ? '<stdout>' : displayPath(outPath), outPath === undefined ? composeDir : dirname(outPath)) };
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel === '' || rel.startsWith('..') ? p : rel;
}

function formatEntry(e: ImportReportEntry, io: Io): string {
  const where = e.position ? `${e.position.file}:${e.position.line}:${e.position.col}: ` : '';
  const sev = e.severity === 'error' ? io.color.red('error') : e.severity === 'warning' ? io.color.yellow('warning') : io.color.cyan('info');
  const what = e.converted ? 'converted' : io.color.bold('not translated');
  const lines = [`${where}${sev}: ${e.path} (${what}): ${e.message}`];
  if (e.hint !== undefined) lines.push(`  hint: ${e.hint}`);
  return lines.join('\n');
}

function summary(r: ComposeImportResult, outputProblems: readonly ImportReportEntry[]): string {
  const n = (o: object | undefined): number => Object.keys(o ?? {}).length;
  const count = (s: string): number => [...r.report, ...outputProblems].filter((e) => e.severity === s).length;
  const dropped = r.report.filter((e) => !e.converted).length;
  return `${n(r.spec.services)} services, ${n(r.spec.jobs)} jobs, ${n(r.spec.configMaps)} configMaps, ${n(r.spec.secrets)} secret references; report: ${count('error')} errors, ${count('warning')} warnings, ${count('info')} info (${dropped} keys not translated)`;
}

export function registerImport(program: Command, io: Io): void {
  const cmd = program.command('import').description('create slipway.yaml from another tool\'s files');
  cmd
    .command('compose')
    .description('convert a docker-compose file (Compose Specification) into slipway.yaml')
    .argument('<file>', 'the compose file, e.g. docker-compose.yml')
    .option('-o, --output <file>', 'where to write slipway.yaml ("-" for stdout; missing directories are created) (default: slipway.yaml next to the compose file)')
    .option('--environments <names>', `environments to scaffold under environments:, comma-separated; each gets the overlay its name implies (default: ${DEFAULT_ENVIRONMENTS.join(',')})`)
    .option('--env-name <name>', 'scaffold only this one environment (instead of --environments)')
    .option('-p, --profile <name...>', 'activate compose profiles (default: $COMPOSE_PROFILES)')
    .option('--env-file <file>', 'variables for ${VAR} interpolation (default: .env next to the compose file); the shell environment wins, as in compose')
    .option('--schema <url>', 'JSON Schema for the yaml-language-server header line', SCHEMA_ID)
    .option('--strict', 'exit 1 when any warning is reported (anything not translated that matters)')
    .option('-f, --force', 'overwrite an existing output file')
    .addHelpText(
      'after',
      `
Every compose key is either translated or listed in the report on stderr (file:line:col, why,
what to do), with severity info / warning / error. Decisions worth knowing:
  - healthcheck → readiness + liveness exec probes (start_period → a startup probe)
  - named volumes → persistent volumes (the service becomes a StatefulSet); bind mounts are reported
  - restart: "no" / on-failure without ports → a Job; x-slipway: { kind: service } keeps a service
  - secrets → Secret references mounted at /run/secrets/NAME (values are never read or written)
  - env_file → a ConfigMap (envFile:) + envFrom; credential-looking environment values → Secret refs
  - deploy.resources: cpus "0.5" → 500m, memory "512M" → 512Mi (Docker sizes are binary)
  - images without a tag are errors: pin them, or set x-slipway: { image: repo:tag }
  - x-slipway: { ... } on a service is merged into the generated service and validated

The generated slipway.yaml is validated as \`slipway validate\` would: what it refuses is
reported as errors at their place in the written file (which is still written, to be fixed).

Exit codes: 0 converted (and the output validates), 1 the report has errors (or warnings with
--strict), 2 invalid compose file.

Examples:
  slipway import compose docker-compose.yml
  slipway import compose docker-compose.yml -o - --environments dev,prod | less
  slipway import compose compose.yaml -p research -o deploy/slipway.yaml --force
  slipway import compose examples/quant-finance/docker-compose.yml --schema ../../schema/slipway.schema.json --force`,
    )
    .action((file: string, f: ImportFlags) => {
      const run = runComposeImport(file, f);
      for (const e of [...run.result.report, ...run.outputProblems]) io.err(`${formatEntry(e, io)}\n`);
      if (run.outPath === undefined) {
        io.out(run.text);
      } else {
        if (existsSync(run.outPath) && f.force !== true) {
          throw inputError(`${run.outPath} exists`, { cause: undefined, expected: 'a new output file', hint: 'use --force to overwrite it, or -o to write elsewhere' });
        }
        writeOutputFile(run.outPath, run.text);
      }
      io.err(`${io.color.bold(run.outPath === undefined ? 'imported' : `wrote ${displayPath(run.outPath)}`)}: ${summary(run.result, run.outputProblems)}\n`);
      const errors = run.result.report.some((e) => e.severity === 'error') || run.outputProblems.length > 0;
      const warnings = run.result.report.some((e) => e.severity === 'warning');
      if (errors || (f.strict === true && warnings)) io.setExitCode(1);
    });
}
