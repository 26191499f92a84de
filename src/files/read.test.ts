import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../errors/index.ts';
import { DEFAULT_LIMITS, projectRoot, readInputFile, readLimits, referenceReader } from './index.ts';

/**
 * A project in a temporary directory: root/ holds the spec's files; outside/ (next to it) holds a
 * file no reference may reach.
 */
function layout(): { root: string; outside: string } {
  const top = realpathSync(mkdtempSync(join(tmpdir(), 'slipway-files-')));
  const root = join(top, 'root');
  const outside = join(top, 'outside');
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'app.env'), 'A=1\n');
  writeFileSync(join(root, 'sub', 'b.env'), 'B=2\n');
  writeFileSync(join(outside, 'secret.env'), 'TOKEN=outside\n');
  symlinkSync(join(outside, 'secret.env'), join(root, 'out-link.env'));
  symlinkSync(outside, join(root, 'out-dir'));
  symlinkSync('/proc/self/environ', join(root, 'environ.env'));
  symlinkSync('sub/b.env', join(root, 'in-link.env'));
  symlinkSync('/dev/zero', join(root, 'zero.env'));
  execFileSync('mkfifo', [join(root, 'pipe.env')]);
  mkdirSync(join(root, 'a-dir'));
  return { root, outside };
}

function caught(f: () => unknown): SlipwayError {
  try {
    f();
  } catch (e) {
    if (e instanceof SlipwayError) return e;
    throw e;
  }
  throw new Error('expected a SlipwayError');
}

describe('referenceReader: references stay inside the project root, after symlinks', () => {
  const { root } = layout();
  const read = referenceReader({ base: root, relativeTo: 'slipway.yaml' });

  it.each([
    { ref: 'app.env', content: 'A=1\n' },
    { ref: './app.env', content: 'A=1\n' },
    { ref: 'sub/b.env', content: 'B=2\n' },
    { ref: 'sub/../app.env', content: 'A=1\n' },
    { ref: 'sub/deeper/../../app.env', content: 'A=1\n' },
    { ref: 'in-link.env', content: 'B=2\n' },
  ])('reads $ref', ({ ref, content }) => {
    expect(read(ref)).toBe(content);
  });

  it.each([
    { ref: '/proc/self/environ', kind: 'input', says: /absolute paths are refused/ },
    { ref: '/etc/hostname', kind: 'input', says: /absolute paths are refused/ },
    { ref: join(root, 'app.env'), kind: 'input', says: /absolute paths are refused/ },
    { ref: '../outside/secret.env', kind: 'input', says: /leaves the project root .* through \.\./ },
    { ref: '../../../../../../../etc/hostname', kind: 'input', says: /leaves the project root/ },
    { ref: 'sub/../../outside/secret.env', kind: 'input', says: /leaves the project root/ },
    { ref: 'out-link.env', kind: 'input', says: /symbolic link to .*outside[/\\]secret\.env, outside the project root/ },
    { ref: 'out-dir/secret.env', kind: 'input', says: /symbolic link to .*, outside the project root/ },
    { ref: 'environ.env', kind: 'input', says: /symbolic link to \/proc\/.*environ, outside the project root/ },
    { ref: 'zero.env', kind: 'input', says: /symbolic link to \/dev\/zero/ },
    { ref: 'pipe.env', kind: 'input', says: /a FIFO \(named pipe\), not a regular file/ },
    { ref: 'a-dir', kind: 'input', says: /a directory, not a regular file/ },
    { ref: 'app.env\0x', kind: 'input', says: /NUL byte/ },
    { ref: 'missing.env', kind: 'not-found', says: /does not exist/ },
  ])('refuses $ref ($kind)', ({ ref, kind, says }) => {
    const e = caught(() => read(ref));
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(says);
    expect(e.expected).toBeDefined();
    expect(e.hint).toBeDefined();
  });

  it('the referenced-file bound applies (and can be raised)', () => {
    writeFileSync(join(root, 'big.env'), 'X'.repeat(2000));
    const small = referenceReader({ base: root, limits: { referencedBytes: 1999, inputBytes: 10 } });
    expect(caught(() => small('big.env')).message).toMatch(/larger than 1999 bytes/);
    expect(caught(() => small('big.env')).hint).toMatch(/SLIPWAY_MAX_FILE_BYTES/);
    const exact = referenceReader({ base: root, limits: { referencedBytes: 2000, inputBytes: 10 } });
    expect(exact('big.env')).toHaveLength(2000);
  });

  it('a wider root (SLIPWAY_PROJECT_ROOT) lets ../ reach a sibling inside it, and no further', () => {
    const wide = referenceReader({ base: join(root, 'sub'), root, relativeTo: 'slipway.yaml' });
    expect(wide('../app.env')).toBe('A=1\n');
    expect(caught(() => wide('../../outside/secret.env')).message).toMatch(/leaves the project root/);
  });
});

describe('readInputFile: regular files only, bounded, never blocking', () => {
  const { root } = layout();

  it.each([
    { path: '/dev/zero', says: /character device, not a regular file/ },
    { path: '/dev/urandom', says: /character device, not a regular file/ },
    { path: 'pipe.env', says: /FIFO \(named pipe\), not a regular file/ },
    { path: 'a-dir', says: /directory, not a regular file/ },
    { path: 'missing.yaml', says: /does not exist/ },
  ])('refuses $path at once', ({ path, says }) => {
    const e = caught(() => readInputFile(path.startsWith('/') ? path : join(root, path), { shown: path }));
    expect(e.kind).toBe('input');
    expect(e.message).toMatch(new RegExp(`^cannot read ${path}: `));
    expect(e.message).toMatch(says);
    expect(e.hint).toBeDefined();
  });

  it('follows symlinks for files the user names (no confinement), but still refuses a device behind one', () => {
    expect(readInputFile(join(root, 'in-link.env'))).toBe('B=2\n');
    expect(caught(() => readInputFile(join(root, 'zero.env'))).message).toMatch(/character device/);
  });

  it('bounds a file whose size the kernel does not report (/proc, size 0) by counting what it reads', () => {
    const e = caught(() => readInputFile('/proc/self/status', { limits: { referencedBytes: 10, inputBytes: 10 } }));
    expect(e.message).toMatch(/larger than 10 bytes/);
    expect(e.hint).toMatch(/SLIPWAY_MAX_INPUT_BYTES/);
  });

  it('uses the referenced-file bound for an --env-file', () => {
    writeFileSync(join(root, 'vars.env'), 'V=1234567890\n');
    const limits = { referencedBytes: 5, inputBytes: 1000 };
    expect(caught(() => readInputFile(join(root, 'vars.env'), { as: 'referenced', limits })).hint).toMatch(/SLIPWAY_MAX_FILE_BYTES/);
    expect(readInputFile(join(root, 'vars.env'), { limits })).toBe('V=1234567890\n');
  });
});

describe('readLimits', () => {
  it.each([
    { env: {}, want: DEFAULT_LIMITS },
    { env: { SLIPWAY_MAX_FILE_BYTES: '' }, want: DEFAULT_LIMITS },
    { env: { SLIPWAY_MAX_FILE_BYTES: '2048' }, want: { ...DEFAULT_LIMITS, referencedBytes: 2048 } },
    { env: { SLIPWAY_MAX_INPUT_BYTES: ' 99 ' }, want: { ...DEFAULT_LIMITS, inputBytes: 99 } },
  ])('$env', ({ env, want }) => {
    expect(readLimits(env)).toEqual(want);
  });

  it('defaults are 1 MiB for referenced files and 64 MiB for inputs', () => {
    expect(DEFAULT_LIMITS).toEqual({ referencedBytes: 1024 * 1024, inputBytes: 64 * 1024 * 1024 });
  });

  it.each(['abc', '0', '-5', '1.5', '1e9', '12MiB'])('refuses %s as a byte count', (v) => {
    const e = caught(() => readLimits({ SLIPWAY_MAX_FILE_BYTES: v }));
    expect(e.kind).toBe('input');
    expect(e.message).toContain('SLIPWAY_MAX_FILE_BYTES');
    expect(e.hint).toBeDefined();
  });
});

describe('projectRoot', () => {
  const { root, outside } = layout();
  it('is the directory itself by default', () => {
    expect(projectRoot(join(root, 'sub'), {})).toBe(join(root, 'sub'));
  });
  it('is SLIPWAY_PROJECT_ROOT when that contains the directory', () => {
    expect(projectRoot(join(root, 'sub'), { SLIPWAY_PROJECT_ROOT: root })).toBe(root);
  });
  it('refuses a SLIPWAY_PROJECT_ROOT that does not contain the directory', () => {
    const e = caught(() => projectRoot(join(root, 'sub'), { SLIPWAY_PROJECT_ROOT: outside }));
    expect(e.kind).toBe('input');
    expect(e.message).toMatch(/does not contain/);
  });
});
