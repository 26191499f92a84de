import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localClusterPrometheus, type KubeContextRef } from './local-prometheus.ts';

const ports = { etcdClient: 1, etcdPeer: 2, apiserver: 16443, controllerManager: 4, scheduler: 5, kwok: 6 };

/** A data dir holding `cluster.json` (and the admin kubeconfig next to it, as `cluster up` writes them). */
function dataDir(name: string, o: { prometheusUrl?: string; apiserver?: number; at?: string } = {}): string {
  const dir = o.at ?? mkdtempSync(join(tmpdir(), 'slipway-local-prom-'));
  mkdirSync(dir, { recursive: true });
  const state = { version: 1, name, dataDir: dir, binDir: '/nowhere', ports: { ...ports, apiserver: o.apiserver ?? ports.apiserver }, nodes: 1, pids: {}, ...(o.prometheusUrl ? { prometheusUrl: o.prometheusUrl } : {}) };
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(state));
  writeFileSync(join(dir, 'kubeconfig'), '');
  return dir;
}

const ref = (dir: string, o: Partial<KubeContextRef> = {}): KubeContextRef => ({ contextName: 'slipway-dev', server: 'https://127.0.0.1:16443', kubeconfigFiles: [join(dir, 'kubeconfig')], ...o });
const home = (): string => mkdtempSync(join(tmpdir(), 'slipway-home-'));

describe('localClusterPrometheus: the Prometheus of the local cluster a context points at', () => {
  it('the cluster of the kubeconfig read (its data dir): its Prometheus', async () => {
    const dir = dataDir('dev', { prometheusUrl: 'http://127.0.0.1:19090' });
    expect(await localClusterPrometheus(ref(dir), {}, home())).toEqual({ url: 'http://127.0.0.1:19090', cluster: 'dev' });
  });

  it('a context merged into ~/.kube/config: the cluster in its default data dir ($SLIPWAY_HOME/clusters/<name>)', async () => {
    const slipwayHome = home();
    dataDir('dev', { prometheusUrl: 'http://127.0.0.1:19091', at: join(slipwayHome, 'clusters', 'dev') });
    expect(await localClusterPrometheus(ref('/elsewhere', { kubeconfigFiles: ['/home/me/.kube/config'] }), { SLIPWAY_HOME: slipwayHome }, home())).toEqual({ url: 'http://127.0.0.1:19091', cluster: 'dev' });
  });

  it('a local cluster started without Prometheus: none, and why', async () => {
    const dir = dataDir('dev');
    expect(await localClusterPrometheus(ref(dir), {}, home())).toEqual({ none: 'the local cluster dev runs no Prometheus (started with --no-prometheus, or stopped); pass --prometheus-url', cluster: 'dev' });
  });

  it.each<[string, Partial<KubeContextRef>, { name?: string; apiserver?: number }]>([
    ['another context name', { contextName: 'prod-eks' }, {}],
    ['slipway- prefix but another cluster name than the state', { contextName: 'slipway-other' }, {}],
    ['another apiserver port (a cluster of that name, re-created elsewhere)', {}, { apiserver: 26443 }],
    ['not on loopback', { server: 'https://10.0.0.5:16443' }, {}],
    ['not a URL', { server: 'nope' }, {}],
  ])('not a local cluster: %s', async (_n, o, state) => {
    const dir = dataDir(state.name ?? 'dev', { prometheusUrl: 'http://127.0.0.1:19090', ...(state.apiserver ? { apiserver: state.apiserver } : {}) });
    expect(await localClusterPrometheus(ref(dir, o), {}, home())).toBeUndefined();
  });

  it('an unreadable state file is no local cluster (not a crash)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-local-prom-'));
    writeFileSync(join(dir, 'cluster.json'), '{not json');
    expect(await localClusterPrometheus(ref(dir), {}, home())).toBeUndefined();
  });
});
