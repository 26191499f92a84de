/**
 * Blue-green end to end: a real `slipway controller run` process against the real local control
 * plane; the active and preview Services as the apiserver stores them; the CLI steers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient, LiveObject } from '../../src/kube/index.ts';
import { REVISION_LABEL, templateHash, versionName } from '../../src/rollout/index.ts';
import { SIMULATE_LABEL } from '../../src/cluster/index.ts';
import { testKubeconfigPath, useNamespace, waitFor, type TestNamespace } from './harness.ts';
import { cli, deployment, ensureCrds, rollout, rolloutEvents, waitStatus, withController, type RolloutOptions } from './rollout-harness.ts';

beforeAll(async () => {
  await ensureCrds(testKubeconfigPath());
});

const selectedRevision = async (c: KubeClient, ns: TestNamespace, service: string): Promise<string | undefined> => {
  const s = await c.get({ apiVersion: 'v1', kind: 'Service', namespace: ns.name, name: service });
  return (s?.['spec'] as { selector?: Record<string, string> } | undefined)?.selector?.[REVISION_LABEL];
};

const podsOf = async (c: KubeClient, ns: TestNamespace): Promise<LiveObject[]> => c.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns.name, labelSelector: 'app=web' });

describe('rollout: blue-green', () => {
  const ns = useNamespace('rollout-bluegreen', { podSecurity: 'restricted' });

  it('preview selects v2 while active selects v1; promote switches in one write; undo inside the delay switches back without creating a pod', async () => {
    await withController(ns(), 'bg', async (c) => {
      const ro = (image: string, o: Partial<RolloutOptions> = {}): ReturnType<typeof rollout> => rollout(ns(), { image, steps: [], instance: 'bg', replicas: 3, blueGreen: { scaleDownDelaySeconds: 600 }, ...o });
      await c.apply(ro('registry.example/web:1'));
      const v1 = await waitStatus(c, ns(), 'v1 Healthy (active)', (r) => r.status?.phase === 'Healthy');
      const rev1 = v1.status?.stableRevision ?? '';
      expect(rev1).toBe(templateHash(ro('registry.example/web:1').spec.template));
      expect(v1.status?.strategy).toBe('blueGreen');
      expect(await selectedRevision(c, ns(), 'web')).toBe(rev1);
      expect(await selectedRevision(c, ns(), 'web-preview')).toBe(rev1);

      await c.apply(ro('registry.example/web:2'));
      const paused = await waitStatus(c, ns(), 'v2 ready behind the preview', (r) => r.status?.phase === 'Paused');
      const rev2 = paused.status?.canaryRevision ?? '';
      expect(rev2).not.toBe(rev1);
      expect(await selectedRevision(c, ns(), 'web')).toBe(rev1);
      expect(await selectedRevision(c, ns(), 'web-preview')).toBe(rev2);
      // Both versions at full scale, so the switch needs no new pod.
      for (const rev of [rev1, rev2]) expect(((await deployment(c, ns(), versionName('web', rev)))?.['spec'] as { replicas: number }).replicas).toBe(3);
      const preview = await c.get({ apiVersion: 'v1', kind: 'Service', namespace: ns().name, name: 'web-preview' });
      expect((preview?.['spec'] as { ports: { port: number }[]; type: string }).ports[0]?.port).toBe(80);

      const st = await cli(ns(), 'rollout', 'status', 'web', '-o', 'json');
      expect(JSON.parse(st.out)).toMatchObject({ strategy: 'blueGreen', phase: 'Paused', stable: { revision: rev1, image: 'registry.example/web:1' }, canary: { revision: rev2, image: 'registry.example/web:2' }, blueGreen: { activeService: 'web', previewService: 'web-preview' } });

      // Promote: the active Service's selector changes in one write (its resourceVersion moves once).
      const before = await c.get({ apiVersion: 'v1', kind: 'Service', namespace: ns().name, name: 'web' });
      expect((await cli(ns(), 'rollout', 'promote', 'web')).code).toBe(0);
      const promoted = await waitStatus(c, ns(), 'v2 promoted', (r) => r.status?.stableRevision === rev2 && r.status.phase === 'Healthy');
      expect(promoted.status?.previousRevision).toBe(rev1);
      expect(await selectedRevision(c, ns(), 'web')).toBe(rev2);
      const after = await c.get({ apiVersion: 'v1', kind: 'Service', namespace: ns().name, name: 'web' });
      expect(Number(after?.metadata.resourceVersion)).toBeGreaterThan(Number(before?.metadata.resourceVersion));
      expect((after?.metadata['managedFields'] as { manager: string }[]).filter((m) => m.manager === 'slipway-controller')).toHaveLength(1);

      // Undo inside the scale-down window: only the selector moves; not one pod is created.
      const podsBefore = new Set((await podsOf(c, ns())).map((p) => p.metadata.uid));
      expect((await cli(ns(), 'rollout', 'undo', 'web')).code).toBe(0);
      const undone = await waitStatus(c, ns(), 'undo back to v1', (r) => r.status?.stableRevision === rev1);
      expect(undone.status?.phase).toBe('Degraded');
      expect(undone.status?.abortReason).toMatch(/slipway rollout undo/);
      await waitFor(async () => (await selectedRevision(c, ns(), 'web')) === rev1 || undefined, { what: 'the active Service back on v1' });
      const podsAfter = (await podsOf(c, ns())).map((p) => p.metadata.uid);
      expect(podsAfter.filter((u) => !podsBefore.has(u))).toEqual([]);
      await waitFor(async () => ((await rolloutEvents(c, ns())).some((e) => e.startsWith('Undone:')) ? true : undefined), { what: 'the Undone event' });

      // undo means nothing to a canary: an input error with the way out.
      await c.apply(rollout(ns(), { name: 'canary', image: 'registry.example/c:1', steps: [{ setWeight: 50 }], instance: 'bg' }));
      const u = await cli(ns(), 'rollout', 'undo', 'canary');
      expect(u.code).toBe(2);
      expect(u.err).toMatch(/slipway rollback/);
    });
  });

  it('autoPromote promotes a ready preview after autoPromotionSeconds and removes the old version after the delay; a never-ready preview aborts', async () => {
    await withController(ns(), 'bg-auto', async (c) => {
      const ro = (image: string, o: Partial<RolloutOptions> = {}): ReturnType<typeof rollout> =>
        rollout(ns(), { name: 'auto', image, steps: [], instance: 'bg-auto', replicas: 2, blueGreen: { autoPromote: true, autoPromotionSeconds: 1, scaleDownDelaySeconds: 2 }, ...o });
      await c.apply(ro('registry.example/auto:1'));
      const v1 = await waitStatus(c, ns(), 'auto v1', (r) => r.status?.phase === 'Healthy', { name: 'auto' });
      const rev1 = v1.status?.stableRevision ?? '';
      await c.apply(ro('registry.example/auto:2'));
      const v2 = await waitStatus(c, ns(), 'auto v2 promoted by itself', (r) => r.status?.stableImage === 'registry.example/auto:2' && r.status.phase === 'Healthy', { name: 'auto' });
      // Events are written right after the transition they record: wait for them.
      const events = await waitFor(async () => {
        const evs = await rolloutEvents(c, ns(), 'auto');
        return evs.some((e) => e.startsWith('Promoted:')) ? evs : undefined;
      }, { what: 'the Promoted event' });
      expect(events.findIndex((e) => e.startsWith('PreviewReady:'))).toBeLessThan(events.findIndex((e) => e.startsWith('Promoted:')));
      // Healthy only once the active Service selects the new version.
      expect(await selectedRevision(c, ns(), 'auto')).toBe(v2.status?.stableRevision);
      await waitFor(async () => ((await deployment(c, ns(), versionName('auto', rev1))) === undefined ? true : undefined), { what: 'the old version removed after scaleDownDelaySeconds', timeoutMs: 30_000 });
      await waitStatus(c, ns(), 'previousRevision dropped', (r) => r.status?.previousRevision === undefined, { name: 'auto' });

      // A preview that never becomes ready: aborted at the progress deadline; the active Service never moves.
      // Only the version meant to fail gets a short deadline (a deadline also bounds a promotion).
      await c.apply(ro('registry.example/auto:3', { podLabels: { [SIMULATE_LABEL]: 'never-ready' }, progressDeadlineSeconds: 5 }));
      const aborted = await waitStatus(c, ns(), 'the never-ready preview aborted', (r) => r.status?.phase === 'Degraded', { name: 'auto' });
      expect(aborted.status?.abortReason).toMatch(/not ready within 5s/);
      expect(await selectedRevision(c, ns(), 'auto')).toBe(v2.status?.stableRevision);
      expect(await selectedRevision(c, ns(), 'auto-preview')).toBe(v2.status?.stableRevision);
      const rev3 = aborted.status?.abortedRevision ?? '';
      await waitFor(async () => ((await deployment(c, ns(), versionName('auto', rev3))) === undefined ? true : undefined), { what: 'the aborted preview removed after the delay', timeoutMs: 30_000 });
    });
  });
});
