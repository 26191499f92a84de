/**
 * Analysis under faults, end to end on the local cluster with a real `slipway controller run`:
 *  (a) Prometheus killed (SIGKILL) in mid-analysis: the test runs its OWN Prometheus (the binary
 *      `slipway cluster up` runs: SLIPWAY_PROMETHEUS_BIN or scripts/install-prometheus.sh),
 *      scraping the cluster's workload metrics simulator, so killing it touches nothing else.
 *      The measurements become Error, the rollout pauses (onError: pause, the default) and is
 *      not promoted; once the same Prometheus is back (same port, same TSDB), the analysis
 *      resumes and completes, and the canary is promoted.
 *  (b) The Kubernetes Job provider on the real cluster: a smoke-test Job whose pod exits 0 (kwok
 *      completes Job pods) passes the analysis step; one whose pod exits 1 (pod label
 *      `slipway.dev/simulate: fail`, docs/cluster.md) fails it, and the canary is aborted.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sloMetrics, type MetricT } from '../../src/analysis/index.ts';
import { clusterStatus } from '../../src/cluster/index.ts';
import { KubeClient, type LiveObject } from '../../src/kube/index.ts';
import type { ServiceRollout, StepT } from '../../src/rollout/index.ts';
import { testClusterTarget, testKubeconfigPath, useNamespace, waitFor, type TestNamespace } from './harness.ts';
import { HEALTHY_TRAFFIC, ensureCrds, getRollout, rollout, rolloutEvents, startController, waitStatus } from './rollout-harness.ts';

const INSTALL_PROMETHEUS = fileURLToPath(new URL('../../scripts/install-prometheus.sh', import.meta.url));

/** The Prometheus server binary `slipway cluster up` runs. */
function prometheusBinary(): string {
  const explicit = process.env['SLIPWAY_PROMETHEUS_BIN'];
  if (explicit) return explicit;
  return execFileSync(INSTALL_PROMETHEUS, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 180_000 }).trim().split('\n').pop() ?? '';
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A Prometheus of this test's own: started, SIGKILLed and restarted by its pid, on one port and one TSDB. */
class OwnPrometheus {
  readonly url: string;
  private readonly bin: string;
  private readonly dir: string;
  private readonly port: number;
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private out = '';

  constructor(bin: string, dir: string, port: number) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const child = spawn(this.bin, [`--config.file=${join(this.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(this.dir, 'data')}`, '--storage.tsdb.retention.time=1h', `--web.listen-address=127.0.0.1:${this.port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer): void => void (this.out = (this.out + b.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((r) => child.once('exit', r));
    this.child = child;
    await waitFor(async () => (child.exitCode === null ? (await fetch(`${this.url}/-/ready`).catch(() => undefined))?.status === 200 : Promise.reject(new Error(`prometheus exited: ${this.out.slice(-2000)}`))), { what: `our Prometheus ready on ${this.url}`, timeoutMs: 60_000, intervalMs: 200 });
  }

  /** Stops it with `signal`, by its pid, and waits until it has exited. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    process.kill(child.pid ?? 0, signal);
    await this.exited;
  }
}

/** A gateway-routed canary whose pods the simulator gives `simulate` traffic, with `metrics` analysed. */
function canary(ns: TestNamespace, instance: string, o: { image: string; steps: StepT[]; metrics: MetricT[]; simulate?: string; name?: string }): ServiceRollout {
  const base = rollout(ns, { image: o.image, steps: o.steps, instance, gateway: true, replicas: 2, ...(o.name ? { name: o.name } : {}) });
  const t = base.spec.template as { metadata: { labels: Record<string, string> } };
  const template = { ...base.spec.template, metadata: { ...t.metadata, annotations: { 'slipway.dev/simulate-metrics': o.simulate ?? HEALTHY_TRAFFIC } } };
  return { ...base, spec: { ...base.spec, template, strategy: { canary: { ...base.spec.strategy.canary, steps: o.steps, analysis: { metrics: o.metrics } } } } };
}

const routeCanaryWeight = async (c: KubeClient, ns: TestNamespace): Promise<number | undefined> => {
  const route = await c.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns.name, name: 'web' });
  return ((route?.['spec'] as { rules?: { backendRefs?: { name?: string; weight?: number }[] }[] } | undefined)?.rules?.at(-1)?.backendRefs ?? []).find((b) => b.name === 'web-canary')?.weight;
};

async function withAnalysisController<T>(ns: TestNamespace, instance: string, prometheusUrl: string | undefined, f: (c: KubeClient) => Promise<T>): Promise<T> {
  const ctl = startController({ ns, instance, env: prometheusUrl ? { SLIPWAY_PROMETHEUS_URL: prometheusUrl } : {} });
  const c = await KubeClient.connect({ kubeconfig: ns.kubeconfigPath });
  try {
    await ctl.url;
    return await f(c);
  } catch (e) {
    process.stderr.write(`controller output (tail):\n${ctl.output().slice(-4000)}\n`);
    throw e;
  } finally {
    c.close();
    ctl.kill('SIGTERM');
    await ctl.exited;
  }
}

beforeAll(async () => {
  await ensureCrds(testKubeconfigPath());
});

/** Paused by errors (onError: pause) since Prometheus was killed at `killedAt`, on step 2, nothing promoted. */
function expectPausedOnErrors(paused: ServiceRollout, killedAt: number): void {
  const m = paused.status?.analysis?.metrics?.[0];
  expect(m?.phase).toBe('Error');
  expect(m?.consecutiveError).toBeGreaterThanOrEqual(5);
  const errors = (m?.measurements ?? []).filter((x) => x.phase === 'Error');
  expect(errors.length).toBeGreaterThanOrEqual(5);
  for (const x of errors) {
    expect(Date.parse(x.time)).toBeGreaterThanOrEqual(killedAt - 1000);
    expect(x.message).toMatch(/unreachable/);
  }
  expect(paused.status?.message).toContain('measurements fail');
  expect(paused.status?.currentStepIndex).toBe(1);
  expect(paused.status?.stableImage).toBe('registry.example/web:1');
}

/** The analysis completed after Prometheus came back at `restartedAt`: `count` successes, the errors of the outage counted, none left in a row. */
function expectCompleted(done: ServiceRollout, count: number, restartedAt: number): void {
  const m = done.status?.analysis?.metrics?.[0];
  expect(m?.phase).toBe('Successful');
  expect(m?.successful).toBe(count);
  expect(m?.failed).toBe(0);
  expect(m?.error).toBeGreaterThanOrEqual(8);
  expect(m?.consecutiveError).toBe(0);
  const last = m?.measurements.at(-1);
  expect(last?.phase).toBe('Successful');
  expect(Date.parse(last?.time ?? '')).toBeGreaterThan(restartedAt);
}

describe('analysis: Prometheus killed in mid-analysis', () => {
  const ns = useNamespace('analysis-prom-kill');
  let prom: OwnPrometheus;
  let dir = '';

  beforeAll(async () => {
    // Our Prometheus scrapes the cluster's simulator (its address from the cluster's state, as `cluster status` shows it).
    const { name, dataDir } = testClusterTarget();
    const sim = (await clusterStatus({ name, dataDir })).addons.find((a) => a.addon === 'metrics-simulator');
    if (!sim?.alive) throw new Error(`cluster ${name} runs no workload metrics simulator (started with --no-prometheus?)`);
    dir = mkdtempSync(join(tmpdir(), 'slipway-prom-fault-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}',
        'scrape_configs:',
        '  - job_name: workload-metrics-simulator',
        '    honor_labels: true',
        `    static_configs: [{targets: ['${new URL(sim.healthUrl).host}']}]`,
        '',
      ].join('\n'),
    );
    prom = new OwnPrometheus(prometheusBinary(), dir, await freePort());
    await prom.start();
  });

  afterAll(async () => {
    await prom?.stop('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('errors while it is down, the rollout paused and not promoted; back, the analysis resumes and completes', { timeout: 300_000 }, async () => {
    const COUNT = 15;
    const steps: StepT[] = [{ setWeight: 20 }, { analysis: { count: COUNT } }];
    const spec = (image: string): ServiceRollout => canary(ns(), 'an-prom-kill', { image, steps, metrics: sloMetrics({ successRate: 99 }) });
    await withAnalysisController(ns(), 'an-prom-kill', prom.url, async (c) => {
      await c.apply(spec('registry.example/web:1'));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      await c.apply(spec('registry.example/web:2'));
      const before = await waitStatus(c, ns(), 'two successful measurements', (r) => (r.status?.analysis?.metrics?.[0]?.successful ?? 0) >= 2, { timeoutMs: 120_000 });
      const successfulBefore = before.status?.analysis?.metrics?.[0]?.successful ?? 0;
      expect(successfulBefore).toBeLessThan(COUNT);

      const killedAt = Date.now();
      await prom.stop('SIGKILL');

      // consecutiveErrorLimit 4 (default): the fifth Error in a row pauses the rollout.
      const paused = await waitStatus(c, ns(), 'paused on errors', (r) => r.status?.phase === 'Paused' && r.status.analysis?.phase === 'Error', { timeoutMs: 60_000 });
      expectPausedOnErrors(paused, killedAt);
      expect(await routeCanaryWeight(c, ns())).toBe(20);
      const m = paused.status?.analysis?.metrics?.[0];

      // Measurements go on while it is paused, and none of them promotes anything.
      const still = await waitStatus(c, ns(), 'three more errors while paused', (r) => (r.status?.analysis?.metrics?.[0]?.consecutiveError ?? 0) >= (m?.consecutiveError ?? 0) + 3, { timeoutMs: 60_000 });
      expect(still.status?.phase).toBe('Paused');
      expect(still.status?.currentStepIndex).toBe(1);
      expect(still.status?.stableImage).toBe('registry.example/web:1');
      expect(still.status?.analysis?.metrics?.[0]?.successful).toBe(successfulBefore);

      const restartedAt = Date.now();
      await prom.start();
      const done = await waitStatus(c, ns(), 'v2 promoted after the analysis completed', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:2', { timeoutMs: 120_000 });
      expect(done.status?.abortReason).toBeUndefined();
      expectCompleted(done, COUNT, restartedAt);
      const events = await rolloutEvents(c, ns());
      expect(events.some((e) => e.startsWith('AnalysisMeasurement') && e.includes('success-rate Error'))).toBe(true);
      expect(events.some((e) => e.startsWith('StepCompleted') && e.includes('analysis passed'))).toBe(true);
    });
  });
});

describe('analysis: the Kubernetes Job provider on the real cluster', () => {
  const ns = useNamespace('analysis-job');

  /** A smoke-test Job metric; `fail` makes its pod exit 1 on the local cluster. */
  const smoke = (fail: boolean): MetricT => ({
    name: 'smoke',
    provider: {
      job: {
        spec: {
          template: {
            metadata: { labels: fail ? { 'slipway.dev/simulate': 'fail' } : {} },
            spec: {
              restartPolicy: 'Never',
              securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [{ name: 'smoke', image: 'registry.example/smoke:1', args: ['--target', 'http://web-canary:8080'], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
            },
          },
        },
      },
    },
    count: 1,
  });
  const steps: StepT[] = [{ setWeight: 20 }, { analysis: {} }];
  const jobs = async (c: KubeClient): Promise<LiveObject[]> => c.list({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns().name, labelSelector: 'slipway.dev/analysis-metric=smoke' });
  type JobStatus = { succeeded?: number; failed?: number; conditions?: { type?: string; status?: string }[] };
  const jobStatus = (j: LiveObject | undefined): JobStatus => (j?.['status'] as JobStatus | undefined) ?? {};
  const ownerOf = (j: LiveObject | undefined): { kind?: string; name?: string } | undefined => (j?.metadata as { ownerReferences?: { kind?: string; name?: string }[] } | undefined)?.ownerReferences?.[0];

  it('a smoke-test Job that exits 0 passes the analysis step; the canary is promoted', { timeout: 180_000 }, async () => {
    await withAnalysisController(ns(), 'an-job-ok', undefined, async (c) => {
      const spec = (image: string): ServiceRollout => canary(ns(), 'an-job-ok', { image, steps, metrics: [smoke(false)] });
      await c.apply(spec('registry.example/web:1'));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      await c.apply(spec('registry.example/web:2'));
      const done = await waitStatus(c, ns(), 'v2 promoted', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:2', { timeoutMs: 120_000 });
      expect(done.status?.abortReason).toBeUndefined();
      const m = done.status?.analysis?.metrics?.find((x) => x.name === 'smoke');
      expect(m).toMatchObject({ phase: 'Successful', successful: 1, failed: 0, error: 0 });
      expect(m?.lastValue).toBe('true');
      const [job, ...more] = await jobs(c);
      expect(more).toHaveLength(0);
      expect(jobStatus(job).succeeded).toBe(1);
      expect(ownerOf(job)).toMatchObject({ kind: 'ServiceRollout', name: 'web' });
      expect((await rolloutEvents(c, ns())).some((e) => e.startsWith('AnalysisMeasurement') && e.includes('smoke Successful'))).toBe(true);
    });
  });

  it('a smoke-test Job that exits 1 fails the analysis step; the canary is aborted, all traffic on stable', { timeout: 180_000 }, async () => {
    // A rollout of its own name: the Jobs of the passing test are in this namespace too.
    const name = 'web-bad';
    await withAnalysisController(ns(), 'an-job-bad', undefined, async (c) => {
      const spec = (image: string): ServiceRollout => canary(ns(), 'an-job-bad', { image, steps, metrics: [smoke(true)], name });
      await c.apply(spec('registry.example/web:1'));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy', { name });
      await c.apply(spec('registry.example/web:2'));
      const ro = await waitStatus(c, ns(), 'aborted', (r) => r.status?.phase === 'Degraded', { name, timeoutMs: 120_000 });
      expect(ro.status?.abortReason).toContain('smoke: Failed');
      expect(ro.status?.stableImage).toBe('registry.example/web:1');
      const m = ro.status?.analysis?.metrics?.find((x) => x.name === 'smoke');
      expect(m).toMatchObject({ phase: 'Failed', failed: 1, successful: 0 });
      expect(m?.lastValue).toBe('false');
      const job = (await jobs(c)).find((j) => ownerOf(j)?.name === name);
      expect(jobStatus(job).failed).toBe(1);
      expect(jobStatus(job).conditions?.some((x) => x.type === 'Failed' && x.status === 'True')).toBe(true);
      const route = await c.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns().name, name });
      const weight = ((route?.['spec'] as { rules?: { backendRefs?: { name?: string; weight?: number }[] }[] } | undefined)?.rules?.at(-1)?.backendRefs ?? []).find((b) => b.name === `${name}-canary`)?.weight;
      expect(weight).toBe(0);
      expect((await getRollout(c, ns(), name)).status?.phase).toBe('Degraded');
    });
  });
});
