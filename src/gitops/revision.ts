/**
 * What `spec.source.revision` means against a repository's refs (as `git ls-remote` lists them):
 * a commit, a branch, a tag, or a semver range over the tags, in that order of precedence
 * (a branch named like a tag wins, as in Argo CD; an exact tag wins over a range that matches it).
 */
import semver from 'semver';
import { inputError, notFound } from '../errors/index.ts';

export interface Resolved {
  /** The commit (40 hex digits). */
  readonly sha: string;
  /** The ref it came from (`refs/heads/main`, `refs/tags/v1.2.0`), or the commit itself. */
  readonly ref: string;
}

const SHA = /^[0-9a-f]{40}$/;

/** `git ls-remote` output → ref → commit; annotated tags map to the commit they point at (`^{}` lines). */
export function parseLsRemote(out: string): Map<string, string> {
  const refs = new Map<string, string>();
  const peeled = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, ref] = line.trim().split(/\s+/);
    if (!sha || !ref || !SHA.test(sha)) continue;
    if (ref.endsWith('^{}')) peeled.set(ref.slice(0, -3), sha);
    else refs.set(ref, sha);
  }
  for (const [ref, sha] of peeled) refs.set(ref, sha);
  return refs;
}

/** Is `revision` a full commit id (no ls-remote needed)? */
export const isCommit = (revision: string): boolean => SHA.test(revision.toLowerCase());

/** The tags of `refs` that are semver versions (a leading `v` allowed), highest first. */
function versionTags(refs: ReadonlyMap<string, string>): { tag: string; version: string }[] {
  const out: { tag: string; version: string }[] = [];
  for (const ref of refs.keys()) {
    if (!ref.startsWith('refs/tags/')) continue;
    const tag = ref.slice('refs/tags/'.length);
    const v = semver.valid(tag.replace(/^v(?=\d)/, ''));
    if (v) out.push({ tag, version: v });
  }
  return out.sort((a, b) => semver.rcompare(a.version, b.version));
}

function listed(refs: ReadonlyMap<string, string>, prefix: string): string {
  const names = [...refs.keys()].filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length));
  if (names.length === 0) return 'none';
  return `${names.slice(0, 10).join(', ')}${names.length > 10 ? `, … (${names.length})` : ''}`;
}

/** Resolves `revision` (empty or HEAD: the default branch) against `refs`. */
export function resolveRevision(refs: ReadonlyMap<string, string>, revision: string | undefined, repo: string): Resolved {
  const rev = (revision ?? '').trim();
  if (rev === '' || rev === 'HEAD') {
    const sha = refs.get('HEAD');
    if (!sha) throw notFound(`${repo} has no HEAD (an empty repository?)`, { cause: undefined, hint: 'push a commit, or set spec.source.revision to a branch or tag' });
    return { sha, ref: 'HEAD' };
  }
  if (isCommit(rev)) return { sha: rev.toLowerCase(), ref: rev.toLowerCase() };
  for (const ref of rev.startsWith('refs/') ? [rev] : [`refs/heads/${rev}`, `refs/tags/${rev}`]) {
    const sha = refs.get(ref);
    if (sha) return { sha, ref };
  }
  const range = semver.validRange(rev.replace(/(^|\s|[<>=~^])v(?=\d)/g, '$1'));
  if (range !== null) {
    const best = versionTags(refs).find((t) => semver.satisfies(t.version, range));
    const ref = best ? `refs/tags/${best.tag}` : undefined;
    const sha = ref ? refs.get(ref) : undefined;
    if (ref && sha) return { sha, ref };
    throw notFound(`no tag of ${repo} satisfies the semver range "${rev}"`, { cause: rev, expected: `a tag in ${range}`, hint: `version tags: ${versionTags(refs).slice(0, 10).map((t) => t.tag).join(', ') || 'none'}` });
  }
  if (/^[0-9a-f]{7,39}$/i.test(rev)) {
    throw inputError(`revision "${rev}" looks like an abbreviated commit`, { cause: rev, expected: 'a full 40-digit commit id, a branch, a tag or a semver range', hint: '`git rev-parse <short>` prints the full id' });
  }
  throw notFound(`revision "${rev}" is no branch or tag of ${repo}`, { cause: rev, expected: 'a branch, a tag, a semver range or a full commit id', hint: `branches: ${listed(refs, 'refs/heads/')}; tags: ${listed(refs, 'refs/tags/')}` });
}
