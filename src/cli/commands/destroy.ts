/** `slipway destroy`: delete everything an app+env's inventory lists (reverse stage order), then the inventory. */
import type { Command } from 'commander';
import { describe } from '../../kube/index.ts';
import { destroy } from '../../sync/index.ts';
import type { Io } from '../io.ts';
import { addTargetFlags, connect, interruptible, targetOf, type TargetFlags } from './deploy.ts';
import { appFromInput } from './status.ts';

export function registerDestroy(program: Command, io: Io): void {
  const cmd = program.command('destroy').description("delete everything slipway deployed for an app+env, then its history").argument('[path]', 'spec, manifest file or directory (to derive the app name)');
  addTargetFlags(cmd)
    .option('-k, --kustomize <dir>', 'derive the app name from this kustomization')
    .addHelpText(
      'after',
      `
Only objects in the inventory that are still labelled as the app's are deleted (workloads first,
then config, then Namespaces/CRDs); an object someone relabelled or replaced is kept.

Examples:
  slipway destroy --app shop --env dev -n shop
  slipway destroy k8s/ --env dev`,
    )
    .action(async (path: string | undefined, f: TargetFlags) => {
      const { app, namespace } = await appFromInput(path, f);
      const client = await connect(f);
      try {
        const t = targetOf(client, f, app, namespace);
        const r = await interruptible((signal) => destroy({ ...t, onDelete: (id) => io.err(`  deleted ${describe(id)}\n`), signal }));
        for (const id of r.skipped) io.err(`  ${io.color.yellow('kept')} ${describe(id)} (no longer labelled as ${t.app}'s: not slipway's to delete)\n`);
        for (const e of r.errors) io.err(`${io.color.red('error')}: ${e.format()}\n`);
        io.out(`${t.app}/${t.env} in ${t.namespace}: ${r.deleted.length} object(s) deleted${r.skipped.length > 0 ? `, ${r.skipped.length} kept (not owned)` : ''}${r.errors.length > 0 ? `, ${r.errors.length} failed (inventory kept; re-run destroy)` : ''}\n`);
        if (r.errors.length > 0) io.setExitCode(r.errors.some((e) => e.kind === 'cancelled') ? 130 : 1);
      } finally {
        client.close();
      }
    });
}
