/** `slipway app create|list|get|sync|diff|history|rollback|delete`: GitOps apps (SlipwayApps) the controller keeps equal to git. */
import type { Command } from 'commander';
import { conflict, inputError, rolloutFailed } from '../../errors/index.ts';
import type { KubeClient } from '../../kube/index.ts';
import { stringifyManifests } from '../../manifest/index.ts';
import { API_VERSION, APP_CLI_MANAGER, KIND, appObject, deleteApp, getApp, listApps, pipelineApps, requestOperation, rollbackTarget, watchApp, type SlipwayApp, type SyncRecordT } from '../../gitops/index.ts';
import type { Io } from '../io.ts';
import { connect, interruptible, outputOption, parseDuration } from './deploy.ts';

interface Conn {
  context?: string;
  kubeconfig?: string;
  namespace?: string;
}

const addConn = (c: Command): Command =>
  c
    .option('--context <name>', 'kubeconfig context (default: current context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('-n, --namespace <ns>', 'namespace of the SlipwayApp (default: the context namespace, else "default")');

const nsOf = (client: KubeClient, f: Conn): string => f.namespace ?? client.contextNamespace ?? 'default';

async function withClient<T>(f: Conn, work: (client: KubeClient, ns: string) => Promise<T>): Promise<T> {
  const client = await connect(f);
  try {
    return await work(client, nsOf(client, f));
  } finally {
    client.close();
  }
}

const short = (sha: string | undefined): string => (sha && /^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 7) : (sha ?? '-'));

function age(ts: string | undefined): string {
  if (!ts) return '-';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function colorOf(io: Io, v: string | undefined): string {
  const c = io.color;
  if (v === undefined) return '-';
  if (v === 'Synced' || v === 'Healthy' || v === 'Succeeded') return c.green(v);
  if (v === 'OutOfSync' || v === 'Progressing' || v === 'Running' || v === 'Suspended') return c.yellow(v);
  return c.red(v);
}

/** A table with columns sized to their content (as kubectl prints), colour codes not counted. */
function table(rows: readonly (readonly string[])[]): string {
  // eslint-disable-next-line no-control-regex
  const width = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => width(r[i] ?? '')))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell) + 3))).join('').trimEnd()).join('\n') + '\n';
}

function listRows(apps: readonly SlipwayApp[], io: Io, allNs: boolean, wide: boolean): string {
  const head = [...(allNs ? ['NAMESPACE'] : []), 'NAME', 'SYNC', 'HEALTH', 'REVISION', 'AGE', ...(wide ? ['REPO', 'PATH', 'TARGET', 'LAST SYNC'] : [])];
  const rows = apps.map((a) => [
    ...(allNs ? [a.metadata.namespace ?? ''] : []),
    a.metadata.name ?? '',
    colorOf(io, a.status?.sync?.status ?? 'Unknown'),
    colorOf(io, a.status?.health?.status ?? 'Unknown'),
    short(a.status?.revision),
    age((a.metadata as { creationTimestamp?: string }).creationTimestamp),
    ...(wide ? [a.spec.source.repoURL, a.spec.source.path ?? '.', `${a.spec.source.revision ?? 'HEAD'}${a.status?.sync?.revision ? ` (${short(a.status.sync.revision)})` : ''}`, a.status?.lastSync ? `${a.status.lastSync.phase} ${age(a.status.lastSync.finishedAt ?? a.status.lastSync.startedAt)} ago` : '-'] : []),
  ]);
  return table([head, ...rows]);
}

function syncLine(r: SyncRecordT, io: Io): string {
  const took = r.finishedAt ? `${Math.max(0, Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000))}s` : 'running';
  return `#${r.id} ${colorOf(io, r.phase)} ${r.trigger} ${short(r.revision)} at ${r.startedAt} (${took})${r.inventoryRevision !== undefined ? `, inventory revision ${r.inventoryRevision}` : ''}`;
}

function sourceLine(s: SlipwayApp['spec']['source']): string {
  return `${s.repoURL}  path ${s.path ?? '.'}  env ${s.env ?? 'default'}  revision ${s.revision ?? 'HEAD'}${s.secretRef ? `  secret ${s.secretRef.name}` : ''}`;
}

/** The source, destination, policy and revisions of an app. */
function headLines(a: SlipwayApp, io: Io): string[] {
  const st = a.status ?? {};
  const p = a.spec.syncPolicy ?? {};
  const mode = `${(p.automated ?? true) ? 'automated' : 'manual'}${p.prune ? ', prune' : ''}${p.selfHeal ? ', selfHeal' : ''}`;
  const health = `${colorOf(io, st.health?.status ?? 'Unknown')}${st.health?.message ? ` (${st.health.message})` : ''}`;
  const where = `namespace ${a.spec.destination?.namespace ?? st.namespace ?? '(from the source)'}`;
  return [
    `${io.color.bold(`${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`)}  ${colorOf(io, st.sync?.status ?? 'Unknown')}  ${health}`,
    `  source       ${sourceLine(a.spec.source)}`,
    `  destination  ${a.spec.destination?.cluster ?? 'in-cluster'}  ${where}`,
    `  policy       ${mode}, every ${p.interval ?? '3m'}, timeout ${p.timeout ?? '10m'}`,
    `  target       ${st.sync?.ref ?? '-'} ${short(st.sync?.revision)}`,
    `  deployed     ${short(st.revision)}`,
  ];
}

/** The sync running, the last one with its message and changed objects, and the retry state. */
function syncLines(a: SlipwayApp, io: Io): string[] {
  const st = a.status ?? {};
  const lines: string[] = [];
  if (st.operation) lines.push(`  running      ${syncLine(st.operation, io)}`);
  const last = st.lastSync;
  if (last) {
    lines.push(`  last sync    ${syncLine(last, io)}`);
    if (last.message) lines.push(...last.message.split('\n').slice(0, 30).map((l) => `               ${l}`));
    const changed = (last.resources ?? []).filter((r) => r.action !== 'unchanged');
    for (const r of changed.slice(0, 20)) lines.push(`               ${r.action.padEnd(10)} ${r.kind}/${r.name}${r.message ? ` ${io.color.dim(r.message)}` : ''}`);
  }
  const retry = st.retry;
  if (retry) lines.push(`  retry        ${retry.failures} failure(s) of ${short(retry.revision)}; ${retry.exhausted ? 'no more automatic attempts (a new commit, or `slipway app sync`)' : `next at ${retry.nextAttemptAt ?? '-'}`}`);
  return lines;
}

/** Drifted objects with who changed each field, what is not drift and why, and the conditions that are not True. */
function driftLines(a: SlipwayApp, io: Io): string[] {
  const st = a.status ?? {};
  const c = io.color;
  const lines: string[] = [];
  const drift = st.drift;
  if (drift && drift.total > 0) {
    lines.push(`  ${c.yellow('drift')}        ${drift.total} object(s) differ from git${a.spec.syncPolicy?.selfHeal ? ' (being healed)' : ' (selfHeal off: `slipway app sync` repairs it)'}`);
    for (const o of drift.objects) {
      lines.push(`    ${o.kind}/${o.name}${o.missing ? ' missing' : ''}`);
      for (const f of o.fields ?? []) lines.push(`      ${f.path}: ${f.live ?? '(absent)'} → ${f.desired ?? '(absent)'}${f.by ? `  changed by ${f.by}` : ''}`);
    }
  }
  const prunable = st.prunable ?? [];
  if (prunable.length > 0) lines.push(`  ${c.yellow('prunable')}     ${prunable.map((o) => `${o.kind}/${o.name}`).join(', ')} (git no longer has them${a.spec.syncPolicy?.prune ? '' : '; prune is off: `slipway app sync --prune` deletes them'})`);
  for (const x of drift?.ignored ?? []) lines.push(`  ${c.dim(`not drift: ${x.kind}/${x.name} ${x.path}${x.by ? ` set by ${x.by}` : ''} (${x.reason})`)}`);
  for (const cond of st.conditions ?? []) if (cond.status !== 'True') lines.push(`  ${c.yellow(cond.type)}=${cond.status} ${cond.reason}: ${cond.message.split('\n')[0] ?? ''}`);
  return lines;
}

function phaseColor(io: Io, phase: string | undefined): string {
  if (phase === undefined) return '-';
  if (phase === 'Promoted') return io.color.green(phase);
  if (phase === 'Blocked') return io.color.red(phase);
  return io.color.yellow(phase);
}

/** The pipeline's environments in order, where each one is, and why the next promotion here stopped. */
function promotionLines(a: SlipwayApp, pipeline: readonly SlipwayApp[], io: Io): string[] {
  const spec = a.spec.promotion;
  if (!spec) return [];
  const envs = (pipeline.length > 0 ? pipeline : [a]).map((x) => {
    const env = x.spec.source.env ?? 'default';
    const me = x.metadata.name === a.metadata.name ? io.color.bold(`${env} (${x.metadata.name ?? ''})`) : `${env} (${x.metadata.name ?? ''})`;
    const gate = x.spec.promotion?.from ? ` ${phaseColor(io, x.status?.promotion?.gate?.phase)}` : '';
    return `${me} ${short(x.status?.revision)} ${colorOf(io, x.status?.health?.status ?? 'Unknown')}${gate}`;
  });
  const lines = [`  pipeline     ${spec.pipeline}: ${envs.join(' → ')}`];
  if (!spec.from) return lines;
  const p = a.status?.promotion;
  lines.push(`  promotion    from ${spec.from}, soak ${spec.soak ?? '0s'}, approval ${spec.approval ?? 'Automatic'}; promoted ${short(p?.revision)}${p?.current ? ` at ${p.current.at} by ${p.current.by}` : ''}`);
  const g = p?.gate;
  if (g) lines.push(`  next         ${phaseColor(io, g.phase)} ${short(g.revision)} ${g.reason}: ${g.message}${g.soakUntil && g.phase === 'Soaking' ? ` (soak ends ${g.soakUntil})` : ''}`);
  const wb = p?.writeBack;
  if (wb) lines.push(`  written back ${wb.phase === 'Succeeded' ? io.color.green('Succeeded') : io.color.red('Failed')} ${short(wb.revision)} to ${wb.branch}:${wb.path}${wb.commit ? ` (commit ${short(wb.commit)})` : ''}${wb.phase === 'Failed' ? `: ${wb.message ?? ''}${wb.nextAttemptAt ? `; retry at ${wb.nextAttemptAt}` : ''}` : ''}`);
  for (const h of [...(p?.history ?? [])].reverse().slice(0, 5)) lines.push(`               ${io.color.dim(`${h.at} ${short(h.revision)} from ${h.fromEnvironment ?? h.from} by ${h.by}`)}`);
  return lines;
}

/** `slipway app get`: what kubectl describe would say, in the order one debugs a sync. */
export function formatApp(a: SlipwayApp, io: Io, pipeline: readonly SlipwayApp[] = []): string {
  return `${[...headLines(a, io), ...promotionLines(a, pipeline, io), ...syncLines(a, io), ...driftLines(a, io)].join('\n')}\n`;
}

/** `slipway app diff` as text: the undeployed target, then each drifted object's diff. */
function formatDiff(a: SlipwayApp): string {
  const st = a.status ?? {};
  const out: string[] = [];
  if (st.sync?.revision !== undefined && st.sync.revision !== st.revision) out.push(`target ${st.sync.ref ?? ''} ${short(st.sync.revision)} is not deployed (deployed: ${short(st.revision)})\n`);
  for (const o of st.drift?.objects ?? []) {
    if (o.missing) out.push(`--- live/${o.kind}/${o.name}\n+++ git/${o.kind}/${o.name}\n(missing in the cluster)\n`);
    else if (o.diff) out.push(o.diff.replace(/^Index: .*\n=+\n/, ''));
    else for (const x of o.fields ?? []) out.push(`${o.kind}/${o.name} ${x.path}${x.by ? ` (changed by ${x.by})` : ''}\n`);
  }
  const more = (st.drift?.total ?? 0) - (st.drift?.objects.length ?? 0);
  if (more > 0) out.push(`… and ${more} more object(s)\n`);
  return out.join('');
}

const printApp = (a: SlipwayApp, output: string, io: Io, compact = false, pipeline: readonly SlipwayApp[] = []): void => {
  if (output === 'json') io.out(`${JSON.stringify(a, null, compact ? 0 : 2)}\n`);
  else if (output === 'yaml') io.out(stringifyManifests([a]));
  else io.out(formatApp(a, io, pipeline));
};

/** The apps of `a`'s pipeline (for the text output of `app get`). */
const pipelineOf = async (client: KubeClient, a: SlipwayApp, output: string): Promise<SlipwayApp[]> =>
  output === 'text' && a.spec.promotion ? pipelineApps(client, a.metadata.namespace ?? 'default', a.spec.promotion.pipeline) : [];

/** Exit code of `app get`/`list`: 1 when an app is Degraded, its last sync failed, or it is Unknown (source unreachable). */
function appExit(a: SlipwayApp): 0 | 1 {
  const st = a.status;
  return st?.health?.status === 'Degraded' || st?.sync?.status === 'Unknown' || st?.lastSync?.phase === 'Failed' ? 1 : 0;
}

/** Waits for the operation `id` to end; prints its record; the exit code (1: failed). */
async function awaitOperation(at: { client: KubeClient; ns: string; name: string }, id: string, timeoutMs: number, io: Io): Promise<0 | 1> {
  const { client, ns, name } = at;
  const ended = (a: SlipwayApp): boolean => a.status?.handledOperation === id && a.status.operation === undefined && a.status.lastSync !== undefined;
  const app = await interruptible((signal) => watchApp(client, ns, name, ended, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])));
  if (!app || !ended(app)) throw rolloutFailed(`the controller did not finish the operation within ${Math.round(timeoutMs / 1000)}s`, { cause: undefined, hint: 'is a slipway controller running (`slipway controller run`)? `slipway app get` shows where it is' });
  const r = app.status?.lastSync;
  if (!r) return 1;
  io.out(`${syncLine(r, io)}\n`);
  if (r.message) io.out(`${r.message}\n`);
  return r.phase === 'Succeeded' ? 0 : 1;
}

interface CreateFlags extends Conn {
  repo: string;
  revision?: string;
  path?: string;
  env?: string;
  secret?: string;
  destNamespace?: string;
  destCluster?: string;
  autoSync: boolean;
  prune?: boolean;
  selfHeal?: boolean;
  interval?: string;
  syncTimeout?: string;
  retryLimit?: string;
  cascade: boolean;
  label: string[];
  upsert?: boolean;
  dryRun?: boolean;
  pipeline?: string;
  promoteFrom?: string;
  soak?: string;
  approval?: string;
  output: string;
}

function registerCreate(app: Command, io: Io): void {
  addConn(app.command('create').description('create a SlipwayApp: the controller deploys the repository path and keeps it equal to git').argument('<name>', 'app name (labels and the revision history use it)'))
    .requiredOption('--repo <url>', 'git repository: https://…, ssh://…, git@host:path or file:///path')
    .option('--revision <rev>', 'branch, tag, semver range (e.g. "^1.4") or commit (default: HEAD)')
    .option('--path <dir>', 'directory in the repository: a slipway.yaml, a kustomization or manifests (default: the root)')
    .option('--env <env>', 'environment a slipway.yaml is rendered for (default: default)')
    .option('--secret <name>', 'Secret with the repository credentials, in the app\'s namespace (docs/gitops.md)')
    .option('--dest-namespace <ns>', 'namespace of objects that set none (default: the spec\'s, else the app\'s)')
    .option('--dest-cluster <name>', 'cluster to deploy to (default: in-cluster)')
    .option('--no-auto-sync', 'sync only on `slipway app sync`')
    .option('--prune', 'delete objects that git no longer has')
    .option('--self-heal', 'repair changes made in the cluster as soon as they are seen')
    .option('--interval <duration>', 'how often the repository is checked (default 3m)')
    .option('--sync-timeout <duration>', 'a sync running longer fails (default 10m)')
    .option('--retry-limit <n>', 'failed syncs of one revision retried at most n times (default 5)')
    .option('--no-cascade', 'deleting the app leaves what it deployed (default: deleted with it)')
    .option('-l, --label <key=value>', 'label of the SlipwayApp (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--pipeline <name>', 'promotion pipeline this environment belongs to (`slipway promote <name> --to <env>`)')
    .option('--promote-from <app>', 'SlipwayApp of the previous environment: deploy what it proved (Synced, Healthy, canaries done) instead of a git revision')
    .option('--soak <duration>', 'how long a revision must run in the previous environment before it comes here (default 0s)')
    .option('--approval <mode>', 'Automatic, or Manual: wait for `slipway promote` (default Automatic)')
    .option('--upsert', 'update the app when it exists')
    .option('--dry-run', 'print the SlipwayApp instead of creating it')
    .addOption(outputOption(['text', 'yaml', 'json']))
    .addHelpText(
      'after',
      `
Examples:
  slipway app create shop --repo https://github.com/acme/deploy --path apps/shop --env prod -n shop --secret git-creds
  slipway app create shop --repo file:///srv/git/deploy --revision '^1.2' --prune --self-heal
  slipway app create shop --repo git@github.com:acme/deploy.git --secret deploy-key --dry-run -o yaml
  slipway app create shop-dev     --repo https://github.com/acme/deploy --path shop --env dev --pipeline shop
  slipway app create shop-staging --repo https://github.com/acme/deploy --path shop --env staging --pipeline shop --promote-from shop-dev --soak 30m
  slipway app create shop-prod    --repo https://github.com/acme/deploy --path shop --env prod --pipeline shop --promote-from shop-staging --approval Manual`,
    )
    .action(async (name: string, f: CreateFlags) => {
      const retryLimit = f.retryLimit === undefined ? undefined : Number(f.retryLimit);
      if (retryLimit !== undefined && (!Number.isInteger(retryLimit) || retryLimit < 0)) throw inputError(`--retry-limit ${f.retryLimit ?? ''}: expected a whole number ≥ 0`, { cause: f.retryLimit });
      const labels = Object.fromEntries(
        f.label.map((l) => {
          const i = l.indexOf('=');
          if (i <= 0) throw inputError(`--label ${l}: expected key=value`, { cause: l });
          return [l.slice(0, i), l.slice(i + 1)];
        }),
      );
      const approval = f.approval === undefined ? undefined : f.approval.toLowerCase() === 'manual' ? 'Manual' : f.approval.toLowerCase() === 'automatic' ? 'Automatic' : undefined;
      if (f.approval !== undefined && approval === undefined) throw inputError(`--approval ${f.approval}: expected Automatic or Manual`, { cause: f.approval });
      const build = (namespace: string): SlipwayApp =>
        appObject({ pipeline: f.pipeline, promoteFrom: f.promoteFrom, soak: f.soak, approval, name, namespace, repo: f.repo, revision: f.revision, path: f.path, env: f.env, secret: f.secret, destNamespace: f.destNamespace, destCluster: f.destCluster, automated: f.autoSync, prune: f.prune, selfHeal: f.selfHeal, interval: f.interval, timeout: f.syncTimeout, retryLimit, cascade: f.cascade, labels });
      if (f.dryRun) {
        printApp(build(f.namespace ?? 'default'), f.output === 'text' ? 'yaml' : f.output, io);
        return;
      }
      await withClient(f, async (client, ns) => {
        const obj = build(ns);
        const exists = await client.get({ apiVersion: API_VERSION, kind: KIND, namespace: ns, name });
        if (exists && !f.upsert) throw conflict(`SlipwayApp ${ns}/${name} already exists`, { cause: undefined, hint: 'pass --upsert to update it, or pick another name' });
        const written = (await client.apply(obj, { fieldManager: APP_CLI_MANAGER, force: true })) as SlipwayApp;
        if (f.output === 'text') io.out(`slipwayapp.slipway.dev/${name} ${exists ? 'configured' : 'created'}\n`);
        else printApp(written, f.output, io);
      });
    });
}

function registerRead(app: Command, io: Io): void {
  addConn(app.command('list').alias('ls').description('SlipwayApps with their sync state, health and deployed revision'))
    .option('-A, --all-namespaces', 'every namespace')
    .option('-w, --watch', 'print again on every change')
    .addOption(outputOption(['text', 'wide', 'json', 'yaml']))
    .addHelpText('after', '\nExit 1 when an app is Degraded, Unknown, or its last sync failed.\n\nExamples:\n  slipway app list -A\n  slipway app list -n shop -o wide\n  slipway app list -o json | jq -r \'.items[] | select(.status.sync.status != "Synced") | .metadata.name\'')
    .action(async (f: Conn & { allNamespaces?: boolean; output: string; watch?: boolean }) =>
      withClient(f, async (client, ns) => {
        const namespace = f.allNamespaces ? undefined : ns;
        const print = (apps: SlipwayApp[]): void => {
          const sorted = [...apps].sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`));
          if (f.output === 'json') io.out(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: sorted }, null, f.watch ? 0 : 2)}\n`);
          else if (f.output === 'yaml') io.out(stringifyManifests(sorted));
          else if (sorted.length === 0) io.err(`no SlipwayApps${namespace ? ` in namespace ${namespace}` : ''}\n`);
          else io.out(listRows(sorted, io, f.allNamespaces === true, f.output === 'wide'));
        };
        const apps = await listApps(client, namespace);
        print(apps);
        if (!f.watch) {
          if (apps.some((a) => appExit(a) === 1)) io.setExitCode(1);
          return;
        }
        const { InformerFactory } = await import('../../kube/index.ts');
        const factory = new InformerFactory(client);
        const inf = factory.informer({ apiVersion: API_VERSION, kind: KIND, namespace });
        let last = JSON.stringify(apps.map((a) => a.status));
        await interruptible(async (signal) => {
          inf.on({
            update: () => {
              const now = inf.list() as SlipwayApp[];
              const sig = JSON.stringify(now.map((a) => a.status));
              if (sig !== last) print(now);
              last = sig;
            },
          });
          factory.start(signal);
          await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        });
      }),
    );

  addConn(app.command('get').description('one SlipwayApp: source, target and deployed revisions, last sync with per-object results, drift with who changed what, conditions').argument('<name>'))
    .option('-w, --watch', 'print again on every change')
    .addOption(outputOption(['text', 'json', 'yaml']))
    .addHelpText('after', '\nWith spec.promotion: the pipeline\'s environments in order, and where the next promotion into this one is (Waiting, Soaking, AwaitingApproval, Blocked and why).\nExit 1 when the app is Degraded, Unknown (its repository unreachable), or its last sync failed.\n\nExamples:\n  slipway app get shop -n shop\n  slipway app get shop -o json | jq .status.drift\n  slipway app get shop --watch')
    .action(async (name: string, f: Conn & { output: string; watch?: boolean }) =>
      withClient(f, async (client, ns) => {
        const a = await getApp(client, ns, name);
        printApp(a, f.output, io, f.watch, await pipelineOf(client, a, f.output));
        io.setExitCode(appExit(a));
        if (!f.watch) return;
        let last = JSON.stringify(a.status);
        const end = await interruptible((signal) =>
          watchApp(client, ns, name, (x) => {
            const sig = JSON.stringify(x.status);
            if (sig !== last) printApp(x, f.output, io, true, x.spec.promotion ? [x] : []);
            last = sig;
            return false;
          }, signal),
        );
        if (end) io.setExitCode(appExit(end));
      }),
    );

  addConn(app.command('diff').description('what differs between git and the cluster: drift (with the field managers that changed it) and an undeployed target revision').argument('<name>'))
    .addOption(outputOption())
    .addHelpText('after', '\nExit 0 when the app is Synced, 1 when something differs (as `kubectl diff`).\n\nExamples:\n  slipway app diff shop -n shop')
    .action(async (name: string, f: Conn & { output: string }) =>
      withClient(f, async (client, ns) => {
        const a = await getApp(client, ns, name);
        const st = a.status ?? {};
        if (f.output === 'json') io.out(`${JSON.stringify({ sync: st.sync?.status ?? 'Unknown', target: st.sync?.revision, deployed: st.revision, drift: st.drift ?? { objects: [], total: 0 } }, null, 2)}\n`);
        else {
          io.out(formatDiff(a));
          if (st.sync?.status === 'Synced') io.err(`${name}: Synced to ${short(st.revision)}, no differences\n`);
        }
        io.setExitCode(st.sync?.status === 'Synced' ? 0 : 1);
      }),
    );

  addConn(app.command('history').description('the last 10 syncs: trigger, revision, result, inventory revision').argument('<name>'))
    .addOption(outputOption())
    .addHelpText('after', '\nExamples:\n  slipway app history shop -n shop\n  slipway app rollback shop 4 --disable-auto-sync')
    .action(async (name: string, f: Conn & { output: string }) =>
      withClient(f, async (client, ns) => {
        const a = await getApp(client, ns, name);
        const h = a.status?.history ?? [];
        if (f.output === 'json') {
          io.out(`${JSON.stringify(h, null, 2)}\n`);
          return;
        }
        if (h.length === 0) {
          io.err(`${name} has not synced yet\n`);
          return;
        }
        const rows = h.map((r) => [String(r.id), short(r.revision), r.trigger, colorOf(io, r.phase), r.startedAt, r.finishedAt ? `${Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000)}s` : '-', r.inventoryRevision !== undefined ? String(r.inventoryRevision) : '-', (r.message ?? '').split('\n')[0] ?? '']);
        io.out(table([['ID', 'REVISION', 'TRIGGER', 'RESULT', 'STARTED', 'TOOK', 'INVENTORY', 'MESSAGE'], ...rows]));
      }),
    );
}

function registerWrite(app: Command, io: Io): void {
  addConn(app.command('sync').description('sync now (whatever the policy): the target revision, or --revision').argument('<name>'))
    .option('--revision <rev>', 'branch, tag, range or commit to sync instead of the spec\'s (until the next automatic sync)')
    .option('--prune', 'prune this time, whatever the policy')
    .option('--async', 'do not wait for the sync to end')
    .option('--timeout <duration>', 'how long to wait (default: the sync timeout plus a minute)')
    .addHelpText('after', '\nExit 0 when the sync succeeded, 1 when it failed.\n\nExamples:\n  slipway app sync shop -n shop\n  slipway app sync shop --revision v1.4.2 --prune')
    .action(async (name: string, f: Conn & { revision?: string; prune?: boolean; async?: boolean; timeout?: string }) =>
      withClient(f, async (client, ns) => {
        const a = await getApp(client, ns, name);
        const id = await requestOperation(client, a, { type: 'sync', revision: f.revision, prune: f.prune, by: client.transport.contextName });
        io.err(`sync of ${ns}/${name} requested (${id})\n`);
        if (f.async) return;
        io.setExitCode(await awaitOperation({ client, ns, name }, id, waitMs(a, f.timeout), io));
      }),
    );

  addConn(app.command('rollback').description('deploy the revision of an earlier successful sync (default: the one before the deployed revision)').argument('<name>').argument('[id]', 'sync ID from `slipway app history`'))
    .option('--disable-auto-sync', 'turn automated sync off in the same write (else a rollback of an automated app is refused: the next sync would undo it)')
    .option('--async', 'do not wait for the sync to end')
    .option('--timeout <duration>', 'how long to wait (default: the sync timeout plus a minute)')
    .addHelpText('after', '\nExamples:\n  slipway app rollback shop --disable-auto-sync\n  slipway app rollback shop 4')
    .action(async (name: string, id: string | undefined, f: Conn & { disableAutoSync?: boolean; async?: boolean; timeout?: string }) =>
      withClient(f, async (client, ns) => {
        if (id !== undefined && !/^\d+$/.test(id)) throw inputError(`sync ID ${id}: expected a number from \`slipway app history\``, { cause: id });
        const a = await getApp(client, ns, name);
        const target = rollbackTarget(a, id === undefined ? undefined : Number(id));
        const op = await requestOperation(client, a, { type: 'rollback', revision: target.revision, by: client.transport.contextName }, { disableAutoSync: f.disableAutoSync ?? false });
        io.err(`rollback of ${ns}/${name} to sync #${target.id} (${short(target.revision)}) requested\n`);
        if (f.async) return;
        io.setExitCode(await awaitOperation({ client, ns, name }, op, waitMs(a, f.timeout), io));
      }),
    );

  addConn(app.command('delete').description('delete a SlipwayApp and (by default) what it deployed').argument('<name>'))
    .option('--no-cascade', 'leave what the app deployed in the cluster')
    .option('--no-wait', 'do not wait for the app (and its objects) to be gone')
    .addHelpText('after', '\nExamples:\n  slipway app delete shop -n shop\n  slipway app delete shop --no-cascade     stop managing, keep the objects')
    .action(async (name: string, f: Conn & { cascade: boolean; wait: boolean }) =>
      withClient(f, async (client, ns) => {
        const a = await getApp(client, ns, name);
        await deleteApp(client, a, f.cascade);
        if (f.wait) {
          const gone = await interruptible((signal) => watchApp(client, ns, name, () => false, AbortSignal.any([signal, AbortSignal.timeout(waitMs(a, undefined))])));
          if (gone !== undefined) throw rolloutFailed(`SlipwayApp ${ns}/${name} is still there`, { cause: undefined, hint: f.cascade ? 'the controller deletes what it deployed first: is it running? `slipway app get` shows its conditions' : 'check its finalizers' });
        }
        io.out(`slipwayapp.slipway.dev/${name} deleted${f.cascade ? ' (with what it deployed)' : ' (its objects kept)'}\n`);
      }),
    );
}

function waitMs(a: SlipwayApp, flag: string | undefined): number {
  if (flag !== undefined) return parseDuration(flag);
  const t = a.spec.syncPolicy?.timeout ?? '10m';
  let ms = 0;
  for (const m of t.matchAll(/(\d+)(ms|h|m|s)/g)) ms += Number(m[1]) * (m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : m[2] === 's' ? 1000 : 1);
  return ms + 60_000;
}

export function registerApp(program: Command, io: Io): void {
  const app = program.command('app').description('GitOps apps (SlipwayApps): the controller deploys a git repository path and keeps the cluster equal to it');
  registerCreate(app, io);
  registerRead(app, io);
  registerWrite(app, io);
}
