/**
 * What the local cluster runs besides the control plane:
 *  - third-party CRDs (Gateway API standard channel, Istio networking), fetched from pinned Go
 *    modules by scripts/fetch-crds.sh, so routes are validated by the real apiserver;
 *  - objects the caller passes (slipway's own CRDs and namespace);
 *  - the slipway controller, as one more detached process with a pid file, a log and /healthz.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { clusterUnavailable, inputError, internal } from '../errors/index.ts';
import { KubeClient } from '../kube/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import { runScript } from './binaries.ts';
import { LOCALHOST } from './flags.ts';
import { httpGet } from './health.ts';
import type { ClusterLayout } from './layout.ts';
import { freePort, portIsFree } from './ports.ts';
import { tailFile } from './logs.ts';
import { isAlive, readPid, removePidFile, startDetached, stopProcess } from './process.ts';
import type { ClusterState } from './state.ts';

export const CRDS_SCRIPT = fileURLToPath(new URL('../../scripts/fetch-crds.sh', import.meta.url));
export const CONTROLLER_ADDON = 'slipway-controller' as const;

/** Istio CRDs kept: the networking kinds a canary routes through (the module ships every Istio CRD). */
const ISTIO_KINDS = new Set(['VirtualService', 'DestinationRule']);

/** How to run `slipway` (argv prefix), e.g. [node, --disable-warning=ExperimentalWarning, --, bin/slipway.js]. */
export interface ControllerAddon {
  readonly command: readonly string[];
}

/** Where the CRD folders come from: `--crds-dir`, else `SLIPWAY_CRDS_DIR` (colon-separated), else the script. */
export type CrdsSource = { readonly kind: 'explicit'; readonly dirs: string[] } | { readonly kind: 'script' };

/** Pure: the folders the caller named (`--crds-dir`, else `SLIPWAY_CRDS_DIR` split on `:`), or "ask the script". */
export function crdsSource(crdsDirs: readonly string[] | undefined, env: NodeJS.ProcessEnv): CrdsSource {
  const named = (crdsDirs ?? []).filter((d) => d !== '');
  if (named.length > 0) return { kind: 'explicit', dirs: named };
  const fromEnv = (env['SLIPWAY_CRDS_DIR'] ?? '').split(':').filter((d) => d !== '');
  if (fromEnv.length > 0) return { kind: 'explicit', dirs: fromEnv };
  return { kind: 'script' };
}

/**
 * The CRD folders: the named ones, else every line scripts/fetch-crds.sh prints (one folder per
 * pinned module@version, cached after the first run). Only the pinned versions' folders are
 * returned, never the cache root: a cache that still holds an older version must not install it.
 */
export async function resolveCrdsDirs(crdsDirs: readonly string[] | undefined, env: NodeJS.ProcessEnv): Promise<string[]> {
  const src = crdsSource(crdsDirs, env);
  if (src.kind === 'explicit') return src.dirs;
  const { code, stdout, stderr } = await runScript(CRDS_SCRIPT, { env }).catch((e: unknown) => ({ code: 127, stdout: '', stderr: e instanceof Error ? e.message : String(e) }));
  const dirs = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (code !== 0 || dirs.length === 0) throw internal(`fetching the Gateway API and Istio CRDs failed (exit ${code})`, { cause: stderr, hint: `run ${CRDS_SCRIPT} to see why` });
  return dirs;
}

/** Pure: the CustomResourceDefinitions among `docs`, Istio's narrowed to {@link ISTIO_KINDS}. */
export function selectCrds(docs: readonly unknown[]): KubeObject[] {
  return docs.filter((d): d is KubeObject => {
    const o = d as KubeObject | null;
    if (o?.kind !== 'CustomResourceDefinition') return false;
    const spec = o['spec'] as { group?: string; names?: { kind?: string } } | undefined;
    const group = spec?.group ?? '';
    return !(group === 'istio.io' || group.endsWith('.istio.io')) || ISTIO_KINDS.has(spec?.names?.kind ?? '');
  });
}

/** Every CRD in the `*.yaml` files directly inside `dirs` (see {@link selectCrds}). */
export function readCrds(dirs: readonly string[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
    } catch (e) {
      throw inputError(`CRD folder ${dir} cannot be read`, { cause: e, expected: 'a folder of CustomResourceDefinition YAML files', hint: 'check --crds-dir / SLIPWAY_CRDS_DIR, or unset them to use scripts/fetch-crds.sh' });
    }
    for (const f of files) out.push(...selectCrds(parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as unknown)));
  }
  return out;
}

/** Applies `objects` (server-side, force) and waits until every CRD among them is Established. */
export async function installObjects(kubeconfig: string, objects: readonly KubeObject[], timeoutMs: number): Promise<void> {
  const client = await KubeClient.connect({ kubeconfig });
  try {
    for (const o of objects) await client.apply(o, { force: true });
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name ?? '');
    const deadline = Date.now() + timeoutMs;
    for (const name of crds) {
      for (;;) {
        const live = await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
        const conds = ((live?.['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []);
        if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
        if (Date.now() > deadline) throw internal(`CRD ${name} not Established after ${timeoutMs / 1000}s`, { cause: live });
        await sleep(100);
      }
    }
  } finally {
    client.close();
  }
}

/** Add-on processes, in start order (`down` stops them in reverse, before the control plane). */
export const SIMULATOR_ADDON = 'metrics-simulator' as const;
export const PROMETHEUS_ADDON = 'prometheus' as const;
const ADDONS = [SIMULATOR_ADDON, PROMETHEUS_ADDON, CONTROLLER_ADDON] as const;
export type AddonName = (typeof ADDONS)[number];

/** Where each add-on answers "ready" on its port. */
const HEALTH_PATH: Record<AddonName, string> = { [SIMULATOR_ADDON]: '/healthz', [PROMETHEUS_ADDON]: '/-/ready', [CONTROLLER_ADDON]: '/healthz' };

const addonFiles = (layout: ClusterLayout, name: AddonName): { log: string; pid: string } => ({ log: join(layout.logsDir, `${name}.log`), pid: join(layout.runDir, `${name}.pid`) });
const addonHealthUrl = (name: AddonName, port: number): string => `http://${LOCALHOST}:${port}${HEALTH_PATH[name]}`;

/** The add-on recorded in the state, if its process still runs. */
export function runningAddon(state: ClusterState, name: AddonName): { pid: number; port: number } | undefined {
  const prior = state.addons?.[name];
  return prior && isAlive(prior.pid, basename(prior.command[0] ?? 'node')) ? { pid: prior.pid, port: prior.port } : undefined;
}

/** A port for an add-on: the one it had before when still free (URLs handed out keep working), else a fresh one. */
export async function addonPort(state: ClusterState, name: AddonName): Promise<number> {
  const prior = state.addons?.[name]?.port;
  return prior !== undefined && (await portIsFree(prior)) ? prior : freePort();
}

export interface AddonStart {
  readonly name: AddonName;
  /** Full argv: the binary, then its arguments. */
  readonly argv: readonly string[];
  readonly port: number;
  /** For messages: "the slipway controller". */
  readonly what: string;
  /** How to start the cluster without it. */
  readonly hint: string;
}

/** Starts an add-on detached, records it in the state, and resolves once its health URL answers 200. */
export async function startAddon(layout: ClusterLayout, state: ClusterState, a: AddonStart, timeoutMs: number): Promise<{ pid: number; port: number; started: true }> {
  const [binary, ...args] = a.argv;
  if (binary === undefined) throw internal(`no command to run ${a.what}`, { cause: a });
  const files = addonFiles(layout, a.name);
  const pid = await startDetached({ binary, args, logFile: files.log, pidFile: files.pid, cwd: layout.dataDir });
  state.addons = { ...state.addons, [a.name]: { pid, port: a.port, command: [...a.argv] } };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await addonHealth(a.name, a.port)).healthy) return { pid, port: a.port, started: true };
    const exited = !isAlive(pid, basename(binary));
    if (exited || Date.now() > deadline) {
      const why = exited ? 'exited' : `did not answer ${HEALTH_PATH[a.name]} within ${Math.round(timeoutMs / 1000)}s`;
      const tail = await tailFile(files.log, 15);
      throw clusterUnavailable(`${a.what} ${why}${tail ? `\n  last lines of ${files.log}:\n${tail.replace(/^/gm, '    ')}` : ''}`, {
        cause: pid,
        hint: `its log: ${files.log}; ${a.hint}`,
      });
    }
    await sleep(200);
  }
}

/**
 * Pure: the controller add-on's command line. With Prometheus on the cluster, the controller gets
 * its URL (`--prometheus-url`, the flag of `slipway controller run`).
 */
export function controllerArgv(addon: ControllerAddon, layout: ClusterLayout, port: number, prometheusUrl?: string): string[] {
  return [...addon.command, 'controller', 'run', '--kubeconfig', layout.kubeconfig, '--metrics-addr', `${LOCALHOST}:${port}`, '--lease-namespace', 'slipway-system', '--gitops-cache-dir', join(layout.dataDir, 'gitops'), '--id', `cluster-${layout.name}`, ...(prometheusUrl !== undefined ? ['--prometheus-url', prometheusUrl] : [])];
}

/** Starts the controller unless it runs already; records it in the state. Resolves once /healthz answers. */
export async function ensureController(layout: ClusterLayout, state: ClusterState, addon: ControllerAddon, timeoutMs: number, prometheusUrl?: string): Promise<{ pid: number; port: number; started: boolean }> {
  const prior = runningAddon(state, CONTROLLER_ADDON);
  if (prior) return { ...prior, started: false };
  const port = await freePort();
  return startAddon(layout, state, { name: CONTROLLER_ADDON, argv: controllerArgv(addon, layout, port, prometheusUrl), port, what: 'the slipway controller', hint: '`slipway cluster up --no-controller` starts the cluster without it' }, timeoutMs);
}

async function addonHealth(name: AddonName, port: number): Promise<{ healthy: boolean; detail: string }> {
  try {
    const r = await httpGet({ url: addonHealthUrl(name, port) });
    return r.status === 200 ? { healthy: true, detail: 'ok' } : { healthy: false, detail: `HTTP ${r.status}` };
  } catch (e) {
    return { healthy: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

export interface AddonStatus {
  readonly addon: string;
  readonly pid: number | null;
  readonly alive: boolean;
  readonly healthy: boolean;
  readonly healthUrl: string;
  readonly detail: string;
  readonly log: string;
}

export async function addonStatuses(layout: ClusterLayout, state: ClusterState): Promise<AddonStatus[]> {
  const out: AddonStatus[] = [];
  for (const name of ADDONS) {
    const a = state.addons?.[name];
    if (!a) continue;
    const base = { addon: name, pid: a.pid, healthUrl: addonHealthUrl(name, a.port), log: addonFiles(layout, name).log };
    if (!isAlive(a.pid, basename(a.command[0] ?? 'node'))) {
      out.push({ ...base, alive: false, healthy: false, detail: 'process exited' });
      continue;
    }
    const h = await addonHealth(name, a.port);
    out.push({ ...base, alive: true, healthy: h.healthy, detail: h.detail });
  }
  return out;
}

/** Stops the add-on processes, last started first (before the control plane: they are its clients). */
export async function stopAddons(layout: ClusterLayout, state: ClusterState | undefined): Promise<{ component: AddonName; pid: number; how: 'not-running' | 'terminated' | 'killed' }[]> {
  const out: { component: AddonName; pid: number; how: 'not-running' | 'terminated' | 'killed' }[] = [];
  for (const name of [...ADDONS].reverse()) {
    const files = addonFiles(layout, name);
    const a = state?.addons?.[name];
    // The pid file is written before cluster.json: trust whichever we have.
    const pid = a?.pid ?? (await readPid(files.pid));
    if (pid === undefined) continue;
    const binaryName = basename(a?.command[0] ?? (name === PROMETHEUS_ADDON ? 'prometheus' : 'node'));
    out.push({ component: name, pid, how: await stopProcess({ pid, binaryName }) });
    await removePidFile(files.pid);
    if (state?.addons) state.addons = Object.fromEntries(Object.entries(state.addons).filter(([k]) => k !== name));
    if (state && name === PROMETHEUS_ADDON) delete state.prometheusUrl;
  }
  return out;
}
