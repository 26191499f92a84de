import { describe, expect, it } from 'vitest';
import { componentArgs, type FlagInput } from './flags.ts';
import { clusterLayout, COMPONENTS } from './layout.ts';
import { pkiPaths } from './certs.ts';

const input: FlagInput = {
  layout: clusterLayout('t', '/data'),
  ports: { etcdClient: 20001, etcdPeer: 20002, apiserver: 20003, controllerManager: 20004, scheduler: 20005, kwok: 20006 },
  pki: pkiPaths('/data/pki'),
  kwokConfig: '/data/kwok.yaml',
};
const args = componentArgs(input);

describe('componentArgs', () => {
  it.each([
    ['etcd', '--listen-client-urls=http://127.0.0.1:20001'],
    ['etcd', '--initial-cluster=slipway=http://127.0.0.1:20002'],
    ['etcd', '--data-dir=/data/etcd'],
    ['etcd', '--quota-backend-bytes=2147483648'],
    ['kube-apiserver', '--etcd-servers=http://127.0.0.1:20001'],
    ['kube-apiserver', '--secure-port=20003'],
    ['kube-apiserver', '--bind-address=127.0.0.1'],
    ['kube-apiserver', '--advertise-address=127.0.0.1'],
    ['kube-apiserver', '--client-ca-file=/data/pki/ca.crt'],
    ['kube-apiserver', '--service-account-signing-key-file=/data/pki/sa.key'],
    ['kube-apiserver', '--allow-privileged=true'],
    ['kube-controller-manager', '--secure-port=20004'],
    ['kube-controller-manager', '--kubeconfig=/data/kube-controller-manager.kubeconfig'],
    ['kube-controller-manager', '--use-service-account-credentials=true'],
    ['kube-controller-manager', '--leader-elect=false'],
    ['kube-controller-manager', '--controllers=*,-horizontal-pod-autoscaler-controller'],
    ['kube-scheduler', '--secure-port=20005'],
    ['kube-scheduler', '--kubeconfig=/data/kube-scheduler.kubeconfig'],
    ['kwok', '--manage-all-nodes=false'],
    ['kwok', '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake'],
    ['kwok', '--kubeconfig=/data/kwok.kubeconfig'],
    ['kwok', '--config=/data/kwok.yaml'],
    ['kwok', '--server-address=127.0.0.1:20006'],
  ] as const)('%s has %s', (c, flag) => {
    expect(args[c]).toContain(flag);
  });

  it('kwok takes its stages from --config, not from Stage objects (their list can go stale in kwok)', () => {
    expect(args.kwok.some((a) => a.startsWith('--enable-crds'))).toBe(false);
  });

  it.each(COMPONENTS)('%s binds only to 127.0.0.1 and never uses a default port', (c) => {
    const joined = args[c].join(' ');
    expect(joined).not.toMatch(/0\.0\.0\.0/);
    expect(joined).not.toMatch(/:(6443|2379|2380|10257|10259)\b/);
  });

  it.each(COMPONENTS)('%s has no duplicate flags', (c) => {
    const names = args[c].map((a) => a.split('=')[0]);
    expect(new Set(names).size).toBe(names.length);
  });
});
