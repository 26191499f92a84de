/**
 * What `slipway cluster up` adds to the control plane (the CLI, in its own process, on a private
 * cluster): the Gateway API and Istio networking CRDs, served and validating; slipway's
 * ServiceRollout CRD, Established; the slipway controller as one more component, with a pid and a
 * /healthz that `cluster status` reports; `cluster down` stops it. And a start whose controller
 * never turns healthy stops that controller with the rest.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterDown, clusterUp } from '../../src/cluster/index.ts';
import { KubeClient } from '../../src/kube/index.ts';
import { waitFor } from './harness.ts';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const SLIPWAY = [process.execPath, '--disable-warning=ExperimentalWarning', join(ROOT, 'bin', 'slipway.js')] as const;

async function slipway(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await exec(SLIPWAY[0], [...SLIPWAY.slice(1), ...args], { cwd: ROOT, timeout: 200_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

/** True while a process with this pid exists (a zombie counts as gone). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

interface StatusJson {
  phase: string;
  components: { component: string; alive: boolean; healthy: boolean }[];
  addons: { addon: string; pid: number | null; alive: boolean; healthy: boolean; healthUrl: string; detail: string }[];
}

const conditionTrue = (o: Record<string, unknown> | undefined, type: string): boolean =>
  ((o?.['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

describe('slipway cluster up: CRDs and the slipway controller', () => {
  it('installs the Gateway API, Istio networking and ServiceRollout CRDs, runs the controller, and down stops it', { timeout: 420_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'slipway-it-ctl-'));
    const target = ['--name', 'ctl', '--data-dir', dataDir];
    try {
      const up = await slipway(['cluster', 'up', ...target, '--nodes', '1', '--no-merge-kubeconfig', '--timeout', '120']);
      expect(up.code, up.err).toBe(0);
      expect(up.out).toMatch(/slipway controller: pid \d+, http:\/\/127\.0\.0\.1:\d+\/healthz/);

      const client = await KubeClient.connect({ kubeconfig: join(dataDir, 'kubeconfig') });
      try {
        // Every CRD up installed is Established.
        for (const name of ['httproutes.gateway.networking.k8s.io', 'gateways.gateway.networking.k8s.io', 'virtualservices.networking.istio.io', 'destinationrules.networking.istio.io', 'servicerollouts.slipway.dev']) {
          const crd = await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
          expect(conditionTrue(crd, 'Established'), name).toBe(true);
        }
        // Istio is narrowed to the networking kinds slipway routes through.
        expect(await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'envoyfilters.networking.istio.io' })).toBeUndefined();
        expect(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: 'slipway-system' })).toBeDefined();

        await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'routes' } });
        const route = {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'web', namespace: 'routes' },
          spec: {
            parentRefs: [{ name: 'gw' }],
            rules: [{ backendRefs: [{ name: 'web-stable', port: 80, weight: 80 }, { name: 'web-canary', port: 80, weight: 20 }] }],
          },
        };
        const stored = await client.apply(route);
        expect((stored['spec'] as { rules: { backendRefs: { weight: number }[] }[] }).rules[0]?.backendRefs.map((b) => b.weight)).toEqual([80, 20]);
        // The real schema validates: a negative weight is refused by the apiserver.
        const bad = { ...route, metadata: { name: 'bad', namespace: 'routes' }, spec: { rules: [{ backendRefs: [{ name: 'web-stable', port: 80, weight: -1 }] }] } };
        await expect(client.apply(bad)).rejects.toThrow(/weight/);

        const vs = await client.apply({
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'web', namespace: 'routes' },
          spec: { hosts: ['web'], http: [{ route: [{ destination: { host: 'web', subset: 'stable' }, weight: 90 }, { destination: { host: 'web', subset: 'canary' }, weight: 10 }] }] },
        });
        expect(vs.metadata.uid).toBeTruthy();
      } finally {
        client.close();
      }

      const st = await slipway(['cluster', 'status', ...target, '-o', 'json']);
      expect(st.code, st.out).toBe(0);
      const status = JSON.parse(st.out) as StatusJson;
      expect(status.phase).toBe('running');
      const ctl = status.addons.find((a) => a.addon === 'slipway-controller');
      expect(ctl).toMatchObject({ alive: true, healthy: true, detail: 'ok' });
      const pid = ctl?.pid ?? 0;
      expect(pid).toBeGreaterThan(0);
      expect(pidExists(pid)).toBe(true);
      const health = await fetch(ctl?.healthUrl ?? '');
      expect(health.status).toBe(200);

      const text = await slipway(['cluster', 'status', ...target]);
      expect(text.out).toMatch(new RegExp(`slipway-controller\\s+${pid}\\s+yes\\s+ok`));

      const down = await slipway(['cluster', 'down', ...target]);
      expect(down.code, down.err).toBe(0);
      expect(down.out).toMatch(new RegExp(`slipway-controller\\s+pid ${pid}\\s+terminated`));
      expect(pidExists(pid)).toBe(false);
    } finally {
      await clusterDown({ name: 'ctl', dataDir, delete: true }).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a controller that never turns healthy fails the start and is stopped with the control plane', { timeout: 300_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'slipway-it-ctlfail-'));
    const pidOut = join(dataDir, 'fake-controller.pid');
    // Runs, never listens: `up` waits for /healthz, gives up, and must not leave it behind.
    const fake = [process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(pidOut)}, String(process.pid)); setInterval(() => {}, 1000)`];
    try {
      const err = await clusterUp({ name: 'ctlfail', dataDir, nodes: 1, timeoutMs: 45_000, controller: { command: fake } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String((err as Error | undefined)?.message)).toContain('slipway controller did not answer /healthz');
      const pid = Number(readFileSync(pidOut, 'utf8'));
      expect(pid).toBeGreaterThan(0);
      await waitFor(() => Promise.resolve(!pidExists(pid)), { what: 'fake controller gone', timeoutMs: 15_000 });
      const state = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')) as { pids: Record<string, number>; addons?: Record<string, unknown> };
      expect(state.pids).toEqual({});
      expect(state.addons ?? {}).toEqual({});
    } finally {
      await clusterDown({ name: 'ctlfail', dataDir, delete: true }).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
