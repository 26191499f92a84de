/** `slipway validate`: load and check a spec (schema, references, every environment); no cluster needed. */
import { Option, type Command } from 'commander';
import { InputErrors, isSlipwayError, moreProblemsLine, printedProblems, type SlipwayError } from '../../errors/index.ts';
import { environmentNames, resolveEnvironment, type AppSpec } from '../../appspec/index.ts';
import { checkEnvironments, lintConfigFor } from '../render-gate.ts';
import type { Io } from '../io.ts';
import { readSpecFiles } from '../spec-files.ts';

interface ValidateFlags {
  env?: string;
  output: 'text' | 'json';
}

/** A problem as data, for `-o json` (editors, CI annotations). */
function problemJson(p: SlipwayError): Record<string, unknown> {
  return {
    file: p.position?.file,
    line: p.position?.line,
    col: p.position?.col,
    message: p.message,
    path: p.path,
    expected: p.expected,
    hint: p.hint,
  };
}

function summary(spec: AppSpec, envs: readonly string[]): string {
  const count = (o: object | undefined, what: string): string => {
    const n = Object.keys(o ?? {}).length;
    return `${n} ${what}${n === 1 ? '' : 's'}`;
  };
  return `app ${spec.app}: ${count(spec.services, 'service')}, ${count(spec.jobs, 'job')}, ${count(spec.cronJobs, 'cron job')}; environments ${envs.join(', ')}`;
}

/**
 * Renders each environment and applies render's lint gate (render-gate.ts): the problems render
 * would report, positioned in the spec (nothing is printed here).
 */
function renderCheck(spec: AppSpec, envs: readonly string[], envFiles: Readonly<Record<string, string>>, dir: string): void {
  const { problems } = checkEnvironments(spec, envs, { envFiles, config: lintConfigFor(dir) });
  if (problems.length > 0) throw new InputErrors(problems, problems[0]);
}

export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description('check slipway.yaml: schema, references between services, every environment overlay')
    .argument('[path]', 'slipway.yaml or a directory containing one', '.')
    .option('-e, --env <name>', 'render-check only this environment (default: all of them); the base and every overlay are always checked, as render checks them')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Every problem is reported at once, as file:line:col with the spec path, what was expected and a
hint (did-you-mean for misspelled keys and names). Nothing touches a cluster.
validate checks what render checks: the spec and every environment overlay (a broken
overlay fails \`render --env\` of any environment too), then it renders each environment asked
about and applies render's lint gate (error-level findings, with .slipway-lint.yaml next to the
spec), so a spec that validates renders. Findings are reported at their line in the spec.

Exit codes: 0 valid, 2 problems found (or the file cannot be read).

Examples:
  slipway validate                                   ./slipway.yaml, all environments
  slipway validate examples/code-review --env prod
  slipway validate app/slipway.yaml -o json          problems as JSON for editors and CI`,
    )
    .action((path: string, f: ValidateFlags) => {
      try {
        // One truth with render: the spec is loaded as render loads it (the base and every overlay
        // checked), then each environment asked about (all without --env) is rendered, so that
        // nothing validate accepts fails in `render`.
        const { file, spec, envFiles, dir } = readSpecFiles(path);
        const envs = f.env === undefined ? environmentNames(spec) : [f.env];
        renderCheck(spec, envs, envFiles, dir);
        const shown = f.env === undefined ? spec : resolveEnvironment(spec, f.env);
        if (f.output === 'json') io.out(`${JSON.stringify({ file, valid: true, problems: [] }, null, 2)}\n`);
        else io.out(`${io.color.green('✓')} ${file}: ${summary(shown, envs)}\n`);
      } catch (e) {
        if (!isSlipwayError(e) || e.kind !== 'input') throw e;
        const problems = e instanceof InputErrors ? e.problems : [e];
        if (f.output === 'json') {
          io.out(`${JSON.stringify({ file: problems[0]?.position?.file ?? path, valid: false, problems: problems.map(problemJson) }, null, 2)}\n`);
        } else {
          const { shown, hidden } = printedProblems(problems);
          for (const p of shown) io.err(`${io.color.red('error')}: ${p.format()}\n`);
          if (hidden > 0) io.err(`${moreProblemsLine(hidden)}\n`);
          io.err(`${io.color.bold(`${problems.length} problem${problems.length === 1 ? '' : 's'}`)}\n`);
        }
        io.setExitCode(2);
      }
    });
}
