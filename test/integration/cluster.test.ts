/**
 * The local control plane itself: real apiserver version, simulated nodes and zones, kwok pod
 * behaviours (plain / never-ready / crash-loop), Pod Security admission, the default StorageClass,
 * and `cluster status` reporting a killed component.
 */
import { describe, expect, it, inject } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VersionApi, CoreV1Api, V1PersistentVolumeClaim, V1StatefulSet, type V1Pod } from '@kubernetes/client-node';
import { clusterDown, clusterUp, clusterStatus, SIMULATE_LABEL, ZONES } from '../../src/cluster/index.ts';
import { main, memoryIo } from '../../src/cli/index.ts';
import { createPod, isPodReady, restrictedPod, testKubeConfig, useNamespace, waitFor } from './harness.ts';

describe('control plane', () => {
  it('serves Kubernetes v1.34.4 (version stamped at build, not v0.0.0)', async () => {
    const v = await testKubeConfig().makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toBe('v1.34.4');
    expect(`${v.major}.${v.minor}`).toBe('1.34');
  });

  it('has 3 Ready nodes spread over 3 zones', async () => {
    const nodes = (await testKubeConfig().makeApiClient(CoreV1Api).listNode()).items;
    const ready = nodes.filter((n) => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready).toHaveLength(3);
    expect(new Set(ready.map((n) => n.metadata?.labels?.['topology.kubernetes.io/zone']))).toEqual(new Set(ZONES));
  });
});

describe('simulated pods', () => {
  const ns = useNamespace('cluster-pods');
  const create = async (name: string, simulate?: string): Promise<void> => {
    await createPod(ns(), restrictedPod(name, simulate ? { [SIMULATE_LABEL]: simulate } : {}));
  };
  const read = (name: string): Promise<V1Pod> => ns().core.readNamespacedPod({ namespace: ns().name, name });

  it('a plain pod is scheduled and becomes Ready', async () => {
    await create('plain');
    const pod = await waitFor(async () => {
      const p = await read('plain');
      return isPodReady(p) && p;
    }, { what: 'pod plain Ready', timeoutMs: 30_000 });
    expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.podIP).toBeTruthy();
  });

  it('a never-ready pod runs but stays unready', async () => {
    await create('unready', 'never-ready');
    // Running (status written by the never-ready stage) is the point after which nothing changes it.
    const pod = await waitFor(async () => {
      const p = await read('unready');
      return p.status?.phase === 'Running' && p;
    }, { what: 'pod unready Running', timeoutMs: 30_000 });
    expect(isPodReady(pod)).toBe(false);
    expect(pod.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
    expect(pod.status?.containerStatuses?.[0]?.ready).toBe(false);
    // Another plain pod becoming Ready proves kwok processed newer work, and this one is still unready.
    await create('after-unready');
    await waitFor(async () => isPodReady(await read('after-unready')), { what: 'pod after-unready Ready', timeoutMs: 30_000 });
    expect(isPodReady(await read('unready'))).toBe(false);
  });

  it("a crash-loop pod's restartCount grows and it shows CrashLoopBackOff", async () => {
    await create('crasher', 'crash-loop');
    const first = await waitFor(async () => {
      const n = (await read('crasher')).status?.containerStatuses?.[0]?.restartCount ?? 0;
      return n >= 1 && n;
    }, { what: 'first restart', timeoutMs: 30_000 });
    const later = await waitFor(async () => {
      const n = (await read('crasher')).status?.containerStatuses?.[0]?.restartCount ?? 0;
      return n > first && n;
    }, { what: 'restartCount to grow', timeoutMs: 30_000 });
    expect(later).toBeGreaterThan(first);
    const pod = await read('crasher');
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(isPodReady(pod)).toBe(false);
  });

  it('Pod Security admission rejects a privileged pod in a restricted namespace', async () => {
    const pod = restrictedPod('priv');
    pod.spec.containers[0]!.securityContext = { privileged: true };
    let error: unknown;
    try {
      await createPod(ns(), pod);
    } catch (e) {
      error = e;
    }
    expect((error as { code?: number } | undefined)?.code).toBe(403);
    const status = JSON.parse(String((error as { body?: unknown }).body)) as { reason: string; message: string };
    expect(status.reason).toBe('Forbidden');
    expect(status.message).toContain('violates PodSecurity "restricted:latest"');
    expect(status.message).toContain('privileged');
  });
});

describe('default StorageClass', () => {
  const ns = useNamespace('cluster-storage');
  const claims = async (): Promise<V1PersistentVolumeClaim[]> => (await ns().core.listNamespacedPersistentVolumeClaim({ namespace: ns().name })).items;

  it('a claim without storageClassName gets a volume from "standard" and is Bound', async () => {
    const body = Object.assign(new V1PersistentVolumeClaim(), {
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    await ns().core.createNamespacedPersistentVolumeClaim({ namespace: ns().name, body });
    const claim = await waitFor(async () => {
      const c = await ns().core.readNamespacedPersistentVolumeClaim({ namespace: ns().name, name: 'data' });
      return c.status?.phase === 'Bound' && c;
    }, { what: 'claim data Bound' });
    // The DefaultStorageClass admission plugin filled in the class; the host-path provisioner made the volume.
    expect(claim.spec?.storageClassName).toBe('standard');
    const pv = await ns().core.readPersistentVolume({ name: claim.spec?.volumeName ?? '' });
    expect(pv.spec?.storageClassName).toBe('standard');
    expect(pv.spec?.claimRef).toMatchObject({ namespace: ns().name, name: 'data' });
    expect(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by']).toBe('kubernetes.io/host-path');
  });

  it('a StatefulSet with volumeClaimTemplates gets a Bound claim per replica and Ready pods', async () => {
    const pod = restrictedPod('db');
    const template = { metadata: pod.metadata, spec: { ...pod.spec, containers: pod.spec.containers.map((c) => ({ ...c, volumeMounts: [{ name: 'data', mountPath: '/data' }] })) } };
    const body = Object.assign(new V1StatefulSet(), {
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        replicas: 2,
        selector: { matchLabels: { app: 'db' } },
        template,
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    });
    await ns().apps.createNamespacedStatefulSet({ namespace: ns().name, body });
    await waitFor(async () => (await ns().apps.readNamespacedStatefulSet({ namespace: ns().name, name: 'db' })).status?.readyReplicas === 2, {
      what: 'StatefulSet db 2/2 ready',
    });
    const byName = new Map((await claims()).map((c) => [c.metadata?.name, c]));
    for (const name of ['data-db-0', 'data-db-1']) {
      expect(byName.get(name)?.status?.phase, name).toBe('Bound');
      expect(byName.get(name)?.spec?.storageClassName, name).toBe('standard');
    }
    const pods = (await ns().core.listNamespacedPod({ namespace: ns().name, labelSelector: 'app=db' })).items;
    expect(pods.map((p) => [p.metadata?.name, isPodReady(p)]).sort()).toEqual([
      ['db-0', true],
      ['db-1', true],
    ]);
  });
});

describe('slipway cluster status', () => {
  // A whole second cluster start: allow a slow start on a busy machine, but bound clusterUp's own
  // waits below the test's timeout so a start that hangs fails with the component's log, and its
  // processes are stopped, instead of a bare vitest timeout that leaves them running.
  it('reports a killed component and exits 1', { timeout: 240_000 }, async () => {
    // A second, one-node cluster: killing a component of the shared one would break other tests.
    // It also proves two clusters run side by side on their own ports.
    const dataDir = await mkdtemp(join(tmpdir(), 'slipway-it-status-'));
    try {
      await clusterUp({ name: 'status', dataDir, nodes: 1, timeoutMs: 60_000 });
      const before = await clusterStatus({ name: 'status', dataDir });
      expect(before.phase).toBe('running');
      const scheduler = before.components.find((c) => c.component === 'kube-scheduler');
      expect(scheduler?.pid).toBeGreaterThan(0);
      process.kill(scheduler!.pid!, 'SIGKILL');
      await waitFor(async () => (await clusterStatus({ name: 'status', dataDir })).phase === 'degraded', { what: 'status degraded' });

      const io = memoryIo();
      const code = await main(['node', 'slipway', 'cluster', 'status', '--name', 'status', '--data-dir', dataDir, '-o', 'json'], io);
      expect(code).toBe(1);
      const out = JSON.parse(io.stdout()) as { phase: string; components: { component: string; alive: boolean; healthy: boolean; detail: string }[] };
      expect(out.phase).toBe('degraded');
      expect(out.components.find((c) => c.component === 'kube-scheduler')).toMatchObject({ alive: false, healthy: false, detail: 'process exited' });
      expect(out.components.filter((c) => c.alive && c.healthy).map((c) => c.component)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kwok']);
      // The shared cluster is untouched.
      const shared = inject('clusterDataDir');
      if (shared !== '') {
        const st = await clusterStatus({ name: 'it', dataDir: shared });
        expect(st.components.filter((c) => !(c.alive && c.healthy)).map((c) => `${c.component}: ${c.detail}`)).toEqual([]);
        expect(st.addons.filter((a) => !(a.alive && a.healthy)).map((a) => `${a.addon}: ${a.detail} (log ${a.log})`)).toEqual([]);
      }
    } finally {
      await clusterDown({ name: 'status', dataDir, delete: true }).catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
