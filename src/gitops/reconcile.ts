/**
 * The SlipwayApp reconciler: keeps a cluster equal to a path of a git repository.
 *
 * One reconcile of one app:
 *  1. resolves the source revision (git.ts: one ls-remote per repository per interval, shared)
 *     and renders it (cached per commit and path); a repository that cannot be reached leaves
 *     everything as it is (no write, no prune) and is retried with backoff;
 *  2. compares what the last sync applied (the inventory's latest revision) with the live objects,
 *     as the informers on the managed kinds cache them: drift classified by field manager
 *     (drift.ts), health per object;
 *  3. syncs when the target changed (automated), when drift is seen (selfHeal), when asked
 *     (`slipway app sync|rollback`), or to finish a sync a crash interrupted; through the deploy
 *     engine of `slipway deploy` (dry-run of everything before any write, staged server-side
 *     apply, unchanged objects skipped, prune after health, inventory and history), bounded by
 *     the sync timeout;
 *  4. writes the status when it changed, with an Event per transition.
 *
 * Drift is seen on every informer event of a managed object (not on a timer): the event queues
 * the apps that deployed that object. State that matters lives in the cluster (status, the
 * inventory); what is in memory (baselines, the render cache, the object → app index) is rebuilt
 * from there after a restart. A sync interrupted by a crash is recorded in status.operation
 * before it starts, and redone from the start: the engine skips what is already applied, tracks
 * objects before writing them and prunes only after a successful apply, so nothing is left
 * half-pruned and the inventory stays consistent.
 */
import { join } from 'node:path';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ReconcileContext, Reconciler, ReconcilerHooks, ReconcileResult } from '../controller/index.ts';
import { SlipwayError, internal, isSlipwayError } from '../errors/index.ts';
import { deepEqual, type InformerFactory, type KindQuery, type KubeClient, type LiveObject, type SharedInformer } from '../kube/index.ts';
import { omit, type KubeObject } from '../manifest/index.ts';
import { INSTANCE_LABEL, API_VERSION as ROLLOUT_API_VERSION, KIND as ROLLOUT_KIND } from '../rollout/index.ts';
import { LABEL_APP, deploy, destroy, healthOf, idKey, idOf, readInventory, reapedJobHealth, worst, type DeployResult, type HealthStatus, type Inventory, type LiveCache } from '../sync/index.ts';
import { ClusterRegistry, clusterSecretsQuery, inClusterOnly, isUnreachable, type ClusterConnection, type ClusterDown, type ClusterResolver } from './clusters.ts';
import { credentialsFor } from './credentials.ts';
import { compareObject, driftDiff, formatPath, short, withoutForeign } from './drift.ts';
import { Git, redact, type GitCredentials } from './git.ts';
import { pushMatches, type PushEvent } from './webhooks.ts';
import { Notifier, rememberNotified, secretKeyResolver, type NotificationEvent } from './notify.ts';
import { renderSource, type RenderedSource } from './render.ts';
import { DEFAULT_AUTHOR, writeBack, writeBackDue } from './writeback.ts';
import { evaluateGates, nextPromotionStatus, parseApproval, soakMsOf, type GateDecision, type RolloutGateView } from './promotion.ts';
import { boundedResults, clip, jittered, nowIso, parseOperation, policyOf, pushHistory, retryDelayMs, setCondition, sourceDigest, type OperationRequest, type Policy } from './status.ts';
import { API_VERSION, APPROVAL_ANNOTATION, CASCADE_FINALIZER, GITOPS_MANAGER, IN_CLUSTER, KIND, MAX_DRIFT_FIELDS, MAX_DRIFT_OBJECTS, OPERATION_ANNOTATION, type ObjectDriftT, type SlipwayApp, type SlipwayAppStatusT, type SyncRecordT } from './types.ts';

export interface GitOpsOptions {
  /** Watch one namespace; undefined: all. */
  readonly namespace?: string | undefined;
  /** Act only on apps labelled slipway.dev/controller-instance=<instance> (without: only unlabelled ones). */
  readonly instance?: string | undefined;
  /** Bare repositories and checkouts. */
  readonly cacheDir: string;
  /** @default 8 */
  readonly workers?: number;
  /**
   * The controller's namespace: registered clusters are read from the Secrets labelled
   * `slipway.dev/secret-type=cluster` there (clusters.ts). Without it (and without `clusters`),
   * apps deploy to the controller's own cluster only.
   */
  readonly clusterSecretsNamespace?: string | undefined;
  /** Where destination.cluster leads, instead of the registry of cluster Secrets (tests). */
  readonly clusters?: ClusterResolver;
}

/** What the last sync applied, as the inventory recorded it. */
interface Baseline {
  readonly inventoryRevision: number | undefined;
  readonly objects: readonly KubeObject[];
  /** Tracked objects the latest revision does not have (prune off, or a failed prune): what a prune would delete. */
  readonly stale: readonly KubeObject[];
  readonly loadedAt: number;
}

interface AppMemory {
  baseline?: Baseline | undefined;
  /** Keys of the objects the app deployed (index entries to drop when they change). */
  managed: Set<string>;
  fetchFailures: number;
  /** While the source is unavailable: when it is tried again (a reconcile before that, woken by an event, does not ask git). */
  fetchRetryAt?: number | undefined;
  /** A drift the app is healing, for the heal latency metric. */
  driftSeenAt?: number | undefined;
  /** The app's resourceVersion as this controller last wrote or read it: the cache holding it is current. */
  knownVersion?: string | undefined;
  creds?: { readonly ref: string; readonly value: GitCredentials | undefined; readonly at: number } | undefined;
}

interface Source {
  readonly sha: string;
  readonly ref: string;
  readonly rendered: RenderedSource | SlipwayError;
}

/** Identity without version: the informer of a kind may serve it at another version than the manifest's. */
const objKey = (o: { apiVersion: string; kind: string; metadata: { namespace?: string | undefined; name?: string | undefined } }): string => idKey(idOf(o as KubeObject));

const RENDER_CACHE = 256;

const resourceVersionOf = (o: LiveObject): string | undefined => (o.metadata as { resourceVersion?: string }).resourceVersion;

export class GitOpsReconciler implements Reconciler {
  readonly name = 'gitops';
  readonly primary: KindQuery;
  readonly workers: number;
  private readonly o: GitOpsOptions;
  readonly git: Git;
  private hooks: ReconcilerHooks | undefined;
  private readonly memory = new Map<string, AppMemory>();
  /** Managed object key → the apps (`ns/name`) that deployed it. */
  private readonly index = new Map<string, Set<string>>();
  private readonly watched = new WeakSet<SharedInformer>();
  /** Health waits of syncs in progress, by managed object key: woken by that object's events. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private registry: ClusterRegistry | undefined;
  private readonly renders = new Map<string, RenderedSource | SlipwayError>();
  private metrics: ReturnType<typeof gitopsMetrics> | undefined;
  notifier: Notifier | undefined;

  /** Where write-backs make their working copies. */
  get workDir(): string {
    return join(this.o.cacheDir, 'writeback');
  }

  constructor(o: GitOpsOptions) {
    this.o = o;
    this.workers = o.workers ?? 8;
    this.git = new Git({ cacheDir: o.cacheDir });
    const labelSelector = o.instance ? `${INSTANCE_LABEL}=${o.instance}` : `!${INSTANCE_LABEL}`;
    this.primary = { apiVersion: API_VERSION, kind: KIND, namespace: o.namespace, labelSelector };
  }

  setup(h: ReconcilerHooks): void {
    this.hooks = h;
    this.metrics = gitopsMetrics(h.registry);
    const git = this.git;
    new Counter({
      name: 'slipway_gitops_git_commands_total',
      help: 'git commands the controller ran, by subcommand (ls-remote and fetch reach the remote)',
      labelNames: ['command'] as const,
      registers: [h.registry],
      collect() {
        this.reset();
        for (const [command, n] of git.commands) this.inc({ command }, n);
      },
    });
    if (this.o.clusterSecretsNamespace !== undefined && !this.o.clusters) {
      const namespace = this.o.clusterSecretsNamespace;
      this.registry = new ClusterRegistry({ namespace, secrets: h.informers.informer(clusterSecretsQuery(namespace)), log: h.log.child({ component: 'clusters' }), changed: (name) => this.clusterChanged(name), up: (name, up) => this.m.clusterUp.set({ cluster: name }, up ? 1 : 0) });
    }
    this.notifier = new Notifier({
      secrets: secretKeyResolver(h.client),
      registry: h.registry,
      log: h.log.child({ component: 'notifications' }),
      onFailed: (f) => h.log.warn({ app: `${f.app.namespace}/${f.app.name}`, target: f.target, trigger: f.trigger, attempts: f.attempts, reason: f.reason }, 'notification given up'),
    });
    // Promotion: a change of an app (its status: synced, healthy, failed) wakes the environments promoted from it.
    const apps = h.informers.informer(this.primary);
    const wake = (o: LiveObject): void => {
      for (const x of apps.list()) {
        const a = x as SlipwayApp;
        if (a.spec.promotion?.from === o.metadata.name && a.metadata.namespace === o.metadata.namespace) h.enqueue(`${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`);
      }
    };
    apps.on({ add: wake, update: wake, delete: wake });
  }

  /** The cluster an app deploys to. */
  clusterOf(app: SlipwayApp, ctx: ReconcileContext): Promise<ClusterConnection> {
    return (this.o.clusters ?? this.registry?.resolve ?? inClusterOnly)(app.spec.destination?.cluster ?? IN_CLUSTER, { name: IN_CLUSTER, client: ctx.client, informers: ctx.informers });
  }

  /**
   * An authentic push (a webhook): the repository is asked again at the next resolution, and every
   * app it concerns (its repository, and the branch or tag its revision follows) is reconciled now,
   * instead of at its next interval. Returns how many apps were queued.
   */
  refresh(push: PushEvent): number {
    const h = this.hooks;
    if (!h) return 0;
    for (const r of this.git.reposOf(push.repoURLs)) r.invalidate();
    let n = 0;
    for (const o of h.informers.informer(this.primary).list()) {
      const app = o as SlipwayApp;
      if (!pushMatches(push, app.spec.source.repoURL, app.spec.source.revision)) continue;
      h.enqueue(`${app.metadata.namespace ?? ''}/${app.metadata.name ?? ''}`);
      n++;
    }
    return n;
  }

  /** Stops the registered clusters' informers and clients. */
  close(): void {
    this.registry?.close();
  }

  /** Queues every app that deploys to cluster `name`. */
  private clusterChanged(name: string): void {
    const h = this.hooks;
    if (!h) return;
    for (const o of h.informers.informer(this.primary).list()) {
      const app = o as SlipwayApp;
      if ((app.spec.destination?.cluster ?? IN_CLUSTER) === name) h.enqueue(`${app.metadata.namespace ?? ''}/${app.metadata.name ?? ''}`);
    }
  }

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | undefined> {
    const [ns = 'default', appName = ''] = key.split('/');
    const cached = ctx.informers.informer(this.primary).get(appName, ns) as SlipwayApp | undefined;
    if (!cached) {
      this.forget(key);
      return undefined;
    }
    // Decisions on the app as this controller last knew it (its own last status write, or its last
    // read): the cache serves when it holds that version, else (it lags behind a write of ours, or
    // after a restart) the apiserver is asked. Before, every reconcile (each app once per interval
    // when idle) read the app with a GET.
    const app = this.mem(key).knownVersion !== undefined && this.mem(key).knownVersion === resourceVersionOf(cached) ? cached : ((await ctx.client.get({ apiVersion: API_VERSION, kind: KIND, namespace: ns, name: appName }, { signal: ctx.signal })) as SlipwayApp | undefined);
    if (!app) {
      this.forget(key);
      return undefined;
    }
    this.mem(key).knownVersion = resourceVersionOf(app);
    const inCluster: ClusterConnection = { name: IN_CLUSTER, client: ctx.client, informers: ctx.informers };
    const name = app.spec.destination?.cluster ?? IN_CLUSTER;
    let cluster: ClusterConnection;
    try {
      cluster = await (this.o.clusters ?? this.registry?.resolve ?? inClusterOnly)(name, inCluster);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      const error = isSlipwayError(e) ? e : internal(e instanceof Error ? e.message : String(e), { cause: e });
      // Not registered, or its Secret is unusable: looked at again when a cluster Secret changes.
      return new AppRun(this, app, key, ctx, { ...inCluster, name }).clusterDown({ error, failures: 1, retryAt: Date.now() + policyOf(app).intervalMs });
    }
    const run = new AppRun(this, app, key, ctx, cluster);
    // Nothing is sent to a cluster that does not answer (no write, no prune): its apps are Unknown until it does.
    const down = await cluster.unavailable?.();
    if (down) return run.clusterDown(down);
    try {
      if ((app.metadata as { deletionTimestamp?: string }).deletionTimestamp) return await run.finalize();
      return await run.reconcile();
    } catch (e) {
      const outage = !ctx.signal.aborted && isUnreachable(e) ? await cluster.suspect?.(e) : undefined;
      if (outage) return run.clusterDown(outage);
      throw e;
    }
  }

  mem(key: string): AppMemory {
    let m = this.memory.get(key);
    if (!m) {
      m = { managed: new Set(), fetchFailures: 0 };
      this.memory.set(key, m);
    }
    return m;
  }

  forget(key: string): void {
    const m = this.memory.get(key);
    if (m) for (const k of m.managed) this.index.get(k)?.delete(key);
    this.memory.delete(key);
  }

  get m(): ReturnType<typeof gitopsMetrics> {
    this.metrics ??= gitopsMetrics(undefined);
    return this.metrics;
  }

  /** Points managed objects at the app, and makes sure their kinds are watched. */
  track(key: string, cluster: ClusterConnection, objects: readonly KubeObject[]): void {
    const m = this.mem(key);
    const next = new Set(objects.map(objKey));
    for (const k of m.managed) if (!next.has(k)) this.index.get(k)?.delete(key);
    for (const k of next) {
      let s = this.index.get(k);
      if (!s) this.index.set(k, (s = new Set()));
      s.add(key);
    }
    m.managed = next;
    for (const o of objects) this.informerFor(cluster, o);
  }

  /** The informer of `o`'s kind (objects of any slipway app, managedFields kept), started on first use. */
  informerFor(cluster: ClusterConnection, o: KubeObject): ReturnType<InformerFactory['informer']> {
    const q: KindQuery = { apiVersion: o.apiVersion, kind: o.kind, namespace: this.o.namespace !== undefined ? o.metadata.namespace : undefined, labelSelector: LABEL_APP };
    const inf = cluster.informers.informer(q, { keepManagedFields: true });
    if (!this.watched.has(inf)) {
      this.watched.add(inf);
      const wake = (obj: LiveObject): void => {
        const key = objKey(obj);
        for (const k of this.index.get(key) ?? []) this.hooks?.enqueue(k);
        for (const w of this.waiters.get(key) ?? []) w();
      };
      inf.on({
        add: wake,
        update: wake,
        delete: wake,
        error: (e) => {
          this.hooks?.log.warn({ cluster: cluster.name, kind: q.kind, err: e.message }, 'managed-object informer backing off');
          // A registered cluster's watch failing is how its outage is seen first: one probe tells.
          void cluster.suspect?.(e);
        },
      });
    }
    return inf;
  }

  /**
   * The live objects of `cluster` as the managed-kind informers cache them, for the deploy
   * engine: its snapshot of an app's objects (instead of a LIST per kind and namespace) and its
   * health wait (read at each of their events instead of a LIST per kind every second). The
   * informers are the ones drift detection reads: the engine sees what the controller sees.
   */
  liveCache(cluster: ClusterConnection, namespace: string): LiveCache {
    return {
      get: (id) => {
        const inf = this.informerFor(cluster, { apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, namespace: id.namespace ?? namespace } });
        return inf.hasSynced ? inf.get(id.name, id.namespace) : 'uncached';
      },
      list: (q) => {
        const inf = this.informerFor(cluster, { apiVersion: q.apiVersion, kind: q.kind, metadata: { name: '', namespace: q.namespace ?? namespace } });
        // The informer holds the objects of every app (selector: the label exists); this app's are those with its name.
        return inf.hasSynced ? inf.list(q.namespace).filter((o) => o.metadata.labels?.[LABEL_APP] === q.app) : 'uncached';
      },
      changed: (ids, ms, signal) =>
        new Promise<void>((resolve) => {
          const keys = ids.map((id) => objKey({ apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, namespace: id.namespace } }));
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            for (const k of keys) {
              const set = this.waiters.get(k);
              set?.delete(done);
              if (set?.size === 0) this.waiters.delete(k);
            }
            resolve();
          };
          const timer = setTimeout(done, ms);
          signal?.addEventListener('abort', done, { once: true });
          for (const k of keys) {
            let set = this.waiters.get(k);
            if (!set) this.waiters.set(k, (set = new Set()));
            set.add(done);
          }
        }),
    };
  }

  async render(root: string, sha: string, o: { path?: string | undefined; env: string; app: string }): Promise<RenderedSource | SlipwayError> {
    const k = `${root}\0${sha}\0${o.path ?? '.'}\0${o.env}\0${o.app}`;
    const hit = this.renders.get(k);
    if (hit) return hit;
    let r: RenderedSource | SlipwayError;
    try {
      r = await renderSource(root, o);
    } catch (e) {
      r = isSlipwayError(e) ? e : internal(`rendering ${o.path ?? '.'} at ${sha}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    this.renders.set(k, r);
    if (this.renders.size > RENDER_CACHE) this.renders.delete(this.renders.keys().next().value ?? '');
    return r;
  }
}

function gitopsMetrics(registry: Registry | undefined) {
  const registers = registry ? [registry] : [];
  return {
    syncs: new Counter({ name: 'slipway_gitops_syncs_total', help: 'Syncs by trigger and result', labelNames: ['trigger', 'result'] as const, registers }),
    syncSeconds: new Histogram({ name: 'slipway_gitops_sync_duration_seconds', help: 'Sync duration', buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600], registers }),
    healSeconds: new Histogram({ name: 'slipway_gitops_drift_heal_seconds', help: 'From the informer event that showed drift to the end of the sync that repaired it', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers }),
    fetchErrors: new Counter({ name: 'slipway_gitops_source_errors_total', help: 'Failures to resolve or fetch a source', registers }),
    clusterUp: new Gauge({ name: 'slipway_gitops_cluster_up', help: 'Whether a registered cluster answered its last probe (1) or not (0)', labelNames: ['cluster'] as const, registers }),
  };
}

/** What one reconcile found about the live objects. */
interface Observation {
  /** False while an informer of a managed kind has not listed yet. */
  readonly ready: boolean;
  readonly drift: ObjectDriftT[];
  readonly driftTotal: number;
  readonly ignored: NonNullable<NonNullable<SlipwayAppStatusT['drift']>['ignored']>;
  readonly health: { status: HealthStatus; message?: string };
  /** Objects an earlier revision deployed that git no longer has, still in the cluster. */
  readonly prunable: NonNullable<SlipwayAppStatusT['prunable']>;
}

/** One reconcile of one app. */
class AppRun {
  private readonly r: GitOpsReconciler;
  private app: SlipwayApp;
  private readonly key: string;
  private readonly ctx: ReconcileContext;
  private readonly cluster: ClusterConnection;
  private readonly policy: Policy;
  private readonly digest: string;
  /**
   * The inventory as its Secret holds it, when this reconcile knows (it read it, or the engine
   * wrote it and said so), with the target it is of: handed to the engine instead of a second
   * read, and the baseline after a sync is made from what the engine wrote instead of a third.
   */
  private inventory: { readonly target: string; readonly inventory: Inventory } | undefined;

  constructor(r: GitOpsReconciler, app: SlipwayApp, key: string, ctx: ReconcileContext, cluster: ClusterConnection) {
    this.r = r;
    this.app = app;
    this.key = key;
    this.ctx = ctx;
    this.cluster = cluster;
    this.policy = policyOf(app);
    this.digest = sourceDigest(app);
  }

  private get log(): Logger {
    return this.ctx.log;
  }
  private get st(): SlipwayAppStatusT {
    return this.app.status ?? {};
  }
  private get ns(): string {
    return this.app.metadata.namespace ?? 'default';
  }
  private get env(): string {
    return this.app.spec.source.env ?? 'default';
  }
  /** The deployed app's name: the SlipwayApp's (labels, inventory). */
  private get appName(): string {
    return this.app.metadata.name ?? 'app';
  }

  private target(rendered: RenderedSource | undefined): { client: KubeClient; app: string; env: string; namespace: string } {
    return { client: this.cluster.client, app: this.appName, env: this.env, namespace: this.app.spec.destination?.namespace ?? rendered?.namespace ?? this.st.namespace ?? this.ns };
  }

  async reconcile(): Promise<ReconcileResult | undefined> {
    if (!this.app.spec.promotion?.from) return this.reconcileSource();
    const gate = await this.promote();
    if (this.st.promotion?.revision === undefined) {
      // Nothing proved upstream yet: nothing to deploy (git's HEAD would skip the gates).
      await this.writeStatus((st) => ({
        ...st,
        sync: { status: 'OutOfSync' },
        conditions: setCondition(st.conditions, { type: 'Synced', status: 'False', reason: 'AwaitingPromotion', message: `no revision promoted from ${this.app.spec.promotion?.from ?? ''} yet: ${gate.message}` }, nowIso()),
      }));
      return { requeueAfterMs: Math.min(gate.recheckAfterMs ?? Infinity, jittered(this.policy.intervalMs)) };
    }
    const r = await this.reconcileSource();
    if (gate.recheckAfterMs === undefined) return r;
    return { ...r, requeueAfterMs: Math.min(gate.recheckAfterMs, r?.requeueAfterMs ?? Infinity) };
  }

  /**
   * Promotion into this environment: the gates on what the previous environment runs; a revision
   * that passed them becomes the target (status.promotion.revision), recorded with who and when,
   * with an Event and a notification per promotion, and per revision blocked.
   */
  private async promote(): Promise<GateDecision> {
    const from = this.app.spec.promotion?.from ?? '';
    const upstream = (this.ctx.informers.informer(this.r.primary).get(from, this.ns) as SlipwayApp | undefined) ?? undefined;
    const approval = parseApproval(this.app.metadata.annotations?.[APPROVAL_ANNOTATION]);
    const rollouts = upstream ? await this.rolloutsOf(upstream) : [];
    const before = this.st.promotion;
    const d = evaluateGates({ upstream, rollouts, soakMs: soakMsOf(this.app), manual: this.app.spec.promotion?.approval === 'Manual', approval, promoted: before?.revision, now: Date.now() });
    const fromEnv = upstream?.spec.source.env ?? 'default';
    const now = nowIso();
    const changedGate = before?.gate?.phase !== d.phase || before.gate.revision !== d.revision || before.gate.reason !== d.reason;
    const notified = this.notifyPromotion(d, changedGate, fromEnv);
    const promotion = nextPromotionStatus(before, d, { from, fromEnvironment: fromEnv, now, approval });
    const ok = d.phase === 'Promoted';
    await this.writeStatus((st) => ({
      ...st,
      promotion: { ...promotion, gate: { ...(promotion.gate ?? { phase: d.phase, reason: d.reason, message: d.message }), ...(changedGate || d.promote ? { checkedAt: now } : before?.gate?.checkedAt ? { checkedAt: before.gate.checkedAt } : {}) } },
      ...(notified ? { notified: rememberNotified(st.notified, notified) } : {}),
      conditions: setCondition(st.conditions, { type: 'Promoted', status: ok ? 'True' : 'False', reason: d.reason, message: d.message }, now),
    }));
    await this.promotionEvent(d, changedGate, fromEnv);
    const retryIn = await this.writeBackPromotion();
    return retryIn === undefined ? d : { ...d, recheckAfterMs: Math.min(retryIn, d.recheckAfterMs ?? Infinity) };
  }

  /**
   * `spec.promotion.writeBack`: the revision promoted here, committed and pushed to git, once per
   * revision (status.promotion.writeBack says which, so a restart does not write it again; the
   * file's content makes a retry after a kill -9 between push and status a no-op). A failure is
   * in the status and an Event, retried with backoff (5 s ×2 up to 5 min); the promotion in the
   * cluster has happened already and does not wait for it. Returns when to look again, if it failed.
   */
  private async writeBackPromotion(): Promise<number | undefined> {
    const spec = this.app.spec.promotion?.writeBack;
    const due = spec ? writeBackDue(spec, this.st.promotion, this.app.spec.promotion?.pipeline ?? 'default', this.appName, Date.now()) : undefined;
    if (due === undefined || 'waitMs' in due) return due?.waitMs;
    const { branch, path, current, failures } = due;
    const s = this.app.spec.source;
    const pin = { app: this.appName, namespace: this.ns, pipeline: this.app.spec.promotion?.pipeline ?? '', environment: this.env, revision: current.revision, from: current.from, fromEnvironment: current.fromEnvironment ?? 'default', by: current.by, at: current.at };
    const at = nowIso();
    try {
      const creds = await this.credentials(false);
      const r = await writeBack(this.r.git, { repoURL: s.repoURL, creds, branch, path, author: spec?.author ?? DEFAULT_AUTHOR, pin, workDir: this.r.workDir, signal: this.ctx.signal });
      await this.writeStatus((st) => ({ ...st, promotion: { ...st.promotion, writeBack: { revision: current.revision, phase: 'Succeeded', commit: r.commit, branch, path, at, message: r.changed ? `committed ${short7(r.commit)} to ${branch}` : `${path} on ${branch} already pins it` } } }));
      if (r.changed) await this.event('Normal', 'WrittenBack', `${short7(current.revision)} pinned in ${path} on ${branch}: commit ${short7(r.commit)}`);
      return undefined;
    } catch (e) {
      if (this.ctx.signal.aborted) throw e;
      const err = isSlipwayError(e) ? e : internal(redact(e instanceof Error ? e.message : String(e), []), { cause: undefined });
      const wait = Math.min(5000 * 2 ** failures, 300_000);
      const message = clip(`${err.message}${err.hint ? ` (${err.hint})` : ''}`, 2000);
      await this.writeStatus((st) => ({ ...st, promotion: { ...st.promotion, writeBack: { revision: current.revision, phase: 'Failed', branch, path, at, message, failures: failures + 1, nextAttemptAt: new Date(Date.now() + wait).toISOString() } } }));
      await this.event('Warning', 'WriteBackFailed', clip(`writing ${short7(current.revision)} back to ${branch} (${path}): ${message}; retry in ${Math.round(wait / 1000)}s`, 1000));
      this.log.warn({ err: err.message, revision: current.revision, retryInMs: wait }, 'promotion write-back failed');
      return wait;
    }
  }

  /** One notification per promotion, and per revision blocked (key kept in the status). */
  private notifyPromotion(d: GateDecision, changedGate: boolean, fromEnv: string): string | undefined {
    const from = this.app.spec.promotion?.from ?? '';
    const e = { message: d.message, revision: d.revision, environment: fromEnv, targetEnvironment: this.env };
    if (d.promote && d.revision) return this.notify({ ...e, trigger: 'PromotionDone', operation: `${d.revision}@${this.env}`, details: { from, by: d.approvedBy ?? 'automatic' } });
    if (d.phase === 'Blocked' && changedGate) return this.notify({ ...e, trigger: 'PromotionBlocked', operation: `${d.revision ?? 'none'}@${this.env}.${d.reason}`, details: { from, reason: d.reason } });
    return undefined;
  }

  /** An Event per promotion and per transition of the gate into Blocked or AwaitingApproval. */
  private async promotionEvent(d: GateDecision, changedGate: boolean, fromEnv: string): Promise<void> {
    if (d.promote && d.revision) {
      await this.event('Normal', 'Promoted', `${short7(d.revision)} promoted ${fromEnv} → ${this.env} (from ${this.app.spec.promotion?.from ?? ''}) by ${d.approvedBy ?? 'the controller (automatic)'}: ${d.message}`);
    } else if (changedGate && d.phase === 'Blocked') {
      await this.event('Warning', 'PromotionBlocked', clip(`${fromEnv} → ${this.env}: ${d.message}`, 1000));
    } else if (changedGate && d.phase === 'AwaitingApproval') {
      await this.event('Normal', 'AwaitingApproval', clip(`${fromEnv} → ${this.env}: ${d.message}`, 1000));
    }
  }

  /** The canaries (ServiceRollouts) the previous environment's app deployed; undefined until their informer listed. */
  private async rolloutsOf(upstream: SlipwayApp): Promise<RolloutGateView[] | undefined> {
    const namespace = upstream.status?.namespace ?? upstream.spec.destination?.namespace ?? this.ns;
    const name = upstream.metadata.name ?? '';
    let cluster: ClusterConnection;
    try {
      cluster = upstream.spec.destination?.cluster === this.app.spec.destination?.cluster ? this.cluster : await this.r.clusterOf(upstream, this.ctx);
    } catch {
      return undefined;
    }
    const inf = this.r.informerFor(cluster, { apiVersion: ROLLOUT_API_VERSION, kind: ROLLOUT_KIND, metadata: { name: '', namespace } });
    if (!inf.hasSynced) return undefined;
    return inf
      .list()
      .filter((o) => o.metadata.namespace === namespace && o.metadata.labels?.[LABEL_APP] === name)
      .map((o) => {
        const s = (o['status'] ?? {}) as { observedGeneration?: number; phase?: string; message?: string; abortedRevision?: string; abortReason?: string; canaryRevision?: string; stableRevision?: string };
        const generation = (o.metadata as { generation?: number }).generation ?? 0;
        return { name: o.metadata.name ?? '', generation, ...s };
      });
  }

  /** The reconcile of the source: its target is git's (source.revision), or the revision promoted here. */
  private async reconcileSource(): Promise<ReconcileResult | undefined> {
    const op = parseOperation(this.app.metadata.annotations?.[OPERATION_ANNOTATION]);
    const fresh = op && op.id !== this.st.handledOperation ? op : undefined;
    const mem = this.r.mem(this.key);
    if (!fresh && mem.fetchRetryAt !== undefined && Date.now() < mem.fetchRetryAt) return { requeueAfterMs: mem.fetchRetryAt - Date.now() };
    const source = await this.resolve(fresh !== undefined);
    if (source instanceof SlipwayError) return this.sourceUnavailable(source);
    if (this.st.conditions?.find((c) => c.type === 'ClusterAvailable')?.status === 'False') {
      const message = `cluster "${this.cluster.name}" answers again`;
      await this.writeStatus((st) => ({ ...st, conditions: setCondition(st.conditions, { type: 'ClusterAvailable', status: 'True', reason: 'Connected', message }, nowIso()) }));
      await this.event('Normal', 'ClusterAvailable', message);
    }
    mem.fetchFailures = 0;
    mem.fetchRetryAt = undefined;
    const rendered = source.rendered instanceof SlipwayError ? undefined : source.rendered;
    const baseline = await this.baseline(rendered);
    const seen = this.observe(baseline);
    if (!seen.ready) return { requeueAfterMs: 500 };
    if (seen.driftTotal > 0) mem.driftSeenAt ??= Date.now();
    else mem.driftSeenAt = undefined;

    if (fresh) return this.operation(fresh, source, seen);
    const interrupted = this.st.operation?.phase === 'Running' ? this.st.operation : undefined;
    if (interrupted) {
      await this.event('Warning', 'SyncResumed', `sync ${interrupted.id} of ${short7(interrupted.revision)} was interrupted (controller restart); running it again`);
      return this.sync(interrupted.revision === source.sha ? source : await this.resolveAt(interrupted.revision), { trigger: 'resume', attempt: interrupted.attempt ?? 1, resumeId: interrupted.id }, seen);
    }
    const due = this.dueSync(source, seen);
    if (due) return due.wait !== undefined ? this.steady(source, seen, due.wait) : this.sync(source, { trigger: due.trigger, attempt: due.attempt }, seen);
    return this.steady(source, seen);
  }

  /** The sync the policy calls for now, or when the next one is due; undefined: none. */
  private dueSync(source: Source, seen: Observation): { trigger: 'auto' | 'selfHeal'; attempt: number; wait?: number } | undefined {
    if (!this.policy.automated) return undefined;
    const retry = this.st.retry?.revision === source.sha && this.st.retry.digest === this.digest ? this.st.retry : undefined;
    const behind = source.sha !== this.st.revision || this.st.sourceDigest !== this.digest;
    const heal = !behind && ((this.policy.selfHeal && seen.driftTotal > 0) || (this.policy.prune && seen.prunable.length > 0));
    if (!behind && !heal) return undefined;
    // A failure that cannot go away by itself (a bad commit), or too many: until a new commit or `slipway app sync`.
    if (retry?.exhausted) return undefined;
    const failures = retry?.failures ?? 0;
    if (failures > 0 && retry?.nextAttemptAt) {
      const wait = Date.parse(retry.nextAttemptAt) - Date.now();
      if (wait > 0) return { trigger: behind ? 'auto' : 'selfHeal', attempt: failures + 1, wait };
    }
    return { trigger: behind ? 'auto' : 'selfHeal', attempt: failures + 1 };
  }

  /** The source at `revision` (or the spec's), resolved and rendered; an error when the repository cannot be reached. */
  private async resolve(force: boolean, revision?: string): Promise<Source | SlipwayError> {
    const s = this.app.spec.source;
    try {
      const creds = await this.credentials(force);
      const maxAge = force ? 0 : this.policy.intervalMs;
      const promoted = s.revision === undefined && this.app.spec.promotion?.from ? this.st.promotion?.revision : undefined;
      const r = await this.r.git.resolve(s.repoURL, revision ?? promoted ?? s.revision, creds, maxAge, this.ctx.signal);
      const rendered = await this.r.render(r.dir, r.sha, { path: s.path, env: this.env, app: this.appName });
      return { sha: r.sha, ref: r.ref, rendered };
    } catch (e) {
      if (this.ctx.signal.aborted) throw e;
      this.r.m.fetchErrors.inc();
      return isSlipwayError(e) ? e : internal(redact(e instanceof Error ? e.message : String(e), []), { cause: undefined });
    }
  }

  /** The repository credentials, read again at most once per interval (a rotated token is picked up within one). */
  private async credentials(force: boolean): Promise<GitCredentials | undefined> {
    const mem = this.r.mem(this.key);
    const ref = this.app.spec.source.secretRef?.name ?? '';
    if (!force && mem.creds && mem.creds.ref === ref && Date.now() - mem.creds.at < this.policy.intervalMs) return mem.creds.value;
    const value = await credentialsFor(this.ctx.client, this.app, this.ctx.signal);
    mem.creds = { ref, value, at: Date.now() };
    return value;
  }

  private async resolveAt(revision: string): Promise<Source> {
    const s = await this.resolve(false, revision);
    if (s instanceof SlipwayError) throw s;
    return s;
  }

  /** The repository cannot be reached (or the credentials fail): nothing is written, retried with backoff. */
  private async sourceUnavailable(e: SlipwayError): Promise<ReconcileResult> {
    const mem = this.r.mem(this.key);
    mem.fetchFailures++;
    const wait = retryDelayMs(this.policy, mem.fetchFailures);
    mem.fetchRetryAt = Date.now() + wait;
    const message = `${clip(e.format(), 2000)} (attempt ${mem.fetchFailures}; next in ${Math.round(wait / 1000)}s; nothing is changed meanwhile)`;
    const was = this.st.conditions?.find((c) => c.type === 'SourceAvailable');
    const seen = this.observe(this.r.mem(this.key).baseline);
    await this.writeStatus((st) => ({
      ...st,
      sync: { status: 'Unknown', ...(st.sync?.revision ? { revision: st.sync.revision } : {}), ...(st.sync?.ref ? { ref: st.sync.ref } : {}) },
      ...(seen.ready ? { health: seen.health } : {}),
      conditions: setCondition(st.conditions, { type: 'SourceAvailable', status: 'False', reason: reasonOf(e), message }, nowIso()),
    }));
    if (was?.status !== 'False') await this.event('Warning', 'SourceUnavailable', message);
    this.log.warn({ err: e.message, retryInMs: wait }, 'source unavailable');
    return { requeueAfterMs: wait };
  }

  /**
   * The destination cluster does not answer, or cannot be resolved (not registered, an unusable
   * Secret): the app is Unknown, with the error in the ClusterAvailable condition; nothing is
   * sent to the cluster (no sync, no prune) until it answers again.
   */
  async clusterDown(down: ClusterDown): Promise<ReconcileResult> {
    const name = this.cluster.name;
    const wait = Math.max(0, down.retryAt - Date.now());
    const reason = down.error.kind === 'not-found' ? 'NotRegistered' : down.error.kind === 'input' ? 'InvalidClusterSecret' : down.error.kind === 'forbidden' ? 'AuthenticationFailed' : 'ClusterUnavailable';
    const message = `cluster "${name}": ${clip(down.error.format(), 1500)} (${down.failures > 1 ? `${down.failures} attempts; ` : ''}next in ${Math.round(wait / 1000)}s; nothing is changed meanwhile)`;
    const was = this.st.conditions?.find((c) => c.type === 'ClusterAvailable');
    await this.writeStatus((st) => ({
      ...st,
      sync: { status: 'Unknown', ...(st.sync?.revision ? { revision: st.sync.revision } : {}), ...(st.sync?.ref ? { ref: st.sync.ref } : {}) },
      health: { status: 'Unknown', message: `cluster "${name}" is not reachable` },
      conditions: setCondition(st.conditions, { type: 'ClusterAvailable', status: 'False', reason, message }, nowIso()),
    }));
    if (was?.status !== 'False' || was.reason !== reason) await this.event('Warning', reason, message);
    this.log.warn({ cluster: name, err: down.error.message, retryInMs: wait }, 'destination cluster unavailable');
    return { requeueAfterMs: Math.max(wait, 500) };
  }

  /** The inventory's latest revision: what was applied last. Reloaded each interval (a `slipway deploy` by hand may have changed it). */
  private async baseline(rendered: RenderedSource | undefined): Promise<Baseline | undefined> {
    const mem = this.r.mem(this.key);
    if (mem.baseline && Date.now() - mem.baseline.loadedAt < this.policy.intervalMs) return mem.baseline;
    return this.loadBaseline(rendered);
  }

  private async loadBaseline(rendered: RenderedSource | undefined): Promise<Baseline> {
    const target = this.target(rendered);
    const inventory = await readInventory(target);
    this.inventory = { target: targetKey(target), inventory };
    return this.baselineOf(inventory);
  }

  /** The baseline `inv` records (the objects it deployed last), kept in memory, their kinds watched. */
  private baselineOf(inv: Inventory): Baseline {
    const mem = this.r.mem(this.key);
    const latest = inv.history.at(-1);
    let objects: readonly KubeObject[] = [];
    try {
      objects = latest ? (inv.manifests.get(latest.revision) ?? []) : [];
    } catch (e) {
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'inventory revision unreadable: drift is not compared');
    }
    const desired = new Set(objects.map(objKey));
    const stale = inv.objects.filter((id) => !desired.has(idKey(id))).map((id) => ({ apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, ...(id.namespace ? { namespace: id.namespace } : {}) } }));
    mem.baseline = { inventoryRevision: latest?.revision, objects, stale, loadedAt: Date.now() };
    this.r.track(this.key, this.cluster, [...objects, ...stale]);
    return mem.baseline;
  }

  /** The inventory of `target` as its Secret holds it, when this reconcile knows it. */
  private knownInventory(target: { app: string; env: string; namespace: string }): Inventory | undefined {
    return this.inventory?.target === targetKey(target) ? this.inventory.inventory : undefined;
  }

  /** Stale objects still in the cluster and still this app's; undefined until their informers listed. */
  private prunable(b: Baseline | undefined): Observation['prunable'] | undefined {
    const out: Observation['prunable'] = [];
    for (const o of b?.stale ?? []) {
      const inf = this.r.informerFor(this.cluster, o);
      if (!inf.hasSynced) return undefined;
      const live = inf.get(o.metadata.name ?? '', o.metadata.namespace);
      if (live?.metadata.labels?.[LABEL_APP] === this.appName && out.length < MAX_DRIFT_OBJECTS) out.push({ kind: o.kind, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: o.metadata.name ?? '' });
    }
    return out;
  }

  /** Drift and health of the objects the last sync applied, from the informers' caches (no request). */
  private observe(b: Baseline | undefined): Observation {
    const drift: ObjectDriftT[] = [];
    const ignored: Observation['ignored'] = [];
    const health: { status: HealthStatus; message?: string }[] = [];
    let total = 0;
    const prunable = this.prunable(b);
    if (prunable === undefined) return { ready: false, drift, driftTotal: 0, ignored, prunable: [], health: { status: 'Unknown' } };
    if (!b || b.objects.length === 0) return { ready: true, drift, driftTotal: 0, ignored, prunable, health: b ? { status: 'Healthy' } : { status: 'Missing', message: 'never synced' } };
    const rules = this.app.spec.ignoreDifferences ?? [];
    for (const o of b.objects) {
      const inf = this.r.informerFor(this.cluster, o);
      if (!inf.hasSynced) return { ready: false, drift, driftTotal: 0, ignored, prunable, health: { status: 'Unknown' } };
      const live = inf.get(o.metadata.name ?? '', o.metadata.namespace);
      const reaped = live ? undefined : reapedJobHealth(o);
      const h = reaped ?? healthOf(live);
      health.push({ status: h.status, ...(h.message ? { message: `${o.kind}/${o.metadata.name ?? ''}: ${h.message}` } : {}) });
      if (reaped) continue;
      const c = compareObject(o, live, rules);
      for (const f of c.ignored) if (ignored.length < MAX_DRIFT_FIELDS) ignored.push({ kind: o.kind, name: o.metadata.name ?? '', path: formatPath(f.path), reason: f.reason, ...(f.owners.length ? { by: f.owners.join(', ') } : {}) });
      if (!c.missing && c.drift.length === 0) continue;
      total++;
      if (drift.length < MAX_DRIFT_OBJECTS) drift.push(driftEntry(o, c));
    }
    const worstStatus = worst(health.map((x) => x.status));
    const message = health.find((x) => x.status === worstStatus && x.message)?.message;
    return { ready: true, drift, driftTotal: total, ignored, prunable, health: { status: worstStatus, ...(message && worstStatus !== 'Healthy' ? { message: clip(message, 512) } : {}) } };
  }

  /** No sync now: the status says what is true, and the app is looked at again after the interval (or `wait`). */
  private async steady(source: Source, seen: Observation, wait?: number): Promise<ReconcileResult> {
    const synced = source.sha === this.st.revision && this.st.sourceDigest === this.digest && seen.driftTotal === 0 && seen.prunable.length === 0;
    const status = synced ? 'Synced' : 'OutOfSync';
    const before = this.st.sync?.status;
    const healthBefore = this.st.health?.status;
    const renderError = source.rendered instanceof SlipwayError ? source.rendered : undefined;
    await this.writeStatus((st) => this.observed(st, source, seen, status, renderError));
    if (before !== status && before !== undefined && !(before === 'Unknown' && status === 'Synced')) {
      const what = seen.driftTotal > 0 ? `${seen.driftTotal} object(s) drifted: ${seen.drift.map((d) => `${d.kind}/${d.name}${d.missing ? ' (missing)' : ` (${(d.fields ?? []).map((f) => `${f.path}${f.by ? ` by ${f.by}` : ''}`).join(', ')})`}`).join('; ')}` : `target ${short7(source.sha)} (${source.ref}) differs from the deployed ${short7(this.st.revision ?? 'none')}`;
      await this.event(synced ? 'Normal' : 'Warning', synced ? 'Synced' : 'OutOfSync', clip(what, 1000));
    }
    if (healthBefore !== undefined && healthBefore !== seen.health.status) await this.healthChanged(healthBefore, seen.health);
    const interval = jittered(this.policy.intervalMs);
    return { requeueAfterMs: wait !== undefined ? Math.min(wait, interval) : interval };
  }

  /** An Event per health transition, and a notification when it became Degraded. */
  private async healthChanged(before: string, now: Observation['health']): Promise<void> {
    const bad = now.status === 'Degraded' || now.status === 'Missing';
    const key = now.status === 'Degraded' ? this.notify({ trigger: 'HealthDegraded', operation: `degraded-${short7(this.st.revision ?? 'none')}-${Date.now()}`, message: now.message ?? 'Degraded', revision: this.st.revision }) : undefined;
    if (key) await this.writeStatus((st) => ({ ...st, notified: rememberNotified(st.notified, key) }));
    await this.event(bad ? 'Warning' : 'Normal', 'HealthChanged', `${before} → ${now.status}${now.message ? `: ${now.message}` : ''}`);
  }

  /** The observed part of the status: sync state, health, drift, conditions. */
  private observed(st: SlipwayAppStatusT, source: Source, seen: Observation, status: 'Synced' | 'OutOfSync', renderError?: SlipwayError): SlipwayAppStatusT {
    const now = nowIso();
    let conditions = setCondition(st.conditions, renderError ? { type: 'SourceAvailable', status: 'False', reason: 'RenderFailed', message: renderError.format() } : { type: 'SourceAvailable', status: 'True', reason: 'Resolved', message: `${source.ref} is ${source.sha}` }, now);
    const syncMessage = syncMessageOf(status, seen, st, this.policy, source.sha);
    conditions = setCondition(conditions, { type: 'Synced', status: status === 'Synced' ? 'True' : 'False', reason: syncReason(status, seen, st, this.policy, source.sha), message: syncMessage }, now);
    conditions = setCondition(conditions, { type: 'Healthy', status: seen.health.status === 'Healthy' ? 'True' : 'False', reason: seen.health.status, message: seen.health.message ?? seen.health.status }, now);
    if (this.cluster.name !== IN_CLUSTER || conditions.some((c) => c.type === 'ClusterAvailable')) {
      conditions = setCondition(conditions, { type: 'ClusterAvailable', status: 'True', reason: 'Connected', message: `cluster "${this.cluster.name}" (${this.cluster.client.transport.server})` }, now);
    }
    return {
      ...(omit(st, ['drift', 'prunable']) as SlipwayAppStatusT),
      observedGeneration: (this.app.metadata as { generation?: number }).generation ?? 0,
      sync: { status, revision: source.sha, ref: source.ref },
      health: seen.health,
      ...(seen.prunable.length > 0 ? { prunable: seen.prunable } : {}),
      ...(seen.driftTotal > 0 || seen.ignored.length > 0 ? { drift: { objects: seen.drift, total: seen.driftTotal, ...(seen.ignored.length > 0 ? { ignored: seen.ignored } : {}) } } : {}),
      conditions,
    };
  }

  /** `slipway app sync|rollback`: handled once (status.handledOperation), whatever the policy. */
  private async operation(op: OperationRequest, target: Source, seen: Observation): Promise<ReconcileResult> {
    const source = op.revision !== undefined ? await this.resolve(true, op.revision) : target;
    if (source instanceof SlipwayError) {
      await this.writeStatus((st) => ({ ...st, handledOperation: op.id, lastSync: { id: nextId(st), revision: op.revision ?? '', trigger: op.type === 'rollback' ? 'rollback' : 'manual', startedAt: nowIso(), finishedAt: nowIso(), phase: 'Failed', message: clip(source.format()) } }));
      await this.event('Warning', 'SyncFailed', `${op.type} to ${op.revision ?? 'the target'}: ${source.message}`);
      return { requeueAfterMs: jittered(this.policy.intervalMs) };
    }
    return this.sync(source, { trigger: op.type === 'rollback' ? 'rollback' : 'manual', attempt: 1, op }, seen);
  }

  /** One sync: recorded as running first, then the engine, then the result in status and an Event. */
  private async sync(source: Source, how: { readonly trigger: SyncRecordT['trigger']; readonly attempt: number; readonly resumeId?: number; readonly op?: OperationRequest }, seen: Observation): Promise<ReconcileResult> {
    const { trigger, attempt, op } = how;
    const started = Date.now();
    const record: SyncRecordT = { id: how.resumeId ?? nextId(this.st), revision: source.sha, trigger, startedAt: nowIso(), phase: 'Running', attempt, ...(op?.by ? { message: `requested by ${op.by}` } : {}) };
    await this.writeStatus((st) => ({ ...st, operation: record, ...(op ? { handledOperation: op.id } : {}) }));
    const rendered = source.rendered instanceof SlipwayError ? undefined : source.rendered;
    const { result, error } = await this.runEngine(source, op?.prune ?? this.policy.prune, trigger);
    // Leadership lost or shutting down: the next leader finds the operation running and redoes it.
    if (this.ctx.signal.aborted) return {};
    const ok = result?.ok === true && !error;
    const known = this.knownInventory(this.target(rendered));
    const b = known ? this.baselineOf(known) : await this.loadBaseline(rendered).catch(() => undefined);
    const after = this.observe(b);
    const done = finished(record, ok, result, error);
    const { retry, exhausted, next } = ok ? { retry: undefined, exhausted: false, next: undefined } : this.retryAfter(source, attempt, error);
    const notified = this.notifySync(source, done, ok, exhausted);
    await this.writeStatus((st) => {
      const deployed = ok ? { revision: source.sha, sourceDigest: this.digest, namespace: this.target(rendered).namespace, ...(notified ? { notified: rememberNotified(st.notified, notified) } : {}) } : notified ? { notified: rememberNotified(st.notified, notified) } : {};
      const base = omit(this.observed({ ...st, ...deployed }, source, after.ready ? after : seen, ok && after.driftTotal === 0 && after.prunable.length === 0 ? 'Synced' : 'OutOfSync', source.rendered instanceof SlipwayError ? source.rendered : undefined), ['operation', 'retry']) as SlipwayAppStatusT;
      return { ...base, lastSync: done, history: pushHistory(st.history, done), ...(retry ? { retry } : {}) };
    });
    this.record(source, done, { ok, seen, started, error, exhausted, next });
    if (!ok && next) return { requeueAfterMs: Date.parse(next) - Date.now() };
    return { requeueAfterMs: jittered(this.policy.intervalMs) };
  }

  /** The retry state after failed attempt number `attempt`: when the next one is due, or none (a bad commit, or the limit reached). */
  private retryAfter(source: Source, attempt: number, error: SlipwayError | undefined): { retry: NonNullable<SlipwayAppStatusT['retry']>; exhausted: boolean; next: string | undefined } {
    const exhausted = error?.kind === 'input' || error?.kind === 'unsupported' || attempt > this.policy.retryLimit;
    const next = exhausted ? undefined : new Date(Date.now() + retryDelayMs(this.policy, attempt)).toISOString();
    return { retry: { revision: source.sha, digest: this.digest, failures: attempt, ...(next ? { nextAttemptAt: next } : {}), ...(exhausted ? { exhausted: true } : {}) }, exhausted, next };
  }

  /** The deploy engine on the rendered source, bounded by the sync timeout; never throws. */
  private async runEngine(source: Source, prune: boolean, trigger: string): Promise<{ result?: DeployResult; error?: SlipwayError | undefined }> {
    if (source.rendered instanceof SlipwayError) return { error: source.rendered };
    const rendered = source.rendered;
    const target = this.target(rendered);
    const rules = this.app.spec.ignoreDifferences ?? [];
    const live = (o: KubeObject): LiveObject | undefined => this.r.informerFor(this.cluster, o).get(o.metadata.name ?? '', o.metadata.namespace ?? target.namespace);
    const objects = rendered.objects.map((d) => ({ ...d, object: withoutForeign(d.object, live(d.object), rules) }));
    const timeout = AbortSignal.timeout(this.policy.timeoutMs);
    const inventory = this.knownInventory(target);
    // Unknown from here on, unless the engine tells what it left (a write of it may fail).
    this.inventory = undefined;
    try {
      const result = await deploy({
        ...target,
        objects,
        prune,
        ...(inventory ? { inventory } : {}),
        onInventory: (inv) => {
          this.inventory = { target: targetKey(target), inventory: inv };
        },
        // Git is the source of truth: fields someone else took are taken back (those that are not drift were left out above).
        forceConflicts: true,
        // …and left out again just before each write, from the informers' view then: the rollout
        // controller may have taken a route's weights while an earlier stage was applied.
        beforeApply: (o) => withoutForeign(o, live(o), rules),
        wait: true,
        timeoutMs: Math.max(1000, this.policy.timeoutMs - 5000) + rendered.pauseMs,
        message: `gitops ${trigger}: ${source.ref} ${short7(source.sha)}`,
        live: this.r.liveCache(this.cluster, target.namespace),
        signal: AbortSignal.any([this.ctx.signal, timeout]),
      });
      return { result, error: timedOut(result.error, timeout, this.app) };
    } catch (e) {
      return { error: timedOut(isSlipwayError(e) ? e : internal(e instanceof Error ? e.message : String(e), { cause: e }), timeout, this.app) };
    }
  }

  /**
   * One notification per sync operation, when its outcome is final: a revision deployed (not each
   * self-heal), or a failure that will not be retried by itself. The key to keep in the status.
   */
  private notifySync(source: Source, done: SyncRecordT, ok: boolean, exhausted: boolean): string | undefined {
    const auto = done.trigger === 'auto' || done.trigger === 'resume';
    if ((ok && done.trigger === 'selfHeal') || (!ok && !exhausted && auto)) return undefined;
    return this.notify({
      trigger: ok ? 'SyncSucceeded' : 'SyncFailed',
      operation: auto ? `${source.sha}.${this.digest}` : `op-${done.id}`,
      message: (done.message ?? '').split('\n').slice(0, 5).join('\n'),
      revision: source.sha,
    });
  }

  /** Queues a notification (never waits for it); the key, when one was queued or sent before. */
  private notify(e: Omit<NotificationEvent, 'app' | 'repoURL' | 'cluster'>): string | undefined {
    const targets = this.app.spec.notifications ?? [];
    if (targets.length === 0 || !this.r.notifier) return undefined;
    const app = { namespace: this.ns, name: this.appName };
    const r = this.r.notifier.notify({ ...app, notifications: targets, notified: this.st.notified }, { environment: this.env, ...e, app, repoURL: this.app.spec.source.repoURL, cluster: this.cluster.name });
    return r.outcome === 'queued' || r.outcome === 'duplicate' ? r.key : undefined;
  }

  /** Metrics, an Event and a log line for a finished sync. */
  private record(source: Source, done: SyncRecordT, o: { ok: boolean; seen: Observation; started: number; error: SlipwayError | undefined; exhausted: boolean; next: string | undefined }): void {
    const { trigger } = done;
    this.r.m.syncs.inc({ trigger, result: o.ok ? 'succeeded' : 'failed' });
    this.r.m.syncSeconds.observe((Date.now() - o.started) / 1000);
    const mem = this.r.mem(this.key);
    if (o.ok && trigger === 'selfHeal' && mem.driftSeenAt !== undefined) this.r.m.healSeconds.observe((Date.now() - mem.driftSeenAt) / 1000);
    if (o.ok) mem.driftSeenAt = undefined;
    const what = `sync ${done.id} (${trigger}) of ${source.ref} ${short7(source.sha)}`;
    if (o.ok) {
      const healed = trigger === 'selfHeal' ? `drift healed (${o.seen.drift.map((d) => `${d.kind}/${d.name}`).join(', ')}): ` : '';
      void this.event('Normal', trigger === 'selfHeal' ? 'DriftHealed' : 'Synced', `${healed}${what} succeeded: ${done.message ?? ''}`);
    } else {
      const retry = o.exhausted ? '' : `; retry ${done.attempt ?? 1}/${this.policy.retryLimit} at ${o.next ?? ''}`;
      void this.event('Warning', 'SyncFailed', clip(`${what} failed${retry}: ${o.error?.format() ?? ''}`, 1000));
    }
  }

  /** Deleted: with the cascade finalizer, what the app deployed goes first; then the finalizer. */
  async finalize(): Promise<ReconcileResult | undefined> {
    const finalizers = (this.app.metadata as { finalizers?: string[] }).finalizers ?? [];
    if (!finalizers.includes(CASCADE_FINALIZER)) {
      this.r.forget(this.key);
      return undefined;
    }
    const rendered = await this.resolve(false).then((s) => (s instanceof SlipwayError || s.rendered instanceof SlipwayError ? undefined : s.rendered), () => undefined);
    const r = await destroy({ ...this.target(rendered), signal: this.ctx.signal });
    if (r.errors.length > 0) {
      const message = `deleting what ${this.appName} deployed: ${r.errors.map((e) => e.message).join('; ')}`;
      await this.event('Warning', 'DeleteFailed', clip(message, 1000));
      throw new SlipwayError(r.errors[0]?.kind ?? 'internal', message, { cause: r.errors });
    }
    await this.event('Normal', 'Deleted', `deleted ${r.deleted.length} object(s)${r.skipped.length > 0 ? `; left ${r.skipped.length} that are not this app's any more` : ''}`);
    await this.ctx.client.replace({ ...this.app, metadata: { ...this.app.metadata, finalizers: finalizers.filter((f) => f !== CASCADE_FINALIZER) } });
    this.r.forget(this.key);
    return undefined;
  }

  /** Writes the status `change` makes of the current one, against the version read (a conflict: read again, redo). */
  private async writeStatus(change: (st: SlipwayAppStatusT) => SlipwayAppStatusT): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const next = change(this.app.status ?? {});
      if (deepEqual(next, this.app.status ?? {})) return;
      const meta = this.app.metadata as { name?: string; resourceVersion?: string };
      try {
        this.app = (await this.ctx.client.applyStatus(
          { apiVersion: API_VERSION, kind: KIND, metadata: { name: meta.name ?? '', namespace: this.ns, ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}) }, status: next },
          { force: true, fieldManager: GITOPS_MANAGER },
        )) as SlipwayApp;
        this.r.mem(this.key).knownVersion = resourceVersionOf(this.app);
        return;
      } catch (e) {
        if (!(isSlipwayError(e) && e.kind === 'conflict') || attempt >= 4) throw e;
        const fresh = (await this.ctx.client.get({ apiVersion: API_VERSION, kind: KIND, namespace: this.ns, name: meta.name ?? '' })) as SlipwayApp | undefined;
        if (!fresh) return;
        this.app = fresh;
      }
    }
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    this.log.info({ reason }, message);
    return this.ctx.events.record(this.app, type, reason, message);
  }
}

/** The entry of a drifted object in status: fields with the managers that changed them, and a diff; never a Secret's values. */
function driftEntry(o: KubeObject, c: ReturnType<typeof compareObject>): ObjectDriftT {
  const secret = o.kind === 'Secret';
  const name = `${o.kind}/${o.metadata.name ?? ''}`;
  const fields = c.drift.slice(0, MAX_DRIFT_FIELDS).map((f) => ({
    path: formatPath(f.path),
    ...(secret ? {} : defined({ desired: short(f.desired), live: short(f.live) })),
    ...(f.owners.length ? { by: f.owners.join(', ') } : {}),
  }));
  return {
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name ?? '',
    ...(c.missing ? { missing: true } : {}),
    ...(fields.length > 0 ? { fields } : {}),
    ...(fields.length > 0 && !secret ? { diff: driftDiff(name, c.drift) } : {}),
  };
}

/** What the Synced condition says, in the order a person should look at it. */
function syncMessageOf(status: string, seen: Observation, st: SlipwayAppStatusT, policy: Policy, target: string): string {
  const t = short7(target);
  if (status === 'Synced') return `deployed ${t}`;
  if (seen.driftTotal > 0) return `${seen.driftTotal} object(s) differ from git${policy.selfHeal ? '' : ' (selfHeal is off)'}`;
  if (seen.prunable.length > 0 && target === st.revision) return `${seen.prunable.length} object(s) git no longer has are still in the cluster (${policy.prune ? 'pruned by the next sync' : 'prune is off: `slipway app sync --prune` deletes them'})`;
  if (st.retry?.exhausted) return st.retry.failures <= policy.retryLimit ? `${t} cannot be deployed (the last sync says why); the next commit is synced` : `sync of ${t} failed ${st.retry.failures} time(s); waiting for a new revision or \`slipway app sync\``;
  return `${t} is not deployed${policy.automated ? '' : ' (automated sync is off: `slipway app sync`)'}`;
}

function syncReason(status: string, seen: Observation, st: SlipwayAppStatusT, policy: Policy, target: string): string {
  if (status === 'Synced') return 'Synced';
  if (seen.driftTotal > 0) return 'Drifted';
  if (seen.prunable.length > 0 && target === st.revision) return 'PruneRequired';
  if (st.retry?.exhausted) return st.retry.failures <= policy.retryLimit ? 'InvalidRevision' : 'RetryLimitReached';
  return 'OutOfSync';
}

/** The record of a sync that ended. */
function finished(record: SyncRecordT, ok: boolean, result: DeployResult | undefined, error: SlipwayError | undefined): SyncRecordT {
  return {
    ...record,
    finishedAt: nowIso(),
    phase: ok ? 'Succeeded' : 'Failed',
    message: clip(ok ? summary(result) : (error?.format() ?? 'sync failed')),
    ...(result?.revision !== undefined ? { inventoryRevision: result.revision } : {}),
    ...(result ? resultsOf(result) : {}),
  };
}

function resultsOf(r: DeployResult): Pick<SyncRecordT, 'resources' | 'resourcesOmitted'> {
  const { resources, omitted } = boundedResults(r.objects, r.pruned);
  return { resources, ...(omitted > 0 ? { resourcesOmitted: omitted } : {}) };
}

/** A run the sync timeout cancelled, as the failure it is. */
function timedOut(e: SlipwayError | undefined, timeout: AbortSignal, app: SlipwayApp): SlipwayError | undefined {
  if (e?.kind !== 'cancelled' || !timeout.aborted) return e;
  return new SlipwayError('rollout-failed', `the sync did not finish within spec.syncPolicy.timeout (${app.spec.syncPolicy?.timeout ?? '10m'}): ${e.message}`, {
    cause: e,
    hint: 'the previous revision keeps running; raise the timeout, or look at the objects still progressing (`slipway app get`)',
  });
}

/** The entries whose value is not undefined (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** Which inventory Secret a target's is. */
const targetKey = (t: { app: string; env: string; namespace: string }): string => `${t.namespace}/${t.app}/${t.env}`;

const short7 = (sha: string): string => (/^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 7) : sha);

function nextId(st: SlipwayAppStatusT): number {
  return Math.max(0, st.operation?.id ?? 0, st.lastSync?.id ?? 0, ...(st.history ?? []).map((h) => h.id)) + 1;
}

function summary(r: DeployResult | undefined): string {
  if (!r) return '';
  const n = (a: string): number => r.objects.filter((o) => o.action === a).length;
  const parts = [`${n('created')} created`, `${n('configured')} configured`, `${n('unchanged')} unchanged`];
  if (n('replaced') > 0) parts.push(`${n('replaced')} replaced`);
  if (n('skipped') > 0) parts.push(`${n('skipped')} skipped`);
  if (r.pruned.length > 0) parts.push(`${r.pruned.length} pruned`);
  return `${parts.join(', ')}; ${r.health ?? 'applied'}${r.revision !== undefined ? ` (inventory revision ${r.revision})` : ''}`;
}

function reasonOf(e: SlipwayError): string {
  switch (e.kind) {
    case 'forbidden':
      return 'AuthenticationFailed';
    case 'not-found':
      return 'NotFound';
    case 'input':
    case 'unsupported':
      return 'InvalidSource';
    default:
      return 'FetchFailed';
  }
}
