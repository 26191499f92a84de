/**
 * The pure parts of an app's status: defaults of the sync policy, retry delays, the bounded
 * history and per-object results, conditions, and the operation requests of `slipway app`.
 */
import { createHash } from 'node:crypto';
import { omit } from '../manifest/index.ts';
import type { ObjectResult } from '../sync/index.ts';
import { IN_CLUSTER, MAX_HISTORY, MAX_MESSAGE_CHARS, MAX_RESOURCE_RESULTS, type ConditionT, type SlipwayApp, type SyncRecordT } from './types.ts';

/** `15m`, `30s`, `1h30m`, `250ms` → ms. */
export function durationMs(d: string): number {
  let ms = 0;
  for (const m of d.matchAll(/(\d+)(ms|h|m|s)/g)) ms += Number(m[1]) * (m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : m[2] === 's' ? 1000 : 1);
  return ms;
}

export interface Policy {
  readonly automated: boolean;
  readonly prune: boolean;
  readonly selfHeal: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly retryLimit: number;
  readonly backoffMs: number;
  readonly backoffFactor: number;
  readonly backoffMaxMs: number;
}

const DEFAULTS = { interval: '3m', timeout: '10m', retryLimit: 5, backoff: '5s', factor: 2, maxBackoff: '3m' } as const;

export function policyOf(app: SlipwayApp): Policy {
  const p = app.spec.syncPolicy ?? {};
  const b = p.retry?.backoff ?? {};
  return {
    automated: p.automated ?? true,
    prune: p.prune ?? false,
    selfHeal: p.selfHeal ?? false,
    intervalMs: Math.max(1000, durationMs(p.interval ?? DEFAULTS.interval)),
    timeoutMs: Math.max(1000, durationMs(p.timeout ?? DEFAULTS.timeout)),
    retryLimit: p.retry?.limit ?? DEFAULTS.retryLimit,
    backoffMs: durationMs(b.duration ?? DEFAULTS.backoff),
    backoffFactor: b.factor ?? DEFAULTS.factor,
    backoffMaxMs: durationMs(b.maxDuration ?? DEFAULTS.maxBackoff),
  };
}

/** The delay before retry number `failures` (1-based): duration·factor^(failures-1), at most maxDuration. */
export function retryDelayMs(p: Pick<Policy, 'backoffMs' | 'backoffFactor' | 'backoffMaxMs'>, failures: number): number {
  return Math.min(p.backoffMaxMs, p.backoffMs * p.backoffFactor ** Math.max(0, Math.min(failures - 1, 30)));
}

/** The interval with ±10% jitter, so that apps created together do not all poll together. */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.9 + 0.2 * random()));
}

/** What a sync deploys besides the commit: a change of any of these needs a sync too. */
export function sourceDigest(app: SlipwayApp): string {
  const s = app.spec.source;
  const d = app.spec.destination ?? {};
  const parts = [s.repoURL, s.path ?? '.', s.env ?? 'default', d.cluster ?? IN_CLUSTER, d.namespace ?? '', JSON.stringify(app.spec.ignoreDifferences ?? [])];
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
}

export const clip = (s: string, n = MAX_MESSAGE_CHARS): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const ORDER: Record<string, number> = { failed: 0, pruned: 1, created: 2, replaced: 3, configured: 4, skipped: 5, unchanged: 6 };

/** Per-object results for status: failures and changes first, at most {@link MAX_RESOURCE_RESULTS}. */
export function boundedResults(objects: readonly ObjectResult[], pruned: readonly { kind: string; namespace?: string | undefined; name: string }[]): { resources: NonNullable<SyncRecordT['resources']>; omitted: number } {
  const all = [
    ...objects.map((o) => ({ kind: o.id.kind, ...(o.id.namespace ? { namespace: o.id.namespace } : {}), name: o.id.name, action: o.action, ...(o.message ? { message: clip(o.message, 512) } : {}) })),
    ...pruned.map((id) => ({ kind: id.kind, ...(id.namespace ? { namespace: id.namespace } : {}), name: id.name, action: 'pruned' })),
  ].sort((a, b) => (ORDER[a.action] ?? 9) - (ORDER[b.action] ?? 9));
  return { resources: all.slice(0, MAX_RESOURCE_RESULTS), omitted: Math.max(0, all.length - MAX_RESOURCE_RESULTS) };
}

/** The history with `r` appended (an entry of the same id replaced), the last {@link MAX_HISTORY}, without per-object results. */
export function pushHistory(history: readonly SyncRecordT[] | undefined, r: SyncRecordT): SyncRecordT[] {
  const entry = omit(r, ['resources', 'resourcesOmitted']) as SyncRecordT;
  const rest = (history ?? []).filter((h) => h.id !== r.id);
  return [...rest, { ...entry, ...(entry.message ? { message: clip(entry.message, 512) } : {}) }].slice(-MAX_HISTORY);
}

/** Conditions with `c` set; lastTransitionTime kept when the status did not change. */
export function setCondition(conditions: readonly ConditionT[] | undefined, c: Omit<ConditionT, 'lastTransitionTime'>, now: string): ConditionT[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next = { ...c, message: clip(c.message, 1024), lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list.slice(0, 8);
}

/** A `slipway app sync|rollback` request (the operation annotation), or undefined when it is not one. */
export interface OperationRequest {
  readonly id: string;
  readonly type: 'sync' | 'rollback';
  /** A commit, branch, tag or range; default: the spec's. */
  readonly revision?: string | undefined;
  readonly prune?: boolean | undefined;
  /** Who asked (the kubeconfig user), for history. */
  readonly by?: string | undefined;
}

export function parseOperation(value: string | undefined): OperationRequest | undefined {
  if (value === undefined) return undefined;
  try {
    const o = JSON.parse(value) as Record<string, unknown>;
    if (typeof o['id'] !== 'string' || (o['type'] !== 'sync' && o['type'] !== 'rollback')) return undefined;
    return {
      id: o['id'],
      type: o['type'],
      ...(typeof o['revision'] === 'string' && o['revision'] !== '' ? { revision: o['revision'] } : {}),
      ...(typeof o['prune'] === 'boolean' ? { prune: o['prune'] } : {}),
      ...(typeof o['by'] === 'string' ? { by: o['by'].slice(0, 253) } : {}),
    };
  } catch {
    return undefined;
  }
}

export const nowIso = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
