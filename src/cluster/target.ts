/** Which cluster a `slipway cluster` verb acts on: name + data dir resolution. */
import { homedir } from 'node:os';
import { clusterLayout, resolveDataDir, validateClusterName, type ClusterLayout } from './layout.ts';

/** Options shared by every `slipway cluster` verb. */
export interface ClusterTarget {
  /** Cluster name; the kubeconfig context is `slipway-<name>`. @default "default" */
  readonly name?: string | undefined;
  /** Data dir. @default `$SLIPWAY_HOME/clusters/<name>`, `SLIPWAY_HOME` defaulting to `~/.slipway` */
  readonly dataDir?: string | undefined;
  /** Environment to read `SLIPWAY_HOME`/`SLIPWAY_KUBE_BIN` from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default os.homedir() */
  readonly homeDir?: string;
}

/** Resolved name, data dir and layout of a cluster. */
export function targetLayout(t: ClusterTarget): ClusterLayout {
  const env = t.env ?? process.env;
  const name = validateClusterName(t.name ?? 'default');
  const dataDir = resolveDataDir({ name, dataDir: t.dataDir, slipwayHome: env['SLIPWAY_HOME'], homeDir: t.homeDir ?? homedir() });
  return clusterLayout(name, dataDir);
}

