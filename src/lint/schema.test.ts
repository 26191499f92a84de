import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { schemaSet } from './schema.ts';

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
