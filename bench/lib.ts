/**
 * What the benchmarks against peers share: processes, polling, percentiles, /metrics histograms,
 * a watch on HTTPRoute weights, and Flagger (binary, CRDs).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SharedInformer, type KubeClient, type LiveObject } from '../src/kube/index.ts';
import type { KubeObject } from '../src/manifest/index.ts';

export const FLAGGER_VERSION = 'v1.44.0';
const FLAGGER_MODULE = 'github.com/fluxcd/flagger';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function pool<T>(items: readonly T[], k: number, f: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(k, items.length) }, async () => {
    while (next < items.length) await f(items[next++] as T);
  }));
}

/** Polls `cond` (setup only; the measured transitions are seen through a watch). */
export async function until<T>(what: string, cond: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s: ${what}`);
    await sleep(1000);
  }
}

export const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

export interface Stats {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}
export const stats = (xs: readonly number[]): Stats => ({ p50: pct(xs, 50), p99: pct(xs, 99), max: pct(xs, 100), mean: xs.reduce((a, b) => a + b, 0) / xs.length });

/** Peak resident set (VmHWM) of a process, in MiB. */
export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Number(m[1]) / 1024 : NaN;
}

export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A Prometheus histogram from a /metrics text, summed over every series of `name` that matches `labels`. */
export interface Histogram {
  readonly buckets: Map<number, number>;
  readonly sum: number;
  readonly count: number;
}
export function histogram(text: string, name: string, labels = ''): Histogram {
  const buckets = new Map<number, number>();
  let sum = 0;
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !line.includes(labels)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${name}_bucket`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1] ?? '+Inf';
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + value);
    } else if (line.startsWith(`${name}_sum`)) sum += value;
    else if (line.startsWith(`${name}_count`)) n += value;
  }
  return { buckets, sum, count: n };
}
export const minus = (a: Histogram, b: Histogram): Histogram => ({
  buckets: new Map([...a.buckets].map(([k, v]) => [k, v - (b.buckets.get(k) ?? 0)])),
  sum: a.sum - b.sum,
  count: a.count - b.count,
});
/** histogram_quantile: linear interpolation inside the bucket, as Prometheus does. */
export function quantile(h: Histogram, q: number): number {
  const bs = [...h.buckets].sort((x, y) => x[0] - y[0]);
  const total = bs.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, c] of bs) {
    if (c >= rank) {
      if (bound === Infinity) return prevBound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / Math.max(1, c - prevCount);
    }
    prevBound = bound;
    prevCount = c;
  }
  return prevBound;
}

export interface ChildProc {
  readonly child: ChildProcess;
  readonly pid: number;
  tail(): string;
  readonly exited: Promise<string>;
}
export function startProcess(cmd: string, argv: readonly string[]): ChildProc {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (b: Buffer): void => {
    out = (out + b.toString()).slice(-200_000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<string>((r) => child.once('exit', (code, sig) => r(sig ?? String(code))));
  return { child, pid: child.pid ?? 0, tail: () => out, exited };
}
export async function stopProcess(p: ChildProc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  await p.exited;
  clearTimeout(t);
}

/**
 * The canary weight of every HTTPRoute in a namespace, from a watch, and waits on a route
 * reaching a weight (resolved with the time of the watch event that showed it).
 */
export class RouteWatch {
  readonly weights = new Map<string, number>();
  events = 0;
  private readonly waiters = new Map<string, { readonly weight: number; readonly resolve: (t: number) => void }>();
  private readonly ac = new AbortController();
  private readonly inf: SharedInformer;

  constructor(client: KubeClient, ns: string) {
    this.inf = new SharedInformer(client, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns });
    const seen = (o: LiveObject): void => {
      const t = performance.now();
      this.events++;
      const name = o.metadata.name ?? '';
      const w = canaryWeight(o);
      if (w === undefined) return;
      this.weights.set(name, w);
      const waiter = this.waiters.get(name);
      if (waiter && waiter.weight === w) {
        this.waiters.delete(name);
        waiter.resolve(t);
      }
    };
    this.inf.on({ add: seen, update: seen });
  }

  async start(): Promise<void> {
    void this.inf.run(this.ac.signal);
    await this.inf.waitForSync(this.ac.signal);
  }

  /** Resolves when route `name` carries canary weight `w` (registered before the gate opens). */
  reach(name: string, w: number): Promise<number> {
    if (this.weights.get(name) === w) return Promise.resolve(performance.now());
    return new Promise((resolve) => this.waiters.set(name, { weight: w, resolve }));
  }

  stop(): void {
    this.ac.abort();
  }
}

/** Weight of the backendRef `<route>-canary` (slipway's and Flagger's canary Service) on the route. */
export function canaryWeight(route: LiveObject): number | undefined {
  const name = `${route.metadata.name ?? ''}-canary`;
  const rules = ((route['spec'] as { rules?: { matches?: unknown[]; backendRefs?: { name?: string; weight?: number }[] }[] } | undefined)?.rules ?? []);
  for (const r of rules) {
    const refs = r.backendRefs ?? [];
    if (refs.length < 2) continue;
    const c = refs.find((b) => b.name === name);
    if (c) return c.weight ?? 1;
  }
  return undefined;
}

export const podTemplate = (app: string, image: string): Record<string, unknown> => ({
  metadata: { labels: { app } },
  spec: {
    securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'main', image, ports: [{ containerPort: 8080 }], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  },
});

export async function applyAll(client: KubeClient, objs: readonly KubeObject[]): Promise<void> {
  await pool(objs, 16, async (o) => {
    await client.apply(o, { force: true });
  });
}

export async function crdServed(client: KubeClient, apiVersion: string, kind: string): Promise<void> {
  await until(`${kind} to be served`, async () => {
    client.mapper.invalidate();
    return (await client.resourceFor(apiVersion, kind).then(() => true, () => false)) || undefined;
  }, 60_000);
}

export function flaggerBinary(): string {
  const cached = join(process.env['SLIPWAY_CACHE'] ?? join(process.env['HOME'] ?? '', '.cache/slipway'), 'tools/bin/flagger');
  if (existsSync(cached)) return cached;
  throw new Error(`flagger not found at ${cached}: run make bench-tools (scripts/install-go-tools.sh --bench: go install ${FLAGGER_MODULE}/cmd/flagger@${FLAGGER_VERSION})`);
}

/** Flagger's CRDs: artifacts/flagger/crd.yaml of its Go module (downloaded into the module cache if needed). */
export function flaggerCrds(): KubeObject[] {
  const go = process.env['GO'] ?? 'go';
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
  const dir = (JSON.parse(execFileSync(go, ['mod', 'download', '-json', `${FLAGGER_MODULE}@${FLAGGER_VERSION}`], { env, encoding: 'utf8', cwd: '/' })) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${FLAGGER_MODULE}@${FLAGGER_VERSION} gave no directory`);
  const text = indentQuotedContinuations(readFileSync(join(dir, 'artifacts/flagger/crd.yaml'), 'utf8'));
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject | null).filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o);
}

/**
 * Flagger's crd.yaml continues multi-line single-quoted descriptions at the indentation of their
 * key, which Go's YAML parser (kubectl) accepts and the YAML spec (and the `yaml` package) does
 * not; indents such continuation lines by two spaces. A single-quoted scalar is open while its
 * line has an odd number of quotes ('' is an escaped quote, so the parity holds).
 */
export function indentQuotedContinuations(text: string): string {
  let open = false;
  const quotes = (s: string): number => s.replace(/[^']/g, '').length;
  return text
    .split('\n')
    .map((line) => {
      if (open) {
        open = quotes(line) % 2 === 0;
        return `  ${line}`;
      }
      const rest = /^\s*(?:- )?[\w.-]+: '(.*)$/.exec(line)?.[1];
      open = rest !== undefined && quotes(rest) % 2 === 0;
      return line;
    })
    .join('\n');
}

