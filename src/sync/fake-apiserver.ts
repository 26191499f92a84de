/**
 * Test support: just enough apiserver for the engine's unit tests. ConfigMaps, Secrets and
 * Services in any namespace (and SlipwayApps, with their status, for the GitOps reconciler's):
 * discovery, GET, LIST by label (in a namespace or in all), WATCH from a resourceVersion, DELETE,
 * POST (create; 409 AlreadyExists), server-side apply and its dry-run, with resourceVersions (an
 * apply carrying a stale one is refused with 409, as the real apiserver does). `intercept`
 * injects faults or races before a request is served.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../manifest/index.ts';

export type Stored = KubeObject & { metadata: KubeObject['metadata'] & { managedFields?: unknown[]; resourceVersion?: string } };

/** A request as `intercept` sees it: `PATCH`, `secrets`, the name (undefined for a collection), dry-run or not. */
export interface FakeRequest {
  readonly method: string;
  readonly resource: string;
  /** Empty for a request across all namespaces. */
  readonly namespace: string;
  readonly name: string | undefined;
  /** `status` for the status subresource. */
  readonly subresource?: string | undefined;
  readonly dry: boolean;
  readonly body: Stored | undefined;
  /** The query (labelSelector, watch, resourceVersion, …). */
  readonly query?: URLSearchParams;
}

export interface FakeAnswer {
  readonly status: number;
  readonly body: unknown;
}

const status = (code: number, reason: string, message: string): FakeAnswer => ({ status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message } });

/** Resources served, by group-version path. */
const DISCOVERY: Record<string, { name: string; kind: string; namespaced: boolean }[]> = {
  '/api/v1': [
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
    { name: 'secrets', kind: 'Secret', namespaced: true },
    { name: 'services', kind: 'Service', namespaced: true },
  ],
  '/apis/slipway.dev/v1alpha1': [
    { name: 'slipwayapps', kind: 'SlipwayApp', namespaced: true },
    { name: 'slipwayapps/status', kind: 'SlipwayApp', namespaced: true },
  ],
};
const SERVED = new Set(Object.values(DISCOVERY).flatMap((rs) => rs.map((r) => r.name)));

/** `a=b,c,!d` against labels. */
function selects(selector: string, labels: Record<string, string> | undefined): boolean {
  for (const term of selector.split(',').filter((t) => t !== '')) {
    const [k = '', v] = term.split('=');
    if (k.startsWith('!') ? labels?.[k.slice(1)] !== undefined : v === undefined ? labels?.[k] === undefined : labels?.[k] !== v) return false;
  }
  return true;
}

/** `namespace/resource/name` → its parts. */
function partsOf(key: string): { namespace: string; resource: string; name: string } {
  const [namespace = '', resource = '', name = ''] = key.split('/');
  return { namespace, resource, name };
}

interface Watch {
  readonly resource: string;
  readonly namespace: string;
  readonly selector: string;
  readonly res: ServerResponse;
}

interface Change {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  readonly object: Stored;
}

export class FakeApiserver {
  /** By `namespace/resource/name`. */
  readonly objects = new Map<string, Stored>();
  /** `METHOD[ dry] resource[/*]` per request served, e.g. `PATCH dry configmaps/*`. */
  readonly log: string[] = [];
  /** Called before each request; an answer replaces the normal one (fault injection), or do something first (a race). */
  intercept: ((r: FakeRequest) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>) | undefined;
  private server: Server | undefined;
  private version = 100;
  /** Every change, oldest first: a watch from a resourceVersion is sent those after it. */
  private readonly changes: Change[] = [];
  private readonly watches = new Set<Watch>();

  /** Starts listening; returns the path of a kubeconfig pointing at it. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => void this.handle(req, body, res));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    const dir = mkdtempSync(join(tmpdir(), 'slipway-fake-api-'));
    const file = join(dir, 'config');
    writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u}}]\ncurrent-context: ctx\n`);
    return file;
  }

  stop(): Promise<void> {
    for (const w of this.watches) w.res.end();
    this.watches.clear();
    this.server?.closeAllConnections();
    return new Promise((r) => this.server?.close(() => r()));
  }

  count(what: string): number {
    return this.log.filter((l) => l === what).length;
  }

  /** Stores `o` as if written by another client (a new resourceVersion). */
  put(namespace: string, resource: string, o: KubeObject): Stored {
    const stored: Stored = { ...o, metadata: { ...o.metadata, namespace, resourceVersion: String(++this.version) } };
    this.store(`${namespace}/${resource}/${o.metadata.name ?? ''}`, stored);
    return stored;
  }

  /** Deletes an object as another client would; whether it was there. */
  remove(namespace: string, resource: string, name: string): boolean {
    return this.drop(`${namespace}/${resource}/${name}`);
  }

  private store(key: string, stored: Stored): void {
    const existed = this.objects.has(key);
    this.objects.set(key, stored);
    this.changed({ type: existed ? 'MODIFIED' : 'ADDED', key, object: stored });
  }

  private drop(key: string): boolean {
    const old = this.objects.get(key);
    if (!old) return false;
    this.objects.delete(key);
    this.changed({ type: 'DELETED', key, object: { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.version) } } });
    return true;
  }

  private changed(c: Change): void {
    this.changes.push(c);
    for (const w of this.watches) if (this.watched(w, c)) w.res.write(`${JSON.stringify({ type: c.type, object: c.object })}\n`);
  }

  private watched(w: Watch, c: Change): boolean {
    const p = partsOf(c.key);
    return p.resource === w.resource && (w.namespace === '' || p.namespace === w.namespace) && selects(w.selector, c.object.metadata.labels);
  }

  /** Keeps the response open, sending the changes after `resourceVersion` (all objects as ADDED without one), then every later one. */
  private watch(r: FakeRequest, query: URLSearchParams, res: ServerResponse): void {
    const w: Watch = { resource: r.resource, namespace: r.namespace, selector: query.get('labelSelector') ?? '', res };
    res.writeHead(200, { 'content-type': 'application/json' });
    const from = Number(query.get('resourceVersion') ?? '0');
    const past: Change[] = from > 0 ? this.changes.filter((c) => Number(c.object.metadata.resourceVersion) > from) : [...this.objects].map(([key, object]) => ({ type: 'ADDED', key, object }));
    for (const c of past) if (this.watched(w, c)) res.write(`${JSON.stringify({ type: c.type, object: c.object })}\n`);
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
  }

  get(namespace: string, resource: string, name: string): Stored | undefined {
    return this.objects.get(`${namespace}/${resource}/${name}`);
  }

  private async handle(req: IncomingMessage, text: string, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (a: FakeAnswer): void => void res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
    const resources = DISCOVERY[url.pathname];
    if (resources) {
      send({ status: 200, body: { resources } });
      return;
    }
    const m = /^\/(?:api\/v1|apis\/slipway\.dev\/v1alpha1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?(?:\/(status))?$/.exec(url.pathname);
    if (!m?.[2] || !SERVED.has(m[2])) {
      send(status(404, 'NotFound', `${url.pathname} not found`));
      return;
    }
    const [, namespace = '', resource = '', name, subresource] = m;
    const dry = url.searchParams.get('dryRun') === 'All';
    const method = req.method ?? 'GET';
    const body = text ? (JSON.parse(text) as Stored) : undefined;
    const r: FakeRequest = { method, resource, namespace, name, subresource, dry, body: method === 'DELETE' ? undefined : body, query: url.searchParams };
    const injected = await this.intercept?.(r);
    const watch = method === 'GET' && !name && url.searchParams.get('watch') === 'true';
    this.log.push(watch ? `WATCH ${resource}` : `${method}${dry ? ' dry' : ''} ${resource}${name ? '/*' : ''}${subresource ? `/${subresource}` : ''}`);
    if (watch && !injected) this.watch(r, url.searchParams, res);
    else send(injected ?? this.serve({ ...r, body }, url));
  }

  /** GET of one object, or LIST by label. */
  private read(r: FakeRequest, existing: Stored | undefined, selector: string): FakeAnswer {
    if (r.name) return existing ? { status: 200, body: existing } : status(404, 'NotFound', `${r.resource} "${r.name}" not found`);
    const items = [...this.objects.entries()]
      .filter(([id, o]) => {
        const p = partsOf(id);
        return p.resource === r.resource && (r.namespace === '' || p.namespace === r.namespace) && selects(selector, o.metadata.labels);
      })
      .map(([, o]) => o);
    return { status: 200, body: { metadata: { resourceVersion: String(this.version) }, items } };
  }

  /** The status subresource: only `status` changes. */
  private writeStatus(key: string, body: Stored, existing: Stored | undefined): FakeAnswer {
    const { resource, name } = partsOf(key);
    if (!existing) return status(404, 'NotFound', `${resource} "${name}" not found`);
    const wanted = body.metadata.resourceVersion;
    if (wanted !== undefined && existing.metadata.resourceVersion !== wanted) return status(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified`);
    const stored: Stored = { ...existing, status: body['status'], metadata: { ...existing.metadata, resourceVersion: String(++this.version) } };
    this.store(key, stored);
    return { status: 200, body: stored };
  }

  private serve(r: FakeRequest, url: URL): FakeAnswer {
    const key = `${r.namespace}/${r.resource}/${r.name ?? r.body?.metadata.name ?? ''}`;
    const existing = this.objects.get(key);
    if (r.method === 'GET') return this.read(r, existing, url.searchParams.get('labelSelector') ?? '');
    if (r.method === 'DELETE') return this.drop(key) ? { status: 200, body: { kind: 'Status' } } : status(404, 'NotFound', `${r.resource} "${r.name ?? ''}" not found`);
    if (!r.body) return status(400, 'BadRequest', 'no body');
    if (r.subresource === 'status') return this.writeStatus(key, r.body, existing);
    if (r.method === 'POST' && existing) return status(409, 'AlreadyExists', `${r.resource} "${r.body.metadata.name ?? ''}" already exists`);
    const wanted = r.body.metadata.resourceVersion;
    if (r.method === 'PATCH' && wanted !== undefined && existing?.metadata.resourceVersion !== wanted) {
      return status(409, 'Conflict', `Operation cannot be fulfilled on ${r.resource} "${r.name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const manager = url.searchParams.get('fieldManager');
    const stored: Stored = {
      ...r.body,
      metadata: { ...r.body.metadata, namespace: r.namespace, resourceVersion: String(r.dry ? this.version : ++this.version), managedFields: [{ manager, operation: r.method === 'POST' ? 'Update' : 'Apply', fieldsV1: { 'f:data': {} } }] },
    };
    if (!r.dry) this.store(key, stored);
    return { status: existing ? 200 : 201, body: stored };
  }
}
