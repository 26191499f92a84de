/**
 * Progressive-delivery benchmark: slipway's controller (`slipway controller run`, a child
 * process) against Flagger v1.44 (`flagger -mesh-provider gatewayapi:v1`, a local process), the
 * peer the issue names, on the same cluster, the same N canaries, the same route kind (a
 * Gateway API HTTPRoute with a stable and a canary backend), one after the other in one run.
 *
 * Each of the N canaries goes through two gated transitions, every canary's gate opened at once:
 *  - T1, a weight step 20% → 50%: slipway: the `slipway.dev/promote` annotation on a rollout
 *    paused at an indefinite `pause: {}` (what `slipway rollout promote` writes, through
 *    requestAction); Flagger: its `confirm-traffic-increase` webhook, served by this process,
 *    starts answering 200 instead of 403 for that canary;
 *  - T2, promotion: slipway: promote at the last indefinite pause (stable rolls to the new
 *    template, then all traffic back to stable); Flagger: its `confirm-promotion` webhook opens
 *    (primary takes the canary's template, then all traffic to the primary).
 * The latency of one transition runs from the moment its gate opens (for slipway: before the
 * promote command's first request) until a watch on the HTTPRoute (not a poll) sees the next
 * canary weight (50, then 0).
 *
 * Also: slipway's reconcile latency (the controller's /metrics histogram
 * slipway_controller_reconcile_duration_seconds), Flagger's per-canary analysis run
 * (flagger_canary_duration_seconds, its equivalent), and the peak RSS (VmHWM) of both
 * controller processes with N canaries. Appends the results, with the command, to bench/RESULTS.md.
 *
 *   node bench/rollout.ts --kubeconfig FILE [--count 200] [--replicas 1] [--spread 10] [--timeout 600] [--only slipway|flagger]
 *
 * Needs a local cluster with the Gateway API CRDs and kwok (`slipway cluster up --no-controller
 * --nodes 10`: 200 canaries need about 600 pods, a kwok node takes 110),
 * flagger from scripts/install-go-tools.sh, and the Go toolchain for Flagger's CRDs
 * (`go mod download github.com/fluxcd/flagger@v1.44.0`, artifacts/flagger/crd.yaml).
 */
import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeClient, type LiveObject } from '../src/kube/index.ts';
import type { KubeObject } from '../src/manifest/index.ts';
import { FLAGGER_VERSION, RouteWatch, applyAll, crdServed, flaggerBinary, flaggerCrds, freePort, histogram, minus, peakRssMiB, pool, podTemplate, quantile, sleep, startProcess, stats, stopProcess, until as untilMs, type Histogram, type Stats } from './lib.ts';
import { API_VERSION, INSTANCE_LABEL, KIND, installManifests, requestAction, type ServiceRollout } from '../src/rollout/index.ts';

/** Flagger's analysis interval: GetAnalysisInterval() raises anything below 10s to 10s. */
const FLAGGER_INTERVAL = '10s';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const kubeconfig = flag('--kubeconfig') ?? process.env['KUBECONFIG'];
const count = Number(flag('--count') ?? 200);
const replicas = Number(flag('--replicas') ?? 1);
const timeoutMs = Number(flag('--timeout') ?? 600) * 1000;
const only = flag('--only');
/** Seconds over which the N gates of a transition open, evenly spaced (0: all at once). */
const spread = Number(flag('--spread') ?? 10);
if (!kubeconfig || !(count > 0) || !(replicas > 0) || !(spread >= 0) || (only !== undefined && only !== 'slipway' && only !== 'flagger')) {
  process.stderr.write('usage: node bench/rollout.ts --kubeconfig FILE [--count 200] [--replicas 1] [--spread 10] [--timeout 600] [--only slipway|flagger]   (after `slipway cluster up --no-controller`)\n');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const runId = Date.now().toString(36);
const log = (s: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ---------------------------------------------------------------------------------------------
// helpers

const until = <T>(what: string, cond: () => Promise<T | undefined>, ms = timeoutMs): Promise<T> => untilMs(what, cond, ms);




interface Transition {
  readonly latencies: number[];
}

/**
 * Opens the gate of every canary, the i-th at i × spread / N seconds (at most 16 requests at
 * once), and waits until each route carries `weight`; the latency of each runs from just before
 * its gate opened.
 */
async function transition(routes: RouteWatch, names: readonly string[], weight: number, open: (name: string) => Promise<void> | void): Promise<Transition> {
  const latencies: number[] = [];
  const waits: Promise<void>[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`timed out after ${timeoutMs / 1000}s: ${names.length - latencies.length} routes never reached weight ${weight} (e.g. ${names.filter((n) => routes.weights.get(n) !== weight).slice(0, 3).join(', ')})`)), timeoutMs);
  });
  const start = performance.now();
  const at = new Map(names.map((n, i) => [n, start + (i * spread * 1000) / names.length]));
  await pool(names, 16, async (name) => {
    const wait = (at.get(name) ?? 0) - performance.now();
    if (wait > 0) await sleep(wait);
    const seen = routes.reach(name, weight);
    const t0 = performance.now();
    await open(name);
    waits.push(seen.then((t) => void latencies.push(t - t0)));
  });
  try {
    await Promise.race([Promise.all(waits), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return { latencies };
}


async function withNamespace(client: KubeClient, prefix: string): Promise<string> {
  const ns = `${prefix}-${runId}`;
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  return ns;
}


// ---------------------------------------------------------------------------------------------
// slipway

interface Result {
  readonly t1: Stats;
  readonly t2: Stats;
  readonly rssMiB: number;
  readonly routeEvents: number;
  readonly setupS: number;
  /** Reconcile (slipway) or per-canary analysis run (Flagger) durations over T1 + T2, from /metrics. */
  readonly work: { readonly count: number; readonly mean: number; readonly p50: number; readonly p99: number } | undefined;
  readonly notes: string[];
}

/** A controller's result: latency stats of both transitions, and the work histogram (when it has runs) in ms. */
function outcome(o: { t1: number[]; t2: number[]; rssMiB: number; routeEvents: number; setupS: number; h: Histogram; notes: string[] }): Result {
  const { h } = o;
  const work = h.count > 0 ? { count: h.count, mean: (h.sum / h.count) * 1000, p50: quantile(h, 0.5) * 1000, p99: quantile(h, 0.99) * 1000 } : undefined;
  return { t1: stats(o.t1), t2: stats(o.t2), rssMiB: o.rssMiB, routeEvents: o.routeEvents, setupS: o.setupS, work, notes: o.notes };
}

const name = (prefix: string, i: number): string => `${prefix}-${String(i).padStart(3, '0')}`;

async function benchSlipway(client: KubeClient): Promise<Result> {
  const t0 = performance.now();
  for (const o of installManifests({ image: 'unused', crdsOnly: true })) await client.apply(o, { force: true });
  await crdServed(client, API_VERSION, KIND);
  const ns = await withNamespace(client, 'bench-rollout-slipway');
  const ctl = startProcess(process.execPath, [
    // As bin/slipway, `slipway cluster up` and the image run it (BENCH_NODE_FLAGS replaces the flag).
    ...(process.env['BENCH_NODE_FLAGS'] ?? '--max-semi-space-size=8').split(' ').filter((f) => f !== ''), '--disable-warning=ExperimentalWarning', join(root, 'bin', 'slipway.js'),
    'controller', 'run', '--kubeconfig', kubeconfig ?? '', '-n', ns, '--instance', 'bench', '--lease-namespace', ns, '--metrics-addr', '127.0.0.1:0',
  ]);
  const routes = new RouteWatch(client, ns);
  try {
    const url = await until('slipway controller to serve /metrics', () => Promise.resolve(/serving (http:\/\/[^/\s]+)/.exec(ctl.tail())?.[1]), 60_000);
    await routes.start();
    const names = Array.from({ length: count }, (_, i) => name('sw', i));
    const steps = [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }];
    const ro = (n: string, image: string): ServiceRollout => ({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: n, namespace: ns, labels: { [INSTANCE_LABEL]: 'bench' } },
      spec: {
        replicas,
        selector: { matchLabels: { app: n } },
        template: podTemplate(n, image),
        strategy: { canary: { steps, progressDeadlineSeconds: 600, abortScaleDownDelaySeconds: 0 } },
        trafficRouting: { gatewayAPI: { parentRefs: [{ name: 'public', namespace: ns }], port: 8080 } },
      },
    });
    const rollouts = async (): Promise<ServiceRollout[]> => (await client.list({ apiVersion: API_VERSION, kind: KIND, namespace: ns })) as ServiceRollout[];
    const all = (what: string, cond: (r: ServiceRollout) => boolean): Promise<true> =>
      until(what, async () => {
        const rs = await rollouts();
        const ok = rs.filter(cond).length;
        return ok === count ? true : undefined;
      });

    log(`slipway: ${count} ServiceRollouts v1 in ${ns}…`);
    await applyAll(client, names.map((n) => ro(n, 'registry.example/web:1')));
    await all('every rollout Healthy on v1', (r) => r.status?.phase === 'Healthy');
    log('slipway: v2 (canary to 20%, then an indefinite pause)…');
    await applyAll(client, names.map((n) => ro(n, 'registry.example/web:2')));
    await all('every canary paused at step 2 (weight 20)', (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 1);
    await until('every route at 20', () => Promise.resolve(names.every((n) => routes.weights.get(n) === 20) || undefined));
    const setupS = (performance.now() - t0) / 1000;

    const scrape = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
    const before = await scrape();
    const eventsBefore = routes.events;
    log(`slipway: T1, promote ${count} canaries paused at 20% → route at 50%…`);
    const t1 = await transition(routes, names, 50, (n) => requestAction(client, ns, n, 'promote'));
    await all('every canary paused at step 4 (weight 50)', (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 3);
    log(`slipway: T2, promote ${count} canaries paused at 50% → promoted, route at 0%…`);
    const t2 = await transition(routes, names, 0, (n) => requestAction(client, ns, n, 'promote'));
    const after = await scrape();
    const routeEvents = routes.events - eventsBefore;
    await all('every rollout Healthy on v2', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:2');
    const rssMiB = peakRssMiB(ctl.pid);
    const h = minus(histogram(after, 'slipway_controller_reconcile_duration_seconds', 'reconciler="rollout"'), histogram(before, 'slipway_controller_reconcile_duration_seconds', 'reconciler="rollout"'));
    const errors = /slipway_controller_reconcile_total\{reconciler="rollout",result="error"\} (\d+)/.exec(after)?.[1] ?? '0';
    return outcome({ t1: t1.latencies, t2: t2.latencies, rssMiB, routeEvents, setupS, h, notes: [`reconcile errors over the whole run: ${errors}`] });
  } catch (e) {
    process.stderr.write(`slipway controller output (tail):\n${ctl.tail().slice(-5000)}\n`);
    throw e;
  } finally {
    routes.stop();
    await stopProcess(ctl);
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Flagger

/** The gates Flagger's confirm webhooks ask: the canary weight a canary may go up to, and whether it may be promoted. */
class Gates {
  readonly allowedWeight = new Map<string, number>();
  readonly promote = new Set<string>();
  calls = 0;
  private server: Server | undefined;
  private readonly routes: RouteWatch;
  private readonly maxWeight: number;
  constructor(routes: RouteWatch, maxWeight: number) {
    this.routes = routes;
    this.maxWeight = maxWeight;
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => (body += b.toString()));
      req.on('end', () => {
        this.calls++;
        let canary = '';
        try {
          canary = (JSON.parse(body) as { name?: string }).name ?? '';
        } catch {
          /* answered 400 below */
        }
        const w = this.routes.weights.get(canary) ?? 0;
        const open = req.url === '/traffic' ? w < (this.allowedWeight.get(canary) ?? 0) || w >= this.maxWeight : req.url === '/promotion' ? this.promote.has(canary) : false;
        res.writeHead(canary ? (open ? 200 : 403) : 400).end();
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  close(): void {
    this.server?.close();
    this.server?.closeAllConnections();
  }
}

async function benchFlagger(client: KubeClient): Promise<Result> {
  const t0 = performance.now();
  const bin = flaggerBinary();
  const crds = flaggerCrds();
  for (const o of crds) await client.apply(o, { force: true });
  await crdServed(client, 'flagger.app/v1beta1', 'Canary');
  const ns = await withNamespace(client, 'bench-rollout-flagger');
  const routes = new RouteWatch(client, ns);
  const gates = new Gates(routes, 50);
  const hooks = await gates.listen();
  const port = await freePort();
  const qps = 1000;
  const flaggerArgs = [
    '-kubeconfig', kubeconfig ?? '', '-namespace', ns, '-mesh-provider', 'gatewayapi:v1',
    // Nothing listens there; the canaries have no metric checks, so Flagger never queries it.
    '-metrics-server', 'http://127.0.0.1:9',
    '-port', String(port), '-log-level', 'info',
    // Flagger's client-side rate limit (default 100 QPS, burst 250) raised, so it is not what limits it.
    '-kubeconfig-qps', String(qps), '-kubeconfig-burst', String(qps * 2),
  ];
  const fl = startProcess(bin, flaggerArgs);
  try {
    await routes.start();
    const names = Array.from({ length: count }, (_, i) => name('fc', i));
    const deployment = (n: string, image: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: n, namespace: ns, labels: { app: n } },
      spec: { replicas, selector: { matchLabels: { app: n } }, template: podTemplate(n, image) },
    });
    const canary = (n: string): KubeObject => ({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: n, namespace: ns },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: n },
        progressDeadlineSeconds: 600,
        service: { port: 8080, targetPort: 8080, gatewayRefs: [{ name: 'public', namespace: ns }] },
        analysis: {
          interval: FLAGGER_INTERVAL,
          threshold: 5,
          stepWeights: [20, 50],
          metrics: [],
          webhooks: [
            { name: 'gate-traffic', type: 'confirm-traffic-increase', url: `${hooks}/traffic`, timeout: '5s' },
            { name: 'gate-promotion', type: 'confirm-promotion', url: `${hooks}/promotion`, timeout: '5s' },
          ],
        },
      },
    });
    const canaries = async (): Promise<LiveObject[]> => client.list({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: ns });
    const phaseOf = (c: LiveObject): string | undefined => (c['status'] as { phase?: string } | undefined)?.phase;
    const all = (what: string, cond: (c: LiveObject) => boolean): Promise<true> =>
      until(what, async () => ((await canaries()).filter(cond).length === count ? true : undefined));

    log(`flagger: ${count} Deployments v1 and Canaries in ${ns}…`);
    await applyAll(client, names.map((n) => deployment(n, 'registry.example/web:1')));
    await applyAll(client, names.map(canary));
    await all('every Canary Initialized', (c) => phaseOf(c) === 'Initialized');
    for (const n of names) gates.allowedWeight.set(n, 20);
    log('flagger: v2 (the traffic gate is open up to 20%)…');
    await applyAll(client, names.map((n) => deployment(n, 'registry.example/web:2')));
    await until('every route at 20', () => Promise.resolve(names.every((n) => routes.weights.get(n) === 20) || undefined));
    const setupS = (performance.now() - t0) / 1000;

    const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const before = await scrape();
    const eventsBefore = routes.events;
    log(`flagger: T1, open the traffic gate of ${count} canaries at 20% → route at 50%…`);
    const t1 = await transition(routes, names, 50, (n) => void gates.allowedWeight.set(n, 50));
    await all('every Canary WaitingPromotion (at 50%, promotion gate closed)', (c) => phaseOf(c) === 'WaitingPromotion');
    log(`flagger: T2, open the promotion gate of ${count} canaries → route at 0%…`);
    const t2 = await transition(routes, names, 0, (n) => void gates.promote.add(n));
    const after = await scrape();
    const routeEvents = routes.events - eventsBefore;
    const rssMiB = peakRssMiB(fl.pid);
    const h = minus(histogram(after, 'flagger_canary_duration_seconds'), histogram(before, 'flagger_canary_duration_seconds'));
    return outcome({ t1: t1.latencies, t2: t2.latencies, rssMiB, routeEvents, setupS, h, notes: [`webhook calls answered: ${gates.calls}`, `flagger ${flaggerArgs.join(' ').replace(kubeconfig ?? '', '<kubeconfig>').replace(ns, '<ns>')}`] });
  } catch (e) {
    process.stderr.write(`flagger output (tail):\n${fl.tail().slice(-5000)}\n`);
    throw e;
  } finally {
    routes.stop();
    await stopProcess(fl);
    gates.close();
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

const client = await KubeClient.connect({ kubeconfig, maxSockets: 32 });
// Each canary runs stable (or primary) and canary pods, plus a surge pod while promoting; kwok
// nodes take 110 pods each (`slipway cluster up --nodes`).
const podCapacity = (await client.list({ apiVersion: 'v1', kind: 'Node' })).reduce((n, node) => n + Number((node['status'] as { allocatable?: { pods?: string } } | undefined)?.allocatable?.pods ?? 0), 0);
const podsNeeded = count * (2 * replicas + 1);
if (podCapacity < podsNeeded) {
  client.close();
  process.stderr.write(`the cluster's nodes take ${podCapacity} pods; ${count} canaries of ${replicas} replica(s) need up to ${podsNeeded}: start it with more nodes (\`slipway cluster up --nodes ${Math.ceil(podsNeeded / 110) + 1}\`)\n`);
  process.exit(2);
}
const started = new Date();
let sw: Result | undefined;
let fg: Result | undefined;
try {
  if (only !== 'flagger') sw = await benchSlipway(client);
  if (only !== 'slipway') fg = await benchFlagger(client);
} finally {
  client.close();
}

const ms = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined ? `${(a / b).toFixed(3)}× (${(b / a).toFixed(1)}× faster)` : 'n/a');
const row = (label: string, r: Result | undefined): string =>
  r ? `| ${label} | ${ms(r.t1.p50)} | ${ms(r.t1.p99)} | ${ms(r.t2.p50)} | ${ms(r.t2.p99)} | ${r.rssMiB.toFixed(0)} MiB | ${r.routeEvents} |` : `| ${label} | — | — | — | — | — | — |`;
const work = (label: string, r: Result | undefined): string =>
  r?.work ? `${label}: ${r.work.count} runs, mean ${ms(r.work.mean)}, p50 ≈ ${ms(r.work.p50)}, p99 ≈ ${ms(r.work.p99)} (from histogram buckets)` : `${label}: n/a`;
const load = loadavg().map((l) => l.toFixed(1)).join(' ');
const text = `
### rollout — ${started.toISOString()}

Command: \`node bench/rollout.ts --kubeconfig <local cluster> --count ${count} --replicas ${replicas} --spread ${spread}${only ? ` --only ${only}` : ''}\` on ${cpus().length} cores, local control plane (\`slipway cluster up --no-controller --nodes ${Math.round(podCapacity / 110)}\`: kube-apiserver + etcd, kwok pods Ready ~1 s after creation), Node ${process.version}.
Same cluster, ${count} concurrent canaries for each controller (run one after the other, each in its own namespace), ${replicas} replica(s) each, the same route kind: a Gateway API v1 HTTPRoute with a stable and a canary backend, whose canary weight a watch observes.
slipway: \`slipway controller run -n <ns> --instance bench\` (child process), ServiceRollout steps \`setWeight 20, pause {}, setWeight 50, pause {}\`, gate = \`slipway rollout promote\` (requestAction: GET + apply of the slipway.dev/promote annotation; timed from before the GET).
Flagger ${FLAGGER_VERSION} (\`-mesh-provider gatewayapi:v1 -namespace <ns>\`, client QPS raised to 1000/burst 2000), Canary \`stepWeights: [20, 50]\`, \`interval: ${FLAGGER_INTERVAL}\` (its minimum: Flagger raises any shorter interval to 10 s), gates = \`confirm-traffic-increase\` and \`confirm-promotion\` webhooks served by the bench (403 until the bench opens the canary's gate, then 200).
T1 = a weight step (gate opened on a canary at 20% until its route carries 50%); T2 = promotion (gate opened on a canary at 50% until its route carries 0% canary, all traffic on the promoted stable/primary). ${spread > 0 ? `The ${count} gates of a transition open evenly spaced over ${spread} s (so Flagger's 10 s ticks, which all its canaries share since they were created together, meet them at every phase)` : `All ${count} gates of a transition open in one burst (16 requests at a time); Flagger's latency then depends on where its shared 10 s tick happens to be`}.

| controller | T1 p50 | T1 p99 | T2 p50 | T2 p99 | peak RSS (VmHWM) | route writes seen in T1+T2 |
|---|---|---|---|---|---|---|
${row('slipway', sw)}
${row(`Flagger ${FLAGGER_VERSION}`, fg)}
| ratio slipway / Flagger, p50 | ${ratio(sw?.t1.p50, fg?.t1.p50)} | p99 ${ratio(sw?.t1.p99, fg?.t1.p99)} | ${ratio(sw?.t2.p50, fg?.t2.p50)} | p99 ${ratio(sw?.t2.p99, fg?.t2.p99)} | ${sw && fg ? `${(sw.rssMiB / fg.rssMiB).toFixed(2)}×` : 'n/a'} | |

${work('slipway reconcile latency during T1+T2 (slipway_controller_reconcile_duration_seconds{reconciler="rollout"})', sw)}.
${work('Flagger per-canary analysis run during T1+T2 (flagger_canary_duration_seconds)', fg)}.
Means: slipway T1 ${sw ? ms(sw.t1.mean) : 'n/a'}, T2 ${sw ? ms(sw.t2.mean) : 'n/a'}; Flagger T1 ${fg ? ms(fg.t1.mean) : 'n/a'}, T2 ${fg ? ms(fg.t2.mean) : 'n/a'}. Max: slipway T1 ${sw ? ms(sw.t1.max) : 'n/a'}, T2 ${sw ? ms(sw.t2.max) : 'n/a'}; Flagger T1 ${fg ? ms(fg.t1.max) : 'n/a'}, T2 ${fg ? ms(fg.t2.max) : 'n/a'}.
Set-up (not measured: create, first version, canary to 20%): slipway ${sw ? sw.setupS.toFixed(0) : 'n/a'} s, Flagger ${fg ? fg.setupS.toFixed(0) : 'n/a'} s. ${[...(sw?.notes ?? []).map((n) => `slipway: ${n}`), ...(fg?.notes ?? []).map((n) => `Flagger: ${n}`)].join('; ')}.
Goal (issue 10): slipway ≥ 10× faster than Flagger, < 150 MiB RSS at 200 canaries. Load average at the end: ${load} (the 2 cores are shared with other work).
`;
appendFileSync(join(root, 'bench/RESULTS.md'), text);
process.stdout.write(text);
