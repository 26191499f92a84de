/** A bounded HTTP GET for metric providers: a timeout, a size cap, optional TLS client credentials. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface TlsMaterial {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
}

export interface GetOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly tls?: TlsMaterial;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

const MAX_BODY = 4 * 1024 * 1024;

/** GETs `url`: the status and the body (text); rejects on network errors, timeouts and bodies over 4 MiB. */
export function httpGet(url: string, o: GetOptions): Promise<{ readonly status: number; readonly body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const tls = u.protocol === 'https:' ? { ...(o.tls?.ca ? { ca: o.tls.ca } : {}), ...(o.tls?.cert ? { cert: o.tls.cert } : {}), ...(o.tls?.key ? { key: o.tls.key } : {}), ...(o.tls?.serverName ? { servername: o.tls.serverName } : {}) } : {};
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'GET', headers: { accept: 'application/json', ...o.headers }, timeout: o.timeoutMs, ...tls, ...(o.signal ? { signal: o.signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          req.destroy(new Error(`response larger than ${MAX_BODY} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** A network error as one line: `connect ECONNREFUSED 127.0.0.1:9`. */
export const errorText = (e: unknown): string => (e instanceof Error ? (e.message.split('\n')[0] ?? e.name) : String(e));
