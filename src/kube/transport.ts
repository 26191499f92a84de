/**
 * HTTP transport to one apiserver: keep-alive connections (so concurrent applies reuse TLS
 * sessions), credentials from a kubeconfig, and bounded exponential backoff when the apiserver
 * is unreachable or overloaded. Everything above this file speaks in paths and JSON.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';
import https from 'node:https';
import { clusterUnavailable } from '../errors/index.ts';
import { resolveTarget, type KubeTarget, type ResolvedTarget } from './kubeconfig.ts';

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
   * Upper bound of one backoff delay in ms.
   * @default 3000
   */
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 3000 };

export interface RawRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  /** @default application/json */
  readonly contentType?: string;
  /** @default application/json */
  readonly accept?: string;
}

export interface RawResponse {
  readonly status: number;
  readonly body: unknown;
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

export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}


export interface TransportOptions {
  readonly target: KubeTarget;
  /** @default defaultRetryPolicy */
  readonly retry?: RetryPolicy;
  /**
   * Concurrent connections to the apiserver.
   * @default 32
   */
  readonly maxSockets?: number;
}

export class Transport {
  readonly server: string;
  readonly contextName: string;
  readonly namespace: string | undefined;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly retry: RetryPolicy;

  private constructor(init: { target: ResolvedTarget; retry: RetryPolicy; maxSockets: number }) {
    const { server, contextName, namespace, tls, headers } = init.target;
    this.server = server;
    this.contextName = contextName;
    this.namespace = namespace;
    this.base = new URL(server);
    this.retry = init.retry;
    const { ca, cert, key, rejectUnauthorized, servername } = tls;
    const common = { keepAlive: true, maxSockets: init.maxSockets };
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ ...common, ca, cert, key, ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }), ...(servername ? { servername } : {}) })
        : new http.Agent(common);
    this.headers = { ...headers };
  }

  static async open(o: TransportOptions): Promise<Transport> {
    return new Transport({ target: await resolveTarget(o.target), retry: o.retry ?? defaultRetryPolicy, maxSockets: o.maxSockets ?? 32 });
  }

  close(): void {
    this.agent.destroy();
  }

  /** One request, retried with backoff on unavailability; HTTP errors are returned, not thrown. */
  async request(req: RawRequest): Promise<RawResponse> {
    let last: unknown;
    for (let attempt = 0; attempt < this.retry.attempts; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(attempt - 1, this.retry));
      try {
        const res = await this.once(req);
        if (!RETRY_STATUS.has(res.status)) return res;
        last = res;
      } catch (e) {
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

  /** A streaming GET (watch): calls onLine for each JSON line until the signal aborts or the server ends. */
  stream(path: string, query: Readonly<Record<string, string>>, onLine: (v: unknown) => void, signal: AbortSignal): Promise<void> {
    const url = this.url(path, query);
    return new Promise((resolve, reject) => {
      const r = this.mod().request(url, { method: 'GET', agent: this.agent, headers: { ...this.headers, Accept: 'application/json' }, signal }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (line) onLine(JSON.parse(line));
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      });
      r.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      r.end();
    });
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
      const r = this.mod().request(url, { method: req.method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // Not JSON (a proxy's HTML page, say): keep the text for the error message.
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      r.setTimeout(60_000, () => r.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      r.on('error', reject);
      if (payload) r.write(payload);
      r.end();
    });
  }
}
