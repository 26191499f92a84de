/**
 * Webhook receivers on the controller's HTTP port: a push to a repository refreshes the
 * applications that track it at once, instead of at their next interval.
 *
 *   POST /webhooks/github   X-Hub-Signature-256 (HMAC-SHA256 of the body); also Gitea, Forgejo, Gogs
 *   POST /webhooks/gitlab   X-Gitlab-Token
 *   POST /webhooks/generic  X-Slipway-Signature (HMAC-SHA256 of `<timestamp>.<body>`) + X-Slipway-Timestamp
 *
 * Every request is authenticated with the secret configured for the repository it names (an
 * injected {@link WebhookSecretResolver}; {@link webhookSecrets} reads labelled Kubernetes
 * Secrets), compared in constant time. What gets rejected, and with which status:
 *   413 a body over the limit (before it is read past the limit);
 *   401 no signature or token, no secret for the repository, a signature that does not match,
 *       a generic request whose timestamp is outside the tolerance;
 *   409 a delivery seen before (GitHub's `X-GitHub-Delivery`, GitLab's `Idempotency-Key` or
 *       `X-Gitlab-Event-UUID`, the generic signature): remembered in a bounded log with a TTL;
 *       a GitHub push older than that TTL (`repository.pushed_at`) is refused as stale, so an
 *       ID that has left the log cannot be replayed either;
 *   400 a body that is not the provider's JSON;
 *   503 the secrets could not be read (the apiserver is down): the sender retries.
 * A delivery is only remembered once it is authentic, and forgotten again when the refresh
 * fails, so GitHub's "Redeliver" (same delivery ID) works after a failure.
 *
 * Only pushes (branches and tags) refresh; `ping` answers `pong`; other events are accepted and
 * ignored. Secrets, signatures and tokens are never logged, nor the credentials in a URL.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { hmacMatches, tokenMatches } from './hmac.ts';
import { redactRepoURL, sameRepo } from './repo-url.ts';

export type WebhookProvider = 'github' | 'gitlab' | 'generic';

/** An authentic push, as the refresh callback gets it. */
export interface PushEvent {
  readonly provider: WebhookProvider;
  /** The repository's clone URL (https when the payload has one). */
  readonly repoURL: string;
  /** Every URL the payload gives for the repository (clone, ssh, web): match with {@link sameRepo}. */
  readonly repoURLs: readonly string[];
  /** The branch pushed (`refs/heads/<branch>`). */
  readonly branch?: string | undefined;
  /** The tag pushed (`refs/tags/<tag>`). */
  readonly tag?: string | undefined;
  /** The commit the ref points at after the push; undefined when the ref was deleted. */
  readonly commit?: string | undefined;
  /** The repository's default branch, when the payload says (what `HEAD` tracks). */
  readonly defaultBranch?: string | undefined;
  /** The provider's delivery ID, for logs. */
  readonly delivery?: string | undefined;
}

/** Where the receivers find the secrets of a repository. */
export interface WebhookSecretResolver {
  /**
   * The secrets (GitHub and generic: HMAC keys; GitLab: tokens) that may authenticate a delivery
   * of `provider` for the repository with these URLs: several during a rotation, none when the
   * repository has no webhook configured (the request is refused). Throws when they cannot be
   * read (answered 503, so the sender retries).
   */
  secretsFor(provider: WebhookProvider, repoURLs: readonly string[], signal: AbortSignal): Promise<readonly string[]>;
}

export interface WebhookOptions {
  readonly secrets: WebhookSecretResolver;
  /**
   * Called once per authentic push; returns how many applications it refreshed. Meant to queue
   * work and return: the sender waits for the answer (GitHub gives up after 10 s).
   */
  readonly refresh: (push: PushEvent) => number | Promise<number>;
  /** The process's registry (the controller's /metrics). */
  readonly registry: Registry;
  readonly log?: Pick<Logger, 'info' | 'warn'> | undefined;
  /** Largest body read, in bytes; larger gets 413. @default 10 MiB (GitHub's payloads are at most 25 MB, pushes far less) */
  readonly bodyLimitBytes?: number | undefined;
  /** How long a delivery ID is remembered, and the age beyond which a GitHub push is stale, in seconds. @default 86400 */
  readonly replayTtlSeconds?: number | undefined;
  /** Delivery IDs remembered at most (per provider). @default 10000 */
  readonly replayCapacity?: number | undefined;
  /** Largest difference between a generic request's X-Slipway-Timestamp and the clock, in seconds. @default 300 */
  readonly toleranceSeconds?: number | undefined;
  /** Clock in ms (tests). @default Date.now */
  readonly now?: (() => number) | undefined;
}

/** Why a request was refused: the `reason` label of slipway_webhooks_rejected_total and the `error` of the answer. */
type RejectReason =
  | 'too-large'
  | 'unsigned'
  | 'no-secret'
  | 'bad-signature'
  | 'stale'
  | 'replay'
  | 'no-delivery-id'
  | 'malformed'
  | 'secrets-unavailable'
  | 'refresh-failed';

/** GitHub's Redeliver button, retries, and a replay all reuse the ID; IDs are remembered this long. */
const DEFAULT_TTL_S = 86_400;
const DEFAULT_CAPACITY = 10_000;
const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
const DEFAULT_TOLERANCE_S = 300;
/** How long a request waits for the secrets (a Secret informer still syncing). */
const SECRETS_TIMEOUT_MS = 5000;

class Rejection extends Error {
  readonly status: number;
  readonly reason: RejectReason;
  constructor(status: number, reason: RejectReason, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * IDs seen within a TTL, at most `capacity` of them (the oldest go first). Every entry lives
 * the same TTL and is (re)inserted at the end, so the Map's order is expiry order and pruning
 * stops at the first live entry.
 */
export class DeliveryLog {
  private readonly seen = new Map<string, number>();
  private readonly capacity: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(capacity: number, ttlMs: number, now: () => number = Date.now) {
    this.capacity = capacity;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** Records `id`; false when it was recorded within the TTL (a replay). */
  claim(id: string): boolean {
    const t = this.now();
    for (const [k, expires] of this.seen) {
      if (expires > t) break;
      this.seen.delete(k);
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, t + this.ttlMs);
    for (const k of this.seen.keys()) {
      if (this.seen.size <= this.capacity) break;
      this.seen.delete(k);
    }
    return true;
  }

  /** Forgets `id` (its refresh failed: a redelivery must be let through). */
  release(id: string): void {
    this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }
}

interface WebhookMetrics {
  readonly received: Counter<'provider' | 'outcome'>;
  readonly rejected: Counter<'provider' | 'reason'>;
  readonly refreshed: Counter<'provider'>;
}

const metricsByRegistry = new WeakMap<Registry, WebhookMetrics>();

function webhookMetrics(registry: Registry): WebhookMetrics {
  const known = metricsByRegistry.get(registry);
  if (known) return known;
  const m: WebhookMetrics = {
    received: new Counter({ name: 'slipway_webhooks_received_total', help: 'Webhook requests by provider and outcome (refreshed, pong, ignored, rejected)', labelNames: ['provider', 'outcome'] as const, registers: [registry] }),
    rejected: new Counter({ name: 'slipway_webhooks_rejected_total', help: 'Webhook requests refused, by provider and reason (unsigned, bad-signature, replay, stale, too-large, …)', labelNames: ['provider', 'reason'] as const, registers: [registry] }),
    refreshed: new Counter({ name: 'slipway_webhook_refreshed_applications_total', help: 'Applications refreshed by webhook pushes', labelNames: ['provider'] as const, registers: [registry] }),
  };
  metricsByRegistry.set(registry, m);
  return m;
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return str(Array.isArray(v) ? v[0] : v);
};

function parseJson(body: Buffer, form: boolean): Json {
  try {
    const text = form ? (new URLSearchParams(body.toString('utf8')).get('payload') ?? '') : body.toString('utf8');
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Json;
  } catch {
    throw new Rejection(400, 'malformed', form ? 'expected a form with a JSON `payload` field' : 'expected a JSON object');
  }
}

/** `refs/heads/x` → branch x, `refs/tags/x` → tag x; anything else (pull refs, notes) is neither. */
function refOf(ref: string | undefined): { branch?: string; tag?: string } {
  if (ref?.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
  if (ref?.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  return {};
}

const ZERO_SHA = /^0+$/;

/** The URLs a payload object gives for its repository, clone URLs first, without duplicates. */
function urlsOf(o: Json, keys: readonly string[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const v = str(o[k]);
    if (v !== undefined && !out.includes(v)) out.push(v);
  }
  return out;
}

interface Parsed {
  readonly event: 'push' | 'ping' | 'other';
  /** The provider's name of the event, for logs and the answer. */
  readonly name: string;
  readonly repoURLs: readonly string[];
  readonly push?: Omit<PushEvent, 'provider' | 'repoURL' | 'repoURLs' | 'delivery'>;
  /** GitHub: repository.pushed_at (unix seconds), for the staleness check. */
  readonly pushedAt?: number | undefined;
}

function githubEvent(name: string, p: Json): Parsed {
  const repo = obj(p['repository']);
  const repoURLs = urlsOf(repo, ['clone_url', 'ssh_url', 'git_url', 'html_url', 'svn_url', 'url']).filter((u) => !u.includes('api.github') && !u.includes('/api/v3/'));
  if (name !== 'push') return { event: name === 'ping' ? 'ping' : 'other', name, repoURLs };
  const after = str(p['after']);
  const pushedAt = typeof repo['pushed_at'] === 'number' ? repo['pushed_at'] : undefined;
  const push = { ...refOf(str(p['ref'])), commit: after !== undefined && !ZERO_SHA.test(after) ? after : undefined, defaultBranch: str(repo['default_branch']) ?? str(repo['master_branch']) };
  return { event: 'push', name, repoURLs, push, pushedAt };
}

function gitlabEvent(name: string, p: Json): Parsed {
  const project = obj(p['project']);
  const repository = obj(p['repository']);
  const repoURLs = [...new Set([...urlsOf(project, ['git_http_url', 'git_ssh_url', 'http_url', 'ssh_url', 'web_url']), ...urlsOf(repository, ['git_http_url', 'git_ssh_url', 'url', 'homepage'])])];
  const kind = str(p['object_kind']) ?? str(p['event_name']);
  if (kind !== 'push' && kind !== 'tag_push') return { event: 'other', name: kind ?? name, repoURLs };
  const after = str(p['after']) ?? str(p['checkout_sha']);
  const push = { ...refOf(str(p['ref'])), commit: after !== undefined && !ZERO_SHA.test(after) ? after : undefined, defaultBranch: str(project['default_branch']) };
  return { event: 'push', name: kind, repoURLs, push };
}

function genericEvent(p: Json): Parsed {
  const repoURL = str(p['repoURL']);
  if (repoURL === undefined) throw new Rejection(400, 'malformed', 'expected {"repoURL": "...", "ref"|"branch"|"tag": "..."}');
  const ref = refOf(str(p['ref']));
  const branch = str(p['branch']) ?? ref.branch;
  const tag = str(p['tag']) ?? ref.tag;
  return { event: 'push', name: 'push', repoURLs: [repoURL], push: { branch, tag, commit: str(p['commit']) ?? str(p['revision']) } };
}

/** Registers the receivers on `app` (the controller's fastify server), in their own scope. */
export function registerWebhooks(app: FastifyInstance, o: WebhookOptions): void {
  const metrics = webhookMetrics(o.registry);
  const now = o.now ?? Date.now;
  const ttlMs = (o.replayTtlSeconds ?? DEFAULT_TTL_S) * 1000;
  const toleranceMs = (o.toleranceSeconds ?? DEFAULT_TOLERANCE_S) * 1000;
  const capacity = o.replayCapacity ?? DEFAULT_CAPACITY;
  const logs: Record<WebhookProvider, DeliveryLog> = {
    github: new DeliveryLog(capacity, ttlMs, now),
    gitlab: new DeliveryLog(capacity, ttlMs, now),
    // A generic signature is valid for ±tolerance around its timestamp: remember it that long.
    generic: new DeliveryLog(capacity, 2 * toleranceMs, now),
  };

  const reject = (provider: WebhookProvider, req: FastifyRequest, reply: FastifyReply, r: Rejection): FastifyReply => {
    metrics.received.inc({ provider, outcome: 'rejected' });
    metrics.rejected.inc({ provider, reason: r.reason });
    o.log?.warn({ provider, reason: r.reason, delivery: deliveryId(provider, req), remote: req.ip }, `webhook refused: ${r.message}`);
    return reply.code(r.status).send({ error: r.reason, message: r.message });
  };

  const secretsFor = async (provider: WebhookProvider, repoURLs: readonly string[]): Promise<readonly string[]> => {
    if (repoURLs.length === 0) throw new Rejection(401, 'no-secret', 'the payload names no repository, so no secret can verify it');
    let secrets: readonly string[];
    try {
      secrets = await o.secrets.secretsFor(provider, repoURLs, AbortSignal.timeout(SECRETS_TIMEOUT_MS));
    } catch {
      throw new Rejection(503, 'secrets-unavailable', 'the webhook secrets cannot be read right now; retry later');
    }
    if (secrets.length === 0) throw new Rejection(401, 'no-secret', `no ${provider} webhook secret is configured for ${redactRepoURL(repoURLs[0] ?? '')}`);
    return secrets;
  };

  /** After authentication: replay check, then the refresh (or pong, or ignore). */
  const handle = async (provider: WebhookProvider, req: FastifyRequest, reply: FastifyReply, parsed: Parsed, delivery: string | undefined): Promise<FastifyReply> => {
    const log = logs[provider];
    if (delivery !== undefined && !log.claim(delivery)) throw new Rejection(409, 'replay', `delivery ${delivery} was received before`);
    if (parsed.event === 'ping') {
      metrics.received.inc({ provider, outcome: 'pong' });
      o.log?.info({ provider, delivery, repo: redactRepoURL(parsed.repoURLs[0] ?? '') }, 'webhook: ping');
      return reply.code(200).send({ status: 'pong' });
    }
    const push = parsed.push;
    if (parsed.event !== 'push' || push === undefined || (push.branch === undefined && push.tag === undefined)) {
      metrics.received.inc({ provider, outcome: 'ignored' });
      return reply.code(202).send({ status: 'ignored', event: parsed.name });
    }
    const event: PushEvent = { provider, repoURL: parsed.repoURLs[0] ?? '', repoURLs: parsed.repoURLs, ...push, delivery };
    let n: number;
    try {
      n = await o.refresh(event);
    } catch (e) {
      if (delivery !== undefined) log.release(delivery);
      o.log?.warn({ provider, delivery, err: e instanceof Error ? e.message : String(e) }, 'webhook: refresh failed');
      throw new Rejection(500, 'refresh-failed', 'the refresh failed; redeliver to retry');
    }
    metrics.received.inc({ provider, outcome: 'refreshed' });
    metrics.refreshed.inc({ provider }, n);
    o.log?.info({ provider, delivery, repo: redactRepoURL(event.repoURL), branch: event.branch, tag: event.tag, commit: event.commit, applications: n }, 'webhook: push');
    return reply.code(202).send({ status: 'accepted', applications: n });
  };

  type Verify = (req: FastifyRequest, body: Buffer) => Promise<{ parsed: Parsed; delivery: string | undefined }>;
  const verifiers: Record<WebhookProvider, Verify> = {
    github: async (req, body) => {
      const signature = header(req, 'x-hub-signature-256');
      if (signature === undefined) throw new Rejection(401, 'unsigned', 'no X-Hub-Signature-256 header (set a secret on the webhook; SHA-1 signatures are not accepted)');
      const form = (header(req, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
      const parsed = githubEvent(header(req, 'x-github-event') ?? header(req, 'x-gitea-event') ?? header(req, 'x-gogs-event') ?? '', parseJson(body, form));
      const secrets = await secretsFor('github', parsed.repoURLs);
      if (!hmacMatches(signature, secrets, [body])) throw new Rejection(401, 'bad-signature', "X-Hub-Signature-256 does not match the body under the repository's secret");
      const delivery = deliveryId('github', req);
      if (delivery === undefined) throw new Rejection(400, 'no-delivery-id', 'no X-GitHub-Delivery header: a delivery without an ID cannot be checked for replay');
      if (parsed.pushedAt !== undefined && now() - parsed.pushedAt * 1000 > ttlMs) throw new Rejection(409, 'stale', `the push is older than ${ttlMs / 1000} s (repository.pushed_at)`);
      return { parsed, delivery };
    },
    gitlab: async (req, body) => {
      const token = header(req, 'x-gitlab-token');
      if (token === undefined) throw new Rejection(401, 'unsigned', 'no X-Gitlab-Token header (set a secret token on the webhook)');
      const parsed = gitlabEvent(header(req, 'x-gitlab-event') ?? '', parseJson(body, false));
      const secrets = await secretsFor('gitlab', parsed.repoURLs);
      if (!tokenMatches(token, secrets)) throw new Rejection(401, 'bad-signature', "X-Gitlab-Token does not match the repository's token");
      return { parsed, delivery: deliveryId('gitlab', req) };
    },
    generic: async (req, body) => {
      const signature = header(req, 'x-slipway-signature');
      const ts = header(req, 'x-slipway-timestamp');
      if (signature === undefined || ts === undefined) throw new Rejection(401, 'unsigned', 'expected X-Slipway-Signature and X-Slipway-Timestamp headers');
      const seconds = /^\d{1,12}$/.test(ts) ? Number(ts) : NaN;
      if (!Number.isFinite(seconds) || Math.abs(now() - seconds * 1000) > toleranceMs) throw new Rejection(401, 'stale', `X-Slipway-Timestamp must be unix seconds within ${toleranceMs / 1000} s of the receiver's clock`);
      const parsed = genericEvent(parseJson(body, false));
      const secrets = await secretsFor('generic', parsed.repoURLs);
      if (!hmacMatches(signature, secrets, [`${ts}.`, body])) throw new Rejection(401, 'bad-signature', "X-Slipway-Signature does not match `<timestamp>.<body>` under the repository's secret");
      // The signature is unique per (timestamp, body): it is the delivery's ID.
      return { parsed, delivery: signature.trim().toLowerCase() };
    },
  };

  const bodyLimit = o.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  // Its own scope: the raw-body parser and the error handler apply to these routes only.
  void app.register((scope, _opts, done) => {
    // The raw bytes: a signature covers the body exactly as sent.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
      const provider = providerOf(req.url);
      if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reject(provider, req, reply, new Rejection(413, 'too-large', `the body is over the limit of ${bodyLimit} bytes`));
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return reject(provider, req, reply, new Rejection(err.statusCode, 'malformed', err.message));
      o.log?.warn({ provider, err: err.message }, 'webhook: internal error');
      return reply.code(500).send({ error: 'internal', message: 'internal error' });
    });
    for (const provider of ['github', 'gitlab', 'generic'] as const) {
      scope.post(`/webhooks/${provider}`, { bodyLimit }, async (req, reply) => {
        try {
          const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          const { parsed, delivery } = await verifiers[provider](req, body);
          return await handle(provider, req, reply, parsed, delivery);
        } catch (e) {
          if (e instanceof Rejection) return reject(provider, req, reply, e);
          throw e;
        }
      });
    }
    done();
  });
}

function providerOf(url: string): WebhookProvider {
  if (url.startsWith('/webhooks/gitlab')) return 'gitlab';
  if (url.startsWith('/webhooks/generic')) return 'generic';
  return 'github';
}

function deliveryId(provider: WebhookProvider, req: FastifyRequest): string | undefined {
  if (provider === 'github') return header(req, 'x-github-delivery') ?? header(req, 'x-gitea-delivery') ?? header(req, 'x-gogs-delivery');
  if (provider === 'gitlab') return header(req, 'idempotency-key') ?? header(req, 'x-gitlab-event-uuid');
  return undefined;
}

/** Whether a branch or tag looks like a version range (`^1.2`, `~1`, `>=1.0 <2`, `1.x`, `*`). */
const RANGE = /^[\^~<>=*vV\d]|[ |]|\.[xX*]/;
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/i;

/**
 * Whether `push` concerns an application whose source is (`repoURL`, `revision`): the same
 * repository, and
 *   - a branch push: the revision is that branch (`main` or `refs/heads/main`), or `HEAD`/empty
 *     and the branch is the default one (or the payload does not say which is);
 *   - a tag push: the revision is that tag, or a version range (a new tag may satisfy it);
 *   - never for a revision pinned to a commit.
 * A false positive costs one fetch; a false negative leaves the application to its interval.
 */
export function pushMatches(push: PushEvent, repoURL: string, revision: string | undefined): boolean {
  if (!push.repoURLs.some((u) => sameRepo(u, repoURL))) return false;
  const rev = (revision ?? '').trim();
  if (COMMIT.test(rev)) return false;
  if (push.branch !== undefined) {
    if (rev === '' || rev === 'HEAD') return push.defaultBranch === undefined || push.defaultBranch === push.branch;
    return rev === push.branch || rev === `refs/heads/${push.branch}`;
  }
  if (push.tag !== undefined) return rev === push.tag || rev === `refs/tags/${push.tag}` || RANGE.test(rev);
  return false;
}
