/** `slipway diff`: what a deploy would change, from a server-side dry-run against live objects. Exit 1 when there are differences, like `kubectl diff`. */
import type { Command } from 'commander';
import { describe } from '../../kube/index.ts';
import { diff } from '../../sync/index.ts';
import { IMAGE_TAG_HELP } from '../image-tag.ts';
import type { Io } from '../io.ts';
import { addTargetFlags, connect, loadFlagsInput, outputOption, targetOf, type TargetFlags } from './deploy.ts';

function colourPatch(patch: string, io: Io): string {
  const c = io.color;
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('====='))
    .map((l) => (l.startsWith('+++') || l.startsWith('---') ? c.bold(l) : l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l))
    .join('\n');
}

export function registerDiff(program: Command, io: Io): void {
  const cmd = program.command('diff').description('show what a deploy would change (server-side dry-run against live objects)').argument('[path]', 'spec, manifest file or directory', '.');
  addTargetFlags(cmd)
    .option('-k, --kustomize <dir>', 'diff the output of `kubectl kustomize <dir>`')
    .option('--image-tag <tag>', IMAGE_TAG_HELP)
    .option('--force-conflicts', 'dry-run as if taking ownership of conflicting fields')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Only fields slipway sets are compared: server defaults, status, managedFields, resourceVersion,
uid and timestamps never show. Objects a deploy would prune show as deletions.
Exit codes: 0 no differences, 1 differences (or a failure), 2 bad input.

Examples:
  slipway diff k8s/ --env prod -n shop
  slipway diff --kustomize overlays/prod -o json`,
    )
    .action(async (path: string, f: TargetFlags & { forceConflicts?: boolean; output: string }) => {
      const input = await loadFlagsInput(path, f);
      const client = await connect(f);
      try {
        const entries = await diff({ ...targetOf(client, f, input.app, input.namespace), objects: input.objects, forceConflicts: f.forceConflicts ?? false });
        const changed = entries.filter((e) => e.change !== 'none');
        if (f.output === 'json') io.out(`${JSON.stringify(entries.map((e) => ({ ...e, id: describe(e.id) })), null, 2)}\n`);
        else {
          for (const e of changed) {
            if (e.change === 'skip') io.err(`${io.color.yellow('warning')}: skipping ${describe(e.id)}: ${e.message ?? ''}\n`);
            else io.out(`${colourPatch(e.patch, io)}\n`);
          }
        }
        if (changed.some((e) => e.change !== 'skip')) io.setExitCode(1);
      } finally {
        client.close();
      }
    });
}
