/**
 * One conformance suite, run against every metric provider: the same cases (a passing value, a
 * failing one, inconclusive, an empty result, NaN, too little traffic, unreachable, HTTP 4xx and
 * 5xx, a query the backend refuses) must give the same phase whichever provider measures. The
 * Prometheus provider runs against a REAL Prometheus (scripts/install-prometheus.sh), started
 * here on a free loopback port and scraping a tiny metrics endpoint this test serves; the HTTP
 * provider against the same local server. The Job provider needs a cluster: its cases run in
 * test/integration.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConditions } from './condition.ts';
import { measure } from './measure.ts';
import { podsRegex, sloMetrics } from './slo.ts';
import type { ProviderEnv } from './provider.ts';
import type { MeasurementPhaseT, MetricT } from './types.ts';

const INSTALL_SCRIPT = fileURLToPath(new URL('../../scripts/install-prometheus.sh', import.meta.url));

function prometheusBinary(): string | undefined {
  try {
    return execFileSync(INSTALL_SCRIPT, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 }).trim();
  } catch {
    return undefined;
  }
}
const bin = prometheusBinary();

/** The metrics endpoint Prometheus scrapes, and the JSON endpoints the HTTP provider reads. */
const EXPOSITION = ['demo_ratio{case="good"} 0.995', 'demo_ratio{case="bad"} 0.5', 'demo_ratio{case="between"} 0.95', 'demo_nan NaN', 'demo_requests{case="many"} 500', 'demo_requests{case="few"} 3', ''].join('\n');

/**
 * Workload series the way the local cluster's simulator (and most apps) export them: a canary pod
 * with 20% 5xx and ~200 ms latency, a stable pod next to it that is perfect and fast, and a quiet
 * canary in another namespace. Counters advance with real time.
 */
const started = Date.now();
function workload(): string {
  const t = (Date.now() - started) / 1000 + 1;
  const lines: string[] = [];
  const pod = (ns: string, name: string, rps: number, errorRate: number, slowBucket: '0.1' | '0.25') => {
    const total = rps * t;
    const sel = `namespace="${ns}",pod="${name}"`;
    lines.push(`http_requests_total{${sel},code="200"} ${total * (1 - errorRate)}`, `http_requests_total{${sel},code="500"} ${total * errorRate}`);
    for (const le of ['0.1', '0.25', '0.5', '+Inf']) lines.push(`http_request_duration_seconds_bucket{${sel},le="${le}"} ${le === '0.1' && slowBucket === '0.25' ? 0 : total}`);
    lines.push(`http_request_duration_seconds_count{${sel}} ${total}`);
  };
  pod('shop', 'web-canary-5d8f7c9b6-x7k2p', 100, 0.2, '0.25');
  pod('shop', 'web-stable-7f9c8d6b5-a1b2c', 100, 0, '0.1');
  pod('quiet', 'web-canary-5d8f7c9b6-q1q2q', 0.01, 0, '0.1');
  return `${lines.join('\n')}\n`;
}
const JSON_BODIES: Record<string, unknown> = { '/json/good': { data: { value: 0.995 } }, '/json/bad': { data: { value: 0.5 } }, '/json/between': { data: { value: 0.95 } }, '/json/nan': { data: { value: 'NaN' } }, '/json/empty': { data: {} } };

let server: Server;
let base = '';
let prom: ChildProcess | undefined;
let promUrl = '';
let dir = '';

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
}

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION + workload());
    if (url.startsWith('/status500')) return void res.writeHead(500).end('upstream broke');
    if (url.startsWith('/status404')) return void res.writeHead(404).end('no such thing');
    if (url === '/text') return void res.writeHead(200).end('<html>not json</html>');
    const body = JSON_BODIES[url.split('?')[0] ?? ''];
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  base = `http://127.0.0.1:${await listen(server)}`;
  if (!bin) return;
  dir = mkdtempSync(join(tmpdir(), 'slipway-prom-'));
  writeFileSync(join(dir, 'prometheus.yml'), `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: demo\n    static_configs: [{targets: ['${base.slice('http://'.length)}']}]\n`);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  // Ready once the first scrape is in.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent('demo_requests{case="many"}')}`)
      .then(async (r) => ((await r.json()) as { data?: { result?: unknown[] } }).data?.result?.length === 1)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('Prometheus did not scrape the test endpoint within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  if (prom?.pid !== undefined && prom.exitCode === null) {
    const exited = new Promise((r) => prom?.once('exit', r));
    process.kill(prom.pid, 'SIGTERM');
    await exited;
  }
  await new Promise((r) => server.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Case = 'good' | 'bad' | 'between' | 'empty' | 'nan' | 'fewRequests' | 'unreachable' | 'http5xx' | 'http4xx' | 'badQuery';

const CASES: readonly { readonly name: Case; readonly expect: MeasurementPhaseT; readonly value?: string }[] = [
  { name: 'good', expect: 'Successful', value: '0.995' },
  { name: 'bad', expect: 'Failed', value: '0.5' },
  { name: 'between', expect: 'Inconclusive', value: '0.95' },
  { name: 'empty', expect: 'NoData' },
  { name: 'nan', expect: 'NoData' },
  { name: 'fewRequests', expect: 'NoData' },
  { name: 'unreachable', expect: 'Error' },
  { name: 'http5xx', expect: 'Error' },
  { name: 'http4xx', expect: 'Error' },
  { name: 'badQuery', expect: 'Error' },
];

/** Conditions every case uses: pass at ≥ 0.99, fail under 0.9, in between inconclusive. */
const conditions = { successCondition: 'result >= 0.99', failureCondition: 'result < 0.9' };

interface Subject {
  readonly provider: 'prometheus' | 'web';
  readonly available: () => boolean;
  readonly metric: (c: Case) => MetricT;
}

/** A port nothing listens on: the closed port of a server that was just stopped. */
let deadPort = 0;
beforeAll(async () => {
  deadPort = await freePort();
});

const noData = (c: Case) => (c === 'fewRequests' ? { noData: { query: 'sum(demo_requests{case="few"})', minimum: 10 } } : c === 'good' ? { noData: { query: 'sum(demo_requests{case="many"})', minimum: 10 } } : {});

const SUBJECTS: readonly Subject[] = [
  {
    provider: 'prometheus',
    available: () => bin !== undefined,
    metric: (c) => {
      const query = { good: 'demo_ratio{case="good"}', fewRequests: 'demo_ratio{case="good"}', bad: 'demo_ratio{case="bad"}', between: 'demo_ratio{case="between"}', empty: 'demo_ratio{case="none"}', nan: 'demo_nan', unreachable: 'up', http5xx: 'up', http4xx: 'up', badQuery: 'sum(rate(demo_ratio[1m]' }[c];
      const address = c === 'unreachable' ? `http://127.0.0.1:${deadPort}` : c === 'http5xx' ? `${base}/status500` : c === 'http4xx' ? `${base}/status404` : undefined;
      return { name: c, provider: { prometheus: { query, ...(address ? { address } : {}) } }, ...conditions, ...noData(c) };
    },
  },
  {
    provider: 'web',
    available: () => bin !== undefined,
    metric: (c) => {
      const path = { good: '/json/good', fewRequests: '/json/good', bad: '/json/bad', between: '/json/between', empty: '/json/empty', nan: '/json/nan', unreachable: '', http5xx: '/status500', http4xx: '/status404', badQuery: '/text' }[c];
      const url = c === 'unreachable' ? `http://127.0.0.1:${deadPort}/json/good` : `${base}${path}`;
      return { name: c, provider: { web: { url, jsonPath: '$.data.value', timeoutSeconds: 5 } }, ...conditions, ...noData(c) };
    },
  },
];

const envOf = (): ProviderEnv => ({ vars: { namespace: 'ns', service: 'web', pods: 'web-canary-.*', interval: '1s' }, prometheusUrl: promUrl, measurementId: 'm-0' });

describe.each(SUBJECTS)('provider conformance: $provider', (s) => {
  const ci = process.env['CI'] === 'true';
  it.skipIf(!s.available() && !ci).each(CASES)('$name → $expect', async (c) => {
    const m = s.metric(c.name);
    const x = await measure(m, compileConditions(m, 'metric'), envOf(), new Date());
    expect(x?.phase, `${c.name}: ${x?.message ?? ''}`).toBe(c.expect);
    if (c.value !== undefined) expect(x?.value).toBe(c.value);
    if (c.expect === 'Error' || c.expect === 'NoData') expect(x?.message ?? '').not.toBe('');
  });
});

describe('Prometheus provider', () => {
  it.skipIf(bin === undefined && process.env['CI'] !== 'true')('fills the query template and answers a list when several series match', async () => {
    const m: MetricT = { name: 'all', provider: { prometheus: { query: 'demo_ratio{case=~"{{service}}"}' } }, successCondition: 'result.all(x, x > 0.1)' };
    const x = await measure(m, compileConditions(m, 'm'), { ...envOf(), vars: { ...envOf().vars, service: 'good|bad' } }, new Date());
    expect(x?.phase).toBe('Successful');
    expect(JSON.parse(x?.value ?? '[]')).toEqual(expect.arrayContaining([0.995, 0.5]));
  });

  it('without an address and without --prometheus-url: an Error that says how to set one', async () => {
    const m: MetricT = { name: 'x', provider: { prometheus: { query: 'up' } }, successCondition: 'result == 1.0' };
    const x = await measure(m, compileConditions(m, 'm'), { ...envOf(), prometheusUrl: undefined }, new Date());
    expect(x?.phase).toBe('Error');
    expect(x?.message).toContain('--prometheus-url');
  });
});

describe('SLO metrics over the canary\'s pods only (real Prometheus)', () => {
  const env = (namespace: string): ProviderEnv => ({ vars: { namespace, service: 'web', pods: podsRegex('web-canary'), interval: '1s' }, prometheusUrl: promUrl, measurementId: 'm' });
  /** Measures until rate() has two samples (a new series needs a second scrape), at most 15 s. */
  async function settle(m: MetricT, namespace: string) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const x = await measure(m, compileConditions(m, 'm'), env(namespace), new Date());
      if (x?.phase !== 'NoData' || Date.now() > deadline || namespace === 'quiet') return x;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const skip = bin === undefined && process.env['CI'] !== 'true';

  it.skipIf(skip).each([
    { slo: { successRate: 99 }, phase: 'Failed', near: 0.8 },
    { slo: { successRate: 70 }, phase: 'Successful', near: 0.8 },
    { slo: { latencyP95Ms: 100 }, phase: 'Failed', near: 242.5 },
    { slo: { latencyP95Ms: 300 }, phase: 'Successful', near: 242.5 },
  ])('$slo → $phase (the stable pod next to it is perfect and fast, and is not counted)', async ({ slo, phase, near }) => {
    const [m] = sloMetrics(slo);
    const x = await settle(m!, 'shop');
    expect(x?.phase, x?.message).toBe(phase);
    expect(Number(x?.value)).toBeCloseTo(near, 1);
  });

  it.skipIf(skip)('a canary with almost no traffic is NoData (not enough traffic), never a pass', async () => {
    const [m] = sloMetrics({ successRate: 99, minRequests: 10 });
    await settle(sloMetrics({ successRate: 70 })[0]!, 'shop');
    const x = await settle(m!, 'quiet');
    expect(x?.phase).toBe('NoData');
    expect(x?.message).toContain('not enough traffic');
  });
});
