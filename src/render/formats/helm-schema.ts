import { isRecord } from '../../manifest/index.ts';
import {  } from './common.ts';
import { getAt } from './helm-sites.ts';

/** One key of values.yaml and what kind of value it holds. */
export interface ValueShape {
  readonly key: readonly string[];
  /** `any`: typed from the values the environments actually use. */
  readonly kind: 'boolean' | 'image-tag' | 'image-digest' | 'any';
}

type Schema = Record<string, unknown>;

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (isRecord(v)) return 'object';
  return typeof v;
}

const imageSchema = (second: 'tag' | 'digest'): Schema => ({
  type: 'object',
  properties: {
    repository: { type: 'string', minLength: 1, description: 'Image repository, e.g. ghcr.io/acme/api.' },
    [second]: { type: 'string', minLength: 1, description: second === 'tag' ? 'Image tag.' : 'Image digest (sha256:…).' },
  },
  required: ['repository', second],
  additionalProperties: false,
});

function leafSchema(shape: ValueShape, samples: readonly unknown[]): Schema {
  if (shape.kind === 'boolean') return { type: 'boolean' };
  if (shape.kind === 'image-tag') return imageSchema('tag');
  if (shape.kind === 'image-digest') return imageSchema('digest');
  const types = [...new Set(samples.filter((s) => s !== undefined).map(jsonType))].sort();
  // An integer in one environment and a fraction in another is a number.
  const merged = types.includes('number') ? types.filter((t) => t !== 'integer') : types;
  return merged.length === 1 ? { type: merged[0] } : { type: merged };
}

/**
 * A strict JSON Schema for the chart's values: every structural level closed
 * (`additionalProperties: false`, all keys required), leaves typed from the values in use. Helm
 * validates values (defaults merged with -f files) against it before rendering, so a misspelled
 * key in a values file is an error rather than silently ignored.
 * @see https://helm.sh/docs/topics/charts/#schema-files
 */
export function valuesSchema(shapes: readonly ValueShape[], variants: readonly Record<string, unknown>[]): Schema {
  const root: Schema = { $schema: 'https://json-schema.org/draft-07/schema#', title: 'values', ...objectNode() };
  for (const shape of shapes) {
    let node = root;
    shape.key.forEach((seg, i) => {
      const props = node['properties'] as Record<string, Schema>;
      const required = node['required'] as string[];
      if (!required.includes(seg)) required.push(seg);
      if (i === shape.key.length - 1) {
        props[seg] ??= leafSchema(shape, variants.map((v) => getAt(v, shape.key)));
        return;
      }
      props[seg] ??= objectNode();
      node = props[seg];
    });
  }
  sortRequired(root);
  return root;
}

function objectNode(): Schema {
  return { type: 'object', properties: {}, required: [], additionalProperties: false };
}

function sortRequired(node: Schema): void {
  const required = node['required'];
  if (Array.isArray(required)) required.sort();
  const props = node['properties'];
  if (isRecord(props)) for (const child of Object.values(props)) if (isRecord(child)) sortRequired(child);
}
