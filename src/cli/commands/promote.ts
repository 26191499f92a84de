/** `slipway promote <pipeline> --to <env>`: approve the revision the previous environment proved into the next one. */
import type { Command } from 'commander';
import { inputError, notFound } from '../../errors/index.ts';
import { environmentOf, pipelineApps, requestApproval, watchApp, whoAmI, type SlipwayApp } from '../../gitops/index.ts';
import type { Io } from '../io.ts';
import { connect, interruptible, outputOption, parseDuration } from './deploy.ts';

interface PromoteFlags {
  to: string;
  revision?: string;
  async?: boolean;
  timeout?: string;
  output: string;
  context?: string;
  kubeconfig?: string;
  namespace?: string;
}

const short = (sha: string | undefined): string => (sha && /^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 7) : (sha ?? '-'));

/**
 * The commit to approve: --revision (a commit, or a prefix of one the previous environment ran),
 * else the candidate (the revision the target's gate is about: running, or failing, there), else
 * what the previous environment runs.
 */
function revisionToApprove(target: SlipwayApp, upstream: SlipwayApp, flag: string | undefined): string {
  const st = upstream.status ?? {};
  const env = upstream.spec.source.env ?? 'default';
  if (flag === undefined) {
    const candidate = target.status?.promotion?.gate?.revision;
    if (candidate) return candidate;
    if (!st.revision) throw notFound(`nothing to promote: ${env} (${upstream.metadata.name ?? ''}) has not deployed a revision yet`, { cause: undefined, hint: '`slipway app get` shows why' });
    return st.revision;
  }
  if (!/^[0-9a-f]{4,40}$/.test(flag)) throw inputError(`--revision ${flag}: not a commit`, { cause: flag, expected: 'a commit (full or abbreviated) that the previous environment ran', hint: `\`slipway app history ${upstream.metadata.name ?? ''}\` lists them` });
  const known = [st.revision, ...(st.history ?? []).map((h) => h.revision)].filter((r): r is string => r !== undefined && r.startsWith(flag));
  const unique = [...new Set(known)];
  if (unique.length === 1) return unique[0] as string;
  if (unique.length > 1) throw inputError(`--revision ${flag} is ambiguous`, { cause: flag, expected: 'a longer prefix', hint: unique.map(short).join(', ') });
  if (flag.length === 40) return flag;
  throw notFound(`${env} (${upstream.metadata.name ?? ''}) has not run a commit starting with ${flag}`, { cause: flag, hint: `\`slipway app history ${upstream.metadata.name ?? ''}\` lists what it ran; a full 40-character commit is accepted as is` });
}

type Outcome = 'promoted' | 'soaking' | 'blocked' | 'pending';

function outcomeOf(a: SlipwayApp, revision: string): Outcome | undefined {
  const p = a.status?.promotion;
  if (p?.revision === revision) return 'promoted';
  if (p?.gate?.revision !== revision) return undefined;
  if (p.gate.phase === 'Blocked') return 'blocked';
  if (p.gate.phase === 'Soaking') return 'soaking';
  return undefined;
}

export function registerPromote(program: Command, io: Io): void {
  program
    .command('promote')
    .description('promote the revision an environment runs (Synced, Healthy, canaries done, soaked) into the next environment of a pipeline: the approval of an environment with `promotion.approval: Manual`')
    .argument('<pipeline>', 'the pipeline (spec.promotion.pipeline of its SlipwayApps)')
    .requiredOption('--to <env>', 'the environment to promote into (its source.env, or its SlipwayApp name)')
    .option('--revision <commit>', 'the commit to promote (default: the candidate `slipway app get` shows as next, else what the previous environment runs)')
    .option('--async', 'record the approval and return; do not wait for the promotion')
    .option('--timeout <duration>', 'how long to wait for the promotion (default 5m)')
    .option('--context <name>', 'kubeconfig context (default: current context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('-n, --namespace <ns>', 'namespace of the SlipwayApps (default: the context namespace, else "default")')
    .addOption(outputOption(['text', 'json']))
    .addHelpText(
      'after',
      `
The approval names the revision and who gave it (the user the apiserver authenticated, from a
SelfSubjectReview); the controller promotes it once it has passed the gates of the previous
environment: Synced and Healthy, every canary promoted with its analysis passed, the soak time.
A revision blocked there (sync failed, Degraded, canary aborted) is never promoted.

Exit codes: 0 promoted (or approved and soaking, or --async), 1 blocked, not promoted within
--timeout, or not found, 2 bad input.

Examples:
  slipway promote shop --to prod -n shop
  slipway promote shop --to prod --revision 3f2a9c1
  slipway promote shop --to prod --async -o json
  slipway app get shop-prod            # the pipeline, and why a promotion stopped`,
    )
    .action(async (pipeline: string, f: PromoteFlags) => {
      const timeoutMs = f.timeout !== undefined ? parseDuration(f.timeout) : 300_000;
      const client = await connect(f);
      try {
        const ns = f.namespace ?? client.contextNamespace ?? 'default';
        const apps = await pipelineApps(client, ns, pipeline);
        const target = environmentOf(apps, pipeline, f.to, ns);
        const from = target.spec.promotion?.from ?? '';
        const upstream = apps.find((a) => a.metadata.name === from);
        if (!upstream) throw notFound(`${f.to} (${target.metadata.name ?? ''}) is promoted from SlipwayApp ${from}, which does not exist in namespace ${ns}`, { cause: from });
        const revision = revisionToApprove(target, upstream, f.revision);
        const name = target.metadata.name ?? '';
        const fromEnv = `${upstream.spec.source.env ?? 'default'} (${from})`;
        const toEnv = `${target.spec.source.env ?? 'default'} (${name})`;
        const report = (outcome: Outcome, a: SlipwayApp, by: string | undefined): void => {
          const gate = a.status?.promotion?.gate;
          if (f.output === 'json') {
            io.out(`${JSON.stringify({ pipeline, from, to: name, revision, outcome, ...(by ? { approvedBy: by } : {}), promotion: a.status?.promotion ?? {} }, null, 2)}\n`);
            return;
          }
          if (outcome === 'promoted') io.out(`${short(revision)} promoted ${fromEnv} → ${toEnv}${a.status?.promotion?.current?.by ? ` by ${a.status.promotion.current.by}` : ''}\n`);
          else if (outcome === 'soaking') io.out(`${short(revision)} approved; it soaks in ${fromEnv} until ${gate?.soakUntil ?? '?'}, then goes to ${toEnv}\n`);
          else if (outcome === 'blocked') io.out(`${short(revision)} is not promoted to ${toEnv}: ${gate?.message ?? 'blocked'}\n`);
          else io.out(`${short(revision)} approved for ${toEnv}${by ? ` by ${by}` : ''}; ${gate?.message ?? 'waiting for the controller'}\n`);
        };
        const already = outcomeOf(target, revision);
        if (already === 'promoted' || already === 'blocked') {
          report(already, target, undefined);
          io.setExitCode(already === 'blocked' ? 1 : 0);
          return;
        }
        const by = await whoAmI(client);
        await requestApproval(client, target, revision, by);
        if (f.output !== 'json') io.err(`approved ${short(revision)} (${fromEnv} → ${toEnv}) as ${by}\n`);
        if (f.async) {
          report('pending', target, by);
          return;
        }
        let outcome: Outcome | undefined;
        const last = await interruptible((signal) =>
          watchApp(client, ns, name, (a) => (outcome = outcomeOf(a, revision)) !== undefined, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])),
        );
        if (!last) throw notFound(`SlipwayApp ${ns}/${name} was deleted`, { cause: undefined });
        report(outcome ?? 'pending', last, by);
        if (outcome === undefined) io.err(`not promoted within ${Math.round(timeoutMs / 1000)}s (is a slipway controller running? \`slipway app get ${name}\` shows where it is)\n`);
        io.setExitCode(outcome === 'promoted' || outcome === 'soaking' ? 0 : 1);
      } finally {
        client.close();
      }
    });
}
