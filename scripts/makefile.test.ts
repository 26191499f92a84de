/**
 * `make test` fails when any of its checks fails. The recipe runs as one shell script (.ONESHELL),
 * where without `set -e` only the last line's status counts: a failing tsc or eslint used to
 * leave `make test` green. Runs the real recipe with the checks replaced by stubs on PATH that
 * exit with a chosen status (the prerequisites kube-bin/go-tools are dropped: they build binaries).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const TOOLS = ['tsc', 'eslint', 'knip', 'vitest', 'node'] as const;

function stubbedMakefile(dir: string): string {
  const shims = join(dir, 'bin');
  spawnSync('mkdir', ['-p', shims]);
  for (const t of TOOLS) {
    // node stands in for scripts/test-summary.mjs, which prints the summary line.
    const body = t === 'node' ? 'echo "1 passed, 0 failed"' : `echo "ran ${t}"`;
    writeFileSync(join(shims, t), `#!/bin/bash\n${body}\nexit \${FAIL_${t}:-0}\n`);
    chmodSync(join(shims, t), 0o755);
  }
  const real = readFileSync(join(root, 'Makefile'), 'utf8');
  const recipe = real
    .replace(/^test: .*$/m, 'test:')
    // A replacer function: in a replacement string `$$` would collapse to one `$`.
    .replace(/^\t@?source scripts\/env\.sh$/m, (line) => `${line}\n\texport PATH=${shims}:$$PATH`);
  expect(recipe, 'the test recipe sources scripts/env.sh on a line of its own').toContain(shims);
  const file = join(dir, 'Makefile');
  writeFileSync(file, recipe);
  return file;
}

describe('make test', () => {
  const makefile = stubbedMakefile(mkdtempSync(join(tmpdir(), 'slipway-make-')));
  const run = (failing: string | undefined) =>
    spawnSync('make', ['-s', '-f', makefile, 'test'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...(failing !== undefined ? { [`FAIL_${failing}`]: '1' } : {}) },
    });

  it('passes when every check passes, ending with the summary line', () => {
    const r = run(undefined);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('1 passed, 0 failed');
  });

  it.each([
    { failing: 'tsc', ran: ['tsc'] },
    { failing: 'eslint', ran: ['tsc', 'eslint'] },
    { failing: 'knip', ran: ['tsc', 'eslint', 'knip'] },
  ])('fails when $failing fails, and stops there', ({ failing, ran }) => {
    const r = run(failing);
    expect(r.status).not.toBe(0);
    expect(r.stdout.match(/^ran \w+$/gm)).toEqual(ran.map((t) => `ran ${t}`));
  });

  it.each(['vitest', 'node'])('fails when %s fails, still printing the summary line', (failing) => {
    const r = run(failing);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('1 passed, 0 failed');
  });
});
