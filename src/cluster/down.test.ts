import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { clusterDown } from './down.ts';
import { buildKubeconfig, kubeconfigYaml, type KubeconfigDoc } from './kubeconfig.ts';
import { clusterLayout } from './layout.ts';
import { readState } from './state.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-down-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ports = { etcdClient: 1, etcdPeer: 2, apiserver: 3, controllerManager: 4, scheduler: 5, kwok: 6 };
const ours = buildKubeconfig({ name: 'slipway-t', server: 'https://127.0.0.1:3', caPem: 'CA', certPem: 'C', keyPem: 'K' });
const prod = 'clusters: [{name: prod, cluster: {server: https://prod}}]\nusers: [{name: prod, user: {token: t}}]\ncontexts: [{name: prod, context: {cluster: prod, user: prod}}]\n';

/** A stopped cluster's data dir (no pids: nothing to stop) whose state records `mergedInto`. */
async function stoppedCluster(mergedInto: unknown): Promise<string> {
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const state = { version: 1, name: 't', dataDir, binDir: '/nowhere', ports, nodes: 1, pids: {}, mergedInto };
  writeFileSync(clusterLayout('t', dataDir).stateFile, JSON.stringify(state));
  return dataDir;
}

function userConfig(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}

describe('clusterDown and the user kubeconfig', () => {
  it.each([
    { what: 'a list of files (this version)', record: (a: string, b: string) => [a, b], files: ['a', 'b'] },
    { what: 'one path (state written by an older slipway)', record: (a: string) => a, files: ['a'] },
  ])('--delete removes our entries from $what and unsets current-context', async ({ record, files }) => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const merged = kubeconfigYaml({ ...ours, clusters: [...ours.clusters], users: [...ours.users], contexts: [...ours.contexts] });
    userConfig(a, merged);
    userConfig(b, merged);
    const dataDir = await stoppedCluster(record(a, b));
    const r = await clusterDown({ name: 't', dataDir, delete: true });
    expect(r.unmergedFrom).toEqual(files.map((f) => join(dir, f)));
    expect(r.warnings).toEqual([]);
    for (const f of files) {
      const doc = parse(readFileSync(join(dir, f), 'utf8')) as KubeconfigDoc;
      expect(doc.contexts).toEqual([]);
      expect(doc['current-context']).toBeUndefined();
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('without --delete keeps the entries (the stopped cluster restarts on the same ports and certificates)', async () => {
    const a = join(dir, 'a');
    userConfig(a, kubeconfigYaml(ours));
    const dataDir = await stoppedCluster([a]);
    const r = await clusterDown({ name: 't', dataDir });
    expect(r.unmergedFrom).toEqual([]);
    expect(readFileSync(a, 'utf8')).toBe(kubeconfigYaml(ours));
    expect((await readState(clusterLayout('t', dataDir).stateFile))?.mergedInto).toEqual([a]);
  });

  it('keeps other contexts and leaves a file without our entries untouched', async () => {
    const a = join(dir, 'a');
    userConfig(a, prod);
    const dataDir = await stoppedCluster([a]);
    const r = await clusterDown({ name: 't', dataDir, delete: true });
    expect(r.unmergedFrom).toEqual([]);
    expect(readFileSync(a, 'utf8')).toBe(prod);
  });

  it('a user kubeconfig broken since is left alone with a warning, and the data is still deleted', async () => {
    const a = join(dir, 'a');
    userConfig(a, 'a: [1,');
    const dataDir = await stoppedCluster([a]);
    const r = await clusterDown({ name: 't', dataDir, delete: true });
    expect(r.warnings).toEqual([expect.stringContaining(`slipway-t was left in ${a}`)]);
    expect(readFileSync(a, 'utf8')).toBe('a: [1,');
    expect(existsSync(dataDir)).toBe(false);
  });
});
