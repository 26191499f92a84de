/** `cluster.json`: what `up` started, so `status` and `down` work from any later shell. */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { COMPONENTS, PORT_KEYS, type ClusterPorts, type Component } from './layout.ts';
import { inputError } from '../errors/index.ts';

export interface ClusterState {
  readonly version: 1;
  readonly name: string;
  readonly dataDir: string;
  readonly binDir: string;
  readonly ports: ClusterPorts;
  /** Number of simulated nodes. */
  readonly nodes: number;
  /** Pids of running components; a component missing here was never started. */
  pids: Partial<Record<Component, number>>;
  /** ISO time of the last successful `up`. */
  startedAt?: string;
  /**
   * User kubeconfig files `up` merged our context into, so `down --delete` can remove it from each.
   * (A string in state files written before `up` merged by default.)
   */
  mergedInto?: string[];
  /** Processes started besides the control plane (metrics simulator, Prometheus, slipway controller), by name. */
  addons?: Record<string, { readonly pid: number; readonly port: number; readonly command: readonly string[] }>;
  /** Base URL of the cluster's Prometheus (`http://127.0.0.1:<port>`) while it runs; absent with `--no-prometheus` or after `down`. */
  prometheusUrl?: string;
}

export async function readState(file: string): Promise<ClusterState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw inputError(`${file} is not valid JSON`, { cause: e, hint: 'remove the cluster with `slipway cluster down --delete` and start it again' });
  }
  if (!isState(parsed)) {
    throw inputError(`${file} is not a slipway cluster state file`, { cause: parsed, hint: 'remove the cluster with `slipway cluster down --delete`' });
  }
  const merged: unknown = parsed.mergedInto;
  if (typeof merged === 'string') parsed.mergedInto = [merged];
  else if (!Array.isArray(merged) || !merged.every((f) => typeof f === 'string')) delete parsed.mergedInto;
  return parsed;
}

function isState(v: unknown): v is ClusterState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const ports = s['ports'] as Record<string, unknown> | undefined;
  const pids = s['pids'];
  return (
    s['version'] === 1 &&
    typeof s['name'] === 'string' &&
    typeof s['binDir'] === 'string' &&
    typeof ports === 'object' &&
    ports !== null &&
    PORT_KEYS.every((k) => typeof ports[k] === 'number') &&
    typeof pids === 'object' &&
    pids !== null &&
    Object.entries(pids).every(([k, p]) => (COMPONENTS as readonly string[]).includes(k) && typeof p === 'number')
  );
}

/** Written atomically (temp + rename): a crash mid-write must not lose the pids. */
export async function writeState(file: string, state: ClusterState): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}
