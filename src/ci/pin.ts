/**
 * `slipway ci pin`: re-resolve each action tag in the table to the commit SHA it points to, via
 * the GitHub REST API (`GET /repos/{owner}/{repo}/git/ref/tags/{tag}`, following annotated tag
 * objects to their commit). The HTTP call is injected (`FetchJson`) so this stays pure and is
 * tested against a fake server.
 * @see https://docs.github.com/en/rest/git/refs#get-a-reference
 * @see https://docs.github.com/en/rest/git/tags#get-a-tag
 */
import { clusterUnavailable, isSlipwayError, notFound, type Outcome, type SlipwayError } from '../errors/index.ts';
import type { PinnedAction } from './actions.ts';

/** GET a URL and return the status and parsed JSON body. Rejects only when no response came. */
export type FetchJson = (url: string) => Promise<{ readonly status: number; readonly body: unknown }>;

export interface PinResult {
  readonly id: string;
  readonly repo: string;
  readonly tag: string;
  readonly oldSha: string;
  readonly sha: string;
}

const UNREACHABLE = 'GitHub API unreachable';

interface GitObject {
  readonly type: string;
  readonly sha: string;
}

function gitObject(body: unknown): GitObject | undefined {
  if (typeof body !== 'object' || body === null || !('object' in body)) return undefined;
  const o = body.object;
  if (typeof o !== 'object' || o === null) return undefined;
  const { type, sha } = o as { type?: unknown; sha?: unknown };
  return typeof type === 'string' && typeof sha === 'string' ? { type, sha } : undefined;
}

async function get(fetchJson: FetchJson, url: string, what: string): Promise<GitObject> {
  let res: { status: number; body: unknown };
  try {
    res = await fetchJson(url);
  } catch (e) {
    throw clusterUnavailable(`${UNREACHABLE} while resolving ${what}`, {
      cause: e,
      hint: 'check network access to api.github.com (or set SLIPWAY_GITHUB_API to a reachable mirror)',
    });
  }
  if (res.status === 404) throw notFound(`${what} does not exist on GitHub`, { cause: res.body, hint: 'fix the tag in src/ci/actions.ts' });
  if (res.status === 401 || res.status === 403 || res.status === 429) {
    throw clusterUnavailable(`GitHub API refused the request for ${what} (HTTP ${res.status})`, {
      cause: res.body,
      hint: 'rate limited or bad token: set GITHUB_TOKEN to a token with public read access',
    });
  }
  const obj = res.status === 200 ? gitObject(res.body) : undefined;
  if (obj === undefined) {
    throw clusterUnavailable(`unexpected GitHub API answer for ${what} (HTTP ${res.status})`, { cause: res.body });
  }
  return obj;
}

/** The commit SHA a tag points to, dereferencing annotated tags (a tag may point to a tag). */
export async function resolveTag(fetchJson: FetchJson, api: string, repo: string, tag: string): Promise<string> {
  const what = `${repo}@${tag}`;
  let obj = await get(fetchJson, `${api}/repos/${repo}/git/ref/tags/${encodeURIComponent(tag)}`, what);
  for (let depth = 0; obj.type === 'tag'; depth++) {
    if (depth >= 5) throw clusterUnavailable(`tag chain too deep for ${what}`, { cause: obj });
    obj = await get(fetchJson, `${api}/repos/${repo}/git/tags/${obj.sha}`, what);
  }
  if (obj.type !== 'commit' || !/^[0-9a-f]{40}$/.test(obj.sha)) {
    throw clusterUnavailable(`${what} resolves to a ${obj.type}, not a commit`, { cause: obj });
  }
  return obj.sha;
}

/** Resolves every action; failures are returned per action, not thrown. */
export async function resolvePins(
  actions: Readonly<Record<string, PinnedAction>>,
  fetchJson: FetchJson,
  api = 'https://api.github.com',
): Promise<Outcome<PinResult>[]> {
  const out: Outcome<PinResult>[] = [];
  let unreachable: SlipwayError | undefined;
  // Sequential: a dozen requests, and it keeps well clear of secondary rate limits.
  for (const [id, a] of Object.entries(actions)) {
    if (unreachable !== undefined) {
      // No answer at all: do not wait for the same network failure once per action.
      out.push({ ok: false, error: unreachable });
      continue;
    }
    try {
      const sha = await resolveTag(fetchJson, api, a.repo, a.tag);
      out.push({ ok: true, value: { id, repo: a.repo, tag: a.tag, oldSha: a.sha, sha } });
    } catch (e) {
      const error = asSlipwayError(e);
      if (error.message.startsWith(UNREACHABLE)) unreachable = error;
      out.push({ ok: false, error });
    }
  }
  return out;
}

function asSlipwayError(e: unknown): SlipwayError {
  return isSlipwayError(e) ? e : clusterUnavailable(e instanceof Error ? e.message : String(e), { cause: e });
}

/**
 * The table file's text with each changed SHA replaced (and its `source` updated to say where the
 * new SHA came from). Lines are matched by `repo: '<owner/repo>'`, one entry per line.
 */
export function rewriteActionsTable(source: string, results: readonly PinResult[]): string {
  let text = source;
  for (const r of results) {
    if (r.sha === r.oldSha) continue;
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.includes(`repo: '${r.repo}'`) && l.includes(`sha: '${r.oldSha}'`));
    if (i < 0) continue;
    const line = lines[i] ?? '';
    lines[i] = line
      .replace(`sha: '${r.oldSha}'`, `sha: '${r.sha}'`)
      .replace(/source: '(?:[^'\\]|\\.)*'/, `source: 'GitHub REST API GET /repos/${r.repo}/git/ref/tags/${r.tag} (slipway ci pin)'`);
    text = lines.join('\n');
  }
  return text;
}
