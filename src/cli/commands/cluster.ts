/**
 * `slipway cluster up|down|status|kubeconfig`: the local control plane (see src/cluster);
 * `cluster register|list-registered|unregister` (cluster-register.ts): clusters GitOps deploys to.
 * Thin: flags → engine → print. Progress: listr2 on a TTY, one plain line per step otherwise.
 */
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { Listr } from 'listr2';
import {
  clusterDown,
  clusterStatus,
  contextName,
  planUp,
  targetLayout,
  type ClusterStatus,
  type UpPlan,
  type UpResult,
} from '../../cluster/index.ts';
import { inputError, notFound } from '../../errors/index.ts';
import type { Io } from '../io.ts';
import { registerClusterRegistry } from './cluster-register.ts';

interface TargetFlags {
  name: string;
  dataDir?: string;
}

const addTarget = (c: Command): Command =>
  c
    .option('--name <name>', 'cluster name (kubeconfig context slipway-<name>)', 'default')
    .option('--data-dir <dir>', 'data dir (default $SLIPWAY_HOME/clusters/<name>, SLIPWAY_HOME defaults to ~/.slipway)');

const outputOption = (): Option => new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text');

function parseNodes(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw inputError(`--nodes must be an integer from 1 to 100, got "${v}"`, { cause: v, expected: '1..100', hint: 'e.g. --nodes 3' });
  }
  return n;
}

async function runPlan(plan: UpPlan, io: Io): Promise<void> {
  if (io.isTTY) {
    const tasks = new Listr(
      plan.steps.map((s) => ({
        title: s.title,
        task: async (_: unknown, task: { output: string; skip: (m?: string) => void }) => {
          const r = await s.run((line) => (task.output = line));
          if (r === 'skipped') task.skip(`${s.title} (already running)`);
        },
      })),
      { concurrent: false, exitOnError: true, rendererOptions: { collapseErrors: false } },
    );
    await tasks.run();
    return;
  }
  for (const s of plan.steps) {
    const t0 = Date.now();
    io.err(`• ${s.title} ...\n`);
    let last = '';
    const r = await s.run((line) => {
      if (line !== last) io.err(`    ${line}\n`);
      last = line;
    });
    io.err(`  ${r === 'skipped' ? 'skipped' : 'ok'} (${((Date.now() - t0) / 1000).toFixed(1)}s)\n`);
  }
}

function printUp(r: UpResult, seconds: number, io: Io): void {
  const c = io.color;
  const head = r.alreadyRunning
    ? `cluster "${r.name}" is already running`
    : r.resumed !== undefined
      ? `cluster "${r.name}" resumed in ${seconds.toFixed(1)}s (started again: ${r.resumed.join(', ')}; the others were kept running)`
      : `cluster "${r.name}" is up in ${seconds.toFixed(1)}s`;
  io.out(`${c.green('✔')} ${head}: Kubernetes ${r.serverVersion}, ${r.nodes} simulated nodes, ${r.server}\n`);
  io.out(`  kubeconfig: ${r.kubeconfig} (context ${r.context})\n`);
  if (r.controller !== undefined) io.out(`  slipway controller: pid ${r.controller.pid}, ${r.controller.url}/healthz\n`);
  if (r.prometheus !== undefined) io.out(`  prometheus: pid ${r.prometheus.pid}, ${r.prometheus.url}\n`);
  if (r.simulator !== undefined) io.out(`  metrics simulator: pid ${r.simulator.pid}, ${r.simulator.url}/metrics\n`);
  if (r.mergedInto !== undefined) io.out(`  context ${r.context} merged into ${r.mergedInto} and made current: kubectl and slipway use it\n`);
  else io.out(`\n  export KUBECONFIG=${r.kubeconfig}\n`);
}

/**
 * How to run this slipway again (the controller component): this Node, this entry script. `--`
 * ends Node's options, so that Node never reads slipway's arguments (it scans them for --env-file).
 */
function slipwayCommand(): string[] {
  const bin = fileURLToPath(new URL('../../../bin/slipway.js', import.meta.url));
  return [...nodeCommand(), '--', bin];
}

/**
 * This Node with the flags of long-running add-ons: 8 MB semi-spaces, as bin/slipway and the image
 * run it: Node 24 sizes the young generation from the machine's memory, and the controller then
 * peaks far above what it holds (bench/rollout.ts: 255 MiB at 200 canaries without, 144 MiB with).
 */
function nodeCommand(): string[] {
  return [process.execPath, '--disable-warning=ExperimentalWarning', '--max-semi-space-size=8'];
}

function registerUp(cluster: Command, io: Io): void {
  addTarget(cluster.command('up').description('start a local control plane with simulated nodes (idempotent)'))
    .option('--nodes <n>', 'simulated nodes, spread over zone-a/b/c', parseNodes, 3)
    .option('--bin-dir <dir>', 'folder with etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok (default: $SLIPWAY_KUBE_BIN or build with scripts/build-kube.sh)')
    // Default on, as kind/k3d/minikube do; the positive flag is kept (hidden) for scripts that passed it when it was opt-in.
    .addOption(new Option('--merge-kubeconfig', 'merge the context into $KUBECONFIG or ~/.kube/config and make it current').default(true).hideHelp())
    .option('--no-merge-kubeconfig', "leave $KUBECONFIG and ~/.kube/config alone (use `slipway cluster kubeconfig`)")
    .option('--timeout <seconds>', 'per wait (apiserver ready, nodes Ready, …)', (v) => Number(v), 120)
    .option('--no-controller', 'do not start the slipway controller (progressive delivery) with the cluster')
    .option('--no-prometheus', 'do not start Prometheus and the workload metrics simulator with the cluster')
    .option(
      '--crds-dir <dir>',
      'folder of third-party CRD YAML files to install instead of the pinned Gateway API and Istio ones; repeatable (default: $SLIPWAY_CRDS_DIR, colon-separated, or scripts/fetch-crds.sh)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .addHelpText(
      'after',
      `
Besides the control plane, the cluster gets the Gateway API (standard channel) and Istio
networking CRDs, slipway's ServiceRollout CRD and the slipway-system namespace, and runs the
slipway controller (canary releases), Prometheus (2.42, on 127.0.0.1) and a workload metrics
simulator (HTTP metrics for every Running pod) as more components; \`cluster status\` lists them
and prints Prometheus' URL.

The context slipway-<name> is merged into your kubeconfig and made current, as kind and k3d do:
into $KUBECONFIG (with several files, the first that exists), else ~/.kube/config. Other
contexts are kept; \`cluster down --delete\` removes it again.

Examples:
  slipway cluster up                          3 nodes, context slipway-default, ~/.slipway/clusters/default
  slipway cluster up --name ci --nodes 5      a second cluster on its own ports
  slipway cluster up --no-merge-kubeconfig    leave ~/.kube/config alone, then:
  eval "$(slipway cluster kubeconfig --export)"

Pods simulate failures with the label slipway.dev/simulate=never-ready|crash-loop|slow-ready,
and traffic with the annotation slipway.dev/simulate-metrics: "rps=50,errorRate=0.01,latencyP95Ms=120".`,
    )
    .action(async (f: TargetFlags & { nodes: number; binDir?: string; mergeKubeconfig: boolean; timeout: number; controller: boolean; prometheus: boolean; crdsDir?: string[] }) => {
      const t0 = Date.now();
      const [{ CONTROLLER_NAMESPACE }, { installManifests }] = await Promise.all([import('../../rollout/index.ts'), import('../../gitops/index.ts')]);
      const objects = [...installManifests({ image: 'unused', crdsOnly: true }), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: CONTROLLER_NAMESPACE } }];
      const controller = f.controller ? { command: slipwayCommand() } : undefined;
      const prometheus = f.prometheus ? { node: nodeCommand() } : undefined;
      const plan = planUp({ name: f.name, dataDir: f.dataDir, nodes: f.nodes, binDir: f.binDir, mergeKubeconfig: f.mergeKubeconfig, timeoutMs: f.timeout * 1000, objects, controller, prometheus, crdsDirs: f.crdsDir });
      await runPlan(plan, io);
      printUp(plan.result(), (Date.now() - t0) / 1000, io);
    });
}

function registerDown(cluster: Command, io: Io): void {
  addTarget(cluster.command('down').description('stop every process of a local cluster'))
    .option('--delete', 'also remove its data dir (etcd data, certificates, logs) and its context from the kubeconfig `up` merged it into', false)
    .addHelpText('after', '\nExamples:\n  slipway cluster down\n  slipway cluster down --name ci --delete')
    .action(async (f: TargetFlags & { delete: boolean }) => {
      const r = await clusterDown({ name: f.name, dataDir: f.dataDir, delete: f.delete });
      for (const s of r.stopped) io.out(`  ${s.component.padEnd(24)} pid ${String(s.pid).padEnd(8)} ${s.how}\n`);
      for (const file of r.unmergedFrom) io.out(`  removed context ${contextName(r.name)} from ${file}\n`);
      for (const w of r.warnings) io.err(`${io.color.yellow('warning')}: ${w}\n`);
      io.out(`${io.color.green('✔')} cluster "${r.name}" stopped${r.deleted ? ` and ${r.dataDir} deleted` : ` (data kept in ${r.dataDir})`}\n`);
    });
}

function printStatus(s: ClusterStatus, io: Io): void {
  const c = io.color;
  const phase = s.phase === 'running' ? c.green(s.phase) : c.red(s.phase);
  io.out(`cluster ${c.bold(s.name)}: ${phase}  ${s.server}  context ${s.context}\n`);
  io.out(`${'COMPONENT'.padEnd(24)} ${'PID'.padEnd(8)} ${'ALIVE'.padEnd(6)} HEALTH\n`);
  for (const x of s.components) {
    const health = x.healthy ? c.green('ok') : c.red(x.detail);
    io.out(`${x.component.padEnd(24)} ${String(x.pid ?? '-').padEnd(8)} ${(x.alive ? 'yes' : c.red('no')).padEnd(x.alive ? 6 : 6 + c.red('').length)} ${health}\n`);
  }
  for (const a of s.addons) {
    const health = a.healthy ? c.green('ok') : c.red(a.detail);
    io.out(`${a.addon.padEnd(24)} ${String(a.pid ?? '-').padEnd(8)} ${(a.alive ? 'yes' : c.red('no')).padEnd(a.alive ? 6 : 6 + c.red('').length)} ${health}  ${c.dim(a.healthUrl)}\n`);
  }
  if (s.prometheusUrl !== undefined) io.out(`prometheus: ${s.prometheusUrl}\n`);
  if (s.phase !== 'running') {
    const bad = [...s.components, ...s.addons].filter((x) => !x.healthy);
    for (const x of bad) io.out(`  ${c.dim(`log: ${x.log}`)}\n`);
  }
}

function registerStatus(cluster: Command, io: Io): void {
  addTarget(cluster.command('status').description('per component: process alive? health check ok? (exit 1 unless all are)'))
    .addOption(outputOption())
    .addHelpText('after', '\nExamples:\n  slipway cluster status\n  slipway cluster status --name ci -o json')
    .action(async (f: TargetFlags & { output: string }) => {
      const s = await clusterStatus({ name: f.name, dataDir: f.dataDir });
      if (f.output === 'json') io.out(`${JSON.stringify(s, null, 2)}\n`);
      else if (f.output === 'yaml') io.out((await import('yaml')).stringify(s));
      else printStatus(s, io);
      if (s.phase !== 'running') io.setExitCode(1);
    });
}

function registerKubeconfig(cluster: Command, io: Io): void {
  addTarget(cluster.command('kubeconfig').description("print the cluster's kubeconfig path (or its content with -o yaml)"))
    .addOption(new Option('-o, --output <format>', 'path | yaml').choices(['path', 'yaml']).default('path'))
    .option('--export', 'print `export KUBECONFIG=<path>` for eval', false)
    .addHelpText('after', '\nExamples:\n  export KUBECONFIG=$(slipway cluster kubeconfig)\n  eval "$(slipway cluster kubeconfig --export)"\n  slipway cluster kubeconfig -o yaml > kind.yaml')
    .action(async (f: TargetFlags & { output: 'path' | 'yaml'; export: boolean }) => {
      const layout = targetLayout({ name: f.name, dataDir: f.dataDir });
      let text: string;
      try {
        text = await readFile(layout.kubeconfig, 'utf8');
      } catch (e) {
        throw notFound(`no kubeconfig for cluster "${layout.name}" at ${layout.kubeconfig}`, { cause: e, hint: '`slipway cluster up` creates it' });
      }
      if (f.output === 'yaml') io.out(text);
      else io.out(f.export ? `export KUBECONFIG=${layout.kubeconfig}\n` : `${layout.kubeconfig}\n`);
    });
}

export function registerCluster(program: Command, io: Io): void {
  const cluster = program
    .command('cluster')
    .description('a local Kubernetes control plane (etcd + apiserver + controller-manager + scheduler, kwok nodes)')
    .addHelpText(
      'after',
      `
Examples:
  slipway cluster up && kubectl get nodes
  slipway cluster status -o json
  slipway cluster down --delete`,
    );
  registerUp(cluster, io);
  registerDown(cluster, io);
  registerStatus(cluster, io);
  registerKubeconfig(cluster, io);
  registerClusterRegistry(cluster, io);
}

