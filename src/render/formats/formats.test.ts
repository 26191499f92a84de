/* eslint-disable no-restricted-imports, no-restricted-globals -- the test reads example specs and golden files from disk, and rewrites them under UPDATE_GOLDEN=1 (process.env); the formats under test stay pure */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../../manifest/index.ts';
import { loadSpec } from '../../appspec/index.ts';
import { deriveSegments, derivedExpr } from './helm-derive.ts';
import { diffSites, EXTRA, type DiffSite } from './helm-sites.ts';
import { mergePatch, valuesRef } from './helm.ts';
import { formatInputFor, toHelmChart, toKustomize, type FormatInput } from './index.ts';

const root = resolve(import.meta.dirname, '../../..');
const goldenDir = join(import.meta.dirname, 'testdata', 'golden');

const cm = (name: string, ns: string, data: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
  ...extra,
});
const input = (base: KubeObject[], envs: Record<string, KubeObject[]>): FormatInput => ({
  app: 'demo',
  base,
  environments: new Map(Object.entries(envs)),
});
const yamlOf = (files: ReadonlyMap<string, string>, path: string): unknown => parse(files.get(path) ?? 'null');

describe('mergePatch (values-<env>.yaml over values.yaml)', () => {
  it.each([
    { name: 'equal', from: { a: 1 }, to: { a: 1 }, want: undefined },
    { name: 'changed scalar', from: { a: 1, b: 2 }, to: { a: 1, b: 3 }, want: { b: 3 } },
    { name: 'nested change', from: { a: { x: 1, y: 2 } }, to: { a: { x: 1, y: 5 } }, want: { a: { y: 5 } } },
    { name: 'removed key → null', from: { a: { x: 1, y: 2 } }, to: { a: { x: 1 } }, want: { a: { y: null } } },
    { name: 'added key', from: { a: {} }, to: { a: { z: 'on' } }, want: { a: { z: 'on' } } },
    { name: 'list replaced whole', from: { l: [1, 2] }, to: { l: [1] }, want: { l: [1] } },
  ])('$name', ({ from, to, want }) => {
    expect(mergePatch(from, to)).toEqual(want);
  });
});

describe('deriveSegments (strings built from namespace/instance/environment)', () => {
  const tokens = new Map([
    ['@base', { namespace: 'every', instance: 'everything-default', environment: 'default' }],
    ['dev', { namespace: 'every-dev', instance: 'everything-dev', environment: 'dev' }],
  ]);
  it.each([
    { name: 'just the namespace', base: 'every', dev: 'every-dev', want: '{{ .Values.namespace | quote }}' },
    { name: 'namespace inside text', base: 'ns="every"', dev: 'ns="every-dev"', want: '{{ printf "ns=\\"%[1]s\\"" .Values.namespace | quote }}' },
    { name: 'app name is not the namespace', base: 'everything (default)', dev: 'everything (dev)', want: '{{ printf "everything (%[1]s)" .Values.environment | quote }}' },
    { name: 'percent escaped', base: '100% every', dev: '100% every-dev', want: '{{ printf "100%% %[1]s" .Values.namespace | quote }}' },
    { name: 'not derivable', base: 'a', dev: 'b', want: undefined },
  ])('$name', ({ base, dev, want }) => {
    const segs = deriveSegments(new Map([['@base', base], ['dev', dev]]), tokens);
    expect(segs === undefined ? undefined : derivedExpr(segs, (t) => valuesRef([t]))).toEqual(want);
  });
});

describe('diffSites', () => {
  it.each([
    { name: 'equal → none', values: [{ a: 1 }, { a: 1 }], want: [] },
    { name: 'leaf', values: [{ a: 1, b: 1 }, { a: 2, b: 1 }], want: [{ path: ['a'] }] },
    { name: 'optional key → EXTRA site', values: [{ a: 1 }, { a: 1, t: 'dev' }], want: [{ path: [EXTRA], optional: ['t'] }] },
    { name: 'no shared key → whole map', values: [{ x: 1 }, { y: 1 }], want: [{ path: [] }] },
    { name: 'list length differs → whole list', values: [{ l: [1] }, { l: [1, 2] }], want: [{ path: ['l'] }] },
    { name: 'same length → per item', values: [{ l: [1, 2] }, { l: [1, 3] }], want: [{ path: ['l', 1] }] },
  ])('$name', ({ values, want }) => {
    const out: DiffSite[] = [];
    diffSites(values, [], out);
    expect(out).toEqual(want);
  });
});

describe('valuesRef', () => {
  it.each([
    { key: ['namespace'], want: '.Values.namespace' },
    { key: ['services', 'api', 'replicas'], want: '.Values.services.api.replicas' },
    { key: ['services', 'order-api', 'replicas'], want: '(index .Values "services" "order-api" "replicas")' },
  ])('$want', ({ key, want }) => {
    expect(valuesRef(key)).toBe(want);
  });
});

describe('toKustomize', () => {
  it('sets namespace: when only the namespace differs, without patches', () => {
    const files = toKustomize(input([cm('a', 'demo', { k: 'v' })], { prod: [cm('a', 'demo-prod', { k: 'v' })] }));
    expect(yamlOf(files, 'overlays/prod/kustomization.yaml')).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: 'demo-prod',
      resources: ['../../base'],
    });
  });
  it('deletes base-only objects, adds env-only ones, patches field changes', () => {
    const files = toKustomize(
      input([cm('a', 'demo', { k: 'v' }), cm('gone', 'demo', {})], { dev: [cm('a', 'demo', { k: 'w' }), cm('new', 'demo', { n: '1' })] }),
    );
    expect(yamlOf(files, 'overlays/dev/kustomization.yaml')).toMatchObject({
      resources: ['../../base', 'resources/configmap-new.yaml'],
      patches: [
        { path: 'patches/configmap-a.yaml', target: { version: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'demo' } },
        { path: 'patches/delete-configmap-gone.yaml' },
      ],
    });
    expect(yamlOf(files, 'overlays/dev/patches/configmap-a.yaml')).toEqual([{ op: 'replace', path: '/data/k', value: 'w' }]);
    expect(yamlOf(files, 'overlays/dev/patches/delete-configmap-gone.yaml')).toMatchObject({ $patch: 'delete', kind: 'ConfigMap' });
  });
  it('never uses commonLabels or labels transformers', () => {
    const files = toKustomize(input([cm('a', 'demo', {}, { metadata: { name: 'a', namespace: 'demo', labels: { x: '1' } } })], { dev: [cm('a', 'demo', {}, { metadata: { name: 'a', namespace: 'demo', labels: { x: '2' } } })] }));
    const k = files.get('overlays/dev/kustomization.yaml') ?? '';
    expect(k).not.toMatch(/commonLabels|^labels:/m);
  });
});

describe('toHelmChart', () => {
  const files = toHelmChart(
    input([cm('a', 'demo', { msg: 'Hello {{ .Name }}', v: 'on' })], {
      dev: [cm('a', 'demo-dev', { msg: 'Hello {{ .Name }}', v: 'off' }), cm('dev-only', 'demo-dev', {})],
      prod: [cm('a', 'demo-prod', { msg: 'Hello {{ .Name }}', v: 'on' })],
    }),
  );
  it('has the chart files', () => {
    expect([...files.keys()].filter((p) => !p.startsWith('templates/configmap'))).toEqual([
      '.helmignore',
      'Chart.yaml',
      'templates/NOTES.txt',
      'values-dev.yaml',
      'values-prod.yaml',
      'values.schema.json',
      'values.yaml',
    ]);
    expect(yamlOf(files, 'Chart.yaml')).toMatchObject({ apiVersion: 'v2', name: 'demo', version: '0.1.0' });
  });
  it('parameterises the namespace and differing fields, quoted', () => {
    const t = files.get('templates/configmap-a.yaml') ?? '';
    expect(t).toContain('namespace: {{ .Values.namespace | quote }}');
    expect(t).toMatch(/v: \{\{ .* \| quote \}\}/);
    expect(yamlOf(files, 'values-dev.yaml')).toMatchObject({ namespace: 'demo-dev' });
  });
  it('escapes literal template braces', () => {
    expect(files.get('templates/configmap-a.yaml')).toContain('msg: {{ "Hello {{ .Name }}" | quote }}');
  });
  it('wraps objects only some environments have in if', () => {
    const t = files.get('templates/configmap-dev-only.yaml') ?? '';
    expect(t.startsWith('{{- if (index .Values "objects" "configmap" "dev-only" "enabled") }}')).toBe(true);
    expect(t.trimEnd().endsWith('{{- end }}')).toBe(true);
  });
  it('writes a strict values schema', () => {
    const schema = JSON.parse(files.get('values.schema.json') ?? '{}') as Record<string, unknown>;
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(schema['required']).toContain('namespace');
  });
  it('is deterministic', () => {
    const again = toHelmChart(
      input([cm('a', 'demo', { msg: 'Hello {{ .Name }}', v: 'on' })], {
        dev: [cm('a', 'demo-dev', { msg: 'Hello {{ .Name }}', v: 'off' }), cm('dev-only', 'demo-dev', {})],
        prod: [cm('a', 'demo-prod', { msg: 'Hello {{ .Name }}', v: 'on' })],
      }),
    );
    expect([...again]).toEqual([...files]);
  });
});

/** Every example as it is, plus the synthetic spec exercising every feature. */
function goldenSpecs(): { name: string; file: string }[] {
  const examples = join(root, 'examples');
  const list = existsSync(examples)
    ? readdirSync(examples)
        .filter((d) => existsSync(join(examples, d, 'slipway.yaml')))
        .map((d) => ({ name: d, file: join(examples, d, 'slipway.yaml') }))
    : [];
  return [...list.sort((a, b) => (a.name < b.name ? -1 : 1)), { name: 'everything', file: join(import.meta.dirname, 'testdata', 'everything.yaml') }];
}

describe.each(goldenSpecs())('golden $name', ({ name, file }) => {
  const spec = loadSpec(readFileSync(file, 'utf8'), relative(root, file), { readFile: (p) => readFileSync(resolve(dirname(file), p), 'utf8') });
  const formatInput = formatInputFor(spec);
  it.each([
    { format: 'kustomize', files: toKustomize(formatInput) },
    { format: 'helm', files: toHelmChart(formatInput) },
  ])('$format output matches testdata/golden/' + name, ({ format, files }) => {
    const dir = join(goldenDir, name, format);
    if (process.env['UPDATE_GOLDEN'] === '1') {
      rmSync(dir, { recursive: true, force: true });
      for (const [p, content] of files) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), content);
      }
    }
    const onDisk = new Map<string, string>();
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else onDisk.set(relative(dir, p), readFileSync(p, 'utf8'));
      }
    };
    if (existsSync(dir)) walk(dir);
    expect([...onDisk.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [p, content] of files) expect(onDisk.get(p), p).toBe(content);
  });
});
