import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../main.ts';
import { memoryIo } from '../io.ts';
import { parseDuration, verificationOptions } from './deploy.ts';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['5m', 300_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['300', 300_000],
  ])('%s → %i ms', (v, ms) => {
    expect(parseDuration(v)).toBe(ms);
  });

  it.each(['5 minutes', '-1m', 'm', ''])('rejects %j', (v) => {
    expect(() => parseDuration(v)).toThrow(/invalid duration/);
  });
});

describe('slipway deploy without a cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-deploy-cli-'));
  const manifest = (strategy: string): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations: {slipway.dev/strategy: ${strategy}${strategy === 'canary' ? `, slipway.dev/strategy-steps: '[{"setWeight":20}]'` : ''}}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web:1}]}\n`;

  it.each<[string, string, number, RegExp]>([
    ['canary is handed to the controller: it reaches the cluster step', 'canary', 2, /cannot read kubeconfig/],
    ['blue-green without a Service to switch is an input error before the cluster step', 'blueGreen', 2, /blue-green needs a Service that selects its pods/],
    ['an unknown strategy is an input error at its annotation', 'recreate', 2, /unknown strategy "recreate"/],
    ['rolling reaches the cluster step (here: no kubeconfig)', 'rolling', 2, /cannot read kubeconfig/],
  ])('%s', async (_n, strategy, code, message) => {
    const file = join(dir, `${strategy}.yaml`);
    writeFileSync(file, manifest(strategy));
    const io = memoryIo();
    const got = await main(['node', 'slipway', 'deploy', file, '--kubeconfig', join(dir, 'missing-kubeconfig')], io);
    expect(got).toBe(code);
    expect(io.stderr()).toMatch(message);
  });

  it('rejects a bad --timeout before reading anything (exit 2)', async () => {
    const io = memoryIo();
    expect(await main(['node', 'slipway', 'deploy', dir, '--timeout', 'soon'], io)).toBe(2);
    expect(io.stderr()).toMatch(/invalid duration "soon"/);
  });
});

describe('verificationOptions: which Prometheus verifies rolling releases', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-deploy-prom-'));
  const clusterDir = join(dir, 'cluster');
  mkdirSync(clusterDir);
  const ports = { etcdClient: 1, etcdPeer: 2, apiserver: 16443, controllerManager: 4, scheduler: 5, kwok: 6 };
  writeFileSync(join(clusterDir, 'cluster.json'), JSON.stringify({ version: 1, name: 'dev', dataDir: clusterDir, binDir: '/x', ports, nodes: 1, pids: {}, prometheusUrl: 'http://127.0.0.1:19090' }));
  const local = { transport: { contextName: 'slipway-dev', server: 'https://127.0.0.1:16443' } };
  const remote = { transport: { contextName: 'prod', server: 'https://k8s.example.com' } };
  const kubeconfig = join(clusterDir, 'kubeconfig');
  const env = { HOME: dir };

  it.each<[string, Parameters<typeof verificationOptions>[0], typeof local, NodeJS.ProcessEnv, unknown]>([
    ['--prometheus-url first', { verify: true, prometheusUrl: 'http://prom:9090', kubeconfig }, local, { ...env, SLIPWAY_PROMETHEUS_URL: 'http://env:9090' }, { prometheusUrl: 'http://prom:9090' }],
    ['then $SLIPWAY_PROMETHEUS_URL', { verify: true, kubeconfig }, local, { ...env, SLIPWAY_PROMETHEUS_URL: 'http://env:9090' }, { prometheusUrl: 'http://env:9090' }],
    ["then the local cluster's, when the context is one", { verify: true, kubeconfig }, local, env, { prometheusUrl: 'http://127.0.0.1:19090' }],
    ['the local cluster found through $KUBECONFIG', { verify: true }, local, { ...env, KUBECONFIG: `/nowhere:${kubeconfig}` }, { prometheusUrl: 'http://127.0.0.1:19090' }],
    ['else none, and why', { verify: true, kubeconfig }, remote, env, { noPrometheus: 'no Prometheus known; pass --prometheus-url (or set SLIPWAY_PROMETHEUS_URL)' }],
    ['--no-verify', { verify: false, prometheusUrl: 'http://prom:9090' }, local, env, { enabled: false }],
  ])('%s', async (_n, f, client, e, want) => {
    expect(await verificationOptions(f, client, e)).toEqual(want);
  });

  it('a --prometheus-url that is no http(s) URL is bad input (exit 2) before the cluster is read', async () => {
    const io = memoryIo();
    expect(await main(['node', 'slipway', 'deploy', dir, '--prometheus-url', 'ftp://prom', '--kubeconfig', join(dir, 'missing')], io)).toBe(2);
    expect(io.stderr()).toMatch(/--prometheus-url ftp:\/\/prom: expected http or https/);
  });
});
