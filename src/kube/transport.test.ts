import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../errors/index.ts';
import { KubeClient } from './client.ts';
import { backoffDelay, defaultRetryPolicy, isRetryableNetworkError, requestKind } from './transport.ts';

const fast = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

function kubeconfig(server: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-kube-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u, namespace: team}}]\ncurrent-context: ctx\n`,
  );
  return file;
}

/** An apiserver stand-in that answers 503 `failures` times, then serves one ConfigMap. */
function flappingServer(failures: number): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (hits <= failures) {
      res.writeHead(503).end('{"kind":"Status","code":503}');
      return;
    }
    if (req.url === '/api/v1') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'team' } }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, hits: () => hits });
    }),
  );
}

describe('retries and unavailability', () => {
  let closedPort = 0;
  beforeAll(async () => {
    // A port that was just free: connecting to it is refused.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const a = s.address();
    closedPort = typeof a === 'object' && a ? a.port : 1;
    await new Promise((r) => s.close(r));
  });
  afterAll(() => undefined);

  it('gives a clear cluster-unavailable error after bounded retries against a closed port', async () => {
    const client = await KubeClient.connect({ kubeconfig: kubeconfig(`http://127.0.0.1:${closedPort}`), retry: fast });
    const err = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team', name: 'x' }).catch((e: unknown) => e);
    client.close();
    expect(isSlipwayError(err) && err.kind).toBe('cluster-unavailable');
    expect((err as Error).message).toMatch(/unavailable after 4 attempts.*ECONNREFUSED/);
  });

  it.each<[string, number, boolean]>([
    ['recovers from a flap shorter than the retry budget', 2, true],
    ['gives up on an outage longer than the retry budget', 10, false],
  ])('%s', async (_n, failures, ok) => {
    const s = await flappingServer(failures);
    const client = await KubeClient.connect({ kubeconfig: kubeconfig(s.url), retry: fast });
    const got = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team', name: 'x' }).then(
      (v) => v?.metadata.name,
      (e: unknown) => (isSlipwayError(e) ? e.kind : 'other'),
    );
    client.close();
    await new Promise((r) => s.server.close(r));
    expect(got).toBe(ok ? 'x' : 'cluster-unavailable');
  });

  it('reads the context namespace and rejects unknown contexts', async () => {
    const file = kubeconfig('http://127.0.0.1:1');
    const c = await KubeClient.connect({ kubeconfig: file });
    expect(c.contextNamespace).toBe('team');
    c.close();
    await expect(KubeClient.connect({ kubeconfig: file, context: 'nope' })).rejects.toThrow(/no context "nope"/);
  });
});

describe('backoff', () => {
  it.each<[number, number]>([
    [0, 200],
    [1, 400],
    [3, 1600],
    [10, 3000],
  ])('attempt %i waits %i ms', (attempt, want) => {
    expect(backoffDelay(attempt, defaultRetryPolicy)).toBe(want);
  });

  it.each<[unknown, boolean]>([
    [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), true],
    [Object.assign(new Error('x'), { code: 'ECONNRESET' }), true],
    [new Error('socket hang up'), true],
    [Object.assign(new Error('x'), { code: 'ENOENT' }), false],
    [new Error('boom'), false],
  ])('retryable %#', (e, want) => {
    expect(isRetryableNetworkError(e)).toBe(want);
  });
});

describe('applyResult', () => {
  it.each<[string, number, boolean]>([
    ['201: the apply created the object (or, dry-run, would)', 201, true],
    ['200: the object existed', 200, false],
  ])('%s', async (_n, status, created) => {
    const server = createServer((req, res) => {
      if (req.url === '/api/v1') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }] }));
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'team' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    const client = await KubeClient.connect({ kubeconfig: kubeconfig(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`), retry: fast });
    const r = await client.applyResult({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'team' } }, { dryRun: true });
    client.close();
    await new Promise((done) => server.close(done));
    expect(r.created).toBe(created);
    expect(r.object.metadata.name).toBe('x');
  });
});

describe('requestKind: verb and resource as the apiserver names them', () => {
  it.each([
    ['GET', '/api/v1/namespaces/a/configmaps', {}, 'list', 'configmaps'],
    ['GET', '/api/v1/namespaces/a/configmaps/x', {}, 'get', 'configmaps'],
    ['GET', '/apis/apps/v1/deployments', { watch: 'true' }, 'watch', 'deployments'],
    ['GET', '/api/v1/namespaces', {}, 'list', 'namespaces'],
    ['GET', '/api/v1/namespaces/a', {}, 'get', 'namespaces'],
    ['PATCH', '/apis/apps/v1/namespaces/a/deployments/web/scale', {}, 'patch', 'deployments/scale'],
    ['PATCH', '/apis/slipway.dev/v1alpha1/namespaces/a/slipwayapps/x/status', {}, 'patch', 'slipwayapps/status'],
    ['POST', '/api/v1/namespaces/a/secrets', {}, 'create', 'secrets'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/a/leases/l', {}, 'update', 'leases'],
    ['DELETE', '/api/v1/nodes/n', {}, 'delete', 'nodes'],
    ['GET', '/version', {}, 'get', 'discovery'],
    ['GET', '/apis/apps/v1', {}, 'get', 'discovery'],
  ] as const)('%s %s', (method, path, query, verb, resource) => {
    expect(requestKind(method, path, query)).toEqual({ verb, resource });
  });
});
