/**
 * What a caller that already has the live objects (a controller's informers, DeployOptions.live)
 * and the inventory (DeployOptions.inventory, onInventory) saves the engine in requests, against
 * the in-memory apiserver (fake-apiserver.ts), and that the runs do exactly the same otherwise:
 * each step runs twice, in two namespaces holding the same objects, once with what the caller
 * has and once without, and the results and the other requests must be the same.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { KubeClient } from '../kube/index.ts';
import { deploy } from './engine.ts';
import { FakeApiserver, type FakeAnswer } from './fake-apiserver.ts';
import { idKey, type Inventory } from './inventory.ts';
import { LABEL_APP } from './prepare.ts';
import { readInventory } from './store.ts';
import type { DeployOptions, DeployResult, LiveCache } from './types.ts';

const cm = (name: string, value = 'v1', labels?: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data: { value } });
const svc = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } });
const RESOURCE: Record<string, string> = { ConfigMap: 'configmaps', Service: 'services', Secret: 'secrets' };

/** A cache of `kinds` that is always current (it reads the fake's store); other kinds are uncached. */
function cacheOf(api: FakeApiserver, kinds: readonly string[]): LiveCache {
  return {
    get: (id) => (kinds.includes(id.kind) ? api.get(id.namespace ?? '', RESOURCE[id.kind] ?? '', id.name) : 'uncached'),
    list: (q) => (kinds.includes(q.kind) ? [...api.objects].filter(([k, o]) => k.startsWith(`${q.namespace ?? ''}/${RESOURCE[q.kind] ?? ''}/`) && o.metadata.labels?.[LABEL_APP] === q.app).map(([, o]) => o) : 'uncached'),
    changed: (_ids, ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** A result without its namespace and timing: the same in both namespaces when the runs behaved the same. */
function comparable(r: DeployResult): unknown {
  const id = (i: { kind: string; name: string }): string => `${i.kind}/${i.name}`;
  return {
    ok: r.ok,
    revision: r.revision,
    writes: r.writes,
    objects: r.objects.map((o) => `${id(o.id)} ${o.action}`).sort(),
    pruned: r.pruned.map(id).sort(),
    warnings: r.warnings,
    error: r.error?.message,
  };
}

/** The inventory as a caller uses it: what it tracks, its history, the objects of each stored revision, its version. */
function contentOf(inv: Inventory): unknown {
  return { objects: inv.objects.map(idKey).sort(), history: inv.history, revisions: [...inv.manifests.keys()].map((r) => [r, inv.manifests.get(r)]), resourceVersion: inv.resourceVersion };
}

const without = (log: readonly string[], drop: readonly string[]): string[] => log.filter((l) => !drop.includes(l)).sort();

describe('engine: what the caller already has', () => {
  const api = new FakeApiserver();
  let client: KubeClient;
  beforeAll(async () => {
    client = await KubeClient.connect({ kubeconfig: await api.start() });
  });
  afterAll(async () => {
    client.close();
    await api.stop();
  });

  const run = async (namespace: string, objects: readonly KubeObject[], extra: Partial<DeployOptions>): Promise<{ result: DeployResult; log: string[] }> => {
    api.log.length = 0;
    const result = await deploy({ client, app: 'shop', env: 'prod', namespace, objects: objects.map((object) => ({ object })), wait: false, lint: false, ...extra });
    return { result, log: [...api.log] };
  };

  /** Someone else changes an object live (kept as applied otherwise: slipway still owns its fields). */
  const edit = (namespace: string, name: string): void => {
    const o = api.get(namespace, 'configmaps', name);
    if (o) api.put(namespace, 'configmaps', { ...o, data: { value: 'edited' } });
  };

  describe('with a live cache of ConfigMaps: no LIST of them, the same results and the same other requests', () => {
    const objects = (n: number, changed?: string): KubeObject[] => [...Array.from({ length: n }, (_, i) => cm(`c${i}`, `c${i}` === changed ? 'v2' : 'v1')), svc('web')];
    // Steps run in order, in namespace `cached` (ConfigMaps from the cache) and `listed` (no cache).
    it.each<[string, () => void, () => KubeObject[], Record<string, number>]>([
      ['first deploy', () => undefined, () => objects(5), { 'PATCH configmaps/*': 5 }],
      ['no-op re-sync', () => undefined, () => objects(5), { 'PATCH dry configmaps/*': 0, 'PATCH configmaps/*': 0 }],
      ['one object changed', () => undefined, () => objects(5, 'c2'), { 'PATCH dry configmaps/*': 1, 'PATCH configmaps/*': 1 }],
      // The cache shows the edit: c1 is dry-run and applied again, as after a LIST.
      ['an object edited live', () => ['cached', 'listed'].forEach((ns) => edit(ns, 'c1')), () => objects(5, 'c2'), { 'PATCH dry configmaps/*': 1, 'PATCH configmaps/*': 1 }],
      ['one object removed', () => undefined, () => objects(4, 'c2'), { 'DELETE configmaps/*': 1 }],
      // Not labelled as the app's: in neither the LIST nor the cache's list; the dry-run says it exists, a GET reads it.
      ['adopting an unlabelled object', () => ['cached', 'listed'].forEach((ns) => api.put(ns, 'configmaps', cm('legacy', 'old'))), () => [...objects(4, 'c2'), cm('legacy', 'new')], { 'GET configmaps/*': 1, 'PATCH configmaps/*': 1 }],
    ])('%s', async (_n, before, desired, want) => {
      before();
      const cached = await run('cached', desired(), { live: cacheOf(api, ['ConfigMap']) });
      const listed = await run('listed', desired(), {});
      expect(comparable(cached.result)).toEqual(comparable(listed.result));
      expect(cached.result.ok).toBe(true);
      for (const [what, n] of Object.entries(want)) expect([what, cached.log.filter((l) => l === what).length]).toEqual([what, n]);
      // The only difference: the LIST of ConfigMaps. Services, which the cache does not hold, are still listed.
      expect(cached.log.filter((l) => l === 'GET configmaps')).toHaveLength(0);
      expect(listed.log.filter((l) => l === 'GET configmaps')).toHaveLength(1);
      expect(cached.log.filter((l) => l === 'GET services')).toHaveLength(1);
      expect(cached.log.sort()).toEqual(without(listed.log, ['GET configmaps']));
      const state = (ns: string): unknown => [...api.objects].filter(([k]) => k.startsWith(`${ns}/configmaps/`)).map(([k, o]) => [k.slice(ns.length), o.data]);
      expect(state('cached')).toEqual(state('listed'));
    });
  });

  describe('with the inventory given: no read of its Secret, the same results and the same other requests', () => {
    let kept: Inventory | undefined;
    beforeAll(async () => {
      // What the caller read for its own use before the first run (GitOps: the baseline of drift detection).
      kept = await readInventory({ client, app: 'shop', env: 'prod', namespace: 'given' });
    });
    it.each<[string, () => KubeObject[]]>([
      ['first deploy (no Secret yet)', () => [cm('a'), cm('b'), cm('c')]],
      ['no-op re-sync', () => [cm('a'), cm('b'), cm('c')]],
      ['one object changed', () => [cm('a'), cm('b', 'v2'), cm('c')]],
      ['one object removed: pruned from what the given inventory tracks', () => [cm('a'), cm('b', 'v2')]],
    ])('%s', async (_n, desired) => {
      let reported: Inventory | undefined;
      const given = await run('given', desired(), { ...(kept ? { inventory: kept } : {}), onInventory: (inv) => (reported = inv) });
      const read = await run('read', desired(), {});
      expect(comparable(given.result)).toEqual(comparable(read.result));
      expect(given.log.filter((l) => l === 'GET secrets/*')).toHaveLength(0);
      expect(read.log.filter((l) => l === 'GET secrets/*')).toHaveLength(1);
      expect(given.log.sort()).toEqual(without(read.log, ['GET secrets/*']));
      // What the engine reports is what a read returns now: the caller keeps it for the next run.
      expect(reported).toBeDefined();
      if (reported) expect(contentOf(reported)).toStrictEqual(contentOf(await readInventory({ client, app: 'shop', env: 'prod', namespace: 'given' })));
      kept = reported;
    });
  });

  it('the inventory reported leaves out the revisions the Secret has no room for, as a read does', async () => {
    const t = { client, app: 'big', env: 'prod', namespace: 'budget' };
    let reported: Inventory | undefined;
    // ~400 KiB of gzip per revision (random data): the Secret keeps the objects of the newest two.
    for (let i = 0; i < 3; i++) {
      const r = await deploy({ ...t, objects: [{ object: cm('blob', randomBytes(400 * 1024).toString('base64')) }], wait: false, lint: false, onInventory: (inv) => (reported = inv) });
      expect(r.ok).toBe(true);
    }
    const read = await readInventory(t);
    expect([...read.manifests.keys()]).toEqual([2, 3]);
    expect(reported && contentOf(reported)).toStrictEqual(contentOf(read));
  });

  it.each<[string, (n: number) => FakeAnswer | undefined, boolean]>([
    // A refused write is read again and written on top: what the engine then holds is the Secret's.
    ['written after a conflict', (n) => (n === 1 ? { status: 409, body: { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' } } : undefined), true],
    // The revision could not be recorded: what the Secret holds is not known, the caller reads it.
    ['not written (the record failed)', (n) => (n === 2 ? { status: 500, body: { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd is on fire' } } : undefined), false],
  ])('an inventory %s: reported only when it is what the Secret holds', async (_n, answer, reports) => {
    const t = { client, app: 'shop', env: 'prod', namespace: `faults-${String(reports)}` };
    expect((await deploy({ ...t, objects: [{ object: cm('a') }], wait: false, lint: false })).ok).toBe(true);
    let writes = 0;
    api.intercept = (r) => (r.resource === 'secrets' && r.method === 'PATCH' && !r.dry ? answer(++writes) : undefined);
    let reported: Inventory | undefined;
    try {
      const r = await deploy({ ...t, objects: [{ object: cm('a') }, { object: cm('b') }], wait: false, lint: false, onInventory: (inv) => (reported = inv) });
      expect(r.ok).toBe(true);
    } finally {
      api.intercept = undefined;
    }
    expect(reported !== undefined).toBe(reports);
    if (reported) expect(contentOf(reported)).toStrictEqual(contentOf(await readInventory(t)));
  });
});
