/**
 * `slipway cluster up` as a user runs it (the CLI, in its own process) merges its context into the
 * user's kubeconfig and makes it current, so plain kubectl and slipway reach the cluster without
 * `export KUBECONFIG`; `cluster down --delete` takes it out again. HOME and KUBECONFIG point into a
 * temp dir and the cluster has its own name and data dir: the real ~/.kube/config and the shared
 * test cluster are never touched.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { clusterDown } from '../../src/cluster/index.ts';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  try {
    const r = await exec(cmd, args, { env, cwd: ROOT, timeout: 180_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

interface Doc {
  clusters?: { name: string }[];
  users?: { name: string }[];
  contexts?: { name: string }[];
  'current-context'?: string;
}
const read = (file: string): Doc => parse(readFileSync(file, 'utf8')) as Doc;
const contexts = (file: string): string[] => (read(file).contexts ?? []).map((c) => c.name);

const prod = `apiVersion: v1
kind: Config
clusters: [{name: prod, cluster: {server: 'https://prod.invalid:6443'}}]
users: [{name: prod, user: {token: secret}}]
contexts: [{name: prod, context: {cluster: prod, user: prod}}]
current-context: prod
`;

describe('slipway cluster up/down and the user kubeconfig', () => {
  it('merges its context (current) by default, kubectl and slipway use it, and down --delete removes it', { timeout: 300_000 }, async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'slipway-it-merge-'));
    const home = join(tmp, 'home');
    const dataDir = join(tmp, 'data');
    const name = 'itmerge';
    const context = `slipway-${name}`;
    const seeded = join(tmp, 'kc', 'work.yaml');
    mkdirSync(join(tmp, 'kc'), { recursive: true });
    mkdirSync(home, { recursive: true });
    writeFileSync(seeded, prod, { mode: 0o600 });
    // Several files: new entries go to the first (that exists), as kubectl writes them. (A missing
    // first file is covered by the unit tests: @kubernetes/client-node, which reads several files
    // for slipway, fails on a missing one where kubectl skips it.)
    const extra = join(tmp, 'kc', 'extra.yaml');
    writeFileSync(extra, prod.replaceAll('prod', 'staging').replace(/^current-context.*$/m, ''), { mode: 0o600 });
    const kubeconfigVar = [seeded, extra].join(delimiter);
    const base: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      SLIPWAY_HOME: join(tmp, 'slipway-home'),
      // The binaries built under the real home (HOME is moved below).
      SLIPWAY_CACHE: process.env['SLIPWAY_CACHE'] ?? join(homedir(), '.cache', 'slipway'),
    };
    delete base['KUBECONFIG'];
    const withVar = { ...base, KUBECONFIG: kubeconfigVar };
    const slipway = (env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> =>
      run(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bin', 'slipway.js'), ...args], env);
    const target = ['--name', name, '--data-dir', dataDir];
    try {
      const up = await slipway(withVar, 'cluster', 'up', ...target, '--nodes', '1', '--timeout', '90');
      expect(up.code, up.err).toBe(0);
      expect(up.out).toContain(`context ${context} merged into ${seeded} and made current`);

      // The seeded file: ours added and current, the user's own context kept; still 0600; no file created elsewhere.
      expect(contexts(seeded)).toEqual(['prod', context]);
      expect(read(seeded)['current-context']).toBe(context);
      expect(statSync(seeded).mode & 0o777).toBe(0o600);
      expect(contexts(extra)).toEqual(['staging']);
      expect(existsSync(join(home, '.kube', 'config'))).toBe(false);

      // kubectl with that file, and kubectl and slipway with nothing but the environment.
      const ns = await run('kubectl', ['--kubeconfig', seeded, 'get', 'ns', 'default', '-o', 'name'], base);
      expect(ns.code, ns.err).toBe(0);
      expect(ns.out.trim()).toBe('namespace/default');
      const pods = await run('kubectl', ['get', 'pods', '-A'], withVar);
      expect(pods.code, pods.err).toBe(0);
      const history = await slipway(withVar, 'history', '--app', 'nothing-here', '--env', 'dev');
      expect(history.code, history.err).toBe(0);

      // KUBECONFIG unset: `up` again (the cluster is running: idempotent) merges into ~/.kube/config, created 0600.
      const again = await slipway(base, 'cluster', 'up', ...target);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toContain('is already running');
      const userConfig = join(home, '.kube', 'config');
      expect(contexts(userConfig)).toEqual([context]);
      expect(statSync(userConfig).mode & 0o777).toBe(0o600);
      const nodes = await run('kubectl', ['get', 'nodes', '-o', 'name'], base);
      expect(nodes.code, nodes.err).toBe(0);
      expect(nodes.out.trim()).toMatch(/^node\/kwok-node-\d+$/); // the one node of this cluster, not the shared one's three

      // --no-merge-kubeconfig touches neither file.
      const before = [readFileSync(seeded, 'utf8'), readFileSync(userConfig, 'utf8')];
      writeFileSync(userConfig, before[1]!.replace(`current-context: ${context}`, 'current-context: elsewhere'));
      const optOut = await slipway(base, 'cluster', 'up', ...target, '--no-merge-kubeconfig');
      expect(optOut.code, optOut.err).toBe(0);
      expect(optOut.out).toContain('export KUBECONFIG=');
      expect(read(userConfig)['current-context']).toBe('elsewhere');

      // down --delete: our entries go from both files, the user's stay, current-context is unset where it was ours.
      const down = await slipway(base, 'cluster', 'down', ...target, '--delete');
      expect(down.code, down.err).toBe(0);
      expect(down.out).toContain(`removed context ${context} from ${seeded}`);
      expect(contexts(seeded)).toEqual(['prod']);
      expect((read(seeded).clusters ?? []).map((c) => c.name)).toEqual(['prod']);
      expect((read(seeded).users ?? []).map((c) => c.name)).toEqual(['prod']);
      expect(read(seeded)['current-context']).toBeUndefined();
      expect(contexts(userConfig)).toEqual([]);
      expect(read(userConfig)['current-context']).toBe('elsewhere');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      if (existsSync(dataDir)) await clusterDown({ name, dataDir, delete: true }).catch(() => undefined);
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
