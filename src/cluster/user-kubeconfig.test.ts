import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { buildKubeconfig, type KubeconfigDoc } from './kubeconfig.ts';
import { checkUserKubeconfig, mergeIntoUserKubeconfig, removeFromUserKubeconfig, userKubeconfigPath } from './user-kubeconfig.ts';

const ours = buildKubeconfig({ name: 'slipway-dev', server: 'https://127.0.0.1:1234', caPem: 'CA', certPem: 'CERT', keyPem: 'KEY' });
const other = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: https://prod}
users:
- name: prod
  user: {token: t}
contexts:
- name: prod
  context: {cluster: prod, user: prod}
current-context: prod
preferences: {colors: true}
`;

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-user-kc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const read = (file: string): KubeconfigDoc => parse(readFileSync(file, 'utf8')) as KubeconfigDoc;
const names = (doc: KubeconfigDoc): Record<'clusters' | 'users' | 'contexts', string[]> => ({
  clusters: doc.clusters.map((c) => c.name),
  users: doc.users.map((c) => c.name),
  contexts: doc.contexts.map((c) => c.name),
});
const mode = (file: string): number => statSync(file).mode & 0o777;
/** Files other than the ones a test created: a temp or lock file left behind is a defect. */
const leftovers = (d: string, expected: readonly string[]): string[] => readdirSync(d).filter((f) => !expected.includes(f));

describe('userKubeconfigPath', () => {
  it.each([
    { what: 'KUBECONFIG unset: ~/.kube/config', kubeconfig: undefined, exists: [], want: 'home/.kube/config' },
    { what: 'KUBECONFIG empty: ~/.kube/config', kubeconfig: '', exists: [], want: 'home/.kube/config' },
    { what: 'one file, even when missing', kubeconfig: ['a'], exists: [], want: 'a' },
    { what: 'several: the first, when it exists', kubeconfig: ['a', 'b'], exists: ['a', 'b'], want: 'a' },
    { what: 'several: the first that exists', kubeconfig: ['a', 'b', 'c'], exists: ['b', 'c'], want: 'b' },
    { what: 'several, none exists: the last (kubectl creates it)', kubeconfig: ['a', 'b'], exists: [], want: 'b' },
    { what: 'empty entries and duplicates ignored', kubeconfig: ['', 'a', '', 'a'], exists: [], want: 'a' },
  ])('$what', ({ kubeconfig, exists, want }) => {
    for (const f of exists) writeFileSync(join(dir, f), '');
    const env = kubeconfig === undefined ? {} : { KUBECONFIG: typeof kubeconfig === 'string' ? kubeconfig : kubeconfig.map((f) => (f === '' ? '' : join(dir, f))).join(delimiter) };
    expect(userKubeconfigPath(env, join(dir, 'home'))).toBe(join(dir, want));
  });
});

describe('mergeIntoUserKubeconfig', () => {
  it.each([
    { what: 'no file: creates the folders and a 0600 file', existing: undefined, mode: undefined, names: ['slipway-dev'] },
    { what: 'an empty file', existing: '', mode: 0o600, names: ['slipway-dev'] },
    { what: 'other contexts: kept, file stays 0600', existing: other, mode: 0o600, names: ['prod', 'slipway-dev'] },
    { what: 'a file the user made 0640 keeps its mode', existing: other, mode: 0o640, names: ['prod', 'slipway-dev'] },
  ])('$what', async ({ existing, mode: m, names: want }) => {
    const file = join(dir, 'home', '.kube', 'config');
    if (existing !== undefined) {
      mkdirSync(join(dir, 'home', '.kube'), { recursive: true });
      writeFileSync(file, existing, { mode: m });
      chmodSync(file, m ?? 0o600);
    }
    expect(await mergeIntoUserKubeconfig(file, ours)).toBe(true);
    const doc = read(file);
    expect(names(doc)).toEqual({ clusters: want, users: want, contexts: want });
    expect(doc['current-context']).toBe('slipway-dev');
    expect(doc.clusters.find((c) => c.name === 'slipway-dev')).toEqual(ours.clusters[0]);
    expect(mode(file)).toBe(m ?? 0o600);
    if (existing === other) expect(doc['preferences']).toEqual({ colors: true });
    expect(leftovers(join(dir, 'home', '.kube'), ['config'])).toEqual([]);
  });

  it('is idempotent: a second merge changes nothing and does not rewrite the file', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, other, { mode: 0o600 });
    expect(await mergeIntoUserKubeconfig(file, ours)).toBe(true);
    const first = readFileSync(file, 'utf8');
    const inode = statSync(file).ino;
    expect(await mergeIntoUserKubeconfig(file, ours)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(statSync(file).ino).toBe(inode);
  });

  it('replaces a stale entry of ours (a cluster deleted and created again) without duplicating it', async () => {
    const file = join(dir, 'config');
    await mergeIntoUserKubeconfig(file, buildKubeconfig({ name: 'slipway-dev', server: 'https://127.0.0.1:1', caPem: 'OLD', certPem: 'OLD', keyPem: 'OLD' }));
    await mergeIntoUserKubeconfig(file, ours);
    const doc = read(file);
    expect(names(doc)).toEqual({ clusters: ['slipway-dev'], users: ['slipway-dev'], contexts: ['slipway-dev'] });
    expect(doc.users[0]).toEqual(ours.users[0]);
  });

  it.each([
    ['not yaml', 'a: [1,'],
    ['not a mapping', '- 1\n'],
    ['another kind of document', 'apiVersion: v1\nkind: Pod\n'],
    ['contexts not a list', 'contexts: 3\n'],
  ])('refuses %s without writing anything', async (_, text) => {
    const file = join(dir, 'config');
    writeFileSync(file, text, { mode: 0o600 });
    await expect(checkUserKubeconfig(file)).rejects.toMatchObject({ kind: 'input' });
    await expect(mergeIntoUserKubeconfig(file, ours)).rejects.toMatchObject({ kind: 'input', message: expect.stringContaining(file) as unknown });
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(leftovers(dir, ['config'])).toEqual([]);
  });

  it('writes through a symlink to its target and keeps the link', async () => {
    const target = join(dir, 'dotfiles-kubeconfig');
    writeFileSync(target, other, { mode: 0o600 });
    const link = join(dir, 'config');
    symlinkSync(target, link);
    await mergeIntoUserKubeconfig(link, ours);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(names(read(target)).contexts).toEqual(['prod', 'slipway-dev']);
  });

  it('waits for the lock kubectl holds (<file>.lock) and writes after it is released', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, other, { mode: 0o600 });
    writeFileSync(`${file}.lock`, '');
    const merging = mergeIntoUserKubeconfig(file, ours);
    await sleep(300);
    expect(read(file)['current-context']).toBe('prod'); // not written while locked
    rmSync(`${file}.lock`);
    expect(await merging).toBe(true);
    expect(read(file)['current-context']).toBe('slipway-dev');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('two merges at once both land (the lock serialises them)', async () => {
    const file = join(dir, 'config');
    const a = buildKubeconfig({ name: 'slipway-a', server: 'https://127.0.0.1:1', caPem: 'A', certPem: 'A', keyPem: 'A' });
    const b = buildKubeconfig({ name: 'slipway-b', server: 'https://127.0.0.1:2', caPem: 'B', certPem: 'B', keyPem: 'B' });
    await Promise.all([mergeIntoUserKubeconfig(file, a), mergeIntoUserKubeconfig(file, b)]);
    expect(names(read(file)).contexts.sort()).toEqual(['slipway-a', 'slipway-b']);
  });
});

describe('removeFromUserKubeconfig', () => {
  it('removes our entries, unsets current-context that was ours, keeps the rest and the mode', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, other, { mode: 0o600 });
    await mergeIntoUserKubeconfig(file, ours);
    expect(await removeFromUserKubeconfig(file, 'slipway-dev')).toBe(true);
    const doc = read(file);
    expect(names(doc)).toEqual({ clusters: ['prod'], users: ['prod'], contexts: ['prod'] });
    expect(doc['current-context']).toBeUndefined();
    expect(doc['preferences']).toEqual({ colors: true });
    expect(mode(file)).toBe(0o600);
    expect(leftovers(dir, ['config'])).toEqual([]);
  });

  it('keeps current-context when the user switched to another context', async () => {
    const file = join(dir, 'config');
    await mergeIntoUserKubeconfig(file, ours);
    await writeFile(file, readFileSync(file, 'utf8').replace('current-context: slipway-dev', 'current-context: prod'));
    await removeFromUserKubeconfig(file, 'slipway-dev');
    expect(read(file)['current-context']).toBe('prod');
  });

  it.each([
    ['no file', undefined],
    ['a file without our entries', other],
  ])('%s: nothing to do, nothing written', async (_, text) => {
    const file = join(dir, 'config');
    if (text !== undefined) writeFileSync(file, text, { mode: 0o600 });
    const before = text === undefined ? undefined : statSync(file).ino;
    expect(await removeFromUserKubeconfig(file, 'slipway-dev')).toBe(false);
    expect(existsSync(file)).toBe(text !== undefined);
    if (before !== undefined) expect(statSync(file).ino).toBe(before);
  });

  it('refuses a malformed file without writing', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, 'a: [1,');
    await expect(removeFromUserKubeconfig(file, 'slipway-dev')).rejects.toMatchObject({ kind: 'input' });
    expect(readFileSync(file, 'utf8')).toBe('a: [1,');
  });
});
