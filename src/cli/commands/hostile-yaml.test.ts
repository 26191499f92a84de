import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryIo } from '../io.ts';
import { main } from '../main.ts';

// Issue 14: hostile YAML gives exit 2 with file:line:col, expected and a hint in every command
// that reads YAML (validate, render, lint, import compose), never a JavaScript message, never a
// Node warning on stderr, and never unbounded output.

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', ...argv], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-hostile-'));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const SPEC = 'app: demo\nservices:\n  api:\n    image: ghcr.io/acme/api:1.0\n';
const COMPOSE = 'services:\n  api:\n    image: ghcr.io/acme/api:1.0\n';
const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n';

/** How each command reads a file of its kind: the command line, and the text a payload is appended to. */
const COMMANDS: { name: string; base: string; fileName: string; argv: (path: string) => string[] }[] = [
  { name: 'validate', base: SPEC, fileName: 'slipway.yaml', argv: (p) => ['validate', p] },
  { name: 'render', base: SPEC, fileName: 'slipway.yaml', argv: (p) => ['render', p] },
  { name: 'import compose', base: COMPOSE, fileName: 'compose.yaml', argv: (p) => ['import', 'compose', p, '-o', '-'] },
  { name: 'lint', base: MANIFEST, fileName: 'm.yaml', argv: (p) => ['lint', p] },
];

const BOMB = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n');

/** Payloads appended to each command's file, and the message each must give. */
const PAYLOADS: { name: string; text: string; message: RegExp; merge?: true }[] = [
  { name: 'alias bomb', text: `${BOMB}\n`, message: /aliases expand to more than 1,000,000 nodes/ },
  { name: 'self-referencing alias', text: 'x: &c [x, *c]\n', message: /alias \*c is inside the node it names/ },
  { name: 'nesting of 1,000 levels', text: `x: ${'['.repeat(1000)}${']'.repeat(1000)}\n`, message: /nesting deeper than 256 levels/ },
  { name: 'block nesting of 800 levels', text: `x:\n${Array.from({ length: 800 }, (_, i) => `${'  '.repeat(i + 1)}k:`).join('\n')}\n`, message: /nesting deeper than 256 levels/ },
  // Found by the fuzz suite: "Maximum call stack size exceeded" from the parser itself, exit 1.
  { name: 'a tab-indented key, then 3,000 lines that each nest deeper', text: `x:\n  \tk0: v\n${Array.from({ length: 3000 }, (_, i) => `    k${i + 1}: v`).join('\n')}\ny: 1\n`, message: /nesting deeper than 256 levels/ },
  // lint reads plain YAML 1.2, where `<<` is an ordinary key: only spec and compose have merge keys
  { name: 'merge key with a scalar', text: 'x:\n  <<: 5\n', message: /merge key \(`<<`\) whose value is not a mapping/, merge: true },
  { name: 'list as a key', text: '? [a, b]\n: 1\n', message: /a list used as a key/ },
  { name: 'mapping as a key', text: '{a: 1}: 2\n', message: /a mapping used as a key/ },
];

/** What must never reach a user. */
const JS_NOISE = /Maximum call stack|Cannot read properties|Excessive alias count|Merge sources must be|stringified|parseAllDocuments|RangeError|TypeError|ReferenceError|at .*\.js:\d+|\(node:\d+\)/;

describe('hostile YAML in every command: exit 2, file:line:col, expected and hint', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const cases = COMMANDS.flatMap((c) => PAYLOADS.filter((p) => p.merge !== true || c.name !== 'lint').map((p) => ({ command: c.name, payload: p.name, c, p })));
  it.each(cases)('$command: $payload', async ({ c, p }) => {
    const warn = vi.spyOn(process, 'emitWarning');
    const path = file(c.fileName, `${c.base}${p.text}`);
    const r = await run(...c.argv(path));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    expect(r.err).toMatch(p.message);
    expect(r.err).toMatch(/expected: /);
    expect(r.err).toMatch(/hint: /);
    expect(r.err).not.toMatch(JS_NOISE);
    expect(r.err.length).toBeLessThan(2000);
    expect(warn).not.toHaveBeenCalled();
  });

  it.each(COMMANDS)('$name: 1,000 repeated keys print a bounded report', async (c) => {
    const path = file(c.fileName, `${c.base}${'dup: 1\n'.repeat(1000)}`);
    const r = await run(...c.argv(path));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/duplicate key "dup"/);
    expect(r.err).toMatch(/950 more problem\(s\) in this file/);
    expect(r.err.length).toBeLessThan(20_000);
  });
});

describe('real files that the old bounds refused or misread', () => {
  const labels = `labels:\n  team: &t platform\n${Array.from({ length: 1001 }, (_, i) => `  k${i}: *t\n`).join('')}`;

  it.each([
    { name: 'validate', argv: (p: string) => ['validate', p] },
    { name: 'render', argv: (p: string) => ['render', p] },
  ])('$name: a spec that uses one anchor 1,001 times passes', async ({ argv }) => {
    const r = await run(...argv(file('slipway.yaml', `${SPEC}${labels}`)));
    expect(r.code, r.err).toBe(0);
  });

  it('import compose: a compose file that uses one anchor 1,001 times passes', async () => {
    const env = 'x-env: &env {LOG_LEVEL: info}\n';
    const services = Array.from({ length: 1001 }, (_, i) => `  s${i}:\n    image: ghcr.io/acme/s:1.0\n    environment: *env\n`).join('');
    const r = await run('import', 'compose', file('compose.yaml', `${env}services:\n${services}`), '-o', '-');
    expect(r.code, r.err).toBe(0);
  });

  it('lint: a manifest that uses one anchor 1,001 times passes', async () => {
    const data = `data:\n  a: &v value\n${Array.from({ length: 1001 }, (_, i) => `  k${i}: *v\n`).join('')}`;
    const r = await run('lint', file('m.yaml', `${MANIFEST}${data}`));
    expect(r.err).toBe('');
    expect(r.out).toMatch(/1 object\(s\)/);
  });

  it('validate: lone-CR line breaks (valid YAML) read like LF', async () => {
    const r = await run('validate', file('slipway.yaml', `# header\n${SPEC}`.replace(/\n/g, '\r')));
    expect(r.code, r.err).toBe(0);
  });

  it('lint: lone-CR line breaks (valid YAML) read like LF', async () => {
    const r = await run('lint', file('m.yaml', `# header\n${MANIFEST}data: {a: b}\n`.replace(/\n/g, '\r')));
    expect(r.out).toMatch(/1 object\(s\)/);
  });
});

describe('lint: List documents', () => {
  const item = '{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}';
  it.each([
    { name: 'List without items', text: 'apiVersion: v1\nkind: List\n', at: '2:1', message: /a List without items/ },
    { name: 'items not a list', text: 'apiVersion: v1\nkind: List\nitems: {}\n', at: '3:1', message: /items of a List is not a list/ },
    { name: 'List inside a List', text: `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: [${item}]\n`, at: '5:3', message: /a List inside a List/ },
    { name: 'scalar items', text: `apiVersion: v1\nkind: List\nitems: [${item}, 1, two]\n`, at: '3:65', message: /item 1 of a List is not a Kubernetes object/ },
  ])('$name: exit 2 at $at', async ({ text, at, message }) => {
    const path = file('m.yaml', text);
    const r = await run('lint', path);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`${path}:${at}: `);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/expected: .*\n.*hint: /);
    expect(r.err).not.toMatch(JS_NOISE);
  });

  it('an empty List is no objects, exit 0', async () => {
    const r = await run('lint', file('m.yaml', 'apiVersion: v1\nkind: List\nitems: []\n'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/0 object\(s\)/);
  });
});
