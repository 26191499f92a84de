/**
 * `slipway cluster up`: a local control plane (etcd, kube-apiserver, controller-manager,
 * scheduler) plus kwok simulating the nodes, as detached processes under one data dir.
 *
 * The work is a list of titled steps so the CLI can render progress (listr2 on a TTY, plain
 * lines otherwise) while the engine stays free of presentation.
 */
import { homedir } from 'node:os';
import { targetLayout, type ClusterTarget } from './target.ts';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { clusterUnavailable, conflict, inputError, type SlipwayError, isSlipwayError, internal } from '../errors/index.ts';
import { contextName, COMPONENTS, PORT_KEYS, type ClusterLayout, type ClusterPorts, type Component } from './layout.ts';
import { ensurePki, type Pki } from './certs.ts';
import { componentArgs, LOCALHOST } from './flags.ts';
import { buildKubeconfig, kubeconfigYaml, type KubeconfigDoc } from './kubeconfig.ts';
import { checkUserKubeconfig, mergeIntoUserKubeconfig, userKubeconfigPath } from './user-kubeconfig.ts';
import { resolveBinaries } from './binaries.ts';
import { allocateClusterPorts, portIsFree } from './ports.ts';
import { isAlive, startDetached } from './process.ts';
import { componentHealth } from './health.ts';
import { PORTS_OF, healthAsked, startMode, type ComponentProbe, type StartMode } from './resume.ts';
import { readState, writeState, type ClusterState } from './state.ts';
import { defaultStorageClass, kwokConfigYaml, nodeObjects } from './stages.ts';
import { ensureNode, ensureStorageClass, isNodeReady, listNodes, loadKubeConfig, serverVersion, serviceAccountExists } from './client.ts';
import { stopComponents } from './down.ts';
import { tailFile } from './logs.ts';
import { CONTROLLER_ADDON, crdsSource, ensureController, installObjects, readCrds, resolveCrdsDirs, stopAddons, type ControllerAddon } from './addons.ts';
import { ensureMetricsAddons, writeTargets, type MetricsAddons, type PrometheusAddon } from './prometheus.ts';
import type { KubeObject } from '../manifest/index.ts';

export interface UpOptions extends ClusterTarget {
  /** Folder with etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok. @default built by scripts/build-kube.sh */
  readonly binDir?: string | undefined;
  /** Simulated nodes, spread over three zones. @default 3 */
  readonly nodes?: number | undefined;
  /**
   * Also merge the context into the user's kubeconfig (`$KUBECONFIG`, else `~/.kube/config`; see
   * user-kubeconfig.ts) and make it current. The CLI turns this on unless `--no-merge-kubeconfig`;
   * the API leaves it off, so tests and scripts never touch a user's kubeconfig by accident.
   * @default false
   */
  readonly mergeKubeconfig?: boolean | undefined;
  /** Per wait (apiserver ready, nodes Ready, …). @default 120000 */
  readonly timeoutMs?: number | undefined;
  /**
   * Install the Gateway API and Istio networking CRDs (scripts/fetch-crds.sh) and `objects`.
   * @default true when `objects` or `controller` is given
   */
  readonly crds?: boolean | undefined;
  /**
   * Folders of third-party CRD YAML files to install instead of the pinned Gateway API and Istio
   * ones (`--crds-dir`). @default `SLIPWAY_CRDS_DIR` (colon-separated), else scripts/fetch-crds.sh
   */
  readonly crdsDirs?: readonly string[] | undefined;
  /** Objects to apply once the apiserver serves (slipway's CRDs and namespace); CRDs are awaited Established. */
  readonly objects?: readonly KubeObject[] | undefined;
  /** Start the slipway controller as one more component (the CLI does, unless --no-controller). */
  readonly controller?: ControllerAddon | undefined;
  /**
   * Start the workload metrics simulator and Prometheus (the CLI does, unless --no-prometheus);
   * `command` runs slipway, for the simulator. The controller then gets `--prometheus-url`.
   */
  readonly prometheus?: PrometheusAddon | undefined;
}

export interface UpResult {
  readonly name: string;
  readonly dataDir: string;
  readonly kubeconfig: string;
  readonly context: string;
  readonly server: string;
  readonly serverVersion: string;
  readonly nodes: number;
  /** True when the cluster was running already and nothing was started. */
  readonly alreadyRunning: boolean;
  /** The cluster was partly running: these components were down and were started again (the others kept). */
  readonly resumed?: readonly Component[];
  /** The user kubeconfig the context was merged into (and made current there). */
  readonly mergedInto?: string;
  /** The slipway controller, when started: its pid and /healthz URL. */
  readonly controller?: { readonly pid: number; readonly url: string };
  /** Prometheus and the workload metrics simulator, when started: pid and base URL of each. */
  readonly prometheus?: { readonly pid: number; readonly url: string };
  readonly simulator?: { readonly pid: number; readonly url: string };
}

/** @public: part of the folder API (re-exported by index.ts). */
export interface UpStep {
  readonly title: string;
  /** Resolves `'skipped'` when there was nothing to do (cluster already running). */
  run(report: (line: string) => void): Promise<'done' | 'skipped'>;
}

export interface UpPlan {
  readonly layout: ClusterLayout;
  readonly steps: readonly UpStep[];
  /** Valid after every step succeeded. */
  result(): UpResult;
}

interface Ctx {
  binDir: string;
  ports: ClusterPorts;
  pki: Pki;
  state: ClusterState;
  kc: KubeConfig;
  alreadyRunning: boolean;
  /** Resuming a partly running cluster: the components to start (the others are alive and kept). */
  resume?: ReadonlySet<Component>;
  version: string;
  mergedInto?: string;
  controller?: { pid: number; url: string };
  prometheus?: { pid: number; url: string };
  simulator?: { pid: number; url: string };
}

const binaryOf = (c: Component): string => c;


export function planUp(opts: UpOptions): UpPlan {
  const layout = targetLayout(opts);
  const env = opts.env ?? process.env;
  const nodes = opts.nodes ?? 3;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 100) {
    throw inputError(`--nodes must be an integer from 1 to 100, got ${nodes}`, { cause: nodes, expected: '1..100', hint: 'e.g. --nodes 3' });
  }
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const mergeInto = opts.mergeKubeconfig === true ? userKubeconfigPath(env, opts.homeDir ?? homedir()) : undefined;
  const ctx: Partial<Ctx> & { alreadyRunning: boolean } = { alreadyRunning: false };
  const need = <K extends keyof Ctx>(k: K): NonNullable<Ctx[K]> => {
    const v = ctx[k];
    if (v === undefined) throw internal(`cluster up: ${k} not prepared`, { cause: k });
    return v as NonNullable<Ctx[K]>;
  };

  /** Whether `c` is to be started by this run (not when running already, nor when kept alive by a resume). */
  const starts = (c: Component): boolean => !ctx.alreadyRunning && (ctx.resume === undefined || ctx.resume.has(c));
  const start = async (c: Component): Promise<void> => {
    const state = need('state');
    const args = componentArgs({ layout, ports: need('ports'), pki: need('pki'), kwokConfig: join(layout.dataDir, 'kwok.yaml') })[c];
    state.pids[c] = await startDetached({ binary: join(need('binDir'), binaryOf(c)), args, logFile: layout.logFile(c), pidFile: layout.pidFile(c), cwd: layout.dataDir });
    await writeState(layout.stateFile, state);
  };
  const healthy = (c: Component) => async (): Promise<boolean> => (await componentHealth(c, layout, need('ports'))).healthy;
  const wait = (what: string, check: () => Promise<boolean>, watch: readonly Component[]): Promise<void> =>
    waitUntil({ what, check, timeoutMs, layout, watch, pids: () => need('state').pids });

  const steps: UpStep[] = [
    {
      title: 'Resolve control plane binaries',
      run: async (report) => {
        ctx.binDir = await resolveBinaries({ binDir: opts.binDir, env, onLine: report });
        report(ctx.binDir);
        return 'done';
      },
    },
    {
      title: 'Prepare data dir, ports and certificates',
      run: async (report) => {
        // A kubeconfig the last step could not merge into is refused before anything starts.
        if (mergeInto !== undefined) await checkUserKubeconfig(mergeInto);
        const prior = await readState(layout.stateFile);
        const adopted = prior ? await adopt(layout, prior, ctx, report) : undefined;
        if (adopted) return adopted;
        await mkdir(layout.logsDir, { recursive: true });
        await mkdir(layout.runDir, { recursive: true });
        ctx.ports = await choosePorts(layout, prior);
        ctx.pki = await ensurePki(layout.pkiDir);
        ctx.state = { version: 1, name: layout.name, dataDir: layout.dataDir, binDir: need('binDir'), ports: ctx.ports, nodes, pids: {} };
        await writeState(layout.stateFile, ctx.state);
        await writeKubeconfigs(layout, ctx.pki, ctx.ports);
        report(`${layout.dataDir} (apiserver on ${LOCALHOST}:${ctx.ports.apiserver})`);
        return 'done';
      },
    },
    {
      title: 'Start etcd',
      run: async () => {
        if (!starts('etcd')) return 'skipped';
        await start('etcd');
        await wait('etcd healthy', healthy('etcd'), ['etcd']);
        return 'done';
      },
    },
    {
      title: 'Start kube-apiserver',
      run: async () => {
        if (ctx.alreadyRunning) return 'skipped';
        // Kept alive by a resume, it is waited for all the same (etcd may just have come back).
        const now = starts('kube-apiserver');
        if (now) await start('kube-apiserver');
        await wait('kube-apiserver /readyz', healthy('kube-apiserver'), ['etcd', 'kube-apiserver']);
        ctx.kc = loadKubeConfig(layout.kubeconfig);
        return now ? 'done' : 'skipped';
      },
    },
    {
      // Neither needs the nodes or kwok: start them now so their start-up overlaps the rest.
      title: 'Start kube-controller-manager and kube-scheduler',
      run: async () => {
        const both = (['kube-controller-manager', 'kube-scheduler'] as const).filter(starts);
        for (const c of both) await start(c);
        return both.length > 0 ? 'done' : 'skipped';
      },
    },
    {
      title: `Create ${nodes} simulated nodes and the default StorageClass`,
      run: async () => {
        if (ctx.alreadyRunning) return 'skipped';
        const kc = need('kc');
        await Promise.all([...nodeObjects(nodes).map((n) => ensureNode(kc, n)), ensureStorageClass(kc, defaultStorageClass())]);
        return 'done';
      },
    },
    {
      // kwok reads its Stages from this file (see kwokConfigYaml for why not from Stage objects);
      // it is rewritten at every start, so a restarted cluster gets this slipway's stages.
      title: 'Start kwok',
      run: async () => {
        if (ctx.alreadyRunning) return 'skipped';
        const now = starts('kwok');
        if (now) await writeFile(join(layout.dataDir, 'kwok.yaml'), kwokConfigYaml()).then(() => start('kwok'));
        const late = ['kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
        await Promise.all(late.map((c) => wait(`${c} healthy`, healthy(c), [c])));
        return now ? 'done' : 'skipped';
      },
    },
    {
      title: `Wait for ${nodes} nodes Ready`,
      run: async (report) => {
        if (ctx.alreadyRunning) return 'skipped';
        const kc = need('kc');
        await wait(
          `${nodes} nodes Ready`,
          async () => {
            const ready = (await listNodes(kc)).filter(isNodeReady).length;
            report(`${ready}/${nodes} Ready`);
            return ready >= nodes;
          },
          COMPONENTS,
        );
        return 'done';
      },
    },
    {
      title: 'Wait for the default ServiceAccount',
      run: async () => {
        ctx.kc ??= loadKubeConfig(layout.kubeconfig);
        const kc = need('kc');
        if (!ctx.alreadyRunning) await wait('ServiceAccount default/default', () => serviceAccountExists(kc, 'default', 'default'), ['kube-controller-manager']);
        ctx.version = await serverVersion(kc);
        const state = need('state');
        if (!ctx.alreadyRunning && ctx.resume === undefined) state.startedAt = new Date().toISOString();
        await writeState(layout.stateFile, state);
        return ctx.alreadyRunning ? 'skipped' : 'done';
      },
    },
  ];
  const installCrds = opts.crds ?? (opts.objects !== undefined || opts.controller !== undefined);
  if (installCrds) {
    steps.push(crdsStep(opts, env, layout.kubeconfig, timeoutMs));
  }
  const metrics = opts.prometheus;
  if (metrics) {
    steps.push(
      metricsStep(layout, metrics, { env, timeoutMs }, () => need('state'), (m) => {
        ctx.simulator = { pid: m.simulator.pid, url: m.simulator.url };
        ctx.prometheus = { pid: m.prometheus.pid, url: m.prometheus.url };
      }),
    );
  }
  const addon = opts.controller;
  if (addon) {
    steps.push({
      title: 'Start the slipway controller',
      run: async (report) => {
        const state = need('state');
        const c = await ensureController(layout, state, addon, timeoutMs, state.prometheusUrl);
        await writeState(layout.stateFile, state);
        if (state.prometheusUrl !== undefined) await writeTargets(layout, CONTROLLER_ADDON, c.port);
        ctx.controller = { pid: c.pid, url: `http://${LOCALHOST}:${c.port}` };
        report(`${c.started ? 'started' : 'already running'}: pid ${c.pid}, ${ctx.controller.url}/healthz`);
        return c.started ? 'done' : 'skipped';
      },
    });
  }
  // Not undone on failure: the cluster itself is up, and `up` again (idempotent) retries the merge.
  const mergeStep: UpStep | undefined =
    mergeInto === undefined
      ? undefined
      : {
          title: `Merge context ${contextName(layout.name)} into ${mergeInto}`,
          run: async (report) => {
            const state = need('state');
            // Recorded first: `down --delete` then cleans up even after a merge that failed half way.
            if (!(state.mergedInto ?? []).includes(mergeInto)) {
              state.mergedInto = [...(state.mergedInto ?? []), mergeInto];
              await writeState(layout.stateFile, state);
            }
            const changed = await mergeIntoUserKubeconfig(mergeInto, parseYaml(await readFile(layout.kubeconfig, 'utf8')) as KubeconfigDoc);
            ctx.mergedInto = mergeInto;
            report(changed ? 'merged and made current' : 'already merged and current');
            return 'done';
          },
        };

  return {
    layout,
    // A failed resume leaves the components that were alive (and what it started) as they are.
    steps: [...steps.map((s) => withCleanup(s, layout, () => (ctx.resume ? undefined : ctx.state))), ...(mergeStep ? [mergeStep] : [])],
    result: () => ({
      name: layout.name,
      dataDir: layout.dataDir,
      kubeconfig: layout.kubeconfig,
      context: contextName(layout.name),
      server: `https://${LOCALHOST}:${need('ports').apiserver}`,
      serverVersion: ctx.version ?? 'unknown',
      nodes: ctx.state?.nodes ?? nodes,
      alreadyRunning: ctx.alreadyRunning,
      ...(ctx.resume ? { resumed: [...ctx.resume] } : {}),
      ...(ctx.mergedInto !== undefined ? { mergedInto: ctx.mergedInto } : {}),
      ...(ctx.controller !== undefined ? { controller: ctx.controller } : {}),
      ...(ctx.prometheus !== undefined ? { prometheus: ctx.prometheus } : {}),
      ...(ctx.simulator !== undefined ? { simulator: ctx.simulator } : {}),
    }),
  };
}

/** Installs the third-party CRDs (see {@link resolveCrdsDirs}) and `opts.objects`, and waits until the CRDs are Established. */
function crdsStep(opts: UpOptions, env: NodeJS.ProcessEnv, kubeconfig: string, timeoutMs: number): UpStep {
  return {
    title: 'Install CRDs (Gateway API, Istio networking, slipway)',
    run: async (report) => {
      const objects: KubeObject[] = [];
      try {
        const dirs = await resolveCrdsDirs(opts.crdsDirs, env);
        objects.push(...readCrds(dirs));
        report(`${objects.length} third-party CRDs from ${dirs.join(', ')}`);
      } catch (e) {
        // Folders the user named must work; without Go to fetch the pinned ones the cluster still
        // works (routes then cannot be validated): say so, go on.
        if (crdsSource(opts.crdsDirs, env).kind === 'explicit') throw e;
        report(`skipped the Gateway API and Istio CRDs: ${e instanceof Error ? e.message : String(e)}`);
      }
      objects.push(...(opts.objects ?? []));
      await installObjects(kubeconfig, objects, timeoutMs);
      return 'done';
    },
  };
}

/** Starts the workload metrics simulator and Prometheus (see prometheus.ts); records them in the state even when one fails, so cleanup stops it. */
function metricsStep(layout: ClusterLayout, addon: PrometheusAddon, o: { readonly env: NodeJS.ProcessEnv; readonly timeoutMs: number }, state: () => ClusterState, done: (m: MetricsAddons) => void): UpStep {
  return {
    title: 'Start the workload metrics simulator and Prometheus',
    run: async (report) => {
      const s = state();
      try {
        const m = await ensureMetricsAddons(layout, s, addon, { ...o, onLine: report });
        done(m);
        report(`simulator pid ${m.simulator.pid} ${m.simulator.url}/metrics; Prometheus pid ${m.prometheus.pid} ${m.prometheus.url}`);
        return m.simulator.started || m.prometheus.started ? 'done' : 'skipped';
      } finally {
        await writeState(layout.stateFile, s);
      }
    },
  };
}

/** Runs a plan without any progress display (tests, scripts). */
export async function clusterUp(opts: UpOptions, onLine?: (step: string, line: string) => void): Promise<UpResult> {
  const plan = planUp(opts);
  for (const s of plan.steps) await s.run((l) => onLine?.(s.title, l));
  return plan.result();
}

/** A failed start must not leave half a cluster running: stop what was started, keep the logs. */
function withCleanup(step: UpStep, layout: ClusterLayout, state: () => ClusterState | undefined): UpStep {
  return {
    title: step.title,
    run: async (report) => {
      try {
        return await step.run(report);
      } catch (e) {
        const s = state();
        // SLIPWAY_KEEP_FAILED=1 leaves the processes up to debug a failed start by hand.
        if (s && (Object.keys(s.pids).length > 0 || Object.keys(s.addons ?? {}).length > 0) && process.env['SLIPWAY_KEEP_FAILED'] !== '1') {
          // The add-ons first: they are clients of the control plane (and may be what failed).
          await stopAddons(layout, s).catch(() => undefined);
          await stopComponents(layout, s).catch(() => undefined);
          s.pids = {};
          await writeState(layout.stateFile, s).catch(() => undefined);
        }
        throw e;
      }
    },
  };
}

/** Which components of a cluster with a state file are alive (its recorded pid runs its binary) and healthy, and whether the ports of the others are free. */
async function probeCluster(layout: ClusterLayout, prior: ClusterState): Promise<StartMode> {
  const isUp = (c: Component): boolean => {
    const pid = prior.pids[c];
    return pid !== undefined && isAlive(pid, binaryOf(c));
  };
  const probes = {} as Record<Component, ComponentProbe>;
  for (const c of COMPONENTS) {
    const alive = isUp(c);
    const healthy = healthAsked(c, isUp) ? (await componentHealth(c, layout, prior.ports)).healthy : undefined;
    const portsFree = alive ? undefined : (await Promise.all(PORTS_OF[c].map((k) => portIsFree(prior.ports[k])))).every(Boolean);
    probes[c] = { alive, healthy, portsFree };
  }
  return startMode(layout.name, probes, prior.pids, prior.ports);
}

/**
 * A cluster with a state file: running already (`skipped`), partly running (resumed: same ports,
 * certificates and kubeconfigs, which the live components keep serving with; only the live pids
 * kept), or not running at all (undefined: a start on the old ports). Refuses an unsafe resume.
 */
async function adopt(layout: ClusterLayout, prior: ClusterState, ctx: Partial<Ctx>, report: (line: string) => void): Promise<'done' | 'skipped' | undefined> {
  const found = await probeCluster(layout, prior);
  if (found.mode === 'running') {
    Object.assign(ctx, { alreadyRunning: true, state: prior, ports: prior.ports });
    report(`cluster "${layout.name}" is already running`);
    return 'skipped';
  }
  if (found.mode === 'fresh') return undefined;
  const state: ClusterState = { ...prior, pids: Object.fromEntries(found.alive.map((c) => [c, prior.pids[c]])) };
  await writeState(layout.stateFile, state);
  report(`cluster "${layout.name}" is partly running: keeping ${found.alive.map((c) => `${c} (pid ${prior.pids[c] ?? '?'})`).join(', ')}; resuming ${found.down.join(', ')}`);
  Object.assign(ctx, { resume: new Set(found.down), state, ports: prior.ports, pki: await ensurePki(layout.pkiDir) });
  return 'done';
}

/**
 * A stopped cluster restarts on its old ports (etcd remembers its peer URL, kubeconfigs handed
 * out keep working); a new one gets fresh free ports.
 */
async function choosePorts(layout: ClusterLayout, prior: ClusterState | undefined): Promise<ClusterPorts> {
  if (!prior || !existsSync(layout.etcdDataDir)) return allocateClusterPorts();
  const free = await Promise.all(PORT_KEYS.map((k) => portIsFree(prior.ports[k])));
  if (free.every(Boolean)) return prior.ports;
  throw conflict(`the ports of stopped cluster "${layout.name}" are in use by other processes`, {
    cause: prior.ports,
    hint: `free them, or start afresh with \`slipway cluster down --name ${layout.name} --delete\` then up`,
  });
}

async function writeKubeconfigs(layout: ClusterLayout, pki: Pki, ports: ClusterPorts): Promise<void> {
  const server = `https://${LOCALHOST}:${ports.apiserver}`;
  const caPem = await readFile(pki.caCert, 'utf8');
  const write = async (file: string, certName: string, name: string): Promise<void> => {
    const [certPem, keyPem] = await Promise.all([readFile(pki.cert(certName), 'utf8'), readFile(pki.key(certName), 'utf8')]);
    await writeFile(file, kubeconfigYaml(buildKubeconfig({ name, server, caPem, certPem, keyPem })), { mode: 0o600 });
  };
  await write(layout.kubeconfig, 'admin', contextName(layout.name));
  for (const c of ['kube-controller-manager', 'kube-scheduler', 'kwok'] as const) await write(layout.componentKubeconfig(c), c, c);
}

interface WaitInput {
  readonly what: string;
  readonly check: () => Promise<boolean>;
  readonly timeoutMs: number;
  readonly layout: ClusterLayout;
  /** Components whose death makes waiting pointless (fail fast with their log). */
  readonly watch: readonly Component[];
  readonly pids: () => Partial<Record<Component, number>>;
}

async function waitUntil(w: WaitInput): Promise<void> {
  const deadline = Date.now() + w.timeoutMs;
  let lastError: unknown;
  for (let delay = 100; ; delay = Math.min(delay * 1.5, 1000)) {
    const dead = w.watch.find((c) => {
      const pid = w.pids()[c];
      return pid !== undefined && !isAlive(pid, binaryOf(c));
    });
    if (dead !== undefined) throw await componentError(`${dead} exited while waiting for ${w.what}`, dead, w.layout, lastError);
    try {
      if (await w.check()) return;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw await componentError(`timed out after ${Math.round(w.timeoutMs / 1000)}s waiting for ${w.what}`, w.watch[w.watch.length - 1] ?? 'kube-apiserver', w.layout, lastError);
    }
    await sleep(delay);
  }
}

async function componentError(message: string, c: Component, layout: ClusterLayout, cause: unknown): Promise<SlipwayError> {
  const tail = await tailFile(layout.logFile(c), 15);
  const detail = isSlipwayError(cause) || cause instanceof Error ? `\n  last error: ${cause.message}` : '';
  return clusterUnavailable(`${message}${detail}${tail ? `\n  last lines of ${layout.logFile(c)}:\n${tail.replace(/^/gm, '    ')}` : ''}`, {
    cause,
    hint: `full logs in ${layout.logsDir}; \`slipway cluster down --name ${layout.name} --delete\` starts over from scratch`,
  });
}
