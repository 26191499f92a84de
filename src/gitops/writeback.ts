/**
 * Writing a promotion back to git (`spec.promotion.writeBack`), for teams that want git to be the
 * only source of truth: on each promotion the controller commits a small file pinning the
 * environment's revision, and pushes it with the credentials the app fetches with.
 *
 *  - The file (default `.slipway/promotions/<pipeline>/<app>.yaml`) is documented in docs/gitops.md;
 *    it holds the revision, where it came from, who promoted it and when.
 *  - It goes to its own branch (default `slipway/promotions`, created on the first write): a commit
 *    on the branch the pipeline follows would be a new revision for the first environment, and
 *    would travel the pipeline again.
 *  - Idempotent: a file already pinning that revision is not written again (no empty commit after
 *    a re-reconcile or a kill -9 between the push and the status write).
 *  - A push rejected because the branch moved (another environment wrote its file) is fetched
 *    again, re-applied on top, and retried with backoff.
 *  - Git is the system `git` (git.ts), with the app's credentials; they never reach a message.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { inputError, isSlipwayError } from '../errors/index.ts';
import { stringifyYaml } from '../manifest/index.ts';
import type { Git, GitCredentials } from './git.ts';
import type { PromotionRecordT, PromotionStatusT, SlipwayAppSpecT } from './types.ts';

export const DEFAULT_WRITE_BACK_BRANCH = 'slipway/promotions';
export const DEFAULT_AUTHOR = { name: 'slipway-controller', email: 'slipway-controller@users.noreply.slipway.dev' } as const;

export interface PromotionPin {
  readonly app: string;
  readonly namespace: string;
  readonly pipeline: string;
  readonly environment: string;
  readonly revision: string;
  readonly from: string;
  readonly fromEnvironment: string;
  readonly by: string;
  readonly at: string;
}

export interface WriteBackRequest {
  readonly repoURL: string;
  readonly creds: GitCredentials | undefined;
  readonly branch: string;
  /** Relative to the repository root. */
  readonly path: string;
  readonly author: { readonly name: string; readonly email: string };
  readonly pin: PromotionPin;
  readonly signal?: AbortSignal | undefined;
  /** Pushes tried at most. @default 4 */
  readonly attempts?: number;
  /** Before the n-th retry: base × 2^(n-1) ms. @default 1000 */
  readonly backoffMs?: number;
  /** Where the working copy is made (removed afterwards). */
  readonly workDir: string;
}

export interface WriteBackResult {
  /** The commit that pins it: the new one, or the existing head when the file already did. */
  readonly commit: string;
  readonly changed: boolean;
  readonly attempts: number;
}

/** The default file of an app: `.slipway/promotions/<pipeline>/<app>.yaml`. */
export const defaultWriteBackPath = (pipeline: string, app: string): string => `.slipway/promotions/${pipeline}/${app}.yaml`;

/** A repository-relative path that stays inside it, or an input error. */
export function checkWriteBackPath(path: string): string {
  const p = normalize(path);
  if (path === '' || isAbsolute(path) || p.startsWith('..') || p === '.' || p.startsWith('.git/') || p === '.git') {
    throw inputError(`spec.promotion.writeBack.path "${path}" is not a file inside the repository`, { cause: path, expected: 'a relative path such as deploy/prod/promoted.yaml', hint: 'leave it out for .slipway/promotions/<pipeline>/<app>.yaml' });
  }
  return p;
}

/** The file's text (documented in docs/gitops.md): stable for one revision except `promotedAt`/`promotedBy`. */
export function pinText(p: PromotionPin): string {
  const body = {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'PromotedRevision',
    app: p.app,
    namespace: p.namespace,
    pipeline: p.pipeline,
    environment: p.environment,
    revision: p.revision,
    from: p.from,
    fromEnvironment: p.fromEnvironment,
    promotedBy: p.by,
    promotedAt: p.at,
  };
  return `# Written by the slipway GitOps controller on each promotion into ${p.environment} (spec.promotion.writeBack).\n# The revision ${p.app} deploys; edits here do not change the cluster.\n${stringifyYaml(body)}`;
}

/** The revision a pin file holds, or undefined. */
export function pinnedRevision(text: string): string | undefined {
  return /^revision: ["']?([0-9a-f]{7,64})["']?$/m.exec(text)?.[1];
}

export function commitMessage(p: PromotionPin): string {
  return `promote ${p.app} (${p.environment}) to ${p.revision.slice(0, 12)}\n\nRevision ${p.revision} promoted ${p.fromEnvironment} (${p.from}) → ${p.environment} (${p.app}) in namespace ${p.namespace}, pipeline ${p.pipeline}.\nPromoted by: ${p.by}\nAt: ${p.at}\n`;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((res) => {
    const t = setTimeout(res, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
  });


/** Commits the pin file on `branch` and pushes it; see the module comment. Throws a SlipwayError (no secret in it). */
export async function writeBack(git: Git, r: WriteBackRequest): Promise<WriteBackResult> {
  const path = checkWriteBackPath(r.path);
  const attempts = r.attempts ?? 4;
  mkdirSync(r.workDir, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(r.workDir, 'writeback-'));
  const net = { creds: r.creds, network: true, ...(r.signal ? { signal: r.signal } : {}) };
  const local = r.signal ? { signal: r.signal } : {};
  const g = (...args: string[]) => git.run(['-C', dir, ...args], local);
  try {
    await git.run(['init', '--quiet', dir], local);
    const remoteHead = async (): Promise<string | undefined> => (await git.run(['-C', dir, 'ls-remote', '--', r.repoURL, `refs/heads/${r.branch}`], net)).stdout.split(/\s+/)[0] || undefined;
    for (let attempt = 1; ; attempt++) {
      const head = await remoteHead();
      if (head) {
        await git.run(['-C', dir, 'fetch', '--quiet', '--depth', '1', '--no-tags', '--', r.repoURL, head], net);
        await g('checkout', '--quiet', '--force', '--detach', head);
      } else {
        // The branch does not exist yet: its first commit has no parent (a branch of pins only).
        await g('checkout', '--quiet', '--orphan', `slipway-writeback-${attempt}`);
        await g('rm', '-r', '-q', '--cached', '--ignore-unmatch', '.');
      }
      const file = join(dir, path);
      if (head && existsSync(file) && pinnedRevision(readFileSync(file, 'utf8')) === r.pin.revision) return { commit: head, changed: false, attempts: attempt };
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, pinText(r.pin));
      await g('add', '--', path);
      await git.run(['-C', dir, '-c', `user.name=${r.author.name}`, '-c', `user.email=${r.author.email}`, '-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '-m', commitMessage(r.pin)], local);
      const commit = (await g('rev-parse', 'HEAD')).stdout.trim();
      try {
        await git.run(['-C', dir, 'push', '--quiet', '--', r.repoURL, `HEAD:refs/heads/${r.branch}`], net);
        return { commit, changed: true, attempts: attempt };
      } catch (e) {
        // Refused because the branch moved (another writer pushed first): fetch, re-apply on top, retry. Anything else fails now.
        const moved = isSlipwayError(e) && !r.signal?.aborted && attempt < attempts && (await remoteHead().catch(() => head)) !== head;
        if (!moved) throw e;
        await sleep((r.backoffMs ?? 1000) * 2 ** (attempt - 1), r.signal);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type WriteBackSpec = NonNullable<NonNullable<SlipwayAppSpecT['promotion']>['writeBack']>;

/**
 * Whether the revision promoted here is to be written back now: undefined when there is nothing
 * to write (no promotion yet, or written already), `{waitMs}` while a failed attempt backs off,
 * else what to write and how many attempts failed before.
 */
export function writeBackDue(
  spec: WriteBackSpec,
  promotion: PromotionStatusT | undefined,
  pipeline: string,
  app: string,
  now: number,
): { waitMs: number } | { branch: string; path: string; current: PromotionRecordT; failures: number } | undefined {
  const current = promotion?.current;
  if (!current || current.revision !== promotion.revision) return undefined;
  const branch = spec.branch ?? DEFAULT_WRITE_BACK_BRANCH;
  const path = spec.path ?? defaultWriteBackPath(pipeline, app);
  const last = promotion.writeBack;
  const same = last?.revision === current.revision && last.branch === branch && last.path === path;
  if (same && last.phase === 'Succeeded') return undefined;
  const wait = same && last.nextAttemptAt ? Date.parse(last.nextAttemptAt) - now : 0;
  if (wait > 0) return { waitMs: wait };
  return { branch, path, current, failures: same && last.phase === 'Failed' ? (last.failures ?? 0) : 0 };
}
