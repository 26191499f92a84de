/** `slipway history`: the revisions stored in the cluster for an app+env (last 10 kept). */
import type { Command } from 'commander';
import { history } from '../../sync/index.ts';
import type { Io } from '../io.ts';
import { addTargetFlags, connect, outputOption, targetOf, type TargetFlags } from './deploy.ts';
import { appFromInput } from './status.ts';

export function registerHistory(program: Command, io: Io): void {
  const cmd = program.command('history').description('revisions of an app+env stored in the cluster (last 10)').argument('[path]', 'spec, manifest file or directory (to derive the app name)');
  addTargetFlags(cmd)
    .option('-k, --kustomize <dir>', 'derive the app name from this kustomization')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Examples:
  slipway history k8s/ --env prod -n shop
  slipway history --app shop --env prod -o json`,
    )
    .action(async (path: string | undefined, f: TargetFlags & { output: string }) => {
      const { app, namespace } = await appFromInput(path, f);
      const client = await connect(f);
      try {
        const revs = await history(targetOf(client, f, app, namespace));
        if (f.output === 'json') {
          io.out(`${JSON.stringify(revs, null, 2)}\n`);
          return;
        }
        if (revs.length === 0) {
          io.err(`no revisions of ${app}/${f.env}\n`);
          return;
        }
        io.out(`${'REVISION'.padEnd(9)} ${'TIME'.padEnd(24)} ${'STATUS'.padEnd(10)} ${'OBJECTS'.padEnd(8)} MESSAGE\n`);
        for (const r of revs) {
          const st = r.status === 'succeeded' ? io.color.green(r.status.padEnd(10)) : io.color.red(r.status.padEnd(10));
          io.out(`${String(r.revision).padEnd(9)} ${r.time.padEnd(24)} ${st} ${String(r.objects).padEnd(8)} ${r.message.split('\n')[0] ?? ''}\n`);
        }
      } finally {
        client.close();
      }
    });
}
