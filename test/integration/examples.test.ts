/**
 * The spec's promise: "Every example deploys to dev, staging and prod and becomes Healthy on a
 * PSS-restricted namespace". Each example × environment goes through the real CLI code path
 * (`slipway deploy --wait`: render, lint, server-side dry-run, staged apply, health wait) into its
 * own restricted namespace, then `slipway status -o json` must report Healthy.
 *
 * code-review's analysis-service declares a canary rollout in staging and prod: `slipway deploy`
 * hands it to the slipway controller the test cluster runs, as a ServiceRollout.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { StorageV1Api, V1StorageClass } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/index.ts';
import { main, memoryIo } from '../../src/cli/index.ts';
import { testKubeConfig, useNamespace, waitFor, type TestNamespace } from './harness.ts';

const EXAMPLES = join(import.meta.dirname, '../../examples');

interface Deployable {
  readonly example: string;
  readonly env: string;
  /** Classes of the PersistentVolumeClaims the env's StatefulSets get (`standard` is the cluster default). */
  readonly storageClasses: readonly string[];
}

const HEALTHY: readonly Deployable[] = [
  { example: 'streaming-analytics', env: 'dev', storageClasses: ['standard'] },
  { example: 'streaming-analytics', env: 'staging', storageClasses: ['gp3'] },
  { example: 'streaming-analytics', env: 'prod', storageClasses: ['gp3'] },
  { example: 'code-review', env: 'dev', storageClasses: ['standard'] },
  { example: 'quant-finance', env: 'dev', storageClasses: ['standard'] },
  { example: 'quant-finance', env: 'staging', storageClasses: ['standard'] },
  { example: 'quant-finance', env: 'prod', storageClasses: ['standard'] },
];

/** analysis-service is a canary here (dev overrides it to rolling): deploy hands it to the cluster's slipway controller. */
const CANARY: readonly { readonly example: string; readonly env: string }[] = [
  { example: 'code-review', env: 'staging' },
  { example: 'code-review', env: 'prod' },
];

/** StorageClasses the staging/prod specs name; the target clusters have them, the test cluster simulates them. */
const TARGET_STORAGE_CLASSES = ['gp3', 'ssd'];

interface StatusJson {
  health: string;
  objects: { id: { kind: string; name: string }; health: { status: string; message?: string } }[];
}

const tempDirs: string[] = [];
/** StorageClasses this file created (and so deletes). */
const created: string[] = [];

/**
 * A copy of the example whose environment renders into `namespace` instead of its own, so every
 * run gets a fresh restricted namespace and nothing collides with another test or a rerun.
 */
function exampleIn(example: string, env: string, namespace: string): string {
  const dir = mkdtempSync(join(tmpdir(), `slipway-example-${example}-`));
  tempDirs.push(dir);
  cpSync(join(EXAMPLES, example), dir, { recursive: true });
  const file = join(dir, 'slipway.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['environments', env, 'namespace'], namespace);
  writeFileSync(file, doc.toString());
  return dir;
}

async function slipway(ns: TestNamespace, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', ...args, '--kubeconfig', ns.kubeconfigPath, '-n', ns.name], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

beforeAll(async () => {
  const storage = testKubeConfig().makeApiClient(StorageV1Api);
  const existing = new Set((await storage.listStorageClass()).items.map((c) => c.metadata?.name));
  for (const name of TARGET_STORAGE_CLASSES.filter((n) => !existing.has(n))) {
    // Same provisioner as the cluster's default class, so claims of these classes bind too.
    const body = Object.assign(new V1StorageClass(), {
      metadata: { name, labels: { 'slipway.dev/test': 'true' } },
      provisioner: 'kubernetes.io/host-path',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    });
    await storage.createStorageClass({ body });
    created.push(name);
  }
});

afterAll(async () => {
  const storage = testKubeConfig().makeApiClient(StorageV1Api);
  // Only the classes this file created: an external test cluster may have its own gp3/ssd.
  await Promise.all(created.map((name) => storage.deleteStorageClass({ name })));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('the examples cover every environment', () => {
  it('every environment of every example is either deployed or asserted refused here', () => {
    const covered = [...HEALTHY, ...CANARY].map((c) => `${c.example}/${c.env}`).sort();
    const declared = readdirSync(EXAMPLES)
      .flatMap((example) => {
        const spec = parse(readFileSync(join(EXAMPLES, example, 'slipway.yaml'), 'utf8')) as { environments?: Record<string, unknown> };
        return Object.keys(spec.environments ?? {}).map((env) => `${example}/${env}`);
      })
      .sort();
    expect(covered).toEqual(declared);
  });
});

describe.each(HEALTHY)('example $example, env $env', ({ example, env, storageClasses }) => {
  const ns = useNamespace(`ex-${example.slice(0, 12)}-${env}`);

  // Many objects, deployed for real: allow for a slow machine; the deploy's own --timeout bounds the wait.
  it('deploys with --wait (exit 0) and `slipway status` reports Healthy', { timeout: 240_000 }, async () => {
    const dir = exampleIn(example, env, ns().name);
    const deployed = await slipway(ns(), 'deploy', dir, '--env', env, '--wait', '--timeout', '150s');
    expect(deployed.code, deployed.err).toBe(0);
    expect(deployed.out).toMatch(new RegExp(`${example}/${env} in ${ns().name}: revision 1: .*; Healthy`));

    const status = await slipway(ns(), 'status', dir, '--env', env, '-o', 'json');
    expect(status.code, status.err).toBe(0);
    const s = JSON.parse(status.out) as StatusJson;
    expect(s.objects.filter((o) => o.health.status !== 'Healthy').map((o) => `${o.id.kind}/${o.id.name}: ${o.health.status} ${o.health.message ?? ''}`)).toEqual([]);
    expect(s.health).toBe('Healthy');
    expect(s.objects.some((o) => o.id.kind === 'Deployment')).toBe(true);

    // The pods were admitted under the restricted Pod Security Standard.
    const namespace = await ns().core.readNamespace({ name: ns().name });
    expect(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // Every StatefulSet volume was provisioned from the class the environment asks for.
    const claims = (await ns().core.listNamespacedPersistentVolumeClaim({ namespace: ns().name })).items;
    expect(claims.length).toBeGreaterThan(0);
    expect(claims.filter((c) => c.status?.phase !== 'Bound').map((c) => c.metadata?.name)).toEqual([]);
    expect([...new Set(claims.map((c) => c.spec?.storageClassName))].sort()).toEqual([...storageClasses]);
  });
});

describe.each(CANARY)('example $example, env $env', ({ example, env }) => {
  const ns = useNamespace(`ex-${example.slice(0, 12)}-${env}`);

  // --no-wait: these environments pin ai-orchestrator to compute nodes (node affinity) the local
  // cluster does not simulate, so the app as a whole never becomes Healthy here; the rollout does.
  it('deploys: the canary service runs as a ServiceRollout under the cluster\'s slipway controller, Healthy on its first version', { timeout: 240_000 }, async () => {
    const dir = exampleIn(example, env, ns().name);
    const deployed = await slipway(ns(), 'deploy', dir, '--env', env, '--no-wait');
    expect(deployed.code, deployed.err).toBe(0);
    await waitFor(async () => {
      const st = await slipway(ns(), 'rollout', 'status', 'analysis-service', '-o', 'json');
      return st.code === 0 && (JSON.parse(st.out) as { phase: string }).phase === 'Healthy';
    }, { what: 'the analysis-service rollout to be Healthy', timeoutMs: 120_000 });
    const client = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      const rollouts = await client.list({ apiVersion: 'slipway.dev/v1alpha1', kind: 'ServiceRollout', namespace: ns().name });
      expect(rollouts.map((r) => r.metadata.name)).toEqual(['analysis-service']);
      // No plain Deployment of that service: the controller owns its stable and canary tracks.
      const deployments = (await ns().apps.listNamespacedDeployment({ namespace: ns().name })).items.map((d) => d.metadata?.name);
      expect(deployments).toEqual(expect.arrayContaining(['analysis-service-stable', 'analysis-service-canary']));
      expect(deployments).not.toContain('analysis-service');
    } finally {
      client.close();
    }
    const st = await slipway(ns(), 'rollout', 'status', 'analysis-service', '-o', 'json');
    expect(st.code, st.err).toBe(0);
    expect(JSON.parse(st.out)).toMatchObject({ service: 'analysis-service', strategy: 'canary', phase: 'Healthy', weight: 0 });
  });
});
