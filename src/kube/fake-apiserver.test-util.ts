/**
 * A scriptable apiserver stand-in for unit tests of the client, transport and informer: serves
 * discovery for ConfigMaps (with a status subresource), paginated lists of an in-memory store,
 * and watches whose answer each test decides (events, a status code, a broken line). The real
 * apiserver is exercised by the integration suite; this one makes failures reproducible.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LiveObject } from './client.ts';

export interface WatchCall {
  readonly query: URLSearchParams;
  readonly res: ServerResponse;
  send(type: string, object: unknown): void;
  end(): void;
}

export interface FakeApiserver {
  readonly url: string;
  readonly server: Server;
  /** ConfigMaps by name (namespace `team`), each with metadata.resourceVersion. */
  readonly store: Map<string, LiveObject>;
  /** Every request seen: method, path and query, and the Authorization header. */
  readonly requests: { method: string; path: string; query: URLSearchParams; auth: string | undefined }[];
  /** Decides non-watch answers before the default handling; return true when it answered. */
  intercept: ((req: IncomingMessage, res: ServerResponse, url: URL) => boolean) | undefined;
  /** Called for each watch request; the default keeps it open with no events. */
  onWatch: (w: WatchCall) => void;
  /** Watch requests currently open. */
  readonly watches: WatchCall[];
  rv: number;
  /** Sets a ConfigMap (bumping the resourceVersion) and returns it. */
  put(name: string, data?: Record<string, string>): LiveObject;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

export function statusBody(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

export async function fakeApiserver(): Promise<FakeApiserver> {
  const fake: FakeApiserver = {
    url: '',
    server: createServer(),
    store: new Map(),
    requests: [],
    intercept: undefined,
    onWatch: () => undefined,
    watches: [],
    rv: 100,
    put(name, data = {}) {
      fake.rv++;
      const o: LiveObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'team', resourceVersion: String(fake.rv) }, data };
      fake.store.set(name, o);
      return o;
    },
    close: () =>
      new Promise((r) => {
        for (const w of fake.watches.splice(0)) w.res.destroy();
        fake.server.closeAllConnections();
        fake.server.close(() => r());
      }),
  };
  fake.server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    fake.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, auth: req.headers.authorization });
    if (fake.intercept?.(req, res, url)) return;
    if (url.pathname === '/api/v1') {
      json(res, 200, { resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }, { name: 'configmaps/status', kind: 'ConfigMap', namespaced: true }] });
      return;
    }
    if (url.pathname === '/api/v1/namespaces/team/configmaps' && url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const w: WatchCall = {
        query: url.searchParams,
        res,
        send: (type, object) => res.write(`${JSON.stringify({ type, object })}\n`),
        end: () => res.end(),
      };
      fake.watches.push(w);
      res.on('close', () => {
        const i = fake.watches.indexOf(w);
        if (i >= 0) fake.watches.splice(i, 1);
      });
      fake.onWatch(w);
      return;
    }
    if (url.pathname === '/api/v1/namespaces/team/configmaps') {
      const all = [...fake.store.values()].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
      const limit = Number(url.searchParams.get('limit') ?? all.length) || all.length;
      const from = Number(url.searchParams.get('continue') ?? 0);
      const page = all.slice(from, from + limit).map((o) => ({ metadata: o.metadata, data: o['data'] }));
      const next = from + limit < all.length ? String(from + limit) : undefined;
      json(res, 200, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(fake.rv), ...(next ? { continue: next } : {}) }, items: page });
      return;
    }
    const one = /^\/api\/v1\/namespaces\/team\/configmaps\/([^/]+)$/.exec(url.pathname);
    const hit = one?.[1] === undefined ? undefined : fake.store.get(one[1]);
    if (req.method === 'GET' && hit) {
      json(res, 200, hit);
      return;
    }
    json(res, 404, statusBody(404, 'NotFound', `${url.pathname} not found`));
  });
  await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
  const a = fake.server.address();
  Object.assign(fake, { url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
  return fake;
}

/** A kubeconfig file for `server` with a token user (or the given `user` YAML block), in its own temp dir. */
export function kubeconfigFor(server: string, user = '{token: t}', cluster = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-kube-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true${cluster}}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u, namespace: team}}]\ncurrent-context: ctx\n`,
  );
  return file;
}
