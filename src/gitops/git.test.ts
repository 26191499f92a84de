import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SlipwayError } from '../errors/index.ts';
import { Git, gitError, normalizeUrl, redact, safeUrl } from './git.ts';

const tmp = (p: string): string => mkdtempSync(join(tmpdir(), `slipway-git-${p}-`));
const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { encoding: 'utf8' }).trim();

function repoWith(files: Record<string, string>): { dir: string; url: string; commit: (f: Record<string, string>, msg?: string) => string } {
  const dir = tmp('src');
  git(dir, 'init', '-q', '-b', 'main');
  const commit = (f: Record<string, string>, msg = 'change'): string => {
    for (const [k, v] of Object.entries(f)) writeFileSync(join(dir, k), v);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', msg);
    return git(dir, 'rev-parse', 'HEAD');
  };
  commit(files, 'first');
  return { dir, url: `file://${dir}`, commit };
}

describe('Git: cache, shallow fetches, one ls-remote per interval', () => {
  it('resolves a branch to a checkout; within the interval the remote is not asked again; a new commit is seen once it passed', async () => {
    const r = repoWith({ 'a.yaml': 'v: 1\n' });
    const g = new Git({ cacheDir: tmp('cache') });
    const first = await g.resolve(r.url, 'main', undefined, 60_000);
    expect(first.ref).toBe('refs/heads/main');
    expect(readFileSync(join(first.dir, 'a.yaml'), 'utf8')).toBe('v: 1\n');
    const repo = g.repo(r.url, undefined);
    expect(repo.stats).toEqual({ lsRemote: 1, fetch: 1 });
    // Shallow: the cache holds one commit of history.
    expect(existsSync(join(repo.dir, 'shallow'))).toBe(true);

    const second = r.commit({ 'a.yaml': 'v: 2\n' });
    const cached = await g.resolve(r.url, 'main', undefined, 60_000);
    expect(cached.sha).toBe(first.sha);
    expect(repo.stats).toEqual({ lsRemote: 1, fetch: 1 });

    const fresh = await g.resolve(r.url, 'main', undefined, 0);
    expect(fresh.sha).toBe(second);
    expect(readFileSync(join(fresh.dir, 'a.yaml'), 'utf8')).toBe('v: 2\n');
    // The first checkout is still there for apps that deploy it.
    expect(readFileSync(join(first.dir, 'a.yaml'), 'utf8')).toBe('v: 1\n');
    expect(repo.stats).toEqual({ lsRemote: 2, fetch: 2 });

    // Nothing new: an ls-remote, no fetch.
    await g.resolve(r.url, 'main', undefined, 0);
    expect(repo.stats).toEqual({ lsRemote: 3, fetch: 2 });
  });

  it('concurrent resolutions of one repository share one ls-remote and one fetch', async () => {
    const r = repoWith({ 'a.yaml': 'x: 1\n' });
    const g = new Git({ cacheDir: tmp('cache') });
    const all = await Promise.all(Array.from({ length: 20 }, () => g.resolve(r.url, 'main', undefined, 60_000)));
    expect(new Set(all.map((x) => x.dir)).size).toBe(1);
    expect(g.repo(r.url, undefined).stats).toEqual({ lsRemote: 1, fetch: 1 });
  });

  // Every app of a repository resolves at once at a cold start: each git command runs once, not
  // once per app (the 1,000-app bench ran 16 commands for one repository where 8 do).
  it.each<[string, (r: ReturnType<typeof repoWith>) => string, Record<string, number>]>([
    ['a branch', () => 'main', { init: 1, 'ls-remote': 1, 'cat-file': 2, fetch: 1, archive: 1 }],
    ['a tag', (r) => (git(r.dir, 'tag', 'v1.0.0'), 'v1.0.0'), { init: 1, 'ls-remote': 1, 'cat-file': 2, fetch: 1, archive: 1 }],
    ['a commit (no ls-remote)', (r) => git(r.dir, 'rev-parse', 'HEAD'), { init: 1, 'cat-file': 2, fetch: 1, archive: 1 }],
  ])('20 concurrent cold resolutions of %s run each git command once', async (_n, revision, want) => {
    const r = repoWith({ 'a.yaml': 'x: 1\n' });
    const rev = revision(r);
    const g = new Git({ cacheDir: tmp('cache') });
    const all = await Promise.all(Array.from({ length: 20 }, () => g.resolve(r.url, rev, undefined, 60_000)));
    expect(new Set(all.map((x) => x.dir)).size).toBe(1);
    expect(readFileSync(join(all[0]?.dir ?? '', 'a.yaml'), 'utf8')).toBe('x: 1\n');
    expect(Object.fromEntries(g.commands)).toEqual(want);
  });

  it('a failed fetch is shared by the concurrent resolutions, and tried again by the next one', async () => {
    const r = repoWith({ 'a.yaml': 'x: 1\n' });
    // git, except that `fetch` fails while the marker file exists.
    const dir = tmp('bin');
    const marker = join(dir, 'offline');
    const bin = join(dir, 'git');
    writeFileSync(marker, '');
    writeFileSync(bin, `#!/bin/sh\nfor a in "$@"; do\n  if [ "$a" = fetch ] && [ -e '${marker}' ]; then echo "fatal: unable to access 'x': Could not resolve host: x" >&2; exit 128; fi\ndone\nexec git "$@"\n`, { mode: 0o755 });
    const g = new Git({ cacheDir: tmp('cache'), gitBinary: bin });
    const errs = await Promise.all(Array.from({ length: 10 }, () => g.resolve(r.url, 'main', undefined, 60_000).catch((e: unknown) => e)));
    expect(errs[0]).toMatchObject({ kind: 'cluster-unavailable' });
    expect(errs.every((e) => e === errs[0])).toBe(true);
    expect(Object.fromEntries(g.commands)).toEqual({ init: 1, 'ls-remote': 1, 'cat-file': 1, fetch: 1 });

    rmSync(marker);
    const ok = await g.resolve(r.url, 'main', undefined, 60_000);
    expect(readFileSync(join(ok.dir, 'a.yaml'), 'utf8')).toBe('x: 1\n');
    // The refs are still fresh (no second ls-remote); the commit is checked and fetched again.
    expect(Object.fromEntries(g.commands)).toEqual({ init: 1, 'ls-remote': 1, 'cat-file': 3, fetch: 2, archive: 1 });
  });

  it('a resolution within the interval runs no git command at all (no cat-file, no init per app)', async () => {
    const r = repoWith({ 'a.yaml': 'x: 1\n' });
    const g = new Git({ cacheDir: tmp('cache') });
    await Promise.all(Array.from({ length: 8 }, () => g.resolve(r.url, 'main', undefined, 60_000)));
    const after = new Map(g.commands);
    expect(after.get('init')).toBe(1);
    for (let i = 0; i < 20; i++) await g.resolve(r.url, 'main', undefined, 60_000);
    expect(g.commands).toEqual(after);
    // A cache made by another process (a restart) is used as it is: one cat-file, no fetch.
    const g2 = new Git({ cacheDir: g.repo(r.url, undefined).dir.replace(/\/repos\/[^/]+$/, '') });
    await g2.resolve(r.url, 'main', undefined, 60_000);
    await g2.resolve(r.url, 'main', undefined, 60_000);
    expect(Object.fromEntries(g2.commands)).toEqual({ 'ls-remote': 1, 'cat-file': 1 });
  });

  it('tags, semver ranges and commits (a commit that is cached needs no request at all)', async () => {
    const r = repoWith({ 'a.yaml': 'v: 1\n' });
    const c1 = git(r.dir, 'rev-parse', 'HEAD');
    git(r.dir, 'tag', 'v1.0.0');
    r.commit({ 'a.yaml': 'v: 2\n' });
    git(r.dir, 'tag', '-a', 'v1.1.0', '-m', 'annotated');
    const c2 = git(r.dir, 'rev-parse', 'HEAD');
    r.commit({ 'a.yaml': 'v: 3\n' });
    git(r.dir, 'tag', 'v2.0.0');
    const g = new Git({ cacheDir: tmp('cache') });
    expect((await g.resolve(r.url, 'v1.0.0', undefined, 60_000)).sha).toBe(c1);
    expect(await g.resolve(r.url, '^1.0', undefined, 60_000)).toMatchObject({ sha: c2, ref: 'refs/tags/v1.1.0' });
    const repo = g.repo(r.url, undefined);
    const before = { ...repo.stats };
    const pinned = await g.resolve(r.url, c1, undefined, 60_000);
    expect(readFileSync(join(pinned.dir, 'a.yaml'), 'utf8')).toBe('v: 1\n');
    expect(repo.stats).toEqual(before);
  });

  it('refuses a checkout whose symlink points outside the repository', async () => {
    const r = repoWith({ 'a.yaml': 'v: 1\n' });
    symlinkSync('/etc/passwd', join(r.dir, 'leak.yaml'));
    symlinkSync('a.yaml', join(r.dir, 'ok.yaml'));
    r.commit({});
    const g = new Git({ cacheDir: tmp('cache') });
    await expect(g.resolve(r.url, 'main', undefined, 0)).rejects.toMatchObject({ kind: 'input', message: expect.stringMatching(/leak\.yaml: a symbolic link to \/etc\/passwd, outside the repository/) as unknown });
  });

  it.each([
    ['a repository that does not exist', () => `file://${tmp('none')}/missing`, 'not-found'],
    ['a server that is down', () => 'http://127.0.0.1:9/repo.git', 'cluster-unavailable'],
  ])('%s', async (_, url, kind) => {
    const g = new Git({ cacheDir: tmp('cache') });
    await expect(g.resolve(url(), 'main', undefined, 0)).rejects.toMatchObject({ kind });
  });

  describe('https credentials', () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      // Always refuse: the test is about what git sends and what the error says.
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end();
    });
    afterAll(() => server.close());

    it('are sent only when the server asks, through askpass, and never appear in the error', async () => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      const token = 'ghp_SECRETtoken1234567890abcdef';
      const g = new Git({ cacheDir: tmp('cache') });
      // git over plain http to a loopback test server (the controller refuses credentials over http, credentials.ts).
      const err = (await g.resolve(`http://127.0.0.1:${port}/org/repo.git`, 'main', { kind: 'https', username: 'bot', password: token }, 0).catch((e: unknown) => e)) as SlipwayError;
      expect(seen[0]).toBeUndefined();
      expect(seen).toContain(`Basic ${Buffer.from(`bot:${token}`).toString('base64')}`);
      expect(err.kind).toBe('forbidden');
      expect(err.format()).not.toContain(token);
      expect(err.format()).toMatch(/check the credentials/);
    });
  });
});

describe('redaction and URLs', () => {
  it.each([
    ['https://user:tok3n@github.com/a/b.git', 'https://github.com/a/b.git'],
    ['https://github.com/a/b.git', 'https://github.com/a/b.git'],
    ['ssh://git@github.com/a/b.git', 'ssh://github.com/a/b.git'],
  ])('safeUrl(%s)', (u, want) => expect(safeUrl(u)).toBe(want));

  it('redact removes secret values, each line of a key, and URL credentials', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----';
    const text = `fatal: https://x:hunter2hunter2@host/r failed; key b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ leaked; token hunter2hunter2`;
    const out = redact(text, ['hunter2hunter2', key]);
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ');
    expect(out).toContain('https://host/r');
  });

  it.each([
    ['https://GitHub.com/Acme/Deploy.git/', 'https://github.com/Acme/Deploy'],
    ['git@github.com:acme/deploy.git', 'ssh://github.com/acme/deploy'],
    ['ssh://git@github.com/acme/deploy', 'ssh://github.com/acme/deploy'],
    ['file:///srv/git/deploy', 'file:///srv/git/deploy'],
  ])('normalizeUrl(%s)', (u, want) => expect(normalizeUrl(u)).toBe(want));
});

describe('gitError', () => {
  it.each([
    ['fatal: Authentication failed for \'https://h/r\'', 'forbidden'],
    ['git@h: Permission denied (publickey).', 'forbidden'],
    ['Host key verification failed.', 'forbidden'],
    ['fatal: couldn\'t find remote ref refs/heads/gone', 'not-found'],
    ['fatal: \'/srv/x\' does not appear to be a git repository', 'not-found'],
    ['fatal: unable to access \'https://h/r/\': Could not resolve host: h', 'cluster-unavailable'],
    ['fatal: unable to access: Failed to connect to 127.0.0.1 port 9: Connection refused', 'cluster-unavailable'],
  ])('%s → %s', (stderr, kind) => {
    expect(gitError(['ls-remote', '--', 'https://u:p@h/r'], stderr, 'https://u:p@h/r', undefined)).toMatchObject({ kind, message: expect.not.stringContaining('u:p@') as unknown });
  });
});
