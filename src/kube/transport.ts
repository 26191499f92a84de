/**
 * HTTP transport to one apiserver: keep-alive connections (so concurrent applies reuse TLS
 * sessions), credentials from a kubeconfig that are refreshed when they expire or the apiserver
 * answers 401, proxies (kubeconfig `proxy-url`, else HTTPS_PROXY/NO_PROXY), and bounded
 * exponential backoff with jitter (honouring `Retry-After`) when the apiserver is unreachable or
 * overloaded. Everything above this file speaks in paths and JSON.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { cancelled, clusterUnavailable, internal, isSlipwayError, unsupported } from '../errors/index.ts';
import { parseStatus, statusError } from './errors.ts';
import { resolveTarget, type Credentials, type KubeTarget, type ResolvedTarget } from './kubeconfig.ts';

export type { KubeTarget } from './kubeconfig.ts';

/** How hard to try before declaring the cluster unavailable. */
export interface RetryPolicy {
  /**
   * Attempts per request, the first one included.
   * @default 6
   */
  readonly attempts: number;
  /**
   * First backoff delay in ms; doubles each retry.
   * @default 200
   */
  readonly baseDelayMs: number;
  /**
   * Upper bound of one backoff delay in ms, also of a server's `Retry-After`.
   * @default 3000
   */
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 3000 };

/** A `Retry-After` longer than this is not waited for: the request fails as unavailable instead. */
const MAX_RETRY_AFTER_MS = 30_000;

export interface RawRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  /** @default application/json */
  readonly contentType?: string;
  /** @default application/json */
  readonly accept?: string;
  /** Aborts the request and any backoff wait. */
  readonly signal?: AbortSignal | undefined;
}

export interface RawResponse {
  readonly status: number;
  readonly body: unknown;
  /** The `Retry-After` header in ms, when the server sent one (429, 503). */
  readonly retryAfterMs?: number | undefined;
}

/** Connection-level failures worth retrying: the apiserver restarting, a flapping network. */
const RETRY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
/** HTTP statuses that mean "try again later" rather than "you are wrong". */
const RETRY_STATUS = new Set([429, 502, 503, 504]);

export function isRetryableNetworkError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRY_CODES.has(code)) return true;
  return e instanceof Error && /socket hang up/i.test(e.message);
}

/** The exponential backoff ceiling of retry `attempt` (0-based): base·2^attempt, bounded. */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

/**
 * The wait before retry `attempt`: "equal jitter" (half the backoff ceiling plus a random part
 * of the other half), so that many clients retrying together spread out instead of arriving in
 * waves; never less than the server's `Retry-After` (bounded by {@link MAX_RETRY_AFTER_MS}).
 */
export function retryDelay(attempt: number, policy: RetryPolicy, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const ceiling = backoffDelay(attempt, policy);
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.round(Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)));
}

/** `Retry-After: <seconds>` or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(v: string | undefined, now: number = Date.now()): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Go's rule, which kubectl follows: requests to localhost or a loopback address never go through an environment proxy. */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/**
 * The proxy environment an agent for `server` gets: the kubeconfig's `proxy-url` always wins (as
 * in kubectl); otherwise HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment, except for loopback
 * servers. Node 24's agents implement the CONNECT tunnelling and NO_PROXY matching.
 */
export function proxyEnvFor(server: URL, proxyUrl: string | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | undefined {
  if (proxyUrl) {
    const scheme = proxyUrl.split(':')[0]?.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') {
      throw unsupported(`proxy-url ${redactUrl(proxyUrl)}: only http:// and https:// proxies are supported`, {
        cause: undefined,
        hint: 'use an HTTP CONNECT proxy, or reach the apiserver without the proxy',
      });
    }
    return { HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl };
  }
  if (isLoopback(server.hostname)) return undefined;
  const pick = (k: string): string | undefined => env[k] ?? env[k.toLowerCase()];
  const out: NodeJS.ProcessEnv = {};
  for (const k of ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY']) {
    const v = pick(k);
    if (v) out[k] = v;
  }
  return out['HTTPS_PROXY'] || out['HTTP_PROXY'] ? out : undefined;
}

/** A URL without its userinfo, for messages. */
function redactUrl(u: string): string {
  return u.replace(/\/\/[^@/]*@/, '//***@');
}

export interface TransportOptions {
  readonly target: KubeTarget;
  /**
   * Per-request timeout in ms (no answer within it: retried as a network failure).
   * @default 60000
   */
  readonly requestTimeoutMs?: number;
  /** @default defaultRetryPolicy */
  readonly retry?: RetryPolicy;
  /**
   * Concurrent connections to the apiserver.
   * @default 32
   */
  readonly maxSockets?: number;
  /** Proxy variables (HTTPS_PROXY, NO_PROXY…). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Fault injection for crash-safety tests: with SLIPWAY_FAULT_EXIT_AFTER_WRITES=N the process
 * kills itself (SIGKILL, no cleanup, as `kill -9`) right after its N-th successful write
 * (any non-GET request the apiserver answered 2xx). Never set outside tests.
 */
const FAULT_EXIT_AFTER_WRITES = Number(process.env['SLIPWAY_FAULT_EXIT_AFTER_WRITES'] ?? 0);
let faultWrites = 0;
function countWrite(req: RawRequest, res: RawResponse): void {
  if (FAULT_EXIT_AFTER_WRITES <= 0 || req.method === 'GET' || res.status >= 300) return;
  if (++faultWrites >= FAULT_EXIT_AFTER_WRITES) process.kill(process.pid, 'SIGKILL');
}

/**
 * `verb` and `resource` of a request as the apiserver's audit log and apiserver_request_total name
 * them: get/list/watch/create/update/patch/delete, and the resource with its subresource
 * (`deployments/scale`); `discovery` for /api, /apis and /version.
 */
export function requestKind(method: RawRequest['method'], path: string, query: Readonly<Record<string, string | undefined>> = {}): { verb: string; resource: string } {
  const parts = path.split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  const rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : [];
  const scoped = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  const resource = scoped[0];
  if (resource === undefined) return { verb: method.toLowerCase(), resource: 'discovery' };
  const named = scoped.length > 1;
  const sub = scoped[2];
  const verb =
    method === 'GET' ? (query['watch'] === 'true' || query['watch'] === '1' ? 'watch' : named ? 'get' : 'list') : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method.toLowerCase();
  return { verb, resource: sub ? `${resource}/${sub}` : resource };
}

/** How often credentials that can change are asked for again (client-node answers from its cache until they expire). */
const REAUTH_EVERY_MS = 1000;

export class Transport {
  readonly server: string;
  readonly contextName: string;
  readonly namespace: string | undefined;
  private readonly base: URL;
  private readonly retry: RetryPolicy;
  /** What a forced refresh resolves again; undefined for a target given as is (credentials from a Secret). */
  private readonly targetInput: KubeTarget | undefined;
  private readonly maxSockets: number;
  private readonly requestTimeoutMs: number;
  private readonly proxyEnv: NodeJS.ProcessEnv | undefined;
  private target: ResolvedTarget;
  private agent: http.Agent;
  private headers: Record<string, string>;
  private authCheckedAt = Date.now();
  private authInFlight: Promise<void> | undefined;
  private readonly retired: http.Agent[] = [];
  /** Requests sent (each attempt, each watch), by `verb resource` ({@link requestKind}): for a controller's /metrics. */
  readonly requests = new Map<string, number>();

  private constructor(init: { target: ResolvedTarget; input: KubeTarget | undefined; retry: RetryPolicy; maxSockets: number; env: NodeJS.ProcessEnv; requestTimeoutMs?: number | undefined }) {
    const { server, contextName, namespace, headers } = init.target;
    this.server = server;
    this.contextName = contextName;
    this.namespace = namespace;
    this.base = new URL(server);
    this.retry = init.retry;
    this.targetInput = init.input;
    this.maxSockets = init.maxSockets;
    this.requestTimeoutMs = init.requestTimeoutMs ?? 60_000;
    this.proxyEnv = proxyEnvFor(this.base, init.target.proxyUrl, init.env);
    this.target = init.target;
    this.headers = { ...headers };
    this.agent = this.makeAgent(init.target.tls.cert, init.target.tls.key);
  }

  static async open(o: TransportOptions): Promise<Transport> {
    return new Transport({ target: await resolveTarget(o.target), input: o.target, retry: o.retry ?? defaultRetryPolicy, maxSockets: o.maxSockets ?? 32, env: o.env ?? process.env, requestTimeoutMs: o.requestTimeoutMs });
  }

  /**
   * A transport to an already resolved target (server, TLS and credentials read from somewhere
   * else than a kubeconfig file: a registered cluster's Secret). Its credentials are fixed: a new
   * transport is made when they change.
   */
  static ofTarget(target: ResolvedTarget, o: Omit<TransportOptions, 'target'> = {}): Transport {
    return new Transport({ target, input: undefined, retry: o.retry ?? defaultRetryPolicy, maxSockets: o.maxSockets ?? 32, env: o.env ?? process.env, requestTimeoutMs: o.requestTimeoutMs });
  }

  close(): void {
    this.agent.destroy();
    for (const a of this.retired.splice(0)) a.destroy();
  }

  /**
   * One request, retried with backoff on unavailability (network errors, 429/5xx, honouring
   * `Retry-After`); after a 401 the credentials are resolved again and the request repeated
   * once. HTTP errors are returned, not thrown.
   */
  async request(req: RawRequest): Promise<RawResponse> {
    let last: unknown;
    let reauthed = false;
    let retryAfterMs: number | undefined;
    for (let attempt = 0; attempt < this.retry.attempts; attempt++) {
      if (attempt > 0) {
        if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) break;
        await sleep(retryDelay(attempt - 1, this.retry, retryAfterMs), undefined, req.signal ? { signal: req.signal } : undefined).catch((e: unknown) => {
          throw this.aborted(req, e);
        });
      }
      retryAfterMs = undefined;
      try {
        await this.freshCredentials(false);
        this.count(req.method, req.path, req.query);
        const res = await this.once(req);
        countWrite(req, res);
        if (res.status === 401 && !reauthed) {
          reauthed = true;
          await this.freshCredentials(true);
          attempt--; // a refreshed credential is not a retry of an unavailable server
          continue;
        }
        if (!RETRY_STATUS.has(res.status)) return res;
        last = res;
        retryAfterMs = res.retryAfterMs;
      } catch (e) {
        if (req.signal?.aborted) throw this.aborted(req, e);
        if (!isRetryableNetworkError(e)) throw e;
        last = e;
      }
    }
    const why = last instanceof Error ? last.message : `HTTP ${(last as RawResponse).status}`;
    throw clusterUnavailable(`apiserver ${this.server} unavailable after ${this.retry.attempts} attempts (${why})`, {
      cause: last,
      hint: 'check that the cluster is running (`slipway cluster up`) and that --context/--kubeconfig point at it',
    });
  }

  /** The error for a request its signal aborted: `cancelled`, whatever layer noticed first. */
  private aborted(req: RawRequest, e: unknown): Error {
    return isSlipwayError(e) && e.kind === 'cancelled' ? e : cancelled(`${req.method} ${req.path}: cancelled`, { cause: req.signal?.reason ?? e });
  }

  /**
   * A streaming GET (a watch): calls `onLine` with each JSON line until the server ends the
   * stream or `signal` aborts (both resolve). A non-2xx answer rejects with the apiserver's
   * status as a slipway error (a 401 first refreshes the credentials and tries once more); so
   * do a line that is not JSON and an exception thrown by `onLine`. Nothing is ever thrown from
   * inside a stream listener.
   */
  async stream(path: string, query: Readonly<Record<string, string>>, onLine: (v: unknown) => void, signal: AbortSignal): Promise<void> {
    await this.freshCredentials(false);
    try {
      await this.streamOnce(path, query, onLine, signal);
    } catch (e) {
      if (!(e instanceof UnauthorizedStream)) throw e;
      await this.freshCredentials(true);
      try {
        await this.streamOnce(path, query, onLine, signal);
      } catch (e2) {
        throw e2 instanceof UnauthorizedStream ? e2.error : e2;
      }
    }
  }

  private count(method: RawRequest['method'], path: string, query: Readonly<Record<string, string | undefined>> | undefined): void {
    const { verb, resource } = requestKind(method, path, query);
    const k = `${verb} ${resource}`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
  }

  private streamOnce(path: string, query: Readonly<Record<string, string>>, onLine: (v: unknown) => void, signal: AbortSignal): Promise<void> {
    this.count('GET', path, { ...query, watch: 'true' });
    const url = this.url(path, query);
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (e?: unknown): void => {
        if (settled) return;
        settled = true;
        if (e === undefined || signal.aborted) resolve();
        else reject(e instanceof Error ? e : internal('watch stream failed', { cause: e }));
      };
      const r = this.mod().request(url, { method: 'GET', agent: this.agent, headers: { ...this.headers, Accept: 'application/json' }, signal }, (res) => {
        const status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        if (status < 200 || status >= 300) {
          let text = '';
          res.on('data', (c: string) => {
            if (text.length < 64 * 1024) text += c;
          });
          res.on('error', done);
          res.on('end', () => {
            const body = parseBody(text);
            const err = statusError(`watch ${path}`, parseStatus(status, body), body);
            done(status === 401 ? new UnauthorizedStream(err) : err);
          });
          return;
        }
        let buf = '';
        res.on('data', (chunk: string) => {
          if (settled) return;
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            try {
              onLine(JSON.parse(line));
            } catch (e) {
              done(e);
              res.destroy();
              return;
            }
          }
        });
        res.on('end', () => done());
        res.on('close', () => done());
        res.on('error', done);
      });
      r.on('error', done);
      r.end();
    });
  }

  /**
   * Keeps the credentials current. Unforced, it asks a target whose credentials can change at
   * most every {@link REAUTH_EVERY_MS}; forced (after a 401), it resolves the kubeconfig again,
   * which re-runs an exec plugin and re-reads files. Concurrent callers share one refresh.
   */
  private async freshCredentials(force: boolean): Promise<void> {
    if (!force && (this.target.reauth === undefined || Date.now() - this.authCheckedAt < REAUTH_EVERY_MS)) return;
    if (this.authInFlight === undefined) {
      this.authInFlight = (async () => {
        try {
          let creds: Credentials;
          if (force && this.targetInput !== undefined) {
            const t = await resolveTarget(this.targetInput);
            this.target = t;
            creds = { headers: t.headers, cert: t.tls.cert, key: t.tls.key };
          } else if (this.target.reauth) {
            creds = await this.target.reauth();
          } else return;
          this.headers = { ...creds.headers };
          if (!sameBuffer(creds.cert, this.currentCert) || !sameBuffer(creds.key, this.currentKey)) {
            this.retired.push(this.agent);
            this.agent = this.makeAgent(creds.cert, creds.key);
          }
        } finally {
          this.authCheckedAt = Date.now();
          this.authInFlight = undefined;
        }
      })();
    }
    try {
      await this.authInFlight;
    } catch (e) {
      if (isSlipwayError(e)) throw e;
      throw clusterUnavailable(`cannot refresh the credentials of context "${this.contextName}": ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  private currentCert: Buffer | undefined;
  private currentKey: Buffer | undefined;

  private makeAgent(cert: Buffer | undefined, key: Buffer | undefined): http.Agent {
    this.currentCert = cert;
    this.currentKey = key;
    const { ca, rejectUnauthorized, servername } = this.target.tls;
    const common = { keepAlive: true, maxSockets: this.maxSockets, ...(this.proxyEnv ? { proxyEnv: this.proxyEnv } : {}) };
    return this.base.protocol === 'https:'
      ? new https.Agent({ ...common, ca, cert, key, ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }), ...(servername ? { servername } : {}) })
      : new http.Agent(common);
  }

  private mod(): typeof http | typeof https {
    return this.base.protocol === 'https:' ? https : http;
  }

  private url(path: string, query: Readonly<Record<string, string | undefined>> = {}): URL {
    const u = new URL(this.base.toString().replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
    return u;
  }

  private once(req: RawRequest): Promise<RawResponse> {
    const url = this.url(req.path, req.query);
    const payload = req.body === undefined ? undefined : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
    const headers: Record<string, string> = { ...this.headers, Accept: req.accept ?? 'application/json' };
    if (payload) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const r = this.mod().request(url, { method: req.method, agent: this.agent, headers, ...(req.signal ? { signal: req.signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const retryAfter: string | undefined = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')), retryAfterMs: parseRetryAfter(retryAfter) });
        });
      });
      r.setTimeout(this.requestTimeoutMs, () => r.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      r.on('error', reject);
      if (payload) r.write(payload);
      r.end();
    });
  }
}

/** JSON when it is JSON; otherwise the text (a proxy's HTML page, say), kept for the error message. */
function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function sameBuffer(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.equals(b));
}

/** A watch answered 401: retried once with refreshed credentials before `error` surfaces. */
class UnauthorizedStream extends Error {
  readonly error: unknown;
  constructor(error: unknown) {
    super('unauthorized', { cause: error });
    this.error = error;
  }
}
