import { describe, expect, it } from 'vitest';
import type { SlipwayError } from '../errors/index.ts';
import { isCommit, parseLsRemote, resolveRevision } from './revision.ts';

const sha = (c: string): string => c.repeat(40);

const LS = [
  `${sha('a')}\tHEAD`,
  `${sha('a')}\trefs/heads/main`,
  `${sha('b')}\trefs/heads/release`,
  `${sha('c')}\trefs/tags/v1.2.0`,
  `${sha('d')}\trefs/tags/v1.10.0`,
  // An annotated tag: the tag object, then the commit it points at.
  `${sha('e')}\trefs/tags/v2.0.0`,
  `${sha('f')}\trefs/tags/v2.0.0^{}`,
  `${sha('1')}\trefs/tags/v2.1.0-rc.1`,
  `${sha('2')}\trefs/tags/release`,
  `${sha('3')}\trefs/tags/not-a-version`,
  'garbage line',
].join('\n');

describe('parseLsRemote', () => {
  it('maps refs to commits, annotated tags to the commit they point at', () => {
    const refs = parseLsRemote(LS);
    expect(refs.get('HEAD')).toBe(sha('a'));
    expect(refs.get('refs/tags/v2.0.0')).toBe(sha('f'));
    expect(refs.has('refs/tags/v2.0.0^{}')).toBe(false);
    expect(refs.size).toBe(9);
  });
});

describe('resolveRevision', () => {
  const refs = parseLsRemote(LS);
  it.each([
    ['', sha('a'), 'HEAD'],
    ['HEAD', sha('a'), 'HEAD'],
    ['main', sha('a'), 'refs/heads/main'],
    // A branch wins over a tag of the same name.
    ['release', sha('b'), 'refs/heads/release'],
    ['v1.2.0', sha('c'), 'refs/tags/v1.2.0'],
    ['refs/tags/release', sha('2'), 'refs/tags/release'],
    // Ranges: the highest matching version (numeric order: 1.10 > 1.2), prereleases only when asked.
    ['^1.2', sha('d'), 'refs/tags/v1.10.0'],
    ['~1.2.0', sha('c'), 'refs/tags/v1.2.0'],
    ['>=1.0.0 <2', sha('d'), 'refs/tags/v1.10.0'],
    ['*', sha('f'), 'refs/tags/v2.0.0'],
    ['v2.x', sha('f'), 'refs/tags/v2.0.0'],
    ['>=2.1.0-rc.0', sha('1'), 'refs/tags/v2.1.0-rc.1'],
    [sha('9'), sha('9'), sha('9')],
    [sha('A'), sha('a'), sha('a')],
  ])('%s → %s (%s)', (rev, want, ref) => {
    expect(resolveRevision(refs, rev, 'file:///r')).toEqual({ sha: want, ref });
  });

  it.each([
      ['nope', 'not-found', /no branch or tag.*hint: branches: main, release; tags: v1\.2\.0/],
    ['^3', 'not-found', /no tag of file:\/\/\/r satisfies the semver range "\^3"/],
    ['abc1234', 'input', /abbreviated commit/],
  ])('%s fails (%s)', (rev, kind, message) => {
    let err: unknown;
    try {
      resolveRevision(refs, rev, 'file:///r');
    } catch (e) {
      err = e;
    }
    expect((err as SlipwayError).kind).toBe(kind);
    expect((err as SlipwayError).format().replace(/\n/g, ' ')).toMatch(message);
  });

  it('an empty repository has no HEAD', () => {
    expect(() => resolveRevision(new Map(), undefined, 'r')).toThrow(/no HEAD/);
  });

  it('isCommit', () => {
    expect(isCommit(sha('a'))).toBe(true);
    expect(isCommit('main')).toBe(false);
    expect(isCommit(sha('a').slice(1))).toBe(false);
  });
});
