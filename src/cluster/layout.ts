/**
 * Where a local control plane keeps its files, and the names of its components. Pure: the
 * paths are computed here and created by the I/O modules (up/down/status).
 */
import { join } from 'node:path';
import { inputError } from '../errors/index.ts';

/** Processes `slipway cluster up` starts, in start order. */
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
export type Component = (typeof COMPONENTS)[number];

/** TCP ports of one control plane; all on 127.0.0.1 and chosen free at first `up`. */
export interface ClusterPorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
  readonly scheduler: number;
  readonly kwok: number;
}
export const PORT_KEYS = ['etcdClient', 'etcdPeer', 'apiserver', 'controllerManager', 'scheduler', 'kwok'] as const;

/** Every file a cluster's data dir holds. */
export interface ClusterLayout {
  readonly name: string;
  readonly dataDir: string;
  /** The admin kubeconfig users and tests point `KUBECONFIG` at. */
  readonly kubeconfig: string;
  /** `cluster.json`: ports, pids, binary dir; written by `up`, read by `status`/`down`. */
  readonly stateFile: string;
  readonly pkiDir: string;
  readonly etcdDataDir: string;
  readonly logsDir: string;
  readonly runDir: string;
  /** Per-component kubeconfigs (client certs with the identity RBAC expects). */
  readonly componentKubeconfig: (c: 'kube-controller-manager' | 'kube-scheduler' | 'kwok') => string;
  readonly logFile: (c: Component) => string;
  readonly pidFile: (c: Component) => string;
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

/** Cluster names end up in kubeconfig context names and paths, so keep them DNS-label-like. */
export function validateClusterName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw inputError(`invalid cluster name "${name}"`, {
      cause: name,
      expected: 'lowercase letters, digits and "-", 1-40 characters, starting and ending with a letter or digit',
      hint: 'e.g. --name dev',
    });
  }
  return name;
}

export interface DataDirInput {
  readonly name: string;
  /** `--data-dir`, wins over everything. */
  readonly dataDir?: string | undefined;
  /** `SLIPWAY_HOME` (default `~/.slipway`). */
  readonly slipwayHome?: string | undefined;
  readonly homeDir: string;
}

/** `--data-dir`, else `$SLIPWAY_HOME/clusters/<name>`, else `~/.slipway/clusters/<name>`. */
export function resolveDataDir(input: DataDirInput): string {
  if (input.dataDir !== undefined && input.dataDir !== '') return input.dataDir;
  const home = input.slipwayHome !== undefined && input.slipwayHome !== '' ? input.slipwayHome : join(input.homeDir, '.slipway');
  return join(home, 'clusters', input.name);
}

export function clusterLayout(name: string, dataDir: string): ClusterLayout {
  const logsDir = join(dataDir, 'logs');
  const runDir = join(dataDir, 'run');
  return {
    name,
    dataDir,
    kubeconfig: join(dataDir, 'kubeconfig'),
    stateFile: join(dataDir, 'cluster.json'),
    pkiDir: join(dataDir, 'pki'),
    etcdDataDir: join(dataDir, 'etcd'),
    logsDir,
    runDir,
    componentKubeconfig: (c) => join(dataDir, `${c}.kubeconfig`),
    logFile: (c) => join(logsDir, `${c}.log`),
    pidFile: (c) => join(runDir, `${c}.pid`),
  };
}

/** kubeconfig context (and cluster/user entry) name for a cluster. */
export const contextName = (name: string): string => `slipway-${name}`;
