import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { randomBytes } from 'node:crypto';
import { addRevision, DATA_BUDGET, decodeInventory, digestOf, emptyInventory, encodeInventory, inventoryName, lastGood, MAX_REVISIONS, unionIds, type Inventory, type RevisionStatus } from './inventory.ts';

const cm = (name: string, data: Record<string, string> = { k: name }): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data });
const ids = (objs: KubeObject[]): { apiVersion: string; kind: string; namespace: string | undefined; name: string }[] =>
  objs.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name ?? '' }));

function withRevisions(statuses: RevisionStatus[]): Inventory {
  let inv = emptyInventory('shop', 'prod', 'ns');
  statuses.forEach((status, i) => {
    const objs = [cm(`c${i}`)];
    inv = addRevision(inv, { time: `t${i}`, status, message: `m${i}`, digest: digestOf(objs), objects: 1, manifests: objs }, ids(objs)).inventory;
  });
  return inv;
}

describe('inventory encoding', () => {
  it.each<[string, RevisionStatus[]]>([
    ['one revision', ['succeeded']],
    ['failed and rolled back', ['succeeded', 'failed', 'succeeded']],
    ['more than kept', Array.from({ length: 13 }, () => 'succeeded' as const)],
  ])('round-trips %s through the Secret', (_n, statuses) => {
    const inv = withRevisions(statuses);
    const secret = encodeInventory(inv);
    expect(secret.kind).toBe('Secret');
    expect(secret.metadata.name).toBe('slipway-inventory-shop-prod');
    const back = decodeInventory(JSON.parse(JSON.stringify(secret)) as KubeObject);
    expect(back.history).toEqual(inv.history);
    expect(back.objects).toEqual(inv.objects);
    expect([...back.manifests.entries()]).toEqual([...inv.manifests.entries()]);
    expect(back.history.length).toBe(Math.min(statuses.length, MAX_REVISIONS));
    expect(Object.keys(secret['data'] as object).filter((k) => k.startsWith('rev-')).length).toBe(back.history.length);
  });

  it('numbers revisions after the newest and keeps the newest ten', () => {
    const inv = withRevisions(Array.from({ length: 12 }, () => 'succeeded' as const));
    expect(inv.history.map((r) => r.revision)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect([...inv.manifests.keys()]).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('stores revisions compressed', () => {
    const many = Array.from({ length: 200 }, (_, i) => cm(`config-${i}`, { value: 'x'.repeat(50) }));
    const inv = addRevision(emptyInventory('a', 'e', 'ns'), { time: 't', status: 'succeeded', message: '', digest: digestOf(many), objects: many.length, manifests: many }, ids(many)).inventory;
    const data = encodeInventory(inv)['data'] as Record<string, string>;
    expect((data['rev-1.json.gz'] ?? '').length).toBeLessThan(JSON.stringify(many).length / 5);
  });

  it('reports a corrupt Secret as such', () => {
    const bad: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'ns' }, data: { 'history.json': Buffer.from('[{"revision":1}]').toString('base64'), 'rev-1.json.gz': 'bm90IGd6aXA=' } };
    expect(() => decodeInventory(bad)).toThrow(/corrupt/);
  });
});

describe('inventory size and lazy reading', () => {
  /** One revision per entry, each about `kib` KiB once compressed (random bytes, base64: 6 bits of entropy per character). */
  function sized(kibs: number[]): Inventory {
    let inv = emptyInventory('big', 'prod', 'ns');
    kibs.forEach((kib, i) => {
      const objs = [cm(`c${i}`, { blob: randomBytes(kib * 1024).toString('base64') })];
      inv = addRevision(inv, { time: `t${i}`, status: 'succeeded', message: '', digest: digestOf(objs), objects: 1, manifests: objs }, ids(objs)).inventory;
    });
    return inv;
  }
  const bytes = (secret: KubeObject): number => Object.values(secret['data'] as Record<string, string>).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0);
  const stored = (secret: KubeObject): number[] => Object.keys(secret['data'] as object).filter((k) => k.startsWith('rev-')).map((k) => Number(/\d+/.exec(k)?.[0]));

  it.each<[string, number[], number[]]>([
    ['small revisions: all kept', [10, 10, 10], [1, 2, 3]],
    ['large revisions: the newest that fit', [300, 300, 300, 300], [2, 3, 4]],
    ['one revision over the budget alone: history only', [1200], []],
  ])('%s', (_n, kibs, want) => {
    const inv = sized(kibs);
    const secret = encodeInventory(inv);
    expect(bytes(secret)).toBeLessThanOrEqual(DATA_BUDGET);
    expect(stored(secret).sort((a, b) => a - b)).toEqual(want);
    const back = decodeInventory(JSON.parse(JSON.stringify(secret)) as KubeObject);
    expect(back.history.length).toBe(kibs.length);
    expect([...back.manifests.keys()]).toEqual(want);
  });

  it('decodes only the latest revision up front, and writes untouched revisions back as read', () => {
    const inv = withRevisions(['succeeded', 'succeeded', 'succeeded']);
    const secret = encodeInventory(inv);
    const data = { ...(secret['data'] as Record<string, string>) };
    // An older revision that does not decompress: harmless until someone reads it.
    data['rev-1.json.gz'] = Buffer.from('not gzip').toString('base64');
    const back = decodeInventory({ ...secret, data });
    expect(back.manifests.get(3)).toEqual(inv.manifests.get(3));
    const next = addRevision(back, { time: 't', status: 'succeeded', message: '', digest: 'd', objects: 0, manifests: [] }, []).inventory;
    expect((encodeInventory(next)['data'] as Record<string, string>)['rev-1.json.gz']).toBe(data['rev-1.json.gz']);
    expect(() => back.manifests.get(1)).toThrow(/corrupt/);
  });
});

describe('lastGood', () => {
  it.each<[RevisionStatus[], number | undefined]>([
    [[], undefined],
    [['failed'], undefined],
    [['succeeded', 'failed'], 1],
    [['succeeded', 'succeeded', 'failed', 'failed'], 2],
  ])('%j → %s', (statuses, want) => {
    expect(lastGood(withRevisions(statuses))?.revision).toBe(want);
  });
});

describe('names, digests, unions', () => {
  it.each<[string, string, string]>([
    ['shop', 'prod', 'slipway-inventory-shop-prod'],
    ['My_App', 'Dev', 'slipway-inventory-my-app-dev'],
  ])('inventoryName(%s, %s)', (app, env, want) => {
    expect(inventoryName(app, env)).toBe(want);
  });

  it.each<[string, KubeObject[], KubeObject[], boolean]>([
    ['key order does not matter', [cm('a', { x: '1', y: '2' })], [{ apiVersion: 'v1', metadata: { namespace: 'ns', name: 'a' }, kind: 'ConfigMap', data: { y: '2', x: '1' } }], true],
    ['object order does not matter', [cm('a'), cm('b')], [cm('b'), cm('a')], true],
    ['a value change does', [cm('a', { x: '1' })], [cm('a', { x: '2' })], false],
  ])('digest: %s', (_n, a, b, same) => {
    expect(digestOf(a) === digestOf(b)).toBe(same);
  });

  it('unionIds dedups by group/kind/ns/name across versions', () => {
    const a = [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'n', name: 'x' }];
    const b = [{ apiVersion: 'apps/v1beta1', kind: 'Deployment', namespace: 'n', name: 'x' }, { apiVersion: 'v1', kind: 'Service', namespace: 'n', name: 'x' }];
    expect(unionIds(a, b).length).toBe(2);
  });
});
