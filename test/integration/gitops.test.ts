/**
 * GitOps on the real local control plane: a real git repository on disk (file://), the
 * controller as a real process (`slipway controller run`), SlipwayApps in their own namespace.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/index.ts';
import { installManifests } from '../../src/gitops/index.ts';
import { CONTROLLER_NAME, CONTROLLER_NAMESPACE } from '../../src/rollout/index.ts';
import { readInventory } from '../../src/sync/index.ts';
import { testKubeconfigPath, useNamespace, waitFor } from './harness.ts';
import { cli, serviceAccountKubeconfig, startController } from './rollout-harness.ts';
import { GitRepo, app, deploymentOf, deploymentYaml, ensureGitopsCrds, getApp, imageOf, kubectl, replicasOf, spec, startGitops, synced, waitApp } from './gitops-harness.ts';

beforeAll(async () => {
  await ensureGitopsCrds(testKubeconfigPath());
});

describe('gitops: a slipway.yaml in git, synced and kept in sync', () => {
  const ns = useNamespace('gitops-sync');

  it('becomes Synced and Healthy with the deployed commit in status; a new commit syncs within the interval; the CLI shows it', async () => {
    const repo = new GitRepo();
    const v1 = repo.commit({ 'apps/shop/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.0.0' }), 'README.md': 'hello\n' });
    const ctl = startGitops(ns(), 'sync');
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      await ctl.url;
      await c.apply(app(ns(), 'shop', 'sync', { source: { repoURL: repo.url, path: 'apps/shop' }, syncPolicy: { interval: '2s' } }));
      const a1 = await waitApp(c, ns(), 'shop', 'v1 Synced and Healthy', synced(v1));
      expect(a1.status?.sync?.ref).toBe('HEAD');
      expect(a1.status?.lastSync).toMatchObject({ phase: 'Succeeded', revision: v1, trigger: 'auto', inventoryRevision: 1 });
      expect(a1.status?.lastSync?.resources?.find((r) => r.kind === 'Deployment')).toMatchObject({ name: 'web', action: 'created' });
      expect(imageOf(await deploymentOf(c, ns()))).toBe('registry.example/web:1.0.0');
      // Deployed through the engine of `slipway deploy`: its inventory and history, under the app's name.
      const inv = await readInventory({ client: c, app: 'shop', env: 'default', namespace: ns().name });
      expect(inv.history.at(-1)?.message).toContain(v1.slice(0, 7));

      const v2 = repo.commit({ 'apps/shop/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.1.0' }) }, 'web 1.1.0');
      const a2 = await waitApp(c, ns(), 'shop', 'v2 synced by itself', synced(v2));
      expect(imageOf(await deploymentOf(c, ns()))).toBe('registry.example/web:1.1.0');
      expect(a2.status?.history?.map((h) => [h.revision, h.phase])).toEqual([[v1, 'Succeeded'], [v2, 'Succeeded']]);

      // A commit that changes nothing deployed: synced, no new inventory revision.
      const v3 = repo.commit({ 'README.md': 'hello again\n' }, 'docs');
      const a3 = await waitApp(c, ns(), 'shop', 'v3 (docs only) synced', synced(v3));
      expect(a3.status?.lastSync?.inventoryRevision).toBeUndefined();

      const list = await cli(ns(), 'app', 'list');
      expect(list.code).toBe(0);
      expect(list.out).toMatch(/NAME\s+SYNC\s+HEALTH\s+REVISION\s+AGE/);
      expect(list.out).toMatch(new RegExp(`shop\\s+Synced\\s+Healthy\\s+${v3.slice(0, 7)}`));
      const got = await cli(ns(), 'app', 'get', 'shop', '-o', 'json');
      expect(got.code).toBe(0);
      expect((JSON.parse(got.out) as { status: { revision: string } }).status.revision).toBe(v3);
      const hist = await cli(ns(), 'app', 'history', 'shop');
      expect(hist.out.split('\n').filter((l) => /^\d+ /.test(l))).toHaveLength(3);
      const diff = await cli(ns(), 'app', 'diff', 'shop');
      expect(diff.code).toBe(0);
      // kubectl's printer columns.
      expect(kubectl(ns(), 'get', 'slipwayapps')).toMatch(new RegExp(`shop\\s+Synced\\s+Healthy\\s+${v3}`));

      // Deleted with what it deployed (the cascade finalizer, handled by the controller).
      const del = await cli(ns(), 'app', 'delete', 'shop');
      expect(del.code, del.err + del.out).toBe(0);
      expect(del.out).toContain('deleted (with what it deployed)');
      expect(await deploymentOf(c, ns())).toBeUndefined();
      expect(await c.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns().name, name: 'slipway-inventory-shop-default' })).toBeUndefined();
    } finally {
      c.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });
});

describe('gitops: drift', () => {
  const ns = useNamespace('gitops-drift');

  it('kubectl scale is healed with selfHeal; without it the app is OutOfSync with the diff and who changed it; sync repairs it', async () => {
    const repo = new GitRepo();
    // One app from a slipway.yaml, one from plain manifests (two slipway.yaml apps would both own the namespace's objects).
    const head = repo.commit({ 'heal/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.0.0' }).replace('  web:', '  healed:'), 'watch/watched.yaml': deploymentYaml('watched', { image: 'registry.example/web:1.0.0' }) });
    const ctl = startGitops(ns(), 'drift');
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      await ctl.url;
      await c.apply(app(ns(), 'heal', 'drift', { source: { repoURL: repo.url, path: 'heal' }, syncPolicy: { selfHeal: true, interval: '1h' } }));
      await c.apply(app(ns(), 'watch', 'drift', { source: { repoURL: repo.url, path: 'watch' }, destination: { namespace: ns().name }, syncPolicy: { interval: '1h' } }));
      await waitApp(c, ns(), 'heal', 'heal synced', synced(head));
      await waitApp(c, ns(), 'watch', 'watch synced', synced(head));

      kubectl(ns(), 'scale', 'deployment/healed', '--replicas=5');
      // Repaired from the informer event, not a timer (the interval is an hour).
      await waitFor(async () => replicasOf(await deploymentOf(c, ns(), 'healed')) === 2 || undefined, { what: 'healed back to 2 replicas', timeoutMs: 30_000, intervalMs: 50 });
      const healed = await waitApp(c, ns(), 'heal', 'heal Synced after healing', (a) => a.status?.sync?.status === 'Synced' && a.status.lastSync?.trigger === 'selfHeal' && a.status.lastSync.phase === 'Succeeded');
      expect(healed.status?.revision).toBe(head);

      kubectl(ns(), 'scale', 'deployment/watched', '--replicas=5');
      const drifted = await waitApp(c, ns(), 'watch', 'watch OutOfSync', (a) => a.status?.sync?.status === 'OutOfSync' && (a.status.drift?.total ?? 0) > 0);
      const d = drifted.status?.drift?.objects[0];
      expect(d).toMatchObject({ kind: 'Deployment', name: 'watched' });
      expect(d?.fields).toEqual([{ path: 'spec.replicas', desired: '2', live: '5', by: 'kubectl (scale)' }]);
      expect(d?.diff).toMatch(/-spec.replicas: 5\n\+spec.replicas: 2/);
      expect(replicasOf(await deploymentOf(c, ns(), 'watched'))).toBe(5);
      expect(drifted.status?.conditions?.find((x) => x.type === 'Synced')).toMatchObject({ status: 'False', reason: 'Drifted' });
      const diff = await cli(ns(), 'app', 'diff', 'watch');
      expect(diff.code).toBe(1);
      expect(diff.out).toContain('+spec.replicas: 2');
      const get = await cli(ns(), 'app', 'get', 'watch');
      expect(get.out).toMatch(/spec\.replicas: 5 → 2\s+changed by kubectl \(scale\)/);

      const sync = await cli(ns(), 'app', 'sync', 'watch');
      expect(sync.code, sync.err + sync.out).toBe(0);
      expect(replicasOf(await deploymentOf(c, ns(), 'watched'))).toBe(2);
      await waitApp(c, ns(), 'watch', 'watch Synced after a manual sync', (a) => a.status?.sync?.status === 'Synced' && a.status.lastSync?.trigger === 'manual');
    } finally {
      c.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });

  it('replicas set by an autoscaler are neither drift nor reverted, with or without selfHeal; a person\'s kubectl edit of the image is', async () => {
    // Plain manifests with replicas AND an HPA: the hard case (a slipway.yaml with autoscaling leaves replicas out).
    const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 1
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: api
          image: registry.example/api:1.0.0
          resources: { requests: { cpu: 0.1, memory: 16Mi }, limits: { memory: 32Mi } }
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: api }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: api }
  minReplicas: 3
  maxReplicas: 6
  metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } } }]
`;
    const repo = new GitRepo();
    const v1 = repo.commit({ 'k8s/api.yaml': manifests });
    const ctl = startGitops(ns(), 'hpa');
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      await ctl.url;
      await c.apply(app(ns(), 'api', 'hpa', { source: { repoURL: repo.url, path: 'k8s' }, destination: { namespace: ns().name }, syncPolicy: { selfHeal: true, interval: '1h' } }));
      await waitApp(c, ns(), 'api', 'api synced', synced(v1));
      // The local control plane runs no HPA controller (no metrics API), so the test writes what the
      // HPA controller writes when replicas are below minReplicas: the scale subresource, under its
      // field manager (kube-controller-manager, the process it runs in).
      const scaled = await c.transport.request({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${ns().name}/deployments/api/scale`, query: { fieldManager: 'kube-controller-manager' }, contentType: 'application/merge-patch+json', body: { spec: { replicas: 3 } } });
      expect(scaled.status).toBe(200);
      const seen = await waitApp(c, ns(), 'api', 'the autoscaler\'s replicas seen as not drift', (a) => (a.status?.drift?.ignored ?? []).some((x) => x.path === 'spec.replicas'));
      expect(seen.status?.drift?.ignored).toEqual([{ kind: 'Deployment', name: 'api', path: 'spec.replicas', reason: 'autoscaler', by: 'kube-controller-manager (scale)' }]);
      expect(seen.status?.sync?.status).toBe('Synced');
      expect(replicasOf(await deploymentOf(c, ns(), 'api'))).toBe(3);

      // A new commit is synced without taking the replicas back (they are left out of the apply).
      const v2 = repo.commit({ 'k8s/api.yaml': manifests.replace('api:1.0.0', 'api:1.1.0') });
      await c.apply(app(ns(), 'api', 'hpa', { source: { repoURL: repo.url, path: 'k8s' }, destination: { namespace: ns().name }, syncPolicy: { selfHeal: true, interval: '2s' } }));
      await waitApp(c, ns(), 'api', 'v2 synced', synced(v2));
      const d = await deploymentOf(c, ns(), 'api');
      expect(imageOf(d)).toBe('registry.example/api:1.1.0');
      expect(replicasOf(d)).toBe(3);
      const history = (await getApp(c, ns(), 'api')).status?.history ?? [];
      expect(history.filter((h) => h.trigger === 'selfHeal')).toEqual([]);

      // The same write by a person (kubectl's own field manager) is drift, and healed.
      kubectl(ns(), 'set', 'image', 'deployment/api', 'api=registry.example/api:evil');
      await waitFor(async () => imageOf(await deploymentOf(c, ns(), 'api')) === 'registry.example/api:1.1.0' || undefined, { what: 'the image edit healed', timeoutMs: 30_000, intervalMs: 50 });
      expect(replicasOf(await deploymentOf(c, ns(), 'api'))).toBe(3);
    } finally {
      c.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });
});

describe('gitops: prune', () => {
  const ns = useNamespace('gitops-prune');

  it('prune on: an object removed from git is deleted; prune off: it stays, reported (OutOfSync), until `slipway app sync --prune`', async () => {
    const repo = new GitRepo();
    const files = (cms: string[]): Record<string, string> => ({
      'on/slipway.yaml': spec(ns(), { image: 'registry.example/web:1.0.0', configMaps: cms.map((x) => `on-${x}`) }),
      'off/off.yaml': deploymentYaml('off', { image: 'registry.example/web:1.0.0', configMaps: cms.map((x) => `off-${x}`) }),
    });
    const v1 = repo.commit(files(['a', 'b']));
    const ctl = startGitops(ns(), 'prune');
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    const cm = (name: string) => c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name });
    try {
      await ctl.url;
      await c.apply(app(ns(), 'on', 'prune', { source: { repoURL: repo.url, path: 'on' }, syncPolicy: { prune: true, interval: '2s' } }));
      await c.apply(app(ns(), 'off', 'prune', { source: { repoURL: repo.url, path: 'off' }, destination: { namespace: ns().name }, syncPolicy: { interval: '2s' } }));
      await waitApp(c, ns(), 'on', 'on synced', synced(v1));
      await waitApp(c, ns(), 'off', 'off synced', synced(v1));
      expect(await cm('on-b')).toBeDefined();

      const v2 = repo.commit(files(['a']), 'drop b');
      const on = await waitApp(c, ns(), 'on', 'on synced at v2', synced(v2));
      expect(await cm('on-b')).toBeUndefined();
      expect(await cm('on-a')).toBeDefined();
      expect(on.status?.lastSync?.resources).toContainEqual({ kind: 'ConfigMap', namespace: ns().name, name: 'on-b', action: 'pruned' });

      const off = await waitApp(c, ns(), 'off', 'off deployed v2 and reports what it did not prune', (a) => a.status?.revision === v2 && (a.status.prunable ?? []).length > 0);
      expect(off.status?.prunable).toEqual([{ kind: 'ConfigMap', namespace: ns().name, name: 'off-b' }]);
      expect(off.status?.sync?.status).toBe('OutOfSync');
      expect(off.status?.conditions?.find((x) => x.type === 'Synced')?.reason).toBe('PruneRequired');
      expect(await cm('off-b')).toBeDefined();

      const sync = await cli(ns(), 'app', 'sync', 'off', '--prune');
      expect(sync.code, sync.err + sync.out).toBe(0);
      expect(await cm('off-b')).toBeUndefined();
      await waitApp(c, ns(), 'off', 'off Synced after the manual prune', synced(v2));
    } finally {
      c.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });
});

describe('gitops: RBAC is least privilege, proven by running under the installed ServiceAccount', () => {
  const ns = useNamespace('gitops-rbac');

  it('a controller authenticated as slipway-system/slipway-controller syncs a slipway.yaml app, heals drift, and may not create Roles', async () => {
    const admin = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    // The in-cluster install with GitOps, the Deployment at 0 replicas: this test runs the process itself.
    for (const o of installManifests({ image: 'registry.example/slipway:test', replicas: 0 })) await admin.apply(o, { force: true });
    const kubeconfig = await serviceAccountKubeconfig(ns(), CONTROLLER_NAMESPACE, CONTROLLER_NAME);
    const repo = new GitRepo();
    const v1 = repo.commit({ 'slipway.yaml': spec(ns(), { image: 'registry.example/web:1.0.0', configMaps: ['settings'] }) });
    const ctl = startController({ ns: ns(), instance: 'rbac', kubeconfig, leaseNamespace: CONTROLLER_NAMESPACE, args: ['--gitops-cache-dir', mkdtempSync(join(tmpdir(), 'slipway-gitops-cache-'))] });
    const asSa = await KubeClient.connect({ kubeconfig });
    try {
      await ctl.url;
      await admin.apply(app(ns(), 'shop', 'rbac', { source: { repoURL: repo.url }, syncPolicy: { selfHeal: true, prune: true, interval: '2s' } }));
      await waitApp(admin, ns(), 'shop', 'synced under the ServiceAccount', synced(v1));
      kubectl(ns(), 'scale', 'deployment/web', '--replicas=4');
      await waitFor(async () => replicasOf(await deploymentOf(admin, ns())) === 2 || undefined, { what: 'healed under the ServiceAccount', timeoutMs: 30_000, intervalMs: 50 });
      const v2 = repo.commit({ 'slipway.yaml': spec(ns(), { image: 'registry.example/web:1.1.0' }) });
      await waitApp(admin, ns(), 'shop', 'v2 (a ConfigMap pruned) under the ServiceAccount', synced(v2));
      expect(await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'settings' })).toBeUndefined();
      expect(ctl.output()).not.toMatch(/"kind":"forbidden"/);
      expect(ctl.output()).not.toMatch(/GitOps is off/);
      // Not in the deployer role: RBAC objects (a controller that may create Roles may grant itself anything).
      const denied = await asSa.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'x', namespace: ns().name }, rules: [] }).catch((e: unknown) => e);
      expect((denied as { kind?: string }).kind).toBe('forbidden');
    } finally {
      // The GitOps grants are cluster-wide: gone again, so that other tests see the ServiceAccount with progressive delivery's rules only.
      for (const o of installManifests({ image: 'unused' }).filter((x) => x.kind === 'ClusterRole' || x.kind === 'ClusterRoleBinding')) {
        if ((o.metadata.name ?? '').startsWith('slipway-gitops')) await admin.delete({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '' });
      }
      asSa.close();
      admin.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });
});

describe('gitops: a webhook push refreshes at once', () => {
  const ns = useNamespace('gitops-hook');

  it('a signed push to the app\'s branch syncs the new commit without waiting for the interval; a bad signature changes nothing', async () => {
    const repo = new GitRepo();
    const v1 = repo.commit({ 'k8s/web.yaml': deploymentYaml('web', { image: 'registry.example/web:1.0.0' }) });
    const ctl = startGitops(ns(), 'hook');
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      const base = await ctl.url;
      const key = 'test-webhook-key-0123456789';
      await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hook', namespace: ns().name, labels: { 'slipway.dev/secret-type': 'webhook' } }, stringData: { url: repo.url, secret: key } });
      await c.apply(app(ns(), 'web', 'hook', { source: { repoURL: repo.url, revision: 'main', path: 'k8s' }, destination: { namespace: ns().name }, syncPolicy: { interval: '1h' } }));
      await waitApp(c, ns(), 'web', 'v1', synced(v1));
      const v2 = repo.commit({ 'k8s/web.yaml': deploymentYaml('web', { image: 'registry.example/web:2.0.0' }) });
      const push = async (secret: string): Promise<Response> => {
        const body = JSON.stringify({ repoURL: repo.url, branch: 'main', commit: v2 });
        const ts = String(Math.floor(Date.now() / 1000));
        const sig = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
        return fetch(`${base}/webhooks/generic`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slipway-timestamp': ts, 'x-slipway-signature': `sha256=${sig}` }, body });
      };
      // The receiver reads its keys from a watch on the labelled Secrets: until it has seen the new one, `no-secret`.
      let bad = (await (await push('wrong-key')).json()) as { error?: string };
      for (let i = 0; i < 40 && bad.error === 'no-secret'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        bad = (await (await push('wrong-key')).json()) as { error?: string };
      }
      expect(bad.error).toBe('bad-signature');
      await new Promise((r) => setTimeout(r, 1500));
      expect((await getApp(c, ns(), 'web')).status?.sync?.revision).toBe(v1);
      const res = await push(key);
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ status: 'accepted', applications: 1 });
      await waitApp(c, ns(), 'web', 'v2 synced after the push (the interval is an hour)', synced(v2));
      expect(imageOf(await deploymentOf(c, ns()))).toBe('registry.example/web:2.0.0');
    } finally {
      c.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });
});
