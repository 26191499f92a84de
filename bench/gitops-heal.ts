/**
 * GitOps drift-heal latency: N times, a person's `kubectl scale` of a Deployment a SlipwayApp with
 * selfHeal deployed (the scale subresource, under a field manager of its own), and the time from
 * just before that write is sent until a watch (an informer, not a poll) sees the replicas back at
 * git's value. The controller is a real `slipway controller run` process; the repository a real git
 * repository on disk (file://). One drift at a time: the next starts once the app is Synced again.
 *
 *   node bench/gitops-heal.ts --kubeconfig FILE [--count 100]
 *
 * Needs a running local cluster (`slipway cluster up`). Prints p50/p90/p99/max and the controller's
 * own histogram (slipway_gitops_drift_heal_seconds).
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { InformerFactory, KubeClient } from '../src/kube/index.ts';
import { API_VERSION, KIND, type SlipwayApp } from '../src/gitops/index.ts';
import { INSTANCE_LABEL } from '../src/rollout/index.ts';

const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, count: { type: 'string', default: '100' } } });
if (!values.kubeconfig) throw new Error('--kubeconfig FILE');
const kubeconfig = values.kubeconfig;
const count = Number(values.count);
const ns = `gitops-bench-${Math.random().toString(36).slice(2, 7)}`;
const c = await KubeClient.connect({ kubeconfig });
await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

const repo = mkdtempSync(join(tmpdir(), 'slipway-bench-repo-'));
const git = (...a: string[]): string => execFileSync('git', ['-C', repo, '-c', 'user.email=b@example.com', '-c', 'user.name=b', ...a], { encoding: 'utf8' });
git('init', '-q', '-b', 'main');
writeFileSync(
  join(repo, 'web.yaml'),
  `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: main, image: registry.example/web:1.0.0 }]
`,
);
git('add', '-A');
git('commit', '-q', '-m', 'web');

const ctl = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, '..', 'bin', 'slipway.js'), 'controller', 'run', '--kubeconfig', kubeconfig, '-n', ns, '--lease-namespace', ns, '--instance', 'bench', '--metrics-addr', '127.0.0.1:0', '--gitops-cache-dir', mkdtempSync(join(tmpdir(), 'slipway-bench-cache-'))], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
ctl.stdout.on('data', (b: Buffer) => (out += b.toString()));
ctl.stderr.on('data', (b: Buffer) => (out += b.toString()));
const url = await (async () => {
  for (;;) {
    const m = /serving (http:\/\/[^/\s]+)/.exec(out);
    if (m?.[1]) return m[1];
    await sleep(100);
  }
})();

const app: SlipwayApp = { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'web', namespace: ns, labels: { [INSTANCE_LABEL]: 'bench' } }, spec: { source: { repoURL: `file://${repo}` }, destination: { namespace: ns }, syncPolicy: { selfHeal: true, interval: '1h' } } };
await c.apply(app);
const getApp = async (): Promise<SlipwayApp> => (await c.get({ apiVersion: API_VERSION, kind: KIND, namespace: ns, name: 'web' })) as SlipwayApp;
const settled = async (after: number): Promise<void> => {
  for (;;) {
    const a = await getApp();
    if (a.status?.sync?.status === 'Synced' && !a.status.operation && (a.status.lastSync?.id ?? 0) >= after) return;
    await sleep(50);
  }
};
await settled(1);

const factory = new InformerFactory(c);
const deployments = factory.informer({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns });
const ac = new AbortController();
factory.start(ac.signal);
await deployments.waitForSync();
let waiter: ((replicas: number) => void) | undefined;
deployments.on({ update: (o) => waiter?.((o['spec'] as { replicas: number }).replicas) });

const samples: number[] = [];
for (let i = 0; i < count; i++) {
  const before = (await getApp()).status?.lastSync?.id ?? 0;
  const back = new Promise<number>((resolve) => {
    let scaled = false;
    waiter = (r) => {
      if (r === 5) scaled = true;
      else if (scaled && r === 2) resolve(performance.now());
    };
  });
  const t0 = performance.now();
  const res = await c.transport.request({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`, query: { fieldManager: 'bench-person' }, contentType: 'application/merge-patch+json', body: { spec: { replicas: 5 } } });
  if (res.status !== 200) throw new Error(`scale: ${res.status}`);
  samples.push((await back) - t0);
  await settled(before + 1);
}

const sorted = [...samples].sort((a, b) => a - b);
const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const metrics = await (await fetch(`${url}/metrics`)).text();
process.stdout.write(`drift heal (kubectl scale → replicas back, seen by a watch), ${count} drifts: p50 ${q(50).toFixed(0)} ms, p90 ${q(90).toFixed(0)} ms, p99 ${q(99).toFixed(0)} ms, max ${q(100).toFixed(0)} ms\n`);
process.stdout.write(`${metrics.split('\n').filter((l) => l.startsWith('slipway_gitops_drift_heal_seconds')).join('\n')}\n`);

ac.abort();
ctl.kill('SIGTERM');
await c.delete({ apiVersion: API_VERSION, kind: KIND, namespace: ns, name: 'web' });
await c.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
c.close();
