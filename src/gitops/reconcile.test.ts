/**
 * The GitOps reconciler against the in-memory apiserver of the engine's tests (with watches, so
 * that the controller's informers run on it) and a git repository on disk: what one reconcile
 * of an app costs in API requests. The engine's snapshot of the live objects comes from the
 * informers the controller keeps anyway (no LIST of the managed kinds), and the inventory Secret
 * is read at most once per reconcile (the engine is handed what the reconcile read, and the
 * baseline after a sync is what the engine wrote).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileContext } from '../controller/index.ts';
import { InformerFactory, KubeClient } from '../kube/index.ts';
import { FakeApiserver, LABEL_APP, inventoryName, type FakeRequest } from '../sync/index.ts';
import { GitOpsReconciler } from './reconcile.ts';
import { API_VERSION, KIND, type SlipwayApp } from './types.ts';

const NS = 'apps';
const INVENTORY = inventoryName('shop', 'default');

function repoWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-gitops-reconcile-'));
  const git = (...args: string[]): string => execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
  return `file://${dir}`;
}

const configMaps = ['c0', 'c1', 'c2'].map((n) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${n} }\ndata: { owner: ${n} }\n`).join('');

/** The requests a reconcile made that this test counts. */
interface Counted {
  /** GETs of the app's inventory Secret. */
  inventoryReads: number;
  /** LISTs of the app's objects of a kind (the engine's snapshot): not the informers' LISTs nor their watches. */
  appLists: string[];
}

describe('GitOps reconcile: requests per sync of an app whose kinds the informers hold', () => {
  const api = new FakeApiserver();
  const stop = new AbortController();
  let client: KubeClient;
  let informers: InformerFactory;
  let r: GitOpsReconciler;
  let ctx: ReconcileContext;
  let counted: Counted = { inventoryReads: 0, appLists: [] };

  beforeAll(async () => {
    client = await KubeClient.connect({ kubeconfig: await api.start() });
    api.intercept = (q: FakeRequest) => {
      if (q.method === 'GET' && q.resource === 'secrets' && q.name === INVENTORY) counted.inventoryReads++;
      if (q.method === 'GET' && !q.name && q.query?.get('watch') !== 'true' && q.query?.get('labelSelector') === `${LABEL_APP}=shop`) counted.appLists.push(q.resource);
      return undefined;
    };
    const app: SlipwayApp = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: 'shop', namespace: NS },
      spec: { source: { repoURL: repoWith({ 'app/config.yaml': configMaps }), path: 'app' }, destination: { namespace: NS }, syncPolicy: { selfHeal: true, prune: true } },
    };
    api.put(NS, 'slipwayapps', app);
    informers = new InformerFactory(client, { stripManagedFields: true });
    r = new GitOpsReconciler({ cacheDir: mkdtempSync(join(tmpdir(), 'slipway-gitops-cache-')) });
    const log = pino({ level: 'silent' });
    const registry = new Registry();
    r.setup({ client, informers, enqueue: () => undefined, log, registry });
    informers.start(stop.signal);
    await informers.waitForSync(stop.signal);
    ctx = { client, informers, events: { record: () => Promise.resolve() }, log, signal: stop.signal, registry } as unknown as ReconcileContext;
  });
  afterAll(async () => {
    stop.abort();
    client.close();
    await api.stop();
  });

  const reconcile = async (): Promise<{ counted: Counted; app: SlipwayApp }> => {
    counted = { inventoryReads: 0, appLists: [] };
    await r.reconcile(`${NS}/shop`, ctx);
    const app = api.get(NS, 'slipwayapps', 'shop') as SlipwayApp | undefined;
    if (!app) throw new Error('the app is gone');
    return { counted, app };
  };

  /** The ConfigMap informer the controller watches the app's objects with, once it shows `ok`. */
  const informerShows = async (ok: (names: string[]) => boolean): Promise<void> => {
    const inf = informers.informer({ apiVersion: 'v1', kind: 'ConfigMap', namespace: undefined, labelSelector: LABEL_APP }, { keepManagedFields: true });
    for (let i = 0; i < 200 && !(inf.hasSynced && ok(inf.list(NS).map((o) => o.metadata.name ?? '').sort())); i++) await new Promise((res) => setTimeout(res, 10));
    expect(inf.hasSynced).toBe(true);
  };

  it('first sync: the inventory is read once (for the baseline), not again by the engine nor after it', async () => {
    const { counted: c, app } = await reconcile();
    expect(app.status?.lastSync).toMatchObject({ phase: 'Succeeded', trigger: 'auto', inventoryRevision: 1 });
    expect(c.inventoryReads).toBe(1);
    // The ConfigMap informer starts with this first sync: the snapshot lists them once.
    expect(c.appLists.filter((k) => k === 'configmaps').length).toBeLessThanOrEqual(1);
    await informerShows((names) => names.join() === 'c0,c1,c2');
  });

  it('a self-heal sync: no LIST of the managed kinds, one inventory read, the object restored', async () => {
    api.remove(NS, 'configmaps', 'c1');
    await informerShows((names) => !names.includes('c1'));
    const { counted: c, app } = await reconcile();
    expect(app.status?.lastSync).toMatchObject({ phase: 'Succeeded', trigger: 'selfHeal', inventoryRevision: 2 });
    expect(app.status?.sync?.status).toBe('Synced');
    expect(api.get(NS, 'configmaps', 'c1')?.data).toEqual({ owner: 'c1' });
    expect(c.appLists).toEqual([]);
    // The baseline is still the one of the last sync (within the interval): the engine reads the inventory; after it, nobody does.
    expect(c.inventoryReads).toBe(1);
  });

  it('a reconcile with nothing to do: no request for the inventory or the objects', async () => {
    await informerShows((names) => names.join() === 'c0,c1,c2');
    const { counted: c, app } = await reconcile();
    expect(app.status?.sync?.status).toBe('Synced');
    expect(c).toEqual({ inventoryReads: 0, appLists: [] });
  });
});
