/**
 * The engine against an in-memory apiserver (fake-apiserver.ts) where runs race, writes fail and
 * signals abort: two deploys at once both end up in the history; a revision that cannot be
 * recorded is a warning and the next deploy still prunes what it wrote; destroy deletes only what
 * the app owns; an aborted run ends at once with `cancelled`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { KubeClient } from '../kube/index.ts';
import { isSlipwayError } from '../errors/index.ts';
import { deploy } from './engine.ts';
import { FakeApiserver, type FakeAnswer, type FakeRequest } from './fake-apiserver.ts';
import { inventoryName } from './inventory.ts';
import { destroy, history } from './ops.ts';
import { WRITE_ATTEMPTS, readInventory } from './store.ts';
import type { DeployOptions } from './types.ts';

const cm = (name: string, value = 'v1', extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value }, ...extra });

describe('engine: races, failed records, ownership, cancellation', () => {
  const api = new FakeApiserver();
  let client: KubeClient;
  let ns = 0;
  beforeAll(async () => {
    client = await KubeClient.connect({ kubeconfig: await api.start() });
  });
  afterAll(async () => {
    client.close();
    await api.stop();
  });
  afterEach(() => {
    api.intercept = undefined;
  });

  /** Each test in its own namespace of the fake. */
  const target = (): { client: KubeClient; app: string; env: string; namespace: string } => ({ client, app: 'shop', env: 'prod', namespace: `ns${++ns}` });
  const run = (t: ReturnType<typeof target>, objects: KubeObject[], extra: Partial<DeployOptions> = {}): ReturnType<typeof deploy> =>
    deploy({ ...t, objects: objects.map((object) => ({ object })), wait: false, lint: false, ...extra });
  const names = (t: ReturnType<typeof target>): string[] =>
    [...api.objects.entries()].filter(([k]) => k.startsWith(`${t.namespace}/configmaps/`)).map(([, o]) => o.metadata.name ?? '').sort();
  const isInventoryWrite = (r: FakeRequest): boolean => r.resource === 'secrets' && !r.dry && (r.method === 'PATCH' || r.method === 'POST');

  /** Holds inventory writes until `n` are waiting, then lets them all go at once: the runs have all read the same inventory. */
  function barrier(n: number): void {
    const waiting: (() => void)[] = [];
    let open = false;
    api.intercept = async (r) => {
      if (open || !isInventoryWrite(r)) return undefined;
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length >= n) {
          open = true;
          for (const w of waiting) w();
        }
      });
      return undefined;
    };
  }

  it.each<[string, boolean]>([
    ['onto an existing inventory', true],
    ['both creating the inventory', false],
  ])('two deploys at the same moment (%s) both end up in the history, numbered one after the other', async (_n, first) => {
    const t = target();
    if (first) expect((await run(t, [cm('base')])).revision).toBe(1);
    barrier(2);
    const [a, b] = await Promise.all([run(t, [cm('base'), cm('only-a')], { message: 'A' }), run(t, [cm('base'), cm('only-b')], { message: 'B' })]);
    expect([a.ok, b.ok]).toEqual([true, true]);
    const h = await history(t);
    const offset = first ? 1 : 0;
    expect(h.map((r) => r.revision)).toEqual([...(first ? [1] : []), 1 + offset, 2 + offset]);
    expect(h.slice(offset).map((r) => r.message).sort()).toEqual(['A', 'B']);
    expect([a.revision, b.revision].sort()).toEqual([1 + offset, 2 + offset]);
    // The run that lost the race was told; both revisions' objects are stored for rollback.
    expect([...a.warnings, ...b.warnings].filter((w) => /wrote the inventory during this one/.test(w)).length).toBeGreaterThan(0);
    const inv = await readInventory(t);
    const stored = [1 + offset, 2 + offset].map((rev) => inv.manifests.get(rev)?.map((o) => o.metadata.name ?? '').sort());
    expect(stored.sort()).toEqual([['base', 'only-a'], ['base', 'only-b']]);
    // The prune set is the union: both runs' objects are tracked.
    expect(inv.objects.map((id) => id.name).sort()).toEqual(['base', 'only-a', 'only-b']);

    // A third run prunes exactly what only the older revisions deployed.
    const third = await run(t, [cm('base'), cm('only-c')]);
    expect(third.ok).toBe(true);
    expect(third.pruned.map((id) => id.name).sort()).toEqual(['only-a', 'only-b']);
    expect(names(t)).toEqual(['base', 'only-c']);
    expect((await history(t)).map((r) => r.revision)).toEqual([...(first ? [1] : []), 1 + offset, 2 + offset, 3 + offset]);
  });

  it('an inventory that cannot track new objects (a race lost every time, up to a bound) fails the deploy before anything is written', async () => {
    const t = target();
    expect((await run(t, [cm('a')])).ok).toBe(true);
    let refused = 0;
    api.intercept = (r): FakeAnswer | undefined => {
      if (!isInventoryWrite(r)) return undefined;
      refused++;
      return { status: 409, body: { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' } };
    };
    const err = await run(t, [cm('a'), cm('b')]).catch((e: unknown) => e);
    // Tracking b before writing it is the first inventory write: it cannot succeed, so nothing is applied.
    expect(isSlipwayError(err) && err.kind).toBe('conflict');
    expect(refused).toBe(WRITE_ATTEMPTS);
    expect(names(t)).toEqual(['a']);
  });

  it.each<[string, FakeAnswer]>([
    ['an apiserver error', { status: 500, body: { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd is on fire' } }],
    ['a lost race every time', { status: 409, body: { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' } }],
  ])('a revision that cannot be recorded (%s) is a warning, and the next deploy still prunes what that run created', async (_n, answer) => {
    const t = target();
    expect((await run(t, [cm('a'), cm('b')])).ok).toBe(true);
    // Fail only the record at the end (the last inventory write of the run): let the tracking write through.
    let writes = 0;
    api.intercept = (r) => (isInventoryWrite(r) && ++writes > 1 ? answer : undefined);
    const failed = await run(t, [cm('a'), cm('b'), cm('c')]);
    expect(failed.ok).toBe(true);
    expect(failed.revision).toBeUndefined();
    expect(failed.warnings.join('\n')).toMatch(/revision could not be recorded .*next deploy still prunes them/);
    expect(names(t)).toEqual(['a', 'b', 'c']);
    api.intercept = undefined;

    const next = await run(t, [cm('a')]);
    expect(next.ok).toBe(true);
    expect(next.pruned.map((id) => id.name).sort()).toEqual(['b', 'c']);
    expect(names(t)).toEqual(['a']);
  });

  it('a failed record of a failed run still rolls back, and says so', async () => {
    const t = target();
    expect((await run(t, [cm('a')])).ok).toBe(true);
    // Progressing forever (generic health: Ready=False), so the wait times out: a failed rollout.
    const stuck = cm('a', 'v2', { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Stuck' }] } });
    let writes = 0;
    api.intercept = (r) => (isInventoryWrite(r) && ++writes === 1 ? { status: 500, body: { kind: 'Status', code: 500, message: 'boom' } } : undefined);
    const r = await run(t, [stuck], { wait: true, timeoutMs: 300, pollIntervalMs: 50 });
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe('rollout-failed');
    expect(r.revision).toBeUndefined();
    expect(r.warnings.join('\n')).toMatch(/failed revision could not be recorded/);
    expect(r.rollback?.toRevision).toBe(1);
    expect(r.rollback?.revision).toBe(2);
    expect((await history(t)).at(-1)?.message).toMatch(/automatic rollback to revision 1 after a deploy whose revision was not recorded failed/);
  });

  it('destroy deletes only objects still labelled as the app\'s', async () => {
    const t = target();
    expect((await run(t, [cm('mine'), cm('taken'), cm('replaced')])).ok).toBe(true);
    // Someone took one over (label changed) and replaced another with an unrelated object of the same name.
    const taken = api.get(t.namespace, 'configmaps', 'taken');
    api.put(t.namespace, 'configmaps', { ...cm('taken'), metadata: { name: 'taken', labels: { ...taken?.metadata.labels, 'slipway.dev/app': 'billing' } } });
    api.put(t.namespace, 'configmaps', cm('replaced', 'theirs'));
    const r = await destroy(t);
    expect(r.errors).toEqual([]);
    expect(r.deleted.map((id) => id.name)).toEqual(['mine']);
    expect(r.skipped.map((id) => id.name).sort()).toEqual(['replaced', 'taken']);
    expect(names(t)).toEqual(['replaced', 'taken']);
    expect(api.get(t.namespace, 'secrets', inventoryName('shop', 'prod'))).toBeUndefined();
  });

  it('an aborted signal before the run: cancelled, nothing read or written', async () => {
    const t = target();
    api.log.length = 0;
    const err = await run(t, [cm('a')], { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isSlipwayError(err) && err.kind).toBe('cancelled');
    expect(api.log).toEqual([]);
  });

  it('aborting during the dry-run: cancelled, nothing written', async () => {
    const t = target();
    const ac = new AbortController();
    api.intercept = (r) => {
      if (r.dry) ac.abort();
      return undefined;
    };
    const err = await run(t, [cm('a'), cm('b')], { signal: ac.signal, concurrency: 1 }).catch((e: unknown) => e);
    expect(isSlipwayError(err) && err.kind).toBe('cancelled');
    expect(names(t)).toEqual([]);
  });

  it('aborting the wait ends it at once with cancelled, records what was written as failed, and does not roll back', async () => {
    const t = target();
    expect((await run(t, [cm('a')])).ok).toBe(true);
    const stuck = cm('a', 'v2', { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Stuck' }] } });
    const ac = new AbortController();
    const t0 = Date.now();
    const r = await run(t, [stuck, cm('b')], {
      wait: true,
      timeoutMs: 60_000,
      pollIntervalMs: 30_000,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'phase' && e.phase === 'wait') setTimeout(() => ac.abort(), 50);
      },
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe('cancelled');
    expect(r.rollback).toBeUndefined();
    const h = await history(t);
    expect(h.at(-1)?.status).toBe('failed');
    expect(r.revision).toBe(h.at(-1)?.revision);
    expect((await readInventory(t)).objects.map((id) => id.name).sort()).toEqual(['a', 'b']);
  });

  it('aborting destroy stops deleting and keeps the inventory', async () => {
    const t = target();
    expect((await run(t, [cm('a'), cm('b'), cm('c')])).ok).toBe(true);
    const ac = new AbortController();
    const r = await destroy({ ...t, concurrency: 1, signal: ac.signal, onDelete: () => ac.abort() });
    expect(r.deleted).toHaveLength(1);
    expect(r.errors.map((e) => e.kind)).toEqual(['cancelled']);
    expect(names(t)).toHaveLength(2);
    expect(api.get(t.namespace, 'secrets', inventoryName('shop', 'prod'))).toBeDefined();
  });

  it('beforeApply runs for each object just before its write, after every dry-run, and its result is what is written', async () => {
    const t = target();
    const log: string[] = [];
    api.intercept = (r) => {
      if (r.method === 'PATCH' && r.resource !== 'secrets') log.push(`${r.dry ? 'dry-run' : 'apply'} ${r.resource}/${r.name ?? ''}${r.dry ? '' : ` ${JSON.stringify(r.body?.['data'] ?? (r.body?.['spec'] as { selector?: unknown } | undefined)?.selector ?? null)}`}`);
      return undefined;
    };
    const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
    const r = await run(t, [cm('config', 'v1', { data: { value: 'v1', other: 'x' } }), svc], {
      beforeApply: (o) => {
        log.push(`beforeApply ${o.kind}/${o.metadata.name ?? ''}`);
        // Leaves a field out, as GitOps does with one another manager took meanwhile.
        if (o.kind === 'ConfigMap') return { ...o, data: { value: 'v1' } };
        return { ...o, spec: { ...(o['spec'] as object), selector: { app: 'web', by: 'hook' } } };
      },
    });
    expect(r.ok).toBe(true);
    // Every dry-run first (planned with the objects as given); then each write right after its beforeApply, with its result.
    expect(log.slice(0, 2).sort()).toEqual(['dry-run configmaps/config', 'dry-run services/web']);
    expect(log.slice(2).sort()).toEqual(['apply configmaps/config {"value":"v1"}', 'apply services/web {"app":"web","by":"hook"}', 'beforeApply ConfigMap/config', 'beforeApply Service/web']);
    expect(log.indexOf('beforeApply ConfigMap/config')).toBeLessThan(log.indexOf('apply configmaps/config {"value":"v1"}'));
    expect(log.indexOf('beforeApply Service/web')).toBeLessThan(log.indexOf('apply services/web {"app":"web","by":"hook"}'));
    expect(api.get(t.namespace, 'configmaps', 'config')?.['data']).toEqual({ value: 'v1' });
  });
});
