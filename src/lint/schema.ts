/**
 * Offline schema validation: Kubernetes v1.34 OpenAPI (generated from a real apiserver by
 * scripts/gen-schemas.ts) plus CRD structural schemas (bundled ones and `--crd` files), compiled
 * lazily per kind with ajv.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { inputError } from '../errors/index.ts';
import { standaloneEsm } from '../appspec/index.ts';
import type { FieldPath, KubeObject } from '../manifest/index.ts';
import k8sSchema from './schemas/k8s.json' with { type: 'json' };
import bundledCrds from './schemas/crds.json' with { type: 'json' };
import { VALIDATORS } from './schemas/validators.generated.js';
import { QUANTITY_PATTERN } from '../manifest/index.ts';
import type { CrdSchemaSource } from './types.ts';
import { isRecord } from '../manifest/index.ts';
import { arr, rec, str, type Rec } from './util.ts';

// Absolute ids, so refs from CRD schemas into the Kubernetes ones resolve unambiguously.
const BASE = 'https://schemas.slipway.invalid';
const K8S_ID = `${BASE}/k8s.json`;
const OBJECT_META = `${K8S_ID}#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;

export interface SchemaIssue {
  readonly path: FieldPath;
  readonly message: string;
  readonly hint: string;
}

type Json = unknown;

/** CRD openAPIV3Schema → JSON Schema ajv understands, closed to unknown fields like the apiserver. */
function convertStructural(node: Json, root: boolean): Json {
  if (Array.isArray(node)) return node.map((n) => convertStructural(n, false));
  if (!isRecord(node)) return node;
  if (node['x-kubernetes-int-or-string'] === true) return { type: ['integer', 'string'] };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'description' || k === 'default' || k === 'example' || k.startsWith('x-kubernetes-')) continue;
    if (k === 'format' && v !== 'byte' && v !== 'date-time') continue;
    if (k === 'properties' && isRecord(v)) {
      const props: Record<string, unknown> = {};
      for (const [pk, pv] of Object.entries(v)) props[pk] = root && pk === 'metadata' ? { $ref: OBJECT_META } : convertStructural(pv, false);
      out[k] = props;
    } else if (k === 'items' || k === 'additionalProperties' || k === 'not') {
      out[k] = convertStructural(v, false);
    } else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
      out[k] = arr(v).map((x) => convertStructural(x, false));
    } else {
      out[k] = v;
    }
  }
  if (root) out['properties'] = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: OBJECT_META }, ...rec(out['properties']) };
  return closeObject(out, node['x-kubernetes-preserve-unknown-fields'] === true);
}

/** Objects with declared properties reject unknown fields, unless the CRD preserves them. */
function closeObject(out: Record<string, unknown>, preserveUnknown: boolean): Record<string, unknown> {
  if (!preserveUnknown && out['additionalProperties'] === undefined && isRecord(out['properties'])) out['additionalProperties'] = false;
  return out;
}

/** A compiled set of schemas: the bundled Kubernetes ones plus any CRDs. */
export class SchemaSet {
  private readonly ajv: Ajv;
  private readonly kinds = new Map<string, string>();
  private readonly cache = new Map<string, ValidateFunction | undefined>();

  constructor(crds: readonly CrdSchemaSource[]) {
    // Compiling the PodSpec tree is the largest fixed cost of a lint run (every CLI process pays
    // it). ajv's optimisation passes over the generated code take ~30% of that and save only a few
    // µs per validated object, so they are off: a net gain below ~100,000 objects per process.
    this.ajv = k8sAjv(false);
    for (const [gvk, def] of Object.entries(k8sSchema.kinds as Record<string, string>)) this.kinds.set(gvk, `${K8S_ID}#/definitions/${def}`);
    for (const crd of bundledCrds as unknown[]) this.addCrd(rec(crd), 'bundled CRDs');
    for (const crd of crds) this.addCrd(crd.object, crd.file ?? '<crd>');
  }

  private addCrd(crd: Rec, file: string): void {
    const spec = rec(crd['spec']);
    const group = str(spec['group']);
    const kind = str(rec(spec['names'])['kind']);
    if (crd['kind'] !== 'CustomResourceDefinition' || group === undefined || kind === undefined) {
      throw inputError(`${file}: not a CustomResourceDefinition`, {
        cause: crd,
        expected: 'apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition with spec.group and spec.names.kind',
        hint: 'pass CRD manifests to --crd',
      });
    }
    for (const v of arr(spec['versions'])) {
      const name = str(rec(v)['name']);
      const schema = rec(rec(v)['schema'])['openAPIV3Schema'];
      if (name === undefined || !isRecord(schema)) continue;
      const id = `${BASE}/crd/${group}/${name}/${kind}.json`;
      if (this.ajv.getSchema(id) === undefined) {
        try {
          this.ajv.addSchema(convertStructural(schema, true) as object, id);
        } catch (e) {
          throw inputError(`${file}: CRD ${kind} ${name} has an invalid schema: ${e instanceof Error ? e.message : String(e)}`, { cause: e, hint: 'check spec.versions[].schema.openAPIV3Schema' });
        }
      }
      this.kinds.set(`${group}/${name}/${kind}`, id);
    }
  }

  /** Issues for `o`, or `undefined` when there is no schema for its apiVersion/kind. */
  validate(o: KubeObject): SchemaIssue[] | undefined {
    const key = `${o.apiVersion}/${o.kind}`;
    let fn = this.cache.get(key);
    if (!this.cache.has(key)) {
      const ref = this.kinds.get(key);
      fn = ref === undefined ? undefined : (VALIDATORS[key] ?? this.ajv.getSchema(ref));
      this.cache.set(key, fn);
    }
    return fn === undefined ? undefined : issuesOf(fn, o);
  }
}

/** The ajv instance holding the Kubernetes schema; `source` keeps generated code for standalone output. */
function k8sAjv(source: boolean): Ajv {
  // Compiling the PodSpec tree is the largest fixed cost of a lint run (every CLI process pays
  // it). ajv's optimisation passes over the generated code take ~30% of that and save only a few
  // µs per validated object, so they are off: a net gain below ~100,000 objects per process.
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, validateSchema: false, code: { optimize: false, ...(source ? { source: true, esm: true } : {}) } });
  // ajv-formats is CommonJS: under NodeNext its callable is the `.default` of the module object.
  ajvFormats.default(ajv, ['byte', 'date-time']);
  ajv.addSchema({ ...k8sSchema, $id: K8S_ID });
  return ajv;
}

/**
 * The source of `schemas/validators.generated.js`: every bundled Kubernetes kind's validator,
 * compiled ahead of time with ajv's standalone code generation (written by
 * `node scripts/gen-validators.ts`; a unit test checks it is current). Why: compiling the
 * PodSpec tree at run time cost every CLI process ~200 ms, most of a no-op deploy; loading the
 * compiled module takes ~10–40 ms. The same options as at run time, so errors are identical.
 */
export function standaloneValidatorsSource(): string {
  const ajv = k8sAjv(true);
  const kinds = Object.entries(k8sSchema.kinds as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const refs = Object.fromEntries(kinds.map(([, def], i) => [`v${String(i)}`, `${K8S_ID}#/definitions/${def}`]));
  const table = kinds.map(([gvk], i) => `  ${JSON.stringify(gvk)}: v${String(i)},`).join('\n');
  const code = standaloneEsm(ajv, refs, 'Generated by `node scripts/gen-validators.ts` from src/lint/schemas/k8s.json with ajv standalone code.');
  return `${code}export const VALIDATORS = {\n${table}\n};\n`;
}

/** Validates `o` with a validator compiled at run time, never the precompiled one (for tests). */
export function runtimeValidate(o: KubeObject): SchemaIssue[] | undefined {
  const def = (k8sSchema.kinds as Record<string, string | undefined>)[`${o.apiVersion}/${o.kind}`];
  if (def === undefined) return undefined;
  const fn = k8sAjv(false).getSchema(`${K8S_ID}#/definitions/${def}`);
  return fn === undefined ? undefined : issuesOf(fn, o);
}

function issuesOf(fn: ValidateFunction, o: KubeObject): SchemaIssue[] {
  const data = needsCopy(o) ? withoutNulls(o) : o;
  return fn(data) ? [] : toIssues(fn.errors ?? [], data);
}

let bundled: SchemaSet | undefined;
/** The bundled schemas, compiled once per process (compilation dominates small lint runs). */
export function schemaSet(crds: readonly CrdSchemaSource[]): SchemaSet {
  if (crds.length > 0) return new SchemaSet(crds);
  bundled ??= new SchemaSet([]);
  return bundled;
}

/**
 * Would {@link withoutNulls} give ajv anything different from `v` itself? Almost never: copying
 * every object was the largest cost of validation. Besides nulls, the copy also drops a
 * `__proto__` key and turns non-plain objects into plain ones, so those still take the copy.
 */
function needsCopy(v: unknown): boolean {
  if (Array.isArray(v)) return v.some((x) => needsCopy(x));
  if (!isRecord(v)) return false;
  if (Object.getPrototypeOf(v) !== Object.prototype) return true;
  for (const k of Object.keys(v)) {
    const val = v[k];
    if (val === null || k === '__proto__' || needsCopy(val)) return true;
  }
  return false;
}

/** `field: null` means "unset" to the apiserver; drop such entries instead of flagging a type error. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) if (val !== null) out[k] = withoutNulls(val);
  return out;
}

function toPath(instancePath: string, data: unknown): (string | number)[] {
  const out: (string | number)[] = [];
  let cur = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i] as unknown;
    } else {
      out.push(seg);
      cur = rec(cur)[seg];
    }
  }
  return out;
}

function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) {
      best = o;
      bestD = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** A value in a message, cut at 80 characters: the value may be a whole subtree of the input. */
const show = (v: unknown): string => {
  const s = typeof v === 'string' ? `"${v}"` : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};
const dotted = (p: FieldPath): string => p.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');

function issueFor(e: ErrorObject, data: unknown): SchemaIssue | undefined {
  const path = toPath(e.instancePath, data);
  const params = e.params as Record<string, unknown>;
  const parent = rec(e.parentSchema);
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String(params['additionalProperty']);
      const allowed = Object.keys(rec(parent['properties']));
      const guess = closest(field, allowed);
      const hint = guess !== undefined ? `did you mean "${guess}"?` : `remove it; known fields here: ${allowed.slice(0, 12).join(', ')}${allowed.length > 12 ? ', …' : ''}`;
      return { path: [...path, field], message: `unknown field "${dotted([...path, field])}"`, hint };
    }
    case 'required': {
      const field = String(params['missingProperty']);
      return { path: [...path, field], message: `missing required field "${dotted([...path, field])}"`, hint: `add ${field}` };
    }
    case 'type':
      return { path, message: `${dotted(path)}: expected ${String(params['type']).replace(',', ' or ')}, got ${show(e.data)}`, hint: `expected type: ${String(params['type']).replace(',', ' or ')}` };
    case 'pattern':
      if (parent['pattern'] === QUANTITY_PATTERN) return { path, message: `${dotted(path)}: ${show(e.data)} is not a valid quantity`, hint: 'use a Kubernetes quantity such as 250m, 1.5, 512Mi or 2Gi (binary suffixes Ki/Mi/Gi, decimal k/M/G)' };
      return { path, message: `${dotted(path)}: ${show(e.data)} does not match ${String(params['pattern'])}`, hint: 'fix the value format' };
    case 'enum':
      return { path, message: `${dotted(path)}: ${show(e.data)} is not one of ${arr(params['allowedValues']).map(show).join(', ')}`, hint: 'use one of the allowed values (they are case-sensitive)' };
    case 'format':
      return { path, message: `${dotted(path)}: ${show(e.data)} is not valid ${String(params['format'])}`, hint: params['format'] === 'byte' ? 'Secret data must be base64; use stringData for plain text' : 'fix the value format' };
    case 'anyOf':
    case 'oneOf':
    case 'if':
      return undefined;
    default:
      return { path, message: `${dotted(path) || '(object)'}: ${e.message ?? e.keyword}`, hint: 'fix the value to match the schema' };
  }
}

function toIssues(errors: readonly ErrorObject[], data: unknown): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const issue = issueFor(e, data);
    if (!issue) continue;
    const key = `${issue.path.join('/')}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}
