/**
 * GitOps when things go wrong, on the real local control plane with the controller as a real
 * process: a bad commit, a repository that cannot be reached, and the controller killed (-9)
 * in the middle of a sync.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, type LiveObject } from '../../src/kube/index.ts';
import { idKey, readInventory } from '../../src/sync/index.ts';
import { testKubeconfigPath, useNamespace } from './harness.ts';
import { GitRepo, app, deploymentOf, deploymentYaml, ensureGitopsCrds, getApp, imageOf, spec, startGitops, synced, waitApp } from './gitops-harness.ts';

beforeAll(async () => {
  await ensureGitopsCrds(testKubeconfigPath());
});

const rv = (o: LiveObject | undefined): string | undefined => (o?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;

describe('gitops: a bad commit', () => {
  const ns = useNamespace('gitops-bad');

  it('fails with file:line:col from the repository, writes nothing, keeps the previous revision running; the next good commit recovers', async () => {
    const repo = new GitRepo();
    const web = (image: string, selector = 'api'): string => deploymentYaml('api', { image }).replaceAll('app: api', `app: ${selector}`);
    const v1 = repo.commit({ 'shop/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.0.0' }), 'k8s/api.yaml': web('registry.example/api:1.0.0') });
    const ctl = startGitops(ns(), 'bad');
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      await ctl.url;
      await c.apply(app(ns(), 'shop', 'bad', { source: { repoURL: repo.url, path: 'shop' }, syncPolicy: { interval: '1s', prune: true } }));
      await c.apply(app(ns(), 'api', 'bad', { source: { repoURL: repo.url, path: 'k8s' }, destination: { namespace: ns().name }, syncPolicy: { interval: '1s', prune: true } }));
      await waitApp(c, ns(), 'shop', 'shop v1', synced(v1));
      await waitApp(c, ns(), 'api', 'api v1', synced(v1));
      const before = { web: rv(await deploymentOf(c, ns(), 'web')), api: rv(await deploymentOf(c, ns(), 'api')), shopInv: (await readInventory({ client: c, app: 'shop', env: 'default', namespace: ns().name })).history.length };

      // An invalid spec (and a new image with it: it must not be deployed), and an object the apiserver refuses (a selector is immutable).
      const bad = repo.commit({ 'shop/slipway.yaml': spec(ns(), { image: 'registry.example/web:2.0.0' }).replace('replicas: 2', 'replicas: two'), 'k8s/api.yaml': web('registry.example/api:2.0.0', 'api-v2') }, 'bad');
      const shop = await waitApp(c, ns(), 'shop', 'shop: the bad commit failed', (a) => a.status?.lastSync?.revision === bad && a.status.lastSync.phase === 'Failed');
      expect(shop.status?.lastSync?.message).toMatch(/^shop\/slipway\.yaml:\d+:\d+: expected an integer, got a string/);
      expect(shop.status?.retry).toMatchObject({ revision: bad, exhausted: true });
      expect(shop.status?.revision).toBe(v1);
      expect(shop.status?.sync?.status).toBe('OutOfSync');
      expect(shop.status?.conditions?.find((x) => x.type === 'SourceAvailable')).toMatchObject({ status: 'False', reason: 'RenderFailed' });
      const api = await waitApp(c, ns(), 'api', 'api: the refused commit failed', (a) => a.status?.lastSync?.revision === bad && a.status.lastSync.phase === 'Failed');
      expect(api.status?.lastSync?.message).toMatch(/^k8s\/api\.yaml:\d+:\d+: .*(immutable|Invalid)/m);
      expect(api.status?.revision).toBe(v1);

      // Nothing written: the same objects (resourceVersions), the same revision history, the old images serving.
      expect(rv(await deploymentOf(c, ns(), 'web'))).toBe(before.web);
      expect(rv(await deploymentOf(c, ns(), 'api'))).toBe(before.api);
      expect(imageOf(await deploymentOf(c, ns(), 'web'))).toBe('registry.example/web:1.0.0');
      expect(imageOf(await deploymentOf(c, ns(), 'api'))).toBe('registry.example/api:1.0.0');
      expect((await readInventory({ client: c, app: 'shop', env: 'default', namespace: ns().name })).history).toHaveLength(before.shopInv);
      // Not retried: the same failure would come back (one failed sync of the bad commit each).
      const again = await getApp(c, ns(), 'shop');
      expect((again.status?.history ?? []).filter((h) => h.revision === bad)).toHaveLength(1);

      const good = repo.commit({ 'shop/slipway.yaml': spec(ns(), { image: 'registry.example/web:2.0.1' }), 'k8s/api.yaml': web('registry.example/api:2.0.1') }, 'fixed');
      await waitApp(c, ns(), 'shop', 'shop recovered', synced(good));
      await waitApp(c, ns(), 'api', 'api recovered', synced(good));
      expect(imageOf(await deploymentOf(c, ns(), 'web'))).toBe('registry.example/web:2.0.1');
      expect(imageOf(await deploymentOf(c, ns(), 'api'))).toBe('registry.example/api:2.0.1');
    } finally {
      c.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });
});

describe('gitops: the repository cannot be reached', () => {
  const ns = useNamespace('gitops-unreachable');

  it('error status and retries with backoff; nothing pruned, nothing written; back when the repository is; credentials never shown', async () => {
    const repo = new GitRepo();
    const v1 = repo.commit({ 'shop/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.0.0', configMaps: ['settings'] }) });
    const token = 'glpat-NEVERSHOWNtoken0123456789';
    const ctl = startGitops(ns(), 'away');
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      await ctl.url;
      await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-creds', namespace: ns().name }, stringData: { username: 'bot', password: token } });
      await c.apply(app(ns(), 'shop', 'away', { source: { repoURL: repo.url, path: 'shop' }, syncPolicy: { interval: '1s', prune: true, selfHeal: true, retry: { backoff: { duration: '500ms', maxDuration: '2s' } } } }));
      // A private https repository on a server that is down, with a token.
      await c.apply(app(ns(), 'private', 'away', { source: { repoURL: 'https://127.0.0.1:9/org/deploy.git', secretRef: { name: 'git-creds' } }, syncPolicy: { interval: '1s', retry: { backoff: { duration: '500ms', maxDuration: '2s' } } } }));
      await waitApp(c, ns(), 'shop', 'shop v1', synced(v1));
      const objects = async (): Promise<(string | undefined)[]> => [rv(await deploymentOf(c, ns(), 'web')), rv(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'settings' }))];
      const before = await objects();
      const inventoryBefore = rv(await c.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns().name, name: 'slipway-inventory-shop-default' }));

      repo.takeAway();
      const down = await waitApp(c, ns(), 'shop', 'shop Unknown, retried at least twice', (a) => a.status?.sync?.status === 'Unknown' && /attempt ([3-9]|\d\d)/.test(a.status.conditions?.find((x) => x.type === 'SourceAvailable')?.message ?? ''));
      const cond = down.status?.conditions?.find((x) => x.type === 'SourceAvailable');
      expect(cond).toMatchObject({ status: 'False' });
      expect(cond?.message).toMatch(/nothing is changed meanwhile/);
      expect(down.status?.revision).toBe(v1);
      expect(down.status?.health?.status).toBe('Healthy');
      expect(await objects()).toEqual(before);
      expect(rv(await c.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns().name, name: 'slipway-inventory-shop-default' }))).toBe(inventoryBefore);

      const priv = await waitApp(c, ns(), 'private', 'the private repository: Unknown', (a) => a.status?.sync?.status === 'Unknown');
      expect(priv.status?.conditions?.find((x) => x.type === 'SourceAvailable')?.message).toMatch(/https:\/\/127\.0\.0\.1:9\/org\/deploy\.git/);
      expect(JSON.stringify(priv.status)).not.toContain(token);

      repo.bringBack();
      const v2 = repo.commit({ 'shop/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.1.0', configMaps: ['settings'] }) }, 'after the outage');
      const up = await waitApp(c, ns(), 'shop', 'shop back and synced', synced(v2));
      expect(up.status?.conditions?.find((x) => x.type === 'SourceAvailable')?.status).toBe('True');
      expect(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'settings' })).toBeDefined();

      const events = await c.list({ apiVersion: 'v1', kind: 'Event', namespace: ns().name });
      expect(JSON.stringify(events)).not.toContain(token);
      expect(ctl.output()).not.toContain(token);
      expect(events.some((e) => e['reason'] === 'SourceUnavailable')).toBe(true);
    } finally {
      c.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });
});

describe('gitops: kill -9 of the controller in the middle of a sync', () => {
  const ns = useNamespace('gitops-crash');

  it('the next controller resumes the sync: nothing half-pruned, the inventory consistent', async () => {
    const repo = new GitRepo();
    const v1 = repo.commit({ 'shop/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.0.0', configMaps: ['keep', 'drop'] }) });
    const first = startGitops(ns(), 'crash');
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    let second: ReturnType<typeof startGitops> | undefined;
    try {
      await first.url;
      await c.apply(app(ns(), 'shop', 'crash', { source: { repoURL: repo.url, path: 'shop' }, syncPolicy: { interval: '1s', prune: true } }));
      await waitApp(c, ns(), 'shop', 'v1', synced(v1));

      // v2: a new image on pods that take ~20 s to become ready, and a ConfigMap less (pruned only once v2 is healthy).
      const v2 = repo.commit({ 'shop/slipway.yaml': spec(ns(), { image: 'registry.example/web:2.0.0', configMaps: ['keep'], podLabels: { 'slipway.dev/simulate': 'slow-ready' } }) }, 'v2');
      const running = await waitApp(c, ns(), 'shop', 'the v2 sync running', (a) => a.status?.operation?.phase === 'Running' && a.status.operation.revision === v2);
      const applied = async (): Promise<boolean> => imageOf(await deploymentOf(c, ns())) === 'registry.example/web:2.0.0';
      for (let i = 0; i < 200 && !(await applied()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await applied()).toBe(true);
      first.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');

      // Killed between apply and prune: the old ConfigMap is still there, and still tracked.
      expect(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'drop' })).toBeDefined();
      const mid = await readInventory({ client: c, app: 'shop', env: 'default', namespace: ns().name });
      expect(mid.objects.map((id) => id.name)).toContain('drop');
      expect((await getApp(c, ns(), 'shop')).status?.operation?.id).toBe(running.status?.operation?.id);

      second = startGitops(ns(), 'crash');
      await second.url;
      const done = await waitApp(c, ns(), 'shop', 'v2 synced by the next controller', synced(v2));
      expect(done.status?.lastSync).toMatchObject({ id: running.status?.operation?.id, trigger: 'resume', phase: 'Succeeded', revision: v2 });
      expect(done.status?.operation).toBeUndefined();
      expect(done.status?.history?.filter((h) => h.revision === v2)).toHaveLength(1);
      expect(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'drop' })).toBeUndefined();
      expect(await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'keep' })).toBeDefined();
      // The inventory tracks exactly what v2 deployed, and its latest revision is a success holding those objects.
      const inv = await readInventory({ client: c, app: 'shop', env: 'default', namespace: ns().name });
      const latest = inv.history.at(-1);
      expect(latest?.status).toBe('succeeded');
      const deployed = (inv.manifests.get(latest?.revision ?? 0) ?? []).map((o) => idKey({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name ?? '' })).sort();
      expect(inv.objects.map(idKey).sort()).toEqual(deployed);
      expect(deployed.some((k) => k.endsWith('/drop'))).toBe(false);
    } finally {
      c.close();
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      if (second) await second.exited;
    }
  });
});
