/**
 * Git repository URLs in the forms people write them, reduced to one key so that a push to
 * `git@github.com:Acme/Shop.git` finds the applications that track `https://github.com/acme/shop`.
 *
 *   https://github.com/acme/shop(.git)(/)          → github.com/acme/shop
 *   http://user:token@github.com:443/acme/shop      → github.com/acme/shop
 *   ssh://git@github.com:22/acme/shop.git           → github.com/acme/shop
 *   git@github.com:acme/shop.git                     → github.com/acme/shop   (scp-like)
 *   git://github.com/acme/shop.git                   → github.com/acme/shop
 *   file:///srv/git/shop                             → file:///srv/git/shop   (path kept as is)
 *
 * The scheme, credentials, port and a trailing `.git` or `/` do not tell repositories apart, and
 * neither does case: hosting services resolve owner and name case-insensitively (Argo CD's
 * NormalizeGitURL lowercases too). A key that matches one URL too many costs a refresh (one
 * fetch); one that misses leaves an application waiting for its interval. `file://` paths are
 * case-sensitive directories and keep their case and any `.git`.
 */

const SCP_LIKE = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/;

/** The comparison key of a repository URL (see the file comment); unparseable input is trimmed and lowercased. */
export function repoKey(url: string): string {
  const raw = url.trim();
  if (/^file:\/\//i.test(raw)) return `file://${raw.slice('file://'.length).replace(/\/+$/, '')}`;
  let host: string;
  let path: string;
  const scp = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? undefined : SCP_LIKE.exec(raw);
  if (scp) {
    host = scp[1] ?? '';
    path = scp[2] ?? '';
  } else {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return raw.toLowerCase();
    }
    host = u.hostname;
    path = u.pathname;
  }
  path = path.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/i, '').replace(/\/+$/, '');
  return path === '' ? host.toLowerCase() : `${host.toLowerCase()}/${path.toLowerCase()}`;
}

/** Whether two URLs name the same repository (see {@link repoKey}). */
export function sameRepo(a: string, b: string): boolean {
  return repoKey(a) === repoKey(b);
}

/** A URL without its credentials, for logs, status and notifications. */
export function redactRepoURL(url: string): string {
  const raw = url.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return raw; // scp-like `git@host:path` carries no secret
  try {
    const u = new URL(raw);
    if (u.password === '' && u.username === '') return raw;
    u.password = '';
    // `git@` is a login name, not a credential; anything else may be a token.
    if (u.username !== 'git') u.username = '';
    return u.toString();
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//');
  }
}
