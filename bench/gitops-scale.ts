/**
 * The GitOps controller at scale (issue 12, "Benchmark"): N SlipwayApps of 10 objects each, from
 * one git repository of N directories (`--repos 1`) or from R repositories of N/R directories
 * (`--repos 100`), reconciled by one `slipway controller run` process on the local cluster.
 *
 *   node bench/gitops-scale.ts --kubeconfig FILE [--apps 1000] [--repos 1] [--drifts 100] [--idle 60] [--workers N] [--cpu-prof DIR] [--append]
 *   node bench/gitops-scale.ts --kubeconfig FILE --apps 1000 --baseline
 *
 * `--baseline` measures the cluster alone, without slipway: the same N×10 objects applied
 * server-side by this process (32 at a time, like a parallel `kubectl apply --server-side`), and
 * the time until every Deployment is available, seen by the same watch. That is the floor the
 * controller's cold start cannot beat on this cluster (kube-controller-manager's per-controller
 * client limit of 20 requests/s creates the ReplicaSets and pods).
 *
 * Each app is its own namespace (a team's namespace: the NetworkPolicy, Role and RoleBinding make
 * sense per namespace, nothing of one app can collide with another's, and the controller watches
 * every namespace through one cluster-wide informer per kind, as it runs in production). The apps
 * use automated sync, prune and selfHeal, and the default interval (3 min).
 *
 * Measured, all from outside the controller except the request and git counters:
 *  - cold start: the apps (and their namespaces) exist first, the git cache dir is empty; then the
 *    controller process starts; the time until every app is Synced and Healthy is seen by a watch
 *    on the SlipwayApps (an informer, not a poll);
 *  - the controller's peak RSS (VmHWM) and CPU seconds (utime + stime) from /proc;
 *  - an idle minute once everything is synced: CPU seconds, the API requests the controller made
 *    (its own client counter, slipway_controller_kube_requests_total, by verb and resource), and
 *    the git commands it ran (slipway_gitops_git_commands_total);
 *  - drift heal: `--drifts` times a `kubectl scale` of a random app's Deployment (the scale
 *    subresource under a field manager of its own), from just before the write until a watch sees
 *    git's replicas back; one at a time, each once the app is Synced again.
 *
 * The cluster needs ~1 pod slot per app: the bench adds simulated (kwok) nodes of 110 pods each
 * when there are not enough (a setup step, reported). It deletes its namespaces at the end.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { InformerFactory, KubeClient, type LiveObject } from '../src/kube/index.ts';
import type { KubeObject } from '../src/manifest/index.ts';
import { API_VERSION, KIND, type SlipwayApp } from '../src/gitops/index.ts';
import { INSTANCE_LABEL } from '../src/rollout/index.ts';
import { peakRssMiB, pct, pool, sleep, startProcess, stopProcess, until } from './lib.ts';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    apps: { type: 'string', default: '1000' },
    repos: { type: 'string', default: '1' },
    drifts: { type: 'string', default: '100' },
    idle: { type: 'string', default: '60' },
    workers: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'timeout': { type: 'string', default: '1800' },
    append: { type: 'boolean', default: false },
    baseline: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
if (!values.kubeconfig) throw new Error('--kubeconfig FILE');
const kubeconfig = values.kubeconfig;
const N = Number(values.apps);
const R = Number(values.repos);
const DRIFTS = Number(values.drifts);
const IDLE_S = Number(values.idle);
const TIMEOUT_MS = Number(values.timeout) * 1000;
if (!(N > 0 && R > 0 && N % R === 0)) throw new Error('--apps must be a positive multiple of --repos');
const perRepo = N / R;
const run = Math.random().toString(36).slice(2, 6);
const instance = `scale-${run}`;
const nsOf = (i: number): string => `gs-${run}-${String(i).padStart(4, '0')}`;
const systemNs = `gs-${run}-system`;
const log = (s: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

const c = await KubeClient.connect({ kubeconfig });

// ---- cluster capacity: one pod per app, 110 pods per simulated node ----
const nodes = (await c.list({ apiVersion: 'v1', kind: 'Node' }));
const needNodes = Math.ceil((N + 30) / 100);
let addedNodes = 0;
const template = nodes.find((n) => n.metadata.name?.startsWith('kwok-node-'));
if (nodes.length < needNodes) {
  if (!template) throw new Error('no kwok-node-* to copy: run `slipway cluster up`');
  for (let i = nodes.length + 1; i <= needNodes; i++) {
    const name = `kwok-node-${i}`;
    const meta = template.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
    const { allocatable, capacity } = template['status'] as { allocatable: unknown; capacity: unknown };
    await c.create({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { ...meta.labels, 'kubernetes.io/hostname': name }, annotations: meta.annotations ?? {} }, spec: {}, status: { allocatable, capacity } });
    addedNodes++;
  }
  await until('the added nodes to be Ready', async () => {
    const ns = (await c.list({ apiVersion: 'v1', kind: 'Node' }));
    const ready = ns.filter((n) => ((n['status'] as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True'));
    return ready.length >= needNodes || undefined;
  }, 120_000);
  log(`added ${addedNodes} simulated node(s): ${needNodes} in all`);
}

// ---- git: R repositories, N/R app directories each, 10 objects per app ----
const work = mkdtempSync(join(tmpdir(), 'slipway-scale-'));
const repoDirs: string[] = [];
const git = (repo: string, ...a: string[]): string => execFileSync('git', ['-C', repo, '-c', 'user.email=b@example.com', '-c', 'user.name=b', ...a], { encoding: 'utf8' });
const appRepo = (i: number): { repo: string; path: string } => ({ repo: repoDirs[Math.floor(i / perRepo)] ?? '', path: `apps/app-${String(i).padStart(4, '0')}` });
for (let r = 0; r < R; r++) {
  const repo = join(work, `repo-${r}`);
  mkdirSync(repo);
  repoDirs.push(repo);
  git(repo, 'init', '-q', '-b', 'main');
}
for (let i = 0; i < N; i++) {
  const { repo, path } = appRepo(i);
  mkdirSync(join(repo, path), { recursive: true });
  writeFileSync(join(repo, path, 'app.yaml'), manifests(`app-${String(i).padStart(4, '0')}`));
}
const shas = repoDirs.map((repo) => {
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'apps');
  return git(repo, 'rev-parse', 'HEAD').trim();
});
log(`${R} repositor${R === 1 ? 'y' : 'ies'} of ${perRepo} app directories (10 objects each) in ${work}`);

if (values.baseline) await baseline();

// ---- namespaces and apps, before the controller starts ----
await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: systemNs } });
const t0setup = performance.now();
await pool(Array.from({ length: N }, (_, i) => i), 16, async (i) => {
  const ns = nsOf(i);
  const { repo, path } = appRepo(i);
  await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const app: SlipwayApp = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: `app-${String(i).padStart(4, '0')}`, namespace: ns, labels: { [INSTANCE_LABEL]: instance } },
    spec: { source: { repoURL: `file://${repo}`, path }, destination: { namespace: ns }, syncPolicy: { automated: true, prune: true, selfHeal: true } },
  };
  await c.apply(app);
});
log(`${N} namespaces and SlipwayApps created in ${((performance.now() - t0setup) / 1000).toFixed(1)} s`);

// ---- the watch the measurement is made through ----
const factory = new InformerFactory(c, { stripManagedFields: true });
const apps = factory.informer({ apiVersion: API_VERSION, kind: KIND, labelSelector: `${INSTANCE_LABEL}=${instance}` });
const deployments = factory.informer({ apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: 'slipway.dev/app' });
const watchAc = new AbortController();
factory.start(watchAc.signal);
await apps.waitForSync();
await deployments.waitForSync();
const expectedSha = (a: SlipwayApp): string | undefined => shas[repoDirs.findIndex((r) => a.spec.source.repoURL === `file://${r}`)];
const ready = (a: SlipwayApp): boolean => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy' && a.status.revision === expectedSha(a) && !a.status.operation;
const readyAt = new Map<string, number>();
let allReady: (() => void) | undefined;
const allReadyP = new Promise<void>((r) => (allReady = r));
const seeApp = (o: LiveObject): void => {
  const a = o as SlipwayApp;
  const k = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  if (ready(a)) {
    if (!readyAt.has(k)) readyAt.set(k, performance.now());
    if (readyAt.size === N) allReady?.();
  }
};
apps.on({ add: seeApp, update: seeApp });

// ---- cold start ----
const cacheDir = mkdtempSync(join(tmpdir(), 'slipway-scale-cache-'));
// The flags the controller ships with (the image's ENTRYPOINT, bin/slipway, `cluster up`'s
// embedded controller): 8 MB semi-spaces. Runs before 2026-12-06 started it without them, so
// with the young generation Node sizes from this machine's 24 GiB.
const nodeArgs = ['--disable-warning=ExperimentalWarning', '--max-semi-space-size=8', ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [])];
const ctlArgs = ['controller', 'run', '--kubeconfig', kubeconfig, '-A', '--instance', instance, '--lease-namespace', systemNs, '--metrics-addr', '127.0.0.1:0', '--gitops-cache-dir', cacheDir, '--log-level', 'warn', ...(values.workers ? ['--gitops-workers', values.workers] : [])];
const command = `node ${nodeArgs.join(' ')} bin/slipway.js ${ctlArgs.join(' ').replace(kubeconfig, '<kubeconfig>').replace(cacheDir, '<empty dir>')}`;
const t0 = performance.now();
const ctl = startProcess(process.execPath, [...nodeArgs, join(import.meta.dirname, '..', 'bin', 'slipway.js'), ...ctlArgs]);
const url = await cached('the controller to serve /metrics', () => {
  if (ctl.child.exitCode !== null) throw new Error(`controller exited: ${ctl.tail()}`);
  return /serving (http:\/\/[^/\s]+)/.exec(ctl.tail())?.[1];
}, 60_000);
const progress = setInterval(() => log(`${readyAt.size}/${N} Synced and Healthy, ${((performance.now() - t0) / 1000).toFixed(0)} s, controller ${cpuSeconds(ctl.pid).toFixed(1)} CPU s, ${rssMiB(ctl.pid).toFixed(0)} MiB`), 10_000);
const timeout = sleep(TIMEOUT_MS).then(() => 'timeout' as const);
const outcome = await Promise.race([allReadyP.then(() => 'ok' as const), timeout, ctl.exited.then((code) => `controller exited (${code})` as const)]);
clearInterval(progress);
const coldMs = performance.now() - t0;
const coldCpu = cpuSeconds(ctl.pid);
const coldRss = peakRssMiB(ctl.pid);
const readyTimes = [...readyAt.values()].map((t) => (t - t0) / 1000);
const coldMetrics = await metricsText(url);
if (outcome !== 'ok') {
  log(`cold start did not complete: ${outcome}; ${readyAt.size}/${N} ready. Last controller output:\n${ctl.tail().slice(-4000)}`);
}
log(`cold start: ${readyAt.size}/${N} in ${(coldMs / 1000).toFixed(1)} s (first ${pct(readyTimes, 0).toFixed(1)} s, half ${pct(readyTimes, 50).toFixed(1)} s), ${coldCpu.toFixed(1)} CPU s, peak RSS ${coldRss.toFixed(0)} MiB`);

// ---- an idle minute ----
let idle: { cpu: number; requests: Map<string, number>; git: Map<string, number>; reconciles: number; rss: number } | undefined;
if (outcome === 'ok' && IDLE_S > 0) {
  await sleep(5000);
  const before = { cpu: cpuSeconds(ctl.pid), m: await metricsText(url) };
  await sleep(IDLE_S * 1000);
  const after = { cpu: cpuSeconds(ctl.pid), m: await metricsText(url) };
  idle = {
    cpu: after.cpu - before.cpu,
    requests: diffCounters(counters(after.m, 'slipway_controller_kube_requests_total', ['verb', 'resource']), counters(before.m, 'slipway_controller_kube_requests_total', ['verb', 'resource'])),
    git: diffCounters(counters(after.m, 'slipway_gitops_git_commands_total', ['command']), counters(before.m, 'slipway_gitops_git_commands_total', ['command'])),
    reconciles: sum(counters(after.m, 'slipway_controller_reconcile_total', ['reconciler'])) - sum(counters(before.m, 'slipway_controller_reconcile_total', ['reconciler'])),
    rss: rssMiB(ctl.pid),
  };
  log(`idle ${IDLE_S} s: ${idle.cpu.toFixed(2)} CPU s, ${sum(idle.requests)} API requests, ${sum(idle.git)} git commands, ${idle.reconciles} reconciles`);
}

// ---- drift heal under load ----
const heal: number[] = [];
if (outcome === 'ok' && DRIFTS > 0) {
  let waiter: { ns: string; resolve: (t: number) => void; scaled: boolean } | undefined;
  deployments.on({
    update: (o) => {
      const t = performance.now();
      if (!waiter || o.metadata.namespace !== waiter.ns) return;
      const r = (o['spec'] as { replicas?: number }).replicas;
      if (r === 3) waiter.scaled = true;
      else if (waiter.scaled && r === 1) waiter.resolve(t);
    },
  });
  for (let d = 0; d < DRIFTS; d++) {
    const i = Math.floor(Math.random() * N);
    const ns = nsOf(i);
    const name = `app-${String(i).padStart(4, '0')}`;
    const before = (apps.get(name, ns) as SlipwayApp | undefined)?.status?.lastSync?.id ?? 0;
    const back = new Promise<number>((resolve) => (waiter = { ns, resolve, scaled: false }));
    const t = performance.now();
    const res = await c.transport.request({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`, query: { fieldManager: 'bench-person' }, contentType: 'application/merge-patch+json', body: { spec: { replicas: 3 } } });
    if (res.status !== 200) throw new Error(`scale ${ns}: ${res.status}`);
    const healed = await Promise.race([back, sleep(60_000).then(() => NaN)]);
    heal.push(healed - t);
    // The next drift once this app's heal sync is recorded and it is Synced again.
    await cached(`${ns} to be Synced again`, () => {
      const a = apps.get(name, ns) as SlipwayApp | undefined;
      return a && (a.status?.lastSync?.id ?? 0) > before && ready(a) ? true : undefined;
    }, 60_000).catch(() => undefined);
  }
  log(`drift heal, ${DRIFTS} drifts: p50 ${pct(heal, 50).toFixed(0)} ms, p99 ${pct(heal, 99).toFixed(0)} ms, max ${pct(heal, 100).toFixed(0)} ms`);
}
const endRss = peakRssMiB(ctl.pid);
const endCpu = cpuSeconds(ctl.pid);
const endMetrics = await metricsText(url);
watchAc.abort();
await stopProcess(ctl);

// ---- report ----
const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
const machine = `${cpus().length} × ${cpuModel}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`;
const fmtCounts = (m: Map<string, number>): string => [...m].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
const coldRequests = counters(coldMetrics, 'slipway_controller_kube_requests_total', ['verb', 'resource']);
const coldGit = counters(coldMetrics, 'slipway_gitops_git_commands_total', ['command']);
const report = [
  `### gitops — ${N} applications, ${R} repositor${R === 1 ? 'y' : 'ies'} — ${new Date().toISOString()}`,
  '',
  `Command: \`node bench/gitops-scale.ts --kubeconfig <local cluster> --apps ${N} --repos ${R} --drifts ${DRIFTS} --idle ${IDLE_S}${values.workers ? ` --workers ${values.workers}` : ''}\``,
  `Controller: \`${command}\``,
  `Machine: ${machine}. Cluster: \`slipway cluster up --no-prometheus --no-controller\` (kube-apiserver + etcd + kube-controller-manager + kube-scheduler + kwok, all on the same 2 cores), ${needNodes > nodes.length ? `${needNodes} simulated nodes (${addedNodes} added by the bench for pod capacity)` : `${nodes.length} simulated nodes`}.`,
  `Apps: ${N} SlipwayApps, one namespace each, 10 objects each (Deployment of 1 replica, Service, 2 ConfigMaps, ServiceAccount, NetworkPolicy, PodDisruptionBudget, Role, RoleBinding, LimitRange), automated + prune + selfHeal, default interval (3 min); ${R === 1 ? `one file:// repository of ${N} directories` : `${R} file:// repositories of ${perRepo} directories`}.`,
  '',
  '| measure | value | goal |',
  '|---|---|---|',
  `| cold start → all Synced and Healthy (watch) | ${outcome === 'ok' ? `${(coldMs / 1000).toFixed(1)} s` : `**not reached** (${outcome}; ${readyAt.size}/${N} after ${(coldMs / 1000).toFixed(0)} s)`} (first app ${pct(readyTimes, 0).toFixed(1)} s, half ${pct(readyTimes, 50).toFixed(1)} s) | < 60 s |`,
  `| controller peak RSS (VmHWM) | ${coldRss.toFixed(0)} MiB at the end of the cold start, ${endRss.toFixed(0)} MiB at the end | < 300 MiB |`,
  `| controller CPU (utime+stime) | ${coldCpu.toFixed(1)} s for the cold start, ${endCpu.toFixed(1)} s in all | |`,
  `| API requests during the cold start (controller's client) | ${sum(coldRequests)}: ${fmtCounts(coldRequests)} | |`,
  `| git commands during the cold start | ${sum(coldGit)}: ${fmtCounts(coldGit)} | |`,
  idle ? `| idle ${IDLE_S} s: CPU | ${idle.cpu.toFixed(2)} s (${((idle.cpu / IDLE_S) * 100).toFixed(1)}% of one core); RSS ${idle.rss.toFixed(0)} MiB | |` : `| idle minute | not measured | |`,
  idle ? `| idle ${IDLE_S} s: API requests | ${sum(idle.requests)}: ${fmtCounts(idle.requests)} | |` : '',
  idle ? `| idle ${IDLE_S} s: git commands / reconciles | ${sum(idle.git)} (${fmtCounts(idle.git)}) / ${idle.reconciles} | |` : '',
  heal.length ? `| drift heal (kubectl scale → replicas back, seen by a watch), ${heal.length} drifts | p50 ${pct(heal, 50).toFixed(0)} ms, p99 ${pct(heal, 99).toFixed(0)} ms, max ${pct(heal, 100).toFixed(0)} ms | p99 < 2 s |` : '| drift heal | not measured |  |',
  '',
  `Reconciles in all: ${sum(counters(endMetrics, 'slipway_controller_reconcile_total', ['reconciler', 'result']))}; syncs: ${fmtCounts(counters(endMetrics, 'slipway_gitops_syncs_total', ['trigger', 'result']))}.`,
  '',
].filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n');
process.stdout.write(`${report}\n`);
if (values.append) appendFileSync(join(import.meta.dirname, 'RESULTS.md'), `\n${report}`);

// ---- cleanup ----
if (!values.keep) {
  log('deleting the namespaces');
  await pool([...Array.from({ length: N }, (_, i) => nsOf(i)), systemNs], 16, async (ns) => {
    await c.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  });
  await until('the namespaces to be gone', async () => ((await c.list({ apiVersion: 'v1', kind: 'Namespace' })).some((n) => n.metadata.name?.startsWith(`gs-${run}-`)) ? undefined : true), 900_000).catch((e: unknown) => log(String(e)));
  rmSync(work, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
}
c.close();

// ---- helpers ----

/** The cluster alone: the same objects applied directly, until every Deployment is available (then exits). */
async function baseline(): Promise<never> {
  await pool(Array.from({ length: N }, (_, i) => nsOf(i)), 16, async (ns) => {
    await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });
  const f = new InformerFactory(c, { stripManagedFields: true });
  const deps = f.informer({ apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: `bench-run=${run}` });
  const ac = new AbortController();
  f.start(ac.signal);
  await deps.waitForSync();
  const available = new Set<string>();
  let done: (() => void) | undefined;
  const all = new Promise<void>((r) => (done = r));
  const see = (o: LiveObject): void => {
    if (((o['status'] as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0) >= 1) available.add(o.metadata.namespace ?? '');
    if (available.size === N) done?.();
  };
  deps.on({ add: see, update: see });
  const objects = Array.from({ length: N }, (_, i) =>
    parseAllDocuments(manifests(`app-${String(i).padStart(4, '0')}`)).map((d) => {
      const o = d.toJS() as KubeObject;
      return { ...o, metadata: { ...o.metadata, namespace: nsOf(i), labels: { ...o.metadata.labels, 'bench-run': run } } };
    }),
  ).flat();
  const t = performance.now();
  const cpu0 = processCpu();
  await pool(objects, 32, async (o) => {
    await c.apply(o, { force: true });
  });
  const applied = performance.now() - t;
  const progress = setInterval(() => log(`${available.size}/${N} Deployments available, ${((performance.now() - t) / 1000).toFixed(0)} s`), 10_000);
  await Promise.race([all, sleep(TIMEOUT_MS)]);
  clearInterval(progress);
  const total = performance.now() - t;
  ac.abort();
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const report = [
    `### gitops — cluster baseline for ${N} applications (no slipway) — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/gitops-scale.ts --kubeconfig <local cluster> --apps ${N} --baseline\``,
    `Machine: ${cpus().length} × ${cpuModel}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${Math.max(needNodes, nodes.length)} simulated nodes.`,
    '',
    `The same ${objects.length} objects applied server-side by one process, 32 requests at a time: all applied in ${(applied / 1000).toFixed(1)} s; ${available.size}/${N} Deployments available after ${(total / 1000).toFixed(1)} s (seen by a watch). CPU of the applying process: ${(processCpu() - cpu0).toFixed(1)} s.`,
    '',
  ].join('\n');
  process.stdout.write(`${report}\n`);
  if (values.append) appendFileSync(join(import.meta.dirname, 'RESULTS.md'), `\n${report}`);
  await pool(Array.from({ length: N }, (_, i) => nsOf(i)), 16, async (ns) => {
    await c.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  });
  await until('the namespaces to be gone', async () => ((await c.list({ apiVersion: 'v1', kind: 'Namespace' })).some((n) => n.metadata.name?.startsWith(`gs-${run}-`)) ? undefined : true), 900_000).catch((e: unknown) => log(String(e)));
  rmSync(work, { recursive: true, force: true });
  c.close();
  process.exit(0);
}

function processCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The 10 objects of one app: what a small service brings to its namespace. */
function manifests(app: string): string {
  const labels = `{ app: web, part-of: ${app} }`;
  return `apiVersion: v1
kind: ServiceAccount
metadata: { name: web, labels: ${labels} }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: web-config, labels: ${labels} }
data: { LOG_LEVEL: info, PORT: "8080", UPSTREAM: "http://api:8080" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: web-flags, labels: ${labels} }
data: { new-checkout: "false", dark-mode: "true" }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, labels: ${labels} }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      serviceAccountName: web
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: main
          image: registry.example/${app}:1.0.0
          ports: [{ containerPort: 8080 }]
          envFrom: [{ configMapRef: { name: web-config } }]
          resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { memory: 128Mi } }
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
---
apiVersion: v1
kind: Service
metadata: { name: web, labels: ${labels} }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web, labels: ${labels} }
spec:
  podSelector: { matchLabels: { app: web } }
  policyTypes: [Ingress]
  ingress: [{ ports: [{ port: 8080 }] }]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: web, labels: ${labels} }
spec:
  maxUnavailable: 1
  selector: { matchLabels: { app: web } }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: web, labels: ${labels} }
rules: [{ apiGroups: [""], resources: [configmaps], verbs: [get, list, watch] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: web, labels: ${labels} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: web }
subjects: [{ kind: ServiceAccount, name: web }]
---
apiVersion: v1
kind: LimitRange
metadata: { name: defaults, labels: ${labels} }
spec:
  limits: [{ type: Container, default: { memory: 128Mi }, defaultRequest: { cpu: 50m, memory: 64Mi } }]
`;
}

function procStat(pid: number): string[] {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}
/** utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat; USER_HZ 100). */
function cpuSeconds(pid: number): number {
  try {
    const f = procStat(pid);
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
/** Waits for `cond` on what this process already has (an informer's cache, a child's output): no request. */
async function cached<T>(what: string, cond: () => T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = cond();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s: ${what}`);
    await sleep(50);
  }
}
async function metricsText(base: string): Promise<string> {
  try {
    return await (await fetch(`${base}/metrics`)).text();
  } catch {
    return '';
  }
}
/** A counter's values by the given labels (joined with a space), summed over other labels. */
function counters(text: string, name: string, labels: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const k = labels.map((l) => new RegExp(`${l}="([^"]*)"`).exec(line)?.[1] ?? '').join(' ');
    out.set(k, (out.get(k) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}
function diffCounters(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  return new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)]));
}
function sum(m: Map<string, number>): number {
  return [...m.values()].reduce((x, y) => x + y, 0);
}
