/**
 * Leader election through a `coordination.k8s.io/v1` Lease, with client-go's semantics: a
 * candidate takes the Lease when it is free or its holder has not renewed it for
 * `leaseDurationSeconds`; the leader renews every `retryPeriodSeconds` and gives up leadership
 * when it could not renew for `renewDeadlineSeconds` (so it stops acting before another candidate
 * may take over). Every write is optimistic (create, or replace with the resourceVersion read),
 * so two candidates can never both believe they acquired it. On shutdown the leader releases
 * the Lease, so a successor takes over at once instead of after the lease duration.
 * @see https://kubernetes.io/docs/concepts/architecture/leases/
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isSlipwayError } from '../errors/index.ts';
import type { KubeClient, LiveObject } from '../kube/index.ts';

export interface LeaderOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** Lease name, shared by every replica of one controller. */
  readonly name: string;
  /** This replica's identity (hostname_pid, say); recorded as the holder. */
  readonly identity: string;
  /** @default 15 */
  readonly leaseDurationSeconds?: number;
  /** @default 10 */
  readonly renewDeadlineSeconds?: number;
  /** @default 2 */
  readonly retryPeriodSeconds?: number;
  /** Called when this replica starts leading; `signal` aborts when it stops leading (lost, or shutdown). */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  /** Called when leadership ends (after `onStartedLeading`'s signal aborted). */
  readonly onStoppedLeading?: (why: 'lost' | 'shutdown') => void;
  /** Every failed attempt to acquire or renew, for logs. */
  readonly onError?: (e: unknown) => void;
  /** Another holder was observed (for logs and status). */
  readonly onNewLeader?: (identity: string) => void;
}

interface LeaseSpec {
  holderIdentity?: string | undefined;
  leaseDurationSeconds?: number | undefined;
  acquireTime?: string | undefined;
  renewTime?: string | undefined;
  leaseTransitions?: number | undefined;
}

/** RFC 3339 with microseconds, the MicroTime format Lease times use. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** True when `spec` is held by someone other than `identity` and was renewed within its duration. */
export function heldByOther(spec: LeaseSpec, identity: string, now: number): boolean {
  if (!spec.holderIdentity || spec.holderIdentity === identity) return false;
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
  return renewed + (spec.leaseDurationSeconds ?? 0) * 1000 > now;
}

export class LeaderElector {
  private readonly o: LeaderOptions;
  private readonly leaseSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private observed: LiveObject | undefined;
  private lastHolder = '';
  private leading = false;

  constructor(o: LeaderOptions) {
    this.o = o;
    this.leaseSeconds = o.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = (o.renewDeadlineSeconds ?? 10) * 1000;
    this.retryMs = (o.retryPeriodSeconds ?? 2) * 1000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, leads, and campaigns again after losing, until `signal` aborts; then releases the Lease if held. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Acquire: retry every retry period (jittered, as client-go) until it succeeds.
      while (!signal.aborted && !(await this.tryAcquireOrRenew())) {
        await sleep(this.retryMs * (1 + Math.random() * 0.2), undefined, { signal }).catch(() => undefined);
      }
      if (signal.aborted) break;
      this.leading = true;
      const leading = new AbortController();
      this.o.onStartedLeading(leading.signal);
      // Renew until a renewal has failed for the whole renew deadline, or shutdown.
      let lastRenew = Date.now();
      while (!signal.aborted) {
        await sleep(this.retryMs, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) break;
        if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
        else if (Date.now() - lastRenew >= this.renewDeadlineMs || this.lastHolder !== this.o.identity) break;
      }
      this.leading = false;
      leading.abort();
      if (signal.aborted) {
        await this.release();
        this.o.onStoppedLeading?.('shutdown');
        return;
      }
      this.o.onStoppedLeading?.('lost');
    }
  }

  /** One attempt; true when this replica holds the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.o;
    const now = new Date();
    try {
      const live = await client.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name });
      if (!live) {
        this.observed = await client.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: this.leaseSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        this.noteHolder(identity);
        return true;
      }
      this.observed = live;
      const spec = (live['spec'] ?? {}) as LeaseSpec;
      this.noteHolder(spec.holderIdentity ?? '');
      if (heldByOther(spec, identity, now.getTime())) return false;
      const mine = spec.holderIdentity === identity;
      this.observed = await client.replace({
        ...live,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds: this.leaseSeconds,
          acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
        },
      });
      this.noteHolder(identity);
      return true;
    } catch (e) {
      // A conflict means another candidate wrote first: not an error worth reporting.
      if (!(isSlipwayError(e) && e.kind === 'conflict')) this.o.onError?.(e);
      return false;
    }
  }

  /** Gives the Lease up (holder cleared, duration 1 s) so that a successor need not wait it out. */
  private async release(): Promise<void> {
    const live = this.observed;
    const spec = (live?.['spec'] ?? {}) as LeaseSpec;
    if (!live || spec.holderIdentity !== this.o.identity) return;
    try {
      await this.o.client.replace({ ...live, spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) } });
    } catch (e) {
      this.o.onError?.(e);
    }
  }

  private noteHolder(holder: string): void {
    if (holder === this.lastHolder) return;
    this.lastHolder = holder;
    if (holder) this.o.onNewLeader?.(holder);
  }
}
