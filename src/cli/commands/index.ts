import type { Command } from 'commander';
import type { Io } from '../io.ts';

type Register = (p: Command, io: Io) => void;

/**
 * Every command, in help order: one line per command file. Each command file is thin: parse
 * flags, call an engine through its folder's index.ts, print.
 *
 * Loaded lazily because the engines' dependencies are heavy (@kubernetes/client-node alone
 * takes over a second to load): `slipway import compose` should not pay for the deploy stack.
 */
const COMMANDS: readonly (readonly [name: string, load: () => Promise<Register>])[] = [
  ['cluster', async () => (await import('./cluster.ts')).registerCluster],
  ['deploy', async () => (await import('./deploy.ts')).registerDeploy],
  ['diff', async () => (await import('./diff.ts')).registerDiff],
  ['status', async () => (await import('./status.ts')).registerStatus],
  ['history', async () => (await import('./history.ts')).registerHistory],
  ['rollback', async () => (await import('./rollback.ts')).registerRollback],
  ['destroy', async () => (await import('./destroy.ts')).registerDestroy],
  ['rollout', async () => (await import('./rollout.ts')).registerRollout],
  ['controller', async () => (await import('./controller.ts')).registerController],
  ['app', async () => (await import('./app.ts')).registerApp],
  ['promote', async () => (await import('./promote.ts')).registerPromote],
  ['schema', async () => (await import('./schema.ts')).registerSchema],
  ['validate', async () => (await import('./validate.ts')).registerValidate],
  ['ci', async () => (await import('./ci.ts')).registerCi],
  ['import', async () => (await import('./import.ts')).registerImport],
  ['render', async () => (await import('./render.ts')).registerRender],
  ['lint', async () => (await import('./lint.ts')).registerLint],
];

/**
 * Registers the command named by the first non-option argument, or every command when there is
 * none or it is unknown (top-level help, `help <cmd>`, did-you-mean suggestions); none for a
 * bare `--version`.
 */
export async function registerCommands(program: Command, io: Io, args: readonly string[]): Promise<void> {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined && (args.includes('--version') || args.includes('-V'))) return;
  const chosen = COMMANDS.filter(([name]) => name === first);
  const loads = (chosen.length > 0 ? chosen : COMMANDS).map(([, load]) => load());
  for (const register of await Promise.all(loads)) register(program, io);
}
