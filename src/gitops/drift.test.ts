import { describe, expect, it } from 'vitest';
import { omit, type KubeObject } from '../manifest/index.ts';
import type { LiveObject } from '../kube/index.ts';
import { compareObject, differences, driftDiff, formatPath, pointerOf, withoutForeign } from './drift.ts';

type Entry = { manager: string; operation: 'Apply' | 'Update'; subresource?: string; fieldsV1: Record<string, unknown> };

const desired: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', labels: { 'slipway.dev/app': 'shop' } },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: 'web', image: 'web:1', resources: { limits: { cpu: '0.5' } } }] } },
  },
};

/** What slipway's apply of `desired` owns. */
const slipwayFields = {
  'f:metadata': { 'f:labels': { 'f:slipway.dev/app': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {}, 'f:resources': { 'f:limits': { 'f:cpu': {} } } } } } },
  },
};

function live(change: (spec: { replicas: number; template: { spec: { containers: { name: string; image: string; resources: unknown }[] } } }) => void, entries: Entry[]): LiveObject {
  const o = structuredClone(desired) as LiveObject & { spec: Parameters<typeof change>[0] };
  // The apiserver normalises quantities.
  o.spec.template.spec.containers[0]!.resources = { limits: { cpu: '500m' } };
  change(o.spec);
  (o.metadata as Record<string, unknown>)['managedFields'] = entries;
  return o;
}

/** slipway's Apply entry without `path` (someone else took that field: SSA moves it on their Update). */
function slipwayWithout(path: 'replicas' | 'image'): Entry {
  const f = structuredClone(slipwayFields) as { 'f:spec': { 'f:replicas'?: unknown; 'f:template': { 'f:spec': { 'f:containers': Record<string, Record<string, unknown>> } } } };
  if (path === 'replicas') delete f['f:spec']['f:replicas'];
  else delete f['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']!['f:image'];
  return { manager: 'slipway', operation: 'Apply', fieldsV1: f };
}

const replicasBy = (manager: string, subresource = 'scale'): Entry => ({ manager, operation: 'Update', subresource, fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
const imageBy = (manager: string): Entry => ({ manager, operation: 'Update', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } } } } });

describe('compareObject: drift classified by field manager', () => {
  it.each([
    ['nothing changed (a normalised quantity is not drift)', live(() => undefined, [{ manager: 'slipway', operation: 'Apply', fieldsV1: slipwayFields }]), [], []],
    ['kubectl scale is drift', live((s) => (s.replicas = 5), [slipwayWithout('replicas'), replicasBy('kubectl-scale')]), ['spec.replicas by kubectl-scale (scale)'], []],
    ['kubectl edit of the image is drift', live((s) => (s.template.spec.containers[0]!.image = 'web:evil'), [slipwayWithout('image'), imageBy('kubectl-edit')]), ['spec.template.spec.containers[0].image by kubectl-edit'], []],
    ['an HPA (kube-controller-manager on /scale) is not drift', live((s) => (s.replicas = 7), [slipwayWithout('replicas'), replicasBy('kube-controller-manager')]), [], ['spec.replicas autoscaler']],
    ['KEDA is not drift', live((s) => (s.replicas = 7), [slipwayWithout('replicas'), replicasBy('keda-operator')]), [], ['spec.replicas autoscaler']],
    ['the rollout controller is not drift', live((s) => (s.replicas = 0), [slipwayWithout('replicas'), replicasBy('slipway-controller', '')]), [], ['spec.replicas rollout']],
    ['kube-controller-manager on another field is drift', live((s) => (s.template.spec.containers[0]!.image = 'x'), [slipwayWithout('image'), imageBy('kube-controller-manager')]), ['spec.template.spec.containers[0].image by kube-controller-manager'], []],
    ['a field removed by someone is drift (owned by nobody)', live((s) => Reflect.deleteProperty(s, 'replicas'), [slipwayWithout('replicas')]), ['spec.replicas by '], []],
  ])('%s', (_, obj, drift, ignored) => {
    const c = compareObject(desired, obj);
    expect(c.missing).toBe(false);
    expect(c.drift.map((f) => `${formatPath(f.path)} by ${f.owners.join(',')}`)).toEqual(drift);
    expect(c.ignored.map((f) => `${formatPath(f.path)} ${f.reason}`)).toEqual(ignored);
  });

  it('a Secret\'s stringData is compared as the data it is stored as', () => {
    const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { a: 'hello' } };
    const stored = (value: string, managers: Entry[]): LiveObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', managedFields: managers }, data: { a: Buffer.from(value).toString('base64') } });
    const applied: Entry = { manager: 'slipway', operation: 'Apply', fieldsV1: { 'f:stringData': { 'f:a': {} } } };
    expect(compareObject(secret, stored('hello', [applied])).drift).toEqual([]);
    const edited = compareObject(secret, stored('changed', [applied, { manager: 'kubectl-edit', operation: 'Update', fieldsV1: { 'f:data': { 'f:a': {} } } }]));
    expect(edited.drift.map((f) => `${formatPath(f.path)} by ${f.owners.join(',')}`)).toEqual(['data.a by kubectl-edit']);
  });

  it('a missing object', () => {
    expect(compareObject(desired, undefined)).toEqual({ missing: true, drift: [], ignored: [] });
  });

  it('ignoreDifferences: by JSON pointer (scoped by kind and name) and by field manager', () => {
    const scaled = live((s) => (s.replicas = 5), [slipwayWithout('replicas'), replicasBy('kubectl-scale')]);
    expect(compareObject(desired, scaled, [{ kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]).drift).toEqual([]);
    expect(compareObject(desired, scaled, [{ kind: 'Deployment', name: 'other', jsonPointers: ['/spec/replicas'] }]).drift).toHaveLength(1);
    expect(compareObject(desired, scaled, [{ kind: 'StatefulSet', jsonPointers: ['/spec'] }]).drift).toHaveLength(1);
    expect(compareObject(desired, scaled, [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec'] }]).ignored.map((f) => f.reason)).toEqual(['ignored']);
    expect(compareObject(desired, scaled, [{ kind: 'Deployment', managedFieldsManagers: ['kubectl-scale'] }]).drift).toEqual([]);
    expect(compareObject(desired, scaled, [{ kind: 'Deployment', managedFieldsManagers: ['argo'] }]).drift).toHaveLength(1);
  });
});

describe('withoutForeign', () => {
  it('leaves out what an autoscaler owns, keeps drift (to take it back) and what only slipway owns', () => {
    const hpa = live((s) => (s.replicas = 7), [slipwayWithout('replicas'), replicasBy('kube-controller-manager')]);
    expect((withoutForeign(desired, hpa)['spec'] as Record<string, unknown>)['replicas']).toBeUndefined();
    const scaled = live((s) => (s.replicas = 5), [slipwayWithout('replicas'), replicasBy('kubectl-scale')]);
    expect((withoutForeign(desired, scaled)['spec'] as Record<string, unknown>)['replicas']).toBe(2);
    // An ignored field nobody else owns stays: leaving it out of the apply would delete it.
    const same = live(() => undefined, [{ manager: 'slipway', operation: 'Apply', fieldsV1: slipwayFields }]);
    expect(withoutForeign(desired, same, [{ kind: 'Deployment', jsonPointers: ['/spec/replicas'] }])).toBe(desired);
    expect(withoutForeign(desired, undefined)).toBe(desired);
    // The input is not modified.
    expect((desired['spec'] as Record<string, unknown>)['replicas']).toBe(2);
  });
});

describe('an HTTPRoute whose weights the rollout controller sets (committed in git, as Argo Rollouts users do)', () => {
  const backend = (name: string, weight: number) => ({ group: '', kind: 'Service', name, port: 8080, weight });
  const route = (stable: number, canary: number, managedFields: Entry[]): LiveObject => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'api', namespace: 'shop', labels: { 'slipway.dev/app': 'shop' }, managedFields },
    spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [backend('api-stable', stable), backend('api-canary', canary)] }] },
  });
  const committed = omit(route(100, 0, []), ['metadata']) as KubeObject;
  const desiredRoute = { ...committed, metadata: { name: 'api', namespace: 'shop', labels: { 'slipway.dev/app': 'shop' } } } as KubeObject;
  // `spec.rules` is an atomic list: whoever applied it last owns it whole (a leaf in fieldsV1).
  const slipwayRoute: Entry = { manager: 'slipway', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:slipway.dev/app': {} } }, 'f:spec': { 'f:parentRefs': {} } } };
  const controllerRules: Entry = { manager: 'slipway-controller', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:rules': {} } } };
  const kubectlRules: Entry = { manager: 'kubectl-edit', operation: 'Update', fieldsV1: { 'f:spec': { 'f:rules': {} } } };

  it.each([
    ['the rollout controller at 25%: not drift; the whole atomic list is its', route(75, 25, [slipwayRoute, controllerRules]), [], ['spec.rules[0].backendRefs[0].weight rollout in spec.rules', 'spec.rules[0].backendRefs[1].weight rollout in spec.rules']],
    ['a person at 25%: drift', route(75, 25, [slipwayRoute, kubectlRules]), ['spec.rules[0].backendRefs[0].weight by kubectl-edit', 'spec.rules[0].backendRefs[1].weight by kubectl-edit'], []],
  ])('%s', (_, live, drift, ignored) => {
    const c = compareObject(desiredRoute, live);
    expect(c.drift.map((f) => `${formatPath(f.path)} by ${f.owners.join(',')}`)).toEqual(drift);
    expect(c.ignored.map((f) => `${formatPath(f.path)} ${f.reason} in ${formatPath(f.unit)}`)).toEqual(ignored);
  });

  it('withoutForeign leaves out the whole list the controller owns (an apply of the list without its weights would reset them to 1)', () => {
    const next = withoutForeign(desiredRoute, route(75, 25, [slipwayRoute, controllerRules]));
    expect(next['spec']).toEqual({ parentRefs: [{ name: 'public' }] });
    expect(next.metadata).toEqual(desiredRoute.metadata);
    // A person's weights are drift: taken back with the list as git has it.
    expect(withoutForeign(desiredRoute, route(75, 25, [slipwayRoute, kubectlRules]))).toBe(desiredRoute);
  });
});

describe('differences', () => {
  it.each([
    [{ a: 1 }, { a: 1, b: 2 }, []],
    [{ a: 1 }, { a: '1' }, []],
    [{ a: [1, 2] }, { a: [1] }, ['a']],
    [{ a: [{ x: 1 }] }, { a: [{ x: 2 }] }, ['a[0].x']],
    [{ a: null }, { a: 3 }, ['a']],
    [{ a: null }, {}, []],
    [{ 'slipway.dev/app': 'x' }, {}, ['["slipway.dev/app"]']],
  ])('%j vs %j', (d, l, paths) => {
    expect(differences(d, l).map((f) => formatPath(f.path))).toEqual(paths);
  });

  it('pointerOf escapes / and ~', () => {
    expect(pointerOf(['metadata', 'labels', 'a/b~c', 0])).toBe('/metadata/labels/a~1b~0c/0');
  });

  it('driftDiff is a bounded unified diff', () => {
    const d = driftDiff('Deployment/web', [{ path: ['spec', 'replicas'], desired: 2, live: 5, owners: [] }]);
    expect(d).toContain('-spec.replicas: 5');
    expect(d).toContain('+spec.replicas: 2');
    const big = driftDiff('x', [{ path: ['a'], desired: 'y'.repeat(10_000), live: 'z', owners: [] }]);
    expect(big.length).toBeLessThan(4200);
  });
});
