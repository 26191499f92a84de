/**
 * A release of two services is one unit, end to end: `slipway deploy` of two canary services where
 * api depends on db; a test controller process (its own --instance) runs them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringifyManifests, type KubeObject } from '../../src/manifest/index.ts';
import { INSTANCE_LABEL } from '../../src/rollout/index.ts';
import { SIMULATE_LABEL } from '../../src/cluster/index.ts';
import { web } from './deploy-fixtures.ts';
import { testKubeconfigPath, useNamespace, waitFor } from './harness.ts';
import { cli, ensureCrds, rolloutEvents, waitStatus, withController } from './rollout-harness.ts';

beforeAll(async () => {
  await ensureCrds(testKubeconfigPath());
});

describe('rollout: a two-service release', () => {
  const ns = useNamespace('rollout-release', { podSecurity: 'restricted' });

  it('the dependency is promoted first; when the dependent aborts, the promoted dependency is rolled back', async () => {
    await withController(ns(), 'release', async (c) => {
      const dir = mkdtempSync(join(tmpdir(), 'slipway-release-'));
      const service = (name: string, version: string, o: { dependsOn?: string; neverReady?: boolean } = {}): KubeObject[] => {
        const [d, svc] = web({ name, image: `registry.example/${name}:${version}`, replicas: 2, progressDeadlineSeconds: o.neverReady ? 5 : 120, ...(o.neverReady ? { podLabels: { [SIMULATE_LABEL]: 'never-ready' } } : {}) });
        d!.metadata.labels = { [INSTANCE_LABEL]: 'release' };
        d!.metadata.annotations = { 'slipway.dev/strategy': 'canary', 'slipway.dev/strategy-steps': '[{"setWeight":50},{"pause":{"duration":"1s"}}]', ...(o.dependsOn ? { 'slipway.dev/depends-on': o.dependsOn } : {}) };
        return [d!, svc!];
      };
      const deploy = async (objects: KubeObject[], ...flags: string[]): Promise<void> => {
        writeFileSync(join(dir, 'app.yaml'), stringifyManifests(objects));
        const r = await cli(ns(), 'deploy', dir, '--timeout', '90s', ...flags);
        expect(r.code, r.err).toBe(0);
      };

      await deploy([...service('db', '1'), ...service('api', '1', { dependsOn: 'db' })]);
      await waitStatus(c, ns(), 'db v1', (r) => r.status?.phase === 'Healthy', { name: 'db' });
      await waitStatus(c, ns(), 'api v1', (r) => r.status?.phase === 'Healthy', { name: 'api' });

      // v2 of both; api's pods never become ready. --no-wait: this test watches the controller, not deploy's own rollback.
      await deploy([...service('db', '2'), ...service('api', '2', { dependsOn: 'db', neverReady: true })], '--no-wait');
      const waiting = await waitStatus(c, ns(), 'api waiting for db', (r) => /waiting for db/.test(r.status?.message ?? ''), { name: 'api' });
      expect(waiting.status?.canaryRevision).toBeUndefined();
      await waitStatus(c, ns(), 'db v2 promoted', (r) => r.status?.stableImage === 'registry.example/db:2' && r.status.phase === 'Healthy', { name: 'db' });
      const apiAborted = await waitStatus(c, ns(), 'api aborted at its progress deadline', (r) => r.status?.phase === 'Degraded', { name: 'api' });
      expect(apiAborted.status?.stableImage).toBe('registry.example/api:1');

      // db was promoted in this release: it goes back to v1.
      const db = await waitStatus(c, ns(), 'db rolled back', (r) => r.status?.phase === 'Degraded' && r.status.stableImage === 'registry.example/db:1', { name: 'db', timeoutMs: 60_000 });
      expect(db.status?.abortReason).toMatch(/api aborted/);
      const dbStable = await c.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns().name, name: 'db-stable' });
      expect((dbStable?.['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]?.image).toBe('registry.example/db:1');
      // Events are written right after the transition they record: wait for them.
      const dbEvents = await waitFor(async () => {
        const evs = await rolloutEvents(c, ns(), 'db');
        return evs.some((e) => e.startsWith('ReleaseRolledBack:')) ? evs : undefined;
      }, { what: 'the ReleaseRolledBack event' });
      expect(dbEvents.findIndex((e) => e.startsWith('Promoted:'))).toBeLessThan(dbEvents.findIndex((e) => e.startsWith('ReleaseRolledBack:')));
      const apiEvents = await rolloutEvents(c, ns(), 'api');
      expect(apiEvents.some((e) => e.startsWith('CanaryStarted:'))).toBe(true);

      // The CLI shows the release.
      const st = await cli(ns(), 'rollout', 'status', 'db', '-o', 'json');
      expect(JSON.parse(st.out)).toMatchObject({ phase: 'Degraded', release: { members: ['api', 'db'] } });
    });
  });
});
