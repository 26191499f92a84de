/**
 * `slipway render`: spec → Kubernetes manifests (plain YAML per environment, or a Kustomize tree,
 * or a Helm chart). Thin: reads the spec and its env files, calls the renderer, gates on lint,
 * prints or writes.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { inputError, isSlipwayError } from '../../errors/index.ts';
import { projectRoot, readInputFile, referenceReader, writeOutputFile } from '../../files/index.ts';
import { formatText, lintObjects, parseLintConfig, type LintConfig } from '../../lint/index.ts';
import { parseYamlValue, stringifyManifests, type KubeObject } from '../../manifest/index.ts';
import { formatInputFor, renderAll, renderApp, toHelmChart, toKustomize, type RenderResult } from '../../render/index.ts';
import { environmentNames, type AppSpec } from '../../appspec/index.ts';
import { IMAGE_TAG_HELP, imageTagOf } from '../image-tag.ts';
import type { Io } from '../io.ts';
import { readSpecFiles } from '../spec-files.ts';

type Format = 'plain' | 'kustomize' | 'helm';

interface RenderFlags {
  env?: string;
  allEnvs?: boolean;
  out?: string;
  format: Format;
  lint: boolean;
  imageTag?: string;
}

/** What the lint gate needs: the rule config, found like `slipway lint` finds it. */
interface Gate {
  readonly io: Io;
  readonly config: LintConfig;
}

const LINT_CONFIG_NAMES = ['.slipway-lint.yaml', '.slipway-lint.yml'];

/**
 * `.slipway-lint.yaml` next to the spec, else in the working directory; none means defaults. The one
 * next to the spec comes with the spec (a repository slipway may not control): it is a file
 * reference like an envFile, confined to the project root (a link to /proc/self/environ is refused,
 * and its content never reaches an error message).
 */
function lintConfig(specDir: string): LintConfig {
  const exists = (p: string): boolean => statSync(p, { throwIfNoEntry: false }) !== undefined;
  const besideSpec = LINT_CONFIG_NAMES.find((n) => exists(join(specDir, n)));
  if (besideSpec !== undefined) {
    const file = join(specDir, besideSpec);
    const read = referenceReader({ base: specDir, root: projectRoot(specDir), relativeTo: 'slipway.yaml' });
    let text: string;
    try {
      text = read(besideSpec);
    } catch (e) {
      if (!isSlipwayError(e)) throw e;
      throw inputError(`cannot read ${file}: ${e.message}`, {
        cause: e,
        position: { file, line: 1, col: 1 },
        ...(e.expected !== undefined ? { expected: e.expected } : {}),
        ...(e.hint !== undefined ? { hint: e.hint } : {}),
      });
    }
    return parseLintConfig(parseYamlValue(text, file), file);
  }
  const file = LINT_CONFIG_NAMES.find(exists);
  return file === undefined ? {} : parseLintConfig(parseYamlValue(readInputFile(file), file), file);
}

/** Which environments to render: --env, --all-envs, or the only one there is. */
function chooseEnvs(spec: AppSpec, f: RenderFlags): string[] {
  const names = environmentNames(spec);
  if (f.allEnvs === true) {
    if (f.env !== undefined) throw inputError('--env and --all-envs exclude each other', { cause: f.env, hint: 'pass one of them' });
    return names;
  }
  if (f.env !== undefined) return [f.env];
  if (names.length === 1 && names[0] !== undefined) return [names[0]];
  throw inputError(`${spec.app} has ${names.length} environments: say which to render`, {
    cause: names,
    expected: `--env <${names.join('|')}> or --all-envs`,
    hint: `e.g. slipway render --env ${names[0] ?? 'dev'}`,
  });
}

/**
 * Lint gate: error-level findings mean the output would be rejected or unsafe, so nothing is
 * printed or written (exit 1). Returns true when the output may be written.
 */
function lintGate(gate: Gate, objects: readonly KubeObject[], label: string): boolean {
  const { io } = gate;
  const result = lintObjects(objects, { config: gate.config });
  if (result.counts.error === 0) return true;
  const errors = { ...result, findings: result.findings.filter((x) => x.severity === 'error') };
  io.err(formatText(errors, io.color));
  io.err(`${io.color.red('error')}: ${label}: ${result.counts.error} error-level lint finding(s); nothing written (use --no-lint to write anyway)\n`);
  io.setExitCode(1);
  return false;
}

function writeTree(io: Io, dir: string, files: ReadonlyMap<string, string>): void {
  for (const [rel, content] of files) {
    writeOutputFile(join(dir, rel), content);
  }
  io.err(`${io.color.green('wrote')} ${files.size} file(s) under ${dir}\n`);
}

interface Loaded {
  readonly spec: AppSpec;
  readonly envFiles: Readonly<Record<string, string>>;
  readonly dir: string;
}

function renderPlain(io: Io, { spec, envFiles, dir }: Loaded, f: RenderFlags): void {
  // Render everything first: an input problem in any environment means nothing is written.
  const results: RenderResult[] = chooseEnvs(spec, f).map((env) => renderApp(spec, env, { envFiles, imageTag: imageTagOf(f) }));
  for (const r of results) for (const w of r.warnings) io.err(`${io.color.yellow('warning')}: ${r.env}: ${w}\n`);
  if (f.lint) {
    const gate = { io, config: lintConfig(dir) };
    if (!results.every((r) => lintGate(gate, r.objects, `environment ${r.env}`))) return;
  }
  if (f.out !== undefined) {
    writeTree(io, f.out, new Map(results.map((r) => [`${r.env}.yaml`, stringifyManifests(r.objects)])));
    return;
  }
  if (results.length === 1 && results[0] !== undefined) {
    io.out(stringifyManifests(results[0].objects));
    return;
  }
  io.out(results.map((r) => `# environment: ${r.env}\n${stringifyManifests(r.objects)}`).join('---\n'));
}

function renderTree(io: Io, { spec, envFiles, dir }: Loaded, f: RenderFlags): void {
  if (f.out === undefined) {
    throw inputError(`--format ${f.format} writes a directory`, { cause: f.format, expected: '-o <dir>', hint: `e.g. slipway render --format ${f.format} -o deploy/` });
  }
  const input = formatInputFor(spec, { envFiles, imageTag: imageTagOf(f) });
  // The formats carry no warnings; one more plain render per environment (milliseconds) gets them.
  for (const [env, r] of renderAll(spec, { envFiles, imageTag: imageTagOf(f) })) for (const w of r.warnings) io.err(`${io.color.yellow('warning')}: ${env}: ${w}\n`);
  if (f.lint) {
    const gate = { io, config: lintConfig(dir) };
    for (const [env, objects] of input.environments) if (!lintGate(gate, objects, `environment ${env}`)) return;
  }
  writeTree(io, f.out, f.format === 'kustomize' ? toKustomize(input) : toHelmChart(input));
}

export function registerRender(program: Command, io: Io): void {
  program
    .command('render')
    .description('render Kubernetes manifests from slipway.yaml (plain YAML, Kustomize or Helm)')
    .argument('[path]', 'slipway.yaml or a directory containing one', '.')
    .option('-e, --env <name>', 'environment to render (default: the only one, when there is one)')
    .option('--all-envs', 'render every environment')
    .option('-o, --out <dir>', 'write files to this directory instead of stdout (plain: <dir>/<env>.yaml)')
    .addOption(new Option('--format <format>', 'output format').choices(['plain', 'kustomize', 'helm']).default('plain'))
    .option('--no-lint', 'write even when lint finds error-level problems')
    .option('--image-tag <tag>', IMAGE_TAG_HELP)
    .addHelpText(
      'after',
      `
Output is deterministic: the same spec renders the same bytes. Objects come in apply order
(Namespace, ServiceAccounts, ConfigMaps, Services, workloads, PDBs, HPAs, NetworkPolicies,
Ingress/HTTPRoute, ServiceMonitors, PrometheusRules, dashboards). Every pod meets Pod Security
"restricted". Rendered output is linted; error-level findings stop the write (exit 1).
Rules are configured by .slipway-lint.yaml next to the spec (or in the working directory).
Kustomize and Helm output always holds every environment and needs -o.

Exit codes: 0 ok, 1 lint errors (nothing written), 2 bad input (nothing written).

Examples:
  slipway render examples/code-review --env prod             YAML to stdout
  slipway render --all-envs -o out/                          out/dev.yaml, out/prod.yaml, …
  slipway render --env staging | kubectl apply --dry-run=server -f -
  slipway render examples/code-review --format kustomize -o deploy/
  slipway render --format helm -o chart/`,
    )
    .action((path: string, f: RenderFlags) => {
      const loaded = readSpecFiles(path);
      if (f.format === 'plain') renderPlain(io, loaded, f);
      else renderTree(io, loaded, f);
    });
}
