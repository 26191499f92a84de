import { describe, expect, it } from 'vitest';
import { resolvePins, resolveTag, rewriteActionsTable, type FetchJson } from './pin.ts';
import type { PinnedAction } from './actions.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const T = 't'.repeat(40);
const api = 'https://api.test';

/** A FetchJson answering from a URL → response table; unknown URLs are 404. */
const fake = (routes: Record<string, { status: number; body: unknown }>, calls: string[] = []): FetchJson =>
  (url) => {
    calls.push(url);
    return Promise.resolve(routes[url] ?? { status: 404, body: { message: 'Not Found' } });
  };
const ref = (repo: string, tag: string): string => `${api}/repos/${repo}/git/ref/tags/${tag}`;

describe('resolveTag', () => {
  it.each<[string, Record<string, { status: number; body: unknown }>, string]>([
    ['lightweight tag', { [ref('o/r', 'v1')]: { status: 200, body: { object: { type: 'commit', sha: A } } } }, A],
    [
      'annotated tag',
      {
        [ref('o/r', 'v1')]: { status: 200, body: { object: { type: 'tag', sha: T } } },
        [`${api}/repos/o/r/git/tags/${T}`]: { status: 200, body: { object: { type: 'commit', sha: B } } },
      },
      B,
    ],
  ])('%s resolves to its commit', async (_, routes, sha) => {
    expect(await resolveTag(fake(routes), api, 'o/r', 'v1')).toBe(sha);
  });

  it.each<[string, Record<string, { status: number; body: unknown }>, string, string]>([
    ['missing tag', {}, 'not-found', 'does not exist'],
    ['rate limit', { [ref('o/r', 'v1')]: { status: 403, body: {} } }, 'cluster-unavailable', 'HTTP 403'],
    ['garbage body', { [ref('o/r', 'v1')]: { status: 200, body: '<html>' } }, 'cluster-unavailable', 'unexpected'],
    ['points to a tree', { [ref('o/r', 'v1')]: { status: 200, body: { object: { type: 'tree', sha: A } } } }, 'cluster-unavailable', 'not a commit'],
    ['tag chain loop', { [ref('o/r', 'v1')]: { status: 200, body: { object: { type: 'tag', sha: T } } }, [`${api}/repos/o/r/git/tags/${T}`]: { status: 200, body: { object: { type: 'tag', sha: T } } } }, 'cluster-unavailable', 'too deep'],
  ])('%s → %s', async (_, routes, kind, message) => {
    await expect(resolveTag(fake(routes), api, 'o/r', 'v1')).rejects.toMatchObject({ kind, message: expect.stringContaining(message) as unknown });
  });
});

describe('resolvePins', () => {
  const actions: Record<string, PinnedAction> = {
    one: { repo: 'o/one', sha: A, tag: 'v1.0.0', source: 's' },
    two: { repo: 'o/two', sha: A, tag: 'v2.0.0', source: 's' },
  };
  it('returns failures as data, one outcome per action', async () => {
    const out = await resolvePins(actions, fake({ [ref('o/one', 'v1.0.0')]: { status: 200, body: { object: { type: 'commit', sha: B } } } }), api);
    expect(out.map((o) => o.ok)).toEqual([true, false]);
    expect(out[0]?.ok === true && out[0].value.sha).toBe(B);
  });
  it('stops asking after the API proved unreachable', async () => {
    const calls: string[] = [];
    const down: FetchJson = (url) => {
      calls.push(url);
      return Promise.reject(new Error('ECONNREFUSED'));
    };
    const out = await resolvePins(actions, down, api);
    expect(calls).toHaveLength(1);
    expect(out.every((o) => !o.ok && o.error.kind === 'cluster-unavailable')).toBe(true);
  });
});

describe('rewriteActionsTable', () => {
  const table = [
    `  one: { repo: 'o/one', sha: '${A}', tag: 'v1.0.0', source: 'somewhere (it\\'s fine)' },`,
    `  two: { repo: 'o/two', sha: '${A}', tag: 'v2.0.0', source: 'elsewhere' },`,
  ].join('\n');
  it.each<[string, string, string, boolean]>([
    ['changed SHA is replaced with its new source', 'o/one', B, true],
    ['unchanged SHA leaves the text alone', 'o/one', A, false],
  ])('%s', (_, repo, sha, changed) => {
    const out = rewriteActionsTable(table, [{ id: 'one', repo, tag: 'v1.0.0', oldSha: A, sha }]);
    expect(out !== table).toBe(changed);
    if (changed) {
      expect(out.split('\n')[0]).toBe(`  one: { repo: 'o/one', sha: '${B}', tag: 'v1.0.0', source: 'GitHub REST API GET /repos/o/one/git/ref/tags/v1.0.0 (slipway ci pin)' },`);
      expect(out.split('\n')[1]).toBe(table.split('\n')[1]);
    }
  });
});
