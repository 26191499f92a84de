import { describe, expect, it } from 'vitest';
import { appliedFieldsOf, isSubset, ownedPair, project, type FieldSet } from './fields.ts';

const managed = (fieldsV1: FieldSet, manager = 'slipway', operation = 'Apply'): Record<string, unknown> => ({ manager, operation, fieldsV1, time: '2024-01-01T00:00:00Z' });

const deployment = (image: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'ns',
    uid: 'u-1',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2024-01-01T00:00:00Z',
    managedFields: [
      managed({ 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {} } } } } } }),
      managed({ 'f:spec': { 'f:replicas': {} } }, 'kube-controller-manager', 'Update'),
    ],
  },
  spec: {
    replicas: 2,
    revisionHistoryLimit: 10, // server default
    template: { spec: { containers: [{ name: 'web', image, imagePullPolicy: 'IfNotPresent' }, { name: 'sidecar', image: 'mesh' }] } },
  },
  status: { replicas: 2, observedGeneration: 3 },
  ...extra,
});

describe('project onto a field set', () => {
  it.each<[string, unknown, FieldSet, unknown]>([
    ['scalar leaf', { a: 1, b: 2 }, { 'f:a': {} }, { a: 1 }],
    ['atomic map leaf keeps all of it', { m: { x: 1, y: 2 } }, { 'f:m': {} }, { m: { x: 1, y: 2 } }],
    ['keyed list element', { l: [{ name: 'a', v: 1, d: 0 }, { name: 'b', v: 2 }] }, { 'f:l': { 'k:{"name":"a"}': { 'f:v': {} } } }, { l: [{ v: 1 }] }],
    ['set element', { s: ['x', 'y', 'z'] }, { 'f:s': { 'v:"y"': {} } }, { s: ['y'] }],
    ['index element', { s: ['x', 'y'] }, { 'f:s': { 'i:1': {} } }, { s: ['y'] }],
    ['numeric key', { ports: [{ port: 80, protocol: 'TCP', x: 1 }, { port: 81, protocol: 'TCP' }] }, { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { 'f:x': {} } } }, { ports: [{ x: 1 }] }],
    ['missing field omitted', { a: 1 }, { 'f:b': {} }, {}],
  ])('%s', (_n, value, fields, want) => {
    expect(project(value, fields)).toEqual(want);
  });
});

describe('appliedFieldsOf', () => {
  it('merges only the manager Apply entries on the main resource', () => {
    const d = deployment('a');
    const mf = (d['metadata'] as { managedFields: unknown[] }).managedFields;
    mf.push({ ...managed({ 'f:status': {} }), subresource: 'status' });
    expect(Object.keys(appliedFieldsOf(d, 'slipway') ?? {})).toEqual(['f:spec']);
    mf.push(managed({ 'f:metadata': { 'f:labels': {} } }));
    expect(Object.keys(appliedFieldsOf(d, 'slipway') ?? {}).sort()).toEqual(['f:metadata', 'f:spec']);
    expect(appliedFieldsOf(d, 'nobody')).toBeUndefined();
  });
});

describe('ownedPair (diff normalization)', () => {
  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown>, boolean]>([
    ['identical live and dry-run: no change despite defaults, status, uid, timestamps', deployment('web:1'), deployment('web:1'), true],
    ['image change shows', deployment('web:1'), deployment('web:2'), false],
    ['bookkeeping-only differences are ignored', deployment('web:1'), deployment('web:1', { status: { replicas: 9 } }), true],
    ['a field another manager owns does not show', deployment('web:1'), { ...deployment('web:1'), spec: { ...(deployment('web:1')['spec'] as object), revisionHistoryLimit: 3 } }, true],
  ])('%s', (_n, live, after, same) => {
    const p = ownedPair(live, after, 'slipway');
    expect(JSON.stringify(p.before) === JSON.stringify(p.after)).toBe(same);
  });

  it('reduces to identity + owned fields', () => {
    const p = ownedPair(undefined, deployment('web:1'), 'slipway');
    expect(p.before).toBeUndefined();
    expect(p.after).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'ns' },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'web:1' }] } } },
    });
  });

  it('shows a field slipway owned live and no longer sets as removed', () => {
    const live = deployment('web:1');
    const after = deployment('web:1');
    const meta = after['metadata'] as { managedFields: Record<string, unknown>[] };
    meta.managedFields = [managed({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:name': {}, 'f:image': {} } } } } } })];
    after['spec'] = { ...(after['spec'] as object), replicas: 1 };
    const p = ownedPair(live, after, 'slipway');
    expect((p.before?.['spec'] as { replicas?: number }).replicas).toBe(2);
  });
});

describe('isSubset (fast drift check)', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['equal', { a: 1 }, { a: 1 }, true],
    ['live has extra defaults', { a: 1 }, { a: 1, b: 2 }, true],
    ['value differs', { a: 1 }, { a: 2 }, false],
    ['missing in live', { a: 1 }, {}, false],
    ['list element subset', { l: [{ n: 'x' }] }, { l: [{ n: 'x', d: 1 }] }, true],
    ['list length differs', { l: [{ n: 'x' }] }, { l: [{ n: 'x' }, { n: 'y' }] }, false],
    ['normalised quantity is a (safe) mismatch', { cpu: 0.5 }, { cpu: '500m' }, false],
    ['null means absent', { a: null }, {}, true],
  ])('%s', (_n, desired, live, want) => {
    expect(isSubset(desired, live)).toBe(want);
  });
});
