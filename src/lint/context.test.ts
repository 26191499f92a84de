import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { LintContext, toLintObject, type LintObject } from './context.ts';
import { get, mapSelectorMatches, selectorMatches } from './util.ts';

// The indexed lookups must answer exactly what a scan over the objects in input order answers:
// every case is checked against that scan as well as against the expected names.

function workload(name: string, namespace: string, labels: Record<string, unknown>, kind = 'Deployment'): KubeObject {
  return { apiVersion: 'apps/v1', kind, metadata: { name, namespace }, spec: { template: { metadata: { labels }, spec: { containers: [] } } } };
}

function withSelector(kind: string, name: string, namespace: string, field: 'podSelector' | 'selector', selector: unknown): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, namespace }, spec: { [field]: selector } };
}

const objects: KubeObject[] = [
  workload('a1', 'shop', { app: 'a', tier: 'fe' }),
  workload('b1', 'shop', { app: 'b', tier: 'be' }),
  workload('a2', 'shop', { app: 'a', tier: 'be' }, 'StatefulSet'),
  workload('x1', 'shop', { app: 1, tier: 'fe' }),
  workload('none', 'shop', {}),
  workload('a3', 'other', { app: 'a' }),
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a1', namespace: 'shop', labels: { app: 'a' } }, spec: {} },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a1', namespace: 'shop', labels: { app: 'dup' } }, spec: {} },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b', namespace: 'other', labels: { app: 'a', tier: 'fe' } }, spec: {} },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h1', namespace: 'shop' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'a1' } } },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h2', namespace: 'shop' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'a1' } } },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h3', namespace: 'other' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'a1' } } },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h4', namespace: 'shop' }, spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'a1' } } },
];
const lintObjects = objects.map((o) => toLintObject(o));
const ctx = new LintContext(lintObjects);
const names = (list: readonly LintObject[]): string[] => list.map((o) => o.name);
const byName = (name: string, namespace = 'shop'): LintObject => {
  const o = lintObjects.find((x) => x.name === name && x.namespace === namespace && x.pod !== undefined);
  if (!o) throw new Error(`no workload ${namespace}/${name}`);
  return o;
};

describe('LintContext.workloadsMatching (LabelSelector)', () => {
  it.each([
    { what: 'one label', selector: { matchLabels: { app: 'a' } }, expected: ['a1', 'a2'] },
    { what: 'two labels', selector: { matchLabels: { app: 'a', tier: 'be' } }, expected: ['a2'] },
    { what: 'label nobody has', selector: { matchLabels: { app: 'zz' } }, expected: [] },
    { what: 'known key, unknown value', selector: { matchLabels: { tier: 'zz', app: 'a' } }, expected: [] },
    { what: 'empty selector selects all', selector: {}, expected: ['a1', 'b1', 'a2', 'x1', 'none'] },
    { what: 'missing selector selects all', selector: undefined, expected: ['a1', 'b1', 'a2', 'x1', 'none'] },
    { what: 'non-object selector selects all', selector: 'junk', expected: ['a1', 'b1', 'a2', 'x1', 'none'] },
    { what: 'non-string label values are ignored', selector: { matchLabels: { app: 1 } }, expected: ['a1', 'b1', 'a2', 'x1', 'none'] },
    { what: 'expressions only', selector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, expected: ['a1', 'b1', 'a2', 'x1'] },
    { what: 'labels and expressions', selector: { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['fe'] }] }, expected: ['a2'] },
  ])('$what', ({ selector, expected }) => {
    const scan = ctx.workloadsIn('shop').filter((w) => w.pod !== undefined && selectorMatches(selector, w.pod.labels));
    expect(names(ctx.workloadsMatching('shop', selector))).toEqual(expected);
    expect(names(ctx.workloadsMatching('shop', selector))).toEqual(names(scan));
  });

  it('stays inside the namespace', () => {
    expect(names(ctx.workloadsMatching('other', { matchLabels: { app: 'a' } }))).toEqual(['a3']);
    expect(names(ctx.workloadsMatching('nowhere', {}))).toEqual([]);
  });
});

describe('LintContext.workloadsMatchingMap (Service selector)', () => {
  it.each([
    { selector: { app: 'a' }, expected: ['a1', 'a2'] },
    { selector: { app: 'a', tier: 'fe' }, expected: ['a1'] },
    { selector: { tier: 'fe' }, expected: ['a1', 'x1'] },
    { selector: {}, expected: ['a1', 'b1', 'a2', 'x1', 'none'] },
  ])('$selector', ({ selector, expected }) => {
    const scan = ctx.workloadsIn('shop').filter((w) => w.pod !== undefined && mapSelectorMatches(selector, w.pod.labels));
    expect(names(ctx.workloadsMatchingMap('shop', selector))).toEqual(expected);
    expect(names(ctx.workloadsMatchingMap('shop', selector))).toEqual(names(scan));
  });
});

describe('LintContext.anySelects (is a workload covered by some policy?)', () => {
  it.each([
    { what: 'matching policy', selectors: [{ matchLabels: { app: 'a' } }], workload: 'a1', expected: true },
    { what: 'policy for other labels', selectors: [{ matchLabels: { app: 'b' } }], workload: 'a1', expected: false },
    { what: 'second matchLabels entry decides', selectors: [{ matchLabels: { app: 'a', tier: 'be' } }], workload: 'a1', expected: false },
    { what: 'empty podSelector covers all', selectors: [{}], workload: 'none', expected: true },
    { what: 'expressions only', selectors: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['be'] }] }], workload: 'b1', expected: true },
    { what: 'expressions exclude', selectors: [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }], workload: 'b1', expected: false },
    { what: 'any of several', selectors: [{ matchLabels: { app: 'zz' } }, { matchLabels: { tier: 'fe' } }], workload: 'x1', expected: true },
    { what: 'no policies', selectors: [], workload: 'a1', expected: false },
  ])('$what', ({ selectors, workload: name, expected }) => {
    const policies = selectors.map((s, i) => toLintObject(withSelector('NetworkPolicy', `np${i}`, 'shop', 'podSelector', s)));
    const c = new LintContext([...lintObjects, ...policies]);
    const labels = byName(name).pod?.labels ?? {};
    expect(c.anySelects('NetworkPolicy', 'shop', ['spec', 'podSelector'], labels)).toBe(expected);
    expect(policies.some((p) => selectorMatches(get(p.object, ['spec', 'podSelector']), labels))).toBe(expected);
    expect(c.anySelects('NetworkPolicy', 'other', ['spec', 'podSelector'], labels)).toBe(false);
  });
});

describe('LintContext lookups by name', () => {
  it.each([
    { what: 'HPAs targeting a Deployment, in order', kind: 'Deployment', name: 'a1', namespace: 'shop', expected: ['h1', 'h2'] },
    { what: 'kind must match', kind: 'StatefulSet', name: 'a2', namespace: 'shop', expected: [] },
    { what: 'namespace must match', kind: 'Deployment', name: 'a3', namespace: 'other', expected: [] },
  ])('$what', ({ kind, name, namespace, expected }) => {
    const o = lintObjects.find((x) => x.kind === kind && x.name === name && x.namespace === namespace);
    if (!o) throw new Error('fixture');
    expect(names(ctx.hpasFor(o))).toEqual(expected);
  });

  it('find returns the first object of that kind, namespace and name', () => {
    expect(ctx.find('Service', 'shop', 'a1')?.object.metadata.labels).toEqual({ app: 'a' });
    expect(ctx.find('Service', 'other', 'a1')).toBeUndefined();
    expect(ctx.find('Deployment', 'shop', 'zz')).toBeUndefined();
  });

  it('servicesMatching looks in every namespace, in input order', () => {
    expect(ctx.servicesMatching({ matchLabels: { app: 'a' } }).map((s) => `${s.namespace}/${s.name}`)).toEqual(['shop/a1', 'other/b']);
    expect(ctx.servicesMatching({ matchLabels: { app: 'a', tier: 'fe' } }).map((s) => `${s.namespace}/${s.name}`)).toEqual(['other/b']);
  });
});
