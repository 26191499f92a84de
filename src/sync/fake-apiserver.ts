/**
 * Test support: just enough apiserver for the engine's unit tests. ConfigMaps and Secrets in any
 * namespace: discovery, GET, LIST by label, DELETE, POST (create; 409 AlreadyExists), server-side
 * apply and its dry-run, with resourceVersions (an apply carrying a stale one is refused with 409,
 * as the real apiserver does). `intercept` injects faults or races before a request is served.
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
  readonly namespace: string;
  readonly name: string | undefined;
  readonly dry: boolean;
  readonly body: Stored | undefined;
}

export interface FakeAnswer {
  readonly status: number;
  readonly body: unknown;
}

const status = (code: number, reason: string, message: string): FakeAnswer => ({ status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message } });

export class FakeApiserver {
  /** By `namespace/resource/name`. */
  readonly objects = new Map<string, Stored>();
  /** `METHOD[ dry] resource[/*]` per request served, e.g. `PATCH dry configmaps/*`. */
  readonly log: string[] = [];
  /** Called before each request; an answer replaces the normal one (fault injection), or do something first (a race). */
  intercept: ((r: FakeRequest) => FakeAnswer | undefined | Promise<FakeAnswer | undefined>) | undefined;
  private server: Server | undefined;
  private version = 100;

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
    return new Promise((r) => this.server?.close(() => r()));
  }

  count(what: string): number {
    return this.log.filter((l) => l === what).length;
  }

  /** Stores `o` as if written by another client (a new resourceVersion). */
  put(namespace: string, resource: string, o: KubeObject): Stored {
    const stored: Stored = { ...o, metadata: { ...o.metadata, namespace, resourceVersion: String(++this.version) } };
    this.objects.set(`${namespace}/${resource}/${o.metadata.name ?? ''}`, stored);
    return stored;
  }

  get(namespace: string, resource: string, name: string): Stored | undefined {
    return this.objects.get(`${namespace}/${resource}/${name}`);
  }

  private async handle(req: IncomingMessage, text: string, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (a: FakeAnswer): void => void res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
    if (url.pathname === '/api/v1') {
      send({ status: 200, body: { resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }, { name: 'secrets', kind: 'Secret', namespaced: true }, { name: 'services', kind: 'Service', namespaced: true }] } });
      return;
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/(configmaps|secrets|services)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) {
      send(status(404, 'NotFound', `${url.pathname} not found`));
      return;
    }
    const [, namespace = '', resource = '', name] = m;
    const dry = url.searchParams.get('dryRun') === 'All';
    const method = req.method ?? 'GET';
    const body = text ? (JSON.parse(text) as Stored) : undefined;
    const injected = await this.intercept?.({ method, resource, namespace, name, dry, body: method === 'DELETE' ? undefined : body });
    this.log.push(`${method}${dry ? ' dry' : ''} ${resource}${name ? '/*' : ''}`);
    send(injected ?? this.serve({ method, resource, namespace, name, dry, body }, url));
  }

  private serve(r: FakeRequest, url: URL): FakeAnswer {
    const key = `${r.namespace}/${r.resource}/${r.name ?? r.body?.metadata.name ?? ''}`;
    const existing = this.objects.get(key);
    if (r.method === 'GET' && r.name) return existing ? { status: 200, body: existing } : status(404, 'NotFound', `${r.resource} "${r.name}" not found`);
    if (r.method === 'GET') {
      const [k, v] = (url.searchParams.get('labelSelector') ?? '').split('=');
      const items = [...this.objects.entries()].filter(([id, o]) => id.startsWith(`${r.namespace}/${r.resource}/`) && (!k || o.metadata.labels?.[k] === v)).map(([, o]) => o);
      return { status: 200, body: { items } };
    }
    if (r.method === 'DELETE') return this.objects.delete(key) ? { status: 200, body: { kind: 'Status' } } : status(404, 'NotFound', `${r.resource} "${r.name ?? ''}" not found`);
    if (!r.body) return status(400, 'BadRequest', 'no body');
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
    if (!r.dry) this.objects.set(key, stored);
    return { status: existing ? 200 : 201, body: stored };
  }
}
