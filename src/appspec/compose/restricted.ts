/**
 * Making an imported service run under Pod Security *restricted*, which slipway always renders
 * (non-root, read-only root filesystem, no capabilities): what the known-images table
 * (./images.ts) says the image needs is applied on top of what the compose file says, never over
 * it (an explicit `user:`, port, volume, probe or `x-slipway` setting wins), and each change is in
 * the report with its source.
 *
 * Also decided here, for every service (known image or not):
 * - a port below 1024 gets the namespaced sysctl net.ipv4.ip_unprivileged_port_start=0, which
 *   Pod Security allows, so a non-root server can bind it;
 * - probes: the healthcheck is the readiness probe; liveness is a cheap check (the table's, else
 *   TCP on the service's first port), never the healthcheck itself, which may call dependencies
 *   and would then restart every replica when one of them is down (lint REL005). A service
 *   without a cheap check gets no liveness probe, and the spec says why (`ignoreChecks`), so that
 *   `slipway lint` accepts slipway's deliberate choice.
 */
import type { PortSpec, ProbeSpec, ServiceSpec, VolumeSpec } from '../schema.ts';
import { isRecord } from '../../manifest/index.ts';
import { dnsName, type ImportContext } from './context.ts';
import { knownImage, type ImageProfile } from './images.ts';
import type { Path } from './load.ts';
import type { WorkloadKind } from './service.ts';

/** The sysctl that lets a non-root process bind ports below 1024 (kernel ≥ 4.11), namespaced and allowed by Pod Security. */
const UNPRIVILEGED_PORT_SYSCTL = 'net.ipv4.ip_unprivileged_port_start';
/** Volume names slipway itself uses in a pod (render/pod.ts). */
const RESERVED_VOLUMES = new Set(['tmp', 'config']);

export interface RestrictedArgs {
  readonly ctx: ImportContext;
  /** The compose service's name. */
  readonly name: string;
  readonly kind: WorkloadKind;
  /** The compose service (after extends). */
  readonly svc: Record<string, unknown>;
  /** The service's `x-slipway` (already merged into the draft): what it sets is never changed. */
  readonly xs: Record<string, unknown>;
}

type Draft = Record<string, unknown> & Partial<Pick<ServiceSpec, 'ports' | 'volumes' | 'probes' | 'securityContext' | 'env' | 'resources' | 'ignoreChecks'>>;

/** The image reference of a draft as a string (`repo:tag`), when it has one. */
function imageRef(image: unknown): string | undefined {
  if (typeof image === 'string') return image;
  if (isRecord(image) && typeof image['repository'] === 'string') {
    return `${image['repository']}${typeof image['tag'] === 'string' ? `:${image['tag']}` : ''}`;
  }
  return undefined;
}

/** The profile of the image the service runs, unless CI builds that image from the compose file's `build:`. */
function profileOf(svc: Record<string, unknown>, xs: Record<string, unknown>): ImageProfile | undefined {
  if (svc['build'] !== undefined && xs['image'] === undefined) return undefined;
  const ref = imageRef(xs['image'] ?? svc['image']);
  return ref === undefined ? undefined : knownImage(ref);
}

/** The ports the table gives a service whose compose file lists none (so that depends_on and NetworkPolicies have a port). */
export function defaultPorts(svc: Record<string, unknown>, xs: Record<string, unknown>): PortSpec[] {
  return (profileOf(svc, xs)?.ports ?? []).map((p) => ({ name: p.name, port: p.port, ...(p.protocol === 'UDP' ? { protocol: 'UDP' as const } : {}) }));
}

function waive(draft: Draft, xs: Record<string, unknown>, rule: string, reason: string): void {
  const own = isRecord(xs['ignoreChecks']) ? xs['ignoreChecks'] : {};
  if (Object.hasOwn(own, rule)) return;
  draft.ignoreChecks = { ...draft.ignoreChecks, [rule]: reason };
}

/** Applies the table and the restricted defaults to a merged draft (services and jobs); true when the service must stay a single instance. */
export function applyRestricted(a: RestrictedArgs, draft: Draft): boolean {
  const profile = profileOf(a.svc, a.xs);
  const imagePath: Path = a.svc['image'] !== undefined ? ['services', a.name, 'image'] : ['services', a.name];
  if (profile !== undefined && !profile.restricted) {
    a.ctx.note(imagePath, {
      severity: 'warning',
      message: `${profile.name} cannot run under Pod Security restricted, which slipway renders: ${profile.note ?? 'see its documentation'}`,
      hint: `${profile.hint ?? 'use an image that runs as non-root'} (${profile.sources.join(', ')})`,
    });
  }
  if (a.kind === 'service') ports(a, draft, profile, imagePath);
  if (profile?.restricted === true) {
    identity(a, draft, profile, imagePath);
    if (a.kind === 'service') {
      writablePaths(a, draft, profile, imagePath);
      dataSubdir(a, draft, profile, imagePath);
    }
    rootFilesystem(a, draft, profile, imagePath);
    resources(a, draft, profile, imagePath);
  }
  if (a.kind !== 'service') return false;
  lowPorts(a, draft);
  probes(a, draft, profile?.restricted === true ? profile : undefined);
  return singleInstance(a, draft, profile);
}

/**
 * A service whose data lives on its own volume (a StatefulSet: one PersistentVolumeClaim per
 * replica) or in a datastore image's data directory cannot simply run a second replica: that
 * would be a second, empty copy. It stays at one, and the spec says why (lint REL006).
 */
function singleInstance(a: RestrictedArgs, draft: Draft & { replicas?: number }, profile: ImageProfile | undefined): boolean {
  if ((draft.replicas ?? 1) >= 2 || draft['autoscaling'] !== undefined) return false;
  const persistent = (draft.volumes ?? []).filter((v) => v.type !== 'emptyDir');
  const datastore = profile !== undefined && profile.data.length > 0;
  let why: string;
  if (persistent.length > 0) why = `${a.name} keeps its data on a PersistentVolumeClaim per replica (${persistent.map((v) => v.mountPath).join(', ')}): a second replica would be a second, empty copy; replicate it with the database's own clustering or an operator`;
  else if (datastore) why = `${profile.name} keeps its data in the pod (${profile.data.join(', ')}): a second replica would be a second, empty copy; replicate it with the database's own clustering or an operator`;
  // An explicit single replica (a scheduler, a singleton consumer) is a decision, not a default.
  else if (draft.replicas === 1) why = `the compose file runs exactly one replica of ${a.name} (replicas: 1), kept in every environment`;
  else return false;
  waive(draft, a.xs, 'REL006', why);
  return true;
}

/**
 * The table's ports, added to the ones the compose file lists: on a compose network every port
 * the container listens on is reachable (`ports:` only publishes some to the host), so the
 * Service and the NetworkPolicies must offer them all.
 */
function ports(a: RestrictedArgs, draft: Draft, profile: ImageProfile | undefined, at: Path): void {
  if (profile === undefined || profile.ports.length === 0) return;
  const have = [...(draft.ports ?? [])];
  const added: PortSpec[] = [];
  for (const p of defaultPorts(a.svc, a.xs)) {
    if (have.some((h) => h.port === p.port && (h.protocol ?? 'TCP') === (p.protocol ?? 'TCP'))) continue;
    const name = have.some((h) => h.name === p.name) ? `${(p.protocol ?? 'TCP').toLowerCase()}-${p.port}` : p.name;
    const port: PortSpec = { ...p, name };
    have.push(port);
    added.push(port);
  }
  if (added.length === 0) return;
  draft.ports = have;
  const listed = added.map((p) => `${p.port}${p.protocol === 'UDP' ? '/udp' : ''}`).join(', ');
  a.ctx.note(at, {
    severity: 'info',
    message:
      have.length === added.length
        ? `no ports in the compose file; ${profile.name} listens on ${listed} (known-images table), so its Service and NetworkPolicies use ${added.length > 1 ? 'them' : 'it'}`
        : `${profile.name} also listens on ${listed} (known-images table), which the compose network reached without \`ports:\`: added to its Service`,
    hint: `set x-slipway: { ports: [...] } if this service listens elsewhere (${profile.sources[0] ?? ''})`,
  });
}

function identity(a: RestrictedArgs, draft: Draft, profile: ImageProfile, at: Path): void {
  if (profile.uid === undefined) return;
  const sc = { ...draft.securityContext };
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser !== profile.uid) {
      a.ctx.note(at, { severity: 'info', message: `runs as uid ${sc.runAsUser} (as the compose file says); ${profile.name} documents uid ${profile.uid}`, hint: `if it fails to start, remove user: and let slipway use uid ${profile.uid} (${profile.sources[0] ?? ''})` });
    }
    return;
  }
  sc.runAsUser = profile.uid;
  if (sc.runAsGroup === undefined && profile.gid !== undefined) sc.runAsGroup = profile.gid;
  if (sc.fsGroup === undefined && profile.fsGroup !== undefined) sc.fsGroup = profile.fsGroup;
  draft.securityContext = sc;
  a.ctx.note(at, {
    severity: 'info',
    message: `${profile.name} runs as uid ${profile.uid}${profile.gid !== undefined ? `, gid ${sc.runAsGroup ?? profile.gid}` : ''}${profile.fsGroup !== undefined ? `, its volumes group-owned by ${sc.fsGroup ?? profile.fsGroup} (fsGroup)` : ''}: what the image expects, and non-root as Pod Security restricted requires`,
    hint: `from ${profile.sources[0] ?? 'the known-images table'}; x-slipway: { securityContext: ... } overrides it`,
  });
}

/** `/var/cache/nginx` → `var-cache-nginx`, unique in the pod and never one of slipway's own names. */
function volumeName(path: string, taken: readonly VolumeSpec[]): string {
  const base = dnsName(path.replace(/^\/+/, ''), 55);
  let name = RESERVED_VOLUMES.has(base) ? `${base}-dir` : base;
  for (let n = 2; taken.some((v) => v.name === name); n++) name = `${base}-${n}`;
  return name;
}

/** `p` is `dir` or below it. */
const within = (p: string, dir: string): boolean => p === dir || p.startsWith(`${dir.replace(/\/$/, '')}/`);

function writablePaths(a: RestrictedArgs, draft: Draft, profile: ImageProfile, at: Path): void {
  const volumes = [...(draft.volumes ?? [])];
  const scratch: string[] = [];
  const data: string[] = [];
  const covered = (p: string): boolean => p === '/tmp' || volumes.some((v) => within(p, v.mountPath));
  for (const p of profile.writable) {
    if (covered(p)) continue;
    volumes.push({ name: volumeName(p, volumes), mountPath: p, type: 'emptyDir' });
    scratch.push(p);
  }
  for (const p of profile.data) {
    // A volume mounted below the data directory (postgres 18's /var/lib/postgresql/18/docker) covers it too.
    if (covered(p) || volumes.some((v) => within(v.mountPath, p))) continue;
    volumes.push({ name: volumeName(p, volumes), mountPath: p, type: 'emptyDir' });
    data.push(p);
  }
  if (scratch.length === 0 && data.length === 0) return;
  draft.volumes = volumes;
  if (scratch.length > 0) {
    a.ctx.note(at, {
      severity: 'info',
      message: `${profile.name} writes to ${scratch.join(', ')}: emptyDir volumes there, the root filesystem stays read-only`,
      hint: `from ${profile.sources[0] ?? 'the known-images table'}`,
    });
  }
  if (data.length > 0) {
    a.ctx.note(at, {
      severity: 'warning',
      message: `${profile.name} keeps its data in ${data.join(', ')} (the image's VOLUME), which the compose file mounts no named volume on: an emptyDir there, as compose's anonymous volume was, so the data is lost when the pod is replaced`,
      hint: `mount a named volume there (volumes: [name:${data[0] ?? ''}]) to keep it: the service then becomes a StatefulSet with a PersistentVolumeClaim`,
    });
  }
}

function dataSubdir(a: RestrictedArgs, draft: Draft, profile: ImageProfile, at: Path): void {
  const d = profile.dataSubdir;
  if (d === undefined) return;
  const persistent = (draft.volumes ?? []).some((v) => v.type !== 'emptyDir' && v.mountPath.replace(/\/$/, '') === d.mount);
  if (!persistent || (draft.env !== undefined && Object.hasOwn(draft.env, d.env))) return;
  const value = `${d.mount}/${d.subdir}`;
  draft.env = { ...draft.env, [d.env]: value };
  a.ctx.note(at, {
    severity: 'info',
    message: `${d.env}=${value}: a PersistentVolume's root may hold lost+found, which ${profile.name}'s initdb refuses; the data goes to a subdirectory`,
    hint: `from ${profile.sources[0] ?? 'the known-images table'} (${d.env}); set ${d.env} in the compose file to choose another`,
  });
}

function rootFilesystem(a: RestrictedArgs, draft: Draft, profile: ImageProfile, at: Path): void {
  if (profile.writableRoot === undefined || draft.securityContext?.readOnlyRootFilesystem !== undefined) return;
  draft.securityContext = { ...draft.securityContext, readOnlyRootFilesystem: false };
  waive(draft, a.xs, 'SEC020', `${profile.writableRoot}; Pod Security restricted does not require a read-only root filesystem`);
  a.ctx.note(at, { severity: 'info', message: `read-only root filesystem off: ${profile.writableRoot}`, hint: 'the spec waives lint SEC020 for it (ignoreChecks), with this reason' });
}

function resources(a: RestrictedArgs, draft: Draft, profile: ImageProfile, at: Path): void {
  const want = profile.resources;
  if (want === undefined) return;
  const r = draft.resources;
  if (r?.requests?.memory !== undefined || r?.limits?.memory !== undefined) return;
  draft.resources = {
    ...r,
    requests: { ...r?.requests, ...want.requests },
    limits: { ...r?.limits, ...want.limits },
  };
  a.ctx.note(at, {
    severity: 'info',
    message: `memory ${String(want.requests?.memory ?? '')} requested, ${String(want.limits?.memory ?? '')} limit: ${profile.name} does not start in slipway's default 256Mi`,
    hint: `from ${profile.sources[0] ?? 'the known-images table'}; set deploy.resources in the compose file to choose`,
  });
}

function lowPorts(a: RestrictedArgs, draft: Draft): void {
  const low = (draft.ports ?? []).filter((p) => p.port < 1024);
  const first = low[0];
  if (first === undefined) return;
  const sc = draft.securityContext;
  if (sc?.sysctls !== undefined && Object.hasOwn(sc.sysctls, UNPRIVILEGED_PORT_SYSCTL)) return;
  draft.securityContext = { ...sc, sysctls: { ...sc?.sysctls, [UNPRIVILEGED_PORT_SYSCTL]: '0' } };
  const at: Path = a.svc['ports'] !== undefined ? ['services', a.name, 'ports'] : a.svc['expose'] !== undefined ? ['services', a.name, 'expose'] : a.svc['image'] !== undefined ? ['services', a.name, 'image'] : ['services', a.name];
  a.ctx.note(at, {
    severity: 'info',
    message: `port ${[...new Set(low.map((p) => p.port))].join(', ')} is below 1024 and slipway runs containers as non-root: the pod sets ${UNPRIVILEGED_PORT_SYSCTL}=0 (a namespaced sysctl Pod Security restricted allows) so the server can bind it`,
    hint: 'Kubernetes ≥ 1.22 and Linux ≥ 4.11; or make the server listen on a port ≥ 1024',
  });
}

/** The handler of a probe, for comparing two probes (timings aside). */
function handler(p: ProbeSpec | false | undefined): string | undefined {
  if (p === undefined || p === false) return undefined;
  const { http, tcp, exec, grpc } = p;
  return JSON.stringify({ http, tcp, exec, grpc });
}

/**
 * A table probe on this service's ports: a TCP check moves to the first TCP port when the service
 * listens elsewhere (a reconfigured image); an HTTP check on an undeclared port is dropped.
 */
function onPorts(p: ProbeSpec | undefined, ports: readonly PortSpec[]): ProbeSpec | undefined {
  if (p === undefined) return undefined;
  const tcpPorts = ports.filter((x) => (x.protocol ?? 'TCP') === 'TCP');
  const declared = (n: number | string): boolean => tcpPorts.some((x) => x.port === n || x.name === n);
  if (p.tcp !== undefined && !declared(p.tcp.port)) {
    const first = tcpPorts[0];
    return first === undefined ? undefined : { ...p, tcp: { port: first.port } };
  }
  if (p.http !== undefined && !declared(p.http.port)) return undefined;
  return p;
}

/** What render uses when the spec gives no readiness probe (render/pod.ts). */
function defaultReadiness(ports: readonly PortSpec[]): ProbeSpec | undefined {
  const first = ports[0];
  if (first === undefined) return undefined;
  return first.name === 'http' ? { http: { path: '/', port: 'http' } } : { tcp: { port: first.name } };
}

/** The same check, whether it names its port by number or by name. */
function sameCheck(a: ProbeSpec | undefined, b: ProbeSpec | undefined, ports: readonly PortSpec[]): boolean {
  const byNumber = (p: ProbeSpec | undefined): string | undefined => {
    if (p === undefined) return undefined;
    const num = (ref: number | string): number | string => ports.find((x) => x.name === ref)?.port ?? ref;
    if (p.tcp) return handler({ tcp: { port: num(p.tcp.port) } });
    if (p.http) return handler({ http: { ...p.http, port: num(p.http.port) } });
    return handler(p);
  };
  return a !== undefined && byNumber(a) === byNumber(b);
}

interface ProbePlan {
  readonly ports: readonly PortSpec[];
  /** The probes so far: the healthcheck's (or x-slipway's), plus the table's readiness. */
  readonly out: NonNullable<ServiceSpec['probes']>;
  /** The readiness render will use (the spec's, else its default on the first port). */
  readonly readiness: ProbeSpec | undefined;
  /** liveness and readiness came from one healthcheck (and x-slipway sets no liveness). */
  readonly fromHealthcheck: boolean;
  /** Where notes about probes go. */
  readonly at: Path;
}

function planProbes(a: RestrictedArgs, draft: Draft, profile: ImageProfile | undefined): ProbePlan {
  const xsProbes = isRecord(a.xs['probes']) ? a.xs['probes'] : {};
  const ports = draft.ports ?? [];
  const given = draft.probes ?? {};
  const fromHealthcheck = given.readiness !== undefined && given.readiness !== false && handler(given.readiness) === handler(given.liveness) && xsProbes['liveness'] === undefined;
  const out: NonNullable<ServiceSpec['probes']> = { ...given };
  if (given.readiness === undefined) {
    const r = onPorts(profile?.readiness, ports);
    if (r !== undefined) out.readiness = r;
  }
  const readiness = out.readiness === false ? undefined : (out.readiness ?? defaultReadiness(ports));
  const at: Path = a.svc['healthcheck'] !== undefined ? ['services', a.name, 'healthcheck'] : a.svc['image'] !== undefined ? ['services', a.name, 'image'] : ['services', a.name];
  return { ports, out, readiness, fromHealthcheck, at };
}

/** A cheap liveness check, or undefined when there is none (or only one REL005 would reject). */
function cheapLiveness(a: RestrictedArgs, draft: Draft, profile: ImageProfile | undefined, plan: ProbePlan): ProbeSpec | undefined {
  const firstTcp = plan.ports.find((p) => (p.protocol ?? 'TCP') === 'TCP');
  const liveness = onPorts(profile?.liveness, plan.ports) ?? (plan.fromHealthcheck && firstTcp !== undefined ? { tcp: { port: firstTcp.port } } : undefined);
  if (liveness === undefined || !sameCheck(liveness, plan.readiness, plan.ports)) return liveness;
  // The same check as readiness: acceptable only when it cannot depend on another service.
  if (profile?.sameCheck !== undefined) waive(draft, a.xs, 'REL005', profile.sameCheck);
  else if (liveness.tcp !== undefined) waive(draft, a.xs, 'REL005', 'liveness and readiness are both a TCP connect to the service port, which depends on no other service');
  else return undefined;
  return liveness;
}

function probes(a: RestrictedArgs, draft: Draft, profile: ImageProfile | undefined): void {
  const plan = planProbes(a, draft, profile);
  const given = draft.probes ?? {};
  const xsLiveness = isRecord(a.xs['probes']) && a.xs['probes']['liveness'] !== undefined;
  if (xsLiveness || (given.liveness !== undefined && !plan.fromHealthcheck)) {
    draft.probes = plan.out;
    return;
  }
  const out = plan.out;
  const liveness = cheapLiveness(a, draft, profile, plan);
  if (liveness !== undefined) {
    out.liveness = { ...liveness, ...timing(given.liveness ?? given.readiness) };
    noteLiveness(a, plan, profile, liveness);
  } else {
    Reflect.deleteProperty(out, 'liveness');
    const why = plan.fromHealthcheck
      ? `${a.name} listens on no port, so it has no cheap check: its healthcheck is the readiness probe, and a liveness probe running it would restart every replica whenever a service it checks is down (compose never restarted on it either)`
      : `no healthcheck in the compose file${profile === undefined ? " and the image is not in slipway's known-images table" : ''}: no liveness probe, slipway's default (a wrong one restarts healthy pods)`;
    waive(draft, a.xs, 'REL001', why);
    if (plan.fromHealthcheck) a.ctx.note(plan.at, { severity: 'info', message: `the healthcheck is the readiness probe; no liveness probe: ${why}`, hint: 'set x-slipway: { probes: { liveness: ... } } with a check of the process alone' });
  }
  if (plan.readiness === undefined) waive(draft, a.xs, 'REL002', `${a.name} listens on no port and has no healthcheck in the compose file: nothing tells when it is ready (add a healthcheck to the compose file)`);
  if (Object.keys(out).length > 0) draft.probes = out;
  else Reflect.deleteProperty(draft, 'probes');
}

function noteLiveness(a: RestrictedArgs, plan: ProbePlan, profile: ImageProfile | undefined, liveness: ProbeSpec): void {
  if (plan.fromHealthcheck) {
    a.ctx.note(plan.at, {
      severity: 'info',
      message: `the healthcheck is the readiness probe; liveness is a cheaper check (${describe(liveness)}): the healthcheck may call other services, and a liveness probe failing with them would restart every replica at once`,
      hint: 'set x-slipway: { probes: { liveness: ... } } to choose another',
    });
  } else if (profile !== undefined) {
    const r = plan.out.readiness;
    a.ctx.note(plan.at, {
      severity: 'info',
      message: `probes from the known-images table: readiness ${r === undefined || r === false ? "slipway's default" : describe(r)}, liveness ${describe(liveness)}`,
      hint: `from ${profile.sources.at(-1) ?? 'the known-images table'}; a healthcheck in the compose file becomes the readiness probe instead`,
    });
  }
}

/** The healthcheck's cadence (period and failure threshold) for the cheap probe too. */
function timing(p: ProbeSpec | false | undefined): Partial<ProbeSpec> {
  if (p === undefined || p === false) return {};
  return { ...(p.periodSeconds !== undefined ? { periodSeconds: p.periodSeconds } : {}), ...(p.failureThreshold !== undefined ? { failureThreshold: p.failureThreshold } : {}) };
}

function describe(p: ProbeSpec): string {
  if (p.tcp) return `TCP connect to port ${p.tcp.port}`;
  if (p.http) return `HTTP GET ${p.http.path} on port ${p.http.port}`;
  if (p.exec) return `\`${p.exec.command.join(' ')}\``;
  return 'gRPC health';
}
