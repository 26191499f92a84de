/* eslint-disable no-restricted-imports -- the test reads its fixture spec from disk; the renderer under test stays pure */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InputErrors, isSlipwayError } from '../errors/index.ts';
import { stringifyManifests, type KubeObject } from '../manifest/index.ts';
import type { AppSpec, ServiceSpec } from '../appspec/index.ts';
import { CHECKSUM_ANNOTATION, renderAll, renderApp } from './index.ts';
import { parseStrategyAnnotations, STRATEGY_ANALYSIS_ANNOTATION, STRATEGY_ANNOTATION, STRATEGY_BLUE_GREEN_ANNOTATION, STRATEGY_STEPS_ANNOTATION, workloadStrategyOf } from '../appspec/index.ts';
import { get, podSpecOf, POD_KINDS, restrictedViolations, sharedNodes, type Obj } from './testing.ts';

const here = new URL('./testdata/', import.meta.url);
const shop = parse(readFileSync(new URL('shop.yaml', here), 'utf8')) as AppSpec;
const envFiles = { 'shared.env': readFileSync(new URL('shared.env', here), 'utf8') };


function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered; have ${objects.map((x) => `${x.kind}/${x.metadata.name ?? ''}`).join(', ')}`);
  return o;
}

/** A spec with one service, for focused cases. */
function oneService(svc: Partial<ServiceSpec>, extra: Partial<AppSpec> = {}): AppSpec {
  return { app: 'demo', services: { svc: { image: 'ghcr.io/acme/svc:1.0.0', ports: [{ name: 'http', port: 8080 }], ...svc } }, ...extra };
}

describe('Pod Security restricted', () => {
  const all = [...renderAll(shop, { envFiles }).values()].flatMap((r) => r.objects.filter((o) => POD_KINDS.includes(o.kind)).map((o) => ({ env: r.env, o })));
  it.each(all.map(({ env, o }) => ({ env, ref: `${o.kind}/${o.metadata.name ?? ''}`, o })))('$env $ref satisfies restricted', ({ o }) => {
    const pod = podSpecOf(o);
    expect(pod).toBeDefined();
    expect(restrictedViolations(pod!)).toEqual([]);
    expect(get(pod, 'securityContext')).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const k of ['runAsUser', 'runAsGroup', 'fsGroup']) expect(get(pod, 'securityContext', k)).toBeGreaterThan(0);
    expect(get(pod, 'containers', 0, 'securityContext')).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(get(pod, 'containers', 0, 'volumeMounts')).toEqual(expect.arrayContaining([{ name: 'tmp', mountPath: '/tmp' }]));
    expect(get(pod, 'automountServiceAccountToken')).toBe(false);
  });

  it.each([
    { name: 'root uid in spec', sc: { runAsUser: 0 } },
    { name: 'extra capability', sc: { addCapabilities: ['SYS_ADMIN'] } },
  ])('the checker itself catches: $name', ({ sc }) => {
    // Build a deliberately bad pod by hand: proves restrictedViolations can fail.
    const pod = { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: sc.runAsUser }, containers: [{ securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: sc.addCapabilities } } }] };
    expect(restrictedViolations(pod)).not.toEqual([]);
  });

  it.each([
    { sc: undefined, uid: 10001, add: undefined },
    { sc: { runAsUser: 2000, runAsGroup: 3000, fsGroup: 4000 }, uid: 2000, add: undefined },
    { sc: { addCapabilities: ['NET_BIND_SERVICE' as const] }, uid: 10001, add: ['NET_BIND_SERVICE'] },
  ])('securityContext from spec $sc', ({ sc, uid, add }) => {
    const r = renderApp(oneService(sc ? { securityContext: sc } : {}), 'default');
    const pod = podSpecOf(find(r.objects, 'Deployment', 'svc'))!;
    expect(get(pod, 'securityContext', 'runAsUser')).toBe(uid);
    expect(get(pod, 'containers', 0, 'securityContext', 'capabilities', 'add')).toEqual(add);
  });

  it('namespace enforces restricted', () => {
    const ns = find(renderApp(shop, 'prod', { envFiles }).objects, 'Namespace', 'shop-prod');
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });
});

describe('replicas and autoscaling', () => {
  it.each([
    { name: 'fixed replicas', svc: { replicas: 3 }, replicas: 3, hpa: false },
    { name: 'default replicas', svc: {}, replicas: 1, hpa: false },
    { name: 'HPA owns replicas', svc: { autoscaling: { min: 2, max: 5 } }, replicas: undefined, hpa: true },
    { name: 'HPA wins over replicas', svc: { replicas: 4, autoscaling: { min: 2, max: 5 } }, replicas: undefined, hpa: true },
  ])('$name', ({ svc, replicas, hpa }) => {
    const r = renderApp(oneService(svc), 'default');
    const d = find(r.objects, 'Deployment', 'svc');
    expect(get(d, 'spec', 'replicas')).toBe(replicas);
    expect(r.objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(hpa);
  });

  it.each([
    { a: { min: 2, max: 5 }, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
    { a: { min: 1, max: 5, memory: 75 }, metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 75 } } }] },
    {
      a: { min: 1, max: 5, metrics: [{ pods: { name: 'ws_connections', averageValue: '100' } }] },
      metrics: [{ type: 'Pods', pods: { metric: { name: 'ws_connections' }, target: { type: 'AverageValue', averageValue: '100' } } }],
    },
    {
      a: { min: 1, max: 5, cpu: 60, metrics: [{ external: { name: 'queue_depth', selector: { queue: 'jobs' }, averageValue: 30 } }] },
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
        { type: 'External', external: { metric: { name: 'queue_depth', selector: { matchLabels: { queue: 'jobs' } } }, target: { type: 'AverageValue', averageValue: '30' } } },
      ],
    },
  ])('HPA metrics for $a', ({ a, metrics }) => {
    const hpa = find(renderApp(oneService({ autoscaling: a }), 'default').objects, 'HorizontalPodAutoscaler', 'svc');
    expect(get(hpa, 'spec', 'metrics')).toEqual(metrics);
    expect(get(hpa, 'spec', 'behavior', 'scaleDown', 'stabilizationWindowSeconds')).toBe(300);
    expect(get(hpa, 'spec', 'behavior', 'scaleUp', 'stabilizationWindowSeconds')).toBe(0);
  });

  it('HPA targets the StatefulSet of a stateful service', () => {
    const r = renderApp(oneService({ autoscaling: { min: 2, max: 3 }, volumes: [{ name: 'data', mountPath: '/data' }] }), 'default');
    expect(get(find(r.objects, 'HorizontalPodAutoscaler', 'svc'), 'spec', 'scaleTargetRef', 'kind')).toBe('StatefulSet');
    expect(get(find(r.objects, 'StatefulSet', 'svc'), 'spec', 'replicas')).toBeUndefined();
  });
});

describe('PodDisruptionBudget', () => {
  it.each([
    { svc: { replicas: 1 }, floor: 1 },
    { svc: { replicas: 0 }, floor: 0 },
    { svc: { replicas: 2 }, floor: 2 },
    { svc: { replicas: 5 }, floor: 5 },
    { svc: { autoscaling: { min: 1, max: 4 } }, floor: 1 },
    { svc: { autoscaling: { min: 3, max: 9 } }, floor: 3 },
  ])('$svc', ({ svc, floor }) => {
    const r = renderApp(oneService(svc), 'default');
    const pdb = r.objects.find((o) => o.kind === 'PodDisruptionBudget');
    if (floor <= 1) {
      // A PDB on a single replica would block every drain.
      expect(pdb).toBeUndefined();
      return;
    }
    expect(pdb).toBeDefined();
    const maxUnavailable = get(pdb, 'spec', 'maxUnavailable') as number;
    // It must always allow at least one eviction at the replica floor.
    expect(maxUnavailable).toBeGreaterThanOrEqual(1);
    expect(floor - maxUnavailable).toBeLessThan(floor);
    expect(get(pdb, 'spec', 'selector', 'matchLabels')).toEqual(get(find(r.objects, 'Deployment', 'svc'), 'spec', 'selector', 'matchLabels'));
  });
});

describe('NetworkPolicies', () => {
  const r = renderApp(shop, 'prod', { envFiles });
  const policies = r.objects.filter((o) => o.kind === 'NetworkPolicy');
  const sel = (name: string): Obj => ({ matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'shop-prod' } });

  it.each([
    { caller: 'web', target: 'api', port: 8080 },
    { caller: 'api', target: 'db', port: 5432 },
    { caller: 'migrate', target: 'db', port: 5432 },
  ])('edge $caller → $target:$port', ({ caller, target, port }) => {
    const ing = find(policies, 'NetworkPolicy', `${caller}-to-${target}-ingress`);
    expect(get(ing, 'spec', 'podSelector')).toEqual(sel(target));
    expect(get(ing, 'spec', 'ingress', 0)).toEqual({ from: [{ podSelector: sel(caller) }], ports: [{ protocol: 'TCP', port }] });
    const eg = find(policies, 'NetworkPolicy', `${caller}-to-${target}-egress`);
    expect(get(eg, 'spec', 'podSelector')).toEqual(sel(caller));
    expect(get(eg, 'spec', 'egress', 0)).toEqual({ to: [{ podSelector: sel(target) }], ports: [{ protocol: 'TCP', port }] });
  });

  it('has exactly one ingress+egress pair per dependsOn edge', () => {
    expect(policies.filter((p) => /-to-.*-(ingress|egress)$/.test(p.metadata.name ?? '')).length).toBe(6);
  });

  it.each([
    { name: 'default-deny', path: ['spec', 'policyTypes'], value: ['Ingress', 'Egress'] },
    { name: 'default-deny', path: ['spec', 'podSelector'], value: {} },
    { name: 'allow-dns', path: ['spec', 'egress', 0, 'ports'], value: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
    { name: 'web-from-ingress', path: ['spec', 'ingress', 0, 'from', 0, 'namespaceSelector'], value: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
    { name: 'web-from-monitoring', path: ['spec', 'ingress', 0, 'ports'], value: [{ protocol: 'TCP', port: 9090 }] },
    { name: 'api-egress-external', path: ['spec', 'egress', 0], value: { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] } },
  ])('$name $path', ({ name, path, value }) => {
    expect(get(find(policies, 'NetworkPolicy', name), ...path)).toEqual(value);
  });

  const twoPorts = { ports: [{ name: 'sql', port: 5432 }, { name: 'admin', port: 9000 }] };
  it.each([
    { name: 'repeated entry', deps: ['db', 'db'], ports: [5432] },
    { name: 'short and long form of one edge', deps: ['db', { service: 'db', port: 'sql' }], ports: [5432] },
    { name: 'two ports of one service', deps: ['db', { service: 'db', port: 'admin' }, { service: 'db', port: 9000 }], ports: [5432, 9000] },
  ])('dependsOn naming one service twice ($name): one policy pair, never two objects with one name', ({ deps, ports }) => {
    const spec: AppSpec = { app: 'demo', services: { web: { image: 'ghcr.io/acme/web:1.0', ports: [{ name: 'http', port: 8080 }], dependsOn: deps }, db: { image: 'postgres:17', ...twoPorts } } };
    const objects = renderApp(spec, 'default').objects;
    const names = objects.map((o) => `${o.kind}/${o.metadata.name ?? ''}`);
    expect(names.length).toBe(new Set(names).size);
    const ing = find(objects, 'NetworkPolicy', 'web-to-db-ingress');
    expect(get(ing, 'spec', 'ingress', 0, 'ports')).toEqual(ports.map((port) => ({ protocol: 'TCP', port })));
    expect(get(find(objects, 'NetworkPolicy', 'web-to-db-egress'), 'spec', 'egress', 0, 'ports')).toEqual(ports.map((port) => ({ protocol: 'TCP', port })));
  });

  it('generated names that collide are an input problem, not two objects with one name', () => {
    const svc = (deps?: string[]): ServiceSpec => ({ image: 'ghcr.io/acme/x:1.0', ports: [{ name: 'http', port: 8080 }], ...(deps ? { dependsOn: deps } : {}) });
    // a → b-to-c and a-to-b → c both name their policies a-to-b-to-c-ingress/-egress.
    const spec: AppSpec = { app: 'demo', services: { a: svc(['b-to-c']), 'b-to-c': svc(), 'a-to-b': svc(['c']), c: svc() } };
    expect(() => renderApp(spec, 'default')).toThrow(InputErrors);
    try {
      renderApp(spec, 'default');
    } catch (e) {
      expect((e as InputErrors).problems.map((p) => p.message)).toContain('two NetworkPolicy objects would be named "a-to-b-to-c-ingress" (the other comes from services.a.dependsOn[0])');
      expect((e as InputErrors).problems.map((p) => p.path)).toContain('services.a-to-b.dependsOn[0]');
    }
  });

  it('an exposed service without metrics gets no monitoring policy', () => {
    expect(policies.some((p) => p.metadata.name === 'api-from-monitoring')).toBe(false);
  });
});

describe('checksum/config', () => {
  const checksum = (spec: AppSpec, name = 'svc'): unknown =>
    get(find(renderApp(spec, 'default', { envFiles }).objects, 'Deployment', name), 'spec', 'template', 'metadata', 'annotations', CHECKSUM_ANNOTATION);
  const withCm = (data: Record<string, string>, svc: Partial<ServiceSpec> = { envFrom: [{ configMap: 'cfg' }] }): AppSpec => oneService(svc, { configMaps: { cfg: { data } } });

  it.each([
    { name: 'referenced ConfigMap data changes', a: withCm({ k: '1' }), b: withCm({ k: '2' }), same: false },
    { name: 'inline config file changes', a: oneService({ config: [{ path: '/etc/a.conf', content: 'x' }] }), b: oneService({ config: [{ path: '/etc/a.conf', content: 'y' }] }), same: false },
    { name: 'key ref ConfigMap changes', a: withCm({ k: '1' }, { env: { K: { configMap: 'cfg', key: 'k' } } }), b: withCm({ k: '2' }, { env: { K: { configMap: 'cfg', key: 'k' } } }), same: false },
    { name: 'nothing changes', a: withCm({ k: '1' }), b: withCm({ k: '1' }), same: true },
    { name: 'an unreferenced ConfigMap changes', a: withCm({ k: '1' }, { env: { A: 'x' }, config: [{ path: '/etc/a', content: 'c' }] }), b: withCm({ k: '2' }, { env: { A: 'x' }, config: [{ path: '/etc/a', content: 'c' }] }), same: true },
  ])('$name → same: $same', ({ a, b, same }) => {
    const ca = checksum(a);
    expect(ca).toMatch(/^[0-9a-f]{64}$/);
    expect(ca === checksum(b)).toBe(same);
  });

  it('no annotation when the pod reads no rendered ConfigMap', () => {
    expect(checksum(oneService({}))).toBeUndefined();
  });
});

describe('YAML 1.1 safety', () => {
  it.each(['on', 'off', 'yes', 'no', 'y', 'n', 'true', '12:30', '0o12', '012', '1e3', '~', 'null', '.inf'])('env value %j stays a string', (value) => {
    const r = renderApp(oneService({ env: { V: value } }), 'default');
    const text = stringifyManifests(r.objects);
    for (const version of ['1.1', '1.2'] as const) {
      const docs = text.split(/^---$/m).map((d) => parse(d, { version }) as KubeObject);
      const d = docs.find((o) => o.kind === 'Deployment');
      expect(get(d, 'spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value')).toBe(value);
    }
  });

  it.each([
    { v: 4, s: '4' },
    { v: false, s: 'false' },
    { v: 1.5, s: '1.5' },
  ])('non-string env literal $v becomes the string $s', ({ v, s }) => {
    const d = find(renderApp(oneService({ env: { V: v } }), 'default').objects, 'Deployment', 'svc');
    expect(get(d, 'spec', 'template', 'spec', 'containers', 0, 'env', 0)).toEqual({ name: 'V', value: s });
  });

  it('numbers in labels, annotations and nodeSelector become strings even without validation', () => {
    const spec = oneService({ labels: { tier: 1 }, annotations: { weight: 2 }, nodeSelector: { gen: 3 } } as unknown as Partial<ServiceSpec>, { labels: { cost: 4 } } as unknown as Partial<AppSpec>);
    const d = find(renderApp(spec, 'default').objects, 'Deployment', 'svc');
    expect(get(d, 'spec', 'template', 'metadata', 'labels', 'tier')).toBe('1');
    expect(get(d, 'spec', 'template', 'metadata', 'labels', 'cost')).toBe('4');
    expect(get(d, 'spec', 'template', 'metadata', 'annotations', 'weight')).toBe('2');
    expect(get(d, 'spec', 'template', 'spec', 'nodeSelector', 'gen')).toBe('3');
  });

  it('every label and annotation value is a string', () => {
    for (const r of renderAll(shop, { envFiles }).values()) {
      for (const o of r.objects) {
        const maps = [o.metadata.labels, o.metadata.annotations, get(o, 'spec', 'template', 'metadata', 'labels'), get(o, 'spec', 'template', 'metadata', 'annotations')];
        for (const m of maps) for (const v of Object.values((m ?? {}) as Obj)) expect(typeof v).toBe('string');
      }
    }
  });
});

describe('labels and selectors', () => {
  const r = renderApp(shop, 'prod', { envFiles });
  it.each(r.objects.map((o) => ({ ref: `${o.kind}/${o.metadata.name ?? ''}`, o })))('$ref has the standard labels', ({ o }) => {
    for (const k of ['name', 'instance', 'component', 'part-of', 'managed-by']) expect(o.metadata.labels?.[`app.kubernetes.io/${k}`]).toBeTruthy();
    expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('slipway');
    const selector = get(o, 'spec', 'selector', 'matchLabels') ?? (o.kind === 'Service' ? get(o, 'spec', 'selector') : undefined);
    if (selector !== undefined) expect(Object.keys(selector as Obj).sort()).toEqual(['app.kubernetes.io/instance', 'app.kubernetes.io/name']);
  });

  it.each([
    { image: 'ghcr.io/acme/web:1.4.2', version: '1.4.2', policy: 'IfNotPresent' },
    { image: 'ghcr.io/acme/web', version: undefined, policy: 'Always' },
    { image: 'ghcr.io/acme/web:latest', version: 'latest', policy: 'Always' },
    { image: 'registry:5000/web', version: undefined, policy: 'Always' },
    { image: `ghcr.io/acme/web@sha256:${'ab'.repeat(32)}`, version: 'abababababab', policy: 'IfNotPresent' },
    { image: { repository: 'ghcr.io/acme/web', tag: 'v2+build.1', pullPolicy: 'Always' as const }, version: 'v2-build.1', policy: 'Always' },
  ])('image $image → version $version, pull $policy', ({ image, version, policy }) => {
    const d = find(renderApp(oneService({ image }), 'default').objects, 'Deployment', 'svc');
    expect(get(d, 'metadata', 'labels', 'app.kubernetes.io/version')).toBe(version);
    expect(get(d, 'spec', 'template', 'spec', 'containers', 0, 'imagePullPolicy')).toBe(policy);
  });
});

describe('containers', () => {
  it.each([
    { name: 'http first port → httpGet', svc: {}, probe: { httpGet: { path: '/', port: 'http' } } },
    { name: 'other first port → tcp', svc: { ports: [{ name: 'grpc', port: 9000 }] }, probe: { tcpSocket: { port: 'grpc' } } },
    { name: 'explicit', svc: { probes: { readiness: { http: { path: '/healthz', port: 'http' }, periodSeconds: 5 } } }, probe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 } },
    { name: 'disabled', svc: { probes: { readiness: false as const } }, probe: undefined },
    { name: 'no ports', svc: { ports: [] }, probe: undefined },
  ])('readiness: $name', ({ svc, probe }) => {
    const d = find(renderApp(oneService(svc), 'default').objects, 'Deployment', 'svc');
    expect(get(d, 'spec', 'template', 'spec', 'containers', 0, 'readinessProbe')).toEqual(probe);
    expect(get(d, 'spec', 'template', 'spec', 'containers', 0, 'livenessProbe')).toBeUndefined();
  });

  it.each([
    { svc: {}, requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    { svc: { resources: { requests: { memory: '1Gi' } } }, requests: { cpu: '100m', memory: '1Gi' }, limits: { memory: '1Gi' } },
    { svc: { resources: { requests: { cpu: 2 }, limits: { memory: '512Mi', cpu: '4' } } }, requests: { cpu: '2', memory: '128Mi' }, limits: { memory: '512Mi', cpu: '4' } },
    // A limit below a default request: the request follows the limit (the apiserver refuses request > limit).
    { svc: { resources: { limits: { memory: '64Mi', cpu: '50m' } } }, requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '64Mi', cpu: '50m' } },
    { svc: { resources: { limits: { cpu: 0.05 } } }, requests: { cpu: '0.05', memory: '128Mi' }, limits: { memory: '256Mi', cpu: '0.05' } },
  ])('resources $svc', ({ svc, requests, limits }) => {
    const d = find(renderApp(oneService(svc), 'default').objects, 'Deployment', 'svc');
    expect(get(d, 'spec', 'template', 'spec', 'containers', 0, 'resources')).toEqual({ requests, limits });
  });

  it.each([
    { svc: {}, lifecycle: { preStop: { sleep: { seconds: 5 } } }, grace: 30 },
    { svc: { preStopSleepSeconds: 15, terminationGracePeriodSeconds: 60 }, lifecycle: { preStop: { sleep: { seconds: 15 } } }, grace: 60 },
    { svc: { preStopSleepSeconds: 0 }, lifecycle: undefined, grace: 30 },
  ])('graceful shutdown $svc', ({ svc, lifecycle, grace }) => {
    const pod = podSpecOf(find(renderApp(oneService(svc), 'default').objects, 'Deployment', 'svc'));
    expect(get(pod, 'containers', 0, 'lifecycle')).toEqual(lifecycle);
    expect(get(pod, 'terminationGracePeriodSeconds')).toBe(grace);
  });

  it.each([
    { svc: { replicas: 1 }, spread: false },
    { svc: { replicas: 2 }, spread: true },
    { svc: { autoscaling: { min: 1, max: 3 } }, spread: true },
  ])('spreading for $svc: $spread', ({ svc, spread }) => {
    const pod = podSpecOf(find(renderApp(oneService(svc), 'default').objects, 'Deployment', 'svc'));
    const tsc = get(pod, 'topologySpreadConstraints') as Obj[] | undefined;
    expect(tsc !== undefined).toBe(spread);
    expect(get(pod, 'affinity', 'podAntiAffinity', 'preferredDuringSchedulingIgnoredDuringExecution') !== undefined).toBe(spread);
    if (tsc) expect(tsc.map((c) => [c['topologyKey'], c['whenUnsatisfiable']])).toEqual([['topology.kubernetes.io/zone', 'ScheduleAnyway'], ['kubernetes.io/hostname', 'ScheduleAnyway']]);
  });

  it.each([
    { svc: { serviceAccount: { automountToken: true } }, warned: true, token: true },
    { svc: { serviceAccount: { automountToken: true }, egress: [{ cidr: '10.0.0.1/32', ports: [443] }] }, warned: false, token: true },
    { svc: {}, warned: false, token: false },
  ])('API token $svc: mounted $token, egress warning $warned', ({ svc, warned, token }) => {
    const r = renderApp(oneService(svc), 'default');
    expect(get(find(r.objects, 'ServiceAccount', 'svc'), 'automountServiceAccountToken')).toBe(token);
    expect(get(podSpecOf(find(r.objects, 'Deployment', 'svc')), 'automountServiceAccountToken')).toBe(token);
    expect(r.warnings.some((w) => w.includes('Kubernetes API'))).toBe(warned);
  });

  it('env: secrets are references, never values', () => {
    const d = find(renderApp(shop, 'prod', { envFiles }).objects, 'Deployment', 'web');
    const env = get(d, 'spec', 'template', 'spec', 'containers', 0, 'env') as Obj[];
    expect(env.find((e) => e['name'] === 'DB_PASSWORD')).toEqual({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } });
    expect(env.find((e) => e['name'] === 'POD_IP')).toEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    expect(env.map((e) => e['name'])).toEqual(['FEATURE_X', 'OPENING', 'WORKERS', 'DEBUG', 'API_URL', 'DB_PASSWORD', 'LOG_LEVEL', 'POD_IP']);
  });

  it.each([
    { file: { path: '/etc/app/app.conf', content: 'a=1' }, mount: { name: 'config', mountPath: '/etc/app/app.conf', subPath: 'app.conf', readOnly: true }, volume: { name: 'config', configMap: { name: 'svc-config' } } },
    { file: { path: '/etc/app/x.yaml', configMap: 'ext', key: 'main' }, mount: { name: 'cm-ext', mountPath: '/etc/app/x.yaml', subPath: 'main', readOnly: true }, volume: { name: 'cm-ext', configMap: { name: 'ext' } } },
    { file: { path: '/etc/tls/key.pem', secret: 'tls' }, mount: { name: 'secret-tls', mountPath: '/etc/tls/key.pem', subPath: 'key.pem', readOnly: true }, volume: { name: 'secret-tls', secret: { secretName: 'tls', defaultMode: 0o440 } } },
  ])('config file $file.path', ({ file, mount, volume }) => {
    const r = renderApp(oneService({ config: [file] }), 'default');
    const pod = podSpecOf(find(r.objects, 'Deployment', 'svc'));
    expect(get(pod, 'containers', 0, 'volumeMounts')).toContainEqual(mount);
    expect(get(pod, 'volumes')).toContainEqual(volume);
    if ('content' in file) expect(get(find(r.objects, 'ConfigMap', 'svc-config'), 'data')).toEqual({ 'app.conf': 'a=1' });
  });
});

describe('StatefulSet', () => {
  const r = renderApp(shop, 'prod', { envFiles });
  it('persistent volumes make a StatefulSet with claim templates and a headless Service', () => {
    const sts = find(r.objects, 'StatefulSet', 'db');
    expect(get(sts, 'spec', 'serviceName')).toBe('db-headless');
    expect(get(sts, 'spec', 'volumeClaimTemplates', 0, 'spec')).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
    expect(get(find(r.objects, 'Service', 'db-headless'), 'spec', 'clusterIP')).toBe('None');
    expect(r.objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'db')).toBe(false);
  });
  it.each([
    { volumes: [{ name: 'cache', mountPath: '/cache', type: 'emptyDir' as const, size: '1Gi' }], kind: 'Deployment' },
    { volumes: [{ name: 'data', mountPath: '/data' }], kind: 'StatefulSet' },
  ])('volumes $volumes → $kind', ({ volumes, kind }) => {
    expect(renderApp(oneService({ volumes }), 'default').objects.some((o) => o.kind === kind && o.metadata.name === 'svc')).toBe(true);
  });
  it('a StatefulSet without ports renders with a headless Service without ports, and no ClusterIP Service (issue 13 defect 3)', () => {
    const spec: AppSpec = { app: 'vote', services: { worker: { image: 'dockersamples/worker:1.0', volumes: [{ name: 'data', mountPath: '/data' }] } } };
    const objects = renderApp(spec, 'default').objects;
    const headless = find(objects, 'Service', 'worker-headless');
    expect(get(headless, 'spec')).toEqual({ type: 'ClusterIP', clusterIP: 'None', selector: { 'app.kubernetes.io/name': 'worker', 'app.kubernetes.io/instance': 'vote-default' } });
    expect(get(find(objects, 'StatefulSet', 'worker'), 'spec', 'serviceName')).toBe('worker-headless');
    expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'worker')).toBe(false);
    // No readiness probe on a port that does not exist.
    expect(get(find(objects, 'StatefulSet', 'worker'), 'spec', 'template', 'spec', 'containers', 0, 'readinessProbe')).toBeUndefined();
  });
});

describe('exposure', () => {
  it.each([
    {
      name: 'ingress with cert-manager',
      expose: { host: 'a.example.com', tls: { issuer: 'le' } },
      kind: 'Ingress',
      check: { 'metadata.annotations.cert-manager.io/cluster-issuer': 'le', 'spec.tls.0.secretName': 'svc-tls', 'spec.ingressClassName': 'nginx' },
    },
    {
      name: 'ingress with secret and Issuer class',
      expose: { host: 'a.example.com', className: 'internal', tls: { secretName: 'wild' } },
      kind: 'Ingress',
      check: { 'spec.tls.0.secretName': 'wild', 'spec.ingressClassName': 'internal', 'spec.rules.0.host': 'a.example.com' },
    },
    {
      name: 'httproute',
      expose: { type: 'gateway' as const, host: 'a.example.com', gateway: { name: 'public', namespace: 'gw', sectionName: 'https' } },
      kind: 'HTTPRoute',
      check: { 'spec.parentRefs.0.name': 'public', 'spec.parentRefs.0.namespace': 'gw', 'spec.hostnames.0': 'a.example.com', 'spec.rules.0.backendRefs.0.port': 8080 },
    },
  ])('$name', ({ expose, kind, check }) => {
    const o = find(renderApp(oneService({ expose }), 'default').objects, kind, 'svc');
    for (const [path, value] of Object.entries(check)) {
      const [head, ...rest] = path.split('.');
      // Annotation keys contain dots: take the rest of the path as one key after "annotations".
      const parts = head === 'metadata' && rest[0] === 'annotations' ? ['metadata', 'annotations', rest.slice(1).join('.')] : path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      expect(get(o, ...parts), path).toEqual(value);
    }
  });

  it('HTTPRoute TLS is noted as a warning', () => {
    const r = renderApp(oneService({ expose: { type: 'gateway', host: 'a.example.com', gateway: { name: 'gw' }, tls: { secretName: 'x' } } }), 'default');
    expect(r.warnings.join('\n')).toMatch(/Gateway/);
  });

  it('internal services get no Ingress', () => {
    expect(renderApp(oneService({}), 'default').objects.some((o) => o.kind === 'Ingress' || o.kind === 'HTTPRoute')).toBe(false);
  });
});

describe('monitoring', () => {
  const r = renderApp(shop, 'prod', { envFiles });
  const rules = (get(find(r.objects, 'PrometheusRule', 'shop-alerts'), 'spec', 'groups') as { name: string; rules: Obj[] }[]).flatMap((g) => g.rules);
  it.each([
    { alert: 'WebHighErrorRate', expr: /http_requests_total\{namespace="shop-prod",service="web",code=~"5\.\."\}\[5m\].*> 0\.001$/ },
    { alert: 'WebHighLatencyP95', expr: /^histogram_quantile\(0\.95, sum by \(le\) \(rate\(http_request_duration_seconds_bucket\{namespace="shop-prod",service="web"\}\[5m\]\)\)\) > 0\.3$/ },
    { alert: 'WebUnavailable', expr: /kube_deployment_status_replicas_available\{namespace="shop-prod",deployment="web"\} < 1/ },
    { alert: 'DbUnavailable', expr: /kube_statefulset_status_replicas_ready\{namespace="shop-prod",statefulset="db"\} < 1/ },
    { alert: 'ApiPodsRestarting', expr: /increase\(kube_pod_container_status_restarts_total\{namespace="shop-prod",container="api"\}\[15m\]\) > 3/ },
  ])('$alert', ({ alert, expr }) => {
    const rule = rules.find((x) => x['alert'] === alert);
    expect(rule?.['expr']).toMatch(expr);
  });

  it('no error-rate alert without an SLO', () => {
    expect(rules.some((x) => x['alert'] === 'ApiHighErrorRate')).toBe(false);
  });

  it('ServiceMonitor scrapes the named metrics port; dashboard has 4 panels per service', () => {
    expect(get(find(r.objects, 'ServiceMonitor', 'web'), 'spec', 'endpoints', 0)).toEqual({ port: 'metrics', path: '/metrics' });
    const dash = find(r.objects, 'ConfigMap', 'shop-dashboard');
    expect(dash.metadata.labels?.['grafana_dashboard']).toBe('1');
    const json = JSON.parse(get(dash, 'data', 'shop.json') as string) as { panels: unknown[] };
    expect(json.panels.length).toBe(3 * 4);
  });

  it('nothing without metrics or SLOs', () => {
    expect(renderApp(oneService({}), 'default').objects.some((o) => o.apiVersion.startsWith('monitoring.coreos.com'))).toBe(false);
  });
});

describe('jobs and strategies', () => {
  const r = renderApp(shop, 'prod', { envFiles });
  it.each([
    { kind: 'Job', name: 'migrate', path: ['metadata', 'annotations', 'slipway.dev/hook'], value: 'pre-deploy' },
    { kind: 'Job', name: 'migrate', path: ['spec', 'ttlSecondsAfterFinished'], value: 3600 },
    { kind: 'Job', name: 'migrate', path: ['spec', 'backoffLimit'], value: 3 },
    { kind: 'Job', name: 'migrate', path: ['spec', 'template', 'spec', 'restartPolicy'], value: 'Never' },
    { kind: 'CronJob', name: 'report', path: ['spec', 'concurrencyPolicy'], value: 'Forbid' },
    { kind: 'CronJob', name: 'report', path: ['spec', 'schedule'], value: '0 2 * * *' },
    { kind: 'Deployment', name: 'api', path: ['metadata', 'annotations', STRATEGY_ANNOTATION], value: 'canary' },
    { kind: 'Deployment', name: 'api', path: ['metadata', 'annotations', STRATEGY_STEPS_ANNOTATION], value: '[{"setWeight":10}]' },
    { kind: 'Deployment', name: 'api', path: ['spec', 'strategy'], value: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } } },
  ])('$kind/$name $path', ({ kind, name, path, value }) => {
    expect(get(find(r.objects, kind, name), ...path)).toEqual(value);
  });
  it('canary is announced in warnings, saying who executes it and how deploy hands it over', () => {
    expect(r.warnings.find((w) => w.includes('canary'))).toMatch(/progressive-delivery controller: `slipway deploy` hands it to the controller as a ServiceRollout/);
  });

  it.each([
    { what: 'canary: the steps survive render', strategy: { type: 'canary' as const, canary: { steps: [{ setWeight: 20 }, { pause: { duration: '1m' } }, { analysis: { count: 3, interval: '30s' } }, { setWeight: 100 }] } } },
    { what: 'blueGreen: settings with defaults applied', strategy: { type: 'blueGreen' as const, blueGreen: { autoPromote: true } } },
    { what: 'blueGreen without settings', strategy: { type: 'blueGreen' as const } },
    { what: 'rolling: no strategy annotations', strategy: { type: 'rolling' as const } },
  ])('$what (read back through the same module deploy uses)', ({ strategy }) => {
    const d = find(renderApp(oneService({ strategy, slo: { successRate: 99 } }), 'default').objects, 'Deployment', 'svc');
    const annotations = d.metadata.annotations ?? {};
    expect(parseStrategyAnnotations(annotations, { object: 'Deployment svc' })).toEqual(workloadStrategyOf(strategy, { slo: { successRate: 99 } }));
    if (strategy.type === 'canary') expect(annotations[STRATEGY_ANALYSIS_ANNOTATION]).toBe('{"successRate":99}');
    if (strategy.type === 'rolling') expect(Object.keys(annotations).filter((k) => k.startsWith(STRATEGY_ANNOTATION))).toEqual([]);
    if (strategy.type === 'blueGreen') expect(annotations[STRATEGY_BLUE_GREEN_ANNOTATION]).toBe(`{"autoPromote":${strategy.blueGreen?.autoPromote === true},"scaleDownDelaySeconds":30}`);
  });
});

describe('environments', () => {
  it.each([
    { env: 'dev', ns: 'shop', replicas: 1, hpa: false, tls: undefined, image: 'ghcr.io/acme/web:1.4.2' },
    { env: 'prod', ns: 'shop-prod', replicas: undefined, hpa: true, tls: 'web-tls', image: 'ghcr.io/acme/web:1.4.3' },
  ])('$env', ({ env, ns, replicas, hpa, tls, image }) => {
    const r = renderApp(shop, env, { envFiles });
    expect(r.namespace).toBe(ns);
    const d = find(r.objects, 'Deployment', 'web');
    expect(d.metadata.namespace).toBe(ns);
    expect(get(d, 'spec', 'replicas')).toBe(replicas);
    expect(get(d, 'spec', 'template', 'spec', 'containers', 0, 'image')).toBe(image);
    expect(r.objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(hpa);
    expect(get(find(r.objects, 'Ingress', 'web'), 'spec', 'tls', 0, 'secretName')).toBe(tls);
  });

  it('renderAll renders every environment in spec order', () => {
    expect([...renderAll(shop, { envFiles }).keys()]).toEqual(['dev', 'prod']);
    expect([...renderAll(oneService({})).keys()]).toEqual(['default']);
  });

  it('ConfigMaps merge env file and inline data (inline wins)', () => {
    const cm = find(renderApp(shop, 'prod', { envFiles }).objects, 'ConfigMap', 'shared');
    expect(get(cm, 'data')).toEqual({ GREETING: 'hello world', REGION: 'eu-west-1', logLevel: 'info', yes: 'no' });
  });
});

describe('ordering and determinism', () => {
  it('orders by kind, then name', () => {
    const kinds = renderApp(shop, 'prod', { envFiles }).objects.map((o) => (o.metadata.labels?.['grafana_dashboard'] ? 'Dashboard' : o.kind));
    const expected = ['Namespace', 'ServiceAccount', 'ConfigMap', 'Service', 'Deployment', 'StatefulSet', 'Job', 'CronJob', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'Ingress', 'ServiceMonitor', 'PrometheusRule', 'Dashboard'];
    expect([...new Set(kinds)]).toEqual(expected);
    const names = renderApp(shop, 'prod', { envFiles }).objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name);
    expect(names).toEqual(['api', 'db', 'migrate', 'report', 'web']);
  });

  it('same bytes whatever the order services are declared in', () => {
    const reversed: AppSpec = { ...shop, services: Object.fromEntries(Object.entries(shop.services).reverse()) };
    expect(stringifyManifests(renderApp(reversed, 'prod', { envFiles }).objects)).toBe(stringifyManifests(renderApp(shop, 'prod', { envFiles }).objects));
  });

  it.each(['dev', 'prod'])('%s: no two places in a render share a node (no aliases, no action at a distance)', (env) => {
    const withAnchors = parse(`${readFileSync(new URL('shop.yaml', here), 'utf8')}\n`, { merge: true }) as AppSpec;
    // A spec whose YAML shares one list between two fields (anchors) must not leak the sharing.
    const cmd = ['/bin/app', 'serve'];
    const api = withAnchors.services['api'];
    if (api) Object.assign(api, { command: cmd, args: cmd });
    expect(sharedNodes(renderApp(withAnchors, env, { envFiles }).objects)).toEqual([]);
  });

  it('the sharing detector detects sharing', () => {
    const labels = { a: 'b' };
    expect(sharedNodes([{ apiVersion: 'v1', kind: 'X', metadata: { name: 'x', labels } }, { apiVersion: 'v1', kind: 'Y', metadata: { name: 'y', labels } }])).toEqual(['Y/y.metadata.labels']);
  });

  it('no YAML anchors or aliases in the output', () => {
    const text = stringifyManifests(renderApp(shop, 'prod', { envFiles }).objects);
    expect(text).not.toMatch(/[&*]a\d+\b/);
  });
});

describe('input problems', () => {
  const problems = (spec: AppSpec, env = 'default', opts = {}): string[] => {
    try {
      renderApp(spec, env, opts);
    } catch (e) {
      expect(isSlipwayError(e)).toBe(true);
      if (e instanceof InputErrors) return e.problems.map((p) => `${p.path ?? ''}: ${p.message}`);
      return [`${(e as { path?: string }).path ?? ''}: ${(e as Error).message}`];
    }
    return [];
  };

  it.each([
    { name: 'unknown dependency', spec: oneService({ dependsOn: ['ghost'] }), match: /services\.svc\.dependsOn\[0\]: unknown service "ghost"/ },
    { name: 'unknown dependency port', spec: oneService({ dependsOn: [{ service: 'svc', port: 'nope' }] }), match: /dependsOn\[0\]: service "svc" has no port nope/ },
    { name: 'HPA min > max', spec: oneService({ autoscaling: { min: 5, max: 2 } }), match: /autoscaling: min \(5\) is greater than max \(2\)/ },
    { name: 'probe on an unknown port', spec: oneService({ probes: { readiness: { http: { path: '/', port: 'admin' } } } }), match: /readiness\.http\.port: unknown port "admin"/ },
    { name: 'config file with two sources', spec: oneService({ config: [{ path: '/a', content: 'x', secret: 's' }] }), match: /config\[0\]: a config file needs exactly one/ },
    { name: 'gateway without parent', spec: oneService({ expose: { type: 'gateway', host: 'a.b' } }), match: /expose\.gateway: an HTTPRoute needs a parent Gateway/ },
    { name: 'name clash', spec: oneService({}, { jobs: { svc: { image: 'x:1' } } }), match: /jobs\.svc: name "svc" is also used by services\.svc/ },
    { name: 'volume named tmp elsewhere', spec: oneService({ volumes: [{ name: 'tmp', mountPath: '/scratch', type: 'emptyDir' }] }), match: /volumes\[0\]\.name: volume name "tmp" is used by slipway/ },
    { name: 'volume named config with inline config', spec: oneService({ volumes: [{ name: 'config', mountPath: '/cfg', type: 'emptyDir' }], config: [{ path: '/etc/a', content: 'x' }] }), match: /volume name "config" is used by slipway/ },
    { name: 'unknown environment', spec: shop, env: 'staging', match: /environments: unknown environment `staging`/ },
    { name: 'missing env file', spec: oneService({}, { configMaps: { c: { envFile: 'c.env' } } }), match: /configMaps\.c\.envFile: env file "c\.env" was not provided/ },
  ])('$name', ({ spec, env, match }) => {
    const p = problems(spec, env);
    expect(p.join('\n')).toMatch(match);
  });

  it('a volume called tmp at /tmp replaces the default /tmp emptyDir', () => {
    const pod = podSpecOf(find(renderApp(oneService({ volumes: [{ name: 'tmp', mountPath: '/tmp', type: 'emptyDir', size: '1Gi' }] }), 'default').objects, 'Deployment', 'svc'));
    expect(get(pod, 'volumes')).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }]);
  });

  it('reports all problems at once', () => {
    expect(problems(oneService({ dependsOn: ['a', 'b'], autoscaling: { min: 3, max: 1 } })).length).toBe(3);
  });
});
