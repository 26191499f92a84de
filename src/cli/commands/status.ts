/** `slipway status`: the health tree app → objects → pods of a deployed app+env. */
import type { Command } from 'commander';
import { describe } from '../../kube/index.ts';
import { findSpec, status, type AppStatus, type HealthStatus, type StatusNode } from '../../sync/index.ts';
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

/** Kinds that run pods (with their pods under them), shown first like `kubectl get all`. */
const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ServiceRollout', 'Pod'];

function line(io: Io, prefix: string, what: string, health: { status: HealthStatus; message?: string | undefined }): string {
  return `${prefix}${what}  ${paint(health.status, io)}${health.message ? io.color.dim(`  ${health.message}`) : ''}\n`;
}

function tree(io: Io, nodes: readonly StatusNode[], indent = ''): string {
  return nodes
    .map((n, i) => {
      const last = i === nodes.length - 1;
      const pods = (n.pods ?? []).map((p, j, all) => line(io, `${indent}${last ? '   ' : '│  '}${j === all.length - 1 ? '└─' : '├─'} `, `Pod/${p.name}`, p.health)).join('');
      return line(io, `${indent}${last ? '└─' : '├─'} `, describe(n.id), n.health) + pods;
    })
    .join('');
}

/**
 * The text of `slipway status`: workloads and their pods first; everything else summarised by kind
 * with counts (anything not Healthy is still listed by name, so nothing wrong hides in a count).
 * `wide` lists every object, as `kubectl get all -o wide` users expect.
 */
export function formatStatus(s: AppStatus, io: Io, wide = false): string {
  const rev = s.revision ? `revision ${s.revision.revision} (${s.revision.status}, ${s.revision.time})` : 'no revision';
  let out = `${io.color.bold(`${s.app}/${s.env}`)} in ${s.namespace}: ${paint(s.health, io)}, ${rev}\n`;
  if (wide) return out + tree(io, s.objects);
  const workloads = s.objects.filter((n) => WORKLOAD_KINDS.includes(n.id.kind));
  const others = s.objects.filter((n) => !WORKLOAD_KINDS.includes(n.id.kind));
  if (workloads.length > 0) out += tree(io, workloads);
  if (others.length === 0) return out;
  const byKind = new Map<string, StatusNode[]>();
  for (const n of others) byKind.set(n.id.kind, [...(byKind.get(n.id.kind) ?? []), n]);
  const kinds = [...byKind.keys()].sort();
  const width = Math.max(...kinds.map((k) => k.length));
  out += `${io.color.dim(`${others.length} other object${others.length === 1 ? '' : 's'} (-o wide lists them):`)}\n`;
  for (const kind of kinds) {
    const nodes = byKind.get(kind) ?? [];
    const counts = new Map<HealthStatus, number>();
    for (const n of nodes) counts.set(n.health.status, (counts.get(n.health.status) ?? 0) + 1);
    const summary = [...counts].map(([h, c]) => (counts.size === 1 ? paint(h, io) : `${c} ${paint(h, io)}`)).join(', ');
    out += `   ${kind.padEnd(width)}  ${String(nodes.length).padStart(3)}  ${summary}\n`;
    const unhealthy = nodes.filter((n) => n.health.status !== 'Healthy');
    if (unhealthy.length > 0) out += tree(io, unhealthy, '   ');
  }
  return out;
}

export function registerStatus(program: Command, io: Io): void {
  const cmd = program.command('status').description('health of a deployed app: app → objects → pods').argument('[path]', 'spec, manifest file or directory (to derive the app name)');
  addTargetFlags(cmd)
    .option('-k, --kustomize <dir>', 'derive the app name from this kustomization')
    .addOption(outputOption(['text', 'wide', 'json']))
    .addHelpText(
      'after',
      `
Health follows Argo CD: Healthy, Suspended, Progressing, Missing, Degraded, Unknown; the app's
health is the worst of its objects'. Exit 1 unless Healthy or Suspended.

Workloads and their pods come first; the other objects (Services, NetworkPolicies,
ServiceAccounts, …) are counted by kind, and only those not Healthy are named. -o wide lists
every object, -o json everything with messages.

Examples:
  slipway status k8s/ --env prod -n shop
  slipway status --app shop --env prod -o wide
  slipway status --app shop --env prod -o json`,
    )
    .action(async (path: string | undefined, f: TargetFlags & { output: string }) => {
      const { app, namespace } = await appFromInput(path, f);
      const client = await connect(f);
      try {
        const s = await status(targetOf(client, f, app, namespace));
        if (f.output === 'json') io.out(`${JSON.stringify(s, null, 2)}\n`);
        else io.out(formatStatus(s, io, f.output === 'wide'));
        if (s.health !== 'Healthy' && s.health !== 'Suspended') io.setExitCode(1);
      } finally {
        client.close();
      }
    });
}
