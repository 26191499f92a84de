import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../errors/index.ts';
import { KubeClient, type WatchEvent } from './client.ts';
import { apiStatusOf } from './errors.ts';
import { fakeApiserver, kubeconfigFor, statusBody, type FakeApiserver } from './fake-apiserver.test-util.ts';
import { resolveTarget } from './kubeconfig.ts';
import { parseRetryAfter, proxyEnvFor, retryDelay } from './transport.ts';

const fast = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };
const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team' } as const;

let fake: FakeApiserver;
let client: KubeClient;
beforeEach(async () => {
  fake = await fakeApiserver();
  client = await KubeClient.connect({ kubeconfig: kubeconfigFor(fake.url), retry: fast });
});
afterEach(async () => {
  client.close();
  await fake.close();
});

/** Runs a watch to its end and returns how it ended: 'resolved' or the error kind (+ HTTP code). */
async function watchOutcome(events: WatchEvent[] = []): Promise<string> {
  const ac = new AbortController();
  return client.watch(cm, {}, (e) => events.push(e), ac.signal).then(
    () => 'resolved',
    (e: unknown) => (isSlipwayError(e) ? `${e.kind}${apiStatusOf(e) ? ` ${apiStatusOf(e)?.code}` : ''}` : `other: ${String(e)}`),
  );
}

describe('watch never crashes the process', () => {
  type Answer = (res: import('node:http').ServerResponse) => void;
  const line = (type: string, object: unknown): Answer => (res) => res.write(`${JSON.stringify({ type, object })}\n`);
  // 'head': the whole answer, status line included; 'stream': lines inside a 200 watch stream.
  it.each<[string, 'head' | 'stream', Answer, string]>([
    [
      '403 from RBAC rejects as forbidden',
      'head',
      (res) => res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(403, 'Forbidden', 'configmaps is forbidden: User "u" cannot watch resource "configmaps" in API group "" in the namespace "team"'))),
      'forbidden 403',
    ],
    ['500 with an HTML body rejects as internal', 'head', (res) => res.writeHead(500).end('<html>boom</html>'), 'internal'],
    ['a line that is not JSON rejects', 'stream', (res) => res.write('{not json\n'), 'other: SyntaxError: Expected property name or \'}\' in JSON at position 1 (line 1 column 2)'],
    ['an event without type rejects as internal', 'stream', (res) => res.write('{"object":{}}\n'), 'internal'],
    ['an ERROR event (410 Gone) rejects with that status', 'stream', line('ERROR', statusBody(410, 'Expired', 'too old resource version: 1 (2)')), 'internal 410'],
    ['the server ending the watch resolves', 'stream', (res) => { line('ADDED', { metadata: { name: 'a', resourceVersion: '5' } })(res); res.end(); }, 'resolved'],
  ])('%s', async (_n, mode, answer, want) => {
    if (mode === 'head') {
      fake.intercept = (_req, res, url) => {
        if (url.searchParams.get('watch') !== 'true') return false;
        answer(res);
        return true;
      };
    } else fake.onWatch = (w) => answer(w.res);
    expect(await watchOutcome()).toBe(want);
  });

  it('an exception in the consumer rejects the watch instead of escaping the stream listener', async () => {
    fake.onWatch = (w) => w.send('ADDED', { metadata: { name: 'a', resourceVersion: '5' } });
    const ac = new AbortController();
    const err = await client.watch(cm, {}, () => { throw new Error('consumer bug'); }, ac.signal).catch((e: unknown) => e);
    expect((err as Error).message).toBe('consumer bug');
  });

  it('asks for bookmarks and resumes from the given resourceVersion', async () => {
    fake.onWatch = (w) => w.end();
    await watchOutcome();
    const ac = new AbortController();
    await client.watch(cm, { resourceVersion: '42', timeoutSeconds: 300 }, () => undefined, ac.signal);
    const q = fake.requests.filter((r) => r.query.get('watch') === 'true').map((r) => [r.query.get('allowWatchBookmarks'), r.query.get('resourceVersion'), r.query.get('timeoutSeconds')]);
    expect(q).toEqual([['true', null, null], ['true', '42', '300']]);
  });

  it('aborting resolves', async () => {
    const ac = new AbortController();
    const p = client.watch(cm, {}, () => undefined, ac.signal);
    while (fake.watches.length === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await expect(p).resolves.toBeUndefined();
  });
});

describe('list and status subresource', () => {
  it('follows continue tokens and returns the list resourceVersion', async () => {
    for (let i = 0; i < 7; i++) fake.put(`cm-${i}`);
    const r = await client.listAll(cm, { limit: 3 });
    expect(r.items.map((o) => o.metadata.name)).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
    expect(r.resourceVersion).toBe(String(fake.rv));
    expect(fake.requests.filter((q) => q.path.endsWith('/configmaps')).map((q) => q.query.get('continue'))).toEqual([null, '3', '6']);
  });

  // pages: a check that only needs to know the list is allowed (controller startup) reads one page,
  // not one request per object.
  it.each<[string, { pages?: number }, string[], (string | null)[], string | undefined]>([
    ['pages: 1 sends one request and returns a partial list with its continue token', { pages: 1 }, ['cm-0'], [null], '1'],
    ['pages: 2 stops after two', { pages: 2 }, ['cm-0', 'cm-1'], [null, '1'], '2'],
    ['more pages than the list has: the whole list', { pages: 10 }, ['cm-0', 'cm-1', 'cm-2'], [null, '1', '2'], undefined],
    ['without pages: every page', {}, ['cm-0', 'cm-1', 'cm-2'], [null, '1', '2'], undefined],
  ])('%s', async (_n, o, names, continues, cont) => {
    for (let i = 0; i < 3; i++) fake.put(`cm-${i}`);
    const r = await client.listAll(cm, { limit: 1, ...o });
    expect(r.items.map((x) => x.metadata.name)).toEqual(names);
    expect(r.resourceVersion).toBe(String(fake.rv));
    expect(r.continue).toBe(cont);
    expect(fake.requests.filter((q) => q.path.endsWith('/configmaps')).map((q) => q.query.get('continue'))).toEqual(continues);
  });

  it('restarts a list whose continue token expired (410)', async () => {
    for (let i = 0; i < 4; i++) fake.put(`cm-${i}`);
    let expired = false;
    fake.intercept = (_req, res, url) => {
      if (url.searchParams.get('continue') === '2' && !expired) {
        expired = true;
        res.writeHead(410, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(410, 'Expired', 'continue token expired')));
        return true;
      }
      return false;
    };
    expect((await client.listAll(cm, { limit: 2 })).items).toHaveLength(4);
    expect(expired).toBe(true);
  });

  it('applies status through the status subresource and refuses kinds without one', async () => {
    const seen: string[] = [];
    fake.intercept = (req, res, url) => {
      if (!url.pathname.endsWith('/status')) return false;
      seen.push(`${req.method} ${url.pathname} ${url.searchParams.get('fieldManager')}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
      return true;
    };
    await client.applyStatus({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'team' }, status: { phase: 'ok' } });
    expect(seen).toEqual(['PATCH /api/v1/namespaces/team/configmaps/x/status slipway']);
    fake.intercept = (_req, res, url) => {
      if (url.pathname !== '/api/v1') return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resources: [{ name: 'secrets', kind: 'Secret', namespaced: true }] }));
      return true;
    };
    const c2 = await KubeClient.connect({ kubeconfig: kubeconfigFor(fake.url), retry: fast });
    await expect(c2.getStatus({ apiVersion: 'v1', kind: 'Secret', namespace: 'team', name: 'x' })).rejects.toThrow(/has no status subresource/);
    c2.close();
  });
});

describe('retries: Retry-After and jitter', () => {
  it.each<[string, number, number | undefined, number, number]>([
    ['no jitter draw: half the ceiling', 0, undefined, 0, 100],
    ['full draw: the ceiling', 1, undefined, 0, 200],
    ['bounded by maxDelayMs', 1, undefined, 10, 3000],
    ['Retry-After longer than the backoff wins', 0, 2000, 0, 2000],
    ['Retry-After is bounded', 0, 600_000, 0, 30_000],
  ])('%s', (_n, draw, retryAfter, attempt, want) => {
    expect(retryDelay(attempt, { attempts: 6, baseDelayMs: 200, maxDelayMs: 3000 }, retryAfter, () => draw)).toBe(want);
  });

  it.each<[string | undefined, number | undefined]>([
    ['3', 3000],
    [' 0 ', 0],
    ['Thu, 01 Jan 1970 00:00:10 GMT', 10_000],
    ['soon', undefined],
    [undefined, undefined],
  ])('Retry-After %j → %j ms', (v, want) => {
    expect(parseRetryAfter(v, 0)).toBe(want);
  });

  it('waits for Retry-After before retrying a 429', async () => {
    const at: number[] = [];
    fake.intercept = (_req, res, url) => {
      if (!url.pathname.endsWith('/configmaps/x')) return false;
      at.push(Date.now());
      if (at.length === 1) res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end(JSON.stringify(statusBody(429, 'TooManyRequests', 'slow down')));
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
      return true;
    };
    expect((await client.get({ ...cm, name: 'x' }))?.metadata.name).toBe('x');
    expect(at).toHaveLength(2);
    // The fast policy alone would have retried after at most 5 ms.
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(950);
  });
});

describe('cancellation', () => {
  it.each<[string, boolean]>([
    ['a request in flight', false],
    ['a request waiting to retry', true],
  ])('aborting %s ends it with a cancelled error', async (_n, retrying) => {
    const ac = new AbortController();
    fake.intercept = (_req, res, url) => {
      if (url.pathname === '/api/v1') return false;
      if (retrying) res.writeHead(503).end();
      setTimeout(() => ac.abort(), 20);
      return true; // in flight: never answered
    };
    const slow = await KubeClient.connect({ kubeconfig: kubeconfigFor(fake.url), retry: { attempts: 5, baseDelayMs: 5000, maxDelayMs: 5000 } });
    const err = await slow.get({ ...cm, name: 'x' }, { signal: ac.signal }).catch((e: unknown) => e);
    slow.close();
    expect(isSlipwayError(err) && err.kind).toBe('cancelled');
  });
});

describe('credentials', () => {
  it('a 401 re-reads the kubeconfig and repeats the request once with the new token', async () => {
    const file = kubeconfigFor(fake.url, '{token: old}');
    const c = await KubeClient.connect({ kubeconfig: file, retry: fast });
    writeFileSync(file, (await import('node:fs')).readFileSync(file, 'utf8').replace('token: old', 'token: new'));
    fake.intercept = (req, res) => {
      if (req.headers.authorization === 'Bearer new') return false;
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(401, 'Unauthorized', 'Unauthorized')));
      return true;
    };
    fake.put('x');
    expect((await c.get({ ...cm, name: 'x' }))?.metadata.name).toBe('x');
    expect(fake.requests.map((r) => r.auth)).toEqual(['Bearer old', 'Bearer new', 'Bearer new']);
    c.close();
  });

  it('an exec-plugin token is minted again once it expires', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-exec-'));
    const plugin = join(dir, 'plugin.mjs');
    // Each run mints the next token, valid for 1 s.
    writeFileSync(
      plugin,
      `#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
const f = ${JSON.stringify(join(dir, 'n'))};
let n = 0; try { n = Number(readFileSync(f, 'utf8')); } catch {}
writeFileSync(f, String(n + 1));
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'tok-' + n, expirationTimestamp: new Date(Date.now() + 1000).toISOString() } }));
`,
    );
    chmodSync(plugin, 0o755);
    const user = `{exec: {apiVersion: client.authentication.k8s.io/v1, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(plugin)}], interactiveMode: Never}}`;
    const c = await KubeClient.connect({ kubeconfig: kubeconfigFor(fake.url, user), retry: fast });
    fake.put('x');
    await c.get({ ...cm, name: 'x' });
    await new Promise((r) => setTimeout(r, 1300));
    await c.get({ ...cm, name: 'x' });
    const tokens = fake.requests.map((r) => r.auth);
    expect(tokens[0]).toBe('Bearer tok-0');
    expect(tokens.at(-1)).toBe('Bearer tok-1');
    c.close();
  });

  it('no kubeconfig at all says what is missing and how to get one', async () => {
    const home = mkdtempSync(join(tmpdir(), 'slipway-home-'));
    const err = await resolveTarget({}, { HOME: home }).catch((e: unknown) => e);
    expect(isSlipwayError(err) && err.kind).toBe('input');
    expect((err as Error).message).toContain(`${home}/.kube/config does not exist`);
    expect(isSlipwayError(err) && err.hint).toMatch(/slipway cluster up.*--kubeconfig.*KUBECONFIG/);
  });
});

describe('proxies', () => {
  const server = new URL('https://api.example.com:6443');
  it.each<[string, URL, string | undefined, NodeJS.ProcessEnv, NodeJS.ProcessEnv | undefined]>([
    ['none', server, undefined, {}, undefined],
    ['kubeconfig proxy-url wins over the environment', server, 'http://p:3128', { HTTPS_PROXY: 'http://env:1' }, { HTTPS_PROXY: 'http://p:3128', HTTP_PROXY: 'http://p:3128' }],
    ['HTTPS_PROXY and NO_PROXY from the environment', server, undefined, { HTTPS_PROXY: 'http://env:1', NO_PROXY: '.internal' }, { HTTPS_PROXY: 'http://env:1', NO_PROXY: '.internal' }],
    ['lower-case variables', server, undefined, { https_proxy: 'http://env:1' }, { HTTPS_PROXY: 'http://env:1' }],
    ['loopback servers skip the environment proxy (as kubectl)', new URL('https://127.0.0.1:6443'), undefined, { HTTPS_PROXY: 'http://env:1' }, undefined],
    ['localhost too', new URL('https://localhost:6443'), undefined, { HTTPS_PROXY: 'http://env:1' }, undefined],
    ['but proxy-url applies to loopback', new URL('https://127.0.0.1:6443'), 'http://p:1', {}, { HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://p:1' }],
  ])('%s', (_n, url, proxyUrl, env, want) => {
    expect(proxyEnvFor(url, proxyUrl, env)).toEqual(want);
  });

  it('refuses a socks proxy-url clearly, without echoing credentials', () => {
    expect(() => proxyEnvFor(server, 'socks5://user:pw@p:1080', {})).toThrow(/proxy-url socks5:\/\/\*\*\*@p:1080: only http:\/\/ and https:\/\/ proxies/);
  });

  it('connects through the kubeconfig proxy-url', async () => {
    // The "proxy" answers forward-proxied requests itself; the apiserver host does not resolve.
    const hits: string[] = [];
    const proxy = createServer((req, res) => {
      hits.push(req.url ?? '');
      const body = req.url?.endsWith('/api/v1') ? { resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] } : { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const a = proxy.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    const c = await KubeClient.connect({ kubeconfig: kubeconfigFor('http://kube.invalid:6443', '{token: t}', `, proxy-url: "http://127.0.0.1:${port}"`), retry: fast });
    expect((await c.get({ ...cm, name: 'x' }))?.metadata.name).toBe('x');
    c.close();
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    expect(hits).toEqual(['http://kube.invalid:6443/api/v1', 'http://kube.invalid:6443/api/v1/namespaces/team/configmaps/x']);
  });
});
