/**
 * The deploy engine under concurrency and interruption, against the real local control plane: two
 * `slipway deploy` runs of one app started at the same moment both end up in `slipway history`
 * and the next run prunes exactly what only they deployed; Ctrl-C ends a deploy cleanly (exit
 * 130, what it wrote recorded); destroy leaves alone an object the app no longer owns.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringifyManifests, type KubeObject } from '../../src/manifest/index.ts';
import { SIMULATE_LABEL } from '../../src/cluster/index.ts';
import { main, memoryIo } from '../../src/cli/index.ts';
import { destroy, history } from '../../src/sync/index.ts';
import { clientFor, configMap, deployTo, resourceVersions, web } from './deploy-fixtures.ts';
import { useNamespace } from './harness.ts';

describe('deploy: two runs at the same moment', () => {
  const ns = useNamespace('deploy-race');

  it('both revisions appear in `slipway history`, and a third run prunes exactly what only the older revisions deployed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-race-'));
    const file = (name: string, objects: KubeObject[]): string => {
      const path = join(dir, `${name}.yaml`);
      writeFileSync(path, stringifyManifests(objects));
      return path;
    };
    const cli = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const io = memoryIo();
      const code = await main(['node', 'slipway', ...args, '--kubeconfig', ns().kubeconfigPath, '-n', ns().name, '--app', 'shop', '--env', 'test'], io);
      return { code, out: io.stdout(), err: io.stderr() };
    };
    const common = [configMap('settings'), ...web({ name: 'web' })];
    const first = await cli('deploy', file('v1', common), '--timeout', '90s');
    expect(first.code, first.err).toBe(0);

    // Same app, different revisions, started together: each reads revision 1 before either writes.
    const [a, b] = await Promise.all([
      cli('deploy', file('a', [...common, configMap('only-a')]), '--timeout', '90s'),
      cli('deploy', file('b', [...common, configMap('only-b'), ...web({ name: 'api' })]), '--timeout', '90s'),
    ]);
    expect([a.code, b.code], `${a.err}\n${b.err}`).toEqual([0, 0]);
    const hist = await cli('history', '-o', 'json');
    const revs = JSON.parse(hist.out) as { revision: number; objects: number; status: string }[];
    expect(revs.map((r) => r.revision)).toEqual([1, 2, 3]);
    expect(revs.every((r) => r.status === 'succeeded')).toBe(true);
    // Revision 2 and 3 are the two runs, in whichever order they recorded: 4 objects (a) and 6 (b).
    expect(revs.slice(1).map((r) => r.objects).sort()).toEqual([4, 6]);
    expect(`${a.err}${b.err}`).toMatch(/wrote the inventory during this one/);

    const third = await cli('deploy', file('c', [...common, configMap('only-c')]), '--timeout', '90s');
    expect(third.code, third.err).toBe(0);
    expect(third.out).toMatch(/4 pruned/);
    const client = await clientFor(ns());
    const left = [...(await resourceVersions(client, ns().name)).keys()].sort();
    client.close();
    expect(left).toEqual(['ConfigMap/only-c', 'ConfigMap/settings', 'Deployment/web', 'Secret/slipway-inventory-shop-test', 'Service/web']);
    const hist2 = JSON.parse((await cli('history', '-o', 'json')).out) as { revision: number }[];
    expect(hist2.map((r) => r.revision)).toEqual([1, 2, 3, 4]);
  });
});

describe('deploy: Ctrl-C', () => {
  const ns = useNamespace('deploy-sigint');

  it('SIGINT during the wait ends `slipway deploy` at once with exit 130 and records what it wrote as a failed revision', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-sigint-'));
    const file = join(dir, 'app.yaml');
    writeFileSync(file, stringifyManifests([configMap('settings'), ...web({ name: 'web', podLabels: { [SIMULATE_LABEL]: 'never-ready' } })]));
    const bin = join(import.meta.dirname, '../../bin/slipway.js');
    const child = spawn(process.execPath, [bin, 'deploy', file, '--kubeconfig', ns().kubeconfigPath, '-n', ns().name, '--app', 'shop', '--env', 'test', '--timeout', '5m'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let err = '';
    let interruptedAt = 0;
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      if (interruptedAt === 0 && /waiting for \d+ object\(s\) to become healthy/.test(err)) {
        interruptedAt = Date.now();
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(interruptedAt, err).toBeGreaterThan(0);
    expect(Date.now() - interruptedAt).toBeLessThan(10_000);
    expect(code, err).toBe(130);
    expect(err).toMatch(/cancelled/);

    const client = await clientFor(ns());
    const revs = await history({ client, app: 'shop', env: 'test', namespace: ns().name });
    client.close();
    expect(revs.map((r) => r.status)).toEqual(['failed']);
  });
});

describe('destroy: ownership', () => {
  const ns = useNamespace('destroy-owned');

  it('never deletes an object the app no longer owns (relabelled by someone else)', async () => {
    const client = await clientFor(ns());
    expect((await deployTo(client, ns(), [configMap('mine'), configMap('theirs')], { wait: false })).ok).toBe(true);
    await ns().core.patchNamespacedConfigMap(
      { name: 'theirs', namespace: ns().name, body: [{ op: 'replace', path: '/metadata/labels/slipway.dev~1app', value: 'billing' }] },
    );
    const r = await destroy({ client, app: 'shop', env: 'test', namespace: ns().name });
    expect(r.errors).toEqual([]);
    expect(r.deleted.map((id) => id.name)).toEqual(['mine']);
    expect(r.skipped.map((id) => id.name)).toEqual(['theirs']);
    const left = await client.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, labelSelector: 'slipway.dev/app=billing' });
    client.close();
    expect(left.map((o) => o.metadata.name)).toEqual(['theirs']);
  });
});
