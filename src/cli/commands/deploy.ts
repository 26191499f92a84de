/**
 * `slipway deploy`: render or read manifests, validate with server-side dry-run, apply in stages
 * with server-side apply, wait for health, roll back on failure, prune, record the revision.
 * Thin: flags → sync engine → print. Also holds the flag helpers the other deploy-family
 * commands (diff, status, history, rollback, destroy) share.
 */
import { Command, Option } from 'commander';
import { clusterUnavailable, inputError, notFound } from '../../errors/index.ts';
import { KubeClient, describe } from '../../kube/index.ts';
import { checkStrategy, deploy, loadInput, type DeployEvent, type DeployResult, type Input, type SyncTarget } from '../../sync/index.ts';
import type { Io } from '../io.ts';

export interface TargetFlags {
  context?: string;
  kubeconfig?: string;
  namespace?: string;
  env: string;
  app?: string;
  kustomize?: string;
}

/** --context, --kubeconfig, -n, --env, --app: where and what, like kubectl. */
export function addTargetFlags(c: Command): Command {
  return c
    .option('--env <env>', 'environment (names the revision history: one per app+env)', 'default')
    .option('--app <name>', 'application name (default: the spec name, or the directory/file name)')
    .option('--context <name>', 'kubeconfig context (default: current context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('-n, --namespace <ns>', 'namespace for objects without one, and for the inventory (default: the context namespace, else "default")');
}

export const outputOption = (choices: string[] = ['text', 'json']): Option =>
  new Option('-o, --output <format>', 'output format').choices(choices).default('text');

/** `5m`, `90s`, `1h30m`, `300` (seconds) → ms. */
export function parseDuration(v: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v.trim());
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  if (!m || v.trim() === '') throw inputError(`invalid duration "${v}"`, { cause: v, expected: 'a duration such as 90s, 5m or 1h30m', hint: 'e.g. --timeout 5m' });
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** @param maxSockets connections to the apiserver; at least the command's request concurrency, or requests queue in the agent. */
export async function connect(f: Pick<TargetFlags, 'context' | 'kubeconfig'>, maxSockets?: number): Promise<KubeClient> {
  return KubeClient.connect({ kubeconfig: f.kubeconfig, context: f.context, ...(maxSockets ? { maxSockets } : {}) });
}

/** Namespace: -n, else the spec's, else the kubeconfig context's, else `default` (kubectl's order, with the spec in between). */
export function targetOf(client: KubeClient, f: TargetFlags, app: string, specNamespace?: string): SyncTarget {
  return { client, app, env: f.env, namespace: f.namespace ?? specNamespace ?? client.contextNamespace ?? 'default' };
}

/** Desired objects from a spec (rendered for --env) or manifests/kustomize (the engine's {@link loadInput}). */
export function loadFlagsInput(path: string | undefined, f: TargetFlags): Promise<Input> {
  return loadInput({ path, kustomize: f.kustomize, app: f.app, env: f.env });
}

/** Requires an app name when there is no input to derive it from (history, rollback, destroy). */
export function appFlag(f: TargetFlags, fallback: string | undefined): string {
  const app = f.app ?? fallback;
  if (!app) throw inputError('which app? pass --app <name> or a spec/manifests path', { cause: undefined, expected: '--app <name>' });
  return app;
}

function eventLine(e: DeployEvent, io: Io): string {
  const c = io.color;
  switch (e.type) {
    case 'phase':
      return `${c.bold('•')} ${e.message}`;
    case 'warning':
      return `${c.yellow('warning')}: ${e.message}`;
    case 'object': {
      const colour = e.action === 'failed' ? c.red : e.action === 'pruned' ? c.yellow : c.green;
      return `  ${colour(e.action.padEnd(10))} ${describe(e.id)}${e.message ? ` ${c.dim(e.message)}` : ''}`;
    }
    case 'health': {
      const s = e.health.status;
      const colour = s === 'Healthy' ? c.green : s === 'Degraded' ? c.red : c.yellow;
      return `  ${colour(s.padEnd(10))} ${describe(e.id)}${e.health.message ? ` ${c.dim(e.health.message)}` : ''}`;
    }
  }
}

/**
 * Runs `work` with a signal that the first Ctrl-C (SIGINT) or SIGTERM aborts: the engine stops
 * waiting and writing, records what it wrote, and ends with a `cancelled` error (exit 130). A
 * second Ctrl-C finds no handler and kills the process as usual.
 */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    ac.abort(new Error(`interrupted by ${sig}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * A deploy with canary services needs the ServiceRollout CRD (else nothing could be written) and,
 * to make progress, a controller holding the Lease: with --wait its absence is an error (instead
 * of waiting for nothing), without it a warning.
 */
async function checkController(client: KubeClient, wait: boolean, io: Io): Promise<void> {
  const { controllerPresence } = await import('../../rollout/index.ts');
  const p = await controllerPresence(client);
  const how = 'start one with `slipway controller run` (a local process), or `slipway controller install` (in the cluster); `slipway cluster up` starts one';
  if (!p.crd) throw notFound('canary and blue-green services need the ServiceRollout CRD, which this cluster does not serve', { cause: undefined, hint: `\`slipway controller install --crds-only\`; then ${how}` });
  if (p.leader) return;
  const msg = 'no slipway controller holds the lease slipway-system/slipway-controller: canary and blue-green services will not progress';
  if (wait) throw clusterUnavailable(`${msg}, so --wait would wait for nothing`, { cause: undefined, hint: how });
  io.err(`${io.color.yellow('warning')}: ${msg} until one runs; ${how}\n`);
}

/** Exit code of a finished run: 130 when it was cancelled, else 1 for a failure. */
export function resultExitCode(r: DeployResult): 0 | 1 | 130 {
  if (r.ok) return 0;
  return r.error?.kind === 'cancelled' ? 130 : 1;
}

/** Runs `work` with live progress: listr2 on a TTY, one plain line per event otherwise (CI logs). */
export async function withProgress<T>(io: Io, title: string, work: (onEvent: (e: DeployEvent) => void) => Promise<T>): Promise<T> {
  if (!io.isTTY) {
    io.err(`${title}\n`);
    return work((e) => io.err(`${eventLine(e, io)}\n`));
  }
  // Only a TTY needs listr2 (~40 ms to load): CI logs get plain lines.
  const { Listr } = await import('listr2');
  let result: T | undefined;
  const tasks = new Listr(
    [
      {
        title,
        task: async (_: unknown, task: { output: string; title: string }) => {
          result = await work((e) => {
            if (e.type === 'phase') task.title = `${title}: ${e.message}`;
            else task.output = eventLine(e, io);
          });
          task.title = title;
        },
        rendererOptions: { outputBar: 8, persistentOutput: false },
      },
    ],
    { concurrent: false, exitOnError: true, rendererOptions: { collapseErrors: false } },
  );
  await tasks.run();
  return result as T;
}

export function printResult(r: DeployResult, io: Io): void {
  const c = io.color;
  const count = (a: string): number => r.objects.filter((o) => o.action === a).length;
  if (r.dryRun) {
    for (const o of r.objects) if (o.action !== 'unchanged') io.out(`${o.action.padEnd(10)} ${describe(o.id)}${o.message ? ` (${o.message})` : ''}\n`);
  }
  const parts = [`${count('created')} created`, `${count('configured')} configured`, `${count('unchanged')} unchanged`];
  if (count('replaced') > 0) parts.push(`${count('replaced')} replaced`);
  if (count('skipped') > 0) parts.push(c.yellow(`${count('skipped')} skipped`));
  if (r.pruned.length > 0) parts.push(`${r.pruned.length} pruned`);
  const head = r.dryRun ? 'dry run (nothing written)' : r.revision !== undefined ? `revision ${r.revision}` : 'no changes';
  const verdict = r.ok ? c.green(r.health ?? 'applied') : c.red(r.health ?? 'failed');
  io.out(`${r.app}/${r.env} in ${r.namespace}: ${head}: ${parts.join(', ')}; ${verdict} (${r.writes} write(s))\n`);
  for (const w of r.warnings) io.err(`${c.yellow('warning')}: ${w}\n`);
  if (r.error) io.err(`${c.red('error')}: ${r.error.format()}\n`);
  if (r.rollback) {
    const rb = r.rollback;
    const how = rb.ok ? c.green(`succeeded${rb.health ? ` (${rb.health})` : ''}`) : c.red(`failed${rb.error ? `: ${rb.error.message}` : ''}`);
    io.out(`automatic rollback to revision ${rb.toRevision}${rb.revision !== undefined ? ` (recorded as revision ${rb.revision})` : ''}: ${how}\n`);
  }
}

interface DeployFlags extends TargetFlags {
  wait: boolean;
  timeout: string;
  rollback: boolean;
  prune: boolean;
  forceConflicts?: boolean;
  dryRun?: boolean;
  skipMissingCrds: boolean;
  lint: boolean;
  concurrency: string;
  output: string;
}

export function registerDeploy(program: Command, io: Io): void {
  const cmd = program
    .command('deploy')
    .description('validate (server-side dry-run), apply in stages, wait for health, roll back on failure, prune, record a revision')
    .argument('[path]', 'slipway.yaml, a directory holding one, a manifest file, or a directory of manifests', '.');
  addTargetFlags(cmd)
    .option('-k, --kustomize <dir>', 'deploy the output of `kubectl kustomize <dir>`')
    .option('--wait', 'wait for every object to become healthy (default)', true)
    .option('--no-wait', 'do not wait for health (no automatic rollback then)')
    .option('--timeout <duration>', 'how long to wait for health (default 5m, plus the timed pauses of canary and blue-green services)', '5m')
    .option('--no-rollback', 'on a failed rollout, leave the new revision in place')
    .option('--no-prune', 'keep objects that earlier revisions deployed and this one does not')
    .option('--force-conflicts', 'take ownership of fields another field manager owns')
    .option('--dry-run', 'validate with server-side dry-run and show what would change; write nothing')
    .option('--no-skip-missing-crds', 'fail (instead of warn and skip) on kinds the cluster does not serve')
    .option('--no-lint', 'do not refuse on lint errors (the apiserver still validates everything)')
    .option('--concurrency <n>', 'concurrent API requests', '32')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Objects whose kind the cluster does not serve (a ServiceMonitor without the Prometheus Operator
CRD, say) are skipped with a warning unless --no-skip-missing-crds. Canary services are handed to the slipway
controller as ServiceRollouts (follow them with \`slipway rollout watch <service>\`); so are blue-green
services, with the Service in front of them (the controller adds <service>-preview).

Examples:
  slipway deploy k8s/ --env dev -n shop --wait             a directory of manifests
  slipway deploy --kustomize overlays/prod --env prod      a kustomization
  slipway deploy app.yaml --dry-run                        what would change, nothing written
  slipway deploy k8s/ --timeout 2m --no-rollback           keep a failed rollout for debugging`,
    )
    .action(async (path: string, f: DeployFlags) => {
      let timeoutMs = parseDuration(f.timeout);
      const concurrency = Number(f.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw inputError(`--concurrency must be a positive integer, got "${f.concurrency}"`, { cause: f.concurrency });
      const input = await loadFlagsInput(path, f);
      // Canary and blue-green services go to the slipway controller as ServiceRollouts; other strategies are checked as before.
      const progressive = ['canary', 'blueGreen'];
      for (const s of input.strategies) if (!progressive.includes(s)) checkStrategy(s);
      const canary = input.strategies.some((s) => progressive.includes(s));
      // The rollout module (and its analysis engine) loads only for a deploy that needs it.
      const plan = canary ? (await import('../../rollout/index.ts')).deployPlan(input.objects, input.strategies, (object, from) => ({ ...from, object })) : undefined;
      const objects = plan ? plan.objects : input.objects;
      // --wait follows canaries through their timed pauses: the default timeout grows by them.
      if (plan && cmd.getOptionValueSource('timeout') === 'default') timeoutMs += plan.pauseMs;
      const client = await connect(f, concurrency);
      try {
        if (canary) await checkController(client, f.wait && !f.dryRun, io);
        const t = targetOf(client, f, input.app, input.namespace);
        const title = `deploy ${t.app}/${t.env} → ${t.namespace} (${client.transport.contextName})${f.dryRun ? ' [dry run]' : ''}`;
        const r = await interruptible((signal) =>
          withProgress(io, title, (onEvent) =>
            deploy({
            ...t,
            objects,
            wait: f.wait,
            timeoutMs,
            rollback: f.rollback,
            prune: f.prune,
            forceConflicts: f.forceConflicts ?? false,
            dryRun: f.dryRun ?? false,
            skipMissingCrds: f.skipMissingCrds,
            concurrency,
            lint: f.lint,
            onEvent,
            signal,
          }),
          ),
        );
        if (f.output === 'json') io.out(`${JSON.stringify({ ...r, error: r.error?.format(), rollback: r.rollback ? { ...r.rollback, error: r.rollback.error?.format() } : undefined }, null, 2)}\n`);
        else printResult(r, io);
        io.setExitCode(resultExitCode(r));
      } finally {
        client.close();
      }
    });
}
