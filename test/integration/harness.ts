/**
 * Helpers for integration tests against the run's local control plane (started by setup.ts).
 *
 *   const ns = useNamespace('deploy');          // in a describe: own namespace per test file
 *   it('…', async () => { await ns().core.listNamespacedPod({ namespace: ns().name }) });
 *
 * Every namespace is PSS-restricted (enforce) unless asked otherwise, like a hardened real
 * cluster, and is deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, inject } from 'vitest';
import { AppsV1Api, CoreV1Api, KubeConfig, V1Namespace, V1Pod } from '@kubernetes/client-node';
import { clusterStatus } from '../../src/cluster/index.ts';

/** The run's admin kubeconfig path. */
export function testKubeconfigPath(): string {
  const fromEnv = process.env['SLIPWAY_TEST_KUBECONFIG'];
  const injected = inject('kubeconfig');
  const path = injected !== '' ? injected : fromEnv;
  if (path === undefined || path === '') throw new Error('no test cluster: run via `vitest run --project integration` (globalSetup starts one)');
  return path;
}

/** A KubeConfig for the run's cluster (current context: its admin). */
export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testKubeconfigPath());
  return kc;
}

/** Pod Security Standard level enforced on a test namespace. @see https://kubernetes.io/docs/concepts/security/pod-security-standards/ */
type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

export interface TestNamespace {
  readonly name: string;
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  /** The kubeconfig file path, for code under test that takes one (e.g. `--kubeconfig`). */
  readonly kubeconfigPath: string;
}

export interface NamespaceOptions {
  /** @default 'restricted' */
  readonly podSecurity?: PodSecurityLevel;
  readonly labels?: Record<string, string>;
}

/** Creates a uniquely named namespace `<prefix>-<random>`; returns it with clients. */
async function createTestNamespace(prefix: string, opts: NamespaceOptions = {}): Promise<TestNamespace> {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-${randomBytes(3).toString('hex')}`;
  const level = opts.podSecurity ?? 'restricted';
  const labels = {
    'slipway.dev/test': 'true',
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    ...opts.labels,
  };
  // client-node's typed calls want its model classes; a plain manifest has the same shape.
  await core.createNamespace({ body: Object.assign(new V1Namespace(), { metadata: { name, labels } }) });
  return { name, kc, core, apps: kc.makeApiClient(AppsV1Api), kubeconfigPath: testKubeconfigPath() };
}

/** Deletes a test namespace (background: the next test does not wait for pods to go). */
async function deleteTestNamespace(ns: TestNamespace): Promise<void> {
  await ns.core.deleteNamespace({ name: ns.name }).catch((e: unknown) => {
    if ((e as { code?: number }).code !== 404) throw e;
  });
}

/**
 * Runs `f` with a namespace of its own, deleted afterwards even when `f` fails: for tests that run
 * concurrently (`it.concurrent`), where describe-level hooks would share one namespace.
 */
export async function withNamespace<T>(prefix: string, f: (ns: TestNamespace) => Promise<T>, opts: NamespaceOptions = {}): Promise<T> {
  const ns = await createTestNamespace(prefix, opts);
  try {
    return await f(ns);
  } finally {
    await deleteTestNamespace(ns);
  }
}

/**
 * Registers beforeAll/afterAll hooks for one namespace per describe block; call the returned
 * function inside tests to get it.
 */
export function useNamespace(prefix: string, opts: NamespaceOptions = {}): () => TestNamespace {
  let ns: TestNamespace | undefined;
  beforeAll(async () => {
    ns = await createTestNamespace(prefix, opts);
  });
  afterAll(async () => {
    if (ns) await deleteTestNamespace(ns);
  });
  return () => {
    if (!ns) throw new Error('useNamespace(): namespace not created yet (use it inside a test)');
    return ns;
  };
}

export interface WaitOptions {
  /** What is awaited, for the failure message. */
  readonly what: string;
  /** @default 60000 */
  readonly timeoutMs?: number;
  /** @default 250 */
  readonly intervalMs?: number;
}

/**
 * Polls until `f` returns a value other than undefined/false, and returns it. A condition
 * wait, not a timing assertion: the timeout only bounds a hung test.
 */
export async function waitFor<T>(f: () => Promise<T | undefined | false>, o: WaitOptions): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${o.what}${last instanceof Error ? `: ${last.message}` : ''}`, { cause: last });
    }
    await sleep(o.intervalMs ?? 250);
  }
}

/** A plain Pod manifest (what tests build and tweak before creating it). */
export interface PodManifest {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    securityContext: Record<string, unknown>;
    containers: { name: string; image: string; securityContext: Record<string, unknown> }[];
  };
}

/**
 * A pod that passes the `restricted` Pod Security Standard (the default for test
 * namespaces). kwok runs no containers, so the image is never pulled.
 */
export function restrictedPod(name: string, labels: Record<string, string> = {}): PodManifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name, ...labels } },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'main',
          image: 'registry.k8s.io/pause:3.10',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

export function createPod(ns: TestNamespace, pod: PodManifest): Promise<V1Pod> {
  return ns.core.createNamespacedPod({ namespace: ns.name, body: Object.assign(new V1Pod(), pod) });
}

export const isPodReady = (p: V1Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** A kubeconfig for `ns`'s cluster that authenticates with `user` (a kubeconfig user block: token, exec…), context namespace `ns`. */
export function kubeconfigWithUser(ns: TestNamespace, user: Record<string, unknown>): string {
  const admin = ns.kc.getCurrentCluster();
  if (!admin) throw new Error('no cluster in the test kubeconfig');
  const caData = admin.caData ?? (admin.caFile ? readFileSync(admin.caFile).toString('base64') : undefined);
  const file = join(mkdtempSync(join(tmpdir(), 'slipway-user-')), 'kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: admin.server, ...(caData ? { 'certificate-authority-data': caData } : { 'insecure-skip-tls-verify': true }) } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'u', context: { cluster: 'c', user: 'u', namespace: ns.name } }],
      'current-context': 'u',
    }),
  );
  return file;
}

/** Name and data dir of the run's cluster (a slipway cluster's kubeconfig is in its data dir, next to cluster.json). */
export function testClusterTarget(): { name: string; dataDir: string } {
  const injected = inject('clusterDataDir');
  const dataDir = injected !== '' ? injected : dirname(testKubeconfigPath());
  const { name } = JSON.parse(readFileSync(join(dataDir, 'cluster.json'), 'utf8')) as { name: string };
  return { name, dataDir };
}

/** Base URL of the run's cluster's Prometheus, as `slipway cluster status` reports it (from the cluster's state). */
export async function testPrometheusUrl(): Promise<string> {
  const { name, dataDir } = testClusterTarget();
  const status = await clusterStatus({ name, dataDir });
  if (status.prometheusUrl === undefined) throw new Error(`cluster ${name} at ${dataDir} runs no Prometheus (started with --no-prometheus?)`);
  return status.prometheusUrl;
}

/** One instant PromQL query; the result vector as label sets and numbers. */
export async function promQuery(url: string, query: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success' || body.data?.resultType !== 'vector') throw new Error(`PromQL ${query}: ${body.error ?? JSON.stringify(body)}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}
