import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../manifest/index.ts';
import { autoscalerStages, kwokConfigYaml, loadBalancerStages, nodeObjects, nodeStages, podStages, SIMULATE_LABEL, ZONES } from './stages.ts';

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
    ['slipway-pod-complete', 'NotIn', ['never-ready', 'crash-loop', 'fail']],
    ['slipway-pod-fail', 'In', ['fail']],
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
    ['slipway-pod-complete', /exitCode: 0/, /phase: Succeeded/],
    ['slipway-pod-fail', /exitCode: 1/, /phase: Failed/],
  ])('%s status template', (name, a, b) => {
    const t = (byName[name]!['spec'] as { next: { statusTemplate: string } }).next.statusTemplate;
    expect(t).toMatch(a);
    expect(t).toMatch(b);
  });

  it('only a pod that is not restarted (restartPolicy Never) and already Running fails', () => {
    expect(exprs(byName['slipway-pod-fail']!)).toEqual(expect.arrayContaining([
      { key: '.spec.restartPolicy', operator: 'In', values: ['Never'] },
      { key: '.status.phase', operator: 'In', values: ['Running'] },
    ]));
  });

  it('every pod stage except delete skips pods being deleted', () => {
    for (const s of podStages().filter((x) => x.metadata.name !== 'slipway-pod-delete')) {
      expect(exprs(s)).toContainEqual({ key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' });
    }
  });
});

describe('kwokConfigYaml', () => {
  // kwok gets its stages from --config (not from Stage objects, see kwokConfigYaml), so the file
  // must hold every stage, unchanged, next to the KwokConfiguration.
  const docs = parseAllDocuments(kwokConfigYaml()).map((d) => d.toJS() as KubeObject);

  it('starts with a KwokConfiguration', () => {
    expect(docs[0]).toMatchObject({ apiVersion: 'config.kwok.x-k8s.io/v1alpha1', kind: 'KwokConfiguration' });
  });

  it('holds every node, pod, load-balancer and autoscaler stage as written', () => {
    expect(docs.slice(1)).toEqual([...nodeStages(), ...podStages(), ...loadBalancerStages(), ...autoscalerStages()]);
    expect(docs.slice(1).every((d) => d.apiVersion === 'kwok.x-k8s.io/v1alpha1' && d.kind === 'Stage')).toBe(true);
  });
});

describe('autoscalerStages', () => {
  // slipway's HPA health is Degraded on any `Failed*` condition; the simulated status must be one
  // a working metrics pipeline at rest would write.
  const [hpa] = autoscalerStages();
  const template = ((hpa?.['spec'] as { next: { patches: { template: string }[] } }).next.patches[0]?.template ?? '').replaceAll('{{ $now | Quote }}', '"t"');

  it('patches the status of HPAs that have none yet, once', () => {
    expect(hpa?.['spec']).toMatchObject({ resourceRef: { apiGroup: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' } });
    expect(exprs(hpa!)).toContainEqual({ key: '.status.conditions', operator: 'DoesNotExist' });
  });

  it('reports AbleToScale and ScalingActive True, no failure reason', () => {
    const conditions = (parseAllDocuments(template.replace(/^\{\{ \$now := Now \}\}\n/, '').replace('{{ or .spec.minReplicas 1 }}', '2'))[0]?.toJS() as {
      conditions: { type: string; status: string; reason: string }[];
    }).conditions;
    expect(conditions.map((c) => [c.type, c.status])).toEqual([
      ['AbleToScale', 'True'],
      ['ScalingActive', 'True'],
      ['ScalingLimited', 'False'],
    ]);
    expect(conditions.some((c) => c.reason.startsWith('Failed'))).toBe(false);
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
