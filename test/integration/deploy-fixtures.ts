/** Manifests and helpers shared by the deploy integration tests. Pods pass Pod Security `restricted` (the harness default). */
import net from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/manifest/index.ts';
import { KubeClient, type RetryPolicy } from '../../src/kube/index.ts';
import { deploy, type DeployOptions, type DeployResult } from '../../src/sync/index.ts';
import type { TestNamespace } from './harness.ts';

export interface WebOptions {
  readonly name?: string;
  readonly image?: string;
  readonly replicas?: number;
  readonly podLabels?: Record<string, string>;
  readonly progressDeadlineSeconds?: number;
  readonly maxUnavailable?: number;
  readonly maxSurge?: number;
}

/** A Deployment and its Service. */
export function web(o: WebOptions = {}): KubeObject[] {
  const name = o.name ?? 'web';
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: o.replicas ?? 2,
      ...(o.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: o.maxUnavailable ?? 0, maxSurge: o.maxSurge ?? 1 } },
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...o.podLabels } },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'main',
              image: o.image ?? 'registry.example/web:1.0.0',
              ports: [{ containerPort: 8080, name: 'http' }],
              resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
            },
          ],
        },
      },
    },
  };
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
  return [deployment, service];
}

export function configMap(name: string, data: Record<string, string> = { setting: name }): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
}

export async function clientFor(ns: TestNamespace, kubeconfig = ns.kubeconfigPath, retry?: RetryPolicy): Promise<KubeClient> {
  return KubeClient.connect({ kubeconfig, ...(retry ? { retry } : {}) });
}

/** Deploys `objects` as app `shop`, env `test` into the test namespace, waiting with a short poll. */
export async function deployTo(client: KubeClient, ns: TestNamespace, objects: readonly KubeObject[], extra: Partial<DeployOptions> = {}): Promise<DeployResult> {
  return deploy({ client, app: 'shop', env: 'test', namespace: ns.name, objects: objects.map((object) => ({ object })), timeoutMs: 90_000, pollIntervalMs: 250, ...extra });
}

/** resourceVersion of every object carrying the app label, plus the inventory Secret. */
export async function resourceVersions(client: KubeClient, namespace: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [apiVersion, kind] of [['v1', 'ConfigMap'], ['v1', 'Service'], ['apps/v1', 'Deployment'], ['v1', 'Secret']] as const) {
    for (const o of await client.list({ apiVersion, kind, namespace, labelSelector: 'slipway.dev/app=shop' })) out.set(`${kind}/${o.metadata.name ?? ''}`, String(o.metadata['resourceVersion']));
  }
  return out;
}

/**
 * A TCP proxy in front of the apiserver with a kubeconfig pointing at it: `stop()` makes the
 * apiserver unreachable for the code under test (connections reset, then refused) without
 * disturbing the shared control plane; `start()` brings it back on the same port.
 */
export async function apiserverProxy(kubeconfigPath: string): Promise<{ kubeconfig: string; stop: () => Promise<void>; start: () => Promise<void>; close: () => Promise<void> }> {
  const text = readFileSync(kubeconfigPath, 'utf8');
  const m = /server:\s*https:\/\/([\d.]+):(\d+)/.exec(text);
  if (!m) throw new Error(`cannot find the server in ${kubeconfigPath}`);
  const [, host = '127.0.0.1', port = '0'] = m;
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let listenPort = 0;
  const start = async (): Promise<void> => {
    server = net.createServer((down) => {
      const up = net.connect(Number(port), host);
      for (const s of [down, up]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      down.pipe(up).pipe(down);
    });
    await new Promise<void>((resolve) => server?.listen(listenPort, '127.0.0.1', resolve));
    const a = server.address();
    listenPort = typeof a === 'object' && a ? a.port : 0;
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise((r) => s.close(r));
  };
  await start();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-proxy-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, text.replace(`https://${host}:${port}`, `https://127.0.0.1:${listenPort}`));
  return { kubeconfig, stop, start, close: stop };
}
