/**
 * Waits until every object is Healthy (or Suspended), polling with one LIST per kind and
 * namespace. Fails fast on Degraded (e.g. a Deployment past its progress deadline) and on timeout,
 * naming the objects that were not healthy and why.
 */
import { rolloutFailed, type SlipwayError } from '../errors/index.ts';
import { describe, type KubeClient, type LiveObject, type ObjectId } from '../kube/index.ts';
import { checkAborted, pause } from './cancel.ts';
import { healthOf, worst, type Health, type HealthStatus } from './health.ts';
import { idKey, idOf } from './inventory.ts';
import { mapLimit } from './pool.ts';
import type { DeployEvent } from './types.ts';

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

/** Current health of each id (Missing when absent), reading with one LIST per kind+namespace. */
async function readHealth(client: KubeClient, ids: readonly ObjectId[], concurrency: number, signal?: AbortSignal): Promise<Map<string, Health>> {
  const groups = new Map<string, { apiVersion: string; kind: string; namespace: string | undefined }>();
  for (const id of ids) groups.set(`${id.apiVersion}|${id.kind}|${id.namespace ?? ''}`, { apiVersion: id.apiVersion, kind: id.kind, namespace: id.namespace });
  const live = new Map<string, LiveObject>();
  const lists = await mapLimit([...groups.values()], concurrency, (g) =>
    client.list(g, { signal }).catch((e: unknown) => {
      if ((e as SlipwayError).kind === 'not-found') return [];
      throw e;
    }),
  );
  for (const items of lists) for (const it of items) live.set(idKey(idOf(it)), it);
  return new Map(ids.map((id) => [idKey(id), healthOf(live.get(idKey(id)))]));
}

function summary(ids: readonly ObjectId[], health: ReadonlyMap<string, Health>, only: (s: HealthStatus) => boolean): string {
  return ids
    .map((id) => ({ id, h: health.get(idKey(id)) }))
    .filter((x) => x.h && only(x.h.status))
    .map((x) => `${describe(x.id)} is ${x.h?.status ?? ''}${x.h?.message ? `: ${x.h.message}` : ''}`)
    .join('; ');
}

export async function waitHealthy(o: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + o.timeoutMs;
  const last = new Map<string, string>();
  for (;;) {
    checkAborted(o.signal, 'waiting for health');
    const health = await readHealth(o.client, o.ids, o.concurrency, o.signal);
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
    await pause(Math.min(o.pollIntervalMs, Math.max(0, deadline - Date.now())), o.signal, 'waiting for health');
  }
}
