import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildKubeconfig, kubeconfigYaml, mergeKubeconfig, removeFromKubeconfig, type KubeconfigDoc } from './kubeconfig.ts';

const ours = buildKubeconfig({ name: 'slipway-dev', server: 'https://127.0.0.1:1234', caPem: 'CA', certPem: 'CERT', keyPem: 'KEY' });
const other = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: https://prod}
- name: slipway-dev
  cluster: {server: https://127.0.0.1:1}
users:
- name: prod
  user: {token: t}
contexts:
- name: prod
  context: {cluster: prod, user: prod}
current-context: prod
preferences: {colors: true}
`;

describe('buildKubeconfig', () => {
  it('embeds base64 certificates and selects its own context', () => {
    const doc = parse(kubeconfigYaml(ours)) as KubeconfigDoc;
    expect(doc['current-context']).toBe('slipway-dev');
    expect(doc.clusters[0]).toEqual({ name: 'slipway-dev', cluster: { server: 'https://127.0.0.1:1234', 'certificate-authority-data': Buffer.from('CA').toString('base64') } });
    expect(doc.users[0]).toEqual({ name: 'slipway-dev', user: { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') } });
  });
});

describe('mergeKubeconfig', () => {
  it.each([
    { what: 'no file', existing: undefined, clusters: ['slipway-dev'] },
    { what: 'empty file', existing: '  \n', clusters: ['slipway-dev'] },
    { what: 'other clusters, stale entry of ours', existing: other, clusters: ['prod', 'slipway-dev'] },
  ])('$what', ({ existing, clusters }) => {
    const m = mergeKubeconfig(existing, ours, '~/.kube/config');
    expect(m.clusters.map((c) => c.name)).toEqual(clusters);
    expect(m['current-context']).toBe('slipway-dev');
    expect(m.clusters.find((c) => c.name === 'slipway-dev')).toEqual(ours.clusters[0]);
  });

  it('keeps unrelated entries and fields', () => {
    const m = mergeKubeconfig(other, ours, 'cfg');
    expect(m.users.map((u) => u.name)).toEqual(['prod', 'slipway-dev']);
    expect(m.contexts.map((c) => c.name)).toEqual(['prod', 'slipway-dev']);
    expect(m['preferences']).toEqual({ colors: true });
  });

  it.each([
    ['not yaml', 'a: [1,'],
    ['not a mapping', '- 1\n- 2\n'],
    ['clusters not a list', 'clusters: 3\n'],
    ['entries without name', 'clusters:\n- cluster: {}\n'],
  ])('rejects %s as input error', (_, text) => {
    expect(() => mergeKubeconfig(text, ours, 'cfg')).toThrow(/cfg/);
  });
});

describe('removeFromKubeconfig', () => {
  it('removes only our triple and unsets current-context if it was ours', () => {
    const merged = mergeKubeconfig(other, ours, 'cfg');
    const r = removeFromKubeconfig(merged, 'slipway-dev');
    expect(r.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(r.users.map((c) => c.name)).toEqual(['prod']);
    expect(r['current-context']).toBeUndefined();
  });
});
