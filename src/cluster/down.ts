/** `slipway cluster down`: stop every process `up` started; `--delete` also removes the data dir. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { notFound } from '../errors/index.ts';
import { COMPONENTS, contextName, type ClusterLayout, type Component } from './layout.ts';
import { stopAddons, type AddonName } from './addons.ts';
import { readPid, removePidFile, stopProcess } from './process.ts';
import { readState, writeState, type ClusterState } from './state.ts';
import { removeFromUserKubeconfig } from './user-kubeconfig.ts';
import { targetLayout, type ClusterTarget } from './target.ts';

export interface DownOptions extends ClusterTarget {
  /** Remove the data dir (etcd data, certs, logs) and our entries in the user kubeconfigs `up` merged into. @default false */
  readonly delete?: boolean | undefined;
}

export interface DownResult {
  readonly name: string;
  readonly dataDir: string;
  readonly stopped: readonly { readonly component: Component | AddonName; readonly pid: number; readonly how: 'not-running' | 'terminated' | 'killed' }[];
  readonly deleted: boolean;
  /** User kubeconfigs our context, cluster and user were removed from (`--delete`). */
  readonly unmergedFrom: readonly string[];
  /** What could not be cleaned up (a user kubeconfig that is no longer readable, say); the delete itself went on. */
  readonly warnings: readonly string[];
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
  const stopped = [...(await stopAddons(layout, state)), ...(await stopComponents(layout, state))];
  if (state) {
    state.pids = {};
    if (!opts.delete) await writeState(layout.stateFile, state);
  }
  const unmergedFrom: string[] = [];
  const warnings: string[] = [];
  if (opts.delete) {
    // Its certificates go with the data dir: entries left behind would point kubectl at nothing.
    for (const file of state?.mergedInto ?? []) {
      try {
        if (await removeFromUserKubeconfig(file, contextName(layout.name))) unmergedFrom.push(file);
      } catch (e) {
        // The user may have edited it since; deleting our data must not fail on that.
        warnings.push(`${contextName(layout.name)} was left in ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await rm(layout.dataDir, { recursive: true, force: true });
  }
  return { name: layout.name, dataDir: layout.dataDir, stopped, deleted: opts.delete === true, unmergedFrom, warnings };
}
