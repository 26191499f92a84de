import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, CLOUDS, generateGithubWorkflows, type Cloud } from '../../ci/index.ts';
import { loadSpec } from '../../appspec/index.ts';
import { memoryIo } from '../io.ts';
import { main } from '../main.ts';
import { VERSION } from '../version.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const goldenDir = join(root, 'src/ci/testdata/golden');
const run = async (args: string[], cwd?: string): Promise<{ code: number; out: string; err: string }> => {
  const io = memoryIo();
  const before = process.cwd();
  if (cwd !== undefined) process.chdir(cwd);
  try {
    const code = await main(['node', 'slipway', ...args], io);
    return { code, out: io.stdout(), err: io.stderr() };
  } finally {
    process.chdir(before);
  }
};

/** Apps with a spec: the examples, plus the ci fixture (the only one with tests and canary). */
async function apps(): Promise<{ name: string; file: string; cloud: Cloud }[]> {
  const found: { name: string; file: string; cloud: Cloud }[] = [];
  for (const d of (await readdir(join(root, 'examples'), { withFileTypes: true })).filter((e) => e.isDirectory())) {
    const file = join(root, 'examples', d.name, 'slipway.yaml');
    if (existsSync(file)) found.push({ name: d.name, file, cloud: 'none' });
  }
  found.push({ name: 'shop-aws', file: join(root, 'src/ci/testdata/shop.yaml'), cloud: 'aws' });
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

async function generate(file: string, cloud: Cloud): Promise<Map<string, string>> {
  const spec = loadSpec(await readFile(file, 'utf8'), relative(root, file));
  return generateGithubWorkflows(spec, { slipwayVersion: VERSION, cloud, specDir: relative(root, dirname(file)) });
}

describe('golden workflows', async () => {
  const list = await apps();
  it('covers at least the two example apps with a spec', () => {
    expect(list.length).toBeGreaterThanOrEqual(3);
  });
  it.each(list)('$name', async ({ name, file, cloud }) => {
    for (const [wf, content] of await generate(file, cloud)) {
      const golden = join(goldenDir, name, wf);
      if (process.env['UPDATE_GOLDEN'] === '1') {
        await mkdir(dirname(golden), { recursive: true });
        await writeFile(golden, content);
      }
      expect(content, `${golden} is stale: run with UPDATE_GOLDEN=1 and review the diff`).toBe(await readFile(golden, 'utf8'));
    }
  });
});

const actionlintBin = [join(process.env['SLIPWAY_CACHE'] ?? join(process.env['HOME'] ?? '', '.cache/slipway'), 'tools/bin/actionlint')].find((p) => existsSync(p));

describe('actionlint', () => {
  it.skipIf(actionlintBin === undefined && process.env['CI'] !== 'true')('reports nothing on any generated workflow (every app, every cloud)', async () => {
    expect(actionlintBin, 'actionlint missing: run scripts/install-go-tools.sh actionlint').toBeDefined();
    const dir = await mkdtemp(join(tmpdir(), 'slipway-actionlint-'));
    try {
      const files: string[] = [];
      for (const app of await apps()) {
        for (const cloud of CLOUDS) {
          for (const [wf, content] of await generate(app.file, cloud)) {
            const path = join(dir, '.github/workflows', `${app.name}-${cloud}-${wf}`);
            await mkdir(dirname(path), { recursive: true });
            await writeFile(path, content);
            files.push(path);
          }
        }
      }
      const result = await promisify(execFile)(actionlintBin ?? 'actionlint', ['-no-color', ...files], { cwd: dir }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: unknown) => {
          const f = e as { code?: number; stdout?: string; stderr?: string };
          return { code: f.code ?? 1, out: `${f.stdout ?? ''}${f.stderr ?? ''}` };
        },
      );
      expect(result.out).toBe('');
      expect(result.code).toBe(0);
      expect(files.length).toBeGreaterThan(20);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('slipway ci github', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-ci-'));
    await copyFile(join(root, 'src/ci/testdata/shop.yaml'), join(dir, 'slipway.yaml'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));
  const wf = (name: string): string => join(dir, '.github/workflows', name);

  it('--dry-run prints the workflows and writes nothing', async () => {
    const r = await run(['ci', 'github', '--dry-run'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('# file: .github/workflows/ci.yml');
    expect(r.out).toContain('# file: .github/workflows/deploy.yml');
    expect(existsSync(wf('ci.yml'))).toBe(false);
  });

  it('writes ci.yml, build.yml and deploy.yml, then reports them unchanged', async () => {
    expect((await run(['ci', 'github'], dir)).code).toBe(0);
    expect((await readdir(join(dir, '.github/workflows'))).sort()).toEqual(['build.yml', 'ci.yml', 'deploy.yml']);
    const again = await run(['ci', 'github'], dir);
    expect(again.code).toBe(0);
    expect(again.out.match(/unchanged/g)).toHaveLength(3);
  });

  it('updates an untouched generated file when the options change', async () => {
    const r = await run(['ci', 'github', '--cloud', 'azure'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/updated .*deploy\.yml/);
    expect(await readFile(wf('deploy.yml'), 'utf8')).toContain('azure/login@');
  });

  it.each<[string, (s: string) => string]>([
    ['a hand-edited', (s) => s.replace('name: deploy', 'name: deploy-by-hand')],
    ['a foreign', () => 'name: mine\non: push\njobs: {}\n'],
  ])('refuses to overwrite %s workflow without --force (exit 1), nothing written', async (_, edit) => {
    const edited = edit(await readFile(wf('deploy.yml'), 'utf8'));
    await writeFile(wf('deploy.yml'), edited);
    const r = await run(['ci', 'github', '--cloud', 'gcp'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('not overwriting');
    expect(await readFile(wf('deploy.yml'), 'utf8')).toBe(edited);
    expect(await readFile(wf('ci.yml'), 'utf8')).not.toContain('google-github-actions');
    const forced = await run(['ci', 'github', '--cloud', 'gcp', '--force'], dir);
    expect(forced.code).toBe(0);
    expect(await readFile(wf('deploy.yml'), 'utf8')).toContain('google-github-actions/auth@');
  });

  it('an invalid spec is bad input (exit 2, file:line:col) and nothing is written', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'slipway-ci-bad-'));
    try {
      await writeFile(join(bad, 'slipway.yaml'), 'app: shop\nservices:\n  api:\n    imag: nginx:1.27\n');
      const r = await run(['ci', 'github'], bad);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/slipway\.yaml:\d+:\d+/);
      expect(existsSync(join(bad, '.github'))).toBe(false);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it.each([
    [['ci', 'github', '--cloud', 'moon'], 2],
    [['ci', 'github', '--environments', 'Prod'], 2],
    [['ci', 'github', 'no-such-dir'], 1],
  ])('%j exits %i', async (args, code) => {
    expect((await run(args, dir)).code).toBe(code);
  });
});

describe('slipway ci pin (fake GitHub API on 127.0.0.1)', () => {
  const NEW_CHECKOUT = 'c'.repeat(40);
  const NEW_LOGIN = 'd'.repeat(40);
  const TAG_OBJECT = 'e'.repeat(40);
  let server: Server;
  let api: string;
  let table: string;
  const seen: IncomingMessage[] = [];
  const missing = new Set<string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      const url = req.url ?? '';
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const ref = /^\/repos\/([^/]+\/[^/]+)\/git\/ref\/tags\/(.+)$/.exec(url);
      if (ref !== null) {
        const repo = ref[1] ?? '';
        if (missing.has(repo)) return send(404, { message: 'Not Found' });
        // actions/checkout: an annotated tag (ref → tag object → commit); docker/login-action moved.
        if (repo === 'actions/checkout') return send(200, { ref: `refs/tags/${ref[2] ?? ''}`, object: { type: 'tag', sha: TAG_OBJECT } });
        const entry = Object.values(ACTIONS).find((a) => a.repo === repo);
        return send(200, { object: { type: 'commit', sha: repo === 'docker/login-action' ? NEW_LOGIN : entry?.sha } });
      }
      if (url === `/repos/actions/checkout/git/tags/${TAG_OBJECT}`) return send(200, { object: { type: 'commit', sha: NEW_CHECKOUT } });
      return send(404, { message: 'Not Found' });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const addr = server.address();
    api = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
    const tmp = await mkdtemp(join(tmpdir(), 'slipway-pin-'));
    table = join(tmp, 'actions.ts');
  });
  afterAll(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
    await rm(dirname(table), { recursive: true, force: true });
  });

  const reset = async (): Promise<void> => {
    await copyFile(join(root, 'src/ci/actions.ts'), table);
    seen.length = 0;
    missing.clear();
  };

  it('prints the diff of moved tags, following annotated tags, and writes nothing', async () => {
    await reset();
    const r = await run(['ci', 'pin', '--api-url', api, '--table', table]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`+  checkout: { repo: 'actions/checkout', sha: '${NEW_CHECKOUT}'`);
    expect(r.out).toContain(`sha: '${NEW_LOGIN}'`);
    expect(r.out.match(/^\+ /gm)).toHaveLength(2);
    expect(await readFile(table, 'utf8')).toBe(await readFile(join(root, 'src/ci/actions.ts'), 'utf8'));
    expect(seen.map((q) => q.url)).toContain(`/repos/actions/checkout/git/tags/${TAG_OBJECT}`);
  });

  it('--write rewrites the table with the new SHAs and their source', async () => {
    await reset();
    const r = await run(['ci', 'pin', '--api-url', api, '--table', table, '--write']);
    expect(r.code).toBe(0);
    const text = await readFile(table, 'utf8');
    expect(text).toContain(`sha: '${NEW_CHECKOUT}', tag: 'v5.0.0', source: 'GitHub REST API GET /repos/actions/checkout/git/ref/tags/v5.0.0 (slipway ci pin)'`);
    expect(text).toContain(`sha: '${NEW_LOGIN}'`);
    expect(text).toContain(`sha: '${ACTIONS.buildPush.sha}'`);
  });

  it('sends GITHUB_TOKEN as a bearer token when set', async () => {
    await reset();
    process.env['GITHUB_TOKEN'] = 'test-token';
    try {
      await run(['ci', 'pin', '--api-url', api, '--table', table]);
    } finally {
      delete process.env['GITHUB_TOKEN'];
    }
    expect(seen[0]?.headers['authorization']).toBe('Bearer test-token');
  });

  it('reports a tag that does not exist (exit 1) and does not write', async () => {
    await reset();
    missing.add('docker/metadata-action');
    const r = await run(['ci', 'pin', '--api-url', api, '--table', table, '--write']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('docker/metadata-action@v5.7.0 does not exist');
    expect(await readFile(table, 'utf8')).toBe(await readFile(join(root, 'src/ci/actions.ts'), 'utf8'));
  });

  it('fails cleanly with one cluster-unavailable error when the API is unreachable (exit 1)', async () => {
    await reset();
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const addr = closed.address();
    await new Promise<void>((ok) => closed.close(() => ok()));
    const port = typeof addr === 'object' && addr !== null ? addr.port : 1;
    const r = await run(['ci', 'pin', '--api-url', `http://127.0.0.1:${port}`, '--table', table]);
    expect(r.code).toBe(1);
    expect(r.err.match(/error:/g)).toHaveLength(1);
    expect(r.err).toContain('GitHub API unreachable');
    expect(basename(table)).toBe('actions.ts');
  });
});
