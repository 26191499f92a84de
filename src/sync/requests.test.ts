/**
 * Request budget of the deploy engine against an in-memory apiserver stand-in: what a first
 * deploy, a no-op re-sync and an adoption cost in HTTP requests. These are the numbers the apply
 * benchmark (bench/apply.ts) depends on; a regression here shows up there as wall time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { KubeClient } from '../kube/index.ts';
import { deploy } from './engine.ts';
import { FakeApiserver } from './fake-apiserver.ts';

const cm = (name: string, value: string, labels?: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data: { value } });

describe('deploy request budget', () => {
  const api = new FakeApiserver();
  let client: KubeClient;
  beforeAll(async () => {
    client = await KubeClient.connect({ kubeconfig: await api.start() });
  });
  afterAll(async () => {
    client.close();
    await api.stop();
  });

  const run = async (objects: KubeObject[]): Promise<{ writes: number; actions: string[] }> => {
    api.log.length = 0;
    const r = await deploy({ client, app: 'shop', env: 'prod', namespace: 'ns', objects: objects.map((object) => ({ object })), wait: false, lint: false });
    expect(r.ok).toBe(true);
    return { writes: r.writes, actions: r.objects.map((o) => o.action) };
  };

  // Steps run in order against the same fake cluster.
  it.each<[string, () => KubeObject[], Record<string, number>, number]>([
    // Dry-run answers 201 for a new object: no GET per object to learn it is absent. The inventory
    // is created (POST: exclusive, so two first deploys cannot overwrite each other) tracking the
    // 20 objects before any is written, and the revision recorded at the end.
    ['first deploy of 20 new objects', () => Array.from({ length: 20 }, (_, i) => cm(`c${i}`, 'v1')), { 'GET configmaps/*': 0, 'PATCH dry configmaps/*': 20, 'PATCH configmaps/*': 20, 'POST secrets': 1, 'PATCH secrets/*': 1, 'GET configmaps': 1 }, 22],
    // Unchanged since the last revision and still live as applied: no dry-run, no write, one LIST.
    ['no-op re-sync', () => Array.from({ length: 20 }, (_, i) => cm(`c${i}`, 'v1')), { 'GET configmaps/*': 0, 'PATCH dry configmaps/*': 0, 'PATCH configmaps/*': 0, 'PATCH secrets/*': 0, 'GET configmaps': 1 }, 0],
    // One changed object: dry-run and apply it only; its live state comes from the LIST.
    ['one object changed', () => Array.from({ length: 20 }, (_, i) => cm(`c${i}`, i === 3 ? 'v2' : 'v1')), { 'GET configmaps/*': 0, 'PATCH dry configmaps/*': 1, 'PATCH configmaps/*': 1, 'PATCH secrets/*': 1 }, 2],
    // c19 dropped: pruned (a GET to check it is still ours, then DELETE) and the revision recorded.
    ['one object removed', () => Array.from({ length: 19 }, (_, i) => cm(`c${i}`, i === 3 ? 'v2' : 'v1')), { 'PATCH dry configmaps/*': 0, 'PATCH configmaps/*': 0, 'GET configmaps/*': 1, 'DELETE configmaps/*': 1, 'PATCH secrets/*': 1 }, 2],
  ])('%s', async (_n, objects, want, writes) => {
    const r = await run(objects());
    for (const [what, n] of Object.entries(want)) expect([what, api.count(what)]).toEqual([what, n]);
    expect(r.writes).toBe(writes);
  });

  it('adopting an unlabelled live object: dry-run says it exists, so it is read with a GET', async () => {
    api.put('ns', 'configmaps', cm('legacy', 'old'));
    const r = await run([...Array.from({ length: 19 }, (_, i) => cm(`c${i}`, i === 3 ? 'v2' : 'v1')), cm('legacy', 'new')]);
    expect(api.count('GET configmaps/*')).toBe(1);
    expect(api.count('PATCH dry configmaps/*')).toBe(1);
    expect(r.actions.filter((a) => a === 'configured')).toHaveLength(1);
  });
});
