/**
 * `slipway deploy --wait` follows a canary live: a line per step, exit 0 once promoted, exit 1
 * when it aborts (and deploy's automatic rollback then puts the stable template back).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringifyManifests } from '../../src/manifest/index.ts';
import { INSTANCE_LABEL } from '../../src/rollout/index.ts';
import { SIMULATE_LABEL } from '../../src/cluster/index.ts';
import { web } from './deploy-fixtures.ts';
import { testKubeconfigPath, useNamespace } from './harness.ts';
import { cli, ensureCrds, waitStatus, withController } from './rollout-harness.ts';

beforeAll(async () => {
  await ensureCrds(testKubeconfigPath());
});

describe('deploy --wait follows a canary', () => {
  const ns = useNamespace('rollout-deploy-wait', { podSecurity: 'restricted' });

  it('prints each step, exits 0 when promoted and 1 when aborted', async () => {
    await withController(ns(), 'follow', async (c) => {
      const dir = mkdtempSync(join(tmpdir(), 'slipway-follow-'));
      const deploy = async (version: string, neverReady = false): Promise<{ code: number; err: string; out: string }> => {
        const [d, svc] = web({ image: `registry.example/web:${version}`, replicas: 2, progressDeadlineSeconds: neverReady ? 5 : 120, ...(neverReady ? { podLabels: { [SIMULATE_LABEL]: 'never-ready' } } : {}) });
        d!.metadata.labels = { [INSTANCE_LABEL]: 'follow' };
        d!.metadata.annotations = { 'slipway.dev/strategy': 'canary', 'slipway.dev/strategy-steps': '[{"setWeight":50},{"pause":{"duration":"3s"}}]' };
        writeFileSync(join(dir, 'app.yaml'), stringifyManifests([d!, svc!]));
        return cli(ns(), 'deploy', dir, '--app', 'follow', '--env', 'test');
      };
      const v1 = await deploy('1');
      expect(v1.code, v1.err).toBe(0);

      const v2 = await deploy('2');
      expect(v2.code, v2.err).toBe(0);
      // The steps as they happen (deploy samples the status: a 3 s pause is long enough to be seen; step 1 may pass too fast).
      expect(v2.err).toMatch(/ServiceRollout\/\S+\/web step 2\/2, weight 50%: pausing 3s/);
      expect(v2.err).toMatch(/Healthy\s+ServiceRollout\/\S+\/web/);
      const promoted = await waitStatus(c, ns(), 'v2 stable', (r) => r.status?.phase === 'Healthy');
      expect(promoted.status?.stableImage).toBe('registry.example/web:2');

      const v3 = await deploy('3', true);
      expect(v3.code).toBe(1);
      expect(v3.err).toMatch(/Degraded\s+ServiceRollout\/\S+\/web .*aborted: canary pods not ready within 5s/);
      expect(v3.out).toMatch(/automatic rollback to revision 2/);
      // The rollback re-deployed v2's template: the stable one, an instant rollback.
      const back = await waitStatus(c, ns(), 'back on v2', (r) => r.status?.phase === 'Healthy' && r.status.canaryRevision === undefined);
      expect(back.status?.stableImage).toBe('registry.example/web:2');
    });
  });
});
