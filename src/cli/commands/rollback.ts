/** `slipway rollback [--to REV]`: re-deploy a stored revision (validated, staged, waited for, pruned, recorded). */
import type { Command } from 'commander';
import { inputError } from '../../errors/index.ts';
import { rollbackTo } from '../../sync/index.ts';
import type { Io } from '../io.ts';
import { addTargetFlags, connect, interruptible, parseDuration, printResult, resultExitCode, targetOf, withProgress, type TargetFlags } from './deploy.ts';
import { appFromInput } from './status.ts';

export function registerRollback(program: Command, io: Io): void {
  const cmd = program.command('rollback').description('re-deploy an earlier revision (default: the last good one before the current)').argument('[path]', 'spec, manifest file or directory (to derive the app name)');
  addTargetFlags(cmd)
    .option('-k, --kustomize <dir>', 'derive the app name from this kustomization')
    .option('--to <revision>', 'revision number (see `slipway history`)')
    .option('--timeout <duration>', 'how long to wait for health', '5m')
    .option('--force-conflicts', 'take ownership of fields another field manager owns')
    .addHelpText(
      'after',
      `
Examples:
  slipway rollback --app shop --env prod -n shop            back to the previous good revision
  slipway rollback k8s/ --env prod --to 3`,
    )
    .action(async (path: string | undefined, f: TargetFlags & { to?: string; timeout: string; forceConflicts?: boolean }) => {
      const to = f.to === undefined ? undefined : Number(f.to);
      if (to !== undefined && (!Number.isInteger(to) || to < 1)) throw inputError(`--to must be a revision number, got "${f.to ?? ''}"`, { cause: f.to, hint: '`slipway history` lists revisions' });
      const timeoutMs = parseDuration(f.timeout);
      const { app, namespace } = await appFromInput(path, f);
      const client = await connect(f);
      try {
        const t = targetOf(client, f, app, namespace);
        const r = await interruptible((signal) =>
          withProgress(io, `rollback ${t.app}/${t.env} in ${t.namespace}${to ? ` to revision ${to}` : ''}`, (onEvent) =>
            rollbackTo({ ...t, ...(to !== undefined ? { to } : {}), timeoutMs, forceConflicts: f.forceConflicts ?? false, onEvent, signal }),
          ),
        );
        printResult(r, io);
        io.setExitCode(resultExitCode(r));
      } finally {
        client.close();
      }
    });
}
