/**
 * The Kubernetes I/O edge: server-side apply (field manager `slipway`) of objects and of their
 * `status` subresource, server-side dry-run, get/list (following `continue` tokens)/delete/watch
 * over a REST mapping. Every call goes through {@link Transport}, which retries with bounded
 * backoff when the apiserver is unavailable and keeps credentials fresh. Long-running consumers
 * watch through {@link SharedInformer} (informer.ts) rather than {@link KubeClient.watch}.
 */
import type { KubeObject } from '../manifest/index.ts';
import { internal, notFound } from '../errors/index.ts';
import { RestMapper, resourcePath, type ResourceInfo } from './discovery.ts';
import { parseStatus, statusError } from './errors.ts';
import { Transport, type RetryPolicy, type KubeTarget } from './transport.ts';
import type { ResolvedTarget } from './kubeconfig.ts';

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
  /** Aborts the request (and its retries). */
  readonly signal?: AbortSignal | undefined;
  /**
   * The field manager to apply as (a controller owns its fields apart from `slipway deploy`'s).
   * @default FIELD_MANAGER
   */
  readonly fieldManager?: string | undefined;
}

/** Options of a single-object read or delete. */
export interface RequestOptions {
  /** Aborts the request (and its retries). */
  readonly signal?: AbortSignal | undefined;
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
  /**
   * Per-request timeout in ms.
   * @default 60000
   */
  readonly requestTimeoutMs?: number;
}

/** What to list or watch: a kind, optionally in one namespace and filtered by selectors. */
export interface KindQuery {
  readonly apiVersion: string;
  readonly kind: string;
  /** undefined: all namespaces (or a cluster-scoped kind). */
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
}

export interface ListOptions {
  /**
   * Page size: the list is fetched in chunks of this many objects, following `continue` tokens.
   * @default 500
   * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks
   */
  readonly limit?: number;
  /**
   * Fetch at most this many pages (values below 1 count as 1), then stop: the result is then
   * *partial*, `limit × pages` objects at most. A check that only needs to know whether the list is
   * allowed wants `{ limit: 1, pages: 1 }`: following every `continue` token instead costs one
   * request per object (the controller's startup RBAC check, `limit: 1`, was 1,000 of the 1,002
   * LIST slipwayapps of a cold start with 1,000 SlipwayApps).
   * @default unlimited: every page, the whole list
   */
  readonly pages?: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * A consistent list: every object, and the resourceVersion to watch from. When
 * {@link ListOptions.pages} stopped it early, `continue` is set and the list is partial: `items`
 * are the first pages only, and `resourceVersion` is that of the snapshot they were read from, so
 * a watch from it would miss the objects not read (do not seed a cache with a partial list).
 */
export interface ListResult {
  readonly items: LiveObject[];
  readonly resourceVersion: string;
  /**
   * Set only when the list stopped before its end: the token that would fetch the next page of
   * the same snapshot (it expires with that snapshot, 410 Gone, after etcd compacts it).
   */
  readonly continue?: string;
}

/** One watch event. BOOKMARK carries only a resourceVersion to resume from. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  readonly object: LiveObject;
}

export interface WatchOptions {
  /** Resume after this version (from a list or an earlier event); omitted: from "now" with synthetic ADDED events. */
  readonly resourceVersion?: string | undefined;
  /**
   * Ask the server for BOOKMARK events, so a resumed watch rarely needs a relist.
   * @default true
   */
  readonly allowBookmarks?: boolean;
  /** The server ends the watch after this long (client-go picks 5–10 minutes at random). */
  readonly timeoutSeconds?: number | undefined;
}

const WATCH_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

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
    const t = await Transport.open({ target: o, ...(o.retry ? { retry: o.retry } : {}), ...(o.maxSockets ? { maxSockets: o.maxSockets } : {}), ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}) });
    return new KubeClient(t);
  }

  /** A client of an already resolved target (a registered cluster's Secret, say): no kubeconfig read. */
  static ofTarget(target: ResolvedTarget, o: Omit<ClientOptions, keyof KubeTarget> = {}): KubeClient {
    return new KubeClient(Transport.ofTarget(target, { ...(o.retry ? { retry: o.retry } : {}), ...(o.maxSockets ? { maxSockets: o.maxSockets } : {}), ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}) }));
  }

  /** `GET /version`: the apiserver's gitVersion (a cheap reachability and credentials check). */
  async version(o: RequestOptions = {}): Promise<string> {
    const res = await this.transport.request({ method: 'GET', path: '/version', signal: o.signal });
    if (res.status >= 300) throw statusError(`GET /version of ${this.transport.server}`, parseStatus(res.status, res.body), res.body);
    const v = (res.body as { gitVersion?: unknown } | undefined)?.gitVersion;
    return typeof v === 'string' ? v : 'unknown';
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
      query: { fieldManager: o.fieldManager ?? FIELD_MANAGER, force: o.force ? 'true' : undefined, dryRun: o.dryRun ? 'All' : undefined },
      contentType: 'application/apply-patch+yaml',
      body: obj,
      signal: o.signal,
    });
    if (res.status >= 300) throw statusError(describe({ ...obj, name, namespace: obj.metadata.namespace }), parseStatus(res.status, res.body), res.body);
    return { object: res.body as LiveObject, created: res.status === 201 };
  }

  async get(id: ObjectId, o: RequestOptions = {}): Promise<LiveObject | undefined> {
    const info = await this.resourceFor(id.apiVersion, id.kind);
    const res = await this.transport.request({ method: 'GET', path: resourcePath(info, id), signal: o.signal });
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw statusError(describe(id), parseStatus(res.status, res.body), res.body);
    return res.body as LiveObject;
  }

  /** All objects of a kind (in one namespace, or cluster-wide), with apiVersion/kind filled in. */
  async list(q: KindQuery, o: ListOptions = {}): Promise<LiveObject[]> {
    return (await this.listAll(q, o)).items;
  }

  /**
   * {@link list}, with the list's resourceVersion, fetched in pages. When a `continue` token
   * expires mid-way (410 Gone: etcd compacted the snapshot) the list starts over once, as
   * client-go's pager does. With {@link ListOptions.pages}, at most that many pages (a partial
   * list: {@link ListResult}).
   */
  async listAll(q: KindQuery, o: ListOptions = {}): Promise<ListResult> {
    const info = await this.resourceFor(q.apiVersion, q.kind);
    const limit = o.limit ?? 500;
    const pages = o.pages ?? Infinity;
    for (let restart = 0; ; restart++) {
      const items: LiveObject[] = [];
      let cont: string | undefined;
      let resourceVersion = '';
      let expired = false;
      let fetched = 0;
      do {
        const res = await this.transport.request({
          method: 'GET',
          path: resourcePath(info, { namespace: q.namespace }),
          query: { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector, limit: String(limit), continue: cont },
          signal: o.signal,
        });
        if (res.status === 410 && cont !== undefined && restart === 0) {
          expired = true;
          break;
        }
        if (res.status >= 300) throw statusError(`list ${q.kind}`, parseStatus(res.status, res.body), res.body);
        const body = res.body as { items?: LiveObject[]; metadata?: { continue?: string; resourceVersion?: string } };
        // List items come without apiVersion/kind; fill them so that they are complete objects.
        for (const i of body.items ?? []) items.push({ ...i, apiVersion: q.apiVersion, kind: q.kind });
        cont = body.metadata?.continue || undefined;
        resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
        fetched++;
      } while (cont !== undefined && fetched < pages);
      if (!expired) return cont === undefined ? { items, resourceVersion } : { items, resourceVersion, continue: cont };
    }
  }

  /** The object's `status`, read through the status subresource; undefined when the object does not exist. */
  async getStatus(id: ObjectId): Promise<LiveObject | undefined> {
    const info = await this.statusResource(id.apiVersion, id.kind);
    const res = await this.transport.request({ method: 'GET', path: `${resourcePath(info, id)}/status` });
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw statusError(`${describe(id)} status`, parseStatus(res.status, res.body), res.body);
    return res.body as LiveObject;
  }

  /**
   * Server-side apply of `obj.status` through the status subresource (a controller's write: the
   * spec is not touched, and RBAC can grant `<resource>/status` alone). `obj` carries apiVersion,
   * kind, metadata.name/namespace and the status fields this manager owns; with
   * `metadata.resourceVersion` set, the write fails with a conflict when the object changed.
   */
  async applyStatus(obj: KubeObject, o: ApplyOptions = {}): Promise<LiveObject> {
    const name = obj.metadata.name ?? '';
    const id = { ...obj, name, namespace: obj.metadata.namespace };
    const info = await this.statusResource(obj.apiVersion, obj.kind);
    const res = await this.transport.request({
      method: 'PATCH',
      path: `${resourcePath(info, id)}/status`,
      query: { fieldManager: o.fieldManager ?? FIELD_MANAGER, force: o.force ? 'true' : undefined, dryRun: o.dryRun ? 'All' : undefined },
      contentType: 'application/apply-patch+yaml',
      body: obj,
    });
    if (res.status >= 300) throw statusError(`${describe(id)} status`, parseStatus(res.status, res.body), res.body);
    return res.body as LiveObject;
  }

  private async statusResource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = await this.resourceFor(apiVersion, kind);
    if (!info.subresources.includes('status')) {
      throw notFound(`${kind} in ${apiVersion} has no status subresource`, {
        cause: undefined,
        hint: 'enable `subresources: {status: {}}` in its CustomResourceDefinition',
      });
    }
    return info;
  }

  /**
   * Creates `obj` (POST); a conflict error (409 AlreadyExists) when it exists. Unlike apply, two
   * writers racing to create the same object cannot both succeed: what leader election needs.
   */
  async create(obj: KubeObject): Promise<LiveObject> {
    const name = obj.metadata.name ?? '';
    const info = await this.resourceFor(obj.apiVersion, obj.kind);
    const res = await this.transport.request({ method: 'POST', path: resourcePath(info, { namespace: obj.metadata.namespace }), query: { fieldManager: FIELD_MANAGER }, body: obj });
    if (res.status >= 300) throw statusError(`create ${describe({ ...obj, name, namespace: obj.metadata.namespace })}`, parseStatus(res.status, res.body), res.body);
    return res.body as LiveObject;
  }

  /**
   * Replaces `obj` (PUT) under optimistic concurrency: `obj.metadata.resourceVersion` must be the
   * one last read, else a conflict error (409) says someone else wrote in between.
   */
  async replace(obj: KubeObject): Promise<LiveObject> {
    const name = obj.metadata.name ?? '';
    const id = { ...obj, name, namespace: obj.metadata.namespace };
    const info = await this.resourceFor(obj.apiVersion, obj.kind);
    const res = await this.transport.request({ method: 'PUT', path: resourcePath(info, id), query: { fieldManager: FIELD_MANAGER }, body: obj });
    if (res.status >= 300) throw statusError(`replace ${describe(id)}`, parseStatus(res.status, res.body), res.body);
    return res.body as LiveObject;
  }

  /** Deletes in the background (dependents garbage-collected by the cluster). */
  async delete(id: ObjectId, o: RequestOptions = {}): Promise<'deleted' | 'not-found'> {
    const info = await this.resourceFor(id.apiVersion, id.kind);
    const res = await this.transport.request({
      method: 'DELETE',
      path: resourcePath(info, id),
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      signal: o.signal,
    });
    if (res.status === 404) return 'not-found';
    if (res.status >= 300) throw statusError(`delete ${describe(id)}`, parseStatus(res.status, res.body), res.body);
    return 'deleted';
  }

  /**
   * One watch request: calls `onEvent` for each event until the server ends the watch (resolves)
   * or `signal` aborts (resolves). Rejects, never throws from a stream listener, on a non-2xx
   * answer (403, 401 after a credential refresh…), on an ERROR event (410 Gone when
   * `resourceVersion` is too old: {@link apiStatusOf} tells), on a malformed event, and when
   * `onEvent` throws. A long-running consumer wants {@link SharedInformer}, which lists, resumes,
   * relists and backs off around this.
   */
  async watch(q: KindQuery, o: WatchOptions, onEvent: (ev: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const info = await this.resourceFor(q.apiVersion, q.kind);
    const query: Record<string, string> = { watch: 'true', allowWatchBookmarks: o.allowBookmarks === false ? 'false' : 'true' };
    if (q.labelSelector) query['labelSelector'] = q.labelSelector;
    if (q.fieldSelector) query['fieldSelector'] = q.fieldSelector;
    if (o.resourceVersion) query['resourceVersion'] = o.resourceVersion;
    if (o.timeoutSeconds !== undefined) query['timeoutSeconds'] = String(o.timeoutSeconds);
    const what = `watch ${q.kind}${q.namespace ? ` in ${q.namespace}` : ''}`;
    await this.transport.stream(resourcePath(info, { namespace: q.namespace }), query, (v) => {
      const ev = v as { type?: unknown; object?: unknown };
      const obj = ev.object as LiveObject | undefined;
      if (ev.type === 'ERROR') {
        const st = obj as { code?: unknown } | undefined;
        const code = typeof st?.code === 'number' ? st.code : 500;
        throw statusError(what, parseStatus(code, obj), obj);
      }
      if (typeof ev.type !== 'string' || !WATCH_TYPES.has(ev.type) || typeof obj !== 'object' || obj === null) {
        throw internal(`${what}: malformed watch event`, { cause: v });
      }
      // Watch objects carry apiVersion/kind; fill them anyway for kinds served without them.
      onEvent({ type: ev.type as WatchEvent['type'], object: { ...obj, apiVersion: q.apiVersion, kind: q.kind } });
    }, signal);
  }
}
