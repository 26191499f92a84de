/**
 * `slipway deploy`: render or read manifests, validate with server-side dry-run, apply in stages
 * with server-side apply, wait for health, roll back on failure, prune, record the revision.
 * Thin: flags → sync engine → print. Also holds the flag helpers the other deploy-family
 * commands (diff, status, history, rollback, destroy) share.
 */
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Command, Option } from 'commander';
import { clusterUnavailable, inputError, notFound } from '../../errors/index.ts';
import { KubeClient, describe } from '../../kube/index.ts';
import { checkStrategy, deploy, loadInput, type DeployEvent, type DeployResult, type Input, type SyncTarget, type VerificationOptions } from '../../sync/index.ts';
import { IMAGE_TAG_HELP, imageTagOf } from '../image-tag.ts';
import type { Io } from '../io.ts';

export interface TargetFlags {
  context?: string;
  kubeconfig?: string;
  namespace?: string;
  env: string;
  app?: string;
  kustomize?: string;
  imageTag?: string;
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
  return loadInput({ path, kustomize: f.kustomize, app: f.app, env: f.env, imageTag: imageTagOf(f) });
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
    case 'measurement': {
      const x = e.measurement;
      const colour = x.phase === 'Successful' ? c.green : x.phase === 'Failed' ? c.red : c.yellow;
      return `  ${colour(x.phase.padEnd(10))} ${describe(e.id)} ${e.metric}${x.value !== undefined ? ` ${x.value}` : ''}${x.message ? ` ${c.dim(x.message)}` : ''}`;
    }
    case 'verified': {
      const colour = e.phase === 'Successful' ? c.green : e.phase === 'Skipped' || e.phase === 'Stopped' ? c.yellow : c.red;
      return `  ${colour((e.phase === 'Successful' ? 'verified' : e.phase).padEnd(10))} ${describe(e.id)} ${c.dim(e.message)}`;
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

/** One line per verified workload (its verdict, naming metric, value and SLO), or why nothing was verified. */
function printVerification(r: DeployResult, io: Io): void {
  const c = io.color;
  for (const w of r.verification?.workloads ?? []) {
    const colour = w.phase === 'Successful' ? c.green : w.phase === 'Skipped' || w.phase === 'Stopped' ? c.yellow : c.red;
    io.out(`verification of ${describe(w.workload)}: ${colour(w.phase === 'Successful' ? 'passed' : w.phase)}: ${w.message}\n`);
  }
  if (r.verification?.skipped !== undefined) io.err(`${c.yellow('warning')}: verification skipped: ${r.verification.skipped}\n`);
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
  printVerification(r, io);
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
  verify: boolean;
  prometheusUrl?: string;
}

const NO_PROMETHEUS = 'no Prometheus known; pass --prometheus-url (or set SLIPWAY_PROMETHEUS_URL)';

/** `--prometheus-url` (or SLIPWAY_PROMETHEUS_URL): an http(s) URL, or nothing. */
export function prometheusUrlOf(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch (e) {
    throw inputError(`--prometheus-url ${v}: not a URL`, { cause: e, expected: 'an http(s) URL, e.g. http://127.0.0.1:9090', hint: 'the flag, or SLIPWAY_PROMETHEUS_URL when the flag is not given' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw inputError(`--prometheus-url ${v}: expected http or https`, { cause: u.protocol, expected: 'an http(s) URL, e.g. http://127.0.0.1:9090' });
  return v;
}

/** The kubeconfig files a client read: --kubeconfig, else each path of $KUBECONFIG, else ~/.kube/config. */
function kubeconfigFiles(f: { kubeconfig?: string | undefined }, env: NodeJS.ProcessEnv): string[] {
  if (f.kubeconfig) return [f.kubeconfig];
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter(Boolean);
  return fromEnv.length > 0 ? fromEnv : [join(homedir(), '.kube', 'config')];
}

/**
 * The Prometheus that verifies rolling releases: --prometheus-url, else $SLIPWAY_PROMETHEUS_URL,
 * else the local cluster's when the context is a slipway local cluster; else none, and why.
 */
export async function verificationOptions(f: { verify: boolean; prometheusUrl?: string | undefined; kubeconfig?: string | undefined }, client: { readonly transport: { readonly contextName: string; readonly server: string } }, env: NodeJS.ProcessEnv = process.env): Promise<VerificationOptions> {
  if (!f.verify) return { enabled: false };
  const given = prometheusUrlOf(f.prometheusUrl ?? env['SLIPWAY_PROMETHEUS_URL']);
  if (given !== undefined) return { prometheusUrl: given };
  const { localClusterPrometheus } = await import('../../cluster/index.ts');
  const local = await localClusterPrometheus({ contextName: client.transport.contextName, server: client.transport.server, kubeconfigFiles: kubeconfigFiles(f, env) }, env);
  if (local === undefined) return { noPrometheus: NO_PROMETHEUS };
  return 'url' in local ? { prometheusUrl: local.url } : { noPrometheus: local.none };
}

export function registerDeploy(program: Command, io: Io): void {
  const cmd = program
    .command('deploy')
    .description('validate (server-side dry-run), apply in stages, wait for health, roll back on failure, prune, record a revision')
    .argument('[path]', 'slipway.yaml, a directory holding one, a manifest file, or a directory of manifests', '.');
  addTargetFlags(cmd)
    .option('-k, --kustomize <dir>', 'deploy the output of `kubectl kustomize <dir>`')
    .option('--image-tag <tag>', IMAGE_TAG_HELP)
    .option('--wait', 'wait for every object to become healthy (default)', true)
    .option('--no-wait', 'do not wait for health (no automatic rollback then)')
    .option('--timeout <duration>', 'how long to wait for health (default 5m, plus the timed pauses of canary and blue-green services)', '5m')
    .option('--no-rollback', 'on a failed rollout, leave the new revision in place')
    .option('--no-prune', 'keep objects that earlier revisions deployed and this one does not')
    .option('--force-conflicts', 'take ownership of fields another field manager owns')
    .option('--dry-run', 'validate with server-side dry-run and show what would change; write nothing')
    .option('--no-skip-missing-crds', 'fail (instead of warn and skip) on kinds the cluster does not serve')
    .option('--no-lint', 'do not refuse on lint errors (the apiserver still validates everything)')
    .option('--no-verify', 'do not verify rolling releases against their SLOs in Prometheus after the health wait')
    .option('--prometheus-url <url>', 'the Prometheus verification queries (default: $SLIPWAY_PROMETHEUS_URL, else the local cluster\'s when the context is one)')
    .option('--concurrency <n>', 'concurrent API requests', '32')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Objects whose kind the cluster does not serve (a ServiceMonitor without the Prometheus Operator
CRD, say) are skipped with a warning unless --no-skip-missing-crds. Canary services are handed to the slipway
controller as ServiceRollouts (follow them with \`slipway rollout watch <service>\`); so are blue-green
services, with the Service in front of them (the controller adds <service>-preview).

Rolling services with slo.successRate or slo.latencyP95Ms are verified after the health wait: their
new pods are measured in Prometheus until every SLO passed (strategy.verification: count, 5 by
default, 1s apart), and a release that fails one, or has no data or errors until the duration (2m)
is over, is rolled back (exit 1). Prometheus: --prometheus-url, else $SLIPWAY_PROMETHEUS_URL, else
the local cluster's; with none, verification is skipped with a warning.

Examples:
  slipway deploy k8s/ --env dev -n shop --wait             a directory of manifests
  slipway deploy --kustomize overlays/prod --env prod      a kustomization
  slipway deploy app.yaml --dry-run                        what would change, nothing written
  slipway deploy k8s/ --timeout 2m --no-rollback           keep a failed rollout for debugging
  slipway deploy . --env prod --prometheus-url https://prometheus.internal   verify against that Prometheus`,
    )
    .action(async (path: string, f: DeployFlags) => {
      let timeoutMs = parseDuration(f.timeout);
      const concurrency = Number(f.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw inputError(`--concurrency must be a positive integer, got "${f.concurrency}"`, { cause: f.concurrency });
      // A bad --prometheus-url is bad input: refused before anything is read or connected to.
      if (f.verify && !f.dryRun) prometheusUrlOf(f.prometheusUrl ?? process.env['SLIPWAY_PROMETHEUS_URL']);
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
        const verification = f.dryRun ? undefined : await verificationOptions(f, client);
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
            ...(verification ? { verification } : {}),
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
