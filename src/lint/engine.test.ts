/* eslint-disable no-restricted-imports -- createRequire loads the SARIF JSON schema from a devDependency (its exports map has no JSON entry); the engine under test stays pure */
import { createRequire } from 'node:module';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { isSlipwayError } from '../errors/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import { appYaml, parse } from './fixture.test-util.ts';
import { formatExplain, formatJson, formatList, formatSarif, formatText, textChunks, lintObjects, listRules, mergeResults, parseLintConfig, parseQuantity, toSarif } from './index.ts';

const require = createRequire(import.meta.url);
// Both packages are CommonJS: under NodeNext the class/plugin is the module's `.default`.
function sarifValidator(): InstanceType<typeof ajvDraft04.default> {
  const ajv = new ajvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  ajvFormats.default(ajv, ['uri', 'uri-reference', 'date-time']);
  return ajv;
}
// The schema has a pattern that is invalid as a unicode regexp (a stray `]`), hence unicodeRegExp: false below.
const sarifSchema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;

const bad = appYaml({
  replace: [
    ['readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'],
    ['  replicas: 3', '  replicass: 3'],
  ],
});

describe('config', () => {
  it.each([
    { name: 'disable by id', config: { disable: ['SEC020'] }, rule: 'SEC020', expected: undefined },
    { name: 'disable by name', config: { disable: ['read-only-root-fs'] }, rule: 'SEC020', expected: undefined },
    { name: 're-grade', config: { rules: { SEC020: 'error' } }, rule: 'SEC020', expected: 'error' },
    { name: 'off', config: { rules: { 'schema-invalid': 'off' } }, rule: 'SCH001', expected: undefined },
    { name: 'default', config: {}, rule: 'SEC020', expected: 'warning' },
  ] as const)('$name', ({ config, rule, expected }) => {
    const f = lintObjects(parse(bad), { config: parseLintConfig(config, '.slipway-lint.yaml') }).findings.find((x) => x.ruleId === rule);
    expect(f?.severity).toBe(expected);
  });

  it.each([
    { value: { disable: ['SEC999'] }, message: /unknown rule "SEC999"/ },
    { value: { rules: { SEC020: 'fatal' } }, message: /invalid severity/ },
    { value: { rule: {} }, message: /unknown key "rule"/ },
    { value: [1], message: /must be a mapping/ },
  ])('rejects $value', ({ value, message }) => {
    let err: unknown;
    try {
      parseLintConfig(value, 'c.yaml');
    } catch (e) {
      err = e;
    }
    expect(isSlipwayError(err) && err.kind === 'input').toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('YAML 1.1 bare off (false) means off', () => {
    expect(parseLintConfig({ rules: { SEC020: false } }, 'c.yaml').rules).toEqual({ SEC020: 'off' });
  });
});

describe('opt-out annotations', () => {
  it.each([
    { name: 'with reason: silenced, no CFG001', value: '"writes cache; OPS-12"', sec020: 0, cfg001: 0 },
    { name: 'without reason: silenced, but CFG001', value: '""', sec020: 0, cfg001: 1 },
  ])('$name', ({ value, sec020, cfg001 }) => {
    const text = bad.replace('  name: web\n  namespace: shop\nspec:', `  name: web\n  namespace: shop\n  annotations: {ignore-check.slipway.dev/read-only-root-fs: ${value}}\nspec:`);
    const ids = lintObjects(parse(text)).findings.map((f) => f.ruleId);
    expect(ids.filter((i) => i === 'SEC020')).toHaveLength(sec020);
    expect(ids.filter((i) => i === 'CFG001')).toHaveLength(cfg001);
  });
});

describe('objects without positions (render output)', () => {
  it('lints bare KubeObjects and carries file/context from documents', () => {
    const objs = parse(bad).map((d) => d.object);
    const bare = lintObjects(objs).findings.find((f) => f.ruleId === 'SCH001');
    expect(bare?.position).toBeUndefined();
    expect(bare?.path).toEqual(['spec', 'replicass']);
    const docs = objs.map((object: KubeObject) => ({ object, file: 'slipway.yaml', context: 'env prod' }));
    const withCtx = lintObjects(docs).findings.find((f) => f.ruleId === 'SCH001');
    expect(withCtx).toMatchObject({ file: 'slipway.yaml', context: 'env prod' });
    expect(formatText(lintObjects(docs))).toContain('slipway.yaml (env prod): Deployment/shop/web:spec.replicass: error SCH001');
  });

  it('null fields are unset, not type errors (kubectl output has creationTimestamp: null)', () => {
    const text = appYaml({ replace: [['metadata: {name: web, namespace: shop}\n---\napiVersion: apps/v1', 'metadata: {name: web, namespace: shop, creationTimestamp: null}\n---\napiVersion: apps/v1']] });
    expect(lintObjects(parse(text)).findings).toEqual([]);
  });

  it('schema: false skips validation', () => {
    expect(lintObjects(parse(bad), { schema: false }).findings.map((f) => f.ruleId)).not.toContain('SCH001');
  });
});

describe('CRDs', () => {
  const crd = parse(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
                port: {x-kubernetes-int-or-string: true}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
`)[0]!.object;
  it.each([
    { spec: '{size: 3, port: http, extra: {anything: 1}}', ids: [] },
    { spec: '{size: "3"}', ids: ['SCH001'] },
    { spec: '{sise: 3}', ids: ['SCH001'] },
  ])('--crd validates custom resources: $spec', ({ spec, ids }) => {
    const docs = parse(`apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: ${spec}\n`);
    expect(lintObjects(docs, { crds: [{ object: crd }] }).findings.map((f) => f.ruleId)).toEqual(ids);
    expect(lintObjects(docs).findings.map((f) => f.ruleId)).toEqual(['SCH002']);
  });

  it('rejects a --crd that is not a CRD as input error', () => {
    expect(() => lintObjects([], { crds: [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } }] })).toThrow(/not a CustomResourceDefinition/);
  });
});

describe('schema messages', () => {
  it.each([
    { from: '  replicas: 3', to: '  replicass: 3', message: 'unknown field "spec.replicass"', hint: 'did you mean "replicas"?' },
    { from: 'memory: 256Mi}}', to: 'memory: 256MB}}', message: '"256MB" is not a valid quantity', hint: /quantity such as/ },
    { from: 'containerPort: 8080}', to: 'containerPort: "8080"}', message: 'expected integer, got "8080"', hint: /integer/ },
  ])('$to', ({ from, to, message, hint }) => {
    const f = lintObjects(parse(appYaml({ replace: [[from, to]] }))).findings.find((x) => x.ruleId === 'SCH001');
    expect(f?.message).toContain(message);
    expect(f?.hint).toMatch(hint);
  });
});

describe('output', () => {
  const result = lintObjects(parse(bad));

  it('SARIF 2.1.0 validates against the official schema and carries rule metadata', () => {
    const validate = sarifValidator().compile(sarifSchema);
    const log = toSarif(result, '0.1.0');
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const run = log.runs[0]!;
    expect(run.results?.length).toBe(result.findings.length);
    const r = run.results?.find((x) => x.ruleId === 'SCH001');
    expect(r?.locations?.[0]?.physicalLocation?.region).toEqual({ startLine: 11, startColumn: 3 });
    const rule = run.tool.driver.rules?.[r?.ruleIndex ?? -1];
    expect(rule?.id).toBe('SCH001');
    expect(rule?.help?.text).toContain('Fix:');
  });

  it('SARIF for objects without positions is valid too', () => {
    const ajv = sarifValidator();
    const log = toSarif(lintObjects(parse(bad).map((d) => ({ object: d.object, file: 'app/slipway.yaml', context: 'env dev' }))), '0.1.0');
    expect(ajv.validate(sarifSchema, log), JSON.stringify(ajv.errors)).toBe(true);
  });

  it('JSON has counts and findings', () => {
    const j = JSON.parse(formatJson(result)) as { counts: { error: number }; findings: unknown[] };
    expect(j.counts.error).toBe(result.counts.error);
    expect(j.findings).toHaveLength(result.findings.length);
  });

  // The formats are written in chunks (memory, issue 14 item 5): byte for byte what one
  // JSON.stringify of the whole value writes, with and without findings.
  it.each([
    { name: 'findings', r: result },
    { name: 'no findings', r: lintObjects([]) },
  ])('JSON and SARIF in chunks equal one JSON.stringify ($name)', ({ r }) => {
    expect(formatJson(r)).toBe(`${JSON.stringify({ objects: r.objects, counts: r.counts, findings: r.findings }, null, 2)}\n`);
    expect(formatSarif(r, '0.1.0')).toBe(`${JSON.stringify(toSarif(r, '0.1.0'), null, 2)}\n`);
    expect([...textChunks(r)].join('')).toBe(formatText(r));
  });

  it('text names file:line:col, severity, rule and object', () => {
    expect(formatText(result)).toContain('t.yaml:11:3: error SCH001 (schema-invalid) unknown field "spec.replicass" [Deployment/shop/web]');
  });

  it('--list and --explain cover every rule', () => {
    const rules = listRules();
    expect(rules.length).toBeGreaterThanOrEqual(40);
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(formatList(rules).trim().split('\n')).toHaveLength(rules.length);
    for (const r of rules) expect(formatExplain(r)).toContain(r.url);
  });

  it('mergeResults adds counts', () => {
    const m = mergeResults([result, result]);
    expect(m.counts.error).toBe(2 * result.counts.error);
    expect(m.objects).toBe(2 * result.objects);
  });
});

describe('quantities', () => {
  it.each([
    ['500m', 0.5],
    ['1Gi', 2 ** 30],
    ['1.5', 1.5],
    ['2k', 2000],
    ['1e3', 1000],
    [4, 4],
    ['1GB', undefined],
    ['abc', undefined],
  ] as const)('%s → %s', (q, v) => {
    expect(parseQuantity(q)).toBe(v);
  });
});
