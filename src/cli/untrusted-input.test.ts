/**
 * Untrusted input through the real launcher (bin/slipway), as a user or the GitOps controller runs
 * it: file references confined to the project root, special files refused at once, reads bounded,
 * and Node never reading the CLI's own arguments (issue 14, "Security and availability").
 *
 * Each run has a timeout: before these fixes a FIFO or /dev/zero hung the process, which here is a
 * failure (killed by SIGTERM), not a stuck test run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'slipway');

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

function slipway(args: readonly string[], o: { cwd: string; env?: Record<string, string>; stdin?: string }): Run {
  const stdin = o.stdin === undefined ? 'pipe' : openSync(o.stdin, 'r');
  try {
    const r = spawnSync(BIN, [...args], {
      cwd: o.cwd,
      env: { ...process.env, NO_COLOR: '1', ...o.env },
      encoding: 'utf8',
      timeout: 20_000,
      maxBuffer: 64 * 1024 * 1024,
      stdio: [stdin, 'pipe', 'pipe'],
    });
    return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
  } finally {
    if (typeof stdin === 'number') closeSync(stdin);
  }
}

/** `top/project` (the spec's directory) and `top/outside` (a file no reference may reach). */
function layout(files: Record<string, string>): { top: string; dir: string; outside: string } {
  const top = realpathSync(mkdtempSync(join(tmpdir(), 'slipway-untrusted-')));
  const dir = join(top, 'project');
  const outside = join(top, 'outside');
  mkdirSync(dir);
  mkdirSync(outside);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { top, dir, outside };
}

/** Every regular file under `dir`, recursively, symlinks not followed (the output a run left behind). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** `file:line:col` of `ref` on the line of `text` that reads `key ref` (1-based, as editors show). */
function positionOf(file: string, text: string, key: string, ref: string): string {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.trim() === `${key} ${ref}`);
  if (line < 0) throw new Error(`${key} ${ref} not in ${file}`);
  return `${file}:${line + 1}:${(lines[line] ?? '').indexOf(`${key} ${ref}`) + key.length + 2}`;
}

const TOKEN = `planted-${Math.random().toString(36).slice(2)}-token`;
const UP = '../'.repeat(12);

describe('a planted token never leaves the process: every escape is refused with a position', () => {
  /**
   * The token sits in the process environment (/proc/self/environ) and in a file outside the
   * project; the spec tries every way out to each of them.
   */
  const escapes = [
    { name: 'abs-environ', ref: '/proc/self/environ' },
    { name: 'abs-outside', ref: '<outside>/secret.env' },
    { name: 'dotdot-outside', ref: '../outside/secret.env' },
    { name: 'dotdot-environ', ref: `${UP}proc/self/environ` },
    { name: 'inner-dotdot', ref: 'sub/../../outside/secret.env' },
    { name: 'link-outside', ref: 'link-outside.env' },
    { name: 'link-environ', ref: 'link-environ.env' },
    { name: 'link-dir', ref: 'link-dir/secret.env' },
  ];

  function plant(): { dir: string; outside: string; top: string } {
    const l = layout({});
    mkdirSync(join(l.dir, 'sub'));
    writeFileSync(join(l.outside, 'secret.env'), `TOKEN=${TOKEN}\n`);
    symlinkSync(join(l.outside, 'secret.env'), join(l.dir, 'link-outside.env'));
    symlinkSync('/proc/self/environ', join(l.dir, 'link-environ.env'));
    symlinkSync(l.outside, join(l.dir, 'link-dir'));
    return l;
  }

  function expectNoToken(r: Run, outputs: readonly string[]): void {
    expect(r.out).not.toContain(TOKEN);
    expect(r.err).not.toContain(TOKEN);
    for (const f of outputs) expect(readFileSync(f, 'utf8'), f).not.toContain(TOKEN);
  }

  it('slipway render (and validate, lint) of a spec whose envFiles try every escape', () => {
    const { dir, outside } = plant();
    const refs = escapes.map((e) => ({ ...e, ref: e.ref.replace('<outside>', outside) }));
    const spec = [
      'app: shop',
      'services:',
      '  web:',
      '    image: "nginx:1.27"',
      '    envFrom: [' + refs.map((e) => `{configMap: ${e.name}}`).join(', ') + ']',
      'configMaps:',
      ...refs.map((e) => `  ${e.name}:\n    envFile: ${e.ref}`),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'slipway.yaml'), spec);
    const env = { SLIPWAY_PLANTED_TOKEN: TOKEN };
    const out = join(dir, 'out');
    for (const args of [['render', '.', '--out', out], ['render', '.'], ['validate', '.'], ['lint', 'slipway.yaml']]) {
      const r = slipway(args, { cwd: dir, env });
      expect(r.signal, args.join(' ')).toBeNull();
      expect(r.code, `${args.join(' ')}\n${r.err}`).toBe(2);
      for (const e of refs) {
        // Each attempt is refused at its own envFile value, as file:line:col.
        expect(r.err, e.name).toContain(`${positionOf('slipway.yaml', spec, 'envFile:', e.ref)}: cannot read envFile ${e.ref}: `);
      }
      expect(r.err).toMatch(/absolute paths are refused/);
      expect(r.err).toMatch(/leaves the project root/);
      expect(r.err).toMatch(/resolves through a symbolic link/);
      expect(r.err).toMatch(/hint: /);
      expectNoToken(r, filesUnder(out));
    }
    expect(filesUnder(out)).toEqual([]);
  });

  it.each([
    { name: 'a link to a file outside', target: (outside: string) => join(outside, 'lint.yaml') },
    { name: 'a link to /proc/self/environ', target: () => '/proc/self/environ' },
  ])('slipway render: the .slipway-lint.yaml next to the spec is a reference too ($name)', ({ target }) => {
    const { dir, outside } = plant();
    // Its content would reach an error message ("unknown rule …") if it were read.
    writeFileSync(join(outside, 'lint.yaml'), `rules:\n  ${TOKEN}: off\n`);
    writeFileSync(join(dir, 'slipway.yaml'), 'app: a\nservices:\n  web: {image: "x:1"}\n');
    symlinkSync(target(outside), join(dir, '.slipway-lint.yaml'));
    const out = join(dir, 'out');
    const r = slipway(['render', '.', '--out', out], { cwd: dir, env: { SLIPWAY_PLANTED_TOKEN: TOKEN } });
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/^error: \.slipway-lint\.yaml:1:1: cannot read \.slipway-lint\.yaml: it resolves through a symbolic link/m);
    expectNoToken(r, filesUnder(out));
  });

  it('slipway import compose: env_file, configs.file and a .env link try every escape', () => {
    const { dir, outside } = plant();
    const refs = escapes.map((e) => ({ ...e, ref: e.ref.replace('<outside>', outside) }));
    const compose = [
      'services:',
      '  web:',
      '    image: nginx:1.27',
      '    configs: [environ, outside]',
      '    env_file:',
      ...refs.map((e) => `      - ${e.ref}`),
      'configs:',
      '  environ:',
      '    file: /proc/self/environ',
      '  outside:',
      '    file: link-outside.env',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'compose.yaml'), compose);
    const env = { SLIPWAY_PLANTED_TOKEN: TOKEN };
    const r = slipway(['import', 'compose', 'compose.yaml', '-o', 'slipway.yaml'], { cwd: dir, env });
    expect(r.signal).toBeNull();
    expect(r.code, r.err).toBe(2);
    for (const e of refs) expect(r.err, e.name).toContain(`${positionOf('compose.yaml', compose, '-', e.ref)}: cannot read ${e.ref}: `);
    expect(r.err).toContain('at: configs.environ.file');
    expect(r.err).toContain('at: configs.outside.file');
    expectNoToken(r, filesUnder(dir).filter((f) => !f.endsWith('compose.yaml')));
    expect(existsSync(join(dir, 'slipway.yaml'))).toBe(false);

    // The implicit .env next to the compose file is a reference too.
    symlinkSync('/proc/self/environ', join(dir, '.env'));
    writeFileSync(join(dir, 'plain.yaml'), 'services:\n  web:\n    image: nginx:1.27\n');
    const dotenv = slipway(['import', 'compose', 'plain.yaml', '-o', '-'], { cwd: dir, env });
    expect(dotenv.code, dotenv.err).toBe(2);
    expect(dotenv.err).toMatch(/^error: \.env:1:1: cannot read \.env .*symbolic link/m);
    expectNoToken(dotenv, []);
  });

  it('slipway import compose: include and extends from another file are never read (outside or not)', () => {
    const { dir, outside } = plant();
    // Were either read, the token (a service name and an image) would reach the output or the report.
    const other = `services:\n  ${TOKEN}:\n    image: ${TOKEN}:1\n  base:\n    image: ${TOKEN}:2\n`;
    writeFileSync(join(outside, 'other.yml'), other);
    writeFileSync(join(dir, 'inside.yml'), other);
    const compose = [
      'include:',
      `  - ${outside}/other.yml`,
      '  - ../outside/other.yml',
      '  - inside.yml',
      'services:',
      '  web:',
      '    image: nginx:1.27',
      `    extends: {service: base, file: ${UP}proc/self/environ}`,
      '  api:',
      '    image: nginx:1.27',
      '    extends: {service: base, file: ../outside/other.yml}',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'compose.yaml'), compose);
    const r = slipway(['import', 'compose', 'compose.yaml', '-o', 'slipway.yaml'], { cwd: dir, env: { SLIPWAY_PLANTED_TOKEN: TOKEN } });
    expect(r.signal).toBeNull();
    // Exit 1: the import report has errors (keys not translated); nothing of the other files is used.
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/^compose\.yaml:1:1: error: include \(not translated\)/m);
    expect(r.err).toMatch(/^compose\.yaml:8:5: error: services\.web\.extends \(not translated\): extends from another file/m);
    expect(r.err).toMatch(/^compose\.yaml:11:5: error: services\.api\.extends \(not translated\): extends from another file/m);
    expect(r.err).toMatch(/hint: flatten the files first/);
    expectNoToken(r, filesUnder(dir).filter((f) => !/(compose\.yaml|inside\.yml)$/.test(f)));
  });
});

describe('special files are refused at once, never read', () => {
  function fifoProject(files: Record<string, string>): string {
    const { dir } = layout(files);
    execFileSync('mkfifo', [join(dir, 'pipe.env')]);
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    symlinkSync('pipe.env', join(dir, 'pipe-link.env'));
    return dir;
  }

  const compose = (body: string): string => `services:\n  web:\n    image: nginx:1.27\n${body}`;
  const spec = 'app: a\nservices:\n  web: {image: "x:1"}\nconfigMaps:\n  c: {envFile: pipe-link.env}\n';

  it.each([
    { name: 'spec envFile → a FIFO (through a link inside the project)', files: { 'slipway.yaml': spec }, args: ['render', '.'], says: /slipway\.yaml:5:16: cannot read envFile pipe-link\.env: it is a FIFO/ },
    { name: 'compose env_file → a FIFO', files: { 'c.yaml': compose('    env_file: pipe.env\n') }, args: ['import', 'compose', 'c.yaml', '-o', '-'], says: /c\.yaml:4:5: cannot read pipe\.env: it is a FIFO/ },
    { name: 'compose configs.file → a FIFO', files: { 'c.yaml': compose('    configs: [x]\nconfigs:\n  x: {file: pipe.env}\n') }, args: ['import', 'compose', 'c.yaml', '-o', '-'], says: /cannot read pipe\.env: it is a FIFO/ },
    { name: '--env-file /dev/zero', files: { 'c.yaml': compose('') }, args: ['import', 'compose', 'c.yaml', '-o', '-', '--env-file', '/dev/zero'], says: /cannot read \/dev\/zero \(--env-file\): it is a character device/ },
    { name: '--env-file /dev/urandom', files: { 'c.yaml': compose('') }, args: ['import', 'compose', 'c.yaml', '-o', '-', '--env-file', '/dev/urandom'], says: /character device/ },
    { name: '--env-file a FIFO', files: { 'c.yaml': compose('') }, args: ['import', 'compose', 'c.yaml', '-o', '-', '--env-file', 'pipe.env'], says: /FIFO/ },
    { name: 'the compose file is a FIFO', files: {}, args: ['import', 'compose', 'pipe.yaml', '-o', '-'], says: /cannot read pipe\.yaml: it is a FIFO/ },
    { name: 'the spec is a FIFO', files: {}, args: ['render', 'pipe.yaml'], says: /cannot read pipe\.yaml: it is a FIFO/ },
    { name: 'the spec is /dev/urandom', files: {}, args: ['validate', '/dev/urandom'], says: /cannot read \/dev\/urandom: it is a character device/ },
    { name: 'lint /dev/zero', files: {}, args: ['lint', '/dev/zero'], says: /cannot read \/dev\/zero: it is a character device/ },
    { name: 'lint a FIFO', files: {}, args: ['lint', 'pipe.yaml'], says: /FIFO/ },
  ])('$name', ({ files, args, says }) => {
    const dir = fifoProject(files);
    const started = Date.now();
    const r = slipway(args, { cwd: dir });
    expect(r.signal, 'the run did not hang').toBeNull();
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(says);
    expect(r.err).toMatch(/hint: /);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('the .env next to the compose file is a FIFO', () => {
    const dir = fifoProject({ 'c.yaml': compose('') });
    execFileSync('mkfifo', [join(dir, '.env')]);
    const r = slipway(['import', 'compose', 'c.yaml', '-o', '-'], { cwd: dir });
    expect(r.signal).toBeNull();
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/\.env:1:1: cannot read \.env .*: it is a FIFO/);
  });

  it('lint - with /dev/zero on stdin', () => {
    const { dir } = layout({});
    const r = slipway(['lint', '-'], { cwd: dir, stdin: '/dev/zero' });
    expect(r.signal).toBeNull();
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/cannot read <stdin>: it is a character device/);
  });
});

describe('reads are bounded: SLIPWAY_MAX_FILE_BYTES and SLIPWAY_MAX_INPUT_BYTES', () => {
  const spec = 'app: a\nservices:\n  web: {image: "x:1"}\nconfigMaps:\n  c: {envFile: big.env}\n';

  it('an envFile over the limit is refused at its reference; raising the limit renders it', () => {
    const { dir } = layout({ 'slipway.yaml': spec, 'big.env': `A=${'x'.repeat(4096)}\n` });
    const small = slipway(['render', '.'], { cwd: dir, env: { SLIPWAY_MAX_FILE_BYTES: '4096' } });
    expect(small.code, small.err).toBe(2);
    expect(small.err).toMatch(/slipway\.yaml:5:16: cannot read envFile big\.env: it is larger than 4096 bytes/);
    expect(small.err).toMatch(/hint: set SLIPWAY_MAX_FILE_BYTES/);
    const raised = slipway(['render', '.'], { cwd: dir, env: { SLIPWAY_MAX_FILE_BYTES: '8192' } });
    expect(raised.code, raised.err).toBe(0);
    expect(raised.out).toContain('x'.repeat(4096));
  });

  it('the default bound for referenced files is 1 MiB', () => {
    const { dir } = layout({ 'slipway.yaml': spec, 'big.env': `A=${'x'.repeat(1024 * 1024)}\n` });
    const r = slipway(['validate', '.'], { cwd: dir });
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/larger than 1048576 bytes/);
  });

  it('main inputs have their own bound, and a bad limit value is a usage error', () => {
    const { dir } = layout({ 'slipway.yaml': spec, 'big.env': 'A=1\n' });
    const r = slipway(['render', '.'], { cwd: dir, env: { SLIPWAY_MAX_INPUT_BYTES: '20' } });
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/cannot read slipway\.yaml: it is larger than 20 bytes/);
    expect(r.err).toMatch(/SLIPWAY_MAX_INPUT_BYTES/);
    const bad = slipway(['render', '.'], { cwd: dir, env: { SLIPWAY_MAX_FILE_BYTES: 'lots' } });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/SLIPWAY_MAX_FILE_BYTES=lots is not a byte count/);
  });
});

describe('SLIPWAY_PROJECT_ROOT widens the root for a monorepo (deploy/slipway.yaml sharing ../config/app.env)', () => {
  it('refused by default at the reference, rendered with the root set, refused again when the root does not contain the spec', () => {
    const { top, dir, outside } = layout({});
    mkdirSync(join(dir, 'deploy'));
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'app.env'), 'SHARED=yes\n');
    writeFileSync(join(dir, 'deploy', 'slipway.yaml'), 'app: a\nservices:\n  web: {image: "x:1"}\nconfigMaps:\n  c: {envFile: ../config/app.env}\n');
    const plain = slipway(['render', 'deploy'], { cwd: dir });
    expect(plain.code, plain.err).toBe(2);
    expect(plain.err).toMatch(/deploy\/slipway\.yaml:5:16: cannot read envFile \.\.\/config\/app\.env: it leaves the project root/);
    const wide = slipway(['render', 'deploy'], { cwd: dir, env: { SLIPWAY_PROJECT_ROOT: dir } });
    expect(wide.code, wide.err).toBe(0);
    expect(wide.out).toContain('SHARED: "yes"');
    const wrong = slipway(['render', 'deploy'], { cwd: dir, env: { SLIPWAY_PROJECT_ROOT: outside } });
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/SLIPWAY_PROJECT_ROOT=.* does not contain/);
    expect(top).not.toBe(dir);
  });
});

describe('bin/slipway: Node never reads the CLI\'s arguments', () => {
  const compose = 'services:\n  web:\n    image: nginx:${TAG}\n';

  it.each([
    { name: '--env-file missing.env', args: ['--env-file', 'missing.env'] },
    { name: '--env-file=missing.env', args: ['--env-file=missing.env'] },
  ])('$name is slipway\'s flag: exit 2 with slipway\'s message, not Node\'s exit 9', ({ args }) => {
    const { dir } = layout({ 'c.yaml': compose });
    const r = slipway(['import', 'compose', 'c.yaml', '-o', '-', ...args], { cwd: dir });
    expect(r.code, r.err).toBe(2);
    expect(r.err).not.toMatch(/^node:/m);
    expect(r.err).toMatch(/cannot read missing\.env \(--env-file\): it does not exist/);
  });

  it('an existing --env-file feeds interpolation (read by slipway, not by Node)', () => {
    const { dir } = layout({ 'c.yaml': compose, 'vars.env': 'TAG=1.27\n' });
    const r = slipway(['import', 'compose', 'c.yaml', '-o', '-', '--env-file', 'vars.env'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('image: nginx:1.27');
  });

  it('the launcher ends Node\'s options with -- before the script', () => {
    expect(readFileSync(BIN, 'utf8')).toMatch(/exec node [^\n]*-- "\$here\/bin\/slipway\.js" "\$@"/);
  });
});
