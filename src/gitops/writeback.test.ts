import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SlipwayError } from '../errors/index.ts';
import { Git } from './git.ts';
import { DEFAULT_AUTHOR, DEFAULT_WRITE_BACK_BRANCH, checkWriteBackPath, writeBackDue, commitMessage, defaultWriteBackPath, pinText, pinnedRevision, writeBack, type PromotionPin, type WriteBackRequest } from './writeback.ts';

const tmp = (p: string): string => mkdtempSync(join(tmpdir(), `slipway-wb-${p}-`));
const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { encoding: 'utf8' }).trim();
const BRANCH = 'slipway/promotions';

/** A bare remote with `main` holding one commit (push needs a bare repo, or a branch not checked out). */
function remote(): string {
  const bare = tmp('remote');
  git(bare, 'init', '-q', '--bare', '-b', 'main');
  const work = tmp('seed');
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'commit', '-q', '--allow-empty', '-m', 'seed');
  git(work, 'push', '-q', bare, 'main');
  return bare;
}

const pin = (revision: string, by = 'alice@example.com'): PromotionPin => ({
  app: 'shop-prod', namespace: 'shop', pipeline: 'shop', environment: 'prod', revision, from: 'shop-staging', fromEnvironment: 'staging', by, at: '2026-12-05T16:00:00Z',
});
const SHA1 = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);

function request(bare: string, p: PromotionPin, o: Partial<WriteBackRequest> = {}): WriteBackRequest {
  return { repoURL: `file://${bare}`, creds: undefined, branch: BRANCH, path: defaultWriteBackPath('shop', 'shop-prod'), author: DEFAULT_AUTHOR, pin: p, workDir: tmp('work'), backoffMs: 1, ...o };
}
const show = (bare: string, what: string): string => git(bare, 'show', `${BRANCH}:${what}`);
const count = (bare: string): number => Number(git(bare, 'rev-list', '--count', BRANCH));

describe('writeBack: the promoted revision committed and pushed to git', () => {
  it('creates the branch with the pin file, by the configured author, with a message saying who promoted what from where', async () => {
    const bare = remote();
    const g = new Git({ cacheDir: tmp('cache') });
    const r = await writeBack(g, request(bare, pin(SHA1), { author: { name: 'Release Bot', email: 'bot@example.com' } }));
    expect(r).toMatchObject({ changed: true, attempts: 1 });
    expect(git(bare, 'rev-parse', BRANCH)).toBe(r.commit);
    expect(pinnedRevision(show(bare, '.slipway/promotions/shop/shop-prod.yaml'))).toBe(SHA1);
    expect(show(bare, '.slipway/promotions/shop/shop-prod.yaml')).toBe(pinText(pin(SHA1)).trim());
    expect(git(bare, 'log', '-1', '--format=%an <%ae>', BRANCH)).toBe('Release Bot <bot@example.com>');
    expect(git(bare, 'log', '-1', '--format=%B', BRANCH)).toBe(commitMessage(pin(SHA1)).trim());
    expect(commitMessage(pin(SHA1))).toMatch(/^promote shop-prod \(prod\) to aaaaaaaaaaaa\n\nRevision a{40} promoted staging \(shop-staging\) → prod \(shop-prod\).*\nPromoted by: alice@example.com\n/s);
    // Its own branch: main (what the pipeline follows) is untouched.
    expect(git(bare, 'log', '--format=%s', 'main')).toBe('seed');
    expect(git(bare, 'ls-tree', '-r', '--name-only', BRANCH)).toBe('.slipway/promotions/shop/shop-prod.yaml');
  });

  it('is idempotent: the same revision again (a re-reconcile, a restart after kill -9) makes no commit; the next revision one more', async () => {
    const bare = remote();
    const g = new Git({ cacheDir: tmp('cache') });
    const first = await writeBack(g, request(bare, pin(SHA1)));
    const again = await writeBack(g, request(bare, pin(SHA1, 'someone else')));
    expect(again).toEqual({ commit: first.commit, changed: false, attempts: 1 });
    expect(count(bare)).toBe(1);
    const next = await writeBack(g, request(bare, pin(SHA2)));
    expect(next.changed).toBe(true);
    expect(count(bare)).toBe(2);
    expect(git(bare, 'rev-parse', `${BRANCH}~1`)).toBe(first.commit);
    expect(pinnedRevision(show(bare, '.slipway/promotions/shop/shop-prod.yaml'))).toBe(SHA2);
  });

  it('a push rejected because the branch moved (another environment wrote its file) is fetched again, re-applied on top and retried', async () => {
    const bare = remote();
    const g = new Git({ cacheDir: tmp('cache') });
    await writeBack(g, request(bare, { ...pin(SHA1), app: 'shop-staging', environment: 'staging' }, { path: defaultWriteBackPath('shop', 'shop-staging') }));
    // Another writer pushes between this one's fetch and its push.
    const other = tmp('other');
    const run = g.run.bind(g);
    let raced = false;
    g.run = async (args, o) => {
      if (args.includes('push') && !raced) {
        raced = true;
        git(other, 'clone', '-q', '-b', BRANCH, bare, '.');
        git(other, 'commit', '-q', '--allow-empty', '-m', 'someone else');
        git(other, 'push', '-q', 'origin', BRANCH);
      }
      return run(args, o);
    };
    const r = await writeBack(g, request(bare, pin(SHA2)));
    expect(r).toMatchObject({ changed: true, attempts: 2 });
    expect(git(bare, 'log', '--format=%s', BRANCH).split('\n')).toEqual([`promote shop-prod (prod) to ${SHA2.slice(0, 12)}`, 'someone else', `promote shop-staging (staging) to ${SHA1.slice(0, 12)}`]);
    // Both environments' files are there.
    expect(pinnedRevision(show(bare, '.slipway/promotions/shop/shop-staging.yaml'))).toBe(SHA1);
    expect(pinnedRevision(show(bare, '.slipway/promotions/shop/shop-prod.yaml'))).toBe(SHA2);
  });

  it('a push refused for another reason fails at once, with no secret in the message', async () => {
    const g = new Git({ cacheDir: tmp('cache') });
    const e = (await writeBack(g, { ...request(tmp('missing'), pin(SHA1)), repoURL: 'https://user:s3cr3t-token@127.0.0.1:1/x.git', creds: { kind: 'https', username: 'user', password: 's3cr3t-token' } }).catch((x: unknown) => x)) as SlipwayError;
    expect(e.kind).toBeDefined();
    expect(e.message).not.toContain('s3cr3t-token');
    expect(JSON.stringify(e)).not.toContain('s3cr3t-token');
  });

  it.each([['', false], ['/etc/passwd', false], ['../x.yaml', false], ['.git/config', false], ['deploy/prod/promoted.yaml', true], ['a/../b.yaml', true]])('path %j allowed: %s', (p, ok) => {
    if (ok) expect(checkWriteBackPath(p)).not.toContain('..');
    else expect(() => checkWriteBackPath(p)).toThrow(/is not a file inside the repository/);
  });
});

describe('writeBackDue: once per promoted revision, with backoff after a failure', () => {
  const current = { revision: SHA1, from: 'shop-staging', fromEnvironment: 'staging', at: '2026-12-05T16:00:00Z', by: 'alice' };
  const path = '.slipway/promotions/shop/shop-prod.yaml';
  const done = { revision: SHA1, phase: 'Succeeded', branch: DEFAULT_WRITE_BACK_BRANCH, path, commit: SHA2, at: 'x' };
  const failed = (next: string) => ({ revision: SHA1, phase: 'Failed', branch: DEFAULT_WRITE_BACK_BRANCH, path, failures: 2, nextAttemptAt: next, at: 'x' });
  const now = Date.parse('2026-12-05T16:10:00Z');
  it.each([
    ['nothing promoted yet', undefined, {}, undefined],
    ['promoted, never written', { revision: SHA1, current }, {}, { branch: DEFAULT_WRITE_BACK_BRANCH, path, current, failures: 0 }],
    ['written already', { revision: SHA1, current, writeBack: done }, {}, undefined],
    ['written, then the path changed: written again', { revision: SHA1, current, writeBack: done }, { path: 'p.yaml' }, { branch: DEFAULT_WRITE_BACK_BRANCH, path: 'p.yaml', current, failures: 0 }],
    ['the previous revision written: this one is due', { revision: SHA1, current, writeBack: { ...done, revision: SHA2 } }, {}, { branch: DEFAULT_WRITE_BACK_BRANCH, path, current, failures: 0 }],
    ['failed, backing off', { revision: SHA1, current, writeBack: failed('2026-12-05T16:10:05Z') }, {}, { waitMs: 5000 }],
    ['failed, backoff over', { revision: SHA1, current, writeBack: failed('2026-12-05T16:09:00Z') }, {}, { branch: DEFAULT_WRITE_BACK_BRANCH, path, current, failures: 2 }],
  ])('%s', (_, promotion, spec, want) => {
    expect(writeBackDue(spec, promotion, 'shop', 'shop-prod', now)).toEqual(want);
  });
});
