/**
 * The Kubernetes I/O edge: server-side apply (field manager `slipway`), server-side dry-run,
 * get/list/delete/watch over a REST mapping. Every call goes through {@link Transport}, which
 * retries with bounded backoff when the apiserver is unavailable.
 */
import type { KubeObject } from '../manifest/index.ts';
import { internal, notFound } from '../errors/index.ts';
import { RestMapper, resourcePath, type ResourceInfo } from './discovery.ts';
import { parseStatus, statusError } from './errors.ts';
import { Transport, type RetryPolicy, type KubeTarget } from './transport.ts';

/** The field manager slipway applies with; drift detection and diff look at fields it owns. */
export const FIELD_MANAGER = 'slipway';

export interface ApplyOptions {
  /**
   * Server-side dry-run: full validation and admission, nothing persisted.
   * @default false
   * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run
   */
  readonly dryRun?: boolean;
  /**
   * Take ownership of fields another manager owns instead of failing with a conflict.
   * @default false
   * @see https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
   */
  readonly force?: boolean;
}

export interface ObjectId {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string | undefined;
  readonly name: string;
}

export type LiveObject = KubeObject;

export interface ApplyResult {
  /** The object as the server stored it (or, dry-run, would store it). */
  readonly object: LiveObject;
  /** The object did not exist before this apply (HTTP 201). */
  readonly created: boolean;
}

export interface ClientOptions extends KubeTarget {
  /** @default defaultRetryPolicy */
  readonly retry?: RetryPolicy;
  /**
   * Concurrent connections to the apiserver.
   * @default 32
   */
  readonly maxSockets?: number;
}

/** `Kind/ns/name` for messages. */
export function describe(o: ObjectId): string {
  return o.namespace ? `${o.kind}/${o.namespace}/${o.name}` : `${o.kind}/${o.name}`;
}

export class KubeClient {
  readonly transport: Transport;
  readonly mapper: RestMapper;

  private constructor(transport: Transport) {
    this.transport = transport;
    this.mapper = new RestMapper(transport);
  }

  static async connect(o: ClientOptions = {}): Promise<KubeClient> {
    const t = await Transport.open({ target: o, ...(o.retry ? { retry: o.retry } : {}), ...(o.maxSockets ? { maxSockets: o.maxSockets } : {}) });
    return new KubeClient(t);
  }

  /** The namespace the kubeconfig context selects, if any. */
  get contextNamespace(): string | undefined {
    return this.transport.namespace;
  }

  close(): void {
    this.transport.close();
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = await this.mapper.lookup(apiVersion, kind);
    if (!info) {
      throw notFound(`${kind} in ${apiVersion} is not served by the cluster`, {
        cause: undefined,
        hint: 'install the CustomResourceDefinition that provides it, or check the apiVersion',
      });
    }
    return info;
  }

  /** Server-side apply of `obj` as manager `slipway`; returns the object as the server stored (or would store) it. */
  async apply(obj: KubeObject, o: ApplyOptions = {}): Promise<LiveObject> {
    return (await this.applyResult(obj, o)).object;
  }

  /**
   * {@link apply}, also telling whether the apply created (or, dry-run, would create) the object:
   * the apiserver answers 201 to an apply that creates and 200 to one that updates, so a dry-run
   * of a new object needs no GET to learn that nothing is live.
   */
  async applyResult(obj: KubeObject, o: ApplyOptions = {}): Promise<ApplyResult> {
    const name = obj.metadata.name ?? '';
    const info = await this.resourceFor(obj.apiVersion, obj.kind);
    const res = await this.transport.request({
      method: 'PATCH',
      path: resourcePath(info, { namespace: obj.metadata.namespace, name }),
      query: { fieldManager: FIELD_MANAGER, force: o.force ? 'true' : undefined, dryRun: o.dryRun ? 'All' : undefined },
      contentType: 'application/apply-patch+yaml',
      body: obj,
    });
    if (res.status >= 300) throw statusError(describe({ ...obj, name, namespace: obj.metadata.namespace }), parseStatus(res.status, res.body), res.body);
    return { object: res.body as LiveObject, created: res.status === 201 };
  }

  async get(id: ObjectId): Promise<LiveObject | undefined> {
    const info = await this.resourceFor(id.apiVersion, id.kind);
    const res = await this.transport.request({ method: 'GET', path: resourcePath(info, id) });
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw statusError(describe(id), parseStatus(res.status, res.body), res.body);
    return res.body as LiveObject;
  }

  /** All objects of a kind (in one namespace, or cluster-wide), with apiVersion/kind filled in. */
  async list(q: { apiVersion: string; kind: string; namespace?: string | undefined; labelSelector?: string | undefined }): Promise<LiveObject[]> {
    const info = await this.resourceFor(q.apiVersion, q.kind);
    const res = await this.transport.request({
      method: 'GET',
      path: resourcePath(info, { namespace: q.namespace }),
      query: { labelSelector: q.labelSelector },
    });
    if (res.status >= 300) throw statusError(`list ${q.kind}`, parseStatus(res.status, res.body), res.body);
    const items = (res.body as { items?: LiveObject[] }).items ?? [];
    // List items come without apiVersion/kind; fill them so that they are complete objects.
    return items.map((i) => ({ ...i, apiVersion: q.apiVersion, kind: q.kind }));
  }

  /** Deletes in the background (dependents garbage-collected by the cluster). */
  async delete(id: ObjectId): Promise<'deleted' | 'not-found'> {
    const info = await this.resourceFor(id.apiVersion, id.kind);
    const res = await this.transport.request({
      method: 'DELETE',
      path: resourcePath(info, id),
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
    });
    if (res.status === 404) return 'not-found';
    if (res.status >= 300) throw statusError(`delete ${describe(id)}`, parseStatus(res.status, res.body), res.body);
    return 'deleted';
  }

  /** Creates or replaces a whole object by applying it with force (used for slipway's own bookkeeping objects). */
  async put(obj: KubeObject): Promise<LiveObject> {
    return this.apply(obj, { force: true });
  }

  /**
   * Watches a kind (optionally one namespace) and calls `onEvent` for each ADDED/MODIFIED/DELETED
   * event until `signal` aborts.
   */
  async watch(
    q: { apiVersion: string; kind: string; namespace?: string; labelSelector?: string },
    onEvent: (type: string, obj: LiveObject) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const info = await this.resourceFor(q.apiVersion, q.kind);
    const query: Record<string, string> = { watch: 'true', allowWatchBookmarks: 'false' };
    if (q.labelSelector) query['labelSelector'] = q.labelSelector;
    await this.transport.stream(resourcePath(info, { namespace: q.namespace }), query, (v) => {
      const ev = v as { type?: string; object?: LiveObject };
      if (!ev.type || !ev.object) throw internal('malformed watch event', { cause: v });
      onEvent(ev.type, ev.object);
    }, signal);
  }
}
