/**
 * Shared informers: list+watch of one kind into an in-memory cache, with event handlers, the way
 * client-go's informers work. Several reconcilers (and later the dashboard) share one informer
 * per kind through {@link InformerFactory}, so the apiserver sees one watch per kind, not one per
 * consumer.
 *
 * Lifecycle of one informer: LIST in pages (following `continue`), then WATCH from the list's
 * resourceVersion with bookmarks. A watch the server ends is resumed from the last seen
 * resourceVersion (event or bookmark). `410 Gone` (the version was compacted away) means relist;
 * the relist is diffed against the cache, so handlers see exactly the changes they missed: an
 * object whose resourceVersion did not change produces no event, one that changed produces one
 * update, one that vanished produces one delete. Any other failure (apiserver down, 403, a
 * handler-independent parse error) is reported to the error handlers and retried after an
 * exponential backoff with jitter, until the AbortSignal given to {@link SharedInformer.run}
 * fires. Handler exceptions are reported as errors too; they never stop the informer.
 *
 * Why not @kubernetes/client-node's `ListWatch`/`makeInformer` (v2.0.1, dist/cache.js): it does
 * not ask for bookmarks, lists in one request (no `continue`), and on any error other than 410
 * it calls the error handlers and stops, leaving restart and backoff to every caller. It also
 * brings its own HTTP stack, so a process would authenticate, proxy and retry two ways; this
 * one runs on {@link Transport}, with the same credential refresh and proxy rules as every
 * other request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { internal, isSlipwayError, type SlipwayError } from '../errors/index.ts';
import { omit } from '../manifest/index.ts';
import type { KindQuery, KubeClient, LiveObject, WatchEvent } from './client.ts';
import { apiStatusOf } from './errors.ts';

export interface InformerOptions {
  /**
   * Page size of the initial list and of relists.
   * @default 500
   */
  readonly pageSize?: number;
  /**
   * First backoff after a failure, in ms; doubles per consecutive failure.
   * @default 500
   */
  readonly backoffBaseMs?: number;
  /**
   * Upper bound of one backoff wait, in ms.
   * @default 30000
   */
  readonly backoffMaxMs?: number;
  /**
   * Drop `metadata.managedFields` from cached objects (client-go's TransformStripManagedFields):
   * for a controller that never reads them they are most of an object's size in memory.
   * @default false
   */
  readonly stripManagedFields?: boolean;
  /** Server-side watch timeout range in seconds; each watch picks one at random so that watches do not all reconnect together. @default [300, 600] */
  readonly watchTimeoutSeconds?: readonly [number, number];
}

export interface InformerHandlers {
  readonly add?: (obj: LiveObject) => void;
  readonly update?: (obj: LiveObject, old: LiveObject) => void;
  readonly delete?: (obj: LiveObject) => void;
  /** A failure the informer is backing off from (the apiserver down, 403, …), or a handler that threw. */
  readonly error?: (e: SlipwayError) => void;
}

/** `ns/name` (or `name`), the cache key client-go uses. */
export function objectKey(o: { readonly metadata: { readonly namespace?: string | undefined; readonly name?: string | undefined } }): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name ?? ''}` : (o.metadata.name ?? '');
}

const rv = (o: LiveObject): string => (o.metadata as { resourceVersion?: string }).resourceVersion ?? '';

export class SharedInformer {
  readonly query: KindQuery;
  private readonly client: KubeClient;
  private readonly opts: Required<InformerOptions>;
  private readonly cache = new Map<string, LiveObject>();
  private readonly handlers: InformerHandlers[] = [];
  private resourceVersion = '';
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];
  private running: Promise<void> | undefined;
  /** Counters for tests and /metrics: lists done, watches started, failures seen. */
  readonly stats = { lists: 0, watches: 0, errors: 0 };

  constructor(client: KubeClient, query: KindQuery, opts: InformerOptions = {}) {
    this.client = client;
    this.query = query;
    this.opts = { pageSize: opts.pageSize ?? 500, backoffBaseMs: opts.backoffBaseMs ?? 500, backoffMaxMs: opts.backoffMaxMs ?? 30_000, watchTimeoutSeconds: opts.watchTimeoutSeconds ?? [300, 600], stripManagedFields: opts.stripManagedFields ?? false };
  }

  /** Registers handlers; objects already in the cache are delivered to `add` at once, as client-go does for late registrations. Returns an unregister function. */
  on(h: InformerHandlers): () => void {
    this.handlers.push(h);
    if (this.synced && h.add) for (const o of this.cache.values()) this.call(() => h.add?.(o));
    return () => {
      const i = this.handlers.indexOf(h);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /** The cached object, if any. */
  get(name: string, namespace?: string): LiveObject | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Cached objects, optionally of one namespace. */
  list(namespace?: string): LiveObject[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the cache is current to. */
  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Resolves once the first list is in the cache (or when `signal` aborts). */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Runs until `signal` aborts (then resolves). Calling it again while running returns the same promise. */
  run(signal: AbortSignal): Promise<void> {
    this.running ??= this.loop(signal).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        const [lo, hi] = this.opts.watchTimeoutSeconds;
        this.stats.watches++;
        let progressed = false;
        const started = Date.now();
        await this.client.watch(
          this.query,
          { resourceVersion: this.resourceVersion, allowBookmarks: true, timeoutSeconds: Math.round(lo + Math.random() * (hi - lo)) },
          (ev) => {
            progressed = true;
            this.apply(ev);
          },
          signal,
        );
        // The server ended the watch (its timeout, or it went away cleanly): resume from where we are,
        // at once after a watch that did its job, after a backoff when it ended at once with nothing.
        if (progressed || Date.now() - started > 5000) failures = 0;
        else await sleep(this.opts.backoffBaseMs * (1 + Math.random()), undefined, { signal }).catch(() => undefined);
      } catch (e) {
        if (signal.aborted) break;
        if (apiStatusOf(e)?.code === 410) {
          // Our resourceVersion was compacted away: relist and diff; not a failure to back off from.
          needList = true;
          continue;
        }
        this.stats.errors++;
        this.report(e);
        failures++;
        const ceiling = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** Math.min(failures - 1, 20));
        await sleep(ceiling / 2 + Math.random() * (ceiling / 2), undefined, { signal }).catch(() => undefined);
        // A resumed watch after a failure starts from the same resourceVersion; a 410 then triggers the relist.
      }
    }
  }

  /** Lists everything and brings the cache (and the handlers) up to date with it. */
  private async relist(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.client.listAll(this.query, { limit: this.opts.pageSize, signal });
    this.stats.lists++;
    const seen = new Set<string>();
    for (const item of items) {
      const o = this.transform(item);
      const key = objectKey(o);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, o);
      if (!old) this.emit('add', o);
      else if (rv(old) !== rv(o)) this.emit('update', o, old);
    }
    for (const [key, old] of this.cache) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.emit('delete', old);
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** The object as the cache keeps it. */
  private transform(o: LiveObject): LiveObject {
    if (!this.opts.stripManagedFields || !('managedFields' in o.metadata)) return o;
    return { ...o, metadata: omit(o.metadata, ['managedFields']) };
  }

  private apply(ev: WatchEvent): void {
    const o = this.transform(ev.object);
    const v = rv(o);
    if (ev.type === 'BOOKMARK') {
      if (v) this.resourceVersion = v;
      return;
    }
    const key = objectKey(o);
    const old = this.cache.get(key);
    if (ev.type === 'DELETED') {
      if (old) {
        this.cache.delete(key);
        this.emit('delete', o);
      }
    } else if (!old) {
      this.cache.set(key, o);
      this.emit('add', o);
    } else if (rv(old) !== v) {
      // A resumed watch may replay an object the cache already holds at this version: no event.
      this.cache.set(key, o);
      this.emit('update', o, old);
    }
    if (v) this.resourceVersion = v;
  }

  private emit(type: 'add' | 'update' | 'delete', o: LiveObject, old?: LiveObject): void {
    for (const h of [...this.handlers]) {
      if (type === 'add') this.call(() => h.add?.(o));
      else if (type === 'update') this.call(() => h.update?.(o, old ?? o));
      else this.call(() => h.delete?.(o));
    }
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.report(internal(`informer handler for ${this.query.kind} threw: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
    }
  }

  private report(e: unknown): void {
    const err = isSlipwayError(e) ? e : internal(`informer ${this.query.kind}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    for (const h of [...this.handlers]) {
      try {
        h.error?.(err);
      } catch {
        // An error handler that throws has nowhere left to report to.
      }
    }
  }
}

/**
 * One informer per (kind, namespace, selectors) for a whole process: `informer()` hands out the
 * same instance to every consumer that asks for the same query.
 */
export class InformerFactory {
  private readonly client: KubeClient;
  private readonly opts: InformerOptions;
  private readonly informers = new Map<string, SharedInformer>();
  private signal: AbortSignal | undefined;

  constructor(client: KubeClient, opts: InformerOptions = {}) {
    this.client = client;
    this.opts = opts;
  }

  /**
   * The informer of `q`, created on first use. `keepManagedFields` asks for an informer that keeps
   * `metadata.managedFields` even when the factory strips them (a consumer that tells who changed
   * a field, GitOps drift); it is a separate informer from the stripped one of the same query.
   */
  informer(q: KindQuery, o: { readonly keepManagedFields?: boolean } = {}): SharedInformer {
    const keep = o.keepManagedFields === true && this.opts.stripManagedFields === true;
    const key = [q.apiVersion, q.kind, q.namespace ?? '', q.labelSelector ?? '', q.fieldSelector ?? '', keep ? 'managedFields' : ''].join('|');
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new SharedInformer(this.client, q, keep ? { ...this.opts, stripManagedFields: false } : this.opts);
      this.informers.set(key, inf);
      // Informers asked for after start() start at once.
      if (this.signal) void inf.run(this.signal);
    }
    return inf;
  }

  /** Starts every informer (and any created later) until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const inf of this.informers.values()) void inf.run(signal);
  }

  /** Resolves when every informer created so far has synced. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }
}
