/**
 * The pod template every workload shares: Pod Security "restricted" by construction, resources,
 * env, config files, probes, graceful shutdown and spreading.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
import { createHash } from 'node:crypto';
import { parseQuantity, type KubeObject } from '../manifest/index.ts';
import type { EnvValueSpec, PortSpec, ProbeSpec, ServiceSpec } from '../appspec/index.ts';
import { configChecksum, configMapObject, type ConfigData } from './config.ts';
import {
  CHECKSUM_ANNOTATION,
  parseImageRef,
  problem,
  quantity,
  selectorLabels,
  standardLabels,
  stringValues,
  versionLabel,
  warn,
  type ImageParts,
  type RenderContext,
} from './context.ts';

/** The pod fields services, jobs and cron jobs share. */
export type PodSource = Pick<
  ServiceSpec,
  'image' | 'command' | 'args' | 'workingDir' | 'env' | 'envFrom' | 'config' | 'resources' | 'nodeSelector' | 'tolerations' | 'securityContext' | 'serviceAccount' | 'labels' | 'annotations' | 'ignoreChecks'
>;

/** Non-root ids used when the spec gives none (restricted forbids uid 0; 10001 avoids host system ids). */
const DEFAULT_ID = 10001;
const DEFAULT_REQUESTS = { cpu: '100m', memory: '128Mi' } as const;
const DEFAULT_MEMORY_LIMIT = '256Mi';
const DEFAULT_TERMINATION_GRACE = 30;
const DEFAULT_PRESTOP_SLEEP = 5;

export interface PodInput {
  readonly name: string;
  readonly component: 'service' | 'job' | 'cronjob';
  /** Dotted spec path, for problems. */
  readonly path: string;
  readonly src: PodSource;
  readonly data: ConfigData;
  /** Set for long-running services: ports, probes, graceful shutdown, spreading. */
  readonly service?: { readonly spec: ServiceSpec; readonly spread: boolean } | undefined;
}

export interface PodOutput {
  /** `spec.template` of the workload. */
  readonly template: Record<string, unknown>;
  /** The generated ConfigMap holding inline `config:` file contents, if any. */
  readonly configMap: KubeObject | undefined;
  readonly image: ImageParts;
  readonly version: string | undefined;
}

function generatedConfigName(workload: string): string {
  return `${workload}-config`;
}

export function buildPod(ctx: RenderContext, input: PodInput): PodOutput {
  const { src, name } = input;
  const image = parseImageRef(src.image);
  const version = versionLabel(image);
  const files = configFiles(ctx, input);
  let configMap: KubeObject | undefined;
  if (Object.keys(files.inline).length > 0) {
    const cmName = generatedConfigName(name);
    if (ctx.spec.configMaps?.[cmName] !== undefined) {
      problem(ctx, `${input.path}.config`, `generated ConfigMap "${cmName}" collides with configMaps.${cmName}`, { expected: `no configMaps entry named ${cmName} (slipway generates that ConfigMap for this workload's config files)`, hint: `rename configMaps.${cmName}` });
    }
    input.data.set(cmName, files.inline);
    configMap = configMapObject(ctx, cmName, files.inline, input.component);
    files.configMapNames.push(cmName);
  }
  const env = envVars(src.env, files.configMapNames);
  for (const e of src.envFrom ?? []) if ('configMap' in e) files.configMapNames.push(e.configMap);

  const container = baseContainer(ctx, input, image, env);
  const { mounts, volumes } = podVolumes(ctx, input, files);
  if (mounts.length > 0) container['volumeMounts'] = mounts;

  const podSpec: Record<string, unknown> = {
    serviceAccountName: name,
    automountServiceAccountToken: src.serviceAccount?.automountToken ?? false,
    // Service links inject one env var per Service in the namespace: noise, and a startup cost.
    enableServiceLinks: false,
    securityContext: podSecurity(src),
    containers: [container],
  };
  if (input.service) {
    const svc = input.service.spec;
    const grace = svc.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE;
    const sleep = svc.preStopSleepSeconds ?? DEFAULT_PRESTOP_SLEEP;
    if (sleep > 0) {
      // Native sleep action (GA in Kubernetes 1.34): no `sleep` binary needed in the image. The pause
      // lets endpoints and load balancers stop routing to the pod before it gets SIGTERM.
      container['lifecycle'] = { preStop: { sleep: { seconds: sleep } } };
      if (grace <= sleep) warn(ctx, `${input.path}: terminationGracePeriodSeconds (${grace}) should exceed preStopSleepSeconds (${sleep}), or the app gets no time to shut down`);
    }
    podSpec['terminationGracePeriodSeconds'] = grace;
    if (input.service.spread) Object.assign(podSpec, spreading(selectorLabels(ctx, name)));
  }
  if (src.nodeSelector) podSpec['nodeSelector'] = stringValues(src.nodeSelector);
  if (src.tolerations) podSpec['tolerations'] = src.tolerations.map((t) => ({ ...t }));
  if (volumes.length > 0) podSpec['volumes'] = volumes;

  const annotations = stringValues(src.annotations);
  const sum = configChecksum(files.configMapNames, input.data);
  if (sum !== undefined) annotations[CHECKSUM_ANNOTATION] = sum;
  const podMeta: Record<string, unknown> = { labels: standardLabels(ctx, { name, component: input.component, version, extra: src.labels }) };
  if (Object.keys(annotations).length > 0) podMeta['annotations'] = annotations;
  return { template: { metadata: podMeta, spec: podSpec }, configMap, image, version };
}

function baseContainer(ctx: RenderContext, input: PodInput, image: ImageParts, env: Record<string, unknown>[]): Record<string, unknown> {
  const { src } = input;
  const container: Record<string, unknown> = { name: input.name, image: image.ref, imagePullPolicy: image.pullPolicy };
  if (src.command) container['command'] = [...src.command];
  if (src.args) container['args'] = [...src.args];
  if (src.workingDir !== undefined) container['workingDir'] = src.workingDir;
  if (input.service?.spec.ports) container['ports'] = input.service.spec.ports.map(containerPort);
  if (env.length > 0) container['env'] = env;
  if (src.envFrom && src.envFrom.length > 0) {
    container['envFrom'] = src.envFrom.map((e) => ('configMap' in e ? { configMapRef: { name: e.configMap } } : { secretRef: { name: e.secret } }));
  }
  container['resources'] = resources(src);
  if (input.service) Object.assign(container, probes(ctx, input.path, input.service.spec));
  container['securityContext'] = containerSecurity(src);
  return container;
}

/** Volume names slipway itself uses in a pod: `tmp` (/tmp) and `config` (inline config files). */
const RESERVED_VOLUMES = ['tmp', 'config'] as const;

function podVolumes(ctx: RenderContext, input: PodInput, files: Files): { mounts: Record<string, unknown>[]; volumes: Record<string, unknown>[] } {
  const mounts: Record<string, unknown>[] = [];
  const volumes: Record<string, unknown>[] = [];
  const own = input.service?.spec.volumes ?? [];
  for (const [i, v] of own.entries()) {
    // A user volume called tmp mounted at /tmp replaces ours, which is fine; anywhere else it clashes.
    const clash = (v.name === 'tmp' && v.mountPath !== '/tmp') || (v.name === 'config' && files.volumes.some((x) => x['name'] === 'config'));
    if (clash) problem(ctx, `${input.path}.volumes[${i}].name`, `volume name "${v.name}" is used by slipway in this pod`, { expected: `a name other than ${RESERVED_VOLUMES.join(', ')}`, hint: `rename the volume, e.g. ${v.name}-data` });
  }
  if (input.src.securityContext?.readOnlyRootFilesystem !== false && !own.some((v) => v.mountPath === '/tmp')) {
    // A read-only root file system still needs somewhere to write temporary files.
    mounts.push({ name: 'tmp', mountPath: '/tmp' });
    volumes.push({ name: 'tmp', emptyDir: {} });
  }
  for (const v of own) {
    mounts.push({ name: v.name, mountPath: v.mountPath });
    // Persistent volumes come from the StatefulSet's volumeClaimTemplates, not from pod volumes.
    if (v.type === 'emptyDir') volumes.push({ name: v.name, emptyDir: v.size !== undefined ? { sizeLimit: quantity(v.size) } : {} });
  }
  return { mounts: [...mounts, ...files.mounts], volumes: [...volumes, ...files.volumes] };
}

function containerPort(p: PortSpec): Record<string, unknown> {
  return { name: p.name, containerPort: p.port, protocol: p.protocol ?? 'TCP' };
}

/** Env vars in spec order (order matters for `$(VAR)` references). Values are always strings. */
function envVars(env: Readonly<Record<string, EnvValueSpec>> | undefined, configMapNames: string[]): Record<string, unknown>[] {
  return Object.entries(env ?? {}).map(([name, v]) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { name, value: String(v) };
    if ('configMap' in v) {
      configMapNames.push(v.configMap);
      return { name, valueFrom: { configMapKeyRef: { name: v.configMap, key: v.key, ...(v.optional !== undefined ? { optional: v.optional } : {}) } } };
    }
    if ('secret' in v) {
      // A reference only: slipway never renders secret values.
      return { name, valueFrom: { secretKeyRef: { name: v.secret, key: v.key, ...(v.optional !== undefined ? { optional: v.optional } : {}) } } };
    }
    return { name, valueFrom: { fieldRef: { fieldPath: v.field } } };
  });
}

/**
 * Requests default to cpu 100m / memory 128Mi; the memory limit defaults to 256Mi, or to the
 * memory request when that is set higher (a limit below the request is rejected). No CPU limit by
 * default: CPU throttling hurts latency more than it protects neighbours.
 */
function resources(src: PodSource): Record<string, unknown> {
  const r = src.resources;
  const requests: Record<string, string> = { ...DEFAULT_REQUESTS };
  for (const [k, v] of Object.entries(r?.requests ?? {})) if (v !== undefined) requests[k] = quantity(v);
  const limits: Record<string, string> = {};
  for (const [k, v] of Object.entries(r?.limits ?? {})) if (v !== undefined) limits[k] = quantity(v);
  // A limit below a default request (limits.cpu 50m, no request) would be refused: the request
  // defaults to the limit then, as Kubernetes itself defaults a missing request.
  for (const [k, d] of [['cpu', DEFAULT_REQUESTS.cpu], ['memory', DEFAULT_REQUESTS.memory]] as const) {
    const limit = limits[k];
    if (r?.requests?.[k] === undefined && limit !== undefined && (parseQuantity(limit) ?? Infinity) < (parseQuantity(d) ?? 0)) requests[k] = limit;
  }
  if (limits['memory'] === undefined) limits['memory'] = r?.requests?.memory !== undefined ? quantity(r.requests.memory) : DEFAULT_MEMORY_LIMIT;
  return { requests, limits };
}

function podSecurity(src: PodSource): Record<string, unknown> {
  const sc = src.securityContext;
  const out: Record<string, unknown> = {
    runAsNonRoot: true,
    runAsUser: sc?.runAsUser ?? DEFAULT_ID,
    runAsGroup: sc?.runAsGroup ?? DEFAULT_ID,
    fsGroup: sc?.fsGroup ?? DEFAULT_ID,
    // Only chown volumes whose root does not already match: large volumes mount fast.
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
  // Only the safe, namespaced sysctls Pod Security allows (the schema admits no others), sorted by name.
  const sysctls = Object.entries(sc?.sysctls ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (sysctls.length > 0) out['sysctls'] = sysctls.map(([name, value]) => ({ name, value }));
  return out;
}

function containerSecurity(src: PodSource): Record<string, unknown> {
  const add = src.securityContext?.addCapabilities ?? [];
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: src.securityContext?.readOnlyRootFilesystem ?? true,
    runAsNonRoot: true,
    capabilities: add.length > 0 ? { drop: ['ALL'], add: [...new Set(add)] } : { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * Readiness defaults to the first port (HTTP GET / when it is named http, else TCP). No default
 * liveness probe: a wrong one restarts healthy pods under load.
 */
function probes(ctx: RenderContext, path: string, svc: ServiceSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ports = svc.ports ?? [];
  const readiness = svc.probes?.readiness;
  if (readiness === undefined) {
    const first = ports[0];
    if (first !== undefined) {
      out['readinessProbe'] = first.name === 'http' ? { httpGet: { path: '/', port: 'http' } } : { tcpSocket: { port: first.name } };
    }
  } else if (readiness !== false) {
    out['readinessProbe'] = probe(ctx, `${path}.probes.readiness`, readiness, ports);
  }
  const liveness = svc.probes?.liveness;
  if (liveness !== undefined && liveness !== false) out['livenessProbe'] = probe(ctx, `${path}.probes.liveness`, liveness, ports);
  if (svc.probes?.startup) out['startupProbe'] = probe(ctx, `${path}.probes.startup`, svc.probes.startup, ports);
  return out;
}

function probe(ctx: RenderContext, path: string, p: ProbeSpec, ports: readonly PortSpec[]): Record<string, unknown> {
  const handlers = [p.http, p.tcp, p.exec, p.grpc].filter((h) => h !== undefined).length;
  if (handlers !== 1) problem(ctx, path, `a probe needs exactly one of http, tcp, exec, grpc (found ${handlers})`, { expected: 'exactly one handler', hint: 'keep one of http, tcp, exec, grpc' });
  const out: Record<string, unknown> = {};
  if (p.http) out['httpGet'] = { path: p.http.path, port: portRef(ctx, `${path}.http.port`, p.http.port, ports), ...(p.http.scheme ? { scheme: p.http.scheme } : {}) };
  else if (p.tcp) out['tcpSocket'] = { port: portRef(ctx, `${path}.tcp.port`, p.tcp.port, ports) };
  else if (p.exec) out['exec'] = { command: [...p.exec.command] };
  else if (p.grpc) out['grpc'] = { port: p.grpc.port, ...(p.grpc.service !== undefined ? { service: p.grpc.service } : {}) };
  for (const k of ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold'] as const) {
    if (p[k] !== undefined) out[k] = p[k];
  }
  return out;
}

/** A named port must be one of the service's ports. */
function portRef(ctx: RenderContext, path: string, ref: string | number, ports: readonly PortSpec[]): string | number {
  if (typeof ref === 'string' && !ports.some((p) => p.name === ref)) {
    problem(ctx, path, `unknown port "${ref}"`, { expected: `a port name from ports (${ports.map((p) => p.name).join(', ') || 'none declared'}) or a number`, hint: 'name one of the ports the service declares' });
  }
  return ref;
}

/**
 * Spread replicas over zones and nodes, and prefer not to co-locate them. Both spread constraints
 * are soft (ScheduleAnyway): a hard zone constraint leaves pods Pending on nodes without a zone
 * label (single-zone and local clusters), which is worse than uneven spreading.
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
 */
function spreading(selector: Record<string, string>): Record<string, unknown> {
  const constraint = (topologyKey: string): Record<string, unknown> => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: { ...selector } },
  });
  return {
    topologySpreadConstraints: [constraint('topology.kubernetes.io/zone'), constraint('kubernetes.io/hostname')],
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...selector } } } },
        ],
      },
    },
  };
}

interface Files {
  readonly inline: Record<string, string>;
  readonly mounts: Record<string, unknown>[];
  readonly volumes: Record<string, unknown>[];
  readonly configMapNames: string[];
}

/**
 * Config files are mounted one by one with `subPath`, so a file never hides the rest of its
 * directory. subPath mounts do not see ConfigMap updates; the checksum annotation rolls the pods
 * instead.
 */
function configFiles(ctx: RenderContext, input: PodInput): Files {
  const files: Files = { inline: {}, mounts: [], volumes: [], configMapNames: [] };
  const seenVolumes = new Set<string>();
  const addVolume = (name: string, source: Record<string, unknown>): void => {
    if (seenVolumes.has(name)) return;
    seenVolumes.add(name);
    files.volumes.push({ name, ...source });
  };
  for (const [i, f] of (input.src.config ?? []).entries()) {
    const path = `${input.path}.config[${i}]`;
    const sources = [f.content, f.configMap, f.secret].filter((s) => s !== undefined).length;
    if (sources !== 1) {
      problem(ctx, path, `a config file needs exactly one of content, configMap, secret (found ${sources})`, { expected: 'exactly one source', hint: 'keep one of content, configMap, secret' });
      continue;
    }
    const base = f.path.slice(f.path.lastIndexOf('/') + 1);
    if (f.content !== undefined) {
      let key = configKey(base);
      for (let n = 2; key in files.inline; n++) key = `${configKey(base)}-${n}`;
      files.inline[key] = f.content;
      addVolume('config', { configMap: { name: generatedConfigName(input.name) } });
      files.mounts.push({ name: 'config', mountPath: f.path, subPath: key, readOnly: true });
    } else if (f.configMap !== undefined) {
      const vol = volumeName('cm', f.configMap);
      files.configMapNames.push(f.configMap);
      addVolume(vol, { configMap: { name: f.configMap } });
      files.mounts.push({ name: vol, mountPath: f.path, subPath: f.key ?? base, readOnly: true });
    } else if (f.secret !== undefined) {
      const vol = volumeName('secret', f.secret);
      // 0440: readable by the owner and fsGroup only, never world-readable.
      addVolume(vol, { secret: { secretName: f.secret, defaultMode: 0o440 } });
      files.mounts.push({ name: vol, mountPath: f.path, subPath: f.key ?? base, readOnly: true });
    }
  }
  return files;
}

/** ConfigMap keys allow `[-._a-zA-Z0-9]`. */
function configKey(base: string): string {
  const k = base.replace(/[^-._a-zA-Z0-9]/g, '_');
  return k === '' ? 'file' : k;
}

/** Volume names are DNS-1123 labels (≤ 63): long ones keep a hash suffix to stay unique. */
function volumeName(prefix: string, name: string): string {
  const full = `${prefix}-${name}`;
  if (full.length <= 63) return full;
  const h = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, 54).replace(/-+$/, '')}-${h}`;
}
