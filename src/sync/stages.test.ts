import { describe, expect, it } from 'vitest';
import { stageOf, type Stage } from './stages.ts';

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
