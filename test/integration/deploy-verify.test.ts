/**
 * Post-deploy verification of rolling releases on the real local control plane, the cluster's
 * real Prometheus and the workload metrics simulator (pod annotation `slipway.dev/simulate-metrics`,
 * set through the service's `annotations` in slipway.yaml): a good release passes; a release whose
 * new pods answer 20% errors is rolled back by the engine to the previous revision (exit 1, history
 * shows both); too little traffic is never a pass; `--no-verify` skips. `slipway deploy` finds the
 * Prometheus itself (the test kubeconfig is in the cluster's data dir) except where a test passes
 * `--prometheus-url` (testPrometheusUrl: what `slipway cluster status` reports).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main, memoryIo } from '../../src/cli/index.ts';
import { testPrometheusUrl, useNamespace, type TestNamespace } from './harness.ts';

let prometheusUrl = '';
beforeAll(async () => {
  prometheusUrl = await testPrometheusUrl();
});

interface Release {
  readonly image: string;
  /** The simulated traffic of the release's pods (`slipway.dev/simulate-metrics`); absent: healthy. */
  readonly traffic?: string;
  /** `strategy.verification` as YAML flow. */
  readonly verification?: string;
}

/** A one-service app in `ns`, rolling, with SLOs (99% success, p95 under 200 ms) and two replicas. */
function spec(ns: TestNamespace, r: Release): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-verify-'));
  const annotations = r.traffic ? `\n    annotations: {slipway.dev/simulate-metrics: "${r.traffic}"}` : '';
  const verification = r.verification ? `\n    strategy: {verification: ${r.verification}}` : '';
  writeFileSync(
    join(dir, 'slipway.yaml'),
    `app: shop\nnamespace: ${ns.name}\nservices:\n  web:\n    image: ghcr.io/acme/web:${r.image}\n    replicas: 2\n    ports: [{name: http, port: 8080}]\n    slo: {successRate: 99, latencyP95Ms: 200}${annotations}${verification}\n`,
  );
  return dir;
}

interface MetricJson {
  name: string;
  slo: string;
  target: number;
  condition: string;
  phase: string;
  lastValue?: string;
  measured: number;
  successful: number;
  failed: number;
  noData: number;
  measurements: { time: string; phase: string; value?: string; message?: string }[];
}
interface WorkloadJson {
  workload: { kind: string; name: string; namespace: string };
  phase: string;
  message: string;
  pods?: string;
  revision?: string;
  settings: { count: number; interval: string; duration: string };
  metrics: MetricJson[];
  durationMs?: number;
}
interface DeployJson {
  ok: boolean;
  revision?: number;
  error?: string;
  rollback?: { toRevision: number; revision?: number; ok: boolean; health?: string };
  verification?: { skipped?: string; prometheusUrl?: string; workloads: WorkloadJson[] };
}

async function slipway(ns: TestNamespace, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', ...args, '--kubeconfig', ns.kubeconfigPath, '-n', ns.name], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

async function deploy(ns: TestNamespace, r: Release, ...flags: string[]): Promise<{ code: number; json: DeployJson; err: string }> {
  const res = await slipway(ns, 'deploy', spec(ns, r), '--timeout', '120s', '-o', 'json', ...flags);
  return { code: res.code, json: JSON.parse(res.out) as DeployJson, err: res.err };
}

/** The pod-template-hash of the Deployment's current ReplicaSet. */
async function currentHash(ns: TestNamespace, name: string): Promise<string> {
  const d = await ns.apps.readNamespacedDeployment({ name, namespace: ns.name });
  const revision = d.metadata?.annotations?.['deployment.kubernetes.io/revision'];
  const sets = (await ns.apps.listNamespacedReplicaSet({ namespace: ns.name })).items;
  const rs = sets.find((s) => s.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid) && s.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision);
  return rs?.metadata?.labels?.['pod-template-hash'] ?? '';
}

describe('deploy verifies rolling releases against their SLOs in Prometheus', () => {
  const ns = useNamespace('deploy-verify');

  it('a good release passes: every SLO measured on the new pods only, ending as soon as `count` measurements passed', { timeout: 240_000 }, async () => {
    // No --prometheus-url and no SLIPWAY_PROMETHEUS_URL: deploy finds the local cluster's Prometheus.
    const d = await deploy(ns(), { image: '1.0.0' });
    expect(d.code, d.err).toBe(0);
    expect(d.json.revision).toBe(1);
    expect(d.json.verification?.prometheusUrl).toBe(prometheusUrl);
    const [w] = d.json.verification?.workloads ?? [];
    const hash = await currentHash(ns(), 'web');
    expect(w).toMatchObject({ workload: { kind: 'Deployment', name: 'web', namespace: ns().name }, phase: 'Successful', revision: hash, pods: `web-${hash}-[a-z0-9]+` });
    expect(w?.metrics.map((m) => [m.name, m.slo, m.target, m.condition, m.phase, m.successful])).toEqual([
      ['success-rate', 'successRate', 99, 'result >= 0.99', 'Successful', 5],
      ['latency-p95', 'latencyP95Ms', 200, 'result <= 200', 'Successful', 5],
    ]);
    // The simulator's healthy pods: no errors, p95 about 50 ms.
    expect(Number(w?.metrics[0]?.lastValue)).toBe(1);
    expect(Number(w?.metrics[1]?.lastValue)).toBeLessThan(200);
    // It ended at the 5th pass: no failed measurement, and no measurement after the last pass.
    expect(w?.metrics.every((m) => m.failed === 0 && m.measurements.at(-1)?.phase === 'Successful')).toBe(true);

    // The same release again: nothing written, nothing to verify.
    const again = await deploy(ns(), { image: '1.0.0' });
    expect(again.code, again.err).toBe(0);
    expect(again.json.verification).toBeUndefined();
  });

  it('a release whose new pods answer 20% errors is rolled back to the previous revision: exit 1, a typed error naming metric, value and SLO, history shows both', { timeout: 240_000 }, async () => {
    const before = await currentHash(ns(), 'web');
    const text = await slipway(ns(), 'deploy', spec(ns(), { image: '1.1.0', traffic: 'rps=50,errorRate=0.2' }), '--timeout', '120s', '--prometheus-url', prometheusUrl);
    expect(text.code, text.err).toBe(1);
    // "1 of N": measurements before the new pods' traffic reached Prometheus are NoData, not failures (a loaded CI run had one).
    expect(text.err).toMatch(/error: verification failed: Deployment\/[-a-z0-9]+\/web on its new pods \([a-z0-9]+\): success-rate 0\.[0-9]+ does not meet the SLO successRate 99% \(result >= 0\.99\): 1 of [1-9][0-9]* measurement\(s\) failed/);
    expect(text.out).toMatch(/verification of Deployment\/[-a-z0-9]+\/web: Failed: success-rate/);
    expect(text.out).toMatch(/automatic rollback to revision 1 \(recorded as revision 3\): succeeded \(Healthy\)/);
    // Progress, one plain line per event off a TTY: the verification phase and its measurements.
    expect(text.err).toMatch(/• verifying Deployment\/[-a-z0-9]+\/web against successRate 99%, latencyP95Ms 200 on its new pods/);
    expect(text.err).toMatch(/Failed\s+Deployment\/[-a-z0-9]+\/web success-rate 0\.[0-9]+/);

    // The previous template runs again: its ReplicaSet is current, the bad pod annotation is gone.
    expect(await currentHash(ns(), 'web')).toBe(before);
    const live = await ns().apps.readNamespacedDeployment({ name: 'web', namespace: ns().name });
    expect(live.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/web:1.0.0');
    expect(live.spec?.template.metadata?.annotations?.['slipway.dev/simulate-metrics']).toBeUndefined();

    const hist = await slipway(ns(), 'history', '--app', 'shop', '-o', 'json');
    expect(hist.code, hist.err).toBe(0);
    const revisions = (JSON.parse(hist.out) as { revision: number; status: string; message: string; rollbackOf?: number }[]).map((r) => [r.revision, r.status, r.rollbackOf ?? null]);
    expect(revisions).toEqual([
      [1, 'succeeded', null],
      [2, 'failed', null],
      [3, 'succeeded', 1],
    ]);
    expect(hist.out).toMatch(/verification failed/);
  });

  it('the same bad release with -o json: the verification results, the failed measurement, the rollback', { timeout: 240_000 }, async () => {
    const d = await deploy(ns(), { image: '1.2.0', traffic: 'rps=50,errorRate=0.2' });
    expect(d.code, d.err).toBe(1);
    expect(d.json).toMatchObject({ ok: false, revision: 4, rollback: { toRevision: 3, revision: 5, ok: true, health: 'Healthy' } });
    const [w] = d.json.verification?.workloads ?? [];
    expect(w?.phase).toBe('Failed');
    const rate = w?.metrics.find((m) => m.name === 'success-rate');
    expect(rate).toMatchObject({ phase: 'Failed', failed: 1 });
    // About 80% of the requests succeed: far below 99%.
    expect(Number(rate?.lastValue)).toBeGreaterThan(0.6);
    expect(Number(rate?.lastValue)).toBeLessThan(0.95);
    expect(rate?.measurements.at(-1)).toMatchObject({ phase: 'Failed' });
    expect(d.json.error).toMatch(/verification failed: .*success-rate .* does not meet the SLO successRate 99%/);
  });

  it('--no-verify skips verification for one run, and says so', { timeout: 240_000 }, async () => {
    const d = await deploy(ns(), { image: '1.3.0', traffic: 'rps=50,errorRate=0.2' }, '--no-verify');
    expect(d.code, d.err).toBe(0);
    expect(d.json.verification).toEqual({ skipped: '--no-verify', workloads: [] });
    expect(d.err).toMatch(/verification skipped: --no-verify; Deployment\/[-a-z0-9]+\/web not verified against its SLOs/);
    const live = await ns().apps.readNamespacedDeployment({ name: 'web', namespace: ns().name });
    expect(live.spec?.template.spec?.containers[0]?.image).toBe('ghcr.io/acme/web:1.3.0');
  });
});

describe('deploy verification: too little traffic is never a pass', () => {
  const ns = useNamespace('deploy-verify-nodata');

  it('a release whose pods get almost no requests fails verification as NoData at its duration, and is rolled back', { timeout: 240_000 }, async () => {
    // The first release is not what this test is about: 6 s is too short for it to pass `count` measurements on a
    // loaded machine (its series appear only once its pods run), so it is deployed unverified.
    const first = await deploy(ns(), { image: '1.0.0', verification: '{duration: 6s}' }, '--no-verify');
    expect(first.code, first.err).toBe(0);
    const d = await deploy(ns(), { image: '1.1.0', traffic: 'rps=0.01', verification: '{duration: 6s}' }, '--prometheus-url', prometheusUrl);
    expect(d.code, d.err).toBe(1);
    const [w] = d.json.verification?.workloads ?? [];
    expect(w?.phase).toBe('NoData');
    expect(w?.metrics.every((m) => m.successful === 0 && m.noData > 0)).toBe(true);
    expect(d.json.error).toMatch(/not passed within 6s: success-rate: no data \(not enough traffic: .* requests, fewer than the minimum 10\) .*no data is never a pass/);
    expect(d.json.rollback).toMatchObject({ toRevision: 1, ok: true });
  });
});
