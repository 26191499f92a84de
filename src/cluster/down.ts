/** `slipway cluster down`: stop every process `up` started; `--delete` also removes the data dir. */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { notFound } from '../errors/index.ts';
import { COMPONENTS, contextName, type ClusterLayout, type Component } from './layout.ts';
import { readPid, removePidFile, stopProcess } from './process.ts';
import { readState, writeState, type ClusterState } from './state.ts';
import { kubeconfigYaml, removeFromKubeconfig, type KubeconfigDoc } from './kubeconfig.ts';
import { targetLayout, type ClusterTarget } from './target.ts';

export interface DownOptions extends ClusterTarget {
  /** Remove the data dir (etcd data, certs, logs) and our entry in a merged kubeconfig. @default false */
  readonly delete?: boolean | undefined;
}

export interface DownResult {
  readonly name: string;
  readonly dataDir: string;
  readonly stopped: readonly { readonly component: Component; readonly pid: number; readonly how: 'not-running' | 'terminated' | 'killed' }[];
  readonly deleted: boolean;
}

/**
 * Stops components in reverse start order (clients before the apiserver, the apiserver before
 * etcd), so none of them spends its shutdown retrying a peer that is already gone.
 */
export async function stopComponents(layout: ClusterLayout, state: ClusterState | undefined): Promise<DownResult['stopped']> {
  const out: { component: Component; pid: number; how: 'not-running' | 'terminated' | 'killed' }[] = [];
  for (const c of [...COMPONENTS].reverse()) {
    // The pid file is written before cluster.json is updated: trust whichever we have.
    const pid = state?.pids[c] ?? (await readPid(layout.pidFile(c)));
    if (pid === undefined) continue;
    out.push({ component: c, pid, how: await stopProcess({ pid, binaryName: c }) });
    await removePidFile(layout.pidFile(c));
  }
  return out;
}

export async function clusterDown(opts: DownOptions): Promise<DownResult> {
  const layout = targetLayout(opts);
  if (!existsSync(layout.dataDir)) {
    throw notFound(`no cluster "${layout.name}" (no data dir ${layout.dataDir})`, {
      cause: layout.dataDir,
      hint: 'list nothing to stop; `slipway cluster up` creates it (use --name/--data-dir for another cluster)',
    });
  }
  const state = await readState(layout.stateFile).catch(() => undefined);
  const stopped = await stopComponents(layout, state);
  if (state) {
    state.pids = {};
    if (!opts.delete) await writeState(layout.stateFile, state);
  }
  if (opts.delete) {
    if (state?.mergedInto !== undefined) await unmerge(state.mergedInto, contextName(layout.name));
    await rm(layout.dataDir, { recursive: true, force: true });
  }
  return { name: layout.name, dataDir: layout.dataDir, stopped, deleted: opts.delete === true };
}

async function unmerge(file: string, name: string): Promise<void> {
  try {
    const doc = parseYaml(await readFile(file, 'utf8')) as KubeconfigDoc;
    await writeFile(file, kubeconfigYaml(removeFromKubeconfig({ ...doc, clusters: doc.clusters ?? [], users: doc.users ?? [], contexts: doc.contexts ?? [] }, name)), { mode: 0o600 });
  } catch {
    // The user may have edited or removed it since; deleting our data must not fail on that.
  }
}
