/**
 * Helpers for GitOps tests: a real git repository on disk (served as file://), a real
 * `slipway controller run` process per test (own --instance, Lease, namespace and git cache), and
 * SlipwayApps with waits on their status.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KubeClient, type LiveObject } from '../../src/kube/index.ts';
import { API_VERSION, KIND, installManifests, type SlipwayApp, type SlipwayAppSpecT } from '../../src/gitops/index.ts';
import { INSTANCE_LABEL } from '../../src/rollout/index.ts';
import { waitFor, type TestNamespace } from './harness.ts';
import { startController, type ControllerProcess } from './rollout-harness.ts';

export class GitRepo {
  readonly dir: string;
  private readonly hidden: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'slipway-gitops-repo-'));
    this.hidden = `${this.dir}.away`;
    this.git('init', '-q', '-b', 'main');
  }

  get url(): string {
    return `file://${this.dir}`;
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.dir, '-c', 'user.email=test@example.com', '-c', 'user.name=test', ...args], { encoding: 'utf8' }).trim();
  }

  /** Writes (or, with null, deletes) files and commits them; returns the commit. */
  commit(files: Record<string, string | null>, message = 'change'): string {
    for (const [path, text] of Object.entries(files)) {
      const p = join(this.dir, path);
      if (text === null) rmSync(p, { force: true });
      else {
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, text);
      }
    }
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /** The repository becomes unreachable (as a server that is down), and comes back. */
  takeAway(): void {
    renameSync(this.dir, this.hidden);
  }
  bringBack(): void {
    renameSync(this.hidden, this.dir);
  }
}

/** The CRDs (idempotent). */
export async function ensureGitopsCrds(kubeconfig: string): Promise<void> {
  const c = await KubeClient.connect({ kubeconfig });
  for (const o of installManifests({ image: 'unused', crdsOnly: true })) await c.apply(o, { force: true });
  await waitFor(async () => {
    c.mapper.invalidate();
    return (await c.resourceFor(API_VERSION, KIND).then(() => true, () => false)) || undefined;
  }, { what: 'the SlipwayApp CRD to be served', timeoutMs: 30_000 });
  c.close();
}

/** A controller process for `ns`, acting on apps labelled with `instance`, with its own git cache. */
export function startGitops(ns: TestNamespace, instance: string, args: readonly string[] = []): ControllerProcess {
  const cache = mkdtempSync(join(tmpdir(), 'slipway-gitops-cache-'));
  return startController({ ns, instance, args: ['--gitops-cache-dir', cache, ...args] });
}

/** A SlipwayApp of the test's instance (no cascade finalizer: the namespace is deleted after the test, with or without a controller). */
export function app(ns: TestNamespace, name: string, instance: string, spec: SlipwayAppSpecT): SlipwayApp {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns.name, labels: { [INSTANCE_LABEL]: instance } }, spec };
}

export async function getApp(c: KubeClient, ns: TestNamespace, name: string): Promise<SlipwayApp> {
  const a = await c.get({ apiVersion: API_VERSION, kind: KIND, namespace: ns.name, name });
  if (!a) throw new Error(`SlipwayApp ${ns.name}/${name} not found`);
  return a as SlipwayApp;
}

/** Waits until the app's status satisfies `cond`; returns the app. The message on timeout shows its status. */
export async function waitApp(c: KubeClient, ns: TestNamespace, name: string, what: string, cond: (a: SlipwayApp) => boolean): Promise<SlipwayApp> {
  const timeoutMs = 90_000;
  let last: SlipwayApp | undefined;
  try {
    return await waitFor(async () => {
      last = await getApp(c, ns, name);
      return cond(last) ? last : undefined;
    }, { what, timeoutMs, intervalMs: 100 });
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}`, { cause: e });
  }
}

export const synced = (sha: string) => (a: SlipwayApp): boolean => a.status?.sync?.status === 'Synced' && a.status.revision === sha && a.status.health?.status === 'Healthy';

/** A slipway.yaml of one service (a Deployment with its Service) and a ConfigMap per name in `configMaps`. */
export function spec(ns: TestNamespace, o: { image: string; replicas?: number; configMaps?: readonly string[]; podLabels?: Record<string, string>; extra?: string } = { image: 'registry.example/web:1.0.0' }): string {
  const labels = o.podLabels ? `\n    labels: { ${Object.entries(o.podLabels).map(([k, v]) => `"${k}": "${v}"`).join(', ')} }` : '';
  const cms = (o.configMaps ?? []).map((n) => `  ${n}:\n    data: { owner: ${n} }`).join('\n');
  return `app: shop
namespace: ${ns.name}
services:
  web:
    image: ${o.image}
    replicas: ${o.replicas ?? 2}
    ports:
      - { name: http, port: 8080 }${labels}
${cms ? `configMaps:\n${cms}\n` : ''}${o.extra ?? ''}`;
}

export async function deploymentOf(c: KubeClient, ns: TestNamespace, name = 'web'): Promise<LiveObject | undefined> {
  return c.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name });
}

export const replicasOf = (d: LiveObject | undefined): number | undefined => (d?.['spec'] as { replicas?: number } | undefined)?.replicas;
export const imageOf = (d: LiveObject | undefined): string | undefined => (d?.['spec'] as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)?.template?.spec?.containers?.[0]?.image;

/** `kubectl` against the test cluster (a person's change: its own field manager). */
export function kubectl(ns: TestNamespace, ...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', ns.kubeconfigPath, '-n', ns.name, ...args], { encoding: 'utf8' });
}

/** Plain manifests: a restricted Deployment `name`, and a ConfigMap per name in `configMaps`. */
export function deploymentYaml(name: string, o: { image: string; replicas?: number; configMaps?: readonly string[] }): string {
  const cms = (o.configMaps ?? []).map((n) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${n} }\ndata: { owner: ${n} }\n`).join('');
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${o.replicas ?? 2}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: main
          image: ${o.image}
          resources: { requests: { cpu: 10m, memory: 16Mi }, limits: { memory: 32Mi } }
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
${cms}`;
}
