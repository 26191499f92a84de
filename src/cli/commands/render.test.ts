import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../../manifest/index.ts';
import { memoryIo } from '../io.ts';
import { main } from '../main.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const golden = (example: string, env: string): Promise<string> => readFile(join(root, 'src/render/testdata/golden', example, `${env}.yaml`), 'utf8');
const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
  const io = memoryIo();
  const code = await main(['node', 'slipway', 'render', ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
};

let tmp = '';
const single = `app: one
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    ports: [{ name: http, port: 8080 }]
`;
// A literal password in env: valid spec, but an error-level lint finding (secret in plain text).
const leaky = `app: leaky
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    ports: [{ name: http, port: 8080 }]
    env: { DB_PASSWORD: hunter2 }
`;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'slipway-render-'));
  await writeFile(join(tmp, 'one.yaml'), single);
  await writeFile(join(tmp, 'leaky.yaml'), leaky);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('slipway render', () => {
  it.each([
    { example: 'code-review', env: 'prod' },
    { example: 'streaming-analytics', env: 'dev' },
  ])('$example --env $env prints the golden YAML', async ({ example, env }) => {
    const r = await run(join(root, 'examples', example), '--env', env);
    expect(r.code).toBe(0);
    expect(r.out).toBe(await golden(example, env));
  });

  it('-o with one environment writes <dir>/default.yaml', async () => {
    const out = join(tmp, 'single');
    const r = await run(join(tmp, 'one.yaml'), '-o', out);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(await readdir(out)).toEqual(['default.yaml']);
  });

  // `-o` where a file is in the way printed a raw ENOTDIR/EISDIR and exited 1 (issue 14: errors
  // without a position); now it is bad input that names the path.
  it.each([
    { name: 'the output directory is a file', out: 'one.yaml', err: /cannot write .*one\.yaml\/default\.yaml: a part of the path is a file, not a directory/ },
    { name: 'the output file is a directory', out: 'blocked', err: /cannot write .*blocked\/default\.yaml: it is a directory/ },
  ])('-o when $name → exit 2', async ({ out, err }) => {
    await mkdir(join(tmp, 'blocked', 'default.yaml'), { recursive: true });
    const r = await run(join(tmp, 'one.yaml'), '-o', join(tmp, out));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(err);
    expect(r.err).toMatch(/hint: /);
    expect(r.err).not.toMatch(/ENOTDIR|EISDIR|EEXIST/);
  });

  it('defaults to the only environment', async () => {
    const r = await run(join(tmp, 'one.yaml'));
    expect(r.code).toBe(0);
    const kinds = parseManifests(r.out, 'out.yaml').map((d) => d.object.kind);
    expect(kinds[0]).toBe('Namespace');
    expect(kinds).toContain('Deployment');
  });

  it.each([
    { name: 'several environments without --env', args: ['examples/code-review'], err: /3 environments: say which/ },
    { name: 'unknown environment', args: ['examples/code-review', '--env', 'qa'], err: /unknown environment `qa`/ },
    { name: '--env with --all-envs', args: ['examples/code-review', '--env', 'dev', '--all-envs'], err: /exclude each other/ },
    { name: 'kustomize without -o', args: ['examples/code-review', '--format', 'kustomize'], err: /writes a directory/ },
    { name: 'unknown format', args: ['examples/code-review', '--format', 'jsonnet'], err: /invalid/ },
    { name: 'missing spec', args: ['does/not/exist'], err: /cannot read/ },
  ])('exit 2: $name', async ({ args, err }) => {
    const r = await run(...args.map((a) => (a.startsWith('examples/') ? join(root, a) : a)));
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(err);
  });

  it('--all-envs -o writes <dir>/<env>.yaml identical to the goldens', async () => {
    const out = join(tmp, 'all');
    const r = await run(join(root, 'examples/code-review'), '--all-envs', '-o', out);
    expect(r.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['dev.yaml', 'prod.yaml', 'staging.yaml']);
    for (const env of ['dev', 'staging', 'prod']) expect(await readFile(join(out, `${env}.yaml`), 'utf8')).toBe(await golden('code-review', env));
  });

  it.each([
    { format: 'kustomize', file: 'base/kustomization.yaml' },
    { format: 'helm', file: 'Chart.yaml' },
  ])('--format $format -o writes $file', async ({ format, file }) => {
    const out = join(tmp, format);
    const r = await run(join(root, 'examples/code-review'), '--format', format, '-o', out);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: prod: .*canary/);
    expect((await readFile(join(out, file), 'utf8')).length).toBeGreaterThan(0);
  });

  it('refuses to print error-level lint findings (exit 1), unless --no-lint', async () => {
    const gated = await run(join(tmp, 'leaky.yaml'));
    expect(gated.code).toBe(1);
    expect(gated.out).toBe('');
    expect(gated.err).toMatch(/nothing written/);
    const forced = await run(join(tmp, 'leaky.yaml'), '--no-lint');
    expect(forced.code).toBe(0);
    expect(forced.out).toContain('DB_PASSWORD');
  });

  it('honours .slipway-lint.yaml next to the spec', async () => {
    const dir = join(tmp, 'configured');
    await mkdir(dir);
    await writeFile(join(dir, 'slipway.yaml'), leaky);
    expect((await run(dir)).code).toBe(1);
    await writeFile(join(dir, '.slipway-lint.yaml'), 'rules:\n  SEC023: warning\n');
    const r = await run(dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('DB_PASSWORD');
  });

  it('does not write files when lint refuses', async () => {
    const out = join(tmp, 'gated');
    const r = await run(join(tmp, 'leaky.yaml'), '-o', out);
    expect(r.code).toBe(1);
    await expect(readdir(out)).rejects.toThrow();
  });

  it('warnings go to stderr, not into the YAML', async () => {
    const r = await run(join(root, 'examples/code-review'), '--env', 'prod');
    expect(r.err).toMatch(/warning: prod: .*canary/);
    expect(r.out).not.toMatch(/^warning:/m);
  });
});

describe('render -o: where the files go', () => {
  it.each([
    { name: 'a missing directory is created', out: (t: string): string => join(t, 'new', 'deeper'), code: 0, err: /wrote 1 file\(s\)/ },
    { name: 'a parent that is a file is bad input naming the path', out: (t: string): string => join(t, 'one.yaml', 'out'), code: 2, err: /cannot write .*one\.yaml\/out\/default\.yaml: a part of the path is a file, not a directory/ },
  ])('$name', async ({ out, code, err }) => {
    const r = await run(join(tmp, 'one.yaml'), '-o', out(tmp));
    expect(r.code).toBe(code);
    expect(r.err).toMatch(err);
    expect(r.err).not.toMatch(/ENOENT|ENOTDIR|EEXIST/);
    if (code === 2) expect(r.err).toMatch(/hint: check -o /);
  });
});
