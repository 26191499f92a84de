/**
 * Informer benchmark: slipway's SharedInformer (src/kube/informer.ts) against
 * @kubernetes/client-node's `makeInformer`/ListWatch, the peer the issue names, on the same
 * cluster and the same objects, in one run:
 *  - time from start to a synced cache of N ConfigMaps (list), and to seeing M changes made after
 *    the sync (watch latency, all M);
 *  - what each does when the watch is refused (403): client-node's ListWatch reports the error
 *    and stops (the caller must restart it); SharedInformer reports and retries with backoff;
 *  - list requests: SharedInformer pages (limit 500, continue), client-node lists in one request.
 * Appends the numbers to bench/RESULTS.md.
 *
 *   node bench/informer.ts --kubeconfig FILE [--count 2000] [--changes 200]
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { KubeClient, SharedInformer } from '../src/kube/index.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const kubeconfig = flag('--kubeconfig') ?? process.env['KUBECONFIG'];
const count = Number(flag('--count') ?? 2000);
const changes = Number(flag('--changes') ?? 200);
if (!kubeconfig) {
  process.stderr.write('usage: node bench/informer.ts --kubeconfig FILE [--count 2000] [--changes 200]   (e.g. after `slipway cluster up`)\n');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const ns = `bench-informer-${Date.now().toString(36)}`;

async function until(cond: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const client = await KubeClient.connect({ kubeconfig, maxSockets: 16 });
await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
process.stderr.write(`creating ${count} ConfigMaps in ${ns}…\n`);
const put = (i: number, v: string): Promise<unknown> => client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: ns }, data: { v, pad: 'x'.repeat(200) } });
for (let i = 0; i < count; i += 32) await Promise.all(Array.from({ length: Math.min(32, count - i) }, (_, k) => put(i + k, '0')));

interface Result {
  readonly syncMs: number;
  readonly watchMs: number;
}

/** Starts `start`, waits for `size() === count`, makes `changes` changes, waits until all are seen. */
async function measure(name: string, start: () => Promise<void>, size: () => number, seen: (v: string) => number, round: string): Promise<Result> {
  const t0 = performance.now();
  await start();
  await until(() => size() >= count, `${name} sync`);
  const syncMs = performance.now() - t0;
  const t1 = performance.now();
  for (let i = 0; i < changes; i += 16) await Promise.all(Array.from({ length: Math.min(16, changes - i) }, (_, k) => put(i + k, round)));
  await until(() => seen(round) >= changes, `${name} sees ${changes} changes`);
  return { syncMs, watchMs: performance.now() - t1 };
}

// slipway
const ac = new AbortController();
const inf = new SharedInformer(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns });
const slipway = await measure(
  'SharedInformer',
  () => {
    void inf.run(ac.signal);
    return Promise.resolve();
  },
  () => inf.list().filter((o) => o.metadata.name?.startsWith('cm-')).length,
  (v) => inf.list().filter((o) => (o['data'] as Record<string, string> | undefined)?.['v'] === v).length,
  '1',
);
const slipwayLists = inf.stats.lists;
ac.abort();

// client-node
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const peer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }));
const peerResult = await measure(
  'client-node makeInformer',
  () => peer.start(),
  () => peer.list(ns).filter((o) => o.metadata?.name?.startsWith('cm-')).length,
  (v) => peer.list(ns).filter((o) => o.data?.['v'] === v).length,
  '2',
);
await peer.stop();
client.close();
await KubeClient.connect({ kubeconfig }).then(async (c) => {
  await c.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
  c.close();
});

const version = (JSON.parse(readFileSync(join(root, 'node_modules/@kubernetes/client-node/package.json'), 'utf8')) as { version: string }).version;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
const text = `
### informer — ${new Date().toISOString()}

Command: \`node bench/informer.ts --kubeconfig <local cluster> --count ${count} --changes ${changes}\` on ${cpus().length} cores, local control plane, Node ${process.version}. Peer: @kubernetes/client-node ${version} \`makeInformer\` (ListWatch), same namespace, same objects, same run.

| | sync ${count} ConfigMaps | see ${changes} changes (watch) | list requests for the sync |
|---|---|---|---|
| slipway SharedInformer | ${(slipway.syncMs / 1000).toFixed(2)} s | ${(slipway.watchMs / 1000).toFixed(2)} s | ${slipwayLists} list, ${Math.ceil(count / 500)} pages of ≤ 500 |
| client-node makeInformer | ${(peerResult.syncMs / 1000).toFixed(2)} s | ${(peerResult.watchMs / 1000).toFixed(2)} s | 1 list, 1 page of ${count} |
| ratio slipway / client-node | ${ratio(slipway.syncMs, peerResult.syncMs)} | ${ratio(slipway.watchMs, peerResult.watchMs)} | |

Behaviour, from their code (client-node dist/cache.js) and from test/integration/kube-client.test.ts: on a
watch error other than 410, client-node's ListWatch calls its error handlers and stops (the caller must
restart it); SharedInformer reports the error and retries with jittered backoff until its AbortSignal fires,
asks for bookmarks, pages the list, and runs on slipway's transport (one credential-refresh and proxy
path for the whole process). Load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')}.
`;
appendFileSync(join(root, 'bench/RESULTS.md'), text);
process.stdout.write(text);
