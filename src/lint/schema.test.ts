/* eslint-disable no-restricted-imports -- the staleness check reads the committed generated file; schema.ts stays pure */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { readFileSync } from 'node:fs';
import { runtimeValidate, schemaSet, standaloneValidatorsSource } from './schema.ts';

// Validation skips copying objects that have nothing to drop; these pin what the copy drops.
describe('schema validation input', () => {
  const cm = (json: string): KubeObject => JSON.parse(`{"apiVersion": "v1", "kind": "ConfigMap", ${json}}`) as KubeObject;
  it.each([
    { what: 'plain object', o: cm('"metadata": {"name": "c"}, "data": {"k": "v"}'), paths: [] },
    { what: 'null field is unset', o: cm('"metadata": {"name": "c", "creationTimestamp": null}'), paths: [] },
    { what: 'null nested in a list item is unset', o: cm('"metadata": {"name": "c", "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u", "controller": null}]}'), paths: [] },
    { what: 'null list item stays (and is a type error)', o: cm('"metadata": {"name": "c", "finalizers": [null]}'), paths: ['metadata/finalizers/0'] },
    { what: 'a __proto__ key is dropped', o: cm('"metadata": {"name": "c", "__proto__": "x"}'), paths: [] },
    { what: 'wrong type', o: cm('"metadata": {"name": "c"}, "data": {"k": 1}'), paths: ['data/k'] },
  ])('$what', ({ o, paths }) => {
    expect(schemaSet([]).validate(o)?.map((i) => i.path.join('/'))).toEqual(paths);
  });
});

describe('precompiled validators', () => {
  it('schemas/validators.generated.js is current (else run `node scripts/gen-validators.ts`)', () => {
    const committed = readFileSync(new URL('./schemas/validators.generated.js', import.meta.url), 'utf8');
    expect(committed === standaloneValidatorsSource(), 'stale: run `node scripts/gen-validators.ts`').toBe(true);
  });

  // The same objects through the precompiled and the run-time compiled validator give the same issues.
  const deployment = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec });
  const pod = { containers: [{ name: 'a', image: 'i', resources: { limits: { memory: '1Gi' } } }] };
  it.each([
    { what: 'valid', o: deployment({ selector: { matchLabels: { a: 'b' } }, template: { spec: pod } }) },
    { what: 'unknown field', o: deployment({ replicass: 1, selector: {}, template: { spec: pod } }) },
    { what: 'wrong type', o: deployment({ replicas: 'two', selector: {}, template: { spec: pod } }) },
    { what: 'bad quantity', o: deployment({ selector: {}, template: { spec: { containers: [{ name: 'a', image: 'i', resources: { limits: { memory: '1 GB' } } }] } } }) },
    { what: 'missing required', o: deployment({ template: { spec: { containers: [{ image: 'i' }] } } }) },
    { what: 'a Service', o: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 'http' }] } } },
  ] satisfies { what: string; o: KubeObject }[])('$what: same issues as compiling at run time', ({ o }) => {
    const precompiled = schemaSet([]).validate(o);
    // A CRD makes a fresh SchemaSet; its Kubernetes kinds still come from the same table, so
    // compare against ajv compiling the schema itself.
    const runtime = runtimeValidate(o);
    expect(precompiled).toEqual(runtime);
    if (o.metadata.name === 'd' && JSON.stringify(o).includes('replicass')) expect(precompiled?.length).toBeGreaterThan(0);
  });
});
