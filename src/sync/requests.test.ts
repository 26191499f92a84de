/**
 * Request budget of the deploy engine against an in-memory apiserver stand-in: what a first
 * deploy, a no-op re-sync and an adoption cost in HTTP requests. These are the numbers the apply
 * benchmark (bench/apply.ts) depends on; a regression here shows up there as wall time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { KubeClient } from '../kube/index.ts';
import { deploy } from './engine.ts';

type Stored = KubeObject & { metadata: KubeObject['metadata'] & { managedFields?: unknown[] } };

/** Just enough apiserver for ConfigMaps and Secrets in one namespace: discovery, GET, LIST by label, DELETE, server-side apply (and its dry-run). */
class FakeApiserver {
  readonly objects = new Map<string, Stored>();
  readonly log: string[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => this.handle(req, body, res));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server?.close(() => r()));
  }

  /** Method, dry-run marker and path with the object name replaced by `*`: `PATCH dry configmaps/*`. */
  count(what: string): number {
    return this.log.filter((l) => l === what).length;
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, v: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    if (url.pathname === '/api/v1') {
      send(200, { resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }, { name: 'secrets', kind: 'Secret', namespaced: true }] });
      return;
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/(configmaps|secrets)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) {
      send(404, { kind: 'Status', code: 404 });
      return;
    }
    const [, , resource = '', name] = m;
    const dry = url.searchParams.get('dryRun') === 'All';
    this.log.push(`${req.method ?? ''}${dry ? ' dry' : ''} ${resource}${name ? '/*' : ''}`);
    const key = `${resource}/${name ?? ''}`;
    if (req.method === 'GET' && name) {
      const o = this.objects.get(key);
      send(o ? 200 : 404, o ?? { kind: 'Status', code: 404 });
      return;
    }
    if (req.method === 'GET') {
      const [k, v] = (url.searchParams.get('labelSelector') ?? '').split('=');
      const items = [...this.objects.entries()].filter(([id, o]) => id.startsWith(`${resource}/`) && (!k || o.metadata.labels?.[k] === v)).map(([, o]) => o);
      send(200, { items });
      return;
    }
    if (req.method === 'DELETE') {
      send(this.objects.delete(key) ? 200 : 404, { kind: 'Status' });
      return;
    }
    const existed = this.objects.has(key);
    const obj = JSON.parse(body) as Stored;
    const stored: Stored = { ...obj, metadata: { ...obj.metadata, managedFields: [{ manager: url.searchParams.get('fieldManager'), operation: 'Apply', fieldsV1: { 'f:data': {} } }] } };
    if (!dry) this.objects.set(key, stored);
    send(existed ? 200 : 201, stored);
  }
}

const cm = (name: string, value: string, labels?: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data: { value } });

describe('deploy request budget', () => {
  const api = new FakeApiserver();
  let client: KubeClient;
  beforeAll(async () => {
    const server = await api.start();
    const dir = mkdtempSync(join(tmpdir(), 'slipway-requests-'));
    const file = join(dir, 'config');
    writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u}}]\ncurrent-context: ctx\n`);
    client = await KubeClient.connect({ kubeconfig: file });
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
    // Dry-run answers 201 for a new object: no GET per object to learn it is absent.
    ['first deploy of 20 new objects', () => Array.from({ length: 20 }, (_, i) => cm(`c${i}`, 'v1')), { 'GET configmaps/*': 0, 'PATCH dry configmaps/*': 20, 'PATCH configmaps/*': 20, 'PATCH secrets/*': 1, 'GET configmaps': 1 }, 21],
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
    api.objects.set('configmaps/legacy', { ...cm('legacy', 'old'), metadata: { name: 'legacy', namespace: 'ns' } });
    const r = await run([...Array.from({ length: 19 }, (_, i) => cm(`c${i}`, i === 3 ? 'v2' : 'v1')), cm('legacy', 'new')]);
    expect(api.count('GET configmaps/*')).toBe(1);
    expect(api.count('PATCH dry configmaps/*')).toBe(1);
    expect(r.actions.filter((a) => a === 'configured')).toHaveLength(1);
  });
});
