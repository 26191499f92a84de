import { describe, expect, it } from 'vitest';
import { heldByOther, microTime } from './leader.ts';

describe('lease arithmetic', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  it.each<[string, { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number }, number, boolean]>([
    ['free (no holder)', {}, t0, false],
    ['released (empty holder)', { holderIdentity: '', renewTime: microTime(new Date(t0)), leaseDurationSeconds: 15 }, t0, false],
    ['mine', { holderIdentity: 'me', renewTime: microTime(new Date(t0)), leaseDurationSeconds: 15 }, t0, false],
    ['another, renewed 5 s ago, 15 s lease', { holderIdentity: 'other', renewTime: microTime(new Date(t0 - 5000)), leaseDurationSeconds: 15 }, t0, true],
    ['another, expired', { holderIdentity: 'other', renewTime: microTime(new Date(t0 - 16_000)), leaseDurationSeconds: 15 }, t0, false],
  ])('%s → held by another: %s', (_n, spec, now, want) => {
    expect(heldByOther(spec, 'me', now)).toBe(want);
  });

  it('writes MicroTime with microseconds', () => {
    expect(microTime(new Date('2026-01-01T00:00:00.123Z'))).toBe('2026-01-01T00:00:00.123000Z');
  });
});
