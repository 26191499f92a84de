import { describe, expect, it } from 'vitest';
import { stringifyYaml } from '../../manifest/index.ts';
import { environmentNames, resolveEnvironment } from '../environments.ts';
import { loadSpec } from '../load.ts';
import { importCompose } from './convert.ts';
import { scale, scaledResources, tierOf } from './scaffold.ts';

describe('tierOf: the overlay an environment name implies', () => {
  it.each([
    ['dev', 'dev'],
    ['local', 'dev'],
    ['staging', 'staging'],
    ['qa', 'staging'],
    ['eu-stage', 'staging'],
    ['preprod', 'staging'],
    ['prod', 'prod'],
    ['production', 'prod'],
    ['prod-eu', 'prod'],
    ['producer', 'dev'],
  ])('%s → %s', (env, tier) => {
    expect(tierOf(env)).toBe(tier);
  });
});

describe('scale: quantities as people write them', () => {
  it.each([
    ['100m', 0.5, 'cpu', '50m'],
    ['0.5', 2, 'cpu', '1'],
    ['250m', 2, 'cpu', '500m'],
    [2, 1, 'cpu', '2'],
    ['128Mi', 0.5, 'memory', '64Mi'],
    ['512Mi', 2, 'memory', '1Gi'],
    ['1G', 1, 'memory', '954Mi'],
    ['1Gi', 3, 'memory', '3Gi'],
  ] as const)('%s × %s (%s) = %s', (q, f, kind, want) => {
    expect(scale(q, f, kind)).toBe(want);
  });
});

describe('scaledResources', () => {
  it.each([
    { name: 'none: slipway defaults, dev at half', r: undefined, f: 0.5, want: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } } },
    { name: 'none: prod doubled', r: undefined, f: 2, want: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '512Mi' } } },
    { name: 'limits only: requests at half the limit', r: { limits: { cpu: '1', memory: '1Gi' } }, f: 1, want: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } } },
    { name: 'a request above the limit is capped', r: { requests: { memory: '1Gi' }, limits: { memory: '600Mi' } }, f: 2, want: { requests: { cpu: '200m', memory: '1200Mi' }, limits: { memory: '1200Mi' } } },
    { name: 'dev keeps the full limits', r: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '500m', memory: '1Gi' } }, f: 0.5, want: { requests: { cpu: '125m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } } },
  ])('$name', ({ r, f, want }) => {
    expect(scaledResources(r, f)).toEqual(want);
  });
});

const COMPOSE = `services:
  web:
    image: ghcr.io/acme/web:1.0
    ports: ["8080"]
    depends_on: [db]
  worker:
    image: ghcr.io/acme/web:1.0
    command: ["worker"]
    deploy:
      replicas: 3
  beat:
    image: ghcr.io/acme/web:1.0
    command: ["beat"]
    deploy:
      replicas: 1
  db:
    image: postgres:16.4
    volumes: [pg:/var/lib/postgresql/data]
  migrate:
    image: ghcr.io/acme/web:1.0
    restart: "no"
volumes:
  pg: {}
`;

/** The workloads of one environment as the spec resolves them (what render turns into objects). */
function resolved(env: string): ReturnType<typeof resolveEnvironment> {
  const r = importCompose({ text: COMPOSE, file: 'shop/docker-compose.yml', environments: ['dev', 'staging', 'prod'] });
  // Through YAML and the loader, as `slipway render` reads the written file.
  return resolveEnvironment(loadSpec(stringifyYaml(r.spec), 'slipway.yaml'), env);
}

describe('import scaffolds dev, staging and prod', () => {
  it('declares the three environments, each in its namespace', () => {
    const spec = loadSpec(stringifyYaml(importCompose({ text: COMPOSE, file: 'shop/docker-compose.yml', environments: ['dev', 'staging', 'prod'] }).spec), 'slipway.yaml');
    expect(environmentNames(spec)).toEqual(['dev', 'staging', 'prod']);
    expect(['dev', 'staging', 'prod'].map((e) => resolveEnvironment(spec, e).namespace)).toEqual(['shop-dev', 'shop-staging', 'shop-prod']);
  });

  it.each([
    // service, env → replicas, autoscaling, the REL006 waiver
    { svc: 'web', env: 'dev', replicas: 1, hpa: undefined, waived: /dev runs one replica/ },
    { svc: 'web', env: 'staging', replicas: 2, hpa: undefined, waived: undefined },
    { svc: 'web', env: 'prod', replicas: undefined, hpa: { min: 2, max: 6, cpu: 75 }, waived: undefined },
    { svc: 'worker', env: 'dev', replicas: 3, hpa: undefined, waived: undefined },
    { svc: 'worker', env: 'staging', replicas: 3, hpa: undefined, waived: undefined },
    { svc: 'worker', env: 'prod', replicas: undefined, hpa: { min: 3, max: 9, cpu: 75 }, waived: undefined },
    { svc: 'beat', env: 'prod', replicas: 1, hpa: undefined, waived: /exactly one replica/ },
    { svc: 'db', env: 'staging', replicas: undefined, hpa: undefined, waived: /PersistentVolumeClaim per replica/ },
    { svc: 'db', env: 'prod', replicas: undefined, hpa: undefined, waived: /PersistentVolumeClaim per replica/ },
  ])('$svc in $env', ({ svc, env, replicas, hpa, waived }) => {
    const s = resolved(env).services[svc];
    expect(s?.replicas).toBe(replicas);
    expect(s?.autoscaling).toEqual(hpa);
    if (waived === undefined) expect(s?.ignoreChecks?.['REL006']).toBeUndefined();
    else expect(s?.ignoreChecks?.['REL006']).toMatch(waived);
  });

  it.each([
    ['dev', { cpu: '50m', memory: '64Mi' }],
    ['staging', { cpu: '100m', memory: '128Mi' }],
    ['prod', { cpu: '200m', memory: '256Mi' }],
  ])('requests and limits per environment: %s', (env, requests) => {
    const r = resolved(env);
    expect(r.services['web']?.resources?.requests).toEqual(requests);
    expect(r.jobs?.['migrate']?.resources?.requests).toEqual(requests);
  });
});
