import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../main.ts';
import { memoryIo } from '../io.ts';
import { schemaText } from './schema.ts';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', ...argv], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

function specFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-validate-'));
  writeFileSync(join(dir, 'slipway.yaml'), text);
  return join(dir, 'slipway.yaml');
}

const BAD = 'app: shop\nservices:\n  api:\n    image: ghcr.io/acme/api:1.0\n    replicaz: 2\n    dependsOn: [db]\n';

describe('slipway validate', () => {
  it.each([
    ['examples/code-review', [], /✓ examples\/code-review\/slipway.yaml: app code-review: 6 services, 1 job, 1 cron job; environments dev, staging, prod/],
    ['examples/streaming-analytics', ['--env', 'prod'], /environments prod$/m],
  ])('%s %j is valid (exit 0)', async (path, flags, out) => {
    const r = await run('validate', path, ...flags);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(out);
    expect(r.err).toBe('');
  });

  it('reports every problem with position and hint, exit 2', async () => {
    const file = specFile(BAD);
    const r = await run('validate', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:5:5: unknown key \`replicaz\``);
    expect(r.err).toContain('hint: did you mean `replicas`?');
    expect(r.err).toMatch(/1 problem\n$/);
  });

  it('reports a key inherited through a << merge key where the anchor writes it', async () => {
    const file = specFile('app: shop\nconfigMaps:\n  cfg:\n    data: &extra\n      replicaz: "2"\nservices:\n  web:\n    <<: *extra\n    image: ghcr.io/acme/web:1.0\n');
    const r = await run('validate', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:5:7: unknown key \`replicaz\``);
    expect(r.err).toMatch(/1 problem\n$/);
  });

  it('reports semantic problems once the schema is satisfied', async () => {
    const file = specFile(BAD.replace('replicaz', 'replicas'));
    const r = await run('validate', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}:6:17: dependsOn \`db\`: no such service`);
  });

  // One truth: validate fails exactly where render fails with bad input (exit 2), for the same
  // --env. Before, `validate --env dev` passed while `render --env dev` failed on the prod overlay.
  const OK = BAD.replace('replicaz', 'replicas').replace('dependsOn: [db]', 'dependsOn: []');
  const svc = (name: string, extra = ''): string => `  ${name}:\n    image: ghcr.io/acme/${name}:1.0\n    ports: [{name: http, port: 8080}]\n${extra}`;
  it.each([
    { name: 'a broken other overlay', text: `${OK}environments:\n  dev: {}\n  prod:\n    services: {api: {replicas: two}}\n`, env: 'dev', at: ':10:32: expected an integer, got a string' },
    { name: 'a broken overlay asked about', text: `${OK}environments:\n  dev: {}\n  prod:\n    services: {api: {replicas: two}}\n`, env: 'prod', at: ':10:32: expected an integer, got a string' },
    { name: 'generated object names that collide', text: `app: shop\nservices:\n${svc('a', '    dependsOn: [b-to-c]\n')}${svc('b-to-c')}${svc('a-to-b', '    dependsOn: [c]\n')}${svc('c')}`, env: undefined, at: ':13:17: two NetworkPolicy objects would be named "a-to-b-to-c-ingress" (the other comes from services.a.dependsOn[0])' },
    { name: 'a valid spec', text: `${OK}environments:\n  dev: {}\n  prod: {services: {api: {replicas: 3}}}\n`, env: 'prod', at: undefined },
    { name: 'dependsOn repeated (renders one policy pair)', text: `app: shop\nservices:\n${svc('a', '    dependsOn: [b, b]\n')}${svc('b')}`, env: undefined, at: undefined },
  ])('validate and render agree on $name', async ({ text, env, at }) => {
    const file = specFile(text);
    const envArgs = env === undefined ? [] : ['--env', env];
    const validate = await run('validate', file, ...envArgs);
    const render = await run('render', file, ...envArgs, '--no-lint');
    expect(validate.code, validate.err).toBe(at === undefined ? 0 : 2);
    expect(render.code, render.err).toBe(validate.code);
    if (at !== undefined) expect(validate.err).toContain(at);
  });

  it('-o json prints problems as data', async () => {
    const file = specFile(BAD);
    const r = await run('validate', file, '-o', 'json');
    expect(r.code).toBe(2);
    const parsed = JSON.parse(r.out) as { valid: boolean; problems: { line: number; col: number; path: string; hint: string }[] };
    expect(parsed.valid).toBe(false);
    expect(parsed.problems).toEqual([expect.objectContaining({ line: 5, col: 5, path: 'services.api.replicaz', hint: 'did you mean `replicas`?' })]);
  });

  it.each([
    ['an unknown --env', ['examples/code-review', '--env', 'qa'], /unknown environment `qa`/],
    ['a missing file', ['does/not/exist.yaml'], /cannot read does\/not\/exist.yaml/],
  ])('exits 2 on %s', async (_name, args, message) => {
    const r = await run('validate', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('slipway schema', () => {
  it('prints the committed schema/slipway.schema.json exactly (UPDATE_GOLDEN=1 rewrites it)', async () => {
    const r = await run('schema');
    expect(r.code).toBe(0);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync('schema/slipway.schema.json', r.out);
    expect(r.out).toBe(readFileSync('schema/slipway.schema.json', 'utf8'));
    expect(r.out).toBe(schemaText('json'));
  });

  it('has an identity and draft-07 dialect for editors', async () => {
    const schema = JSON.parse((await run('schema')).out) as Record<string, unknown>;
    expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema['$id']).toBe('https://slipway.dev/schema/slipway.schema.json');
    expect(schema['required']).toEqual(['app', 'services']);
  });

  it.each(['examples/streaming-analytics/slipway.yaml', 'examples/code-review/slipway.yaml'])('works in a plain JSON Schema validator (as editors use it): %s', (file) => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync('schema/slipway.schema.json', 'utf8')) as object);
    const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(validate(doc)).toBe(true);
    expect(validate({ ...doc, replicaz: 1 })).toBe(false);
  });

  it('-o yaml prints the same schema as YAML', async () => {
    const r = await run('schema', '-o', 'yaml');
    expect(r.out).toMatch(/^\$schema: /m);
    expect(r.out).toContain('title: slipway application (slipway.yaml)');
  });
});
