/**
 * The controller-grade client against the real apiserver: an informer that survives an apiserver
 * restart, a watch denied by RBAC that backs off instead of crashing, an RBAC denial reported as
 * `forbidden` (exit 1) by the CLI, and exec-plugin credentials that expire every 5 s minted by
 * the TokenRequest API, kept fresh for a minute.
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KubeClient, SharedInformer, type LiveObject } from '../../src/kube/index.ts';
import type { SlipwayError } from '../../src/errors/index.ts';
import { main, memoryIo } from '../../src/cli/index.ts';
import { configMap } from './deploy-fixtures.ts';
import { kubeconfigWithUser, testKubeconfigPath, useNamespace, waitFor, type TestNamespace } from './harness.ts';

const rvOf = (o: LiveObject): string => (o.metadata as { resourceVersion?: string }).resourceVersion ?? '';

/**
 * Kills the test cluster's kube-apiserver and
 * starts it again with the same command line, recording the new pid where `cluster status` and
 * `cluster down` find it (the pid file and cluster.json).
 */
async function restartApiserver(kubeconfigPath: string, downMs: number): Promise<void> {
  const dataDir = dirname(kubeconfigPath);
  const pidFile = join(dataDir, 'run', 'kube-apiserver.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const cwd = readlinkSync(`/proc/${pid}/cwd`);
  // SIGKILL, as a crashed or OOM-killed apiserver: open watches break without a goodbye. (SIGTERM
  // starts a graceful drain that holds open watches for up to a minute.)
  process.kill(pid, 'SIGKILL');
  // Gone, or a zombie nobody reaps (the CLI that started it exited; in a container PID 1 may not reap).
  const exited = (): boolean => {
    try {
      return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return true;
    }
  };
  await waitFor(() => Promise.resolve(exited()), { what: 'kube-apiserver to exit', timeoutMs: 60_000, intervalMs: 100 });
  await sleep(downMs);
  const [binary, ...args] = argv;
  const log = openSync(join(dataDir, 'logs', 'kube-apiserver.log'), 'a');
  const child = spawn(binary ?? 'kube-apiserver', args, { cwd, detached: true, stdio: ['ignore', log, log], env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' } });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile, `${child.pid ?? 0}\n`);
  // cluster.json too: `cluster status` and `cluster down` read the pid there first.
  const stateFile = join(dataDir, 'cluster.json');
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { pids: Record<string, number> };
  state.pids['kube-apiserver'] = child.pid ?? 0;
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** The admin client of the test cluster. */
const adminClient = (ns: TestNamespace): Promise<KubeClient> => KubeClient.connect({ kubeconfig: ns.kubeconfigPath });

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** A ServiceAccount in `ns` bound to a Role with `rules`; returns a 10-minute token for it (TokenRequest API). */
async function serviceAccount(ns: TestNamespace, name: string, rules: Rule[]): Promise<string> {
  const admin = await adminClient(ns);
  const meta = { name, namespace: ns.name };
  await admin.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta });
  await admin.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta, rules });
  await admin.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, namespace: ns.name }],
  });
  const res = await admin.transport.request({
    method: 'POST',
    path: `/api/v1/namespaces/${ns.name}/serviceaccounts/${name}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
  });
  admin.close();
  const token = (res.body as { status?: { token?: string } }).status?.token;
  if (!token) throw new Error(`TokenRequest answered ${res.status}: ${JSON.stringify(res.body)}`);
  return token;
}

/** Creates a ConfigMap as the admin (a change made by someone else). */
async function adminConfigMap(ns: TestNamespace, name: string): Promise<void> {
  const admin = await adminClient(ns);
  await admin.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns.name } });
  admin.close();
}

describe('informer: a real apiserver restart', () => {
  const ns = useNamespace('informer-restart');

  it('resumes or relists, misses no event, and never delivers one resourceVersion twice', async () => {
    const client = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    const id = (name: string): { apiVersion: string; kind: string; namespace: string; name: string } => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name });
    const put = (name: string, v: string): Promise<LiveObject> => client.apply({ ...configMap(name, { v }), metadata: { name, namespace: ns().name } }, { force: true });
    for (const n of ['a', 'b', 'c', 'd']) await put(n, '1');

    const inf = new SharedInformer(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, labelSelector: undefined }, { backoffBaseMs: 250, backoffMaxMs: 2000 });
    const delivered: string[] = [];
    const errors: SlipwayError[] = [];
    const note = (what: string) => (o: LiveObject): void => {
      delivered.push(`${what} ${o.metadata.name ?? ''}@${rvOf(o)}`);
    };
    inf.on({ add: note('add'), update: note('update'), delete: note('delete'), error: (e) => errors.push(e) });
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    await inf.waitForSync();
    await put('a', '2');

    await restartApiserver(ns().kubeconfigPath, 1500);
    // As soon as it serves again (the informer is still backing off): changes it must not miss.
    await waitFor(async () => (await client.get(id('a'))) !== undefined, { what: 'the apiserver to serve again', timeoutMs: 120_000, intervalMs: 200 });
    await put('b', '2');
    await put('e', '1');
    await client.delete(id('c'));

    const fresh = async (): Promise<string[]> => (await client.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name })).filter((o) => o.metadata.name !== 'kube-root-ca.crt').map((o) => `${o.metadata.name ?? ''}@${rvOf(o)}`).sort();
    const cached = (): string[] => inf.list().filter((o) => o.metadata.name !== 'kube-root-ca.crt').map((o) => `${o.metadata.name ?? ''}@${rvOf(o)}`).sort();
    const want = await fresh();
    await waitFor(() => Promise.resolve(JSON.stringify(cached()) === JSON.stringify(want)), { what: `the cache to equal a fresh LIST ${want.join(' ')} (has ${cached().join(' ')})`, timeoutMs: 60_000 });
    ac.abort();
    await running;
    client.close();

    expect(cached()).toEqual(await fresh());
    // It noticed the outage (and reported it) rather than silently hanging.
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(delivered.filter((d) => !d.startsWith('add kube-root-ca.crt'))).toEqual(expect.arrayContaining([expect.stringMatching(/^update a@/), expect.stringMatching(/^update b@/), expect.stringMatching(/^add e@/), expect.stringMatching(/^delete c@/)]));
  });
});

describe('RBAC: a watch that is denied, a deploy that is denied', () => {
  const ns = useNamespace('kube-rbac');

  it('an informer whose watch gets 403 reports forbidden, backs off, and recovers once the permission is granted', async () => {
    const token = await serviceAccount(ns(), 'lister', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }]);
    const client = await KubeClient.connect({ kubeconfig: kubeconfigWithUser(ns(), { token }) });
    const inf = new SharedInformer(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name }, { backoffBaseMs: 200, backoffMaxMs: 1000 });
    const errors: SlipwayError[] = [];
    inf.on({ error: (e) => errors.push(e) });
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    await inf.waitForSync();
    await waitFor(() => Promise.resolve(errors.length >= 2), { what: 'two denied watches', timeoutMs: 30_000 });
    expect(errors[0]?.kind).toBe('forbidden');
    expect(errors[0]?.hint).toContain(`kubectl auth can-i watch configmaps -n ${ns().name}`);

    const admin = await adminClient(ns());
    await admin.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'lister', namespace: ns().name }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] });
    admin.close();
    // Keep creating until the informer, through its watch, sees one (RBAC caches take a moment).
    let n = 0;
    await waitFor(async () => {
      await adminConfigMap(ns(), `after-${n++}`);
      return inf.list().some((o) => o.metadata.name?.startsWith('after-'));
    }, { what: 'an event through the granted watch', timeoutMs: 30_000, intervalMs: 1000 });
    ac.abort();
    await running;
    client.close();
  });

  it('`slipway deploy` without permission exits 1 with forbidden, the verb, resource and namespace, and a kubectl auth can-i hint', async () => {
    const token = await serviceAccount(ns(), 'reader', [
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list'] },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'slipway-forbidden-'));
    writeFileSync(join(dir, 'app.yaml'), JSON.stringify({ ...configMap('settings'), metadata: { name: 'settings' } }));
    const io = memoryIo();
    const code = await main(['node', 'slipway', 'deploy', join(dir, 'app.yaml'), '--kubeconfig', kubeconfigWithUser(ns(), { token }), '-n', ns().name, '--app', 'shop', '--env', 'test'], io);
    expect(code, io.stderr()).toBe(1);
    expect(io.stderr()).toMatch(/forbidden: "system:serviceaccount:[^"]+:reader" may not patch configmaps in namespace "/);
    expect(io.stderr()).toContain(`kubectl auth can-i patch configmaps -n ${ns().name}`);
  });
});

describe('credentials: an exec plugin whose tokens expire after 5 s', () => {
  const ns = useNamespace('kube-exec');

  it('keeps a long-running informer and requests working for a minute', async () => {
    const name = 'exec-user';
    await serviceAccount(ns(), name, [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] }]);
    const dir = mkdtempSync(join(tmpdir(), 'slipway-exec-'));
    const plugin = join(dir, 'mint-token.mjs');
    const log = join(dir, 'minted.log');
    // A real exec credential plugin: mints a ServiceAccount token bound to a fresh Secret through
    // the TokenRequest API (as the admin), and claims it expires in 5 s. It deletes the Secret
    // bound to the previous token, so a token kept past its claimed expiry really stops working.
    writeFileSync(
      plugin,
      `import { appendFileSync, readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '${import.meta.resolve('@kubernetes/client-node')}';
const [admin, ns, sa, log] = process.argv.slice(2);
const kc = new KubeConfig(); kc.loadFromFile(admin);
const core = kc.makeApiClient(CoreV1Api);
let prev = []; try { prev = readFileSync(log, 'utf8').split('\\n').filter(Boolean); } catch {}
const secret = 'tok-' + prev.length + '-' + Date.now();
const s = await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: secret } } });
const tr = await core.createNamespacedServiceAccountToken({ namespace: ns, name: sa, body: { spec: { audiences: [], expirationSeconds: 600, boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: secret, uid: s.metadata.uid } } } });
const old = prev.at(-1);
if (old) await core.deleteNamespacedSecret({ namespace: ns, name: old }).catch(() => {});
appendFileSync(log, secret + '\\n');
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: tr.status.token, expirationTimestamp: new Date(Date.now() + 5000).toISOString() } }));
`,
    );
    chmodSync(plugin, 0o755);
    const kubeconfig = kubeconfigWithUser(ns(), {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin, testKubeconfigPath(), ns().name, name, log], interactiveMode: 'Never' },
    });
    const client = await KubeClient.connect({ kubeconfig });
    const inf = new SharedInformer(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name }, { backoffBaseMs: 200, backoffMaxMs: 1000 });
    const errors: SlipwayError[] = [];
    inf.on({ error: (e) => errors.push(e) });
    const ac = new AbortController();
    const running = inf.run(ac.signal);
    await inf.waitForSync();
    const t0 = Date.now();
    let i = 0;
    while (Date.now() - t0 < 60_000) {
      // Requests through the plugin's credentials, and an event through the long-lived watch.
      await client.apply({ ...configMap(`c-${i}`), metadata: { name: `c-${i}`, namespace: ns().name } });
      await adminConfigMap(ns(), `w-${i}`);
      const want = `w-${i}`;
      await waitFor(() => Promise.resolve(inf.get(want, ns().name) !== undefined), { what: `the informer to see ${want}`, timeoutMs: 30_000, intervalMs: 100 });
      i++;
      await sleep(4000);
    }
    ac.abort();
    await running;
    client.close();
    const minted = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // A request more than 5 s after the last mint needs a new token: the plugin was asked again and again.
    expect(minted.length).toBeGreaterThanOrEqual(5);
    expect(i).toBeGreaterThanOrEqual(10);
    expect(errors.filter((e) => e.kind !== 'cluster-unavailable')).toEqual([]);
  }, 180_000);
});
