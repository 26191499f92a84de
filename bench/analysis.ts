/**
 * Rollback reaction time (issue 11): the same failing canary through slipway's controller
 * (`slipway controller run`, a child process) and through Flagger v1.44 (`flagger -mesh-provider
 * gatewayapi:v1`, a local process), on the same cluster, judged against the same Prometheus (the
 * local cluster's, scraping its workload metrics simulator every second), in one run.
 *
 * The canary: a Deployment whose v1 serves `rps=50,errorRate=0` and whose v2 serves
 * `rps=50,errorRate=0.2` (pod annotation `slipway.dev/simulate-metrics`), behind a Gateway API
 * v1 HTTPRoute with a stable and a canary backend.
 *  - slipway: a ServiceRollout, steps `setWeight 20, analysis, setWeight 50, analysis`, analysed
 *    with the metrics slipway derives from `slo.successRate: 99` (sloMetrics), at the analysis
 *    defaults (interval 1s).
 *  - Flagger: a Canary (provider gatewayapi:v1) with `stepWeights: [20, 50]`, `threshold: 1`, its
 *    minimum `interval` (10s), and one metric: a MetricTemplate of provider prometheus, pointed
 *    at the same Prometheus, computing the same error ratio (in percent) over the canary's pods
 *    with the same 30 s window, `thresholdRange.max: 1`.
 *
 * The reaction time of one repetition runs from the first instant PromQL itself shows the canary's
 * error ratio above the threshold (1%; the bench asks Prometheus every 100 ms from the moment v2
 * is applied, with the same query shape both controllers use, over each one's canary pods) until
 * a watch on the HTTPRoute (not a poll) sees 0% canary. Where the time goes is read from each
 * controller's own record: slipway's failing measurement (its timestamp in the status), Flagger's
 * log lines (the failed check, the rollback), timed as they arrive on its stdout.
 *
 * Also the peak RSS (VmHWM) of both controller processes over the run. Appends the results, with
 * the command, to bench/RESULTS.md.
 *
 *   node bench/analysis.ts --kubeconfig FILE [--reps 5] [--prometheus-url URL] [--timeout 300] [--only slipway|flagger]
 *
 * Needs a local cluster with Prometheus (`slipway cluster up --no-controller`), flagger from
 * `make bench-tools`, and the Go toolchain for Flagger's CRDs (bench/lib.ts flaggerCrds).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { podsRegex, sloMetrics } from '../src/analysis/index.ts';
import { clusterStatus } from '../src/cluster/index.ts';
import { KubeClient, type LiveObject } from '../src/kube/index.ts';
import type { KubeObject } from '../src/manifest/index.ts';
import { API_VERSION, INSTANCE_LABEL, KIND, installManifests, type ServiceRollout, type StepT } from '../src/rollout/index.ts';
import { FLAGGER_VERSION, RouteWatch, crdServed, flaggerBinary, flaggerCrds, freePort, pct, peakRssMiB, podTemplate, sleep, startProcess, stopProcess, until as untilMs, type ChildProc } from './lib.ts';

/** Flagger's analysis interval: GetAnalysisInterval() raises anything below 10s to 10s. */
const FLAGGER_INTERVAL = '10s';
/** slipway's SLO: success rate 99%, so an error ratio above 1% fails, as Flagger's thresholdRange.max 1 (%). */
const SUCCESS_RATE = 99;
const THRESHOLD_PCT = 100 - SUCCESS_RATE;
const THRESHOLD = THRESHOLD_PCT / 100;
/** The rate window of slipway's SLO queries (src/analysis/slo.ts), given to Flagger's template too. */
const WINDOW = '30s';
const SIM_GOOD = 'rps=50,errorRate=0';
const SIM_BAD = 'rps=50,errorRate=0.2';
const POLL_MS = 100;

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const kubeconfig = flag('--kubeconfig') ?? process.env['KUBECONFIG'];
const reps = Number(flag('--reps') ?? 5);
const timeoutMs = Number(flag('--timeout') ?? 300) * 1000;
const only = flag('--only');
if (!kubeconfig || !(reps > 0) || (only !== undefined && only !== 'slipway' && only !== 'flagger')) {
  process.stderr.write('usage: node bench/analysis.ts --kubeconfig FILE [--reps 5] [--prometheus-url URL] [--timeout 300] [--only slipway|flagger]   (after `slipway cluster up --no-controller`)\n');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const runId = Date.now().toString(36);
const log = (s: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const until = <T>(what: string, cond: () => Promise<T | undefined>, ms = timeoutMs): Promise<T> => untilMs(what, cond, ms);
/** Wall-clock time in ms with sub-millisecond resolution (RouteWatch's performance.now() times convert to it). */
const wall = (): number => performance.timeOrigin + performance.now();

/** The Prometheus of the cluster whose kubeconfig this is (`slipway cluster status`), unless --prometheus-url. */
async function prometheusUrl(): Promise<string> {
  const explicit = flag('--prometheus-url');
  if (explicit) return explicit.replace(/\/+$/, '');
  const dataDir = dirname(resolve(kubeconfig ?? ''));
  const { name } = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')) as { name: string };
  const url = (await clusterStatus({ name, dataDir })).prometheusUrl;
  if (!url) throw new Error(`cluster ${name} at ${dataDir} runs no Prometheus: start it without --no-prometheus, or pass --prometheus-url`);
  return url;
}

/**
 * The canary's error ratio as both controllers compute it (slipway: 1 − its success-rate query;
 * Flagger: the template below, ÷ 100), over the pods matching `pods`.
 */
const errorRatioQuery = (ns: string, pods: string): string => {
  const sel = `namespace="${ns}",pod=~"${pods}"`;
  return `1 - (sum(rate(http_requests_total{${sel},code!~"5.."}[${WINDOW}])) or vector(0)) / sum(rate(http_requests_total{${sel}}[${WINDOW}]))`;
};

async function promValue(prom: string, query: string): Promise<number | undefined> {
  const res = await fetch(`${prom}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await res.json()) as { status?: string; data?: { result?: { value?: [number, string] }[] } };
  const v = body.data?.result?.[0]?.value?.[1];
  return body.status === 'success' && v !== undefined ? Number(v) : undefined;
}

interface Visible {
  /** Wall time the first query showing the regression was sent. */
  readonly at: number;
  readonly value: number;
  readonly polls: number;
  /** Round-trip times of the polls (ms). */
  readonly rtts: number[];
}

/** Asks Prometheus every 100 ms until the error ratio over `pods` is above the threshold. */
async function firstVisible(prom: string, ns: string, pods: string, signal: AbortSignal): Promise<Visible> {
  const query = errorRatioQuery(ns, pods);
  const rtts: number[] = [];
  for (let polls = 1; ; polls++) {
    if (signal.aborted) throw new Error('stopped before the regression was visible in Prometheus');
    const t0 = wall();
    const v = await promValue(prom, query).catch(() => undefined);
    const t1 = wall();
    rtts.push(t1 - t0);
    if (v !== undefined && v > THRESHOLD) return { at: t0, value: v, polls, rtts };
    await sleep(Math.max(0, t0 + POLL_MS - t1));
  }
}

/** Rejects after the timeout (with `what`), or resolves with `p`. */
async function within<T>(what: string, p: Promise<T>, ms = timeoutMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out after ${ms / 1000}s: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

interface Rep {
  /** Visible in Prometheus → route at 0% canary (ms). */
  readonly reactionMs: number;
  /** v2 applied → visible in Prometheus (ms). */
  readonly visibleAfterApplyMs: number;
  /** Where the time went: named points after the visible instant (ms), in order. */
  readonly breakdown: Record<string, number>;
  readonly note: string;
}

interface Result {
  readonly reps: Rep[];
  readonly rssMiB: number;
  readonly pollRttP50: number;
  readonly notes: string[];
}

/**
 * One repetition: apply v2, watch Prometheus and the route; returns when the route carries 0%
 * canary after having carried `weight` (the first step's).
 */
interface Measured {
  readonly visible: Visible;
  /** Wall times: v2 applied, the route at the first step's weight, the route back at 0% canary. */
  readonly appliedAt: number;
  readonly routedAt: number;
  readonly stableAt: number;
}

async function measureRep(o: { prom: string; routes: RouteWatch; ns: string; name: string; pods: string; weight: number; apply: () => Promise<void> }): Promise<Measured> {
  // Series of earlier pods that matched (Flagger's target ran v1 until its initialization) would dilute the ratio
  // for up to a window: v2 starts once none is left in it.
  const rate = `sum(rate(http_requests_total{namespace="${o.ns}",pod=~"${o.pods}"}[${WINDOW}]))`;
  await until(`no series of ${o.pods} left in the ${WINDOW} window`, async () => ((await promValue(o.prom, rate)) === undefined ? true : undefined), 120_000);
  const ac = new AbortController();
  const routed = o.routes.reach(o.name, o.weight);
  const appliedAt = wall();
  await o.apply();
  const visible = firstVisible(o.prom, o.ns, o.pods, ac.signal);
  try {
    const routedAt = performance.timeOrigin + (await within(`route ${o.name} at ${o.weight}% canary`, routed));
    const stableAt = performance.timeOrigin + (await within(`route ${o.name} back to 0% canary`, o.routes.reach(o.name, 0)));
    return { visible: await within('the regression visible in Prometheus', visible, 10_000), appliedAt, routedAt, stableAt };
  } finally {
    ac.abort();
    await visible.catch(() => undefined);
  }
}

const namespace = async (client: KubeClient, prefix: string): Promise<string> => {
  const ns = `${prefix}-${runId}`;
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  return ns;
};

const annotated = (app: string, image: string, simulate: string): Record<string, unknown> => {
  const t = podTemplate(app, image) as { metadata: Record<string, unknown> };
  return { ...t, metadata: { ...t.metadata, annotations: { 'slipway.dev/simulate-metrics': simulate } } };
};

const repName = (prefix: string, i: number): string => `${prefix}-${String(i).padStart(2, '0')}`;

// ---------------------------------------------------------------------------------------------
// slipway

const SLIPWAY_STEPS: StepT[] = [{ setWeight: 20 }, { analysis: {} }, { setWeight: 50 }, { analysis: {} }];

/** A slipway repetition: its timings, and where the time went from the rollout's own record (the failing measurement). */
function slipwayRep(m: Measured, done: ServiceRollout): Rep {
  const sr = done.status?.analysis?.metrics?.find((x) => x.name === 'success-rate');
  const failed = sr?.measurements.findLast((x) => x.phase === 'Failed');
  const failedAt = failed ? Date.parse(failed.time) : NaN;
  const firstAt = sr?.measurements[0] ? Date.parse(sr.measurements[0].time) : NaN;
  const reaction = m.stableAt - m.visible.at;
  return {
    reactionMs: reaction,
    visibleAfterApplyMs: m.visible.at - m.appliedAt,
    breakdown: { 'failing measurement taken': failedAt - m.visible.at, 'route 0% seen': reaction },
    note: `route 20% ${ms(m.routedAt - m.appliedAt)} after v2; first measurement ${ms(firstAt - m.appliedAt)} after v2; ${sr?.measured ?? '?'} measurements (${sr?.noData ?? '?'} NoData); failing value ${failed?.value ?? '?'}; PromQL error ratio when first visible ${m.visible.value.toFixed(3)}; abort: ${(done.status?.abortReason ?? '').slice(0, 100)}`,
  };
}

async function benchSlipway(client: KubeClient, prom: string): Promise<Result> {
  for (const o of installManifests({ image: 'unused', crdsOnly: true })) await client.apply(o, { force: true });
  await crdServed(client, API_VERSION, KIND);
  const ns = await namespace(client, 'bench-analysis-slipway');
  const ctl = startProcess(process.execPath, [
    ...(process.env['BENCH_NODE_FLAGS'] ?? '--max-semi-space-size=8').split(' ').filter((f) => f !== ''), '--disable-warning=ExperimentalWarning', join(root, 'bin', 'slipway.js'),
    'controller', 'run', '--kubeconfig', kubeconfig ?? '', '-n', ns, '--instance', 'bench-analysis', '--lease-namespace', ns, '--metrics-addr', '127.0.0.1:0', '--prometheus-url', prom,
  ]);
  const routes = new RouteWatch(client, ns);
  const out: Rep[] = [];
  const rtts: number[] = [];
  try {
    await until('slipway controller to serve /metrics', () => Promise.resolve(/serving (http:\/\/[^/\s]+)/.exec(ctl.tail())?.[1]), 60_000);
    await routes.start();
    const metrics = sloMetrics({ successRate: SUCCESS_RATE });
    const ro = (n: string, image: string, simulate: string): ServiceRollout => ({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: n, namespace: ns, labels: { [INSTANCE_LABEL]: 'bench-analysis' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: n } },
        template: annotated(n, image, simulate),
        strategy: { canary: { steps: SLIPWAY_STEPS, progressDeadlineSeconds: 120, abortScaleDownDelaySeconds: 0, analysis: { metrics } } },
        trafficRouting: { gatewayAPI: { parentRefs: [{ name: 'public', namespace: ns }], port: 8080 } },
      },
    });
    const get = async (n: string): Promise<ServiceRollout | undefined> => (await client.get({ apiVersion: API_VERSION, kind: KIND, namespace: ns, name: n })) as ServiceRollout | undefined;
    for (let i = 0; i < reps; i++) {
      const n = repName('sw', i);
      log(`slipway ${i + 1}/${reps}: ${n} v1 (${SIM_GOOD})…`);
      await client.apply(ro(n, 'registry.example/web:1', SIM_GOOD), { force: true });
      await until(`${n} Healthy on v1`, async () => ((await get(n))?.status?.phase === 'Healthy' ? true : undefined));
      log(`slipway ${i + 1}/${reps}: v2 (${SIM_BAD})…`);
      const m = await measureRep({ prom, routes, ns, name: n, pods: podsRegex(`${n}-canary`), weight: 20, apply: async () => { await client.apply(ro(n, 'registry.example/web:2', SIM_BAD), { force: true }); } });
      rtts.push(...m.visible.rtts);
      const done = await until(`${n} aborted`, async () => {
        const r = await get(n);
        return r?.status?.phase === 'Degraded' ? r : undefined;
      });
      out.push(slipwayRep(m, done));
      log(`slipway ${i + 1}/${reps}: ${ms(out.at(-1)?.reactionMs ?? NaN)} (${out.at(-1)?.note ?? ''})`);
    }
    const metricsText = await (await fetch(`${/serving (http:\/\/[^/\s]+)/.exec(ctl.tail())?.[1] ?? ''}/metrics`)).text();
    const errors = /slipway_controller_reconcile_total\{reconciler="rollout",result="error"\} (\d+)/.exec(metricsText)?.[1] ?? '0';
    return { reps: out, rssMiB: peakRssMiB(ctl.pid), pollRttP50: pct(rtts, 50), notes: [`reconcile errors: ${errors}`] };
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

/** Flagger's output lines, each with the time it arrived on the pipe. */
class FlaggerLog {
  private readonly lines: { readonly t: number; readonly line: string }[] = [];
  private buf = '';
  constructor(fl: ChildProc) {
    const onData = (b: Buffer): void => {
      const t = wall();
      const parts = (this.buf + b.toString()).split('\n');
      this.buf = parts.pop() ?? '';
      for (const line of parts) this.lines.push({ t, line });
    };
    fl.child.stdout?.on('data', onData);
    fl.child.stderr?.on('data', onData);
  }

  /** When the first line about `canary` (`name.namespace`, as Flagger writes it) matching `re` arrived. */
  at(canary: string, re: RegExp): number | undefined {
    return this.lines.find((l) => l.line.includes(canary) && re.test(l.line))?.t;
  }
}

async function benchFlagger(client: KubeClient, prom: string): Promise<Result> {
  const bin = flaggerBinary();
  for (const o of flaggerCrds()) await client.apply(o, { force: true });
  await crdServed(client, 'flagger.app/v1beta1', 'Canary');
  await crdServed(client, 'flagger.app/v1beta1', 'MetricTemplate');
  const ns = await namespace(client, 'bench-analysis-flagger');
  const routes = new RouteWatch(client, ns);
  const port = await freePort();
  const flaggerArgs = ['-kubeconfig', kubeconfig ?? '', '-namespace', ns, '-mesh-provider', 'gatewayapi:v1', '-metrics-server', prom, '-port', String(port), '-log-level', 'info'];
  const fl = startProcess(bin, flaggerArgs);
  const flog = new FlaggerLog(fl);
  const out: Rep[] = [];
  const rtts: number[] = [];
  try {
    await routes.start();
    const sel = `namespace="{{ namespace }}",pod=~"{{ target }}-[a-z0-9]+-[a-z0-9]+"`;
    await client.apply({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'error-rate', namespace: ns },
      spec: {
        provider: { type: 'prometheus', address: prom },
        // The error ratio in percent: 100 × (1 − slipway's success-rate query), over the canary Deployment's pods.
        query: `100 * (1 - (sum(rate(http_requests_total{${sel},code!~"5.."}[{{ interval }}])) or vector(0)) / sum(rate(http_requests_total{${sel}}[{{ interval }}])))`,
      },
    }, { force: true });
    // No spec.replicas (1 by default): Flagger scales the target Deployment (0 after initialization, 1 when it
    // starts a canary), so v2's pods, and the regression, appear only once Flagger's tick has picked v2 up.
    const deployment = (n: string, image: string, simulate: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: n, namespace: ns, labels: { app: n } },
      spec: { selector: { matchLabels: { app: n } }, template: annotated(n, image, simulate) },
    });
    const canary = (n: string): KubeObject => ({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: n, namespace: ns },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: n },
        progressDeadlineSeconds: 120,
        service: { port: 8080, targetPort: 8080, gatewayRefs: [{ name: 'public', namespace: ns }] },
        analysis: {
          interval: FLAGGER_INTERVAL,
          threshold: 1,
          stepWeights: [20, 50],
          metrics: [{ name: 'error-rate', templateRef: { name: 'error-rate', namespace: ns }, thresholdRange: { max: THRESHOLD_PCT }, interval: WINDOW }],
        },
      },
    });
    const phase = async (n: string): Promise<string | undefined> => {
      const c: LiveObject | undefined = await client.get({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: ns, name: n });
      return (c?.['status'] as { phase?: string } | undefined)?.phase;
    };
    for (let i = 0; i < reps; i++) {
      const n = repName('fa', i);
      const key = `${n}.${ns}`;
      log(`flagger ${i + 1}/${reps}: ${n} v1 (${SIM_GOOD}) and its Canary…`);
      await client.apply(deployment(n, 'registry.example/web:1', SIM_GOOD), { force: true });
      await client.apply(canary(n), { force: true });
      await until(`Canary ${n} Initialized`, async () => ((await phase(n)) === 'Initialized' ? true : undefined));
      log(`flagger ${i + 1}/${reps}: v2 (${SIM_BAD})…`);
      const m = await measureRep({ prom, routes, ns, name: n, pods: podsRegex(n), weight: 20, apply: async () => { await client.apply(deployment(n, 'registry.example/web:2', SIM_BAD), { force: true }); } });
      rtts.push(...m.visible.rtts);
      await until(`Canary ${n} Failed`, async () => ((await phase(n)) === 'Failed' ? true : undefined));
      const rel = (re: RegExp): number => (flog.at(key, re) ?? NaN) - m.visible.at;
      const reaction = m.stableAt - m.visible.at;
      out.push({
        reactionMs: reaction,
        visibleAfterApplyMs: m.visible.at - m.appliedAt,
        breakdown: { 'analysis started': rel(/Starting canary analysis/), 'failed check (Halt …)': rel(/Halt .*advancement/), 'rollback (Rolling back …)': rel(/Rolling back/), 'route 0% seen': reaction },
        note: `new revision detected ${ms((flog.at(key, /New revision detected/) ?? NaN) - m.appliedAt)} after v2; route 20% ${ms(m.routedAt - m.appliedAt)} after v2; PromQL error ratio when first visible ${m.visible.value.toFixed(3)}`,
      });
      log(`flagger ${i + 1}/${reps}: ${ms(reaction)} (${out.at(-1)?.note ?? ''})`);
    }
    return { reps: out, rssMiB: peakRssMiB(fl.pid), pollRttP50: pct(rtts, 50), notes: [`flagger ${flaggerArgs.join(' ').replace(kubeconfig ?? '', '<kubeconfig>').replace(ns, '<ns>').replace(String(port), '<port>')}`] };
  } catch (e) {
    process.stderr.write(`flagger output (tail):\n${fl.tail().slice(-5000)}\n`);
    throw e;
  } finally {
    routes.stop();
    await stopProcess(fl);
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

function ms(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return Math.abs(x) >= 10_000 ? `${(x / 1000).toFixed(1)} s` : Math.abs(x) >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`;
}

const client = await KubeClient.connect({ kubeconfig });
const started = new Date();
const prom = await prometheusUrl();
log(`Prometheus ${prom}`);
let sw: Result | undefined;
let fg: Result | undefined;
try {
  if (only !== 'flagger') sw = await benchSlipway(client, prom);
  if (only !== 'slipway') fg = await benchFlagger(client, prom);
} finally {
  client.close();
}

const reactions = (r: Result | undefined): number[] => r?.reps.map((x) => x.reactionMs) ?? [];
const row = (label: string, r: Result | undefined): string => {
  if (!r) return `| ${label} | — | — | — | — | — |`;
  const xs = reactions(r);
  return `| ${label} | ${ms(pct(xs, 50))} | ${ms(pct(xs, 95))} | ${ms(Math.min(...xs))} – ${ms(Math.max(...xs))} | ${xs.map(ms).join(', ')} | ${r.rssMiB.toFixed(0)} MiB |`;
};
const ratio = (p: number): string => {
  const a = pct(reactions(sw), p);
  const b = pct(reactions(fg), p);
  return sw && fg ? `${(b / a).toFixed(1)}× faster` : 'n/a';
};
/** Per repetition: the breakdown points (ms after the visible instant) and the notes. */
const details = (label: string, r: Result | undefined): string =>
  r
    ? r.reps.map((x, i) => `- ${label} #${i + 1}: visible ${ms(x.visibleAfterApplyMs)} after v2 was applied; then ${Object.entries(x.breakdown).map(([k, v]) => `${k} +${ms(v)}`).join(', ')}. ${x.note}.`).join('\n')
    : '';
const medians = (r: Result | undefined): string => {
  if (!r || r.reps.length === 0) return 'n/a';
  const keys = Object.keys(r.reps[0]?.breakdown ?? {});
  return keys.map((k) => `${k} +${ms(pct(r.reps.map((x) => x.breakdown[k] ?? NaN), 50))}`).join(', ');
};
const cpu = cpus()[0]?.model.trim() ?? '?';
const text = `
### analysis — rollback reaction time — ${started.toISOString()}

Command: \`node bench/analysis.ts --kubeconfig <local cluster> --reps ${reps}${only ? ` --only ${only}` : ''}\` after \`slipway cluster up --no-controller\` (kube-apiserver, etcd, kube-controller-manager, kwok; Prometheus 2.42 scraping the workload metrics simulator every 1 s). Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, shared with other work (load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}).
The same failing canary for both, ${reps} repetitions each (one canary at a time, 1 replica, Gateway API v1 HTTPRoute): v1 \`${SIM_GOOD}\`, v2 \`${SIM_BAD}\`.
slipway: \`slipway controller run --prometheus-url <the cluster's>\`, ServiceRollout steps \`setWeight 20, analysis, setWeight 50, analysis\`, metrics from \`slo.successRate: ${SUCCESS_RATE}\` (success-rate, rate window ${WINDOW}, no-data minimum 10 requests) at the defaults (interval 1s, failureLimit 0).
Flagger ${FLAGGER_VERSION}: \`-mesh-provider gatewayapi:v1 -metrics-server <the same Prometheus>\`, Canary \`interval: ${FLAGGER_INTERVAL}\` (its minimum), \`threshold: 1\`, \`stepWeights: [20, 50]\`, one metric: a MetricTemplate (provider prometheus, the same Prometheus) computing 100 × the same error ratio over the canary Deployment's pods, window ${WINDOW}, \`thresholdRange.max: ${THRESHOLD_PCT}\`; the target Deployment has no \`spec.replicas\`, so v2's pods (and the regression) appear only once Flagger's tick has scaled it up.
v2 is applied once no earlier series of the canary's pods is left in the ${WINDOW} window (Flagger's target Deployment ran v1 until Flagger initialized the canary). Reaction = from the first instant PromQL shows the canary's error ratio above ${THRESHOLD_PCT}% (the bench queries \`${errorRatioQuery('<ns>', '<canary pods>')}\` every ${POLL_MS} ms from the moment v2 is applied; the time the first such query was sent) until a watch on the HTTPRoute sees 0% canary.

| controller | reaction p50 | p95 | min – max | each run | peak RSS (VmHWM) |
|---|---|---|---|---|---|
${row('slipway', sw)}
${row(`Flagger ${FLAGGER_VERSION}`, fg)}
| ratio Flagger / slipway | p50 ${ratio(50)} | p95 ${ratio(95)} | | | |

Where the time goes (medians, after the visible instant): slipway: ${medians(sw)}; Flagger: ${medians(fg)}.
PromQL poll round trip p50: slipway run ${sw ? ms(sw.pollRttP50) : 'n/a'}, Flagger run ${fg ? ms(fg.pollRttP50) : 'n/a'}. ${[...(sw?.notes ?? []).map((n) => `slipway: ${n}`), ...(fg?.notes ?? []).map((n) => `Flagger: ${n}`)].join('; ')}.
${details('slipway', sw)}
${details('Flagger', fg)}
Goal (issue 11): slipway ≥ 10× faster than Flagger, and under 2 s absolute with its default measurement interval.
`;
appendFileSync(join(root, 'bench/RESULTS.md'), text);
process.stdout.write(text);
