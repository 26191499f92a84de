/**
 * Cancellation: every engine operation takes an optional AbortSignal (Ctrl-C in the CLI, a
 * controller shutting down). Waits, polls and sleeps end at once when it aborts, and the
 * operation ends with an error of kind `cancelled`, never a hang.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cancelled, isSlipwayError, type SlipwayError } from '../errors/index.ts';

/** The error an aborted operation ends with; `what` says what was interrupted. */
export function cancelledError(signal: AbortSignal | undefined, what: string): SlipwayError {
  return cancelled(`${what}: cancelled`, { cause: signal?.reason, hint: 'run it again to finish; `slipway status` shows where it stopped' });
}

/** Throws {@link cancelledError} when `signal` has aborted. */
export function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelledError(signal, what);
}

/** An abort, as any layer reports it: our kind, or the DOM `AbortError` of timers and fetch-like APIs. */
export function isAbort(e: unknown): boolean {
  if (isSlipwayError(e)) return e.kind === 'cancelled';
  return e instanceof Error && e.name === 'AbortError';
}

/** Sleeps `ms`, ending early with {@link cancelledError} when `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  checkAborted(signal, what);
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch (e) {
    if (isAbort(e)) throw cancelledError(signal, what);
    throw e;
  }
}
