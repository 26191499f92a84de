/**
 * The HTTP provider: GET a URL; the JSON value at `jsonPath` (or the whole body) is `result`.
 * Anything but a 2xx answer is an Error; no value at the path (or null, or "NaN") is NoData.
 */
import { errorText, httpGet } from './http.ts';
import { fillTemplate, type MetricProviderImpl, type ProviderOutcome } from './provider.ts';

/** `$.data.items[0].value` or `data.items[0].value` → the keys and indexes to follow. */
function jsonPathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const body = path.replace(/^\$\.?/, '');
  for (const m of body.matchAll(/([^.[\]]+)|\[(\d+)\]|\[['"]([^'"]+)['"]\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[3] ?? m[1] ?? '');
  }
  return out;
}

function at(v: unknown, path: readonly (string | number)[]): unknown {
  let cur = v;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = typeof k === 'number' ? (Array.isArray(cur) ? (cur as unknown[])[k] : undefined) : Object.hasOwn(cur, k) ? (cur as Record<string, unknown>)[k] : undefined;
  }
  return cur;
}

/** A value for the conditions: numeric strings become numbers ("0.99" as Prometheus-style exporters write them). */
function valueOf(v: unknown): ProviderOutcome {
  if (v === undefined || v === null) return { noData: 'no value at the JSON path' };
  if (typeof v === 'string' && /^(NaN|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?Inf)$/.test(v.trim())) {
    const n = v.trim().endsWith('Inf') ? (v.trim().startsWith('-') ? -Infinity : Infinity) : Number(v);
    return Number.isNaN(n) ? { noData: 'NaN' } : { value: n };
  }
  return { value: v };
}

export const webProvider: MetricProviderImpl = {
  kind: 'web',
  async measure(metric, env) {
    const w = metric.provider.web;
    if (!w) return { error: 'not a web metric' };
    const url = fillTemplate(w.url, env.vars, encodeURIComponent);
    let res: { status: number; body: string };
    try {
      res = await httpGet(url, { timeoutMs: (w.timeoutSeconds ?? 10) * 1000, signal: env.signal });
    } catch (e) {
      return { error: `GET ${url}: ${errorText(e)}` };
    }
    if (res.status < 200 || res.status >= 300) return { error: `GET ${url}: HTTP ${res.status}: ${res.body.slice(0, 120)}` };
    let doc: unknown;
    try {
      doc = JSON.parse(res.body) as unknown;
    } catch (e) {
      if (w.jsonPath !== undefined) return { error: `GET ${url}: the answer is not JSON (${errorText(e)})` };
      return valueOf(res.body.trim());
    }
    return valueOf(w.jsonPath !== undefined ? at(doc, jsonPathSegments(w.jsonPath)) : doc);
  },
};
