/**
 * Git through the system `git`: a cache of bare repositories on the controller's disk, shallow
 * fetches, and checkouts of one commit extracted once and shared by every app that deploys it.
 *
 *  - One `git ls-remote` per repository per interval, however many apps use it: resolutions are
 *    memoized for the shortest interval asked for, and concurrent callers share one request
 *    (whatever revision each resolves). A commit already in the cache is not fetched again, so an
 *    idle repository costs one ls-remote per interval and nothing else; concurrent resolutions of
 *    one commit share one check, fetch and checkout (a cold start runs each command once).
 *  - Fetches are shallow (`--depth 1`) and serialized per repository (one shallow file, one lock).
 *  - Credentials come from a Secret and reach git through the environment only: https through
 *    GIT_ASKPASS (a script that prints variables, answering only when the server asks), ssh
 *    through a key file and known_hosts in a private directory deleted after the command (host
 *    keys are always verified). They never appear in an argument, a log line or an error message:
 *    git's output is redacted of every secret value and of any user:password in a URL.
 *  - Nothing from the user's or the system's git configuration applies (GIT_CONFIG_GLOBAL=/dev/null,
 *    GIT_CONFIG_NOSYSTEM), only https, ssh and file transports are allowed (no `ext::`), and a
 *    cache is per repository *and* credentials, so an app can never read through another app's
 *    credentials what its own cannot.
 *  - A checkout whose symlinks point outside it is refused (a repository must not make the
 *    controller read its own files).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { SlipwayError, cancelled, clusterUnavailable, forbidden, inputError, internal, notFound } from '../errors/index.ts';
import { sameRepo } from './repo-url.ts';
import { isCommit, parseLsRemote, resolveRevision, type Resolved } from './revision.ts';

export type GitCredentials =
  | { readonly kind: 'https'; readonly username: string; readonly password: string }
  | { readonly kind: 'ssh'; readonly privateKey: string; readonly knownHosts: string };

/** `https://user:secret@host/x` → `https://host/x`: a URL fit for a message. */
export function safeUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/i, '$1');
}

/** `text` without any of `secrets` and without URL credentials; bounded. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/gi, '$1');
  for (const s of secrets) {
    if (s.length < 4) continue;
    out = out.split(s).join('***');
    // Each line of a multi-line secret (a key) on its own too.
    for (const line of s.split('\n')) if (line.trim().length >= 16) out = out.split(line.trim()).join('***');
  }
  return out.length > 2000 ? `${out.slice(0, 2000)}…` : out;
}

const secretsOf = (c: GitCredentials | undefined): string[] => (!c ? [] : c.kind === 'https' ? [c.password] : [c.privateKey]);

/** A fingerprint of the credentials (not reversible): the cache key next to the URL. */
function fingerprint(c: GitCredentials | undefined): string {
  if (!c) return 'anonymous';
  return createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 16);
}

export interface GitOptions {
  /** Where bare repositories and checkouts are kept. */
  readonly cacheDir: string;
  /** @default 'git' */
  readonly gitBinary?: string;
  /** Bound of one network command (ls-remote, fetch). @default 120000 */
  readonly networkTimeoutMs?: number;
  /** Checkouts kept per repository (least recently used go first). @default 16 */
  readonly keepCheckouts?: number;
}

interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

const ASKPASS = `#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$SLIPWAY_GIT_USERNAME" ;;
  *) printf '%s\\n' "$SLIPWAY_GIT_PASSWORD" ;;
esac
`;

/** One repository (URL + credentials) in the cache. */
class Repo {
  readonly url: string;
  readonly dir: string;
  readonly trees: string;
  private readonly git: Git;
  /** The last ls-remote, and when it finished. */
  private refs: { at: number; refs: Map<string, string> } | undefined;
  private listing: Promise<Map<string, string>> | undefined;
  /** Serializes fetches (one shallow file, one FETCH_HEAD). */
  private lock: Promise<unknown> = Promise.resolve();
  private readonly checkouts = new Map<string, Promise<string>>();
  /**
   * The commit being made present and checked out, by sha, while it is: concurrent resolutions of
   * one commit (every app of a repository at a cold start) share one attempt. Before, each ran its
   * own `git cat-file` before the first recorded the commit as present: the 1,000-app bench ran 16
   * git commands at a cold start on one repository, 10 of them cat-file, where 8 do (2 cat-file),
   * and 1,059 with 100 repositories of 10 apps, 590 of them cat-file, where ~670 do. Only the
   * attempt in flight is shared: once settled it is forgotten, so what is kept is what
   * {@link present} and {@link checkouts} keep, and a failure reaches the callers that shared the
   * attempt but not those that come after it (they try again).
   */
  private readonly materializing = new Map<string, Promise<string>>();
  private initialized: Promise<void> | undefined;
  /**
   * Commits known to be in the cache: a commit never leaves it (no gc runs: gc.auto=0, and a
   * shallow fetch only adds), so once seen it is not asked about again. Without this, every
   * resolution of every app ran `git cat-file`, a process spawn each (at 100 apps, a quarter of the
   * controller's CPU during a cold start).
   */
  private readonly present = new Set<string>();
  /** Fetches ended (either way): {@link ensure} asks again whether a commit is here only after one. */
  private fetchesEnded = 0;
  /** Network requests made (ls-remote + fetch), for tests and metrics. */
  readonly stats = { lsRemote: 0, fetch: 0 };

  constructor(git: Git, url: string, dir: string) {
    this.git = git;
    this.url = url;
    this.dir = dir;
    this.trees = `${dir}.trees`;
  }

  /** Creates the bare repository once (concurrent callers share it). */
  init(): Promise<void> {
    this.initialized ??= this.create();
    this.initialized.catch(() => (this.initialized = undefined));
    return this.initialized;
  }

  private async create(): Promise<void> {
    if (existsSync(join(this.dir, 'HEAD'))) return;
    mkdirSync(dirname(this.dir), { recursive: true });
    const tmp = mkdtempSync(`${this.dir}.init-`);
    await this.git.run(['init', '--quiet', '--bare', tmp], {});
    try {
      renameSync(tmp, this.dir);
    } catch {
      // Another caller initialised it first.
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Refs of the remote, at most `maxAgeMs` old; concurrent callers share one ls-remote. */
  async listRefs(creds: GitCredentials | undefined, maxAgeMs: number, signal?: AbortSignal): Promise<Map<string, string>> {
    if (this.refs && Date.now() - this.refs.at < maxAgeMs) return this.refs.refs;
    this.listing ??= (async () => {
      try {
        this.stats.lsRemote++;
        const { stdout } = await this.git.run(['ls-remote', '--', this.url], { creds, network: true, ...(signal ? { signal } : {}) });
        const refs = parseLsRemote(stdout);
        this.refs = { at: Date.now(), refs };
        return refs;
      } finally {
        this.listing = undefined;
      }
    })();
    return this.listing;
  }

  /** Forgets the last ls-remote: the next resolution asks the remote (a webhook said it changed). */
  invalidate(): void {
    this.refs = undefined;
  }

  get lastListedAt(): number | undefined {
    return this.refs?.at;
  }

  private async has(sha: string): Promise<boolean> {
    if (this.present.has(sha)) return true;
    const here = await this.git.run(['--git-dir', this.dir, 'cat-file', '-e', `${sha}^{commit}`], {}).then(
      () => true,
      () => false,
    );
    if (here) this.present.add(sha);
    return here;
  }

  /**
   * The checkout directory of `r.sha`, fetched first if it is not in the cache. Concurrent callers
   * for one commit share one attempt ({@link materializing}), and with it the first caller's
   * `creds` (the same: a cache is per credentials) and `signal` (the controller's stop signal, the
   * same for every reconcile), as {@link listRefs} shares its ls-remote.
   */
  materialize(r: Resolved, creds: GitCredentials | undefined, signal?: AbortSignal): Promise<string> {
    const inFlight = this.materializing.get(r.sha);
    if (inFlight) return inFlight;
    const p = (async () => {
      await this.ensure(r, creds, signal);
      return this.checkout(r.sha);
    })();
    this.materializing.set(r.sha, p);
    const settled = (): void => {
      if (this.materializing.get(r.sha) === p) this.materializing.delete(r.sha);
    };
    p.then(settled, settled);
    return p;
  }

  /** Makes `r.sha` present: a shallow fetch of its ref (or of the commit itself), unless it is already here. */
  private async ensure(r: Resolved, creds: GitCredentials | undefined, signal?: AbortSignal): Promise<void> {
    const fetchesBefore = this.fetchesEnded;
    if (await this.has(r.sha)) return;
    const run = async (): Promise<void> => {
      // Only a fetch that ended since the check above (queued before this one on the lock: another
      // commit, or a ref that moved to this one) can have brought the commit in; otherwise the
      // answer of a moment ago stands, and asking again was a third cat-file per cold commit.
      if (this.fetchesEnded !== fetchesBefore && (await this.has(r.sha))) return;
      try {
        this.stats.fetch++;
        const what = isCommit(r.ref) || r.ref === 'HEAD' ? r.sha : r.ref;
        await this.git.run(['--git-dir', this.dir, '-c', 'gc.auto=0', 'fetch', '--quiet', '--depth', '1', '--no-tags', '--no-write-fetch-head', '--', this.url, what], { creds, network: true, ...(signal ? { signal } : {}) });
        if (!(await this.has(r.sha))) {
          // The ref moved between ls-remote and fetch: ask for the commit itself.
          this.stats.fetch++;
          await this.git.run(['--git-dir', this.dir, '-c', 'gc.auto=0', 'fetch', '--quiet', '--depth', '1', '--no-tags', '--no-write-fetch-head', '--', this.url, r.sha], { creds, network: true, ...(signal ? { signal } : {}) });
        }
      } finally {
        this.fetchesEnded++;
      }
    };
    const next = this.lock.then(run, run);
    this.lock = next.catch(() => undefined);
    await next;
  }

  /** The files of commit `sha`, extracted once into a directory of their own (shared, read-only use). */
  private checkout(sha: string): Promise<string> {
    let p = this.checkouts.get(sha);
    if (!p) {
      p = this.extract(sha);
      this.checkouts.set(sha, p);
      p.catch(() => this.checkouts.delete(sha));
    }
    return p.then((dir) => {
      touch(dir);
      return dir;
    });
  }

  private async extract(sha: string): Promise<string> {
    const final = join(this.trees, sha);
    if (existsSync(final)) return final;
    mkdirSync(this.trees, { recursive: true });
    const tmp = mkdtempSync(join(this.trees, `.${sha.slice(0, 12)}-`));
    try {
      await this.git.archive(this.dir, sha, tmp);
      checkSymlinks(tmp);
      renameSync(tmp, final);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    this.collect();
    return final;
  }

  /** Keeps the most recently used checkouts. */
  private collect(): void {
    const keep = this.git.keepCheckouts;
    const dirs = readdirSync(this.trees)
      .filter((d) => isCommit(d))
      .map((d) => ({ d, at: statSync(join(this.trees, d)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const { d } of dirs.slice(keep)) {
      this.checkouts.delete(d);
      rmSync(join(this.trees, d), { recursive: true, force: true });
    }
  }
}

function touch(dir: string): void {
  const now = new Date();
  try {
    utimesSync(dir, now, now);
  } catch {
    // Collected meanwhile: extracted again on next use.
  }
}

/** Refuses symlinks that resolve outside `root` (absolute targets, `..` escapes). */
function checkSymlinks(root: string, dir = root): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) checkSymlinks(root, p);
    else if (e.isSymbolicLink()) {
      const target = readlinkSync(p);
      const rel = relative(root, resolve(dirname(p), target));
      if (isAbsolute(target) || rel.startsWith('..') || isAbsolute(rel)) {
        throw inputError(`${relative(root, p)}: a symbolic link to ${target}, outside the repository`, { cause: target, expected: 'symbolic links that stay inside the repository', hint: 'replace the link with the file it points to' });
      }
    }
  }
}

/** Classifies a failed git command (its redacted stderr) into the error taxonomy. */
export function gitError(args: readonly string[], stderr: string, url: string | undefined, cause: unknown): SlipwayError {
  const what = url ? `git ${args.find((a) => !a.startsWith('-') && a !== '--git-dir') ?? ''} ${safeUrl(url)}` : `git ${args[0] ?? ''}`;
  const msg = `${what}: ${stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ') || 'failed'}`;
  if (/Authentication failed|could not read Username|Permission denied \(publickey|terminal prompts disabled|HTTP Basic: Access denied|returned error: 40[13]/i.test(stderr)) {
    return forbidden(msg, { cause, hint: 'check the credentials in spec.source.secretRef (https: password = a token with read access; ssh: sshPrivateKey and knownHosts)' });
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(stderr)) {
    return forbidden(msg, { cause, hint: 'the server\'s host key is not in the Secret\'s knownHosts (`ssh-keyscan <host>` prints it; check it out of band)' });
  }
  if (/not our ref|couldn't find remote ref|Remote branch .* not found|no such remote ref/i.test(stderr)) {
    return notFound(msg, { cause, hint: 'the revision is not (or no longer) in the repository' });
  }
  if (/does not appear to be a git repository|repository .* not found|not found$/im.test(stderr) && !/Could not resolve host|Connection refused|timed out/i.test(stderr)) {
    return notFound(msg, { cause, hint: 'check spec.source.repoURL' });
  }
  return clusterUnavailable(msg, { cause, hint: 'the repository is unreachable; the controller retries with backoff and changes nothing meanwhile' });
}

export class Git {
  private readonly o: GitOptions;
  private readonly repos = new Map<string, Repo>();
  private askpass: string | undefined;
  readonly keepCheckouts: number;
  /** git commands run, by subcommand (ls-remote, fetch, cat-file, archive…): for /metrics. */
  readonly commands = new Map<string, number>();

  constructor(o: GitOptions) {
    this.o = o;
    this.keepCheckouts = o.keepCheckouts ?? 16;
    mkdirSync(o.cacheDir, { recursive: true, mode: 0o700 });
  }

  /** The repository `url` as seen with `creds` (its own cache). */
  repo(url: string, creds: GitCredentials | undefined): Repo {
    const key = createHash('sha256').update(`${url}\0${fingerprint(creds)}`).digest('hex').slice(0, 24);
    let r = this.repos.get(key);
    if (!r) {
      r = new Repo(this, url, join(this.o.cacheDir, 'repos', key));
      this.repos.set(key, r);
    }
    return r;
  }

  /** Every cached repository of any of `urls` (with any credentials): for a webhook's refresh. */
  reposOf(urls: readonly string[]): Repo[] {
    return [...this.repos.values()].filter((r) => urls.some((u) => sameRepo(u, r.url)));
  }

  /**
   * `revision` of `url` resolved to a commit that is in the cache, and its checkout directory.
   * The remote is asked at most once per `maxAgeMs` (a commit id: never, once it is here).
   * Concurrent resolutions share the repository's ls-remote (whatever revision each asks for) and,
   * per commit, its check, fetch and checkout ({@link Repo.materialize}): each git command runs
   * once however many apps resolve at the same time.
   */
  async resolve(url: string, revision: string | undefined, creds: GitCredentials | undefined, maxAgeMs: number, signal?: AbortSignal): Promise<Resolved & { readonly dir: string; readonly checkedAt: number }> {
    const repo = this.repo(url, creds);
    await repo.init();
    const rev = (revision ?? '').trim();
    const r = isCommit(rev) ? { sha: rev.toLowerCase(), ref: rev.toLowerCase() } : resolveRevision(await repo.listRefs(creds, maxAgeMs, signal), rev, safeUrl(url));
    const dir = await repo.materialize(r, creds, signal);
    return { ...r, dir, checkedAt: repo.lastListedAt ?? Date.now() };
  }

  /** `git archive <sha> | tar -x -C <dir>`. */
  async archive(gitDir: string, sha: string, into: string): Promise<void> {
    this.counted(['archive']);
    await new Promise<void>((res, rej) => {
      const git = spawn(this.o.gitBinary ?? 'git', ['--git-dir', gitDir, 'archive', '--format=tar', sha], { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      const tar = spawn('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      git.stderr.on('data', (b: Buffer) => (err += b.toString()));
      tar.stderr.on('data', (b: Buffer) => (err += b.toString()));
      git.stdout.pipe(tar.stdin);
      let left = 2;
      const done = (code: number | null): void => {
        if (code !== 0) rej(internal(`extracting commit ${sha}: ${err.trim() || `exit ${String(code)}`}`, { cause: code }));
        else if (--left === 0) res();
      };
      git.on('error', rej);
      tar.on('error', rej);
      git.on('close', done);
      tar.on('close', done);
    });
  }

  /** Runs git; `network` commands get the credentials and the network timeout. Never throws a message holding a secret. */
  async run(args: readonly string[], o: { creds?: GitCredentials | undefined; network?: boolean; signal?: AbortSignal }): Promise<RunResult> {
    this.counted(args);
    const env: Record<string, string> = { ...baseEnv() };
    let tmp: string | undefined;
    const creds = o.network ? o.creds : undefined;
    if (creds?.kind === 'https') {
      env['GIT_ASKPASS'] = this.askpassScript();
      env['SLIPWAY_GIT_USERNAME'] = creds.username;
      env['SLIPWAY_GIT_PASSWORD'] = creds.password;
    } else if (creds?.kind === 'ssh') {
      tmp = mkdtempSync(join(this.o.cacheDir, 'ssh-'));
      chmodSync(tmp, 0o700);
      const key = join(tmp, 'key');
      const hosts = join(tmp, 'known_hosts');
      writeFileSync(key, creds.privateKey.endsWith('\n') ? creds.privateKey : `${creds.privateKey}\n`, { mode: 0o600 });
      writeFileSync(hosts, creds.knownHosts, { mode: 0o600 });
      env['GIT_SSH_COMMAND'] = `ssh -F /dev/null -i '${key}' -o IdentitiesOnly=yes -o UserKnownHostsFile='${hosts}' -o StrictHostKeyChecking=yes -o BatchMode=yes`;
    }
    const url = o.network ? this.urlArg(args) : undefined;
    const signal = o.network ? AbortSignal.any([AbortSignal.timeout(this.o.networkTimeoutMs ?? 120_000), ...(o.signal ? [o.signal] : [])]) : o.signal;
    try {
      return await new Promise<RunResult>((res, rej) => {
        const child = spawn(this.o.gitBinary ?? 'git', [...args], { env, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        child.stderr.on('data', (b: Buffer) => {
          if (stderr.length < 64 * 1024) stderr += b.toString();
        });
        child.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') rej(internal('git is not installed (the GitOps controller runs the system `git`)', { cause: e, hint: 'install git (apt-get install git), or use the slipway image, which has it' }));
          else if (e.name === 'AbortError') rej(o.signal?.aborted ? cancelled(`git ${args[0] ?? ''} cancelled`, { cause: e }) : clusterUnavailable(`git ${args.includes('ls-remote') ? 'ls-remote' : 'fetch'} ${safeUrl(url ?? '')} timed out`, { cause: undefined, hint: 'the repository is unreachable or slow; the controller retries with backoff' }));
          else rej(internal(`git: ${redact(e.message, secretsOf(o.creds))}`, { cause: undefined }));
        });
        child.on('close', (code) => {
          if (code === 0) res({ stdout, stderr });
          else if (code !== null) rej(gitError(args, redact(stderr, secretsOf(o.creds)), url, undefined));
        });
      });
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Counts a command by its subcommand: the first argument that is not an option or an option's value. */
  private counted(args: readonly string[]): void {
    let cmd = 'git';
    for (let i = 0; i < args.length; i++) {
      const a = args[i] ?? '';
      if (a === '--git-dir' || a === '-c' || a === '-C') i++;
      else if (!a.startsWith('-')) {
        cmd = a;
        break;
      }
    }
    this.commands.set(cmd, (this.commands.get(cmd) ?? 0) + 1);
  }

  private urlArg(args: readonly string[]): string | undefined {
    const i = args.indexOf('--');
    return i >= 0 ? args[i + 1] : undefined;
  }

  private askpassScript(): string {
    if (this.askpass && existsSync(this.askpass)) return this.askpass;
    const p = join(this.o.cacheDir, 'askpass.sh');
    writeFileSync(p, ASKPASS, { mode: 0o700 });
    chmodSync(p, 0o700);
    this.askpass = p;
    return p;
  }
}

/** The environment every git command runs with: no user or system config, no prompts, safe transports only. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/tmp',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: 'https:http:ssh:file',
    GIT_SSH_VARIANT: 'ssh',
    LC_ALL: 'C',
  };
  for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'GIT_SSL_CAINFO']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

/** A repository URL compared loosely: scheme and host lower-case, no credentials, no `.git`, no trailing `/`. */
export function normalizeUrl(url: string): string {
  const u = safeUrl(url.trim()).replace(/\/+$/, '').replace(/\.git$/, '');
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(u);
  if (m) return `${(m[1] ?? '').toLowerCase()}${(m[2] ?? '').toLowerCase()}${m[3] ?? ''}`;
  // scp-like git@host:org/repo
  const s = /^([^@]+@)?([^:]+):(.*)$/.exec(u);
  return s ? `ssh://${(s[2] ?? '').toLowerCase()}/${(s[3] ?? '').replace(/^\//, '')}` : u;
}

export type { Repo };
