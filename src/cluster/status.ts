/** `slipway cluster status`: per component, is the process alive and does it answer its health check. */
import { existsSync } from 'node:fs';
import { notFound } from '../errors/index.ts';
import { COMPONENTS, contextName, type Component } from './layout.ts';
import { componentHealth, healthUrl } from './health.ts';
import { isAlive, readPid } from './process.ts';
import { readState } from './state.ts';
import { addonStatuses, type AddonStatus } from './addons.ts';
import { targetLayout, type ClusterTarget } from './target.ts';
import { LOCALHOST } from './flags.ts';

/** @public: part of the folder API (re-exported by index.ts). */
export interface ComponentStatus {
  readonly component: Component;
  readonly pid: number | null;
  readonly alive: boolean;
  readonly healthy: boolean;
  readonly healthUrl: string;
  /** `ok`, `not started`, `process exited`, or the failed probe's reason. */
  readonly detail: string;
  readonly log: string;
}

export interface ClusterStatus {
  readonly name: string;
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly context: string;
  readonly server: string;
  /** `running`: all components alive and healthy; `stopped`: none alive; `degraded`: anything else. */
  readonly phase: 'running' | 'stopped' | 'degraded';
  readonly components: readonly ComponentStatus[];
  /** Processes besides the control plane (metrics simulator, Prometheus, slipway controller). */
  readonly addons: readonly AddonStatus[];
  /** The cluster's Prometheus (base URL of its HTTP API), when `up` started one. */
  readonly prometheusUrl?: string;
}

export async function clusterStatus(opts: ClusterTarget): Promise<ClusterStatus> {
  const layout = targetLayout(opts);
  const state = existsSync(layout.dataDir) ? await readState(layout.stateFile) : undefined;
  if (!state) {
    throw notFound(`no cluster "${layout.name}" at ${layout.dataDir}`, { cause: layout.stateFile, hint: '`slipway cluster up` creates it' });
  }
  const components = await Promise.all(
    COMPONENTS.map(async (c): Promise<ComponentStatus> => {
      const pid = state.pids[c] ?? (await readPid(layout.pidFile(c)));
      const url = healthUrl(c, state.ports);
      const base = { component: c, pid: pid ?? null, healthUrl: url, log: layout.logFile(c) };
      if (pid === undefined) return { ...base, alive: false, healthy: false, detail: 'not started' };
      if (!isAlive(pid, c)) return { ...base, alive: false, healthy: false, detail: 'process exited' };
      const h = await componentHealth(c, layout, state.ports);
      return { ...base, alive: true, healthy: h.healthy, detail: h.detail };
    }),
  );
  const addons = await addonStatuses(layout, state);
  const up = components.filter((c) => c.alive && c.healthy).length;
  const anyAlive = components.some((c) => c.alive);
  return {
    name: layout.name,
    dataDir: layout.dataDir,
    kubeconfig: layout.kubeconfig,
    context: contextName(layout.name),
    server: `https://${LOCALHOST}:${state.ports.apiserver}`,
    phase: up === COMPONENTS.length && addons.every((a) => a.alive && a.healthy) ? 'running' : anyAlive ? 'degraded' : 'stopped',
    components,
    addons,
    ...(state.prometheusUrl !== undefined ? { prometheusUrl: state.prometheusUrl } : {}),
  };
}
