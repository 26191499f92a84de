/**
 * Test support for the rollout reconciler (tests only): an in-memory apiserver that records every
 * write in order, a reconcile context around it, and a fake Prometheus that answers the SLO
 * queries slipway generates with values chosen per query kind and per set of pods.
 */
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { ReconcileContext } from '../controller/index.ts';
import type { KindQuery, KubeClient, LiveObject, ObjectId } from '../kube/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import { reconcileRollout } from './reconcile.ts';
import { API_VERSION, KIND, type ServiceRollout } from './types.ts';

const key = (o: { kind?: string; namespace?: string | undefined; name?: string | undefined }) => `${o.kind ?? ''}/${o.namespace ?? ''}/${o.name ?? ''}`;
const clone = <T>(x: T): T => structuredClone(x);

/** `a=b,c,!d` against labels. */
function selects(selector: string | undefined, labels: Record<string, string> | undefined): boolean {
  for (const term of (selector ?? '').split(',').filter((t) => t !== '')) {
    const [k = '', v] = term.split('=');
    if (k.startsWith('!') ? labels?.[k.slice(1)] !== undefined : v === undefined ? labels?.[k] === undefined : labels?.[k] !== v) return false;
  }
  return true;
}

/** Just enough of an apiserver: objects by kind/ns/name, server-side apply as replace, list by label, delete, and the order of writes. */
export class MemoryApi {
  readonly objects = new Map<string, LiveObject>();
  readonly writes: { what: string; at: number; object: LiveObject }[] = [];
  private rv = 1;

  put(o: KubeObject): LiveObject {
    const k = key({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
    const prev = this.objects.get(k);
    const gen = ((prev?.metadata as { generation?: number } | undefined)?.generation ?? 0) + 1;
    const next = { ...clone(o), metadata: { ...clone(o.metadata), uid: 'uid-1', generation: gen, resourceVersion: String(this.rv++) } } as LiveObject;
    if (o.kind === 'Deployment') {
      // kwok-like: every pod is ready at once.
      const replicas = (o['spec'] as { replicas?: number }).replicas ?? 1;
      next['status'] = { observedGeneration: gen, replicas, updatedReplicas: replicas, availableReplicas: replicas };
    } else if (prev?.['status'] !== undefined) next['status'] = prev['status'];
    this.objects.set(k, next);
    return next;
  }

  get(kind: string, namespace: string, name: string): LiveObject | undefined {
    return this.objects.get(key({ kind, namespace, name }));
  }

  client(): KubeClient {
    const c = {
      get: (id: ObjectId) => Promise.resolve(clone(this.objects.get(key(id)))),
      list: (q: KindQuery) =>
        Promise.resolve([...this.objects.values()].filter((o) => o.kind === q.kind && (q.namespace === undefined || o.metadata.namespace === q.namespace) && selects(q.labelSelector, o.metadata.labels)).map(clone)),
      delete: (id: ObjectId) => {
        const gone = this.objects.delete(key(id));
        this.writes.push({ what: `delete ${id.kind} ${id.name ?? ''}`, at: Date.now(), object: { apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name ?? '' } } });
        return Promise.resolve(gone ? 'deleted' : 'not-found');
      },
      apply: (o: KubeObject) => {
        const v = this.put(o);
        this.writes.push({ what: `apply ${o.kind}`, at: Date.now(), object: clone(v) });
        return Promise.resolve(v);
      },
      applyStatus: (o: KubeObject & { status?: unknown }) => {
        const k = key({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
        const live = this.objects.get(k);
        if (!live) throw new Error(`${k} not found`);
        const next = { ...live, status: clone(o.status), metadata: { ...live.metadata, resourceVersion: String(this.rv++) } } as LiveObject;
        this.objects.set(k, next);
        this.writes.push({ what: 'status', at: Date.now(), object: clone(next) });
        return Promise.resolve(next);
      },
    };
    return c as unknown as KubeClient;
  }

  rollout(namespace = 'shop', name = 'api'): ServiceRollout {
    return this.objects.get(key({ kind: KIND, namespace, name })) as unknown as ServiceRollout;
  }

  /** Sets a rollout's spec as `kubectl apply` would (metadata.generation goes up), keeping its status. */
  update(ro: ServiceRollout): void {
    const live = this.rollout(ro.metadata.namespace, ro.metadata.name);
    this.put({ ...ro, metadata: { ...live.metadata, annotations: ro.metadata.annotations ?? {} } });
  }
}

/** A reconcile context on `api`, with the Events recorded as `Type Reason message` and the controller's metrics registry. */
export function memoryContext(api: MemoryApi): { ctx: ReconcileContext; events: string[] } {
  const events: string[] = [];
  const informer = { get: (name: string, ns: string) => api.get(KIND, ns, name), list: () => [] };
  const ctx = {
    client: api.client(),
    informers: { informer: (q: { kind: string }) => (q.kind === KIND ? informer : { get: () => undefined, list: () => [] }) },
    events: { record: (_o: unknown, type: string, reason: string, message: string) => Promise.resolve(void events.push(`${type} ${reason} ${message}`)) },
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    registry: new Registry(),
  } as unknown as ReconcileContext;
  return { ctx, events };
}

/** One reconcile of `shop/api` (or `key`) with the controller's Prometheus at `prometheusUrl`. */
export const reconcileOnce = (ctx: ReconcileContext, prometheusUrl?: string, key = 'shop/api') =>
  reconcileRollout(key, ctx, { apiVersion: API_VERSION, kind: KIND, namespace: key.split('/')[0] }, { prometheusUrl });

/** The SLO query kinds slipway generates (src/analysis sloMetrics). */
export type SloQuery = 'successRate' | 'latencyP95Ms' | 'requests';

/** What the fake Prometheus answers: a number, no series at all, or an HTTP error. */
export type PromAnswer = number | 'empty' | { readonly status: number };

/**
 * A Prometheus that answers instant queries by kind (success ratio, p95 in ms, request count) and
 * by the pods they select (the `pod=~"…"` regex), through `answer`, which a test changes at will.
 */
export class FakePrometheus {
  /** By query kind, the pods it selects, and (for queries of other shapes, e.g. the judge's) the whole query. */
  answer: (query: SloQuery, pods: string, text: string) => PromAnswer = (q) => (q === 'successRate' ? 0.999 : q === 'latencyP95Ms' ? 80 : 500);
  readonly queries: string[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      this.queries.push(query);
      const kind: SloQuery = query.includes('increase(') ? 'requests' : query.includes('histogram_quantile') ? 'latencyP95Ms' : 'successRate';
      const a = this.answer(kind, /pod=~"([^"]+)"/.exec(query)?.[1] ?? '', query);
      if (typeof a === 'object') return void res.writeHead(a.status).end('{"status":"error","error":"broken"}');
      const result = a === 'empty' ? [] : [{ metric: {}, value: [Date.now() / 1000, String(a)] }];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
    });
    const server = this.server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    const server = this.server;
    return new Promise((r) => (server ? server.close(() => r()) : r()));
  }
}
