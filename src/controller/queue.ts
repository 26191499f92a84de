/**
 * The work queue between informers and reconcilers, with client-go's guarantees:
 *  - a key queued many times before a worker takes it is reconciled once (deduplication);
 *  - one key is never reconciled by two workers at once; a key added while it is being
 *    reconciled is queued again when that reconcile ends;
 *  - a failed reconcile is retried after a per-key exponential backoff (with jitter), reset
 *    when the key succeeds;
 *  - `addAfter` schedules a key (a pause that expires, a requeue a reconcile asked for).
 * Reconcile state lives in the cluster; the queue only says which key to look at next, so losing
 * it (a crash) loses nothing: the informers' initial list queues every key again.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface QueueOptions {
  /**
   * First retry delay of a failing key, in ms; doubles per consecutive failure.
   * @default 500
   */
  readonly baseDelayMs?: number;
  /**
   * Upper bound of a failing key's retry delay, in ms.
   * @default 300000
   */
  readonly maxDelayMs?: number;
}

/** What a reconcile asks for: nothing (done until something changes), or another look later. */
export interface ReconcileResult {
  readonly requeueAfterMs?: number | undefined;
}

export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult | undefined>;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while being processed: queued again when their reconcile ends. */
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: (() => void)[] = [];
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(o: QueueOptions = {}) {
    this.baseDelayMs = o.baseDelayMs ?? 500;
    this.maxDelayMs = o.maxDelayMs ?? 300_000;
  }

  /** Keys waiting (not counting those being reconciled or scheduled for later). */
  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Adds `key` after `ms`; an earlier schedule of the same key wins (the sooner look covers the later one). */
  addAfter(key: string, ms: number): void {
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const prev = this.timers.get(key);
    if (prev && prev.at <= at) return;
    if (prev) clearTimeout(prev.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** The delay a key's next failure retry waits: base·2^(failures-1), bounded, with equal jitter. */
  backoffFor(key: string): number {
    const n = this.failures.get(key) ?? 0;
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(Math.max(n - 1, 0), 30));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** Consecutive failures of `key`. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * Runs `workers` concurrent reconcilers until `signal` aborts; resolves when they all stopped.
   * Runs may follow each other (leadership lost, then won again): each run's workers stop with
   * their own signal, so a late-finishing old worker never keeps working for the new run, and
   * keys and schedules added in between are kept for the next run (a pause that expires while
   * this replica does not lead is looked at when it leads again).
   */
  async run(workers: number, reconcile: Reconcile, signal: AbortSignal, onError?: (key: string, e: unknown) => void): Promise<void> {
    const wake = (): void => {
      for (const w of this.waiters.splice(0)) w();
    };
    signal.addEventListener('abort', wake, { once: true });
    await Promise.all(Array.from({ length: workers }, () => this.worker(reconcile, signal, onError)));
    signal.removeEventListener('abort', wake);
  }

  private async next(signal: AbortSignal): Promise<string | undefined> {
    while (!signal.aborted) {
      const key = this.queue.shift();
      if (key !== undefined) {
        this.queued.delete(key);
        return key;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return undefined;
  }

  private async worker(reconcile: Reconcile, signal: AbortSignal, onError?: (key: string, e: unknown) => void): Promise<void> {
    for (;;) {
      const key = await this.next(signal);
      if (key === undefined) return;
      this.processing.add(key);
      try {
        const r = await reconcile(key, signal);
        this.failures.delete(key);
        if (r?.requeueAfterMs !== undefined) this.addAfter(key, r.requeueAfterMs);
      } catch (e) {
        if (!signal.aborted) {
          onError?.(key, e);
          this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
          this.addAfter(key, this.backoffFor(key));
        }
      } finally {
        this.processing.delete(key);
        if (this.dirtyWhileProcessing.delete(key)) this.add(key);
      }
      // Let other tasks (informer events) run between reconciles under load.
      if (this.queue.length > 0) await sleep(0);
    }
  }
}
