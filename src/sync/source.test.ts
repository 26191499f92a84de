import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputErrors, SlipwayError } from '../errors/index.ts';
import { findSpec, loadInput, loadManifests } from './source.ts';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-src-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const cm = (name: string, annotations = ''): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${annotations}data: {a: "1"}\n`;

describe('loadManifests', () => {
  it.each<[string, Record<string, string>, string | undefined, string[], string[]]>([
    ['a directory of YAML and JSON, sorted by file name', { 'b.yaml': cm('b'), 'a.yml': `${cm('a1')}---\n${cm('a2')}`, 'c.json': '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}', 'notes.txt': 'x' }, undefined, ['a1', 'a2', 'b', 'c'], []],
    ['one file', { 'app.yaml': cm('one') }, 'app.yaml', ['one'], []],
    ['a declared strategy is surfaced', { 'app.yaml': cm('x', `  annotations: {slipway.dev/strategy: canary, slipway.dev/strategy-steps: '[{"setWeight":20}]'}\n`) }, 'app.yaml', ['x'], ['canary']],
    ['blueGreen needs no settings (defaults)', { 'app.yaml': cm('x', '  annotations: {slipway.dev/strategy: blueGreen}\n') }, 'app.yaml', ['x'], ['blueGreen']],
    ['rolling declared explicitly is no strategy to refuse', { 'app.yaml': cm('x', '  annotations: {slipway.dev/strategy: rolling}\n') }, 'app.yaml', ['x'], []],
    ['a List is flattened', { 'l.yaml': `apiVersion: v1\nkind: List\nitems:\n- ${cm('i1').replace(/\n/g, '\n  ')}` }, 'l.yaml', ['i1'], []],
  ])('%s', async (_n, files, file, names, strategies) => {
    const dir = tree(files);
    const r = await loadManifests({ path: file ? join(dir, file) : dir });
    expect(r.objects.map((d) => d.object.metadata.name)).toEqual(names);
    expect(r.strategies).toEqual(strategies);
  });

  it.each<[string, string | undefined, string]>([
    ['directory name', undefined, 'my-app'],
    ['file base name', 'Web_Front.yaml', 'web-front'],
  ])('derives the app name from the %s', async (_n, file, want) => {
    const dir = tree({ [`My App/${file ?? 'x.yaml'}`]: cm('x') });
    const r = await loadManifests({ path: file ? join(dir, 'My App', file) : join(dir, 'My App') });
    expect(r.app).toBe(want);
  });

  it('reports problems of every file together, with positions', async () => {
    const dir = tree({ 'a.yaml': 'apiVersion: v1\nkind: [\n', 'b.yaml': 'just: a map\n' });
    const err = await loadManifests({ path: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputErrors);
    const files = (err as InputErrors).problems.map((p) => p.position?.file ?? '');
    expect(files.some((f) => f.endsWith('a.yaml'))).toBe(true);
    expect(files.some((f) => f.endsWith('b.yaml'))).toBe(true);
  });

  it.each<[string, Record<string, string>]>([
    ['a missing path', {}],
    ['a directory without manifests', { 'README.md': '# hi' }],
  ])('rejects %s as input', async (_n, files) => {
    const dir = tree(files);
    const err = await loadManifests({ path: join(dir, Object.keys(files).length ? '' : 'nope') }).catch((e: unknown) => e);
    expect((err as { kind?: string }).kind).toBe('input');
  });
});

describe('strategy annotations on plain manifests', () => {
  it.each<[string, string, RegExp, RegExp]>([
    ['an unknown strategy', '{slipway.dev/strategy: Canary}', /ConfigMap x: unknown strategy "Canary"/, /rolling, canary, blueGreen/],
    ['canary without steps', '{slipway.dev/strategy: canary}', /strategy canary needs its steps in annotation slipway.dev\/strategy-steps/, /setWeight/],
    ['steps that are not JSON', `{slipway.dev/strategy: canary, slipway.dev/strategy-steps: '[{setWeight: 20}]'}`, /strategy-steps is not valid JSON/, /JSON list/],
    ['steps that are not canary steps', `{slipway.dev/strategy: canary, slipway.dev/strategy-steps: '[{"setWeight":120}]'}`, /not a list of canary steps/, /setWeight \(0-100\)/],
    ['steps on a rolling workload', `{slipway.dev/strategy-steps: '[{"setWeight":20}]'}`, /strategy-steps is given but the strategy is rolling/, /canary/],
  ])('refuses %s as input, at the annotation', async (_n, annotations, message, expected) => {
    const dir = tree({ 'app.yaml': cm('x', `  annotations: ${annotations}\n`) });
    const err = (await loadManifests({ path: join(dir, 'app.yaml') }).catch((e: unknown) => e)) as { kind?: string; message: string; expected?: string; position?: { file: string; line: number } };
    expect(err.kind).toBe('input');
    expect(err.message).toMatch(message);
    expect(err.expected).toMatch(expected);
    expect(err.position?.file).toBe(join(dir, 'app.yaml'));
    expect(err.position?.line).toBe(5);
  });
});

describe('findSpec', () => {
  it.each<[string, Record<string, string>, string, boolean]>([
    ['directory with slipway.yaml', { 'slipway.yaml': 'app: x\n' }, '', true],
    ['the spec file itself', { 'slipway.yml': 'app: x\n' }, 'slipway.yml', true],
    ['manifests only', { 'app.yaml': cm('x') }, '', false],
    ['a manifest file', { 'app.yaml': cm('x') }, 'app.yaml', false],
  ])('%s', async (_n, files, rel, found) => {
    const dir = tree(files);
    expect((await findSpec(join(dir, rel))) !== undefined).toBe(found);
  });
});

describe('loadInput (spec or manifests → objects, for the CLI and controllers)', () => {
  const spec = 'app: shop\nservices:\n  web: {image: "web:1.0.0"}\nconfigMaps:\n  cfg: {envFile: app.env}\nenvironments:\n  prod: {namespace: shop-live}\n';

  it.each<[string, string, string | undefined, string, string]>([
    ['a spec directory, rendered for the env', '', undefined, 'shop', 'shop-live'],
    ['the spec file itself', 'slipway.yaml', undefined, 'shop', 'shop-live'],
    ['--app wins over the spec name', '', 'other', 'other', 'shop-live'],
  ])('%s', async (_n, rel, app, wantApp, wantNamespace) => {
    const dir = tree({ 'slipway.yaml': spec, 'app.env': 'A=1\n' });
    const r = await loadInput({ path: join(dir, rel), env: 'prod', app });
    expect(r.app).toBe(wantApp);
    expect(r.namespace).toBe(wantNamespace);
    expect(r.objects.map((d) => d.object.kind)).toEqual(expect.arrayContaining(['Namespace', 'Deployment', 'ConfigMap']));
    const cfg = r.objects.find((d) => d.object.kind === 'ConfigMap')?.object;
    expect(cfg?.['data']).toEqual({ A: '1' });
  });

  it('manifests: no namespace of their own, objects as written', async () => {
    const dir = tree({ 'app.yaml': cm('x') });
    const r = await loadInput({ path: dir, env: 'prod' });
    expect(r.namespace).toBeUndefined();
    expect(r.objects.map((d) => d.object.metadata.name)).toEqual(['x']);
  });

  it('an envFile outside the spec\'s directory is refused at its value, unless `root` (the repository root for GitOps) holds it', async () => {
    const dir = tree({ 'deploy/slipway.yaml': spec.replace('envFile: app.env', 'envFile: ../config/app.env'), 'config/app.env': 'A=1\n' });
    const err = await loadInput({ path: join(dir, 'deploy'), env: 'prod' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputErrors);
    const p = (err as InputErrors).problems[0];
    expect(`${p?.position?.line}:${p?.position?.col}`).toBe('5:18');
    expect(p?.message).toMatch(/cannot read envFile \.\.\/config\/app\.env: it leaves the project root/);
    const r = await loadInput({ path: join(dir, 'deploy'), env: 'prod', root: dir });
    expect(r.objects.find((d) => d.object.kind === 'ConfigMap')?.object['data']).toEqual({ A: '1' });
  });

  it('a manifest that is a FIFO is refused, not waited on', async () => {
    const dir = tree({ 'a.yaml': cm('x') });
    execFileSync('mkfifo', [join(dir, 'b.yaml')]);
    const err = await loadInput({ path: dir, env: 'prod' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).message).toMatch(/b\.yaml: it is a FIFO/);
  });

  it('a missing envFile is an input error at the spec', async () => {
    const dir = tree({ 'slipway.yaml': spec });
    const err = await loadInput({ path: dir, env: 'prod' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputErrors);
    expect((err as InputErrors).problems[0]?.position?.file).toMatch(/slipway\.yaml$/);
  });
});
