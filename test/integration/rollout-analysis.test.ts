/**
 * Canary analysis end to end: a real `slipway controller run` process, the real local control
 * plane, the cluster's real Prometheus scraping the workload metrics simulator (pods annotated
 * `slipway.dev/simulate-metrics`), and the SLO metrics slipway generates. Needs the Prometheus
 * of the test cluster, found as `slipway cluster status` finds it (testPrometheusUrl): a test
 * cluster without Prometheus fails the suite rather than skipping it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sloMetrics, type MetricT } from '../../src/analysis/index.ts';
import { KubeClient, type LiveObject } from '../../src/kube/index.ts';
import type { ServiceRollout, StepT } from '../../src/rollout/index.ts';
import { testKubeconfigPath, testPrometheusUrl, useNamespace, waitFor, type TestNamespace } from './harness.ts';
import { HEALTHY_TRAFFIC, cli, ensureCrds, getRollout, rollout, rolloutEvents, startController, waitStatus, withController } from './rollout-harness.ts';

let prometheusUrl = '';

beforeAll(async () => {
  prometheusUrl = await testPrometheusUrl();
  await ensureCrds(testKubeconfigPath());
});

const SLO = { successRate: 99, latencyP95Ms: 200 };

interface Canary {
  readonly image: string;
  readonly simulate: string;
  readonly steps: StepT[];
  readonly metrics?: MetricT[];
  readonly analysis?: Record<string, unknown>;
}

/** A gateway-routed canary whose pods the simulator gives `simulate` traffic, analysed against `SLO`. */
function canary(ns: TestNamespace, instance: string, o: Canary): ServiceRollout {
  const base = rollout(ns, { image: o.image, steps: o.steps, instance, gateway: true, replicas: 4 });
  const t = base.spec.template as { metadata: { labels: Record<string, string>; annotations?: Record<string, string> } };
  const template = { ...base.spec.template, metadata: { ...t.metadata, annotations: { 'slipway.dev/simulate-metrics': o.simulate } } };
  const metrics = o.metrics ?? sloMetrics(SLO);
  return { ...base, spec: { ...base.spec, template, strategy: { canary: { ...base.spec.strategy.canary, steps: o.steps, analysis: { metrics, ...o.analysis } } } } };
}

/** A controller of its own instance that measures on the cluster's Prometheus. */
const withAnalysisController = <T>(ns: TestNamespace, instance: string, f: (c: KubeClient) => Promise<T>): Promise<T> =>
  withController(ns, instance, (c) => f(c), { SLIPWAY_PROMETHEUS_URL: prometheusUrl });

const routeCanaryWeight = (route: LiveObject | undefined): number | undefined =>
  ((route?.['spec'] as { rules?: { backendRefs?: { name?: string; weight?: number }[] }[] } | undefined)?.rules?.at(-1)?.backendRefs ?? []).find((b) => b.name === 'web-canary')?.weight;

const STEPS: StepT[] = [{ setWeight: 20 }, { analysis: { count: 3 } }, { setWeight: 50 }, { analysis: { count: 3 } }];

/**
 * One namespace per test: every test releases a rollout named `web`, and a rollout left Degraded or
 * paused by one test must not be the starting point of the next.
 */
function analysisTest(prefix: string, title: string, body: (ns: () => TestNamespace) => Promise<void>, timeout?: number): void {
  describe(title, () => {
    const ns = useNamespace(prefix);
    it(title, { ...(timeout !== undefined ? { timeout } : {}) }, () => body(ns));
  });
}

describe('rollout analysis on the real Prometheus', () => {

  // A few errors within the SLO do not abort. The SLO is 95% here: a first measurement sees only
  // ~100 requests, and under a 99% SLO one error among them (errorRate=0.001 makes one in about 10%
  // of first windows) fails it, as it should; 95% needs five.
  const FEW_ERRORS = { simulate: 'rps=50,errorRate=0.001,latencyP95Ms=80', metrics: sloMetrics({ ...SLO, successRate: 95 }) };
  analysisTest('an-ok', 'a healthy canary (errorRate=0.001, SLO 95%) promotes through every step, each analysis passing', async (ns) => {
    await withAnalysisController(ns(), 'an-ok', async (c) => {
      await c.apply(canary(ns(), 'an-ok', { image: 'registry.example/web:1', ...FEW_ERRORS, steps: STEPS }));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      await c.apply(canary(ns(), 'an-ok', { image: 'registry.example/web:2', ...FEW_ERRORS, steps: STEPS }));
      const done = await waitStatus(c, ns(), 'v2 promoted', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:2', { timeoutMs: 120_000 });
      expect(done.status?.abortReason).toBeUndefined();
      const events = await rolloutEvents(c, ns());
      expect(events.filter((e) => e.startsWith('StepCompleted') && e.includes('analysis passed'))).toHaveLength(2);
      expect(events.some((e) => e.startsWith('AnalysisMeasurement') && e.includes('success-rate Successful'))).toBe(true);
      const view = JSON.parse((await cli(ns(), 'rollout', 'status', 'web', '-o', 'json')).out) as { analysis: { name: string; phase: string; value: number }[] };
      expect(view.analysis.map((m) => [m.name, m.phase])).toEqual([
        ['success-rate', 'Successful'],
        ['latency-p95', 'Successful'],
      ]);
    });
  });

  analysisTest('an-bad', 'errorRate=0.2 aborts at the first analysis; the route is back to 100% stable before the failure is recorded', async (ns) => {
    await withAnalysisController(ns(), 'an-bad', async (c) => {
      const route = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns().name, name: 'web' };
      await c.apply(canary(ns(), 'an-bad', { image: 'registry.example/web:1', simulate: 'rps=50,errorRate=0.001', steps: STEPS }));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      await c.apply(canary(ns(), 'an-bad', { image: 'registry.example/web:2', simulate: 'rps=50,errorRate=0.2', steps: STEPS }));
      await waitFor(async () => ((routeCanaryWeight(await c.get(route)) ?? 0) > 0 ? true : undefined), { what: 'canary traffic', timeoutMs: 60_000, intervalMs: 50 });
      // The abort happens in the reconcile that takes the failing measurement, and the route is written
      // before the status records it. So: read the status, then the route; once the status shows the
      // failure, the route read after it must already carry 0% canary. Checked on every poll.
      const seen = await waitFor(
        async () => {
          const r = await getRollout(c, ns());
          const recorded = r.status?.analysis?.metrics?.some((m) => m.measurements.some((x) => x.phase === 'Failed')) ?? false;
          if (!recorded) return undefined;
          return { weight: routeCanaryWeight(await c.get(route)), at: Date.now() };
        },
        { what: 'the failing measurement in the status', timeoutMs: 60_000, intervalMs: 20 },
      );
      expect(seen.weight).toBe(0);
      const ro = await waitStatus(c, ns(), 'aborted', (r) => r.status?.phase === 'Degraded');
      expect(ro.status?.currentStepIndex).toBe(1);
      expect(ro.status?.abortReason).toContain('success-rate: Failed');
      const failed = ro.status?.analysis?.metrics?.find((m) => m.name === 'success-rate')?.measurements.findLast((m) => m.phase === 'Failed');
      // The canary's ~0.8, not the stable's ~1: a first window of ~100 requests at errorRate=0.2 varies by
      // ±0.04 (a full local CI run measured 0.9016), so the bound is 0.95, four deviations away.
      expect(Number(failed?.value)).toBeLessThan(0.95);
      // Reported, not asserted: reaction time is measured in bench/analysis.ts.
      process.stderr.write(`[analysis] failing measurement → seen recorded with the route at 0%: ${seen.at - Date.parse(failed?.time ?? '')} ms (20 ms polling)\n`);
    });
  });

  analysisTest('an-slow', 'a canary with p95 latency above the SLO aborts', async (ns) => {
    await withAnalysisController(ns(), 'an-slow', async (c) => {
      await c.apply(canary(ns(), 'an-slow', { image: 'registry.example/web:1', simulate: HEALTHY_TRAFFIC, steps: STEPS }));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      await c.apply(canary(ns(), 'an-slow', { image: 'registry.example/web:2', simulate: 'rps=50,errorRate=0,latencyP95Ms=600', steps: STEPS }));
      const ro = await waitStatus(c, ns(), 'aborted', (r) => r.status?.phase === 'Degraded');
      expect(ro.status?.abortReason).toContain('latency-p95: Failed');
    });
  });

  analysisTest('an-quiet', 'a low-traffic canary (rps=0.01) is never promoted: NoData, then paused as configured', async (ns) => {
    const metrics = sloMetrics({ successRate: 99 }).map((m) => ({ ...m, consecutiveNoDataLimit: 3 }));
    await withAnalysisController(ns(), 'an-quiet', async (c) => {
      await c.apply(canary(ns(), 'an-quiet', { image: 'registry.example/web:1', simulate: 'rps=0.01', steps: STEPS, metrics }));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      await c.apply(canary(ns(), 'an-quiet', { image: 'registry.example/web:2', simulate: 'rps=0.01', steps: STEPS, metrics }));
      const ro = await waitStatus(c, ns(), 'paused on no data', (r) => r.status?.phase === 'Paused' && r.status.analysis?.phase === 'NoData');
      expect(ro.status?.message).toContain('not enough');
      await new Promise((r) => setTimeout(r, 3000));
      const later = await getRollout(c, ns());
      expect(later.status?.currentStepIndex).toBe(1);
      expect(later.status?.stableImage).toBe('registry.example/web:1');
      expect(later.status?.analysis?.metrics?.[0]?.successful).toBe(0);
    });
  });

  analysisTest('an-quiet-abort', 'with onNoData: abort, a low-traffic canary aborts', async (ns) => {
    const metrics = sloMetrics({ successRate: 99 }).map((m) => ({ ...m, consecutiveNoDataLimit: 2 }));
    await withAnalysisController(ns(), 'an-quiet-abort', async (c) => {
      await c.apply(canary(ns(), 'an-quiet-abort', { image: 'registry.example/web:1', simulate: 'rps=0.01', steps: STEPS, metrics, analysis: { onNoData: 'abort' } }));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      await c.apply(canary(ns(), 'an-quiet-abort', { image: 'registry.example/web:2', simulate: 'rps=0.01', steps: STEPS, metrics, analysis: { onNoData: 'abort' } }));
      const ro = await waitStatus(c, ns(), 'aborted on no data', (r) => r.status?.phase === 'Degraded');
      expect(ro.status?.abortReason).toContain('not enough data');
    });
  });

  analysisTest('an-restart', 'a controller restart in mid-analysis neither repeats nor skips a measurement', async (ns) => {
    const steps: StepT[] = [{ setWeight: 20 }, { analysis: { count: 8, interval: '1s' } }];
    const spec = (image: string) => canary(ns(), 'an-restart', { image, simulate: HEALTHY_TRAFFIC, steps, metrics: sloMetrics({ successRate: 99 }) });
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    const start = () => startController({ ns: ns(), instance: 'an-restart', env: { SLIPWAY_PROMETHEUS_URL: prometheusUrl } });
    let ctl = start();
    try {
      await ctl.url;
      await c.apply(spec('registry.example/web:1'));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      await c.apply(spec('registry.example/web:2'));
      // Generous: on a loaded CI machine the canary's pods and Prometheus' first scrapes of them take a while (a full run timed out at 60 s once).
      await waitStatus(c, ns(), 'three measurements', (r) => (r.status?.analysis?.metrics?.[0]?.successful ?? 0) >= 3, { timeoutMs: 150_000 });
      ctl.kill('SIGKILL');
      await ctl.exited;
      ctl = start();
      await ctl.url;
      const ro = await waitStatus(c, ns(), 'analysis passed', (r) => (r.status?.currentStepIndex ?? 0) >= 2, { timeoutMs: 120_000 });
      const m = ro.status?.analysis?.metrics?.[0];
      expect(m?.successful).toBe(8);
      const times = (m?.measurements ?? []).map((x) => Date.parse(x.time));
      // No repeat: consecutive measurements are at least one interval apart (the lease handover after the kill makes one gap longer: that is downtime, not a skip).
      for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(990);
      expect(m?.failed).toBe(0);
    } finally {
      // Whichever controller is running, also when a wait above failed (a failed run once left the first one behind).
      ctl.kill('SIGTERM');
      await ctl.exited;
      c.close();
    }
  }, 420_000);
});
