/**
 * Apply benchmark: 1,000 objects (ConfigMaps, Services, Deployments) applied to the local
 * apiserver by `slipway deploy` and by `kubectl apply --server-side` on the same files, in one
 * run, each into its own fresh namespace; then a no-op re-sync of both. Appends the numbers and
 * ratios to bench/RESULTS.md.
 *
 *   node bench/apply.ts [--kubeconfig FILE] [--count 1000]
 *
 * Goals: slipway's first apply ≤ 0.5× kubectl's wall time; slipway's no-op ≤ 0.1× its first
 * apply, with zero writes (resourceVersions unchanged).
 * Deployments have replicas: 0 so that the numbers measure the apply path, not pod scheduling;
 * slipway runs with --no-wait because kubectl does not wait either (lint and server-side
 * dry-run stay on: they are part of slipway's apply).
 *
 * Fairness: before each timed run the cluster is left to settle (the deployment controller has
 * created every ReplicaSet of the namespace applied last), so that neither tool pays for the
 * controllers' reaction to the other's objects. Zero writes on the no-op is checked twice: every
 * object's resourceVersion is unchanged, and the apiserver's own request counter
 * (`apiserver_request_total`, when /metrics is readable) saw no apply, create, update or delete
 * on these kinds during the run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringifyManifests, type KubeObject } from '../src/manifest/index.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const kubeconfig = flag('--kubeconfig') ?? process.env['KUBECONFIG'];
const count = Number(flag('--count') ?? 1000);
if (!kubeconfig) {
  process.stderr.write('usage: node bench/apply.ts --kubeconfig FILE [--count 1000]   (e.g. after `slipway cluster up`)\n');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const slipway = join(root, 'bin', 'slipway');

function objects(n: number): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = 0; out.length < n; i++) {
    const name = `svc-${i}`;
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-config` }, data: { LOG_LEVEL: 'info', INDEX: String(i) } });
    if (out.length < n && i % 4 !== 3) {
      out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    }
    if (out.length < n && i % 4 !== 3) {
      out.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: 'main',
                  image: `registry.example/${name}:1.0.0`,
                  ports: [{ name: 'http', containerPort: 8080 }],
                  envFrom: [{ configMapRef: { name: `${name}-config` } }],
                  resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                },
              ],
            },
          },
        },
      });
    }
  }
  return out;
}

const kubectl = (...a: string[]): string => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...a], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });

function timed(cmd: string, a: string[]): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, a, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

/** `kind/name=resourceVersion` of every benchmark object in `ns`, sorted: equal before and after means nothing was written. */
function versions(ns: string): string {
  const out = kubectl('get', 'configmaps,services,deployments', '-n', ns, '-l', 'slipway.dev/app=bench', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}');
  return out.split('\n').filter(Boolean).sort().join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the deployment controller has caught up with `ns` (a ReplicaSet per Deployment,
 * every Deployment's status observed), so that the next timed run does not share the machine
 * with the controllers' reaction to this one.
 */
async function settle(ns: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const d = kubectl('get', 'deployments', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.generation}={.status.observedGeneration}{"\\n"}{end}').split('\n').filter(Boolean);
    const rs = kubectl('get', 'replicasets', '-n', ns, '-o', 'name').split('\n').filter(Boolean).length;
    if (rs >= d.length && d.every((l) => l.split('=')[0] === l.split('=')[1])) return;
    await sleep(500);
  }
  process.stderr.write(`warning: ${ns} did not settle within 180 s\n`);
}

const BENCH_RESOURCES = new Set(['configmaps', 'services', 'deployments', 'secrets']);

/** apiserver_request_total for the benchmark's kinds, by `verb[ dry]`; undefined when /metrics is not readable. */
function requestCounts(): Map<string, number> | undefined {
  let metrics: string;
  try {
    metrics = kubectl('get', '--raw', '/metrics');
  } catch {
    return undefined;
  }
  const out = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels: Record<string, string> = {};
    for (const m of line.matchAll(/(\w+)="([^"]*)"/g)) labels[m[1] ?? ''] = m[2] ?? '';
    if (!BENCH_RESOURCES.has(labels['resource'] ?? '') || labels['subresource']) continue;
    const key = `${labels['verb'] ?? ''}${labels['dry_run'] ? ' dry' : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

const WRITE_VERBS = ['APPLY', 'PATCH', 'POST', 'CREATE', 'PUT', 'UPDATE', 'DELETE', 'DELETECOLLECTION'];

interface Requests {
  readonly total: number;
  readonly writes: number;
  readonly detail: string;
}

/** Requests between two counter snapshots; writes are non-dry-run mutations. */
function requestsBetween(a: Map<string, number> | undefined, b: Map<string, number> | undefined): Requests | undefined {
  if (!a || !b) return undefined;
  const diff = [...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, v]) => v > 0);
  return {
    total: diff.reduce((n, [, v]) => n + v, 0),
    writes: diff.filter(([k]) => WRITE_VERBS.includes(k)).reduce((n, [, v]) => n + v, 0),
    detail: diff.sort().map(([k, v]) => `${v} ${k}`).join(', '),
  };
}

/** A timed run with the apiserver's request counts around it. */
function measured(cmd: string, a: string[]): { ms: number; stdout: string; requests: Requests | undefined } {
  const before = requestCounts();
  const r = timed(cmd, a);
  return { ...r, requests: requestsBetween(before, requestCounts()) };
}

const SECTION = '## apply (bench/apply.ts)';

/** Adds this run at the end of the apply section of RESULTS.md (creating the section when missing). */
function recordResults(file: string, run: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\nOne section per benchmark; newest run last in each. Each run names its exact command and machine.\n';
  const start = text.indexOf(SECTION);
  if (start < 0) {
    writeFileSync(file, `${text.trimEnd()}\n\n${SECTION}\n\nPeer in the same run: kubectl ${kubectlVersion()} (\`kubectl apply --server-side\`). Goals (issue 4): first apply ≤ 0.5× kubectl's wall time; no-op re-sync ≤ 0.1× the first apply, zero writes.\n${run}`);
    return;
  }
  const next = text.indexOf('\n## ', start + SECTION.length);
  const at = next < 0 ? text.length : next;
  writeFileSync(file, `${text.slice(0, at).trimEnd()}\n${run}${text.slice(at)}`);
}

function kubectlVersion(): string {
  const v = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  return (JSON.parse(v.stdout || '{}') as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? '(unknown version)';
}

const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
const all = objects(count);
const perFile = 100;
for (let i = 0; i < all.length; i += perFile) writeFileSync(join(dir, `objects-${String(i / perFile).padStart(3, '0')}.yaml`), stringifyManifests(all.slice(i, i + perFile)));
const id = randomBytes(3).toString('hex');
const nsK = `bench-kubectl-${id}`;
const nsS = `bench-slipway-${id}`;
kubectl('create', 'namespace', nsK);
kubectl('create', 'namespace', nsS);

try {
  const kubectlArgs = ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--field-manager', 'bench-kubectl', '-f', dir, '-n', nsK];
  const slipwayArgs = ['deploy', dir, '--kubeconfig', kubeconfig, '-n', nsS, '--app', 'bench', '--env', 'bench', '--no-wait', '-o', 'json'];
  const k1 = measured('kubectl', kubectlArgs);
  await settle(nsK);
  const s1 = measured(slipway, slipwayArgs);
  const first = JSON.parse(s1.stdout) as { ok: boolean; writes: number; durationMs: number; objects: { action: string }[] };
  await settle(nsS);
  const before = versions(nsS);
  const s2 = measured(slipway, slipwayArgs);
  const noop = JSON.parse(s2.stdout) as { ok: boolean; writes: number; durationMs: number; objects: { action: string }[] };
  const after = versions(nsS);
  const k2 = measured('kubectl', kubectlArgs);
  const unchanged = before === after && before.split('\n').filter(Boolean).length === count;
  const serverWrites = s2.requests?.writes;

  const ratioFirst = s1.ms / k1.ms;
  const ratioNoop = s2.ms / s1.ms;
  const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const lines = [
    '',
    `### apply — ${new Date().toISOString()}`,
    '',
    `Command: \`node bench/apply.ts --kubeconfig <local cluster> --count ${count}\` on ${cpus().length} cores, local control plane (kube-apiserver v1.34.4 + etcd, kwok nodes), Node ${process.version}.`,
    `Objects: ${all.filter((o) => o.kind === 'ConfigMap').length} ConfigMaps, ${all.filter((o) => o.kind === 'Service').length} Services, ${all.filter((o) => o.kind === 'Deployment').length} Deployments (replicas 0), in ${Math.ceil(count / perFile)} files.`,
    `kubectl: \`kubectl apply --server-side -f <dir> -n <ns>\`; slipway: \`slipway deploy <dir> -n <ns> --no-wait\` (lint + server-side dry-run of every object + staged SSA + inventory).`,
    '',
    '| run | wall time | writes | ratio |',
    '|---|---|---|---|',
    `| kubectl apply --server-side (first) | ${sec(k1.ms)} | ${count} | 1.00× |`,
    `| slipway deploy (first) | ${sec(s1.ms)} | ${first.writes} | ${ratioFirst.toFixed(2)}× kubectl (goal ≤ 0.5×) |`,
    `| kubectl apply --server-side (no-op re-apply) | ${sec(k2.ms)} | ${count} requests | ${(k2.ms / k1.ms).toFixed(2)}× kubectl first |`,
    `| slipway deploy (no-op re-sync) | ${sec(s2.ms)} | ${noop.writes} | ${ratioNoop.toFixed(2)}× slipway first (goal ≤ 0.1×) |`,
    '',
    `Engine time (deploy(): lint gate, inventory read, drift detection, dry-run, apply, record; not Node start-up or YAML parsing): first ${sec(first.durationMs)}, no-op ${sec(noop.durationMs)} = ${(noop.durationMs / first.durationMs).toFixed(3)}×.`,
    `No-op re-sync wrote nothing: resourceVersions of all ${count} objects unchanged: ${unchanged ? 'yes' : 'NO'}; apiserver-counted writes during it: ${serverWrites ?? 'n/a (no /metrics)'}; slipway-reported writes: ${noop.writes}; objects reported unchanged: ${noop.objects.filter((o) => o.action === 'unchanged').length}/${count}.`,
    `Requests to configmaps/services/deployments/secrets as counted by the apiserver: kubectl first ${k1.requests?.detail ?? 'n/a'}; slipway first ${s1.requests?.detail ?? 'n/a'}; slipway no-op ${s2.requests?.detail ?? 'n/a'}; kubectl re-apply ${k2.requests?.detail ?? 'n/a'}.`,
    `Machine load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work shares the 2 cores; absolute times are noisy, ratios within one run less so).`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  recordResults(join(root, 'bench', 'RESULTS.md'), lines.join('\n'));
  if (!first.ok || !noop.ok || noop.writes !== 0 || !unchanged || (serverWrites ?? 0) !== 0) process.exitCode = 1;
} finally {
  spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'delete', 'namespace', nsK, nsS, '--wait=false'], { stdio: 'ignore' });
}
