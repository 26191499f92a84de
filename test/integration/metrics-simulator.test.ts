/**
 * The cluster's Prometheus and workload metrics simulator, end to end: pods of a Deployment with
 * `slipway.dev/simulate-metrics` and pods without it, asserted through real PromQL against the
 * cluster's real Prometheus (found from the cluster's state, as `cluster status` reports it).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/index.ts';
import type { KubeObject } from '../../src/manifest/index.ts';
import { promQuery, restrictedPod, testClusterTarget, testPrometheusUrl, useNamespace, waitFor } from './harness.ts';

function deployment(name: string, replicas: number, annotations: Record<string, string>): KubeObject {
  const pod = restrictedPod(name, { app: name });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: pod.metadata.labels, annotations }, spec: pod.spec },
    },
  };
}

describe('workload metrics simulator through Prometheus', () => {
  const ns = useNamespace('metrics-sim');
  let client: KubeClient;
  let prom: string;
  beforeAll(async () => {
    client = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    prom = await testPrometheusUrl();
  });
  afterAll(() => client.close());

  it('error ratio and p95 latency follow the annotation; pods without it look healthy; a pod gone takes its series', { timeout: 180_000 }, async () => {
    const namespace = ns().name;
    await client.apply({ ...deployment('bad', 2, { 'slipway.dev/simulate-metrics': 'rps=50,errorRate=0.2,latencyP95Ms=120' }), metadata: { name: 'bad', namespace } });
    await client.apply({ ...deployment('good', 2, {}), metadata: { name: 'good', namespace } });

    // The canary selector analysis uses (CONTRACT-11): the Deployment's pods by name.
    const sel = (d: string, extra = ''): string => `namespace="${namespace}",pod=~"${d}-[a-z0-9]+-[a-z0-9]+"${extra}`;
    const q = async (query: string): Promise<number | undefined> => (await promQuery(prom, query))[0]?.value;

    // Enough traffic in the window for stable numbers: 2 pods × 10 rps of "good" need ~25 s.
    await waitFor(async () => ((await q(`sum(increase(http_requests_total{${sel('good')}}[1m]))`)) ?? 0) > 500, { what: '500 requests of the pods without the annotation in Prometheus', timeoutMs: 120_000, intervalMs: 1000 });

    const errorRatio = (d: string): Promise<number | undefined> => q(`sum(rate(http_requests_total{${sel(d, ',code="500"')}}[1m])) / sum(rate(http_requests_total{${sel(d)}}[1m]))`);
    const p95 = (d: string): Promise<number | undefined> => q(`histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${sel(d)}}[1m])))`);
    // A window the series fill (they are younger than 1m): rate() does not extrapolate past a series' start.
    const rps = (d: string): Promise<number | undefined> => q(`sum(rate(http_requests_total{${sel(d)}}[15s]))`);

    expect(await errorRatio('bad')).toBeGreaterThan(0.17);
    expect(await errorRatio('bad')).toBeLessThan(0.23);
    expect(await errorRatio('good')).toBe(0);
    const badP95 = (await p95('bad')) ?? Number.NaN;
    const goodP95 = (await p95('good')) ?? Number.NaN;
    expect(badP95, 'p95 with latencyP95Ms=120').toBeGreaterThan(0.105);
    expect(badP95, 'p95 with latencyP95Ms=120').toBeLessThan(0.135);
    expect(goodP95, 'p95 without the annotation (50 ms)').toBeGreaterThan(0.042);
    expect(goodP95, 'p95 without the annotation (50 ms)').toBeLessThan(0.058);
    expect(await rps('bad')).toBeGreaterThan(80); // 2 × 50
    expect(await rps('bad')).toBeLessThan(120);

    // Every series carries namespace, pod, service and version (the pod-template-hash here).
    const series = await promQuery(prom, `http_requests_total{${sel('bad')}}`);
    expect(series.length).toBe(4); // 2 pods × code 200/500
    for (const s of series) {
      expect(s.metric).toMatchObject({ namespace, service: 'bad', job: 'workload-metrics-simulator' });
      expect(s.metric['version']).toMatch(/^[a-z0-9]+$/);
      expect(s.metric['pod']).toMatch(/^bad-/);
    }

    // Scaled to 0: the pods go, and so do their series (stale at the next scrape).
    await client.apply({ ...deployment('bad', 0, { 'slipway.dev/simulate-metrics': 'rps=50,errorRate=0.2,latencyP95Ms=120' }), metadata: { name: 'bad', namespace } });
    await waitFor(async () => (await promQuery(prom, `http_requests_total{${sel('bad')}}`)).length === 0, { what: 'the series of the deleted pods to go', timeoutMs: 60_000, intervalMs: 500 });
    expect((await promQuery(prom, `http_requests_total{${sel('good')}}`)).length).toBe(4);
  });
});

describe('slipway cluster status shows Prometheus and the simulator', () => {
  it('text and -o json', async () => {
    const { name, dataDir } = testClusterTarget();
    const url = await testPrometheusUrl();
    const slipway = (...args: string[]): Promise<{ stdout: string }> =>
      promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, '..', '..', 'bin', 'slipway.js'), 'cluster', 'status', '--name', name, '--data-dir', dataDir, ...args]);
    const json = JSON.parse((await slipway('-o', 'json')).stdout) as { prometheusUrl?: string; addons: { addon: string; healthy: boolean; healthUrl: string }[] };
    expect(json.prometheusUrl).toBe(url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(json.addons.find((a) => a.addon === 'prometheus')).toMatchObject({ healthy: true, healthUrl: `${url}/-/ready` });
    expect(json.addons.find((a) => a.addon === 'metrics-simulator')).toMatchObject({ healthy: true });
    const text = (await slipway()).stdout;
    expect(text).toMatch(/^prometheus\s+\d+\s+yes\s+ok/m);
    expect(text).toMatch(/^metrics-simulator\s+\d+\s+yes\s+ok/m);
    expect(text).toContain(`prometheus: ${url}\n`);
  });
});
