/**
 * What one reconcile of one ServiceRollout works with, whatever its strategy: the rollout as read
 * from the apiserver, its status as this reconcile has written it (optimistically, against the
 * resourceVersion it read), the Deployments it owns, events and metrics.
 */
import { createHash } from 'node:crypto';
import type { ReconcileContext } from '../controller/index.ts';
import type { KindQuery, KubeClient, LiveObject } from '../kube/index.ts';
import { rolloutMetrics, type RolloutMetrics } from './metrics.ts';
import { canonicalJson } from '../manifest/index.ts';
import { CONTROLLER_MANAGER, TRACK_LABEL, canaryName, ownedBy, routerFor, stableName, type HeaderRoute, type TrafficRouter } from './router.ts';
import { API_VERSION, KIND, type ServiceRollout, type ServiceRolloutStatusT, type StepT } from './types.ts';

/** Default of spec.strategy.*.progressDeadlineSeconds. */
export const DEFAULT_PROGRESS_DEADLINE_S = 600;
/** Default of spec.strategy.canary.abortScaleDownDelaySeconds. */
export const DEFAULT_ABORT_DELAY_S = 30;

/** Content hash of a pod template: the revision a rollout's status names. */
export function templateHash(template: unknown): string {
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, 10);
}


/** `15m`, `30s`, `1h30m` → ms. */
export function durationMs(d: string): number {
  let ms = 0;
  for (const m of d.matchAll(/(\d+)(h|m|s)/g)) ms += Number(m[1]) * (m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 1000);
  return ms;
}

/** spec.replicas, 1 when unset (an HPA sets it through the scale subresource). */
export const replicasOf = (ro: ServiceRollout): number => ro.spec.replicas ?? 1;

/** Canary pods for a traffic weight: proportional to the stable replicas, at least one while it gets traffic. */
export function canaryReplicasFor(weight: number, replicas: number): number {
  return weight <= 0 ? 0 : Math.max(1, Math.ceil((replicas * weight) / 100));
}

/**
 * Canary pods once steps [0, upTo) ran, for `replicas` stable pods (the HPA's current count when
 * the service autoscales): the traffic weight's share, unless a setCanaryScale step fixed it
 * (until one with matchTrafficWeight). Recomputed on every reconcile, so the canary follows the
 * stable replica count as it changes.
 */
export function canaryScaleAt(steps: readonly StepT[], upTo: number, replicas: number): number {
  let weight = 0;
  let fixed: number | undefined;
  for (const s of steps.slice(0, upTo)) {
    if (s.setWeight !== undefined) weight = s.setWeight;
    const scale = s.setCanaryScale;
    if (scale === undefined) continue;
    fixed = scale.matchTrafficWeight ? undefined : (scale.replicas ?? (scale.weight !== undefined ? canaryReplicasFor(scale.weight, replicas) : undefined));
  }
  return fixed ?? canaryReplicasFor(weight, replicas);
}

/** The first image of a pod template, for status and the CLI. */
export function imageOf(template: unknown): string | undefined {
  return (template as { spec?: { containers?: { image?: string }[] } } | undefined)?.spec?.containers?.[0]?.image;
}

export interface DeploymentView {
  readonly exists: boolean;
  readonly template: unknown;
  /** The revision (template hash) it was last written with. */
  readonly revision: string | undefined;
  readonly ready: boolean;
}

const REVISION_ANNOTATION = 'slipway.dev/revision';
/** Blue-green: the pod label that tells versions apart (the Services select on it). */
export const REVISION_LABEL = 'slipway.dev/revision';

export function viewOf(d: LiveObject | undefined): DeploymentView {
  if (!d) return { exists: false, template: undefined, revision: undefined, ready: false };
  const spec = (d['spec'] ?? {}) as { replicas?: number; template?: unknown };
  const st = (d['status'] ?? {}) as { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number };
  const gen = (d.metadata as { generation?: number }).generation ?? 0;
  const want = spec.replicas ?? 1;
  const ready = (st.observedGeneration ?? 0) >= gen && (st.updatedReplicas ?? 0) >= want && (st.availableReplicas ?? 0) >= want && (st.replicas ?? 0) === want;
  return { exists: true, template: spec.template, revision: d.metadata.annotations?.[REVISION_ANNOTATION], ready };
}

export const now = (): string => new Date().toISOString();

/** Status fields to set; an undefined value removes the field. */
export type StatusPatch = { [K in keyof ServiceRolloutStatusT]?: ServiceRolloutStatusT[K] | undefined };

/** metadata.generation after this process's last write of each Deployment (`ns/name`), bounded. */
const written = new Map<string, number>();
function remember(key: string, generation: number | undefined): void {
  written.delete(key);
  if (generation !== undefined) written.set(key, generation);
  if (written.size > 20_000) written.delete(written.keys().next().value ?? '');
}

/** The Deployments the controller watches (and caches): those of rollouts, by their track label. */
export const deploymentsQuery = (namespace: string | undefined): KindQuery => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, labelSelector: TRACK_LABEL });

/** Settings of the controller process that reconciles see. */
export interface RolloutOptions {
  /** The Prometheus analysis queries when a metric names no address (`--prometheus-url`). */
  readonly prometheusUrl?: string | undefined;
}

/** Everything one reconcile of one rollout needs. */
export class Run {
  readonly ro: ServiceRollout;
  st: ServiceRolloutStatusT;
  /** The rollout's resourceVersion as last read or written by this reconcile. */
  rv: string | undefined;
  readonly client: KubeClient;
  readonly router: TrafficRouter;
  readonly ctx: ReconcileContext;
  readonly steps: readonly StepT[];

  readonly primary: KindQuery;
  readonly options: RolloutOptions;

  constructor(ro: ServiceRollout, ctx: ReconcileContext, primary: KindQuery, options: RolloutOptions = {}) {
    this.primary = primary;
    this.options = options;
    this.ro = ro;
    this.st = { ...(ro.status ?? {}) };
    this.rv = (ro.metadata as { resourceVersion?: string }).resourceVersion;
    this.client = ctx.client;
    this.router = routerFor(ctx.client, ro);
    this.ctx = ctx;
    this.steps = ro.spec.strategy.canary?.steps ?? [];
  }

  get ns(): string {
    return this.ro.metadata.namespace ?? 'default';
  }

  annotation(k: string): string | undefined {
    return this.ro.metadata.annotations?.[k];
  }

  /** A request annotation whose value differs from the one last handled. */
  fresh(k: string, handled: string | undefined): string | undefined {
    const v = this.annotation(k);
    return v !== undefined && v !== handled ? v : undefined;
  }

  /** A Deployment of the rollout, as the apiserver has it now (decisions are made on fresh reads). */
  async deployment(name: string): Promise<LiveObject | undefined> {
    return this.client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: this.ns, name }, { signal: this.ctx.signal });
  }

  /**
   * The Deployment as the informer cache has it, when its spec is the one this process last wrote
   * (the same metadata.generation: the deployment controller's status updates do not change it,
   * any spec change does); otherwise from the apiserver. Only for the "already written?" check of
   * applyWorkload: an older copy could match what is wanted now (A, then B, then A again) and skip
   * a write that is needed. Saves a GET per track and reconcile.
   */
  private async lastWritten(name: string): Promise<LiveObject | undefined> {
    const cached = this.ctx.informers.informer(deploymentsQuery(this.primary.namespace)).get(name, this.ns);
    const mine = written.get(`${this.ns}/${name}`);
    if (cached && mine !== undefined && (cached.metadata as { generation?: number }).generation === mine) return cached;
    return this.deployment(name);
  }


  /** Writes a canary track's Deployment (`<name>-stable` or `<name>-canary`). */
  applyDeployment(track: 'stable' | 'canary', template: unknown, replicas: number, revision: string = templateHash(template)): Promise<void> {
    return this.applyWorkload(track === 'stable' ? stableName(this.ro) : canaryName(this.ro), { [TRACK_LABEL]: track }, template, replicas, revision);
  }

  /**
   * Writes a Deployment of the rollout whose pods carry the rollout's labels plus `extra`,
   * unless it already has this revision at these replicas (reads are cheaper than writes).
   */
  async applyWorkload(name: string, extra: Record<string, string>, template: unknown, replicas: number, revision: string): Promise<void> {
    const live = await this.lastWritten(name);
    if (live && live.metadata.annotations?.[REVISION_ANNOTATION] === revision && (live['spec'] as { replicas?: number } | undefined)?.replicas === replicas) return;
    const sel = { ...this.ro.spec.selector.matchLabels, ...extra };
    const t = (template ?? {}) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };
    const applied = await this.client.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        // The track label on the Deployment itself is what wakes the controller (rolloutReconciler's watch).
        metadata: { name, namespace: this.ns, labels: { [TRACK_LABEL]: 'blueGreen', ...sel }, annotations: { [REVISION_ANNOTATION]: revision }, ownerReferences: ownedBy(this.ro) },
        spec: {
          replicas,
          selector: { matchLabels: sel },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
          template: { ...t, metadata: { ...t.metadata, labels: { ...t.metadata?.labels, ...sel } } },
        },
      },
      { force: true, fieldManager: CONTROLLER_MANAGER, signal: this.ctx.signal },
    );
    remember(`${this.ns}/${name}`, (applied.metadata as { generation?: number }).generation);
  }

  /** Writes the status (the whole of it: fields left out are removed). */
  async writeStatus(patch: StatusPatch, drop: readonly (keyof ServiceRolloutStatusT)[] = []): Promise<void> {
    const blueGreen = this.ro.spec.strategy.blueGreen !== undefined;
    const merged: Record<string, unknown> = {
      ...this.st,
      ...patch,
      observedGeneration: (this.ro.metadata as { generation?: number }).generation ?? 0,
      strategy: blueGreen ? 'blueGreen' : 'canary',
      routing: blueGreen ? 'services' : this.router.name,
      replicas: replicasOf(this.ro),
    };
    // The scale subresource's selector: the pods an HPA measures, the active ones under blue-green.
    const active = blueGreen && typeof merged['stableRevision'] === 'string' ? { [REVISION_LABEL]: merged['stableRevision'] } : {};
    merged['selector'] = Object.entries({ ...this.ro.spec.selector.matchLabels, ...active }).map(([k, v]) => `${k}=${v}`).join(',');
    const next = Object.fromEntries(Object.entries(merged).filter(([k, v]) => v !== undefined && !drop.includes(k as keyof ServiceRolloutStatusT))) as ServiceRolloutStatusT;
    this.st = next;
    // Optimistic: written against the version this reconcile read, so a stale read (or a
    // deposed leader) gets a conflict and the reconcile is retried on fresh data.
    const written = await this.client.applyStatus(
      { apiVersion: API_VERSION, kind: KIND, metadata: { name: this.ro.metadata.name ?? '', namespace: this.ns, ...(this.rv ? { resourceVersion: this.rv } : {}) }, status: next },
      { force: true, fieldManager: CONTROLLER_MANAGER, signal: this.ctx.signal },
    );
    this.rv = (written.metadata as { resourceVersion?: string }).resourceVersion;
  }

  get metrics(): RolloutMetrics {
    return rolloutMetrics(this.ctx.registry, this.ctx.informers.informer(this.primary));
  }

  event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    this.ctx.log.info({ reason }, message);
    this.metrics.transitions.inc({ reason });
    return this.ctx.events.record(this.ro, type, reason, message);
  }

  header(): HeaderRoute | undefined {
    const { headerRouteName: name, headerRouteValue: value } = this.st;
    return name !== undefined && value !== undefined ? { name, value } : undefined;
  }
}

