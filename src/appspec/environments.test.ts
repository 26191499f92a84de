import { describe, expect, it } from 'vitest';
import { InputErrors, type SlipwayError } from '../errors/index.ts';
import { environmentNames, loadSpec, mergeValues, resolveEnvironment, type AppSpec } from './index.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;

describe('mergeValues: the overlay merge rules', () => {
  it.each([
    ['maps merge key by key', { a: 1, b: 2 }, { b: 3, c: 4 }, { a: 1, b: 3, c: 4 }],
    ['maps merge recursively', { r: { requests: { cpu: '1', memory: '1Gi' } } }, { r: { requests: { cpu: '2' } } }, { r: { requests: { cpu: '2', memory: '1Gi' } } }],
    ['lists replace', { ports: [1, 2, 3] }, { ports: [4] }, { ports: [4] }],
    ['scalars replace', { replicas: 3 }, { replicas: 1 }, { replicas: 1 }],
    ['a map replaces a scalar', { image: 'x:1' }, { image: { tag: '2' } }, { image: { tag: '2' } }],
    ['a scalar replaces a map', { tls: { issuer: 'a' } }, { tls: false }, { tls: false }],
    ['null removes a key', { a: 1, autoscaling: { min: 1 } }, { autoscaling: null }, { a: 1 }],
    ['null removes a nested key', { s: { x: 1, y: 2 } }, { s: { y: null } }, { s: { x: 1 } }],
    ['null for an absent key is a no-op', { a: 1 }, { b: null }, { a: 1 }],
    ['empty overlay keeps the base', { a: { b: 1 } }, {}, { a: { b: 1 } }],
  ])('%s', (_name, base, over, want) => {
    const before = structuredClone(base);
    expect(mergeValues(base, over)).toEqual(want);
    expect(base).toEqual(before); // never mutates its input
  });

  it('shares no node with its inputs: changing the result changes neither', () => {
    const base = { s: { a: { x: [1] }, b: { y: 2 } } };
    const over = { s: { a: { z: { deep: 1 } }, c: [3] } };
    const merged = mergeValues(base, over) as { s: { a: { x: number[]; z: { deep: number } }; b: { y: number }; c: number[] } };
    merged.s.a.x.push(9);
    merged.s.a.z.deep = 9;
    merged.s.b.y = 9;
    merged.s.c.push(9);
    expect(base).toEqual({ s: { a: { x: [1] }, b: { y: 2 } } });
    expect(over).toEqual({ s: { a: { z: { deep: 1 } }, c: [3] } });
  });
});

const BASE = `app: shop
services:
  api:
    image: ghcr.io/acme/api:1.0
    replicas: 3
    ports: [{name: http, port: 8080}]
    resources: {requests: {cpu: 500m, memory: 1Gi}}
    autoscaling: {min: 3, max: 10}
    probes:
      readiness: {http: {path: /ready, port: http}}
  pinned:
    image: ghcr.io/acme/pinned:1.0@${DIGEST}
    ports: [{name: http, port: 8080}]
environments:
`;

function resolve(overlay: string, env = 'e'): AppSpec {
  return loadSpec(`${BASE}  ${env}:\n${overlay.replace(/^/gm, '    ')}\n`, 'slipway.yaml', { env });
}

describe('resolveEnvironment: overlays', () => {
  it.each([
    ['tag only (object form)', 'services: {api: {image: {tag: "2.0"}}}', 'api', { repository: 'ghcr.io/acme/api', tag: '2.0' }],
    ['full reference (string form)', 'services: {api: {image: "ghcr.io/acme/api:3.1"}}', 'api', { repository: 'ghcr.io/acme/api', tag: '3.1' }],
    ['another repository', 'services: {api: {image: "registry.local:5000/api:dev"}}', 'api', { repository: 'registry.local:5000/api', tag: 'dev' }],
    ['pull policy only', 'services: {api: {image: {pullPolicy: Always}}}', 'api', { repository: 'ghcr.io/acme/api', tag: '1.0', pullPolicy: 'Always' }],
    ['a new tag drops the base digest', 'services: {pinned: {image: {tag: "2.0"}}}', 'pinned', { repository: 'ghcr.io/acme/pinned', tag: '2.0' }],
    ['a digest keeps the tag', `services: {pinned: {image: {digest: "sha256:${'c'.repeat(64)}"}}}`, 'pinned', { repository: 'ghcr.io/acme/pinned', tag: '1.0', digest: `sha256:${'c'.repeat(64)}` }],
  ])('image: %s', (_name, overlay, svc, want) => {
    expect(resolve(overlay).services[svc]?.image).toEqual(want);
  });

  it('leaves an image the overlay does not touch as written', () => {
    expect(resolve('services: {api: {replicas: 1}}').services['api']?.image).toBe('ghcr.io/acme/api:1.0');
  });

  it.each([
    ['namespace replaces', 'namespace: shop-dev', (s: AppSpec) => s.namespace, 'shop-dev'],
    ['scalar replaces', 'services: {api: {replicas: 1}}', (s: AppSpec) => s.services['api']?.replicas, 1],
    ['maps merge', 'services: {api: {resources: {requests: {cpu: 100m}}}}', (s: AppSpec) => s.services['api']?.resources, { requests: { cpu: '100m', memory: '1Gi' } }],
    ['lists replace', 'services: {api: {ports: [{name: http, port: 9090}]}}', (s: AppSpec) => s.services['api']?.ports, [{ name: 'http', port: 9090 }]],
    ['null removes autoscaling', 'services: {api: {autoscaling: null}}', (s: AppSpec) => s.services['api']?.autoscaling, undefined],
    ['null removes a service', 'services: {pinned: null}', (s: AppSpec) => Object.keys(s.services), ['api']],
    ['labels merge', 'labels: {tier: prod}', (s: AppSpec) => s.labels, { tier: 'prod' }],
    ['environments removed', 'namespace: x', (s: AppSpec) => s.environments, undefined],
  ])('%s', (_name, overlay, pick, want) => {
    expect(pick(resolve(overlay))).toEqual(want);
  });

  it('does not change the base spec', () => {
    const spec = loadSpec(`${BASE}  e:\n    services: {api: {replicas: 1, autoscaling: null}}\n`, 'slipway.yaml');
    resolveEnvironment(spec, 'e');
    expect(spec.services['api']?.replicas).toBe(3);
    expect(spec.services['api']?.autoscaling).toEqual({ min: 3, max: 10 });
  });
});

function problemsOf(fn: () => unknown): SlipwayError[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputErrors) return [...e.problems];
    throw e;
  }
  return [];
}

describe('resolveEnvironment: problems point into the overlay', () => {
  // The overlay is `  e:` at line 15; its first line is line 16, indented 4 (keys at col 5). A
  // problem whose path is only in the base (the probe's port) points into the base.
  it.each([
    ['unknown service with did-you-mean', 'services:\n  apii: {replicas: 1}', '17:7', /overrides `apii`, which is not in the base services/, /did you mean `api`\?/],
    ['unknown key in an overlay', 'services:\n  api: {replicaz: 1}', '17:13', /unknown key `replicaz`/, /did you mean `replicas`\?/],
    ['wrong type in an overlay', 'services:\n  api: {replicas: two}', '17:23', /expected an integer/, undefined],
    ['unknown image part', 'services:\n  api: {image: {tagg: "2"}}', '17:21', /unknown key `tagg`/, /did you mean `tag`\?/],
    ['malformed image string', 'services:\n  api: {image: "Bad:1"}', '17:20', /invalid image reference/, /repository:tag/],
    ['semantic: removed port still referenced', 'services:\n  api: {ports: [{name: web, port: 80}]}', '10:46', /port `http` is not declared by api/, undefined],
    ['semantic: min > max after merge', 'services:\n  api: {autoscaling: {min: 20}}', '17:32', /min \(20\) is greater than max \(10\)/, undefined],
    ['unknown overlay field', 'replicas: 2', '16:5', /unknown key `replicas`/, undefined],
  ])('%s', (_name, overlay, at, message, hint) => {
    const found = problemsOf(() => loadSpec(`${BASE}  e:\n${overlay.replace(/^/gm, '    ')}\n`, 'slipway.yaml'));
    const p = found.find((x) => message.test(x.message));
    expect(p, found.map((x) => x.format()).join('\n')).toBeDefined();
    expect(`${p?.position?.line}:${p?.position?.col}`).toBe(at);
    if (hint !== undefined) expect(p?.hint).toMatch(hint);
  });

  it('overlay problems carry the path as written in the file', () => {
    const overlay = '    services: {api: {autoscaling: {min: 20}}}\n';
    const found = problemsOf(() => loadSpec(`${BASE}  staging:\n${overlay}  prod:\n${overlay}`, 'slipway.yaml'));
    expect(found.map((p) => [p.message, p.path, p.position?.line])).toEqual([
      ['autoscaling min (20) is greater than max (10)', 'environments.staging.services.api.autoscaling.min', 16],
      ['autoscaling min (20) is greater than max (10)', 'environments.prod.services.api.autoscaling.min', 18],
    ]);
  });

  it('problems located in the base name the environment that caused them', () => {
    const overlay = '    services: {api: {ports: [{name: web, port: 80}]}}\n';
    const found = problemsOf(() => loadSpec(`${BASE}  staging:\n${overlay}  prod:\n${overlay}`, 'slipway.yaml'));
    expect(found.map((p) => [p.message, p.path, p.position?.line])).toEqual([
      ['port `http` is not declared by api (environment staging)', 'services.api.probes.readiness.http.port', 10],
      ['port `http` is not declared by api (environment prod)', 'services.api.probes.readiness.http.port', 10],
    ]);
  });

  it('loadSpec with env checks that environment only', () => {
    const text = `${BASE}  dev:\n    services: {api: {replicas: 1}}\n  prod:\n    services: {api: {replicas: two}}\n`;
    expect(loadSpec(text, 'slipway.yaml', { env: 'dev' }).services['api']?.replicas).toBe(1);
    expect(problemsOf(() => loadSpec(text, 'slipway.yaml', { env: 'prod' })).map((p) => p.path)).toEqual(['environments.prod.services.api.replicas']);
    expect(problemsOf(() => loadSpec(text, 'slipway.yaml')).map((p) => p.path)).toEqual(['environments.prod.services.api.replicas']);
    expect(problemsOf(() => loadSpec(text, 'slipway.yaml', { env: 'qa' })).map((p) => p.message)).toEqual(['unknown environment `qa`']);
  });

  it('unknown environment lists the known ones, with did-you-mean', () => {
    const spec = loadSpec(`${BASE}  dev: {}\n  prod: {}\n`, 'slipway.yaml');
    const [p] = problemsOf(() => resolveEnvironment(spec, 'prd'));
    expect(p?.message).toBe('unknown environment `prd`');
    expect(p?.expected).toBe('one of: dev, prod');
    expect(p?.hint).toBe('did you mean `prod`?');
    expect(`${p?.position?.line}:${p?.position?.col}`).toBe('14:1');
  });

  it('an app without environments has the single environment `default`', () => {
    const spec = loadSpec(BASE.replace('environments:\n', ''), 'slipway.yaml');
    expect(environmentNames(spec)).toEqual(['default']);
    expect(resolveEnvironment(spec, 'default').services['api']?.replicas).toBe(3);
    expect(problemsOf(() => resolveEnvironment(spec, 'prod'))[0]?.expected).toBe('one of: default');
  });

  it('environment names keep file order', () => {
    const spec = loadSpec(`${BASE}  prod: {}\n  dev: {}\n  staging: {}\n`, 'slipway.yaml');
    expect(environmentNames(spec)).toEqual(['prod', 'dev', 'staging']);
  });

  it('works on a spec built in code (no positions)', () => {
    const spec: AppSpec = { app: 'a', services: { web: { image: 'x:1', replicas: 2 } }, environments: { dev: { services: { web: { replicas: 1 } } } } };
    expect(resolveEnvironment(spec, 'dev').services['web']?.replicas).toBe(1);
    const [p] = problemsOf(() => resolveEnvironment({ ...spec, environments: { dev: { services: { web: { replicas: -1 } } } } }, 'dev'));
    expect(p?.message).toMatch(/-1 is out of range/);
    expect(p?.position).toBeUndefined();
  });
});
