import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.ts';

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await sleep(5);
  if (!cond()) throw new Error('timed out');
}

describe('WorkQueue', () => {
  it('reconciles a key added many times before a worker takes it once', async () => {
    const q = new WorkQueue();
    for (let i = 0; i < 5; i++) q.add('a');
    q.add('b');
    const seen: string[] = [];
    const ac = new AbortController();
    const run = q.run(1, (k) => {
      seen.push(k);
      return Promise.resolve(undefined);
    }, ac.signal);
    await until(() => seen.length === 2);
    await sleep(20);
    ac.abort();
    await run;
    expect(seen).toEqual(['a', 'b']);
  });

  it('never reconciles one key on two workers at once, and re-queues a key added while it ran', async () => {
    const q = new WorkQueue();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const ac = new AbortController();
    const run = q.run(4, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      if (runs === 1) q.add('a'); // a change arrives while reconciling
      await sleep(20);
      active--;
      return undefined;
    }, ac.signal);
    q.add('a');
    q.add('a');
    await until(() => runs === 2);
    await sleep(50);
    ac.abort();
    await run;
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it.each<[string, number, number, number]>([
    ['first failure waits about the base delay', 1, 50, 100],
    ['third failure waits about 4× base', 3, 200, 400],
    ['bounded by the maximum', 30, 500, 1000],
  ])('%s', (_n, failures, lo, hi) => {
    const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000 });
    (q as unknown as { failures: Map<string, number> }).failures.set('k', failures);
    for (let i = 0; i < 20; i++) {
      const d = q.backoffFor('k');
      expect(d).toBeGreaterThanOrEqual(lo);
      expect(d).toBeLessThanOrEqual(hi);
    }
  });

  it('retries a failing key with backoff, reports each failure, and forgets failures after a success', async () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 40 });
    let calls = 0;
    const errors: string[] = [];
    const ac = new AbortController();
    const run = q.run(1, () => {
      calls++;
      if (calls <= 3) return Promise.reject(new Error(`boom ${calls}`));
      return Promise.resolve(undefined);
    }, ac.signal, (k, e) => errors.push(`${k}: ${(e as Error).message}`));
    q.add('k');
    await until(() => calls === 4);
    expect(q.failuresOf('k')).toBe(0);
    ac.abort();
    await run;
    expect(errors).toEqual(['k: boom 1', 'k: boom 2', 'k: boom 3']);
  });

  it('requeues after the delay a reconcile asks for; the sooner of two schedules wins', async () => {
    const q = new WorkQueue();
    const at: number[] = [];
    const ac = new AbortController();
    const t0 = Date.now();
    const run = q.run(1, () => {
      at.push(Date.now() - t0);
      return Promise.resolve(at.length === 1 ? { requeueAfterMs: 60 } : undefined);
    }, ac.signal);
    q.add('k');
    await until(() => at.length === 2);
    q.addAfter('x', 10_000);
    q.addAfter('x', 30);
    await until(() => at.length === 3);
    ac.abort();
    await run;
    expect(at[1]).toBeGreaterThanOrEqual(55);
    expect((at[2] ?? 0) - (at[1] ?? 0)).toBeLessThan(5000);
  });

  it('stops its workers when the signal aborts; keys added while it does not run wait for the next run', async () => {
    const q = new WorkQueue();
    const ac = new AbortController();
    const run = q.run(3, () => Promise.resolve(undefined), ac.signal);
    ac.abort();
    await expect(run).resolves.toBeUndefined();
    q.add('late');
    expect(q.length).toBe(1);
    const seen: string[] = [];
    const again = new AbortController();
    const next = q.run(1, (key) => {
      seen.push(key);
      again.abort();
      return Promise.resolve(undefined);
    }, again.signal);
    await next;
    expect(seen).toEqual(['late']);
  });

  it('leadership lost and won again: an old worker still in its reconcile never works for the new run, and a schedule made in the new run survives the old run ending', async () => {
    const q = new WorkQueue();
    const first = new AbortController();
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    q.add('a');
    const run1 = q.run(1, async (key) => {
      calls.push(`run1:${key}`);
      await slow; // still reconciling when leadership is lost
      return undefined;
    }, first.signal);
    await new Promise((r) => setTimeout(r, 5));
    first.abort();
    const second = new AbortController();
    const run2 = q.run(1, (key) => {
      calls.push(`run2:${key}`);
      // A pause: look again in 30 ms.
      return Promise.resolve(key === 'b' && !calls.includes('run2:b:again') ? (calls.push('run2:b:again'), { requeueAfterMs: 30 }) : undefined);
    }, second.signal);
    q.add('b');
    await new Promise((r) => setTimeout(r, 5));
    release(); // the old worker finishes after the new run scheduled b again
    await run1;
    q.add('c');
    await new Promise((r) => setTimeout(r, 80));
    second.abort();
    await run2;
    expect(calls.filter((c) => c.startsWith('run1:'))).toEqual(['run1:a']);
    expect(calls.filter((c) => c === 'run2:b')).toHaveLength(2);
    expect(calls).toContain('run2:c');
  });
});
