/**
 * Config rolls with the release, end to end: `slipway deploy` versions the ConfigMap a canary
 * service mounts; a test controller process (its own --instance) runs the canary.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringifyManifests, type KubeObject } from '../../src/manifest/index.ts';
import { INSTANCE_LABEL } from '../../src/rollout/index.ts';
import type { KubeClient, LiveObject } from '../../src/kube/index.ts';
import { configMap, web } from './deploy-fixtures.ts';
import { testKubeconfigPath, useNamespace, waitFor, type TestNamespace } from './harness.ts';
import { cli, deployment, ensureCrds, waitStatus, withController } from './rollout-harness.ts';

beforeAll(async () => {
  await ensureCrds(testKubeconfigPath());
});

/** The ConfigMap name a Deployment's (or pod's) first container takes its environment from. */
const envConfigOf = (o: LiveObject | undefined, path: 'deployment' | 'pod' = 'deployment'): string | undefined => {
  const spec = path === 'pod' ? (o?.['spec'] as Record<string, unknown> | undefined) : (o?.['spec'] as { template?: { spec?: Record<string, unknown> } } | undefined)?.template?.spec;
  return (spec as { containers?: { envFrom?: { configMapRef?: { name?: string } }[] }[] } | undefined)?.containers?.[0]?.envFrom?.[0]?.configMapRef?.name;
};

const configData = async (c: KubeClient, ns: TestNamespace, name: string): Promise<Record<string, string> | undefined> =>
  (await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name }))?.['data'] as Record<string, string> | undefined;

describe('rollout: config rolls with the canary', () => {
  const ns = useNamespace('rollout-config', { podSecurity: 'restricted' });

  it('a ConfigMap change alone starts a canary; after an abort stable pods still mount the old content; copies no version mounts are deleted', async () => {
    await withController(ns(), 'config', async (c) => {
      const dir = mkdtempSync(join(tmpdir(), 'slipway-config-'));
      const write = (level: string): void => {
        const [d, svc] = web({ replicas: 2 });
        const dep = d as KubeObject & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
        dep.metadata.labels = { [INSTANCE_LABEL]: 'config' };
        dep.metadata.annotations = { 'slipway.dev/strategy': 'canary', 'slipway.dev/strategy-steps': '[{"setWeight":50},{"pause":{}}]' };
        dep.spec.template.spec.containers[0] = { ...dep.spec.template.spec.containers[0], envFrom: [{ configMapRef: { name: 'settings' } }] };
        writeFileSync(join(dir, 'app.yaml'), stringifyManifests([configMap('settings', { LOG_LEVEL: level }), dep, svc!]));
      };
      const deploy = async (): Promise<void> => {
        const r = await cli(ns(), 'deploy', dir, '--timeout', '90s');
        expect(r.code, r.err).toBe(0);
      };

      write('info');
      await deploy();
      await waitStatus(c, ns(), 'v1 Healthy', (r) => r.status?.phase === 'Healthy');
      const v1 = envConfigOf(await deployment(c, ns(), 'web-stable')) ?? '';
      expect(v1).toMatch(/^settings-[0-9a-f]{10}$/);
      expect(await configData(c, ns(), v1)).toEqual({ LOG_LEVEL: 'info' });

      // Only the ConfigMap's content changes: a canary starts, mounting a copy of the new content.
      write('debug');
      await deploy();
      const canary = await waitStatus(c, ns(), 'the canary paused at 50%', (r) => r.status?.phase === 'Paused' && r.status.weight === 50);
      expect(canary.status?.canaryRevision).not.toBe(canary.status?.stableRevision);
      const v2 = envConfigOf(await deployment(c, ns(), 'web-canary')) ?? '';
      expect(v2).not.toBe(v1);
      expect(await configData(c, ns(), v2)).toEqual({ LOG_LEVEL: 'debug' });
      expect(envConfigOf(await deployment(c, ns(), 'web-stable'))).toBe(v1);

      // Abort: stable pods still mount the old content.
      expect((await cli(ns(), 'rollout', 'abort', 'web')).code).toBe(0);
      await waitStatus(c, ns(), 'aborted', (r) => r.status?.phase === 'Degraded');
      const stablePods = await c.list({ apiVersion: 'v1', kind: 'Pod', namespace: ns().name, labelSelector: 'app=web,slipway.dev/track=stable' });
      expect(stablePods.length).toBeGreaterThan(0);
      for (const p of stablePods) expect(envConfigOf(p, 'pod')).toBe(v1);
      expect(await configData(c, ns(), v1)).toEqual({ LOG_LEVEL: 'info' });

      // The old content again: an instant rollback, and the canary's copy is deleted.
      write('info');
      await deploy();
      await waitStatus(c, ns(), 'back on stable', (r) => r.status?.phase === 'Healthy' && r.status.canaryRevision === undefined);
      await waitFor(async () => ((await configData(c, ns(), v2)) === undefined ? true : undefined), { what: `the dropped canary's copy ${v2} deleted` });

      // The new content through to promotion: the old stable's copy is deleted after it.
      write('debug');
      await deploy();
      await waitStatus(c, ns(), 'the canary paused again', (r) => r.status?.phase === 'Paused');
      expect((await cli(ns(), 'rollout', 'promote', 'web', '--full')).code).toBe(0);
      await waitStatus(c, ns(), 'promoted', (r) => r.status?.phase === 'Healthy' && r.status.canaryRevision === undefined);
      expect(envConfigOf(await deployment(c, ns(), 'web-stable'))).toBe(v2);
      await waitFor(async () => ((await configData(c, ns(), v1)) === undefined ? true : undefined), { what: `the old stable's copy ${v1} deleted` });
      expect(await configData(c, ns(), v2)).toEqual({ LOG_LEVEL: 'debug' });
      // The ConfigMap under its own name stays for anything else that mounts it.
      expect(await configData(c, ns(), 'settings')).toEqual({ LOG_LEVEL: 'debug' });
    });
  });
});
