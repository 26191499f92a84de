/** Health probes of the components, over their own HTTP(S) endpoints on 127.0.0.1. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { ClusterLayout, ClusterPorts, Component } from './layout.ts';
import { pkiPaths } from './certs.ts';
import { LOCALHOST } from './flags.ts';

export interface HttpGetInput {
  readonly url: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /**
   * Skip server verification. Only for controller-manager/scheduler health, whose serving
   * certs they self-sign at start; nothing secret is sent there.
   */
  readonly insecure?: boolean;
  /** @default 2000 */
  readonly timeoutMs?: number;
}

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

export function httpGet(input: HttpGetInput): Promise<HttpResult> {
  const url = new URL(input.url);
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(
      url,
      {
        method: 'GET',
        timeout: input.timeoutMs ?? 2000,
        ...(url.protocol === 'https:'
          ? { ca: input.ca, cert: input.cert, key: input.key, rejectUnauthorized: input.insecure !== true, agent: false }
          : { agent: false }),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`timeout after ${input.timeoutMs ?? 2000} ms`)));
    r.on('error', reject);
    r.end();
  });
}

export interface Health {
  readonly healthy: boolean;
  /** Short reason: `ok`, the HTTP status and body, or the connection error. */
  readonly detail: string;
}

async function probe(input: HttpGetInput, ok: (r: HttpResult) => boolean): Promise<Health> {
  try {
    const r = await httpGet(input);
    return ok(r) ? { healthy: true, detail: 'ok' } : { healthy: false, detail: `HTTP ${r.status}: ${r.body.trim().slice(0, 200)}` };
  } catch (e) {
    return { healthy: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

/** The endpoint each component reports health on. */
export function healthUrl(c: Component, ports: ClusterPorts): string {
  switch (c) {
    case 'etcd':
      return `http://${LOCALHOST}:${ports.etcdClient}/health`;
    case 'kube-apiserver':
      return `https://${LOCALHOST}:${ports.apiserver}/readyz`;
    case 'kube-controller-manager':
      return `https://${LOCALHOST}:${ports.controllerManager}/healthz`;
    case 'kube-scheduler':
      return `https://${LOCALHOST}:${ports.scheduler}/healthz`;
    case 'kwok':
      return `http://${LOCALHOST}:${ports.kwok}/healthz`;
  }
}

export async function componentHealth(c: Component, layout: ClusterLayout, ports: ClusterPorts): Promise<Health> {
  const url = healthUrl(c, ports);
  if (c === 'etcd') return probe({ url }, (r) => r.status === 200 && r.body.includes('"health":"true"'));
  if (c === 'kube-apiserver') {
    const pki = pkiPaths(layout.pkiDir);
    const [ca, cert, key] = await Promise.all([readFile(pki.caCert, 'utf8'), readFile(pki.cert('admin'), 'utf8'), readFile(pki.key('admin'), 'utf8')]).catch(
      () => [undefined, undefined, undefined] as const,
    );
    if (ca === undefined || cert === undefined || key === undefined) return { healthy: false, detail: `PKI missing under ${layout.pkiDir}` };
    return probe({ url, ca, cert, key }, (r) => r.status === 200);
  }
  return probe({ url, insecure: c !== 'kwok' }, (r) => r.status === 200);
}
