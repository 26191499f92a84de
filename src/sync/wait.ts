/**
 * Waits until every object is Healthy (or Suspended), polling with one LIST per kind and
 * namespace, or, given a cache of the live objects kept by watches (a controller's informers),
 * reading that cache at each of its change events, with no request at all. Fails fast on Degraded (e.g. a Deployment past its progress deadline) and on timeout,
 * naming the objects that were not healthy and why.
 */
import { rolloutFailed, type SlipwayError } from '../errors/index.ts';
import { describe, type KubeClient, type LiveObject, type ObjectId } from '../kube/index.ts';
import { checkAborted, pause } from './cancel.ts';
import { healthOf, worst, type Health, type HealthStatus } from './health.ts';
import { idKey, idOf } from './inventory.ts';
import { mapLimit } from './pool.ts';
import type { DeployEvent, LiveCache } from './types.ts';

export interface WaitOptions {
  readonly client: KubeClient;
  readonly ids: readonly ObjectId[];
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly concurrency: number;
  readonly onEvent: (e: DeployEvent) => void;
  /**
   * Health to report instead of Missing, by {@link idKey}: Jobs an earlier revision ran that the
   * TTL-after-finished controller may delete (see {@link reapedJobHealth}).
   */
  readonly whenMissing?: ReadonlyMap<string, Health>;
  /** Ends the wait with a `cancelled` error (thrown) when it aborts. */
  readonly signal?: AbortSignal | undefined;
  /** Read instead of LISTs, woken by its changes instead of polling (kinds it does not cache are still listed). */
  readonly live?: LiveCache | undefined;
  /**
   * The generation this run's apply returned, by {@link idKey}: a cached object of an older
   * generation is a view from before the write (the watch has not delivered it yet), not health.
   */
  readonly applied?: ReadonlyMap<string, number> | undefined;
}

export interface WaitResult {
  readonly status: HealthStatus;
  readonly health: ReadonlyMap<string, Health>;
  readonly error?: SlipwayError;
}

/**
 * Whether a health blocks the wait. Like `helm --wait`, an Ingress still waiting for its address
 * does not: that depends on an ingress controller outside the app (none on a local cluster), and
 * `slipway status` still shows it as Progressing, as Argo CD does.
 */
export function blocksWait(id: ObjectId, h: Health): boolean {
  if (h.status === 'Healthy' || h.status === 'Suspended') return false;
  return !(id.kind === 'Ingress' && h.status === 'Progressing');
}

/**
 * Current health of each id (Missing when absent): from the cache where it has the kind, else
 * with one LIST per kind+namespace.
 */
async function readHealth(o: WaitOptions): Promise<Map<string, Health>> {
  const { client, ids, concurrency, signal } = o;
  const groups = new Map<string, { apiVersion: string; kind: string; namespace: string | undefined }>();
  const live = new Map<string, LiveObject>();
  const cached = new Set<string>();
  for (const id of ids) {
    const c = o.live?.get(id);
    if (o.live && c !== 'uncached') {
      cached.add(idKey(id));
      if (c) live.set(idKey(id), c);
      continue;
    }
    groups.set(`${id.apiVersion}|${id.kind}|${id.namespace ?? ''}`, { apiVersion: id.apiVersion, kind: id.kind, namespace: id.namespace });
  }
  const lists = await mapLimit([...groups.values()], concurrency, (g) =>
    client.list(g, { signal }).catch((e: unknown) => {
      if ((e as SlipwayError).kind === 'not-found') return [];
      throw e;
    }),
  );
  for (const items of lists) for (const it of items) if (!cached.has(idKey(idOf(it)))) live.set(idKey(idOf(it)), it);
  return new Map(
    ids.map((id) => {
      const key = idKey(id);
      const obj = live.get(key);
      const generation = (obj?.metadata as { generation?: number } | undefined)?.generation;
      const wrote = o.applied?.get(key);
      if (obj && cached.has(key) && wrote !== undefined && generation !== undefined && generation < wrote) return [key, { status: 'Progressing', message: `waiting to observe generation ${wrote}` }];
      return [key, healthOf(obj)];
    }),
  );
}

function summary(ids: readonly ObjectId[], health: ReadonlyMap<string, Health>, only: (s: HealthStatus) => boolean): string {
  return ids
    .map((id) => ({ id, h: health.get(idKey(id)) }))
    .filter((x) => x.h && only(x.h.status))
    .map((x) => `${describe(x.id)} is ${x.h?.status ?? ''}${x.h?.message ? `: ${x.h.message}` : ''}`)
    .join('; ');
}

/** With a cache: how long a wait goes without a change event before reading the cache again anyway. */
const CACHE_RECHECK_MS = 5000;

export async function waitHealthy(o: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + o.timeoutMs;
  const last = new Map<string, string>();
  for (;;) {
    checkAborted(o.signal, 'waiting for health');
    const health = await readHealth(o);
    for (const [key, h] of o.whenMissing ?? []) if (health.get(key)?.status === 'Missing') health.set(key, h);
    for (const id of o.ids) {
      const h = health.get(idKey(id));
      if (!h) continue;
      const sig = `${h.status}|${h.message ?? ''}`;
      if (last.get(idKey(id)) !== sig) o.onEvent({ type: 'health', id, health: h });
      last.set(idKey(id), sig);
    }
    const status = worst([...health.values()].map((h) => h.status));
    if (!o.ids.some((id) => blocksWait(id, health.get(idKey(id)) ?? { status: 'Unknown' }))) return { status: status === 'Suspended' ? status : 'Healthy', health };
    if (status === 'Degraded') {
      return { status, health, error: rolloutFailed(`rollout failed: ${summary(o.ids, health, (s) => s === 'Degraded')}`, { cause: [...health.entries()] }) };
    }
    if (Date.now() >= deadline) {
      const pending = o.ids
        .filter((id) => blocksWait(id, health.get(idKey(id)) ?? { status: 'Unknown' }))
        .map((id) => `${describe(id)} is ${health.get(idKey(id))?.status ?? 'Unknown'}${health.get(idKey(id))?.message ? `: ${health.get(idKey(id))?.message ?? ''}` : ''}`)
        .join('; ');
      return {
        status,
        health,
        error: rolloutFailed(`timed out after ${Math.round(o.timeoutMs / 1000)}s waiting for health: ${pending}`, {
          cause: [...health.entries()],
          hint: 'raise --timeout if the rollout is just slow; `slipway status` shows the pods',
        }),
      };
    }
    const left = Math.max(0, deadline - Date.now());
    if (o.live) {
      // The watches tell when something changed; the timer is only a safety net (a cache read, no request).
      await o.live.changed(o.ids, Math.min(CACHE_RECHECK_MS, left), o.signal);
      checkAborted(o.signal, 'waiting for health');
    } else await pause(Math.min(o.pollIntervalMs, left), o.signal, 'waiting for health');
  }
}
