import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { planStages, stageOf, type Stage } from './stages.ts';

const o = (kind: string, name = kind.toLowerCase()): { object: KubeObject } => ({ object: { apiVersion: 'v1', kind, metadata: { name } } });

describe('stageOf', () => {
  it.each<[string, boolean, Stage]>([
    ['CustomResourceDefinition', true, 0],
    ['Namespace', true, 0],
    ['ConfigMap', false, 1],
    ['Secret', false, 1],
    ['ServiceAccount', false, 1],
    ['Role', false, 1],
    ['ClusterRoleBinding', true, 1],
    ['PersistentVolumeClaim', false, 1],
    ['Service', false, 1],
    ['ClusterIssuer', true, 1], // unknown cluster-scoped kind: before workloads
    ['Deployment', false, 2],
    ['StatefulSet', false, 2],
    ['Ingress', false, 2],
    ['ServiceMonitor', false, 2],
  ])('%s (cluster-scoped %s) → stage %i', (kind, scoped, want) => {
    expect(stageOf(kind, scoped)).toBe(want);
  });
});

describe('planStages', () => {
  it.each<[string, string[], string[][]]>([
    ['definitions first, workloads last', ['Deployment', 'ConfigMap', 'Namespace', 'Service', 'CustomResourceDefinition'], [['Namespace', 'CustomResourceDefinition'], ['ConfigMap', 'Service'], ['Deployment']]],
    ['input order kept inside a stage', ['Secret', 'ConfigMap', 'ServiceAccount'], [[], ['Secret', 'ConfigMap', 'ServiceAccount'], []]],
    ['empty', [], [[], [], []]],
  ])('%s', (_n, kinds, want) => {
    expect(planStages(kinds.map((k) => o(k))).map((s) => s.map((x) => x.object.kind))).toEqual(want);
  });
});
