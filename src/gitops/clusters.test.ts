import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../errors/index.ts';
import { resolveTarget, type InformerHandlers, type LiveObject } from '../kube/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import { CLUSTER_SECRET_TYPE, ClusterRegistry, clusterSecretName, clusterSecretOf, isUnreachable, registeredClusterOf, targetOf, type ClusterConnection } from './clusters.ts';
import { IN_CLUSTER } from './types.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const TOKEN = 'tok-3f9a8c-secret-value';

function kubeconfig(user: string, cluster = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-clusters-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: ${b64('CA PEM')}
${cluster}
users:
- name: u
  user:
${user}
contexts:
- {name: prod-eu, context: {cluster: c, user: u, namespace: team}}
- {name: other, context: {cluster: c, user: u}}
current-context: other
`,
  );
  return file;
}

/** The Secret as the apiserver returns it: stringData folded into base64 data. */
function stored(o: KubeObject, rv = '1'): LiveObject {
  const { stringData, ...rest } = o as KubeObject & { stringData: Record<string, string> };
  return { ...rest, metadata: { ...o.metadata, resourceVersion: rv }, data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, b64(v)])) };
}

function secret(data: Record<string, string>, name = 'cluster-x', rv = '1'): LiveObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'slipway-system', resourceVersion: rv, labels: { 'slipway.dev/secret-type': CLUSTER_SECRET_TYPE } }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) };
}

async function thrown(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

const execUser = `    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /bin/sh
      args: ['-c', ${JSON.stringify(`printf '%s' '${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } })}'`)}]
      interactiveMode: Never`;

describe('kubeconfig context → cluster Secret', () => {
  const cases: { name: string; user: string; cluster?: string; config: Record<string, unknown> }[] = [
    { name: 'token', user: `    token: ${TOKEN}`, config: { bearerToken: TOKEN, tlsClientConfig: { caData: b64('CA PEM') } } },
    {
      name: 'client certificate (data), tls-server-name',
      user: `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}`,
      cluster: '    tls-server-name: api.internal',
      config: { tlsClientConfig: { caData: b64('CA PEM'), certData: b64('CERT'), keyData: b64('KEY'), serverName: 'api.internal' } },
    },
    { name: 'username and password', user: '    username: admin\n    password: "p:ss"', config: { username: 'admin', password: 'p:ss', tlsClientConfig: { caData: b64('CA PEM') } } },
    { name: 'proxy-url', user: `    token: ${TOKEN}`, cluster: '    proxy-url: http://proxy:3128', config: { bearerToken: TOKEN, tlsClientConfig: { caData: b64('CA PEM') }, proxyUrl: 'http://proxy:3128' } },
  ];
  it.each(cases)('$name: stored in Argo CD\'s format, read back to the same target', async (c) => {
    const target = await resolveTarget({ kubeconfig: kubeconfig(c.user, c.cluster), context: 'prod-eu' });
    const s = clusterSecretOf({ name: 'prod-eu', namespace: 'slipway-system', target });
    expect(s.metadata).toMatchObject({ name: clusterSecretName('prod-eu'), namespace: 'slipway-system', labels: { 'slipway.dev/secret-type': 'cluster' } });
    const data = s['stringData'] as Record<string, string>;
    expect(data['name']).toBe('prod-eu');
    expect(data['server']).toBe('https://10.0.0.1:6443');
    expect(JSON.parse(data['config'] ?? '')).toEqual(c.config);
    // Secret → client config: the same server, TLS material and Authorization as the kubeconfig gave.
    const back = targetOf(registeredClusterOf(stored(s)));
    expect(back.server).toBe(target.server);
    expect(back.headers).toEqual(target.headers);
    for (const k of ['ca', 'cert', 'key'] as const) expect(back.tls[k]?.toString('utf8')).toBe(target.tls[k]?.toString('utf8'));
    expect(back.tls.servername).toBe(target.tls.servername);
    expect(back.proxyUrl).toBe(target.proxyUrl);
  });

  const refused: { name: string; user: string; clusterName?: string; kind: string; message: RegExp; hint?: RegExp }[] = [
    { name: 'exec plugin', user: execUser, kind: 'unsupported', message: /exec plugin: they expire/, hint: /create token slipway-manager/ },
    { name: 'no credentials', user: '    {}', kind: 'input', message: /has no credentials/ },
    { name: 'reserved name', user: `    token: ${TOKEN}`, clusterName: IN_CLUSTER, kind: 'input', message: /reserved/ },
    { name: 'not a DNS name', user: `    token: ${TOKEN}`, clusterName: 'arn:aws:eks:eu-west-1:1:cluster/prod', kind: 'input', message: /not a DNS subdomain/, hint: /--name/ },
  ];
  it.each(refused)('refused: $name', async (c) => {
    const target = await resolveTarget({ kubeconfig: kubeconfig(c.user), context: 'prod-eu' });
    const e = await thrown(() => clusterSecretOf({ name: c.clusterName ?? 'prod-eu', namespace: 'slipway-system', target }));
    expect(isSlipwayError(e) && e.kind).toBe(c.kind);
    expect((e as Error).message).toMatch(c.message);
    if (c.hint) expect(isSlipwayError(e) && e.hint).toMatch(c.hint);
  });

  it('an unknown context is an input error naming the contexts there are', async () => {
    const e = await thrown(() => resolveTarget({ kubeconfig: kubeconfig(`    token: ${TOKEN}`), context: 'nope' }));
    expect((e as Error).message).toMatch(/no context "nope"/);
  });
});

describe('cluster Secret → client config', () => {
  const good = { name: 'b', server: 'https://127.0.0.1:6443', config: JSON.stringify({ bearerToken: TOKEN }) };
  it('name from data.name, else the Secret name; token as Bearer; insecure http for a test cluster', () => {
    expect(registeredClusterOf(secret(good)).name).toBe('b');
    expect(registeredClusterOf(secret({ server: good.server, config: good.config }, 'cluster-y')).name).toBe('cluster-y');
    expect(targetOf(registeredClusterOf(secret(good))).headers).toEqual({ Authorization: `Bearer ${TOKEN}` });
    const plain = registeredClusterOf(secret({ ...good, server: 'http://127.0.0.1:8080', config: JSON.stringify({ bearerToken: TOKEN, tlsClientConfig: { insecure: true } }) }));
    expect(targetOf(plain).tls.rejectUnauthorized).toBe(false);
  });

  const bad: { name: string; data: Record<string, string>; message: RegExp }[] = [
    { name: 'no server', data: { ...good, server: '' }, message: /no data\.server/ },
    { name: 'server not a URL', data: { ...good, server: 'not a url' }, message: /data\.server is not a URL/ },
    { name: 'unsupported scheme', data: { ...good, server: 'ftp://x' }, message: /unsupported scheme ftp:/ },
    { name: 'plain http without insecure', data: { ...good, server: 'http://x:8080' }, message: /plain http/ },
    { name: 'config not JSON', data: { ...good, config: `{"bearerToken": "${TOKEN}"` }, message: /data\.config is not JSON/ },
    { name: 'config an array', data: { ...good, config: '[]' }, message: /not a JSON object/ },
    { name: 'token not a string', data: { ...good, config: '{"bearerToken": 5}' }, message: /config\.bearerToken is not a string/ },
    { name: 'tlsClientConfig not an object', data: { ...good, config: `{"bearerToken": "${TOKEN}", "tlsClientConfig": "x"}` }, message: /tlsClientConfig is not an object/ },
    { name: 'insecure not a boolean', data: { ...good, config: `{"bearerToken": "${TOKEN}", "tlsClientConfig": {"insecure": "yes"}}` }, message: /insecure is not a boolean/ },
    { name: 'certificate without key', data: { ...good, config: `{"tlsClientConfig": {"certData": "${b64('CERT')}"}}` }, message: /certData and keyData go together/ },
    { name: 'no credentials', data: { ...good, config: '{}' }, message: /no credentials/ },
  ];
  it.each(bad)('$name: an input error naming the Secret and the key, never a value', (c) => {
    const e = (() => {
      try {
        registeredClusterOf(secret(c.data));
      } catch (err) {
        return err;
      }
      throw new Error('expected an error');
    })();
    expect(isSlipwayError(e) && e.kind).toBe('input');
    expect((e as Error).message).toMatch(/^Secret slipway-system\/cluster-x \(cluster "b"\)/);
    expect((e as Error).message).toMatch(c.message);
    expect(JSON.stringify({ m: (e as Error).message, c: String((e as Error).cause), h: isSlipwayError(e) ? e.hint : '' })).not.toContain(TOKEN);
  });
});

/** The informer on cluster Secrets, by hand. */
class Secrets {
  items: LiveObject[] = [];
  readonly handlers: InformerHandlers[] = [];
  hasSynced = true;
  list(): LiveObject[] {
    return this.items;
  }
  on(h: InformerHandlers): () => void {
    this.handlers.push(h);
    return () => undefined;
  }
  waitForSync(): Promise<void> {
    return Promise.resolve();
  }
  set(s: LiveObject): void {
    const old = this.items.find((x) => x.metadata.name === s.metadata.name);
    this.items = [...this.items.filter((x) => x !== old), s];
    for (const h of this.handlers) {
      if (old) h.update?.(s, old);
      else h.add?.(s);
    }
  }
}

describe('ClusterRegistry', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  /** An apiserver stand-in that answers /version (and remembers the Authorization it got). */
  async function apiserver(): Promise<{ url: string; auths: string[]; server: Server }> {
    const auths: string[] = [];
    const server = createServer((req, res) => {
      auths.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ gitVersion: 'v1.34.0' }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    return { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, auths, server };
  }

  const clusterSecret = (server: string, token: string, rv: string): LiveObject => secret({ name: 'b', server, config: JSON.stringify({ bearerToken: token, tlsClientConfig: { insecure: true } }) }, 'cluster-b', rv);
  const inCluster = { name: IN_CLUSTER } as ClusterConnection;

  function registry(secrets: Secrets, changed: string[] = []): ClusterRegistry {
    return new ClusterRegistry({ namespace: 'slipway-system', secrets, log: pino({ level: 'silent' }), changed: (n) => changed.push(n), backoff: { baseMs: 60_000, maxMs: 60_000 }, probeTimeoutMs: 2000 });
  }

  it('in-cluster is the controller\'s own; an unregistered name is not-found with the register hint; two Secrets for a name are refused', async () => {
    const secrets = new Secrets();
    const r = registry(secrets);
    try {
      expect(await r.resolve(IN_CLUSTER, inCluster)).toBe(inCluster);
      const e = await thrown(() => r.resolve('b', inCluster));
      expect(isSlipwayError(e) && e.kind).toBe('not-found');
      expect(isSlipwayError(e) && e.hint).toMatch(/slipway cluster register <context> --name b/);
      secrets.set(clusterSecret('https://127.0.0.1:1', TOKEN, '1'));
      secrets.set({ ...clusterSecret('https://127.0.0.1:1', TOKEN, '1'), metadata: { ...clusterSecret('https://127.0.0.1:1', TOKEN, '1').metadata, name: 'cluster-b2' } });
      expect(((await thrown(() => r.resolve('b', inCluster))) as Error).message).toMatch(/registered twice/);
    } finally {
      r.close();
    }
  });

  it('one connection per Secret version: a rotated token is used without a restart, and the cluster\'s apps are looked at again', async () => {
    const api = await apiserver();
    const secrets = new Secrets();
    const changed: string[] = [];
    const r = registry(secrets, changed);
    try {
      secrets.set(clusterSecret(api.url, 'old-token', '1'));
      expect(changed).toEqual(['b']);
      const c1 = await r.resolve('b', inCluster);
      expect(await r.resolve('b', inCluster)).toBe(c1);
      // First use: one probe (it answers), then none.
      expect(await c1.unavailable?.()).toBeUndefined();
      expect(await c1.unavailable?.()).toBeUndefined();
      await c1.client.version();
      secrets.set(clusterSecret(api.url, 'new-token', '2'));
      expect(changed).toEqual(['b', 'b']);
      const c2 = await r.resolve('b', inCluster);
      expect(c2).not.toBe(c1);
      await c2.client.version();
      expect(api.auths).toEqual(['Bearer old-token', 'Bearer old-token', 'Bearer new-token']);
    } finally {
      r.close();
    }
  });

  it('a cluster that does not answer: one shared probe marks it down until its retry time; it comes back on the probe after', async () => {
    const api = await apiserver();
    const port = new URL(api.url).port;
    await new Promise((res) => api.server.close(res));
    const secrets = new Secrets();
    const changed: string[] = [];
    const r = new ClusterRegistry({ namespace: 'slipway-system', secrets, log: pino({ level: 'silent' }), changed: (n) => changed.push(n), backoff: { baseMs: 50, maxMs: 50 }, probeTimeoutMs: 2000 });
    try {
      secrets.set(clusterSecret(api.url, TOKEN, '1'));
      changed.length = 0;
      const c = await r.resolve('b', inCluster);
      const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      expect(isUnreachable(refused)).toBe(true);
      // The first use probes (never answered yet); a failed request at the same time shares that probe.
      const [d1, d2] = await Promise.all([c.unavailable?.(), c.suspect?.(refused)]);
      expect(d1).toBeDefined();
      expect(d2).toBe(d1);
      expect(d1?.error.kind).toBe('cluster-unavailable');
      expect(d1?.error.message).not.toContain(TOKEN);
      expect(changed).toEqual(['b']);
      // Not due yet: the same outage, no new probe.
      expect(await c.unavailable?.()).toBe(d1);
      // Back on the same port: the probe after the retry time finds it.
      const back = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"gitVersion":"v1.34.0"}'));
      servers.push(back);
      await new Promise<void>((res) => back.listen(Number(port), '127.0.0.1', res));
      await new Promise((res) => setTimeout(res, 60));
      expect(await c.unavailable?.()).toBeUndefined();
      expect(changed).toEqual(['b', 'b']);
      // A failure that is not about reaching the cluster (a permission) does not mark it down.
      expect(await c.suspect?.(Object.assign(new Error('forbidden'), { code: 'EACCES' }))).toBeUndefined();
    } finally {
      r.close();
    }
  });

  it('a server that accepts connections and never answers costs one probe timeout, not request timeouts', async () => {
    const silent = createServer(() => undefined);
    servers.push(silent);
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    const a = silent.address();
    const secrets = new Secrets();
    const r = new ClusterRegistry({ namespace: 'slipway-system', secrets, log: pino({ level: 'silent' }), changed: () => undefined, probeTimeoutMs: 300, requestTimeoutMs: 600_000 });
    try {
      secrets.set(clusterSecret(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, TOKEN, '1'));
      const c = await r.resolve('b', inCluster);
      const down = await c.unavailable?.();
      expect(down?.error.kind).toBe('cluster-unavailable');
      expect(down?.error.message).toMatch(/did not answer within 0\.3s/);
    } finally {
      r.close();
      silent.closeAllConnections();
    }
  });
});
