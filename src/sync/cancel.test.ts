import { describe, expect, it } from 'vitest';
import { exitCodeFor, isSlipwayError } from '../errors/index.ts';
import { cancelledError, checkAborted, isAbort, pause } from './cancel.ts';

describe('cancellation helpers', () => {
  it('pause ends at once with a cancelled error when the signal aborts', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 20);
    const err = await pause(60_000, ac.signal, 'waiting').catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(isSlipwayError(err) && err.kind).toBe('cancelled');
    expect((err as Error).message).toBe('waiting: cancelled');
  });

  it.each<[string, AbortSignal | undefined, boolean]>([
    ['no signal', undefined, false],
    ['a live signal', new AbortController().signal, false],
    ['an aborted signal', AbortSignal.abort(), true],
  ])('checkAborted with %s → throws %s', (_n, signal, throws) => {
    if (throws) expect(() => checkAborted(signal, 'deploy')).toThrow(/deploy: cancelled/);
    else expect(() => checkAborted(signal, 'deploy')).not.toThrow();
  });

  it('pause without a signal just sleeps', async () => {
    await expect(pause(1, undefined, 'x')).resolves.toBeUndefined();
  });

  it.each<[string, unknown, boolean]>([
    ['our cancelled error', cancelledError(undefined, 'x'), true],
    ['a DOM AbortError', new DOMException('aborted', 'AbortError'), true],
    ['any other error', new Error('boom'), false],
    ['not an error', 'AbortError', false],
  ])('isAbort: %s → %s', (_n, e, want) => {
    expect(isAbort(e)).toBe(want);
  });

  it('a cancelled run exits 130 (128 + SIGINT)', () => {
    expect(exitCodeFor(cancelledError(undefined, 'deploy'))).toBe(130);
  });
});
