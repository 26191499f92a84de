/**
 * Crash safety of the rollout controller, by fault injection: a controller process that kills
 * itself (SIGKILL, as `kill -9`) right after its N-th API write, N swept over a whole canary, then
 * a fresh process. The end state must equal an uninterrupted run's, the HTTPRoute must never
 * carry a weight the steps do not call for (nor go back and forth), and a pause must not restart
 * from zero (one start time per pause step).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, SharedInformer, type LiveObject } from '../../src/kube/index.ts';
import { API_VERSION, KIND, REVISION_LABEL, canaryWeightOf, templateHash, versionName, type ServiceRollout } from '../../src/rollout/index.ts';
import { testKubeconfigPath, useNamespace, waitFor } from './harness.ts';
import { deployment, ensureCrds, imageOfDeployment, rollout, startController, waitStatus } from './rollout-harness.ts';

beforeAll(async () => {
  await ensureCrds(testKubeconfigPath());
});

describe('rollout: kill -9 after every N-th write, then a fresh controller', () => {
  const ns = useNamespace('rollout-crash');

  it('ends where an uninterrupted run ends, with only the weights the steps call for, in order, and no pause restarted', async () => {
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    const steps = [{ setWeight: 20 }, { pause: { duration: '1s' } }, { setWeight: 50 }, { pause: { duration: '1s' } }];
    const version = (n: number): ServiceRollout => rollout(ns(), { image: `registry.example/web:${n}`, steps, instance: 'crash', gateway: true });

    // Everything the route and the rollout go through, from watches.
    const ac = new AbortController();
    const weights: number[] = [];
    const routes = new SharedInformer(c, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns().name });
    const noteRoute = (o: LiveObject): void => {
      const w = canaryWeightOf(o, 'web-canary');
      if (w !== undefined && weights.at(-1) !== w) weights.push(w);
    };
    routes.on({ add: noteRoute, update: noteRoute });
    const pauseStarts = new Map<string, Set<string>>();
    const rollouts = new SharedInformer(c, { apiVersion: API_VERSION, kind: KIND, namespace: ns().name });
    const noteRollout = (o: LiveObject): void => {
      const st = (o as ServiceRollout).status;
      if (!st?.pauseStartTime || !st.canaryRevision) return;
      const key = `${st.canaryRevision}#${st.currentStepIndex ?? 0}`;
      pauseStarts.set(key, new Set([...(pauseStarts.get(key) ?? []), st.pauseStartTime]));
    };
    rollouts.on({ add: noteRollout, update: noteRollout });
    void routes.run(ac.signal);
    void rollouts.run(ac.signal);

    try {
      // v1, uninterrupted: the baseline end state.
      let ctl = startController({ ns: ns(), instance: 'crash', leaseDurationSeconds: 2 });
      await c.apply(version(1));
      await waitStatus(c, ns(), 'v1 healthy', (r) => r.status?.phase === 'Healthy');
      ctl.kill('SIGTERM');
      await ctl.exited;

      const sweep = [1, 2, 3, 4, 6, 8, 11, 14, 18, 23, 29, 36];
      let n = 1;
      for (const writes of sweep) {
        n++;
        weights.length = 0;
        await c.apply(version(n));
        const faulty = startController({ ns: ns(), instance: 'crash', leaseDurationSeconds: 2, env: { SLIPWAY_FAULT_EXIT_AFTER_WRITES: String(writes) } });
        // It dies after `writes` writes, or (a late N) finishes the rollout first.
        const died = await Promise.race([faulty.exited, waitStatus(c, ns(), `v${n} healthy`, (r) => r.status?.phase === 'Healthy' && r.status.stableImage === `registry.example/web:${n}`).then(() => 'finished')]);
        faulty.kill('SIGKILL');
        await faulty.exited;
        ctl = startController({ ns: ns(), instance: 'crash', leaseDurationSeconds: 2 });
        const end = await waitStatus(c, ns(), `v${n} promoted after a crash at write ${writes} (${died})`, (r) => r.status?.phase === 'Healthy' && r.status.stableImage === `registry.example/web:${n}`);
        ctl.kill('SIGTERM');
        await ctl.exited;

        // The end state of an uninterrupted run.
        expect(end.status).toMatchObject({ weight: 0, currentStepIndex: steps.length, stableImage: `registry.example/web:${n}` });
        expect(end.status?.canaryRevision).toBeUndefined();
        expect(imageOfDeployment(await deployment(c, ns(), 'web-stable'))).toBe(`registry.example/web:${n}`);
        expect(((await deployment(c, ns(), 'web-canary'))?.['spec'] as { replicas: number }).replicas).toBe(0);
        const route = await c.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns().name, name: 'web' });
        expect(route && canaryWeightOf(route, 'web-canary')).toBe(0);
        // Only weights the steps call for, never back and forth: 0 → 20 → 50 → 0 (a prefix of it
        // may be missed by the watch, never reordered).
        await new Promise((r) => setTimeout(r, 200));
        const seen = weights.filter((w, i) => i === 0 || w !== weights[i - 1]);
        expect(seen.every((w) => [0, 20, 50].includes(w)), `crash at write ${writes}: weights ${seen.join(' → ')}`).toBe(true);
        const order = seen.map((w) => (w === 20 ? 1 : w === 50 ? 2 : 0));
        const inCanary = order.slice(order.findIndex((x) => x > 0));
        expect(inCanary.slice(0, -1).every((x, i) => x <= (inCanary[i + 1] ?? 3) || inCanary[i + 1] === 0), `crash at write ${writes}: ${seen.join(' → ')}`).toBe(true);
      }
      // No pause was restarted from zero by a new process: one start time per pause step.
      for (const [key, starts] of pauseStarts) expect(starts.size, `pause ${key} started at ${[...starts].join(', ')}`).toBe(1);
    } finally {
      ac.abort();
      c.close();
    }
  }, 600_000);

  it('blue-green: the active Service switches once, from the old version to the new, whatever write the controller dies after', async () => {
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    const version = (n: number): ServiceRollout =>
      rollout(ns(), { name: 'bg', image: `registry.example/bg:${n}`, steps: [], replicas: 2, instance: 'crash-bg', blueGreen: { autoPromote: true, autoPromotionSeconds: 0, scaleDownDelaySeconds: 0 } });
    // Every revision the active Service selects, from a watch.
    const ac = new AbortController();
    const active: string[] = [];
    const services = new SharedInformer(c, { apiVersion: 'v1', kind: 'Service', namespace: ns().name, fieldSelector: 'metadata.name=bg' });
    const note = (o: LiveObject): void => {
      const rev = (o['spec'] as { selector?: Record<string, string> } | undefined)?.selector?.[REVISION_LABEL];
      if (rev !== undefined && active.at(-1) !== rev) active.push(rev);
    };
    services.on({ add: note, update: note });
    void services.run(ac.signal);
    try {
      let ctl = startController({ ns: ns(), instance: 'crash-bg', leaseDurationSeconds: 2 });
      await c.apply(version(1));
      await waitStatus(c, ns(), 'bg v1 healthy', (r) => r.status?.phase === 'Healthy', { name: 'bg' });
      ctl.kill('SIGTERM');
      await ctl.exited;
      let n = 1;
      const outcomes: string[] = [];
      for (const writes of [1, 2, 3, 4, 5, 6, 7, 9, 11, 14]) {
        n++;
        const before = templateHash(version(n - 1).spec.template);
        const after = templateHash(version(n).spec.template);
        active.length = 0;
        await c.apply(version(n));
        const faulty = startController({ ns: ns(), instance: 'crash-bg', leaseDurationSeconds: 2, env: { SLIPWAY_FAULT_EXIT_AFTER_WRITES: String(writes) } });
        const done = (r: ServiceRollout): boolean => r.status?.phase === 'Healthy' && r.status.stableRevision === after && r.status.previousRevision === undefined;
        const died = await Promise.race([faulty.exited, waitStatus(c, ns(), `bg v${n} promoted`, done, { name: 'bg' }).then(() => 'finished')]);
        outcomes.push(died);
        faulty.kill('SIGKILL');
        await faulty.exited;
        ctl = startController({ ns: ns(), instance: 'crash-bg', leaseDurationSeconds: 2 });
        await waitStatus(c, ns(), `bg v${n} promoted after a crash at write ${writes} (${died})`, done, { name: 'bg' });
        await waitFor(async () => ((await deployment(c, ns(), versionName('bg', before))) === undefined ? true : undefined), { what: `the old version removed (crash at write ${writes})` });
        ctl.kill('SIGTERM');
        await ctl.exited;
        await new Promise((r) => setTimeout(r, 200));
        // Old, then new: never back and forth.
        const seen = active[0] === before ? active : [before, ...active];
        expect(seen, `crash at write ${writes}`).toEqual([before, after]);
      }
      // The sweep did kill the controller in the middle of the release (not after it).
      expect(outcomes.filter((o) => o === 'SIGKILL').length, outcomes.join(', ')).toBeGreaterThanOrEqual(7);
    } finally {
      ac.abort();
      c.close();
    }
  }, 600_000);
});
