import { describe, expect, it } from 'vitest';
import { boundedResults, durationMs, jittered, parseOperation, policyOf, pushHistory, retryDelayMs, setCondition, sourceDigest } from './status.ts';
import type { SlipwayApp, SyncRecordT } from './types.ts';

const app = (spec: Partial<SlipwayApp['spec']> = {}): SlipwayApp => ({ apiVersion: 'slipway.dev/v1alpha1', kind: 'SlipwayApp', metadata: { name: 'a', namespace: 'n' }, spec: { source: { repoURL: 'file:///r' }, ...spec } });

describe('sync policy', () => {
  it.each([
    ['3m', 180_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1m5s', 65_000],
  ])('durationMs(%s)', (d, ms) => expect(durationMs(d)).toBe(ms));

  it('defaults: automated, no prune, no selfHeal, 3m interval, 10m timeout, retry 5 × (5s ×2 up to 3m)', () => {
    expect(policyOf(app())).toEqual({ automated: true, prune: false, selfHeal: false, intervalMs: 180_000, timeoutMs: 600_000, retryLimit: 5, backoffMs: 5000, backoffFactor: 2, backoffMaxMs: 180_000 });
    expect(policyOf(app({ syncPolicy: { automated: false, prune: true, interval: '10s', retry: { limit: 1, backoff: { duration: '1s', factor: 3, maxDuration: '5s' } } } }))).toMatchObject({ automated: false, prune: true, intervalMs: 10_000, retryLimit: 1, backoffMs: 1000, backoffFactor: 3, backoffMaxMs: 5000 });
  });

  it.each([
    [1, 5000],
    [2, 10_000],
    [3, 20_000],
    [6, 160_000],
    [7, 180_000],
    [40, 180_000],
  ])('retry %i waits %i ms', (n, ms) => expect(retryDelayMs(policyOf(app()), n)).toBe(ms));

  it('the interval is jittered by ±10%', () => {
    expect(jittered(100_000, () => 0)).toBe(90_000);
    expect(jittered(100_000, () => 1)).toBe(110_000);
  });

  it('sourceDigest changes with what a sync deploys besides the commit, not with the policy', () => {
    const base = sourceDigest(app());
    expect(sourceDigest(app({ syncPolicy: { selfHeal: true } }))).toBe(base);
    expect(sourceDigest(app({ source: { repoURL: 'file:///r', path: 'x' } }))).not.toBe(base);
    expect(sourceDigest(app({ source: { repoURL: 'file:///r', env: 'prod' } }))).not.toBe(base);
    expect(sourceDigest(app({ destination: { namespace: 'other' } }))).not.toBe(base);
    expect(sourceDigest(app({ ignoreDifferences: [{ kind: 'Deployment', jsonPointers: ['/spec/replicas'] }] }))).not.toBe(base);
  });
});

describe('bounded status lists', () => {
  const rec = (id: number): SyncRecordT => ({ id, revision: 'r', trigger: 'auto', startedAt: 't', phase: 'Succeeded', resources: [{ kind: 'X', name: 'x', action: 'created' }], message: 'm'.repeat(2000) });

  it('history keeps the last 10, without per-object results, messages cut', () => {
    let h: SyncRecordT[] = [];
    for (let i = 1; i <= 13; i++) h = pushHistory(h, rec(i));
    expect(h.map((x) => x.id)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(h.every((x) => x.resources === undefined && (x.message ?? '').length <= 512)).toBe(true);
    // The same sync again (a resumed one) replaces its entry.
    expect(pushHistory(h, { ...rec(13), phase: 'Failed' }).filter((x) => x.id === 13)).toEqual([expect.objectContaining({ phase: 'Failed' })]);
  });

  it('per-object results: failures and changes first, at most 100, the rest counted', () => {
    const objects = Array.from({ length: 150 }, (_, i) => ({ id: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'n', name: `c${i}` }, action: i === 149 ? ('failed' as const) : i % 2 ? ('unchanged' as const) : ('configured' as const) }));
    const r = boundedResults(objects, [{ kind: 'Secret', namespace: 'n', name: 'old' }]);
    expect(r.resources).toHaveLength(100);
    expect(r.omitted).toBe(51);
    expect(r.resources.slice(0, 2).map((x) => x.action)).toEqual(['failed', 'pruned']);
  });

  it('a condition keeps its lastTransitionTime until its status changes', () => {
    const c1 = setCondition(undefined, { type: 'Synced', status: 'True', reason: 'Synced', message: 'ok' }, 't1');
    const c2 = setCondition(c1, { type: 'Synced', status: 'True', reason: 'Synced', message: 'still ok' }, 't2');
    const c3 = setCondition(c2, { type: 'Synced', status: 'False', reason: 'Drifted', message: 'no' }, 't3');
    expect([c2[0]?.lastTransitionTime, c2[0]?.message, c3[0]?.lastTransitionTime]).toEqual(['t1', 'still ok', 't3']);
  });
});

describe('parseOperation', () => {
  it.each([
    ['{"id":"1","type":"sync"}', { id: '1', type: 'sync' }],
    ['{"id":"2","type":"rollback","revision":"abc","prune":true,"by":"me"}', { id: '2', type: 'rollback', revision: 'abc', prune: true, by: 'me' }],
    ['{"id":"3","type":"delete"}', undefined],
    ['{"type":"sync"}', undefined],
    ['not json', undefined],
    [undefined, undefined],
  ])('%s', (v, want) => expect(parseOperation(v)).toEqual(want));
});
