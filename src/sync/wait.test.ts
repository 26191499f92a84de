import { describe, expect, it } from 'vitest';
import type { KubeClient, LiveObject, ObjectId } from '../kube/index.ts';
import { idKey } from './inventory.ts';
import type { LiveCache } from './types.ts';
import { waitHealthy } from './wait.ts';

const id: ObjectId = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'a', name: 'web' };
const cm: ObjectId = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'cfg' };

const deployment = (generation: number, observed: number, available: number): LiveObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'a', generation },
  spec: { replicas: 1 },
  status: { observedGeneration: observed, replicas: 1, updatedReplicas: available, availableReplicas: available, readyReplicas: available, conditions: [{ type: 'Available', status: available > 0 ? 'True' : 'False' }] },
});

/** A cache whose object changes by `set`, waking waiters the way an informer event does. */
function cache(initial: Map<string, LiveObject | 'uncached'>): LiveCache & { set(k: ObjectId, o: LiveObject): void; reads: number } {
  const objs = new Map(initial);
  let wake: (() => void)[] = [];
  return {
    reads: 0,
    get(i) {
      this.reads++;
      const o = objs.get(idKey(i));
      return o;
    },
    // The health wait reads objects one by one; listing is the snapshot's (engine-live-cache.test.ts).
    list: () => 'uncached',
    changed: (_ids, ms) =>
      new Promise<void>((r) => {
        const t = setTimeout(r, ms);
        wake.push(() => {
          clearTimeout(t);
          r();
        });
      }),
    set(k, o) {
      objs.set(idKey(k), o);
      const w = wake;
      wake = [];
      for (const f of w) f();
    },
  };
}

/** A client that must not be asked: every LIST is counted. */
function client(items: LiveObject[] = []): KubeClient & { lists: string[] } {
  const lists: string[] = [];
  return { lists, list: (q: { kind: string }) => (lists.push(q.kind), Promise.resolve(items)) } as unknown as KubeClient & { lists: string[] };
}

const base = { timeoutMs: 10_000, pollIntervalMs: 60_000, concurrency: 4, onEvent: () => undefined };

describe('waitHealthy on a cache of the live objects (a controller\'s informers)', () => {
  it('reads the cache at each change, with no LIST, and ends when the object is healthy', async () => {
    const c = cache(new Map([[idKey(id), deployment(1, 1, 0)]]));
    const k = client();
    const w = waitHealthy({ ...base, client: k, ids: [id], live: c });
    setTimeout(() => c.set(id, deployment(1, 1, 1)), 20);
    // pollIntervalMs is a minute: only the change event can end this wait in time.
    expect((await w).status).toBe('Healthy');
    expect(k.lists).toEqual([]);
  });

  it('a cached view older than the generation this run applied is not health', async () => {
    // The cache still shows generation 1, fully available; the apply returned generation 2.
    const c = cache(new Map([[idKey(id), deployment(1, 1, 1)]]));
    const k = client();
    let healthyAt: number | undefined;
    const w = waitHealthy({ ...base, client: k, ids: [id], live: c, applied: new Map([[idKey(id), 2]]) }).then((r) => ((healthyAt = Date.now()), r));
    await new Promise((r) => setTimeout(r, 30));
    expect(healthyAt).toBeUndefined();
    const sent = Date.now();
    c.set(id, deployment(2, 2, 1));
    expect((await w).status).toBe('Healthy');
    expect(healthyAt).toBeGreaterThanOrEqual(sent);
  });

  it('kinds the cache does not hold are listed as without it', async () => {
    const c = cache(new Map<string, LiveObject | 'uncached'>([[idKey(id), deployment(1, 1, 1)], [idKey(cm), 'uncached']]));
    const k = client([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'a' } }]);
    expect((await waitHealthy({ ...base, client: k, ids: [id, cm], live: c })).status).toBe('Healthy');
    expect(k.lists).toEqual(['ConfigMap']);
  });
});
