/**
 * Helpers for progressive-delivery tests: a real `slipway controller run` process per test
 * (its own --instance, Lease and namespace, so it never competes with another controller),
 * ServiceRollout manifests, and waits on the rollout's status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { KubeClient, type LiveObject } from '../../src/kube/index.ts';
import { API_VERSION, INSTANCE_LABEL, KIND, getRollout as fetchRollout, installManifests, type BlueGreenT, type ServiceRollout, type StepT } from '../../src/rollout/index.ts';
import { kubeconfigWithUser, waitFor, type TestNamespace } from './harness.ts';
import { main, memoryIo } from '../../src/cli/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface ControllerProcess {
  readonly pid: number;
  readonly id: string;
  readonly url: Promise<string>;
  /** Output so far (JSON log lines and the start line). */
  output(): string;
  /** Resolves with the exit code or signal once the process ended. */
  readonly exited: Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

export interface ControllerStart {
  readonly ns: TestNamespace;
  readonly instance: string;
  readonly id?: string;
  readonly env?: Record<string, string>;
  /** @default 4 */
  readonly leaseDurationSeconds?: number;
  /** @default the namespace's admin kubeconfig */
  readonly kubeconfig?: string;
  /** @default the test namespace */
  readonly leaseNamespace?: string;
  /** More flags of `slipway controller run`. */
  readonly args?: readonly string[];
}

/** Installs the CRDs (idempotent). */
export async function ensureCrds(kubeconfig: string): Promise<void> {
  const c = await KubeClient.connect({ kubeconfig });
  for (const o of installManifests({ image: 'unused', crdsOnly: true })) await c.apply(o, { force: true });
  await waitFor(async () => {
    c.mapper.invalidate();
    return (await c.resourceFor(API_VERSION, KIND).then(() => true, () => false)) || undefined;
  }, { what: 'the ServiceRollout CRD to be served', timeoutMs: 30_000 });
  c.close();
}

export function startController(o: ControllerStart): ControllerProcess {
  const id = o.id ?? `${o.instance}-${Math.random().toString(36).slice(2, 7)}`;
  const args = [
    '--disable-warning=ExperimentalWarning',
    join(ROOT, 'bin', 'slipway.js'),
    'controller', 'run',
    '--kubeconfig', o.kubeconfig ?? o.ns.kubeconfigPath,
    '-n', o.ns.name,
    '--lease-namespace', o.leaseNamespace ?? o.ns.name,
    '--instance', o.instance,
    '--id', id,
    '--metrics-addr', '127.0.0.1:0',
    '--lease-duration', String(o.leaseDurationSeconds ?? 4),
    ...(o.args ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let resolveUrl: (u: string) => void = () => undefined;
  const url = new Promise<string>((r) => (resolveUrl = r));
  const onData = (b: Buffer): void => {
    out += b.toString();
    const m = /serving (http:\/\/[^/\s]+)/.exec(out);
    if (m?.[1]) resolveUrl(m[1]);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<string>((r) => child.once('exit', (code, sig) => r(sig ?? String(code))));
  return { pid: child.pid ?? 0, id, url, output: () => out, exited, kill: (s = 'SIGTERM') => void child.kill(s) };
}

export interface RolloutOptions {
  readonly name?: string;
  readonly image: string;
  readonly replicas?: number;
  readonly steps: StepT[];
  readonly instance: string;
  readonly podLabels?: Record<string, string>;
  readonly progressDeadlineSeconds?: number;
  readonly gateway?: boolean;
  /** Blue-green instead of canary (steps are ignored): active Service `<name>`, preview `<name>-preview`. */
  readonly blueGreen?: Omit<BlueGreenT, 'activeService' | 'previewService' | 'service'>;
}

/** A ServiceRollout of a restricted-PSS pod (kwok runs no containers). */
export function rollout(ns: TestNamespace, o: RolloutOptions): ServiceRollout {
  const name = o.name ?? 'web';
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: ns.name, labels: { [INSTANCE_LABEL]: o.instance } },
    spec: {
      replicas: o.replicas ?? 4,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...o.podLabels } },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ name: 'main', image: o.image, ports: [{ containerPort: 8080 }], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
        },
      },
      strategy: o.blueGreen
        ? { blueGreen: { activeService: name, previewService: `${name}-preview`, service: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] }, progressDeadlineSeconds: o.progressDeadlineSeconds ?? 60, ...o.blueGreen } }
        : { canary: { steps: o.steps, progressDeadlineSeconds: o.progressDeadlineSeconds ?? 60, abortScaleDownDelaySeconds: 0 } },
      ...(o.gateway ? { trafficRouting: { gatewayAPI: { parentRefs: [{ name: 'public', namespace: ns.name }], port: 8080 } } } : {}),
    },
  };
}

export function getRollout(c: KubeClient, ns: TestNamespace, name = 'web'): Promise<ServiceRollout> {
  return fetchRollout(c, ns.name, name);
}

/** Waits until the rollout's status satisfies `cond`; returns it. */
export async function waitStatus(c: KubeClient, ns: TestNamespace, what: string, cond: (ro: ServiceRollout) => boolean, o: { timeoutMs?: number; name?: string } = {}): Promise<ServiceRollout> {
  const { timeoutMs = 90_000, name = 'web' } = o;
  let seen: ServiceRollout | undefined;
  try {
    return await waitFor(async () => {
      const ro = await getRollout(c, ns, name);
      seen = ro;
      return cond(ro) ? ro : undefined;
    }, { what, timeoutMs, intervalMs: 100 });
  } catch (e) {
    // A timeout says where the rollout stood, not only that it did not get there.
    if (seen === undefined) throw e;
    throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(seen.status ?? {}).slice(0, 3000)}`, { cause: e });
  }
}

export async function deployment(c: KubeClient, ns: TestNamespace, name: string): Promise<LiveObject | undefined> {
  return c.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name });
}

/**
 * Healthy simulated traffic (the `slipway.dev/simulate-metrics` annotation) with no errors, for tests
 * not about errors: a first measurement sees only ~100 requests, and under a 99% SLO a single error
 * among them (errorRate=0.001 makes one in about 10% of first windows) fails it, as it should.
 */
export const HEALTHY_TRAFFIC = 'rps=50,errorRate=0,latencyP95Ms=80';

export const imageOfDeployment = (d: LiveObject | undefined): string | undefined =>
  (d?.['spec'] as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)?.template?.spec?.containers?.[0]?.image;

/** Events the controller recorded on the rollout: `reason: message` in time order. */
export async function rolloutEvents(c: KubeClient, ns: TestNamespace, name = 'web'): Promise<string[]> {
  const evs = await c.list({ apiVersion: 'v1', kind: 'Event', namespace: ns.name, fieldSelector: `involvedObject.name=${name},involvedObject.kind=${KIND}` });
  return evs
    .sort((a, b) => String(a['firstTimestamp']).localeCompare(String(b['firstTimestamp'])))
    .map((e) => `${String(e['reason'])}: ${String(e['message'])}`);
}

/**
 * A kubeconfig that authenticates as ServiceAccount `namespace/name`, with a token from the
 * TokenRequest API (what a pod of that ServiceAccount would get).
 */
export async function serviceAccountKubeconfig(ns: TestNamespace, namespace: string, name: string): Promise<string> {
  const admin = await KubeClient.connect({ kubeconfig: ns.kubeconfigPath });
  const res = await admin.transport.request({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  admin.close();
  const token = (res.body as { status?: { token?: string } }).status?.token;
  if (!token) throw new Error(`TokenRequest answered ${res.status}`);
  return kubeconfigWithUser(ns, { token });
}

/** Runs the slipway CLI in-process against the test namespace. */
export async function cli(ns: TestNamespace, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', ...args, '--kubeconfig', ns.kubeconfigPath, '-n', ns.name], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** Runs `f` with a controller process of its own instance (with `env`, e.g. SLIPWAY_PROMETHEUS_URL); stops it (SIGTERM) afterwards. */
export async function withController<T>(ns: TestNamespace, instance: string, f: (c: KubeClient, ctl: ControllerProcess) => Promise<T>, env?: Record<string, string>): Promise<T> {
  const ctl = startController({ ns, instance, ...(env !== undefined ? { env } : {}) });
  const c = await KubeClient.connect({ kubeconfig: ns.kubeconfigPath });
  try {
    await ctl.url;
    return await f(c, ctl);
  } finally {
    c.close();
    ctl.kill('SIGTERM');
    await ctl.exited;
  }
}
