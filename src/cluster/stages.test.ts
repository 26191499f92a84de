import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { nodeObjects, nodeStages, podStages, stageCrd, SIMULATE_LABEL, ZONES } from './stages.ts';

type Expr = { key: string; operator: string; values?: string[] };
const exprs = (s: KubeObject): Expr[] => (s.spec as { selector: { matchExpressions: Expr[] } }).selector.matchExpressions;
const byName: Record<string, KubeObject> = Object.fromEntries([...podStages(), ...nodeStages()].map((s) => [s.metadata.name ?? '', s]));
const simKey = `.metadata.labels["${SIMULATE_LABEL}"]`;

describe('pod stages', () => {
  it.each([
    ['slipway-pod-ready', 'NotIn', ['never-ready', 'crash-loop', 'slow-ready']],
    ['slipway-pod-slow-ready', 'In', ['slow-ready']],
    ['slipway-pod-never-ready', 'In', ['never-ready']],
    ['slipway-pod-crash-loop-start', 'In', ['crash-loop']],
    ['slipway-pod-crash-loop-restart', 'In', ['crash-loop']],
  ])('%s selects by %s %j on the simulate label', (name, op, values) => {
    const s = byName[name];
    expect(s).toBeDefined();
    expect(exprs(s!).find((e) => e.key === simKey)).toEqual({ key: simKey, operator: op, values });
  });

  it.each([
    ['slipway-pod-ready', 1000],
    ['slipway-pod-slow-ready', 20000],
    ['slipway-pod-crash-loop-restart', 5000],
  ])('%s waits %i ms', (name, ms) => {
    expect((byName[name]!['spec'] as { delay: { durationMilliseconds: number } }).delay.durationMilliseconds).toBe(ms);
  });

  it.each([
    ['slipway-pod-ready', /ready: true/, /type: Ready\n {2}status: "True"/],
    ['slipway-pod-never-ready', /ready: false/, /type: Ready\n {2}status: "False"/],
    ['slipway-pod-crash-loop-start', /CrashLoopBackOff/, /restartCount: 1/],
    ['slipway-pod-crash-loop-restart', /CrashLoopBackOff/, /add1/],
  ])('%s status template', (name, a, b) => {
    const t = (byName[name]!['spec'] as { next: { statusTemplate: string } }).next.statusTemplate;
    expect(t).toMatch(a);
    expect(t).toMatch(b);
  });

  it('every pod stage except delete skips pods being deleted', () => {
    for (const s of podStages().filter((x) => x.metadata.name !== 'slipway-pod-delete')) {
      expect(exprs(s)).toContainEqual({ key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' });
    }
  });
});

describe('stage CRD', () => {
  it('keeps unknown fields in spec (kwok validates stages itself)', () => {
    const v = (stageCrd()['spec'] as { versions: { schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }[] }).versions[0]!;
    expect(v.schema.openAPIV3Schema.properties['spec']).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });
});

describe('nodeObjects', () => {
  it.each([1, 3, 7])('%i nodes, round-robin over the zones, kwok-annotated', (n) => {
    const nodes = nodeObjects(n);
    expect(nodes).toHaveLength(n);
    nodes.forEach((node, i) => {
      expect(node.metadata.labels?.['topology.kubernetes.io/zone']).toBe(ZONES[i % 3]);
      expect(node.metadata.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    });
    expect(new Set(nodes.map((x) => x.metadata.name)).size).toBe(n);
  });
});
