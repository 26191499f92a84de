/**
 * Is a kube context one of slipway's local clusters, and which Prometheus runs with it? `slipway
 * deploy` verifies rolling releases against that Prometheus when nothing else is given
 * (docs/deploy.md#verification). A context is a local cluster's when it is named
 * `slipway-<name>` and a cluster state of that name, whose apiserver port is the context's server
 * port on loopback, is found: in the directory of a kubeconfig file that was read (a cluster's
 * admin kubeconfig lives in its data dir) or in the default data dir of `<name>`.
 */
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { readState } from './state.ts';
import { resolveDataDir } from './layout.ts';

export interface KubeContextRef {
  readonly contextName: string;
  /** The context's apiserver URL. */
  readonly server: string;
  /** The kubeconfig files read (--kubeconfig, else each path of $KUBECONFIG, else ~/.kube/config). */
  readonly kubeconfigFiles: readonly string[];
}

/** The local cluster's Prometheus URL, or why it has none; undefined when the context is no local cluster. */
export type LocalPrometheus = { readonly url: string; readonly cluster: string } | { readonly none: string; readonly cluster: string } | undefined;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function localClusterPrometheus(ref: KubeContextRef, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): Promise<LocalPrometheus> {
  const m = /^slipway-([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(ref.contextName);
  if (!m?.[1]) return undefined;
  const name = m[1];
  let server: URL;
  try {
    server = new URL(ref.server);
  } catch {
    return undefined;
  }
  if (!LOOPBACK.has(server.hostname)) return undefined;
  const dirs = [...new Set([...ref.kubeconfigFiles.map((f) => dirname(f)), resolveDataDir({ name, slipwayHome: env['SLIPWAY_HOME'], homeDir: home })])];
  for (const dir of dirs) {
    const state = await readState(join(dir, 'cluster.json')).catch(() => undefined);
    if (!state || state.name !== name || String(state.ports.apiserver) !== server.port) continue;
    if (state.prometheusUrl !== undefined) return { url: state.prometheusUrl, cluster: name };
    return { none: `the local cluster ${name} runs no Prometheus (started with --no-prometheus, or stopped); pass --prometheus-url`, cluster: name };
  }
  return undefined;
}
