/**
 * `cluster up` on a data dir whose cluster is partly running (a component crashed, or was killed):
 * like `minikube start` on a stopped node, it brings up what is down and keeps what is alive,
 * after checking that what is alive is really this cluster's (the pid recorded in cluster.json
 * runs that component's binary, and it answers its health check) and that nothing else took the
 * ports of what is down. Where resuming is unsafe it refuses, with a typed error and a hint.
 */
import { conflict } from '../errors/index.ts';
import { COMPONENTS, type ClusterPorts, type Component } from './layout.ts';

/** What `up` found of one component. */
export interface ComponentProbe {
  /** The recorded pid runs this component's binary. */
  readonly alive: boolean;
  /** Its health check answered (asked only when it and what it depends on are alive). */
  readonly healthy?: boolean | undefined;
  /** Its ports are free (asked only when it is down). */
  readonly portsFree?: boolean | undefined;
}

export type StartMode =
  | { readonly mode: 'fresh' }
  | { readonly mode: 'running' }
  | { readonly mode: 'resume'; readonly alive: readonly Component[]; readonly down: readonly Component[] };

/** What each component needs running before its health means anything. */
const DEPENDS_ON: Readonly<Record<Component, readonly Component[]>> = {
  etcd: [],
  'kube-apiserver': ['etcd'],
  'kube-controller-manager': ['etcd', 'kube-apiserver'],
  'kube-scheduler': ['etcd', 'kube-apiserver'],
  kwok: ['etcd', 'kube-apiserver'],
};

/** The ports each component listens on. */
export const PORTS_OF: Readonly<Record<Component, readonly (keyof ClusterPorts)[]>> = {
  etcd: ['etcdClient', 'etcdPeer'],
  'kube-apiserver': ['apiserver'],
  'kube-controller-manager': ['controllerManager'],
  'kube-scheduler': ['scheduler'],
  kwok: ['kwok'],
};

/** Whether a component's health is asked: it is alive and so is everything it depends on. */
export const healthAsked = (c: Component, alive: (c: Component) => boolean): boolean => alive(c) && DEPENDS_ON[c].every(alive);

/**
 * Decides from the probes: nothing alive → a fresh start (on the old ports); everything alive and
 * healthy → already running; otherwise resume the components that are down, unless a live one is
 * unhealthy (it may be wedged, or not ours) or a port of a down one is taken.
 */
export function startMode(name: string, probes: Readonly<Record<Component, ComponentProbe>>, pids: Partial<Record<Component, number>>, ports: ClusterPorts): StartMode {
  const alive = COMPONENTS.filter((c) => probes[c].alive);
  if (alive.length === 0) return { mode: 'fresh' };
  const sick = alive.filter((c) => probes[c].healthy === false);
  if (sick.length > 0) {
    const list = sick.map((c) => `${c} (pid ${pids[c] ?? '?'})`).join(', ');
    throw conflict(`cluster "${name}" is partly running and ${list} does not answer its health check: it is not resumed`, {
      cause: pids,
      hint: `see \`slipway cluster status --name ${name}\` and its log; \`slipway cluster down --name ${name}\` then up restarts every component`,
    });
  }
  const down = COMPONENTS.filter((c) => !probes[c].alive);
  if (down.length === 0) return { mode: 'running' };
  const taken = down.filter((c) => probes[c].portsFree === false);
  if (taken.length > 0) {
    const list = taken.map((c) => `${c} (${PORTS_OF[c].map((k) => ports[k]).join(', ')})`).join(', ');
    throw conflict(`cluster "${name}" is partly running, and the ports of ${list} are in use by another process: it is not resumed`, {
      cause: ports,
      hint: `find the process (\`ss -ltnp\`) and stop it, or \`slipway cluster down --name ${name}\` then up`,
    });
  }
  return { mode: 'resume', alive, down };
}
