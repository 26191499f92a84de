import { describe, expect, it } from 'vitest';
import { evaluateGates, nextPromotionStatus, parseApproval, pipelineOrder, type GateInput, type RolloutGateView } from './promotion.ts';
import { API_VERSION, KIND, MAX_HISTORY, type SlipwayApp, type SlipwayAppStatusT } from './types.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const T0 = Date.parse('2026-01-01T10:00:00Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function staging(status: SlipwayAppStatusT | undefined): SlipwayApp {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'shop-staging', namespace: 'shop' }, spec: { source: { repoURL: 'file:///r', env: 'staging' } }, ...(status ? { status } : {}) };
}

/** Staging running A, Synced and Healthy since 10:00:00 (its sync of A finished then). */
const healthyAt = (rev: string, since = 0): SlipwayAppStatusT => ({
  revision: rev,
  sync: { status: 'Synced', revision: rev },
  health: { status: 'Healthy' },
  lastSync: { id: 3, revision: rev, trigger: 'auto', startedAt: at(since - 5), finishedAt: at(since), phase: 'Succeeded' },
  conditions: [
    { type: 'Synced', status: 'True', reason: 'Synced', message: '', lastTransitionTime: at(since) },
    { type: 'Healthy', status: 'True', reason: 'Healthy', message: '', lastTransitionTime: at(since - 2) },
  ],
});

const ro = (o: Partial<RolloutGateView> = {}): RolloutGateView => ({ name: 'web', generation: 2, observedGeneration: 2, phase: 'Healthy', ...o });

const base: GateInput = { upstream: staging(healthyAt(A)), rollouts: [ro()], soakMs: 0, manual: false, approval: undefined, promoted: undefined, now: T0 + 1000 };

describe('evaluateGates', () => {
  const cases: { name: string; in: Partial<GateInput>; phase: string; reason: string; promote?: boolean; revision?: string; message?: RegExp; recheck?: number }[] = [
    { name: 'healthy, no gates: promoted', in: {}, phase: 'Promoted', reason: 'GatesPassed', promote: true, revision: A },
    { name: 'already promoted: up to date, nothing to do', in: { promoted: A }, phase: 'Promoted', reason: 'UpToDate', promote: false, revision: A },
    { name: 'no upstream app', in: { upstream: undefined }, phase: 'Waiting', reason: 'UpstreamNotFound' },
    { name: 'upstream never deployed', in: { upstream: staging(undefined) }, phase: 'Waiting', reason: 'NotDeployed' },
    {
      name: 'upstream syncing',
      in: { upstream: staging({ ...healthyAt(A), sync: { status: 'OutOfSync', revision: B }, operation: { id: 4, revision: B, trigger: 'auto', startedAt: at(1), phase: 'Running' } }) },
      phase: 'Waiting',
      reason: 'Syncing',
      revision: B,
    },
    { name: 'upstream has a new target not deployed yet', in: { upstream: staging({ ...healthyAt(A), sync: { status: 'OutOfSync', revision: B } }) }, phase: 'Waiting', reason: 'NotDeployed', revision: B },
    {
      name: 'sync of the new target failed upstream: blocked with the sync message',
      in: { upstream: staging({ ...healthyAt(A), sync: { status: 'OutOfSync', revision: B }, lastSync: { id: 4, revision: B, trigger: 'auto', startedAt: at(1), finishedAt: at(2), phase: 'Failed', message: 'slipway.yaml:3:5: unknown key\nmore' } }) },
      phase: 'Blocked',
      reason: 'SyncFailed',
      revision: B,
      message: /sync #4 of bbbbbbb failed in staging \(shop-staging\): slipway\.yaml:3:5: unknown key; it is not promoted$/,
    },
    {
      name: 'canary aborted upstream: blocked even while the old revision is healthy',
      in: { upstream: staging({ ...healthyAt(A), sync: { status: 'OutOfSync', revision: B } }), rollouts: [ro({ phase: 'Degraded', abortedRevision: 'h2', abortReason: 'analysis success-rate failed: 0.5 < 0.99' })] },
      phase: 'Blocked',
      reason: 'CanaryAborted',
      revision: B,
      message: /canary of web was aborted in staging \(shop-staging\): analysis success-rate failed/,
    },
    { name: 'degraded upstream: blocked', in: { upstream: staging({ ...healthyAt(A), health: { status: 'Degraded', message: 'Deployment/web: 0/2 ready' } }) }, phase: 'Blocked', reason: 'Degraded', revision: A, message: /Degraded in staging \(shop-staging\): Deployment\/web: 0\/2 ready/ },
    { name: 'progressing upstream: waits', in: { upstream: staging({ ...healthyAt(A), health: { status: 'Progressing' } }) }, phase: 'Waiting', reason: 'NotHealthy' },
    { name: 'drifted upstream: waits', in: { upstream: staging({ ...healthyAt(A), sync: { status: 'OutOfSync', revision: A } }) }, phase: 'Waiting', reason: 'OutOfSync' },
    { name: 'canaries not listed yet: waits', in: { rollouts: undefined }, phase: 'Waiting', reason: 'CanariesUnknown' },
    { name: 'canary in progress: waits', in: { rollouts: [ro({ phase: 'Progressing', message: 'step 2/4' })] }, phase: 'Waiting', reason: 'CanaryProgressing', message: /step 2\/4/ },
    { name: 'canary paused: waits for rollout promote', in: { rollouts: [ro({ phase: 'Paused' })] }, phase: 'Waiting', reason: 'CanaryPaused', message: /slipway rollout promote web/ },
    { name: 'canary not observed by its controller: waits', in: { rollouts: [ro({ observedGeneration: 1 })] }, phase: 'Waiting', reason: 'CanaryProgressing' },
    { name: 'soaking: recheck at its end', in: { soakMs: 60_000, now: T0 + 10_000 }, phase: 'Soaking', reason: 'Soaking', revision: A, recheck: 50_000, message: /until 2026-01-01T10:01:00Z/ },
    { name: 'soak over: promoted', in: { soakMs: 60_000, now: T0 + 60_000 }, phase: 'Promoted', reason: 'GatesPassed', promote: true },
    { name: 'manual, not approved: awaits approval', in: { manual: true }, phase: 'AwaitingApproval', reason: 'AwaitingApproval', revision: A },
    { name: 'manual, approved another revision: awaits approval', in: { manual: true, approval: { id: '1', revision: B, by: 'alice', at: at(0) } }, phase: 'AwaitingApproval', reason: 'AwaitingApproval' },
    { name: 'manual, approved: promoted by the approver', in: { manual: true, approval: { id: '1', revision: A, by: 'alice', at: at(0) } }, phase: 'Promoted', reason: 'Approved', promote: true, message: /approved by alice/ },
    { name: 'manual, approved but soaking: soak first', in: { manual: true, soakMs: 60_000, approval: { id: '1', revision: A, by: 'alice', at: at(0) } }, phase: 'Soaking', reason: 'Soaking', recheck: 59_000 },
    {
      name: 'manual, approved but blocked: never promoted',
      in: { manual: true, approval: { id: '1', revision: A, by: 'alice', at: at(0) }, upstream: staging({ ...healthyAt(A), health: { status: 'Degraded' } }) },
      phase: 'Blocked',
      reason: 'Degraded',
    },
  ];
  it.each(cases)('$name', (c) => {
    const d = evaluateGates({ ...base, ...c.in });
    expect(d.phase).toBe(c.phase);
    expect(d.reason).toBe(c.reason);
    expect(d.promote).toBe(c.promote ?? false);
    if (c.revision !== undefined) expect(d.revision).toBe(c.revision);
    if (c.message) expect(d.message).toMatch(c.message);
    expect(d.recheckAfterMs).toBe(c.recheck);
  });

  it('counts the soak from the latest of Synced, Healthy and the end of the sync', () => {
    const st = healthyAt(A, 0);
    const later = { ...st, conditions: [st.conditions?.[0], { ...st.conditions?.[1], lastTransitionTime: at(30) }] } as SlipwayAppStatusT;
    const d = evaluateGates({ ...base, upstream: staging(later), soakMs: 60_000, now: T0 + 60_000 });
    expect(d).toMatchObject({ phase: 'Soaking', healthySince: at(30), soakUntil: at(90), recheckAfterMs: 30_000 });
  });
});

describe('nextPromotionStatus', () => {
  const o = { from: 'shop-staging', fromEnvironment: 'staging', now: at(5), approval: undefined };
  it('records a promotion with who and when, bounded history', () => {
    let st = nextPromotionStatus(undefined, evaluateGates(base), o);
    expect(st.revision).toBe(A);
    expect(st.current).toEqual({ revision: A, from: 'shop-staging', fromEnvironment: 'staging', at: at(5), by: 'slipway-controller (automatic)' });
    for (let i = 0; i < MAX_HISTORY + 3; i++) st = nextPromotionStatus(st, { ...evaluateGates(base), revision: String(i) }, o);
    expect(st.history).toHaveLength(MAX_HISTORY);
    expect(st.history?.at(-1)?.revision).toBe(String(MAX_HISTORY + 2));
  });
  it('records the approver', () => {
    const approval = { id: '1', revision: A, by: 'alice', at: at(1) };
    const st = nextPromotionStatus(undefined, evaluateGates({ ...base, manual: true, approval }), { ...o, approval });
    expect(st.current).toMatchObject({ by: 'alice', approvedAt: at(1) });
    expect(st.approval).toEqual(approval);
  });
  it('a gate that stops keeps the promoted revision', () => {
    const promoted = nextPromotionStatus(undefined, evaluateGates(base), o);
    const blocked = nextPromotionStatus(promoted, evaluateGates({ ...base, upstream: staging({ ...healthyAt(A), health: { status: 'Degraded' } }) }), o);
    expect(blocked.revision).toBe(A);
    expect(blocked.gate).toMatchObject({ phase: 'Blocked', reason: 'Degraded' });
  });
});

describe('parseApproval', () => {
  it.each([
    ['{"id":"x","revision":"abc","by":"alice","at":"t"}', { id: 'x', revision: 'abc', by: 'alice', at: 't' }],
    ['{"id":"x","revision":"abc"}', { id: 'x', revision: 'abc', by: 'unknown', at: '' }],
    ['{"id":"x"}', undefined],
    ['not json', undefined],
    [undefined, undefined],
  ])('%s', (v, want) => expect(parseApproval(v)).toEqual(want));
});

describe('pipelineOrder', () => {
  const env = (name: string, from?: string): SlipwayApp => ({ apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec: { source: { repoURL: 'file:///r' }, promotion: { pipeline: 'p', ...(from ? { from } : {}) } } });
  it.each([
    [[env('prod', 'staging'), env('dev'), env('staging', 'dev')], ['dev', 'staging', 'prod']],
    // A cycle has no first environment: listed as found.
    [[env('b', 'a'), env('a', 'b')], ['b', 'a']],
    [[env('prod', 'missing'), env('dev')], ['dev', 'prod']],
  ])('%#', (apps, want) => expect(pipelineOrder(apps).map((a) => a.metadata.name)).toEqual(want));
});
