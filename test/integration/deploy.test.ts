/**
 * The deploy engine against the real local control plane: no-op re-deploys write nothing,
 * prune is exact, rolling updates keep endpoints, failed rollouts roll back, invalid input
 * writes nothing, an unreachable apiserver fails cleanly and the next deploy converges.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringifyManifests, type KubeObject } from '../../src/manifest/index.ts';
import { isSlipwayError, InputErrors } from '../../src/errors/index.ts';
import { SIMULATE_LABEL } from '../../src/cluster/index.ts';
import { main, memoryIo } from '../../src/cli/index.ts';
import { healthOf, history, inventoryName, status, type DeployEvent } from '../../src/sync/index.ts';
import { apiserverProxy, clientFor, configMap, deployTo, resourceVersions, web } from './deploy-fixtures.ts';
import { useNamespace, waitFor } from './harness.ts';

describe('deploy: no change', () => {
  const ns = useNamespace('deploy-noop');

  it('a second deploy with no change does zero writes and leaves every resourceVersion unchanged', async () => {
    const client = await clientFor(ns());
    const objects = [configMap('settings', { LOG_LEVEL: 'info' }), ...web({ replicas: 2 })];
    const first = await deployTo(client, ns(), objects);
    expect(first.ok).toBe(true);
    expect(first.revision).toBe(1);
    expect(first.objects.filter((o) => o.action === 'created')).toHaveLength(3);

    const before = await resourceVersions(client, ns().name);
    expect(before.size).toBe(4); // 3 objects + inventory Secret
    const second = await deployTo(client, ns(), objects);
    const after = await resourceVersions(client, ns().name);
    client.close();

    expect(second.ok).toBe(true);
    expect(second.writes).toBe(0);
    expect(second.revision).toBeUndefined();
    expect(second.objects.every((o) => o.action === 'unchanged')).toBe(true);
    expect(after).toEqual(before);
  });
});

describe('deploy: prune', () => {
  const ns = useNamespace('deploy-prune');

  it('removing a service prunes exactly its objects, after the apply succeeded', async () => {
    const client = await clientFor(ns());
    const v1 = [configMap('settings'), ...web({ name: 'web' }), ...web({ name: 'api' })];
    expect((await deployTo(client, ns(), v1)).ok).toBe(true);

    const v2 = [configMap('settings'), ...web({ name: 'web' })];
    const r = await deployTo(client, ns(), v2);
    expect(r.ok).toBe(true);
    expect(r.pruned.map((id) => `${id.kind}/${id.name}`).sort()).toEqual(['Deployment/api', 'Service/api']);
    const left = await resourceVersions(client, ns().name);
    expect([...left.keys()].sort()).toEqual(['ConfigMap/settings', 'Deployment/web', `Secret/${inventoryName('shop', 'test')}`, 'Service/web']);
    client.close();
  });
});

describe('deploy: zero downtime', () => {
  const ns = useNamespace('deploy-rolling');

  it('during a rolling update of 4 replicas, ready endpoints never drop below replicas - maxUnavailable', async () => {
    const client = await clientFor(ns());
    const replicas = 4;
    const maxUnavailable = 1;
    expect((await deployTo(client, ns(), web({ replicas, maxUnavailable, maxSurge: 1 }))).ok).toBe(true);

    // Ready endpoints per EndpointSlice, summed after every watch event.
    const slices = new Map<string, string[]>();
    const readyPods = (): string[] => [...slices.values()].flat();
    const seenPods = new Set<string>();
    let minReady = Number.POSITIVE_INFINITY;
    let started = false;
    const abort = new AbortController();
    const watching = client.watch(
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace: ns().name, labelSelector: 'kubernetes.io/service-name=web' },
      {},
      ({ type, object: obj }) => {
        if (type === 'BOOKMARK') return;
        const eps = (obj['endpoints'] ?? []) as { conditions?: { ready?: boolean }; targetRef?: { name?: string } }[];
        const ready = eps.filter((e) => e.conditions?.ready === true).map((e) => e.targetRef?.name ?? '');
        if (type === 'DELETED') slices.delete(obj.metadata.name ?? '');
        else slices.set(obj.metadata.name ?? '', ready);
        ready.forEach((p) => seenPods.add(p));
        if (readyPods().length >= replicas) started = true;
        if (started) minReady = Math.min(minReady, readyPods().length);
      },
      abort.signal,
    );
    // The initial state (4 ready) must be seen before the update starts.
    for (let i = 0; i < 200 && !started; i++) await new Promise((r) => setTimeout(r, 50));
    expect(started).toBe(true);

    const r = await deployTo(client, ns(), web({ replicas, maxUnavailable, maxSurge: 1, image: 'registry.example/web:2.0.0' }));
    abort.abort();
    await watching;
    client.close();

    expect(r.ok).toBe(true);
    expect(r.objects.find((o) => o.id.kind === 'Deployment')?.action).toBe('configured');
    // The update really replaced the pods: more distinct pods were ready than replicas.
    expect(seenPods.size).toBeGreaterThanOrEqual(2 * replicas);
    expect(minReady).toBeGreaterThanOrEqual(replicas - maxUnavailable);
  });
});

describe('deploy: automatic rollback', () => {
  const ns = useNamespace('deploy-rollback');

  it('a rollout whose pods never become ready hits the progress deadline and is rolled back', async () => {
    const client = await clientFor(ns());
    const good = web({ replicas: 2, progressDeadlineSeconds: 15 });
    expect((await deployTo(client, ns(), good)).ok).toBe(true);

    const bad = web({ replicas: 2, progressDeadlineSeconds: 15, image: 'registry.example/web:2.0.0-broken', podLabels: { [SIMULATE_LABEL]: 'never-ready' } });
    const events: DeployEvent[] = [];
    const r = await deployTo(client, ns(), bad, { onEvent: (e) => events.push(e) });
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe('rollout-failed');
    expect(r.error?.message).toMatch(/progress deadline/);
    expect(r.rollback?.ok).toBe(true);
    expect(r.rollback?.toRevision).toBe(1);

    // The old version still serves: all replicas available, on the old image.
    const d = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns().name, name: 'web' });
    const spec = d?.['spec'] as { template: { spec: { containers: { image: string }[] } } };
    const status = d?.['status'] as { availableReplicas?: number; updatedReplicas?: number };
    expect(spec.template.spec.containers[0]?.image).toBe('registry.example/web:1.0.0');
    expect(status.availableReplicas).toBe(2);

    const revs = await history({ client, app: 'shop', env: 'test', namespace: ns().name });
    client.close();
    expect(revs.map((x) => [x.revision, x.status, x.rollbackOf])).toEqual([
      [1, 'succeeded', undefined],
      [2, 'failed', undefined],
      [3, 'succeeded', 1],
    ]);
    expect(events.some((e) => e.type === 'phase' && e.phase === 'rollback')).toBe(true);
  });
});

describe('deploy: invalid input', () => {
  const ns = useNamespace('deploy-invalid');

  it('invalid objects among 50 valid ones: every rejection listed, nothing written', async () => {
    const client = await clientFor(ns());
    const objects: KubeObject[] = Array.from({ length: 50 }, (_, i) => configMap(`config-${i}`));
    const [deployment, service] = web();
    (deployment?.['spec'] as { replicas: number }).replicas = -1;
    objects.splice(20, 0, deployment as KubeObject, service as KubeObject, configMap('bad-key', { 'not a valid key!': 'x' }));

    const err = await deployTo(client, ns(), objects, { lint: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputErrors);
    const problems = (err as InputErrors).problems.map((p) => p.message);
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/Deployment\/.*spec\.replicas/);
    expect(problems.join('\n')).toMatch(/ConfigMap\/.*bad-key/);

    expect((await resourceVersions(client, ns().name)).size).toBe(0);
    client.close();
  });
});

describe('deploy: apiserver unavailable', () => {
  const ns = useNamespace('deploy-unavailable');

  it('mid-deploy outage: a clear cluster-unavailable error, no prune; the next deploy converges', async () => {
    const direct = await clientFor(ns());
    expect((await deployTo(direct, ns(), [configMap('a', { v: '1' }), configMap('old')])).ok).toBe(true);

    const proxy = await apiserverProxy(ns().kubeconfigPath);
    const fast = { attempts: 3, baseDelayMs: 100, maxDelayMs: 200 };
    const viaProxy = await clientFor(ns(), proxy.kubeconfig, fast);
    const v2 = [configMap('a', { v: '2' }), configMap('new'), ...web({ replicas: 1 })];
    let stopped = false;
    const r = await deployTo(viaProxy, ns(), v2, {
      onEvent: (e) => {
        // Cut the apiserver off once the config stage is written, before the workloads.
        if (!stopped && e.type === 'phase' && e.phase === 'apply' && e.message.includes('workloads')) {
          stopped = true;
          void proxy.stop();
        }
      },
    });
    viaProxy.close();
    expect(stopped).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe('cluster-unavailable');
    expect(r.error?.message).toMatch(/unavailable after 3 attempts/);
    expect(r.pruned).toEqual([]);
    const mid = await resourceVersions(direct, ns().name);
    expect(mid.has('ConfigMap/old')).toBe(true); // never pruned by a failed run
    expect(mid.has('Deployment/web')).toBe(false);

    await proxy.start();
    const again = await clientFor(ns(), proxy.kubeconfig, fast);
    const r2 = await deployTo(again, ns(), v2);
    again.close();
    await proxy.close();
    expect(r2.ok).toBe(true);
    expect(r2.pruned.map((id) => id.name)).toEqual(['old']);
    const end = await resourceVersions(direct, ns().name);
    direct.close();
    expect([...end.keys()].filter((k) => !k.startsWith('Secret/')).sort()).toEqual(['ConfigMap/a', 'ConfigMap/new', 'Deployment/web', 'Service/web']);
  });
});

describe('deploy: field manager conflicts', () => {
  const ns = useNamespace('deploy-conflict');

  it('reports the other manager and field; --force-conflicts takes ownership', async () => {
    const client = await clientFor(ns());
    // Another tool owns data.mode through its own server-side apply.
    const res = await client.transport.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns().name}/configmaps/flags`,
      query: { fieldManager: 'other-tool' },
      contentType: 'application/apply-patch+yaml',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flags', namespace: ns().name }, data: { mode: 'theirs' } },
    });
    expect(res.status).toBeLessThan(300);

    const desired = [configMap('flags', { mode: 'ours' })];
    const err = await deployTo(client, ns(), desired).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSlipwayError(err) && err.kind).toBe('conflict');
    expect((err as Error).message).toMatch(/\.data\.mode.*"other-tool"/);
    const unchanged = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'flags' });
    expect((unchanged?.['data'] as Record<string, string>)['mode']).toBe('theirs');

    const forced = await deployTo(client, ns(), desired, { forceConflicts: true });
    expect(forced.ok).toBe(true);
    const now = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'flags' });
    client.close();
    expect((now?.['data'] as Record<string, string>)['mode']).toBe('ours');
  });
});

describe('cli: deploy, diff, status, history, rollback, destroy', () => {
  const ns = useNamespace('deploy-cli');

  it('walks the whole lifecycle through the commands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
    const file = join(dir, 'app.yaml');
    const write = (objects: KubeObject[]): void => writeFileSync(file, stringifyManifests(objects));
    const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const io = memoryIo();
      const code = await main(['node', 'slipway', ...args, '--kubeconfig', ns().kubeconfigPath, '-n', ns().name, '--app', 'shop', '--env', 'test'], io);
      return { code, out: io.stdout(), err: io.stderr() };
    };
    write([configMap('settings', { LOG_LEVEL: 'info' }), ...web()]);
    const d1 = await run('deploy', file, '--timeout', '90s');
    expect(d1.code, d1.err).toBe(0);
    expect(d1.out).toMatch(/revision 1: 3 created/);

    expect((await run('diff', file)).code).toBe(0);
    write([configMap('settings', { LOG_LEVEL: 'debug' }), ...web()]);
    const diff = await run('diff', file);
    expect(diff.code).toBe(1);
    expect(diff.out).toMatch(/-\s+LOG_LEVEL: info\n\+\s+LOG_LEVEL: debug/);
    expect(diff.out).not.toMatch(/resourceVersion|managedFields|creationTimestamp|uid:/);

    expect((await run('deploy', file, '--timeout', '90s')).code).toBe(0);
    const status = await run('status', '-o', 'json');
    expect(status.code, status.err).toBe(0);
    const s = JSON.parse(status.out) as { health: string; objects: { id: { kind: string }; pods?: unknown[] }[] };
    expect(s.health).toBe('Healthy');
    expect(s.objects.find((o) => o.id.kind === 'Deployment')?.pods).toHaveLength(2);

    const rb = await run('rollback', '--to', '1', '--timeout', '90s');
    expect(rb.code, rb.err).toBe(0);
    const hist = await run('history', '-o', 'json');
    expect((JSON.parse(hist.out) as { revision: number; message: string }[]).map((r) => r.revision)).toEqual([1, 2, 3]);
    expect(hist.out).toMatch(/rollback to revision 1/);

    const gone = await run('destroy');
    expect(gone.code, gone.err).toBe(0);
    expect(gone.out).toMatch(/3 object\(s\) deleted/);
    const client = await clientFor(ns());
    expect((await resourceVersions(client, ns().name)).size).toBe(0);
    client.close();
  });

  it('hands a blue-green Deployment and its Service to the cluster\'s controller: the Service selects the active version, a preview Service the new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
    const write = (image: string): void => {
      const [d, svc] = web({ image });
      d!.metadata.annotations = { 'slipway.dev/strategy': 'blueGreen', 'slipway.dev/strategy-blue-green': '{"autoPromote":false,"scaleDownDelaySeconds":30}' };
      writeFileSync(join(dir, 'app.yaml'), stringifyManifests([d!, svc!]));
    };
    const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      const io = memoryIo();
      const code = await main(['node', 'slipway', ...args, '--kubeconfig', ns().kubeconfigPath, '-n', ns().name], io);
      return { code, out: io.stdout(), err: io.stderr() };
    };
    write('registry.example/web:1.0.0');
    const first = await run('deploy', dir, '--timeout', '90s');
    expect(first.code, first.err).toBe(0);
    const client = await clientFor(ns());
    const selector = async (name: string): Promise<Record<string, string> | undefined> =>
      ((await client.get({ apiVersion: 'v1', kind: 'Service', namespace: ns().name, name }))?.['spec'] as { selector?: Record<string, string> } | undefined)?.selector;
    const active1 = (await selector('web'))?.['slipway.dev/revision'];
    expect(active1).toMatch(/^[0-9a-f]{10}$/);

    // A new image: deploy returns once the preview waits for promotion (Suspended, as Argo's paused Rollout).
    write('registry.example/web:2.0.0');
    const second = await run('deploy', dir, '--timeout', '90s');
    expect(second.code, second.err).toBe(0);
    const preview = (await selector('web-preview'))?.['slipway.dev/revision'];
    expect(preview).not.toBe(active1);
    expect((await selector('web'))?.['slipway.dev/revision']).toBe(active1);
    expect((await run('rollout', 'promote', 'web')).code).toBe(0);
    await waitFor(async () => ((await selector('web'))?.['slipway.dev/revision'] === preview ? true : undefined), { what: 'the active Service switched to v2' });
    client.close();
  });
});

describe('deploy: a finished Job deleted by its TTL', () => {
  const ns = useNamespace('deploy-job-ttl');

  /** A migration-style Job; the TTL-after-finished controller deletes it some time after it completes. */
  const migrate = (image = 'registry.example/migrate:1.0.0'): KubeObject => {
    const [deployment] = web({ name: 'migrate', image });
    const template = (deployment?.['spec'] as { template: { spec: Record<string, unknown> } }).template;
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate' },
      spec: { ttlSecondsAfterFinished: 3600, backoffLimit: 1, template: { metadata: { labels: { app: 'migrate' } }, spec: { ...template.spec, restartPolicy: 'Never' } } },
    };
  };

  it('is not Missing on the next deploy or in status: it ran', async () => {
    const client = await clientFor(ns());
    const objects = [configMap('settings'), migrate()];
    expect((await deployTo(client, ns(), objects)).ok).toBe(true);
    // What the TTL controller does an hour later (background propagation, like the controller).
    await client.delete({ apiVersion: 'batch/v1', kind: 'Job', name: 'migrate', namespace: ns().name });
    await waitFor(async () => (await client.get({ apiVersion: 'batch/v1', kind: 'Job', name: 'migrate', namespace: ns().name })) === undefined, { what: 'Job deleted' });

    const again = await deployTo(client, ns(), objects, { timeoutMs: 20_000 });
    expect(again.error?.message).toBeUndefined();
    expect(again.ok).toBe(true);
    expect(again.writes).toBe(0);
    const st = await status({ client, app: 'shop', env: 'test', namespace: ns().name });
    client.close();
    expect(st.health).toBe('Healthy');
    const job = st.objects.find((o) => o.id.kind === 'Job');
    expect(job?.health.message).toMatch(/ttlSecondsAfterFinished/);
  });

  it('a new image replaces the finished Job (its pod template is immutable) and runs it', async () => {
    const client = await clientFor(ns());
    const id = { apiVersion: 'batch/v1', kind: 'Job', name: 'migrate', namespace: ns().name };
    expect((await deployTo(client, ns(), [migrate('registry.example/migrate:2.0.0')])).ok).toBe(true);
    const before = await client.get(id);
    const r = await deployTo(client, ns(), [migrate('registry.example/migrate:2.0.1')]);
    const after = await client.get(id);
    client.close();
    expect(r.error?.message).toBeUndefined();
    expect(r.objects.find((o) => o.id.kind === 'Job')?.action).toBe('replaced');
    expect(after?.metadata.uid).not.toBe(before?.metadata.uid);
    const spec = after?.['spec'] as { template: { spec: { containers: { image: string }[] } } } | undefined;
    expect(spec?.template.spec.containers[0]?.image).toBe('registry.example/migrate:2.0.1');
    expect(healthOf(after).status).toBe('Healthy');
  });
});
