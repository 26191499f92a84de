import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountingProblems, loadSpec } from '../../appspec/index.ts';
import { main } from '../main.ts';
import { memoryIo } from '../io.ts';
import { runComposeImport } from './import.ts';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', ...argv], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-import-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const EXAMPLE = 'examples/quant-finance';
const SCHEMA = '../../schema/slipway.schema.json';

describe('slipway import compose: the quant-finance example', () => {
  it('regenerating examples/quant-finance/slipway.yaml is byte-identical (UPDATE_GOLDEN=1 rewrites it)', async () => {
    const r = await run('import', 'compose', `${EXAMPLE}/docker-compose.yml`, '-o', '-', '--schema', SCHEMA);
    expect(r.code).toBe(0);
    const golden = `${EXAMPLE}/slipway.yaml`;
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, r.out);
    expect(r.out).toBe(readFileSync(golden, 'utf8'));
  });

  it('the generated spec loads and validates as a slipway spec', () => {
    const spec = loadSpec(readFileSync(`${EXAMPLE}/slipway.yaml`, 'utf8'), `${EXAMPLE}/slipway.yaml`);
    expect(Object.keys(spec.services)).toEqual(['postgres', 'redis', 'app', 'dashboard', 'scheduler']);
    expect(Object.keys(spec.jobs ?? {})).toEqual(['migrate']);
  });

  it('its report is accurate: every key translated or reported, never both', () => {
    const { result } = runComposeImport(`${EXAMPLE}/docker-compose.yml`, { envName: 'dev', schema: SCHEMA, output: '-' });
    expect(accountingProblems(result)).toEqual([]);
    expect(result.inputKeys.length).toBeGreaterThan(150);
    // The bind mount and the inactive profile are reported, not silently dropped.
    expect(result.report.filter((e) => !e.converted).map((e) => e.path)).toEqual(
      expect.arrayContaining(['services.postgres.volumes[1]', 'services.notebook', 'services.app.depends_on.migrate']),
    );
  });

  it('prints the report on stderr with positions', async () => {
    const r = await run('import', 'compose', `${EXAMPLE}/docker-compose.yml`, '-o', '-');
    expect(r.err).toMatch(/^examples\/quant-finance\/docker-compose\.yml:\d+:\d+: warning: services\.postgres\.volumes\[1\] \(not translated\): bind mount/m);
    expect(r.err).toMatch(/imported: 5 services, 1 jobs, 2 configMaps, 2 secret references; report: 0 errors, 3 warnings/);
  });
});

describe('slipway import compose: exit codes and output', () => {
  it.each([
    { name: 'clean import', compose: 'services:\n  web:\n    image: nginx:1.27\n', flags: [], code: 0 },
    { name: 'warnings only', compose: 'services:\n  web:\n    image: nginx:1.27\n    privileged: true\n', flags: [], code: 0 },
    { name: 'warnings with --strict', compose: 'services:\n  web:\n    image: nginx:1.27\n    privileged: true\n', flags: ['--strict'], code: 1 },
    { name: 'error-level finding (untagged image)', compose: 'services:\n  web:\n    image: nginx\n', flags: [], code: 1 },
    { name: 'schema-invalid compose file', compose: 'services:\n  web:\n    image: nginx:1.27\n    portz: [80]\n', flags: [], code: 2 },
    // The output must validate: an image with an empty repository used to exit 0.
    { name: 'output that fails validate (image ":1.0")', compose: 'services:\n  web:\n    image: ":1.0"\n', flags: [], code: 1 },
  ])('$name → exit $code', async ({ compose, flags, code }) => {
    const dir = project({ 'compose.yaml': compose });
    const r = await run('import', 'compose', join(dir, 'compose.yaml'), ...flags);
    expect(r.code).toBe(code);
    // Invalid input writes nothing.
    expect(existsSync(join(dir, 'slipway.yaml'))).toBe(code !== 2);
  });

  it('reports what validate refuses in its own output, positioned in the written file', async () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: ":1.0"\n' });
    const r = await run('import', 'compose', join(dir, 'compose.yaml'), '-o', '-');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^<stdout>:\d+:\d+: error: services\.web\.image \(not translated\): the generated <stdout> does not validate: invalid image reference ":1\.0"/m);
    expect(r.err).toMatch(/report: 1 errors/);
  });

  // Each import exits 0 and its output validates (and renders): the output passes `validate`.
  it.each([
    { name: 'an external config is declared as an external ConfigMap', compose: 'services:\n  web:\n    image: nginx:1.27\n    configs: [{source: cfg, target: /etc/app.conf}]\nconfigs:\n  cfg: {external: true}\n', contains: 'cfg:\n    external: true' },
    { name: '__proto__ in environment is an ordinary key', compose: 'services:\n  web:\n    image: nginx:1.27\n    environment: {__proto__: x, constructor: z}\n', contains: '__proto__: x\n      constructor: z' },
    { name: '__proto__ as a service name is an ordinary (renamed) service', compose: 'services:\n  __proto__:\n    image: nginx:1.27\n  constructor:\n    image: nginx:1.27\n', contains: '  proto:\n' },
  ])('$name', async ({ compose, contains }) => {
    const dir = project({ 'compose.yaml': compose });
    const r = await run('import', 'compose', join(dir, 'compose.yaml'));
    expect(r.code, r.err).toBe(0);
    const written = readFileSync(join(dir, 'slipway.yaml'), 'utf8');
    expect(written).toContain(contains);
    const v = await run('validate', join(dir, 'slipway.yaml'));
    expect(v.code, v.err).toBe(0);
  });

  it.each(['__proto__', 'constructor'])('%s in x-slipway is an unknown key like any other: exit 2 with its position', async (key) => {
    const dir = project({ 'compose.yaml': `services:\n  web:\n    image: nginx:1.27\n    x-slipway:\n      ${key}: {}\n` });
    const r = await run('import', 'compose', join(dir, 'compose.yaml'), '-o', '-');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`compose.yaml:5:7: x-slipway: Unexpected property`);
    expect(r.err).toContain(`at: services.web.x-slipway.${key}`);
  });

  // Found by the fuzz suite (src/cli/fuzz.test.ts): `-o` into a missing directory printed a raw
  // "ENOENT: no such file or directory, open '…'" and exited 1.
  it.each([
    { name: 'a missing directory is created', out: 'new/dir/slipway.yaml', code: 0, err: /wrote .*new\/dir\/slipway\.yaml/ },
    { name: 'a parent that is a file', out: 'compose.yaml/slipway.yaml', code: 2, err: /cannot write .*compose\.yaml\/slipway\.yaml: a part of the path is a file, not a directory\n {2}expected: a path -o can write to.*\n {2}hint: / },
    { name: 'a directory', out: 'adir', code: 2, err: /cannot write .*adir: it is a directory/, flags: ['--force'] },
  ])('-o into $name → exit $code', async ({ out, code, err, flags }) => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n' });
    mkdirSync(join(dir, 'adir'));
    const r = await run('import', 'compose', join(dir, 'compose.yaml'), '-o', join(dir, out), ...(flags ?? []));
    expect(r.code, r.err).toBe(code);
    expect(r.err).toMatch(err);
    expect(r.err).not.toMatch(/ENOENT|ENOTDIR|EISDIR/);
    if (code === 0) expect(readFileSync(join(dir, out), 'utf8')).toContain('services:');
  });

  it('writes slipway.yaml next to the compose file with the schema header, and refuses to overwrite without --force', async () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    env_file: .env.web\n', '.env.web': 'A=1\n' });
    const first = await run('import', 'compose', join(dir, 'compose.yaml'));
    expect(first.code).toBe(0);
    const text = readFileSync(join(dir, 'slipway.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=https://slipway.dev/schema/slipway.schema.json');
    expect(text).toContain('envFile: .env.web');
    const again = await run('import', 'compose', join(dir, 'compose.yaml'));
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists/);
    expect((await run('import', 'compose', join(dir, 'compose.yaml'), '--force')).code).toBe(0);
  });

  it.each([
    { name: 'into a missing directory: created, as render -o does', out: (d: string): string => join(d, 'deploy', 'new', 'slipway.yaml'), code: 0, err: /wrote / },
    { name: 'under a file: bad input naming the path (not a raw ENOENT/ENOTDIR)', out: (d: string): string => join(d, 'compose.yaml', 'slipway.yaml'), code: 2, err: /cannot write .*compose\.yaml\/slipway\.yaml: a part of the path is a file, not a directory/ },
  ])('-o $name', async ({ out, code, err }) => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n' });
    const r = await run('import', 'compose', join(dir, 'compose.yaml'), '-o', out(dir));
    expect(r.code).toBe(code);
    expect(r.err).toMatch(err);
    expect(r.err).not.toMatch(/ENOENT|ENOTDIR|EEXIST/);
    if (code === 0) expect(existsSync(out(dir))).toBe(true);
  });

  it('env files are referenced relative to the output file', async () => {
    const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    env_file: .env.web\n', '.env.web': 'A=1\n' });
    const r = await run('import', 'compose', join(dir, 'compose.yaml'), '-o', join(dir, 'deploy-slipway.yaml'));
    expect(r.code).toBe(0);
    const r2 = runComposeImport(join(dir, 'compose.yaml'), { envName: 'dev', schema: 'x', output: join(dir, 'sub', 'slipway.yaml') });
    expect(r2.result.spec.configMaps?.['env-web']).toEqual({ data: { A: '1' } });
    const r3 = runComposeImport(join(dir, 'compose.yaml'), { envName: 'dev', schema: 'x', output: join(dir, 'slipway.yaml') });
    expect(r3.result.spec.configMaps?.['env-web']).toEqual({ envFile: '.env.web' });
  });

  it('-p activates profiles; .env feeds interpolation', async () => {
    const dir = project({
      'compose.yaml': 'services:\n  web:\n    image: nginx:${NGINX_TAG}\n  debug:\n    image: busybox:1.36\n    profiles: [debug]\n',
      '.env': 'NGINX_TAG=1.27\n',
    });
    const without = await run('import', 'compose', join(dir, 'compose.yaml'), '-o', '-');
    expect(without.out).not.toContain('debug:');
    expect(without.out).toContain('image: nginx:1.27');
    const withP = await run('import', 'compose', join(dir, 'compose.yaml'), '-o', '-', '-p', 'debug');
    expect(withP.out).toContain('debug:');
  });
});
