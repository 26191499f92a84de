/**
 * GitOps across clusters, on two real local control planes with the controller as a real process:
 * the run's cluster (a: the controller, its SlipwayApps and the cluster Secrets) and a second one
 * (b), registered with `slipway cluster register`. One controller deploys an app to each. Then
 * b's kube-apiserver is stopped (only that process, by the pid in b's state file): b's app becomes
 * Unknown and nothing is sent to b, while a's app syncs a new commit; b is started again on the
 * same data dir (`cluster down` then `cluster up`: up refuses a partly running cluster) and its app
 * recovers.
 *
 * The second cluster: SLIPWAY_TEST_CLUSTER_B_DIR=<data dir of a running cluster> uses that one
 * (left running); otherwise one is started in a temporary data dir and deleted afterwards.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main, memoryIo } from '../../src/cli/index.ts';
import { KubeClient } from '../../src/kube/index.ts';
import { testKubeconfigPath, useNamespace, waitFor } from './harness.ts';
import { GitRepo, app, deploymentOf, ensureGitopsCrds, getApp, imageOf, spec, startGitops, synced, waitApp } from './gitops-harness.ts';

const run = promisify(execFile);
const SLIPWAY = join(import.meta.dirname, '..', '..', 'bin', 'slipway');

interface ClusterB {
  readonly name: string;
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly ours: boolean;
}

const upArgs = (b: { name: string; dataDir: string }): string[] => ['cluster', 'up', '--name', b.name, '--data-dir', b.dataDir, '--no-merge-kubeconfig', '--no-controller', '--no-prometheus', '--nodes', '1'];

async function startB(): Promise<ClusterB> {
  const given = process.env['SLIPWAY_TEST_CLUSTER_B_DIR'];
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'slipway-b-'));
  const name = given ? (JSON.parse(readFileSync(join(given, 'cluster.json'), 'utf8')) as { name: string }).name : basename(dataDir).toLowerCase().replace(/[^a-z0-9-]/g, '-');
  await run(SLIPWAY, upArgs({ name, dataDir }), { timeout: 300_000 });
  return { name, dataDir, kubeconfig: join(dataDir, 'kubeconfig'), ours: given === undefined };
}

const apiserverPid = (b: ClusterB): number => {
  const pid = (JSON.parse(readFileSync(join(b.dataDir, 'cluster.json'), 'utf8')) as { pids: Record<string, number> }).pids['kube-apiserver'];
  if (pid === undefined) throw new Error(`no kube-apiserver pid in ${b.dataDir}/cluster.json`);
  return pid;
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function slipway(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

const condition = (a: Awaited<ReturnType<typeof getApp>>, type: string) => a.status?.conditions?.find((c) => c.type === type);

let b: ClusterB | undefined;
beforeAll(async () => {
  await ensureGitopsCrds(testKubeconfigPath());
  b = await startB();
}, 300_000);
afterAll(async () => {
  if (b?.ours) await run(SLIPWAY, ['cluster', 'down', '--name', b.name, '--data-dir', b.dataDir, '--delete'], { timeout: 120_000 });
}, 120_000);

describe('gitops: one controller, two clusters', () => {
  const ns = useNamespace('gitops-multi');

  it('deploys to both; b down marks only b\'s app Unknown (no write, no prune) while a syncs a new commit; b back: its app recovers', async () => {
    const cb = b as ClusterB;
    const bContext = `slipway-${cb.name}`;
    const a = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    const bc = await KubeClient.connect({ kubeconfig: cb.kubeconfig });
    const ctl = startGitops(ns(), 'multi');
    const bKey = (parse(readFileSync(cb.kubeconfig, 'utf8')) as { users: { user: Record<string, string> }[] }).users[0]?.user['client-key-data'] ?? '';
    try {
      await bc.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns().name, labels: { 'slipway.dev/test': 'true', 'pod-security.kubernetes.io/enforce': 'restricted' } } });

      // Registered from b's kubeconfig context into the controller's namespace (its --lease-namespace: the test namespace).
      const reg = await slipway('cluster', 'register', bContext, '--kubeconfig', cb.kubeconfig, '--name', 'b', '--controller-kubeconfig', ns().kubeconfigPath, '-n', ns().name);
      expect(reg.err).toBe('');
      expect(reg.code).toBe(0);
      expect(reg.out).toMatch(/^cluster "b" registered: https:\/\/127\.0\.0\.1:\d+ \(Kubernetes v[\d.]+, client-certificate\) in Secret /);
      const list = await slipway('cluster', 'list-registered', '--controller-kubeconfig', ns().kubeconfigPath, '-n', ns().name, '-o', 'json');
      expect(JSON.parse(list.out)).toMatchObject([{ name: 'b', auth: 'client-certificate', secret: 'cluster-b' }]);
      expect(list.out + reg.out).not.toContain(bKey.slice(0, 40));

      const repo = new GitRepo();
      const v1 = repo.commit({ 'a/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.0.0', configMaps: ['settings'] }), 'b/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.0.0', configMaps: ['settings'] }) });
      await ctl.url;
      const policy = { automated: true, prune: true, selfHeal: true, interval: '2s' };
      await a.apply(app(ns(), 'in-a', 'multi', { source: { repoURL: repo.url, path: 'a' }, syncPolicy: policy }));
      await a.apply(app(ns(), 'in-b', 'multi', { source: { repoURL: repo.url, path: 'b' }, destination: { cluster: 'b' }, syncPolicy: policy }));
      await waitApp(a, ns(), 'in-a', 'in-a synced in a', synced(v1));
      const inB = await waitApp(a, ns(), 'in-b', 'in-b synced in b', synced(v1));
      expect(condition(inB, 'ClusterAvailable')).toMatchObject({ status: 'True', reason: 'Connected' });
      // Each app's objects in its own cluster.
      const webA = await deploymentOf(a, ns());
      const webB = await deploymentOf(bc, ns());
      expect(Object.values(webA?.metadata.labels ?? {})).toContain('in-a');
      expect(Object.values(webB?.metadata.labels ?? {})).toContain('in-b');
      expect(imageOf(webB)).toBe('registry.example/web:1.0.0');

      // b's apiserver stops (only that process): SIGTERM, then SIGKILL after 10 s as `cluster down` does (its graceful shutdown waits for its watches).
      const pid = apiserverPid(cb);
      process.kill(pid, 'SIGTERM');
      await waitFor(() => Promise.resolve(!alive(pid)), { what: `b's kube-apiserver (pid ${pid}) to exit`, timeoutMs: 10_000 }).catch(() => process.kill(pid, 'SIGKILL'));
      await waitFor(() => Promise.resolve(!alive(pid)), { what: `b's kube-apiserver (pid ${pid}) to be killed`, timeoutMs: 30_000 });
      const down = await waitApp(a, ns(), 'in-b', 'in-b Unknown', (x) => x.status?.sync?.status === 'Unknown');
      expect(condition(down, 'ClusterAvailable')).toMatchObject({ status: 'False', reason: 'ClusterUnavailable' });
      expect(condition(down, 'ClusterAvailable')?.message).toMatch(/^cluster "b": .*127\.0\.0\.1/);
      expect(down.status?.health?.status).toBe('Unknown');
      expect((await getApp(a, ns(), 'in-a')).status?.sync?.status).toBe('Synced');

      // A commit that removes a ConfigMap (a prune) and changes the image: a follows, b is left alone.
      const v2 = repo.commit({ 'a/slipway.yaml': spec(ns(), { image: 'registry.example/web:2.0.0' }), 'b/slipway.yaml': spec(ns(), { image: 'registry.example/web:2.0.0' }) }, 'v2');
      await waitApp(a, ns(), 'in-a', 'in-a synced v2 while b is down', synced(v2));
      expect(imageOf(await deploymentOf(a, ns()))).toBe('registry.example/web:2.0.0');
      const stillDown = await getApp(a, ns(), 'in-b');
      expect(stillDown.status?.sync?.status).toBe('Unknown');
      expect(stillDown.status?.revision).toBe(v1);
      // No sync was attempted against b: nothing in its history after v1.
      expect((stillDown.status?.history ?? []).filter((h) => h.revision === v2)).toEqual([]);

      // b back on the same data dir (same ports, certificates and etcd): in-b recovers to v2, pruned.
      // `cluster up` refuses a partly running cluster, so the rest of b is stopped first (`down` keeps the data dir).
      await run(SLIPWAY, ['cluster', 'down', '--name', cb.name, '--data-dir', cb.dataDir], { timeout: 120_000 });
      await run(SLIPWAY, upArgs(cb), { timeout: 300_000 });
      const back = await waitApp(a, ns(), 'in-b', 'in-b synced v2 after b is back', synced(v2));
      expect(condition(back, 'ClusterAvailable')).toMatchObject({ status: 'True' });
      expect(imageOf(await deploymentOf(bc, ns()))).toBe('registry.example/web:2.0.0');
      expect(await bc.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'settings' })).toBeUndefined();
      // in-a was not disturbed by any of it.
      expect((await getApp(a, ns(), 'in-a')).status?.history?.filter((h) => h.phase === 'Failed')).toEqual([]);

      // The cluster's credentials were never logged.
      expect(ctl.output()).not.toContain(bKey.slice(0, 40));
      expect(ctl.output()).toMatch(/cluster unreachable/);
      expect(ctl.output()).toMatch(/cluster reachable again/);
    } finally {
      ctl.kill('SIGTERM');
      await ctl.exited;
      await bc.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns().name }).catch(() => undefined);
      a.close();
      bc.close();
    }
  }, 600_000);
});
