import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildKubeconfig, hasEntries, kubeconfigYaml, mergeKubeconfig, parseKubeconfig, removeFromKubeconfig, type KubeconfigDoc } from './kubeconfig.ts';

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

  it('is idempotent: merging twice gives the same document', () => {
    const once = mergeKubeconfig(other, ours, 'cfg');
    expect(mergeKubeconfig(kubeconfigYaml(once), ours, 'cfg')).toEqual(once);
  });

  it.each([
    ['not yaml', 'a: [1,'],
    ['not a mapping', '- 1\n- 2\n'],
    ['a scalar', 'hello\n'],
    ['another kind of document', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n'],
    ['clusters not a list', 'clusters: 3\n'],
    ['entries without name', 'clusters:\n- cluster: {}\n'],
    ['users not a list', 'users: {a: 1}\n'],
  ])('rejects %s as input error naming the file and the opt-out', (_, text) => {
    expect(() => mergeKubeconfig(text, ours, 'cfg')).toThrow(expect.objectContaining({ kind: 'input', message: expect.stringMatching(/^cfg/) as unknown, hint: expect.stringContaining('--no-merge-kubeconfig') as unknown }));
  });
});

describe('parseKubeconfig', () => {
  it('reads a kubeconfig without lists as empty lists, keeping other fields', () => {
    const doc = parseKubeconfig('apiVersion: v1\nkind: Config\ncurrent-context: x\nextensions: []\n', 'cfg');
    expect(doc).toEqual({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], 'current-context': 'x', extensions: [] });
  });
});

describe('removeFromKubeconfig', () => {
  it('removes only our triple and unsets current-context if it was ours', () => {
    const merged = mergeKubeconfig(other, ours, 'cfg');
    const r = removeFromKubeconfig(merged, 'slipway-dev');
    expect(r.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(r.users.map((c) => c.name)).toEqual(['prod']);
    expect(r.contexts.map((c) => c.name)).toEqual(['prod']);
    expect(r['current-context']).toBeUndefined();
    expect(r['preferences']).toEqual({ colors: true });
    expect(hasEntries(r, 'slipway-dev')).toBe(false);
  });

  it('keeps current-context when another context is current', () => {
    const merged = { ...mergeKubeconfig(other, ours, 'cfg'), 'current-context': 'prod' };
    expect(removeFromKubeconfig(merged, 'slipway-dev')['current-context']).toBe('prod');
  });
});
