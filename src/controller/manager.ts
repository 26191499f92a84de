/**
 * The controller runtime every slipway reconciler runs in (progressive delivery now, GitOps
 * next): shared informers, a work queue per reconciler, leader election through a Lease,
 * Kubernetes Events, structured JSON logs (pino) and `/healthz`, `/readyz`, `/metrics`
 * (prom-client, served by fastify).
 *
 * Informers start at once, so a standby replica keeps warm caches; only the Lease holder runs
 * reconcilers. Gaining leadership queues every cached object; losing it (or SIGTERM) aborts the
 * reconcilers' signal, lets the writes in flight finish, and releases the Lease.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isSlipwayError } from '../errors/index.ts';
import { InformerFactory, objectKey, type KindQuery, type KubeClient, type LiveObject } from '../kube/index.ts';
import { EventRecorder } from './events.ts';
import { LeaderElector } from './leader.ts';
import { WorkQueue, type ReconcileResult } from './queue.ts';

export interface ReconcileContext {
  readonly client: KubeClient;
  readonly informers: InformerFactory;
  readonly events: EventRecorder;
  /** A logger bound to the object's namespace and name. */
  readonly log: Logger;
  /** Aborts when leadership is lost or the process shuts down. */
  readonly signal: AbortSignal;
  /** The process's Prometheus registry (/metrics), for a reconciler's own metrics. */
  readonly registry: Registry;
}

/** Objects of another kind whose changes mean "look at these primary objects again". @public */
export interface SecondaryWatch {
  readonly query: KindQuery;
  /** The `ns/name` keys of the primary objects `obj` belongs to. */
  keysOf(obj: LiveObject): readonly string[];
}

/** What a reconciler may hold on to beyond one reconcile (see {@link Reconciler.setup}). @public */
export interface ReconcilerHooks {
  readonly client: KubeClient;
  readonly informers: InformerFactory;
  /** Queues a key of this reconciler, now or after `afterMs` (kept while this replica does not lead, handled when it does). */
  readonly enqueue: (key: string, afterMs?: number) => void;
  readonly log: Logger;
  readonly registry: Registry;
}

export interface Reconciler {
  /** Short name for logs and metrics, e.g. `rollout`. */
  readonly name: string;
  /**
   * Called once when the manager starts, before the informers do: for a reconciler that watches
   * kinds it learns about while reconciling (the objects a GitOps app deploys), or that is told
   * about changes from outside (a webhook).
   */
  readonly setup?: (hooks: ReconcilerHooks) => void;
  /** The kind it reconciles; keys are `namespace/name`. */
  readonly primary: KindQuery;
  readonly secondary?: readonly SecondaryWatch[];
  /** @default 4 */
  readonly workers?: number;
  reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | undefined>;
}

/** What a {@link ManagerOptions.routes} function may use to serve its endpoints. */
export interface ServerContext {
  readonly client: KubeClient;
  /** The process's informers: one asked for here starts at once and is shared with the reconcilers. */
  readonly informers: InformerFactory;
  readonly registry: Registry;
  readonly log: Logger;
}

export interface ManagerOptions {
  readonly client: KubeClient;
  readonly reconcilers: readonly Reconciler[];
  /** This replica's identity in the Lease and in Events. */
  readonly identity: string;
  readonly leaseNamespace: string;
  /** @default 'slipway-controller' */
  readonly leaseName?: string;
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineSeconds?: number;
  readonly retryPeriodSeconds?: number;
  /** Port of /healthz, /readyz, /metrics; 0 picks a free one; undefined serves nothing. */
  readonly port?: number | undefined;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /**
   * More endpoints on the same port (the GitOps webhook receivers), registered before it
   * listens; served whether or not this replica leads, like /healthz.
   */
  readonly routes?: readonly ((app: FastifyInstance, ctx: ServerContext) => void)[];
  /** @default pino to stdout, level info */
  readonly logger?: Logger;
}

export interface RunningManager {
  /** The URL /healthz etc. are served at, when a port was given. */
  readonly url: string | undefined;
  /** Resolves when the manager stopped (signal aborted, lease released). */
  readonly done: Promise<void>;
  isLeader(): boolean;
}

export class Manager {
  private readonly o: ManagerOptions;
  private readonly log: Logger;
  private readonly informers: InformerFactory;
  private readonly events: EventRecorder;
  readonly registry = new Registry();
  private readonly metrics;
  private elector: LeaderElector | undefined;

  constructor(o: ManagerOptions) {
    this.o = o;
    this.log = o.logger ?? pino({ base: { controller: 'slipway', identity: o.identity } });
    // Reconcilers never read managedFields: the caches need not keep them.
    this.informers = new InformerFactory(o.client, { stripManagedFields: true });
    this.events = new EventRecorder({ client: o.client, component: 'slipway-controller', instance: o.identity, onError: (e) => this.log.warn({ err: describeError(e) }, 'could not record an event') });
    collectDefaultMetrics({ register: this.registry, prefix: 'slipway_controller_' });
    this.metrics = {
      reconciles: new Counter({ name: 'slipway_controller_reconcile_total', help: 'Reconciles by reconciler and result', labelNames: ['reconciler', 'result'] as const, registers: [this.registry] }),
      latency: new Histogram({ name: 'slipway_controller_reconcile_duration_seconds', help: 'Reconcile latency', labelNames: ['reconciler'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] }),
      depth: new Gauge({ name: 'slipway_controller_workqueue_depth', help: 'Keys waiting per reconciler', labelNames: ['reconciler'] as const, registers: [this.registry] }),
      leader: new Gauge({ name: 'slipway_controller_leader', help: '1 while this replica holds the Lease', registers: [this.registry] }),
      requests: new Counter({
        name: 'slipway_controller_kube_requests_total',
        help: 'Requests this process sent to the apiserver (each attempt, each watch), by verb and resource',
        labelNames: ['verb', 'resource'] as const,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [k, n] of o.client.transport.requests) {
            const [verb = '', resource = ''] = k.split(' ');
            this.inc({ verb, resource }, n);
          }
        },
      }),
      informerErrors: new Counter({ name: 'slipway_controller_informer_errors_total', help: 'List/watch failures the informers backed off from', labelNames: ['kind'] as const, registers: [this.registry] }),
    };
  }

  /** Starts everything; stops (releasing the Lease) when `signal` aborts. */
  async start(signal: AbortSignal): Promise<RunningManager> {
    const queues = new Map<Reconciler, WorkQueue>();
    for (const r of this.o.reconcilers) {
      const q = new WorkQueue();
      queues.set(r, q);
      r.setup?.({
        client: this.o.client,
        informers: this.informers,
        enqueue: (k, afterMs) => (afterMs !== undefined && afterMs > 0 ? q.addAfter(k, afterMs) : q.add(k)),
        log: this.log.child({ reconciler: r.name }),
        registry: this.registry,
      });
      const primary = this.informers.informer(r.primary);
      const enqueue = (o: LiveObject): void => q.add(objectKey(o));
      primary.on({ add: enqueue, update: enqueue, delete: enqueue, error: (e) => this.informerError(r.primary.kind, e) });
      for (const s of r.secondary ?? []) {
        const inf = this.informers.informer(s.query);
        const fan = (o: LiveObject): void => {
          for (const k of s.keysOf(o)) q.add(k);
        };
        inf.on({ add: fan, update: fan, delete: fan, error: (e) => this.informerError(s.query.kind, e) });
      }
    }
    this.informers.start(signal);

    const server = this.o.port === undefined ? undefined : await this.serve(signal);
    this.elector = new LeaderElector({
      client: this.o.client,
      namespace: this.o.leaseNamespace,
      name: this.o.leaseName ?? 'slipway-controller',
      identity: this.o.identity,
      ...(this.o.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: this.o.leaseDurationSeconds } : {}),
      ...(this.o.renewDeadlineSeconds !== undefined ? { renewDeadlineSeconds: this.o.renewDeadlineSeconds } : {}),
      ...(this.o.retryPeriodSeconds !== undefined ? { retryPeriodSeconds: this.o.retryPeriodSeconds } : {}),
      onStartedLeading: (leading) => {
        this.metrics.leader.set(1);
        this.log.info('leading: reconcilers started');
        void this.lead(queues, leading);
      },
      onStoppedLeading: (why) => {
        this.metrics.leader.set(0);
        this.log.info({ why }, 'stopped leading');
      },
      onNewLeader: (id) => this.log.info({ leader: id }, 'leader observed'),
      onError: (e) => this.log.warn({ err: describeError(e) }, 'leader election'),
    });
    const done = (async () => {
      await this.elector?.run(signal);
      await server?.close();
    })();
    const addr = server?.server.address();
    return {
      url: addr && typeof addr === 'object' ? `http://${addr.address}:${addr.port}` : undefined,
      done,
      isLeader: () => this.elector?.isLeader ?? false,
    };
  }

  private async lead(queues: Map<Reconciler, WorkQueue>, signal: AbortSignal): Promise<void> {
    await this.informers.waitForSync(signal);
    const runs = [...queues].map(([r, q]) => {
      for (const o of this.informers.informer(r.primary).list()) q.add(objectKey(o));
      const depth = setInterval(() => this.metrics.depth.set({ reconciler: r.name }, q.length), 1000);
      depth.unref();
      return q
        .run(
          r.workers ?? 4,
          async (key) => {
            const [namespace, name] = key.includes('/') ? key.split('/', 2) : [undefined, key];
            const log = this.log.child({ reconciler: r.name, namespace, name });
            const end = this.metrics.latency.startTimer({ reconciler: r.name });
            try {
              const res = await r.reconcile(key, { client: this.o.client, informers: this.informers, events: this.events, log, signal, registry: this.registry });
              this.metrics.reconciles.inc({ reconciler: r.name, result: 'ok' });
              return res;
            } catch (e) {
              this.metrics.reconciles.inc({ reconciler: r.name, result: 'error' });
              log.warn({ err: describeError(e), retryIn: q.backoffFor(key) }, 'reconcile failed; will retry');
              throw e;
            } finally {
              end();
            }
          },
          signal,
        )
        .finally(() => clearInterval(depth));
    });
    await Promise.all(runs);
  }

  private informerError(kind: string, e: unknown): void {
    this.metrics.informerErrors.inc({ kind });
    this.log.warn({ kind, err: describeError(e) }, 'informer backing off');
  }

  private async serve(signal: AbortSignal): Promise<FastifyInstance> {
    const app = Fastify({ logger: false });
    app.get('/healthz', () => ({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      const synced = this.o.reconcilers.every((r) => this.informers.informer(r.primary).hasSynced);
      const body = { status: synced ? 'ok' : 'syncing', leader: this.elector?.isLeader ?? false };
      return reply.code(synced ? 200 : 503).send(body);
    });
    app.get('/metrics', async (_req, reply) => reply.header('content-type', this.registry.contentType).send(await this.registry.metrics()));
    for (const routes of this.o.routes ?? []) routes(app, { client: this.o.client, informers: this.informers, registry: this.registry, log: this.log });
    await app.listen({ port: this.o.port ?? 0, host: this.o.host ?? '127.0.0.1' });
    signal.addEventListener('abort', () => this.log.info('shutting down'), { once: true });
    return app;
  }
}

/** An error as a log field: kind, message, hint; never a stack of request bodies. */
function describeError(e: unknown): Record<string, unknown> {
  if (isSlipwayError(e)) return { kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return { message: e instanceof Error ? e.message : String(e) };
}
