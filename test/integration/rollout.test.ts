/**
 * Progressive delivery end to end: a real `slipway controller run` process against the real
 * local control plane runs ServiceRollout canaries; the CLI steers them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { InformerFactory, KubeClient } from '../../src/kube/index.ts';
import { CONTROLLER_NAME, CONTROLLER_NAMESPACE, installManifests } from '../../src/rollout/index.ts';
import { SIMULATE_LABEL } from '../../src/cluster/index.ts';
import { testKubeconfigPath, useNamespace, waitFor } from './harness.ts';
import { cli, withController, serviceAccountKubeconfig, deployment, ensureCrds, getRollout, imageOfDeployment, rollout, rolloutEvents, startController, waitStatus } from './rollout-harness.ts';

beforeAll(async () => {
  await ensureCrds(testKubeconfigPath());
});

describe('rollout: canary with pauses, promote, promote --full', () => {
  const ns = useNamespace('rollout-canary');

  it('first version goes straight to stable; a new template runs the steps; an indefinite pause waits for promote', async () => {
    await withController(ns(), 'canary', async (c, ctl) => {
      const steps = [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 50 }, { pause: {} }];
      await c.apply(rollout(ns(), { image: 'registry.example/web:1.0.0', steps, instance: 'canary' }));
      const first = await waitStatus(c, ns(), 'v1 Healthy on stable', (r) => r.status?.phase === 'Healthy');
      expect(first.status?.stableImage).toBe('registry.example/web:1.0.0');
      expect(first.status?.canaryRevision).toBeUndefined();

      await c.apply(rollout(ns(), { image: 'registry.example/web:2.0.0', steps, instance: 'canary' }));
      const paused = await waitStatus(c, ns(), 'the indefinite pause at step 4', (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 3);
      expect(paused.status?.weight).toBe(50);
      // Stable still runs v1 at full scale; the canary has half the replicas for 50%.
      const stable = await deployment(c, ns(), 'web-stable');
      expect(imageOfDeployment(stable)).toBe('registry.example/web:1.0.0');
      expect((stable?.['spec'] as { replicas: number }).replicas).toBe(4);
      expect(((await deployment(c, ns(), 'web-canary'))?.['spec'] as { replicas: number }).replicas).toBe(2);

      const st = await cli(ns(), 'rollout', 'status', 'web', '-o', 'json');
      const view = JSON.parse(st.out) as { phase: string; currentStep: number; weight: number; stable: { image: string }; canary: { image: string }; steps: { state: string }[] };
      expect(view).toMatchObject({ phase: 'Paused', currentStep: 3, weight: 50, stable: { image: 'registry.example/web:1.0.0' }, canary: { image: 'registry.example/web:2.0.0' } });
      expect(view.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'current']);

      // An HPA scales the service through the rollout's scale subresource: the canary follows at 50%.
      await c.transport.request({ method: 'PATCH', path: `/apis/slipway.dev/v1alpha1/namespaces/${ns().name}/servicerollouts/web/scale`, body: { spec: { replicas: 8 } }, contentType: 'application/merge-patch+json' });
      await waitFor(async () => (((await deployment(c, ns(), 'web-canary'))?.['spec'] as { replicas: number }).replicas === 4 ? true : undefined), { what: 'the canary at 4 of 8 replicas (50%)' });
      expect(((await deployment(c, ns(), 'web-stable'))?.['spec'] as { replicas: number }).replicas).toBe(8);
      // And back (the same value as this test's manifest, so its later applies share the field).
      await c.transport.request({ method: 'PATCH', path: `/apis/slipway.dev/v1alpha1/namespaces/${ns().name}/servicerollouts/web/scale`, body: { spec: { replicas: 4 } }, contentType: 'application/merge-patch+json' });
      await waitFor(async () => (((await deployment(c, ns(), 'web-canary'))?.['spec'] as { replicas: number }).replicas === 2 ? true : undefined), { what: 'the canary back at 2 of 4' });

      // Still paused a while later: nothing but promote ends it.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await getRollout(c, ns())).status?.phase).toBe('Paused');
      expect((await cli(ns(), 'rollout', 'promote', 'web')).code).toBe(0);
      const done = await waitStatus(c, ns(), 'v2 promoted', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:2.0.0');
      expect(done.status?.weight).toBe(0);
      expect(imageOfDeployment(await deployment(c, ns(), 'web-stable'))).toBe('registry.example/web:2.0.0');
      expect(((await deployment(c, ns(), 'web-canary'))?.['spec'] as { replicas: number }).replicas).toBe(0);
      // Every transition is an Event on the rollout (written right after the status).
      const reasons = await waitFor(async () => {
        const r = (await rolloutEvents(c, ns())).map((e) => e.split(':')[0]);
        return r.includes('Promoted') ? r : undefined;
      }, { what: 'the Promoted event' });
      expect(reasons).toEqual(expect.arrayContaining(['Initialized', 'CanaryStarted', 'StepCompleted', 'Promoting', 'Promoted']));
      expect(ctl.output()).toContain('"namespace":"' + ns().name + '"');
      // /metrics: generic reconcile metrics and the rollout's own.
      const metrics = await (await fetch(`${await ctl.url}/metrics`)).text();
      expect(metrics).toMatch(/slipway_controller_reconcile_total\{reconciler="rollout",result="ok"\} [1-9]/);
      expect(metrics).toMatch(/slipway_rollout_transitions_total\{reason="Promoted"\} [1-9]/);
      expect(metrics).toMatch(/slipway_rollout_step_duration_seconds_count\{step="1"\} [1-9]/);
      expect(metrics).toMatch(/slipway_rollouts\{phase="Healthy"\} 1/);
      const ready = await fetch(`${await ctl.url}/readyz`);
      expect(ready.status).toBe(200);

      // promote --full skips every remaining step.
      await c.apply(rollout(ns(), { image: 'registry.example/web:3.0.0', steps, instance: 'canary' }));
      await waitStatus(c, ns(), 'v3 canary at step 2', (r) => r.status?.canaryImage === 'registry.example/web:3.0.0' && (r.status.currentStepIndex ?? 0) >= 1);
      expect((await cli(ns(), 'rollout', 'promote', 'web', '--full')).code).toBe(0);
      await waitStatus(c, ns(), 'v3 promoted', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:3.0.0');
    });
  });
});

describe('rollout: abort, instant rollback, retry', () => {
  const ns = useNamespace('rollout-abort', { podSecurity: 'restricted' });

  it('a never-ready canary aborts at its progress deadline with all traffic on stable; re-deploying stable is an instant rollback', async () => {
    await withController(ns(), 'abort', async (c) => {
      const steps = [{ setWeight: 25 }, { pause: {} }];
      await c.apply(rollout(ns(), { image: 'registry.example/web:1.0.0', steps, instance: 'abort', progressDeadlineSeconds: 5 }));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      await c.apply(rollout(ns(), { image: 'registry.example/web:2.0.0', steps, instance: 'abort', progressDeadlineSeconds: 5, podLabels: { [SIMULATE_LABEL]: 'never-ready' } }));
      const aborted = await waitStatus(c, ns(), 'the abort', (r) => r.status?.phase === 'Degraded');
      expect(aborted.status?.weight).toBe(0);
      expect(aborted.status?.abortReason).toMatch(/not ready within 5s \(progress deadline\)/);
      expect(imageOfDeployment(await deployment(c, ns(), 'web-stable'))).toBe('registry.example/web:1.0.0');
      const st = await cli(ns(), 'rollout', 'status', 'web');
      expect(st.code).toBe(1);
      expect(st.out).toMatch(/aborted: canary pods not ready/);
      await waitFor(async () => ((await deployment(c, ns(), 'web-canary'))?.['spec'] as { replicas: number }).replicas === 0, { what: 'the canary scaled to 0 after the abort' });

      // retry runs it again from step 1 (and it aborts again: still never ready).
      expect((await cli(ns(), 'rollout', 'retry', 'web')).code).toBe(0);
      await waitStatus(c, ns(), 'the retry to start', (r) => r.status?.phase === 'Progressing' && r.status.abortedRevision === undefined);
      await waitStatus(c, ns(), 'the second abort', (r) => r.status?.phase === 'Degraded');

      // The stable template again: instant rollback, no steps.
      await c.apply(rollout(ns(), { image: 'registry.example/web:1.0.0', steps, instance: 'abort', progressDeadlineSeconds: 5 }));
      const back = await waitStatus(c, ns(), 'back on stable', (r) => r.status?.phase === 'Healthy');
      expect(back.status?.canaryRevision).toBeUndefined();
    });
  });

  it('abort during a pause sends traffic back at once; a new template supersedes an aborted canary', async () => {
    await withController(ns(), 'abort2', async (c) => {
      const steps = [{ setWeight: 50 }, { pause: {} }];
      const ro = (image: string): ReturnType<typeof rollout> => rollout(ns(), { name: 'api', image, steps, instance: 'abort2' });
      await c.apply(ro('registry.example/api:1'));
      await waitStatus(c, ns(), 'api v1', (r) => r.status?.phase === 'Healthy', { timeoutMs: 90_000, name: 'api' });
      await c.apply(ro('registry.example/api:2'));
      await waitStatus(c, ns(), 'api v2 paused at 50%', (r) => r.status?.phase === 'Paused' && r.status.weight === 50, { timeoutMs: 90_000, name: 'api' });
      expect((await cli(ns(), 'rollout', 'abort', 'api')).code).toBe(0);
      const a = await waitStatus(c, ns(), 'api aborted', (r) => r.status?.phase === 'Degraded', { timeoutMs: 30_000, name: 'api' });
      expect(a.status?.weight).toBe(0);
      expect(a.status?.abortReason).toMatch(/slipway rollout abort/);
      await c.apply(ro('registry.example/api:3'));
      const s = await waitStatus(c, ns(), 'api v3 canary', (r) => r.status?.canaryImage === 'registry.example/api:3' && r.status.phase === 'Paused', { timeoutMs: 90_000, name: 'api' });
      expect(s.status?.abortedRevision).toBeUndefined();
    });
  });
});

describe('rollout: leader election between two controller processes', () => {
  const ns = useNamespace('rollout-leader');

  it('only the Lease holder acts; kill -9 of the holder hands over within the lease duration', async () => {
    const a = startController({ ns: ns(), instance: 'ha', id: 'replica-a', leaseDurationSeconds: 4 });
    await a.url;
    await new Promise((r) => setTimeout(r, 500));
    const b = startController({ ns: ns(), instance: 'ha', id: 'replica-b', leaseDurationSeconds: 4 });
    await b.url;
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      const holder = async (): Promise<string | undefined> => ((await c.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns().name, name: 'slipway-controller-ha' }))?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity;
      await waitFor(async () => (await holder()) === 'replica-a', { what: 'replica-a to hold the lease' });
      await c.apply(rollout(ns(), { image: 'registry.example/web:1', steps: [{ setWeight: 50 }], instance: 'ha' }));
      await waitStatus(c, ns(), 'v1 healthy', (r) => r.status?.phase === 'Healthy');
      expect(b.output()).not.toContain('leading: reconcilers started');

      a.kill('SIGKILL');
      const killedAt = Date.now();
      await waitFor(async () => (await holder()) === 'replica-b', { what: 'replica-b to take the lease', timeoutMs: 30_000, intervalMs: 100 });
      const handover = Date.now() - killedAt;
      // Within the lease duration (4 s) plus one retry period and scheduling slack.
      expect(handover).toBeLessThan(4000 + 2000);
      await c.apply(rollout(ns(), { image: 'registry.example/web:2', steps: [{ setWeight: 50 }], instance: 'ha' }));
      await waitStatus(c, ns(), 'v2 promoted by replica-b', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:2');
      expect(b.output()).toContain('leading: reconcilers started');

      // SIGTERM releases the lease: no waiting for it to expire.
      b.kill('SIGTERM');
      expect(await b.exited).toBe('0');
      expect(await holder()).toBe('');
    } finally {
      c.close();
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    }
  });
});

describe('rollout: RBAC is least privilege, proven by running under the installed ServiceAccount', () => {
  const ns = useNamespace('rollout-rbac');

  it('a controller authenticated as slipway-system/slipway-controller runs a canary to promotion, and may not read Secrets', async () => {
    const admin = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    // The in-cluster install, with the Deployment at 0 replicas: this test runs the process itself.
    for (const o of installManifests({ image: 'registry.example/slipway:test', replicas: 0 })) await admin.apply(o, { force: true });
    const kubeconfig = await serviceAccountKubeconfig(ns(), CONTROLLER_NAMESPACE, CONTROLLER_NAME);
    const ctl = startController({ ns: ns(), instance: 'rbac', kubeconfig, leaseNamespace: CONTROLLER_NAMESPACE });
    const asSa = await KubeClient.connect({ kubeconfig });
    try {
      await ctl.url;
      const steps = [{ setWeight: 50 }, { pause: { duration: '1s' } }];
      await admin.apply(rollout(ns(), { image: 'registry.example/web:1', steps, instance: 'rbac' }));
      await waitStatus(admin, ns(), 'v1 healthy under the ServiceAccount', (r) => r.status?.phase === 'Healthy');
      await admin.apply(rollout(ns(), { image: 'registry.example/web:2', steps, instance: 'rbac' }));
      await waitStatus(admin, ns(), 'v2 promoted under the ServiceAccount', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:2');
      expect(ctl.output()).not.toMatch(/"kind":"forbidden"/);
      const denied = await asSa.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns().name, name: 'anything' }).catch((e: unknown) => e);
      expect((denied as { kind?: string }).kind).toBe('forbidden');
    } finally {
      asSa.close();
      admin.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });
});

describe('rollout: stable capacity never drops', () => {
  const ns = useNamespace('rollout-capacity', { podSecurity: 'restricted' });

  it('ready endpoints of the stable Service never go below its replicas through a never-ready canary, its abort, and a promotion', async () => {
    await withController(ns(), 'capacity', async (c) => {
      const steps = [{ setWeight: 25 }, { pause: { duration: '1s' } }, { setWeight: 50 }];
      // A short progress deadline only for the version meant to fail: it also bounds a promotion's stable roll.
      const ro = (image: string, podLabels: Record<string, string> = {}): ReturnType<typeof rollout> =>
        rollout(ns(), { image, steps, instance: 'capacity', gateway: true, podLabels, progressDeadlineSeconds: SIMULATE_LABEL in podLabels ? 5 : 120 });
      await c.apply(ro('registry.example/web:1.0.0'));
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');

      // Every EndpointSlice event of the stable Service, from the moment it has all its replicas.
      const factory = new InformerFactory(c);
      const slices = factory.informer({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace: ns().name, labelSelector: 'kubernetes.io/service-name=web-stable' });
      const readyNow = (): number =>
        slices.list().reduce((n, s) => n + ((s['endpoints'] as { conditions?: { ready?: boolean } }[] | undefined) ?? []).filter((e) => e.conditions?.ready === true).length, 0);
      const seen: number[] = [];
      const record = (): void => void seen.push(readyNow());
      slices.on({ add: record, update: record, delete: record });
      const ac = new AbortController();
      factory.start(ac.signal);
      try {
        await waitFor(() => Promise.resolve(readyNow() >= 4 ? true : undefined), { what: '4 ready stable endpoints' });
        seen.length = 0;

        await c.apply(ro('registry.example/web:2.0.0', { [SIMULATE_LABEL]: 'never-ready' }));
        await waitStatus(c, ns(), 'the never-ready canary aborted', (r) => r.status?.phase === 'Degraded');
        await c.apply(ro('registry.example/web:3.0.0'));
        await waitStatus(c, ns(), 'v3 promoted', (r) => r.status?.phase === 'Healthy' && r.status.stableImage === 'registry.example/web:3.0.0');
        await waitFor(() => Promise.resolve(readyNow() >= 4 ? true : undefined), { what: 'the stable endpoints settled on v3' });
      } finally {
        ac.abort();
      }
      // The stable Service saw its pods replaced during the promotion (maxUnavailable 0), yet never fewer than 4 ready.
      expect(seen.length).toBeGreaterThan(0);
      expect(Math.min(...seen)).toBeGreaterThanOrEqual(4);
    });
  });
});
