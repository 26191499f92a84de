/**
 * `slipway render`: spec → Kubernetes manifests (plain YAML per environment, or a Kustomize tree,
 * or a Helm chart). Thin: reads the spec and its env files, calls the renderer, gates on lint,
 * prints or writes.
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { inputError, moreProblemsLine, printedProblems } from '../../errors/index.ts';
import { writeOutputFile } from '../../files/index.ts';
import { stringifyManifests } from '../../manifest/index.ts';
import { formatInputFor, renderAll, renderApp, toHelmChart, toKustomize, type RenderResult } from '../../render/index.ts';
import { environmentNames, type AppSpec } from '../../appspec/index.ts';
import { gateProblems, lintConfigFor } from '../render-gate.ts';
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
 * printed or written (exit 1). The findings are the ones `validate` and `import compose` report
 * (render-gate.ts), each at its place in slipway.yaml. Returns true when the output may be written.
 */
function lintGate(io: Io, spec: AppSpec, results: readonly RenderResult[], dir: string): boolean {
  const problems = gateProblems(spec, results, lintConfigFor(dir));
  if (problems.length === 0) return true;
  const { shown, hidden } = printedProblems(problems);
  for (const p of shown) io.err(`${io.color.red('error')}: ${p.format()}\n`);
  if (hidden > 0) io.err(`${moreProblemsLine(hidden)}\n`);
  io.err(`${io.color.red('error')}: ${problems.length} error-level lint finding(s); nothing written (use --no-lint to write anyway)\n`);
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
  if (f.lint && !lintGate(io, spec, results, dir)) return;
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
  // The formats carry no warnings; one more plain render per environment (milliseconds) gets them,
  // and the objects the lint gate checks (the same ones the formats hold).
  const results = [...renderAll(spec, { envFiles, imageTag: imageTagOf(f) }).values()];
  for (const r of results) for (const w of r.warnings) io.err(`${io.color.yellow('warning')}: ${r.env}: ${w}\n`);
  if (f.lint && !lintGate(io, spec, results, dir)) return;
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
