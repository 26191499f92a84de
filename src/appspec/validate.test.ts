import { Value } from '@sinclair/typebox/value';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { AppSpec } from './index.ts';

// schemaProblems trusts TypeBox's Value.Check to accept valid specs without compiling ajv; the two
// must agree, or an invalid spec would slip through. Edge cases of every keyword the schema uses:
const ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true }).compile(AppSpec);
const base = { app: 'shop', services: { api: { image: 'ghcr.io/acme/api:1.0' } } };
const withApi = (api: Record<string, unknown>): unknown => ({ ...base, services: { api: { ...base.services.api, ...api } } });

describe('Value.Check agrees with ajv on the AppSpec schema', () => {
  it.each([
    ['valid minimal', base],
    ['integer with fraction', withApi({ replicas: 1.5 })],
    ['negative integer', withApi({ replicas: -1 })],
    ['quantity number', withApi({ resources: { requests: { cpu: 0.5 } } })],
    ['negative quantity number', withApi({ resources: { requests: { cpu: -1 } } })],
    ['quantity string', withApi({ resources: { requests: { memory: '1.5Gi' } } })],
    ['bad quantity string', withApi({ resources: { requests: { memory: '1.5 GB' } } })],
    ['exclusiveMinimum 0', withApi({ slo: { successRate: 0 } })],
    ['maximum 100', withApi({ slo: { successRate: 100 } })],
    ['over maximum', withApi({ slo: { successRate: 100.1 } })],
    ['env key pattern', withApi({ env: { '1BAD': 'x' } })],
    ['env key ok', withApi({ env: { _OK: 'x', 'a.b-c': 1, FLAG: true } })],
    ['record key not a name', { ...base, services: { ...base.services, Bad: { image: 'x:1' } } }],
    ['app name too long', { ...base, app: 'a'.repeat(64) }],
    ['empty tag', withApi({ image: { repository: 'x', tag: '' } })],
    ['bad digest', withApi({ image: { repository: 'x', digest: 'sha256:abc' } })],
    ['unknown key', withApi({ replicaz: 1 })],
    ['literal false probe', withApi({ probes: { liveness: false } })],
    ['literal true probe', withApi({ probes: { liveness: true } })],
    ['union string dependency', withApi({ dependsOn: ['redis', { service: 'redis', port: 'resp' }] })],
    ['union bad dependency', withApi({ dependsOn: [{ service: 'redis', prot: 1 }] })],
    ['port out of range', withApi({ ports: [{ name: 'http', port: 70000 }] })],
    ['minItems', withApi({ strategy: { canary: { steps: [] } } })],
    ['duration pattern', withApi({ metrics: { interval: '15 s' } })],
    ['percent string', withApi({ strategy: { maxSurge: '25%' } })],
    ['bad percent', withApi({ strategy: { maxSurge: '25' } })],
    ['environment overlay unknown', { ...base, environments: { dev: { anything: 1 } } }],
    ['environment overlay free-form service', { ...base, environments: { dev: { services: { api: { whatever: 1 } } } } }],
    ['infinite integer (YAML 1e400)', withApi({ replicas: Infinity })],
    ['infinite quantity number', withApi({ resources: { requests: { cpu: Infinity } } })],
    ['NaN env value', withApi({ env: { A: NaN } })],
    ['int32 overflow', withApi({ replicas: 2147483648 })],
    ['int32 max', withApi({ replicas: 2147483647 })],
    ['int64 field beyond exact integers', withApi({ terminationGracePeriodSeconds: 1e300 })],
    ['null', null],
    ['array', []],
  ])('%s', (_name, value) => {
    expect(Value.Check(AppSpec, value)).toBe(ajv(value));
  });
});
