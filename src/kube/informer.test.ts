import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlipwayError } from '../errors/index.ts';
import { KubeClient, type LiveObject } from './client.ts';
import { fakeApiserver, kubeconfigFor, statusBody, type FakeApiserver, type WatchCall } from './fake-apiserver.test-util.ts';
import { InformerFactory, SharedInformer } from './informer.ts';

const q = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team' } as const;
const fastBackoff = { backoffBaseMs: 10, backoffMaxMs: 50, pageSize: 2 };

let fake: FakeApiserver;
let client: KubeClient;
let ac: AbortController;
beforeEach(async () => {
  fake = await fakeApiserver();
  client = await KubeClient.connect({ kubeconfig: kubeconfigFor(fake.url), retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
  ac = new AbortController();
});
afterEach(async () => {
  ac.abort();
  client.close();
  await fake.close();
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Records handler calls as `add a@101`, `update a@105`, `delete b`. */
function recorder(inf: SharedInformer): { log: string[]; errors: SlipwayError[] } {
  const log: string[] = [];
  const errors: SlipwayError[] = [];
  const at = (o: LiveObject): string => `${o.metadata.name ?? ''}@${(o.metadata as { resourceVersion?: string }).resourceVersion ?? ''}`;
  inf.on({
    add: (o) => log.push(`add ${at(o)}`),
    update: (o) => log.push(`update ${at(o)}`),
    delete: (o) => log.push(`delete ${o.metadata.name ?? ''}`),
    error: (e) => errors.push(e),
  });
  return { log, errors };
}

const watchOf = (): WatchCall | undefined => fake.watches.at(-1);

describe('SharedInformer', () => {
  it('lists in pages, then applies watch events to its cache and handlers', async () => {
    fake.put('a');
    fake.put('b');
    fake.put('c');
    const inf = new SharedInformer(client, q, fastBackoff);
    const { log } = recorder(inf);
    void inf.run(ac.signal);
    await inf.waitForSync();
    expect(log).toEqual(['add a@101', 'add b@102', 'add c@103']);
    expect(fake.requests.filter((r) => r.path.endsWith('configmaps') && r.query.get('watch') !== 'true').map((r) => r.query.get('continue'))).toEqual([null, '2']);
    await until(() => watchOf() !== undefined, 'the watch');
    expect(watchOf()?.query.get('resourceVersion')).toBe('103');
    const w = watchOf();
    w?.send('ADDED', fake.put('d'));
    w?.send('MODIFIED', fake.put('a', { k: 'v' }));
    // A replay of what the cache already holds at the same version: no event.
    w?.send('MODIFIED', fake.store.get('b'));
    fake.store.delete('c');
    fake.rv++;
    w?.send('DELETED', { metadata: { name: 'c', namespace: 'team', resourceVersion: String(fake.rv) } });
    await until(() => log.length === 6, 'three events');
    expect(log.slice(3)).toEqual(['add d@104', 'update a@105', 'delete c']);
    expect(inf.list().map((o) => o.metadata.name).sort()).toEqual(['a', 'b', 'd']);
    expect(inf.get('a', 'team')?.['data']).toEqual({ k: 'v' });
  });

  it.each([
    ['stripManagedFields drops managedFields from the cache and the handlers', true, undefined],
    ['by default the cache keeps them', false, [{ manager: 'kubectl' }]],
  ])('%s', async (_n, strip, want) => {
    const withFields = (o: LiveObject): LiveObject => ({ ...o, metadata: { ...o.metadata, managedFields: [{ manager: 'kubectl' }] } });
    fake.store.set('a', withFields(fake.put('a')));
    const inf = new SharedInformer(client, q, { ...fastBackoff, stripManagedFields: strip });
    const seen: LiveObject[] = [];
    inf.on({ add: (o) => seen.push(o), update: (o) => seen.push(o) });
    void inf.run(ac.signal);
    await inf.waitForSync();
    await until(() => watchOf() !== undefined, 'the watch');
    const b = withFields(fake.put('b'));
    watchOf()?.send('ADDED', b);
    await until(() => seen.length === 2, 'the list and the watch event');
    for (const o of [...seen, inf.get('a', 'team'), inf.get('b', 'team')]) expect(o?.metadata['managedFields']).toEqual(want);
  });

  it('resumes a watch the server ended from the last event or bookmark, without relisting', async () => {
    fake.put('a');
    const inf = new SharedInformer(client, q, fastBackoff);
    void inf.run(ac.signal);
    await until(() => watchOf() !== undefined, 'the watch');
    watchOf()?.send('BOOKMARK', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '250' } });
    watchOf()?.end();
    await until(() => inf.stats.watches === 2 && watchOf() !== undefined, 'the second watch');
    expect(watchOf()?.query.get('resourceVersion')).toBe('250');
    expect(inf.stats.lists).toBe(1);
  });

  it('on 410 Gone relists and emits exactly the changes it missed', async () => {
    fake.put('keep');
    fake.put('change');
    fake.put('gone');
    const inf = new SharedInformer(client, q, fastBackoff);
    const { log, errors } = recorder(inf);
    void inf.run(ac.signal);
    await until(() => watchOf() !== undefined, 'the watch');
    // While the informer was not looking: one change, one delete, one new object.
    fake.put('change', { v: '2' });
    fake.store.delete('gone');
    fake.put('new');
    watchOf()?.send('ERROR', statusBody(410, 'Expired', 'too old resource version'));
    await until(() => inf.stats.lists === 2, 'the relist');
    expect(log).toEqual(['add change@102', 'add gone@103', 'add keep@101', 'update change@104', 'add new@105', 'delete gone']);
    expect(errors).toEqual([]);
    expect(inf.list().map((o) => `${o.metadata.name ?? ''}@${(o.metadata as { resourceVersion?: string }).resourceVersion ?? ''}`).sort()).toEqual(['change@104', 'keep@101', 'new@105']);
  });

  it('a watch answered 403 is reported as an error and retried with backoff; the informer recovers', async () => {
    fake.put('a');
    let denied = 3;
    fake.intercept = (_req, res, url) => {
      if (url.searchParams.get('watch') !== 'true' || denied === 0) return false;
      denied--;
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(403, 'Forbidden', 'configmaps is forbidden: User "u" cannot watch resource "configmaps" in API group "" in the namespace "team"')));
      return true;
    };
    const inf = new SharedInformer(client, q, fastBackoff);
    const { errors } = recorder(inf);
    void inf.run(ac.signal);
    await until(() => watchOf() !== undefined, 'the watch after the denials');
    expect(errors.map((e) => e.kind)).toEqual(['forbidden', 'forbidden', 'forbidden']);
    watchOf()?.send('ADDED', fake.put('b'));
    await until(() => inf.get('b', 'team') !== undefined, 'the event after recovery');
  });

  it('a handler that throws is reported and does not stop the informer or other handlers', async () => {
    const inf = new SharedInformer(client, q, fastBackoff);
    const errors: string[] = [];
    const seen: string[] = [];
    inf.on({ add: () => { throw new Error('bug in a reconciler'); }, error: (e) => errors.push(e.message) });
    inf.on({ add: (o) => seen.push(o.metadata.name ?? '') });
    void inf.run(ac.signal);
    await until(() => watchOf() !== undefined, 'the watch');
    watchOf()?.send('ADDED', fake.put('x'));
    watchOf()?.send('ADDED', fake.put('y'));
    await until(() => seen.length === 2, 'both events');
    expect(errors).toEqual(['informer handler for ConfigMap threw: bug in a reconciler', 'informer handler for ConfigMap threw: bug in a reconciler']);
  });

  it('stops when the signal aborts', async () => {
    const inf = new SharedInformer(client, q, fastBackoff);
    const running = inf.run(ac.signal);
    await until(() => watchOf() !== undefined, 'the watch');
    ac.abort();
    await expect(running).resolves.toBeUndefined();
  });
});

describe('InformerFactory', () => {
  it('hands every consumer of a query the same informer: one list and one watch for all', async () => {
    fake.put('a');
    const f = new InformerFactory(client, fastBackoff);
    const one = f.informer(q);
    const two = f.informer({ ...q });
    expect(two).toBe(one);
    const other = f.informer({ ...q, labelSelector: 'app=x' });
    expect(other).not.toBe(one);
    const a = recorder(one);
    const b = recorder(two);
    f.start(ac.signal);
    await f.waitForSync();
    await until(() => fake.watches.length === 2, 'two watches (two distinct queries)');
    expect(a.log).toEqual(['add a@101']);
    expect(b.log).toEqual(a.log);
    // A late consumer gets the cache replayed as adds.
    const late = recorder(one);
    expect(late.log).toEqual(['add a@101']);
  });
});
