import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeconfigFile, readKubeconfigFile, resolveTarget, resolveWithClientNode, type ResolvedTarget } from './kubeconfig.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A kubeconfig in its own directory (with ca.crt, client.crt, client.key next to it, for relative paths). */
function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-kc-'));
  writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');
  writeFileSync(join(dir, 'client.crt'), 'CERT FROM FILE');
  writeFileSync(join(dir, 'client.key'), 'KEY FROM FILE');
  const file = join(dir, 'config');
  writeFileSync(file, text);
  return file;
}

const config = (cluster: string, user: string | undefined, extra = ''): string => `apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c
  cluster:
${cluster}
contexts:
- name: main
  context: {cluster: c${user === undefined ? '' : ', user: u'}, namespace: team}
- name: other
  context: {cluster: c, user: u}
users:
- name: u
  user:
${user ?? '    {}'}
${extra}`;

/** Same shape from both readers: Buffers as strings, no undefined keys. */
function comparable(t: ResolvedTarget | undefined): unknown {
  return t && JSON.parse(JSON.stringify({ ...t, tls: Object.fromEntries(Object.entries(t.tls).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : v])) }));
}

describe('light kubeconfig reader matches @kubernetes/client-node', () => {
  it.each<[string, string, string | undefined, string | undefined]>([
    ['slipway cluster up: CA data, client cert data', `    server: https://127.0.0.1:6443/\n    certificate-authority-data: ${b64('CA')}`, `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}`, undefined],
    ['files relative to the kubeconfig', '    server: https://127.0.0.1:6443\n    certificate-authority: ca.crt', '    client-certificate: client.crt\n    client-key: client.key', undefined],
    ['bearer token, insecure, tls-server-name', '    server: https://10.0.0.1\n    insecure-skip-tls-verify: true\n    tls-server-name: api.internal', '    token: abc.def', undefined],
    ['basic auth', '    server: https://10.0.0.1', '    username: admin\n    password: s3cret', undefined],
    ['basic auth wins over a token, as before', '    server: https://10.0.0.1', '    token: t\n    username: admin\n    password: p', undefined],
    ['plain http (TLS verification off), no user', '    server: http://127.0.0.1:8080\n    insecure-skip-tls-verify: true', undefined, undefined],
    ['another context by name', '    server: https://10.0.0.1', '    token: t', 'other'],
    ['proxy-url', '    server: https://10.0.0.1\n    proxy-url: http://proxy:3128', '    token: t', undefined],
  ])('%s', async (_name, cluster, user, context) => {
    const file = write(config(cluster, user));
    const light = readKubeconfigFile(file, context);
    expect(light).toBeDefined();
    expect(comparable(light)).toEqual(comparable(await resolveWithClientNode({ kubeconfig: file, context })));
  });
});

describe('shapes left to @kubernetes/client-node', () => {
  it.each<[string, string, string, string]>([
    ['exec plugin', '    server: https://10.0.0.1', '    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}', ''],
    ['auth-provider', '    server: https://10.0.0.1', '    auth-provider: {name: oidc, config: {}}', ''],
    ['token-file', '    server: https://10.0.0.1', '    token-file: /var/run/token', ''],
    ['impersonation', '    server: https://10.0.0.1', '    token: t\n    as: someone', ''],
    ['an unknown top-level key', '    server: https://10.0.0.1', '    token: t', 'future-field: 1'],
    ['a cluster without server', '    certificate-authority-data: eA==', '    token: t', ''],
    ['plain http with TLS verification on (client-node refuses it)', '    server: http://127.0.0.1:8080', '    token: t', ''],
  ])('%s', (_name, cluster, user, extra) => {
    expect(readKubeconfigFile(write(config(cluster, user, extra)), undefined)).toBeUndefined();
  });

  it('an exec plugin still authenticates, through client-node', async () => {
    const cred = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } });
    const user = `    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: ['-c', ${JSON.stringify(`printf '%s' '${cred}'`)}]\n      interactiveMode: Never`;
    const t = await resolveTarget({ kubeconfig: write(config('    server: https://10.0.0.1', user)) });
    expect(t.headers['Authorization']).toBe('Bearer from-exec');
    expect(t.namespace).toBe('team');
  });

  it.each<[string, string | undefined]>([
    ['unknown context, light reader', undefined],
    ['unknown context, client-node', '    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}'],
  ])('%s: names the contexts there are', async (_n, user) => {
    const file = write(config('    server: https://10.0.0.1', user ?? '    token: t'));
    await expect(resolveTarget({ kubeconfig: file, context: 'nope' })).rejects.toThrow(/no context "nope"/);
  });

  it('a missing file is reported as before', async () => {
    await expect(resolveTarget({ kubeconfig: '/nonexistent/kubeconfig' })).rejects.toThrow(/cannot read kubeconfig \/nonexistent\/kubeconfig/);
  });
});

describe('kubeconfigFile', () => {
  const home = mkdtempSync(join(tmpdir(), 'slipway-home-'));
  const emptyHome = mkdtempSync(join(tmpdir(), 'slipway-home-'));
  mkdirSync(join(home, '.kube'));
  writeFileSync(join(home, '.kube', 'config'), '');
  it.each<[string, { kubeconfig?: string }, NodeJS.ProcessEnv, string | undefined]>([
    ['--kubeconfig first', { kubeconfig: '/x' }, { KUBECONFIG: '/y', HOME: home }, '/x'],
    ['one path in $KUBECONFIG', {}, { KUBECONFIG: '/y', HOME: home }, '/y'],
    ['several paths in $KUBECONFIG: merged by client-node', {}, { KUBECONFIG: ['/a', '/b'].join(delimiter), HOME: home }, undefined],
    ['~/.kube/config', {}, { HOME: home }, join(home, '.kube', 'config')],
    ['nothing: in-cluster or localhost, decided by client-node', {}, { HOME: emptyHome }, undefined],
  ])('%s', (_n, t, env, want) => {
    expect(kubeconfigFile(t, env)).toBe(want);
  });
});
