/**
 * The slipway CLI: a thin edge over the engines. Parses flags, calls an engine, prints, and maps
 * errors to exit codes (0 ok, 1 findings or failed operation, 2 bad input or usage, 130 interrupted) here only.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeFor, isSlipwayError, SlipwayError } from '../errors/index.ts';
import { registerCommands } from './commands/index.ts';
import { VERSION } from './version.ts';
import { makeIo, type Io } from './io.ts';

/** The program with the commands `args` (argv without node and script) can reach. */
export async function buildProgram(io: Io, args: readonly string[] = []): Promise<Command> {
  const program = new Command('slipway')
    .description('Take a multi-service application safely to Kubernetes: spec, render, lint, CI, deploy, GitOps.')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  slipway render examples/code-review --env prod          render manifests to stdout
  slipway import compose docker-compose.yml -o slipway.yaml
  slipway lint out/                                       policy + schema checks
  slipway cluster up && slipway deploy . --env dev --wait

Exit codes: 0 ok, 1 findings or failed operation, 2 bad input or usage, 130 interrupted.`,
    );
  await registerCommands(program, io, args);
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit, so tests can drive it). */
export async function main(argv: readonly string[], io: Io = makeIo()): Promise<number> {
  try {
    const program = await buildProgram(io, argv.slice(2));
    await program.parseAsync([...argv]);
    return io.exitCode();
  } catch (e) {
    return reportError(e, io);
  }
}

function reportError(e: unknown, io: Io): number {
  if (e instanceof CommanderError) {
    // --help and --version exit 0 through commander; anything else is a usage error.
    return e.exitCode === 0 ? 0 : 2;
  }
  if (isSlipwayError(e)) {
    io.err(`${io.color.red('error')}: ${e.format()}\n`);
    if (process.env['SLIPWAY_DEBUG'] && e.cause !== undefined) io.err(`cause: ${e.cause instanceof Error ? (e.cause.stack ?? e.cause.message) : JSON.stringify(e.cause)}\n`);
    return exitCodeFor(e);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.err(`${io.color.red('error')}: ${err.message}\n`);
  if (process.env['SLIPWAY_DEBUG']) io.err(`${err.stack ?? ''}\n`);
  return exitCodeFor(new SlipwayError('internal', err.message, { cause: e }));
}
