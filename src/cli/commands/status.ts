/** `slipway status`: the health tree app → objects → pods of a deployed app+env. */
import type { Command } from 'commander';
import { describe } from '../../kube/index.ts';
import { findSpec, status, type HealthStatus } from '../../sync/index.ts';
import type { Io } from '../io.ts';
import { addTargetFlags, appFlag, connect, loadFlagsInput, outputOption, targetOf, type TargetFlags } from './deploy.ts';

function paint(s: HealthStatus, io: Io): string {
  return s === 'Healthy' ? io.color.green(s) : s === 'Degraded' || s === 'Missing' || s === 'Unknown' ? io.color.red(s) : io.color.yellow(s);
}

/** App name (and the spec's namespace) from --app, else from the input at `path` if there is one. */
export async function appFromInput(path: string | undefined, f: TargetFlags): Promise<{ app: string; namespace?: string }> {
  if (f.app && path === undefined && !f.kustomize) return { app: f.app };
  if (path === undefined && !f.kustomize && !(await findSpec('.'))) return { app: appFlag(f, undefined) };
  const input = await loadFlagsInput(path, f);
  return { app: input.app, ...(input.namespace !== undefined ? { namespace: input.namespace } : {}) };
}

export function registerStatus(program: Command, io: Io): void {
  const cmd = program.command('status').description('health of a deployed app: app → objects → pods').argument('[path]', 'spec, manifest file or directory (to derive the app name)');
  addTargetFlags(cmd)
    .option('-k, --kustomize <dir>', 'derive the app name from this kustomization')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Health follows Argo CD: Healthy, Suspended, Progressing, Missing, Degraded, Unknown; the app's
health is the worst of its objects'. Exit 1 unless Healthy or Suspended.

Examples:
  slipway status k8s/ --env prod -n shop
  slipway status --app shop --env prod -o json`,
    )
    .action(async (path: string | undefined, f: TargetFlags & { output: string }) => {
      const { app, namespace } = await appFromInput(path, f);
      const client = await connect(f);
      try {
        const s = await status(targetOf(client, f, app, namespace));
        if (f.output === 'json') io.out(`${JSON.stringify(s, null, 2)}\n`);
        else {
          const rev = s.revision ? `revision ${s.revision.revision} (${s.revision.status}, ${s.revision.time})` : 'no revision';
          io.out(`${io.color.bold(`${s.app}/${s.env}`)} in ${s.namespace}: ${paint(s.health, io)}, ${rev}\n`);
          s.objects.forEach((n, i) => {
            const last = i === s.objects.length - 1;
            io.out(`${last ? '└─' : '├─'} ${describe(n.id)}  ${paint(n.health.status, io)}${n.health.message ? io.color.dim(`  ${n.health.message}`) : ''}\n`);
            (n.pods ?? []).forEach((p, j, all) => {
              io.out(`${last ? '   ' : '│  '}${j === all.length - 1 ? '└─' : '├─'} Pod/${p.name}  ${paint(p.health.status, io)}${p.health.message ? io.color.dim(`  ${p.health.message}`) : ''}\n`);
            });
          });
        }
        if (s.health !== 'Healthy' && s.health !== 'Suspended') io.setExitCode(1);
      } finally {
        client.close();
      }
    });
}
