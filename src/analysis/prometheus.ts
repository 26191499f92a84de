/**
 * The Prometheus provider: an instant query (`/api/v1/query`) against a real Prometheus, with
 * bearer, basic or mTLS credentials read from Secrets. An empty vector or NaN is NoData (nothing
 * was measured); an unreachable server, an HTTP error or a query Prometheus refuses is an Error.
 */
import type { KubeClient } from '../kube/index.ts';
import { errorText, httpGet, type TlsMaterial } from './http.ts';
import { fillTemplate, type MetricProviderImpl, type ProviderEnv, type ProviderOutcome } from './provider.ts';
import type { MetricT } from './types.ts';

type Auth = NonNullable<NonNullable<MetricT['provider']['prometheus']>['authSecretRef']>;
type SecretKeyRef = { readonly name: string; readonly key: string };

const QUERY_TIMEOUT_MS = 5000;

async function secretValue(client: KubeClient | undefined, namespace: string, ref: SecretKeyRef, signal: AbortSignal | undefined): Promise<string> {
  if (!client) throw new Error(`Secret ${ref.name}: no Kubernetes client to read it with`);
  const s = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name }, signal ? { signal } : {});
  const data = (s?.['data'] ?? {}) as Record<string, string>;
  const v = data[ref.key];
  if (!s || v === undefined) throw new Error(`Secret ${namespace}/${ref.name} has no key ${ref.key}`);
  return Buffer.from(v, 'base64').toString('utf8');
}

/** The headers and TLS material of `auth`, from the rollout namespace's Secrets. */
async function credentials(auth: Auth | undefined, env: ProviderEnv): Promise<{ headers: Record<string, string>; tls: TlsMaterial }> {
  if (!auth) return { headers: {}, tls: {} };
  const read = (ref: SecretKeyRef) => secretValue(env.client, env.vars.namespace, ref, env.signal);
  const headers: Record<string, string> = {};
  if (auth.bearerToken) headers['authorization'] = `Bearer ${(await read(auth.bearerToken)).trim()}`;
  if (auth.basic) headers['authorization'] = `Basic ${Buffer.from(`${(await read(auth.basic.username)).trim()}:${(await read(auth.basic.password)).trim()}`).toString('base64')}`;
  const t = auth.tls;
  const tls: TlsMaterial = t
    ? { ...(t.ca ? { ca: await read(t.ca) } : {}), ...(t.cert ? { cert: await read(t.cert) } : {}), ...(t.key ? { key: await read(t.key) } : {}), ...(t.serverName ? { serverName: t.serverName } : {}) }
    : {};
  return { headers, tls };
}

interface PromAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** The numbers an instant query returned (one per series; a scalar is one), or why there are none. */
async function promQuery(base: string, query: string, o: { headers: Record<string, string>; tls: TlsMaterial; signal?: AbortSignal | undefined }): Promise<{ values: number[] } | { error: string }> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  let res: { status: number; body: string };
  try {
    res = await httpGet(url, { headers: o.headers, tls: o.tls, timeoutMs: QUERY_TIMEOUT_MS, signal: o.signal });
  } catch (e) {
    return { error: `Prometheus ${base} unreachable: ${errorText(e)}` };
  }
  let answer: PromAnswer;
  try {
    answer = JSON.parse(res.body) as PromAnswer;
  } catch {
    return { error: `Prometheus ${base}: HTTP ${res.status}, not a JSON answer: ${res.body.slice(0, 120)}` };
  }
  if (res.status < 200 || res.status >= 300 || answer.status !== 'success') return { error: `Prometheus: HTTP ${res.status}: ${answer.error ?? res.body.slice(0, 200)}` };
  const type = answer.data?.resultType;
  const result = answer.data?.result;
  if (type === 'scalar' && Array.isArray(result)) return { values: [Number.parseFloat(String(result[1]))] };
  if (type === 'vector' && Array.isArray(result)) return { values: (result as { value?: [number, string] }[]).map((s) => Number.parseFloat(String(s.value?.[1]))) };
  return { error: `Prometheus: a ${type ?? 'unknown'} result; analysis needs an instant vector or a scalar` };
}

/** The outcome of query values: empty or NaN is NoData; one series a number, several a list. */
function outcomeOf(values: readonly number[]): ProviderOutcome {
  if (values.length === 0) return { noData: 'empty result: no series matched' };
  if (values.some((v) => Number.isNaN(v))) return { noData: 'NaN: nothing to divide by (no requests?)' };
  return { value: values.length === 1 ? values[0] : [...values] };
}

/** The base URL a metric's Prometheus queries go to, if any. */
const prometheusBase = (metric: MetricT, env: ProviderEnv): string | undefined => metric.provider.prometheus?.address ?? env.prometheusUrl;

const NO_ADDRESS = 'no Prometheus address: set provider.prometheus.address, or run the controller with --prometheus-url (or SLIPWAY_PROMETHEUS_URL)';

/** Runs `query` (a template) against the metric's Prometheus with its credentials. */
export async function queryFor(metric: MetricT, env: ProviderEnv, query: string): Promise<{ values: number[] } | { error: string }> {
  const base = prometheusBase(metric, env);
  if (base === undefined) return { error: NO_ADDRESS };
  let creds: Awaited<ReturnType<typeof credentials>>;
  try {
    creds = await credentials(metric.provider.prometheus?.authSecretRef, env);
  } catch (e) {
    return { error: `Prometheus credentials: ${errorText(e)}` };
  }
  return promQuery(base, fillTemplate(query, env.vars), { ...creds, signal: env.signal });
}

export const prometheusProvider: MetricProviderImpl = {
  kind: 'prometheus',
  async measure(metric, env) {
    const p = metric.provider.prometheus;
    if (!p) return { error: 'not a prometheus metric' };
    const r = await queryFor(metric, env, p.query);
    return 'error' in r ? r : outcomeOf(r.values);
  },
};
