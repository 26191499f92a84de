import { describe, expect, it } from 'vitest';
import { clusterLayout, contextName, resolveDataDir, validateClusterName } from './layout.ts';
import { isSlipwayError } from '../errors/index.ts';

describe('resolveDataDir', () => {
  it.each([
    { name: 'default', dataDir: undefined, slipwayHome: undefined, want: '/home/u/.slipway/clusters/default' },
    { name: 'ci', dataDir: undefined, slipwayHome: '/srv/sw', want: '/srv/sw/clusters/ci' },
    { name: 'ci', dataDir: '/tmp/x', slipwayHome: '/srv/sw', want: '/tmp/x' },
    { name: 'ci', dataDir: '', slipwayHome: '', want: '/home/u/.slipway/clusters/ci' },
  ])('$name data-dir=$dataDir home=$slipwayHome → $want', ({ name, dataDir, slipwayHome, want }) => {
    expect(resolveDataDir({ name, dataDir, slipwayHome, homeDir: '/home/u' })).toBe(want);
  });
});

describe('validateClusterName', () => {
  it.each(['default', 'ci-2', 'a', 'x1'])('accepts %s', (n) => {
    expect(validateClusterName(n)).toBe(n);
  });
  it.each(['', 'Dev', '-a', 'a-', 'a_b', 'a/b', 'x'.repeat(41)])('rejects %j as input error', (n) => {
    let err: unknown;
    try {
      validateClusterName(n);
    } catch (e) {
      err = e;
    }
    expect(isSlipwayError(err) && err.kind === 'input' && err.hint !== undefined).toBe(true);
  });
});

describe('clusterLayout', () => {
  const l = clusterLayout('dev', '/d');
  it.each([
    ['kubeconfig', l.kubeconfig, '/d/kubeconfig'],
    ['state', l.stateFile, '/d/cluster.json'],
    ['etcd log', l.logFile('etcd'), '/d/logs/etcd.log'],
    ['kwok pid', l.pidFile('kwok'), '/d/run/kwok.pid'],
    ['scheduler kubeconfig', l.componentKubeconfig('kube-scheduler'), '/d/kube-scheduler.kubeconfig'],
    ['context', contextName('dev'), 'slipway-dev'],
  ])('%s', (_, got, want) => {
    expect(got).toBe(want);
  });
});
