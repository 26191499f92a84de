/**
 * One compose service → one slipway service (or job). Every key of the service is dispatched to
 * a handler that consumes it or reports it; keys nobody handles are reported by the fallback.
 */
import { split as shellSplit } from 'shlex';
import type { DependencySpec, EnvValueSpec, ServiceSpec, JobSpec, VolumeSpec } from '../schema.ts';
import { isRecord, setOwn } from '../../manifest/index.ts';
import { str, type ImportContext } from './context.ts';
import { convertDeploy } from './deploy.ts';
import { convertEnvironment, type MovedKey } from './env.ts';
import { convertHealthcheck } from './healthcheck.ts';
import type { Path } from './load.ts';
import { convertExpose, convertPorts, PortSet } from './ports.ts';
import { urlPasswords } from '../credentials.ts';
import { argsWithoutSecrets, credentialVariables, probeWithoutSecrets, type SecretValue } from './secrets.ts';
import { convertConfigs, convertEnvFile, convertSecrets, convertTmpfs, convertVolumes, moveToSecret, type Mount, type SharedState } from './storage.ts';
import { UNSUPPORTED_SERVICE_KEYS } from './unsupported.ts';
import type { Connections } from './connections.ts';
import { cpuQuantity, ceilSeconds, durationSeconds, memoryQuantity } from './units.ts';

export type WorkloadKind = 'service' | 'job' | 'cronJob';

export interface ServiceInfo {
  readonly compose: string;
  readonly sid: string;
  readonly kind: WorkloadKind;
  readonly firstPort: string | undefined;
}

function hasPorts(svc: Record<string, unknown>): boolean {
  const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null);
  return nonEmpty(svc['ports']) || nonEmpty(svc['expose']);
}

/** A service or job being built; both share the pod fields. */
export type Draft = Partial<ServiceSpec> & Partial<JobSpec> & { schedule?: string };

interface H {
  readonly s: SharedState;
  readonly ctx: ImportContext;
  readonly info: ServiceInfo;
  readonly infos: ReadonlyMap<string, ServiceInfo>;
  readonly variables: Readonly<Record<string, string>>;
  readonly appName: string;
  readonly draft: Draft;
  readonly ports: PortSet;
  readonly volumes: VolumeSpec[];
  readonly mounts: Mount[];
  readonly envFrom: NonNullable<ServiceSpec['envFrom']>[number][];
  /** Values moved to Secrets, and the env var of this container that holds each. */
  readonly secretValues: SecretValue[];
  /** Variables whose values went into the strings under a path of the compose file. */
  readonly variablesAt: (path: Path) => readonly string[];
  /** Connections inferred from env values (connections.ts). */
  readonly connections: Connections;
}

type Handler = (h: H, path: Path, value: unknown) => void;

/** Keys whose translation only exists for long-running services. */
const SERVICE_ONLY = new Set(['ports', 'expose', 'healthcheck', 'volumes', 'tmpfs', 'stop_grace_period', 'scale']);

/** The kind compose's restart policy implies: see convert.ts for the rule. */
export function workloadKind(svc: Record<string, unknown>): WorkloadKind {
  const xs = svc['x-slipway'];
  if (isRecord(xs) && (xs['kind'] === 'service' || xs['kind'] === 'job' || xs['kind'] === 'cronJob')) return xs['kind'];
  // Something that listens is a server, whatever its restart policy (swarm files often say
  // on-failure for servers): a Job cannot serve.
  if (hasPorts(svc)) return 'service';
  const restart = typeof svc['restart'] === 'string' ? svc['restart'] : undefined;
  const deploy = svc['deploy'];
  const cond = isRecord(deploy) && isRecord(deploy['restart_policy']) ? deploy['restart_policy']['condition'] : undefined;
  if (restart === 'no' || restart?.startsWith('on-failure') === true) return 'job';
  if (restart === undefined && (cond === 'none' || cond === 'on-failure')) return 'job';
  return 'service';
}

export function convertService(o: Omit<H, 'draft' | 'ports' | 'volumes' | 'mounts' | 'envFrom' | 'secretValues'>, svc: Record<string, unknown>): Draft {
  const h: H = { ...o, draft: {}, ports: new PortSet(), volumes: [], mounts: [], envFrom: [], secretValues: [] };
  const base: Path = ['services', o.info.compose];
  for (const [key, value] of Object.entries(svc)) {
    const path = [...base, key];
    if (value === null || (typeof value === 'object' && Object.keys(value).length === 0)) {
      // `command:`, `environment: {}`: nothing to translate (compose treats them as unset).
      h.ctx.consume(path);
      continue;
    }
    if (h.info.kind !== 'service' && SERVICE_ONLY.has(key)) {
      h.ctx.drop(path, { severity: 'warning', message: `${key} does not apply to a ${h.info.kind === 'job' ? 'Job' : 'CronJob'}`, hint: 'set `x-slipway: { kind: service }` if this is a long-running service' });
      continue;
    }
    const handler = HANDLERS[key];
    if (handler) handler(h, path, value);
    else unsupported(h.ctx, path, key);
  }
  return finish(h);
}

function unsupported(ctx: ImportContext, path: Path, key: string): void {
  const why = UNSUPPORTED_SERVICE_KEYS[key];
  if (why) ctx.drop(path, why);
  else if (key.startsWith('x-')) ctx.drop(path, { severity: 'info', message: `extension ${key} is ignored (only x-slipway is read)` });
  else ctx.drop(path, { severity: 'warning', message: `${key} is not translated` });
}

function finish(h: H): Draft {
  const d = h.draft;
  keepSecretsOutOfCommands(h);
  inferredConnections(h);
  if (h.ports.ports.length > 0) d.ports = h.ports.ports;
  if (h.volumes.length > 0) d.volumes = h.volumes;
  if (h.mounts.length > 0) d.config = h.mounts;
  if (h.envFrom.length > 0) d.envFrom = h.envFrom;
  return d;
}

const consume = (h: H, path: Path): void => h.ctx.consume(path);

function stringList(h: H, path: Path, value: unknown): string[] | undefined {
  if (typeof value === 'string') {
    try {
      return shellSplit(value);
    } catch (e) {
      h.ctx.drop(path, { severity: 'error', message: `cannot split "${value}" into words: ${e instanceof Error ? e.message : String(e)}`, hint: 'use the list form' });
      return undefined;
    }
  }
  if (Array.isArray(value)) return value.map(String);
  return undefined;
}

/** The tag slipway.yaml gives images CI builds (services with `build:`): what a local build is called. */
export const BUILD_TAG = 'dev';
export const BUILD_TAG_HINT = 'CI deploys the image it built for the commit: `slipway deploy --image-tag sha-<commit>` (the deploy.yml of `slipway ci github` passes it) sets the tag of every image built from a build context';

/** Image reference without a tag or digest (render needs one to pin what runs). */
function imageHasTag(image: string): boolean {
  if (image.includes('@')) return true;
  const last = image.split('/').pop() ?? image;
  return last.includes(':');
}

/** Service keys with a translation (see HANDLERS). */
export function handledServiceKeys(): string[] {
  return Object.keys(HANDLERS);
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  image(h, path, value) {
    // `repo:${TAG}` with TAG unset leaves `repo:`: an empty tag is no tag.
    const image = str(value).replace(/:$/, '');
    h.draft.image = image;
    consume(h, path);
    const svcs = h.s.data['services'];
    const svc = isRecord(svcs) ? svcs[h.info.compose] : undefined;
    const override = isRecord(svc) ? svc['x-slipway'] : undefined;
    if (isRecord(override) && override['image'] !== undefined) return;
    if (!imageHasTag(image) && isRecord(svc) && svc['build'] !== undefined) {
      // CI builds it: tagged like a local build here; deploys take the commit's tag (--image-tag).
      h.draft.image = `${image}:${BUILD_TAG}`;
      h.ctx.note(path, { severity: 'info', message: `"${image}" is built from build.context: tagged :${BUILD_TAG} (a local build) in slipway.yaml`, hint: BUILD_TAG_HINT });
    } else if (!imageHasTag(image)) {
      // A warning, as lint's SEC021 says it: the spec renders (pulling :latest, imagePullPolicy Always).
      h.ctx.note(path, { severity: 'warning', message: `image "${image}" has no tag: it pulls the mutable :latest (as compose does, with imagePullPolicy Always), so a rollback cannot return to the previous version (lint SEC021)`, hint: `pin it: image: ${image}:<version>, or set x-slipway: { image: ${image}:<version> }` });
    } else if (image.endsWith(':latest')) {
      h.ctx.note(path, { severity: 'warning', message: `image "${image}" uses the mutable tag latest: rollbacks cannot return to a previous version`, hint: 'pin a version or digest' });
    }
  },
  build(h, path, value) {
    const prefix = h.s.pathPrefix;
    const rel = (p: string): string => {
      const clean = p === '.' || p === './' ? '.' : p.replace(/^\.\//, '');
      if (prefix === '') return clean;
      return clean === '.' ? prefix : `${prefix.replace(/\/?$/, '/')}${clean}`;
    };
    if (typeof value === 'string') {
      h.draft.build = { context: rel(value) };
      consume(h, path);
      return;
    }
    if (!isRecord(value)) return;
    const ctxDir = typeof value['context'] === 'string' ? value['context'] : '.';
    h.draft.build = { context: rel(ctxDir), ...(typeof value['dockerfile'] === 'string' ? { dockerfile: value['dockerfile'] } : {}) };
    for (const key of Object.keys(value)) {
      if (key === 'context' || key === 'dockerfile') consume(h, [...path, key]);
      else h.ctx.drop([...path, key], { severity: 'info', message: `build.${key} is not translated`, hint: 'pass it in the CI build step' });
    }
  },
  pull_policy(h, path, value) {
    const map: Record<string, 'Always' | 'IfNotPresent' | 'Never'> = { always: 'Always', missing: 'IfNotPresent', if_not_present: 'IfNotPresent', never: 'Never' };
    const pp = map[String(value)];
    if (pp === undefined) {
      h.ctx.drop(path, { severity: 'info', message: `pull_policy "${String(value)}" has no Kubernetes equivalent`, hint: 'Always, IfNotPresent or Never' });
      return;
    }
    // Attached after x-slipway is merged, so a string image stays a string (see convert.ts).
    (h.draft as Record<string, unknown>)['__pullPolicy'] = pp;
    consume(h, path);
  },
  entrypoint(h, path, value) {
    const list = stringList(h, path, value);
    if (list === undefined) return;
    if (list.length > 0) h.draft.command = list;
    consume(h, path);
  },
  command(h, path, value) {
    const list = stringList(h, path, value);
    if (list === undefined) return;
    if (list.length > 0) h.draft.args = list;
    consume(h, path);
  },
  working_dir(h, path, value) {
    h.draft.workingDir = String(value);
    consume(h, path);
  },
  environment(h, path, value) {
    const secretName = envSecretName(h);
    const credentialVarsAt = (p: Path): SecretValue[] => credentialVariables(h.variables, h.variablesAt(p));
    const r = convertEnvironment({ ctx: h.ctx, variables: h.variables, secretName, credentialVarsAt }, path, value);
    if (Object.keys(r.env).length > 0) h.draft.env = { ...h.draft.env, ...r.env };
    if (r.secretKeys.length > 0) addEnvSecretKeys(h, r.secretKeys);
    h.secretValues.push(...r.secretValues);
  },
  env_file(h, path, value) {
    convertEnvFile(h.s, path, value, h);
  },
  ports(h, path, value) {
    convertPorts(h.ctx, path, value, h.ports);
  },
  expose(h, path, value) {
    convertExpose(h.ctx, path, value, h.ports);
  },
  healthcheck(h, path, value) {
    const probes = convertHealthcheck(h.ctx, path, value);
    if (probes) h.draft.probes = probes;
  },
  deploy(h, path, value) {
    const r = convertDeploy(h.ctx, path, value, h.info.kind !== 'service');
    if (r.replicas !== undefined) h.draft.replicas = r.replicas;
    if (r.resources) h.draft.resources = mergeResources(h.draft.resources, r.resources);
    if (r.strategy) h.draft.strategy = r.strategy;
    if (r.nodeSelector) h.draft.nodeSelector = r.nodeSelector;
    if (r.labels) h.draft.labels = { ...h.draft.labels, ...r.labels };
    if (r.backoffLimit !== undefined) h.draft.backoffLimit = r.backoffLimit;
  },
  scale(h, path, value) {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) return h.ctx.drop(path, { severity: 'error', message: `scale "${String(value)}" is not a whole number` });
    h.draft.replicas ??= n;
    consume(h, path);
  },
  cpus(h, path, value) {
    const q = typeof value === 'string' || typeof value === 'number' ? cpuQuantity(value) : undefined;
    if (q === undefined) return h.ctx.drop(path, { severity: 'error', message: `cannot read cpus "${String(value)}"` });
    h.draft.resources = mergeResources(h.draft.resources, { limits: { cpu: q } });
    consume(h, path);
  },
  mem_limit(h, path, value) {
    memory(h, path, value, 'limits');
  },
  mem_reservation(h, path, value) {
    memory(h, path, value, 'requests');
  },
  restart(h, path, value) {
    consume(h, path);
    if (h.info.kind === 'job') {
      const m = /^on-failure:(\d+)$/.exec(String(value));
      if (value === 'no') h.draft.backoffLimit ??= 0;
      else if (m) h.draft.backoffLimit ??= Number(m[1]);
      h.ctx.note(path, { severity: 'info', message: `restart "${String(value)}" → a run-to-completion Job`, hint: 'if this is a long-running service, set `x-slipway: { kind: service }`' });
    } else if (value === 'no' || String(value).startsWith('on-failure')) {
      h.ctx.note(path, { severity: 'info', message: `restart "${String(value)}" on a service with ports: kept as a service, which Kubernetes always restarts`, hint: 'set `x-slipway: { kind: job }` if it runs to completion' });
    }
  },
  depends_on(h, path, value) {
    dependsOn(h, path, value);
  },
  volumes(h, path, value) {
    convertVolumes(h.s, path, value, h.volumes);
  },
  tmpfs(h, path, value) {
    convertTmpfs(h.s, path, value, h.volumes);
  },
  secrets(h, path, value) {
    convertSecrets(h.s, path, value, h.mounts);
  },
  configs(h, path, value) {
    convertConfigs(h.s, path, value, h.mounts);
  },
  user(h, path, value) {
    user(h, path, String(value));
  },
  read_only(h, path, value) {
    h.draft.securityContext = { ...h.draft.securityContext, readOnlyRootFilesystem: value === true || value === 'true' };
    consume(h, path);
  },
  cap_add(h, path, value) {
    if (!Array.isArray(value)) return;
    value.forEach((c: unknown, i) => {
      const cap = String(c).toUpperCase().replace(/^CAP_/, '');
      if (cap === 'NET_BIND_SERVICE') {
        h.draft.securityContext = { ...h.draft.securityContext, addCapabilities: ['NET_BIND_SERVICE'] };
        consume(h, [...path, i]);
      } else {
        h.ctx.drop([...path, i], { severity: 'warning', message: `capability ${cap} is not allowed under Pod Security restricted (only NET_BIND_SERVICE is)`, hint: 'change the app so it does not need it' });
      }
    });
  },
  cap_drop(h, path, value) {
    // slipway always drops ALL capabilities, which covers whatever compose drops.
    if (Array.isArray(value)) value.forEach((_c: unknown, i) => consume(h, [...path, i]));
  },
  stop_grace_period(h, path, value) {
    const s = typeof value === 'string' || typeof value === 'number' ? durationSeconds(value) : undefined;
    if (s === undefined) return h.ctx.drop(path, { severity: 'error', message: `cannot read duration "${String(value)}"`, hint: 'e.g. 30s or 1m' });
    h.draft.terminationGracePeriodSeconds = ceilSeconds(s);
    consume(h, path);
  },
  labels(h, path, value) {
    labels(h, path, value);
  },
  annotations(h, path, value) {
    const entries = Array.isArray(value) ? value.map((x: unknown) => String(x).split(/=(.*)/s).slice(0, 2)) : isRecord(value) ? Object.entries(value).map(([k, v]) => [k, String(v)]) : [];
    h.draft.annotations = { ...h.draft.annotations, ...Object.fromEntries(entries.map(([k, v]) => [k ?? '', v ?? ''])) };
    consume(h, path);
  },
  profiles(h, path) {
    consume(h, path);
  },
  extends() {
    // Resolved before conversion (extends.ts) and accounted in convert.ts.
  },
  'x-slipway'(h, path) {
    consume(h, path); // merged and validated in convert.ts
  },
};

function memory(h: H, path: Path, value: unknown, where: 'limits' | 'requests'): void {
  const q = typeof value === 'string' || typeof value === 'number' ? memoryQuantity(value) : undefined;
  if (q === undefined) return h.ctx.drop(path, { severity: 'error', message: `cannot read memory "${String(value)}"`, hint: 'e.g. 512M or 1G' });
  h.draft.resources = mergeResources(h.draft.resources, { [where]: { memory: q } });
  consume(h, path);
}

type Res = NonNullable<ServiceSpec['resources']>;
function mergeResources(a: Res | undefined, b: Res): Res {
  const out: Res = { ...a };
  if (b.requests) out.requests = { ...a?.requests, ...b.requests };
  if (b.limits) out.limits = { ...a?.limits, ...b.limits };
  return out;
}

function user(h: H, path: Path, u: string): void {
  const m = /^(\d+)(?::(\d+))?$/.exec(u);
  if (!m) {
    h.ctx.drop(path, { severity: 'warning', message: `user "${u}" is a name; Kubernetes needs a numeric uid to enforce non-root`, hint: 'use the numeric uid[:gid] the image defines for that user' });
    return;
  }
  const uid = Number(m[1]);
  const gid = m[2] === undefined ? undefined : Number(m[2]);
  if (uid === 0) {
    h.ctx.drop(path, { severity: 'warning', message: 'running as root (uid 0) is forbidden under Pod Security restricted; slipway runs as uid 10001', hint: 'make the image work as a non-root user' });
    return;
  }
  h.draft.securityContext = { ...h.draft.securityContext, runAsUser: uid, ...(gid !== undefined && gid > 0 ? { runAsGroup: gid } : {}) };
  consume(h, path);
  if (gid === 0) h.ctx.note(path, { severity: 'warning', message: 'group 0 (root) is not kept; slipway uses gid 10001' });
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
function isLabelKey(k: string): boolean {
  const slash = k.lastIndexOf('/');
  const name = slash < 0 ? k : k.slice(slash + 1);
  const prefix = slash < 0 ? undefined : k.slice(0, slash);
  return name.length <= 63 && LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(prefix)));
}
function isLabelValue(v: string): boolean {
  return v === '' || (v.length <= 63 && LABEL_NAME.test(v));
}

/**
 * Compose labels are free text; Kubernetes label values are not (≤63 chars, no spaces). Valid
 * ones stay labels; the rest become pod annotations, which take any text.
 */
function labels(h: H, path: Path, value: unknown): void {
  const entries: [string, string, Path][] = Array.isArray(value)
    ? value.map((x: unknown, i) => {
        const [k = '', v = ''] = String(x).split(/=(.*)/s);
        return [k, v, [...path, i]];
      })
    : isRecord(value)
      ? Object.entries(value).map(([k, v]) => [k, str(v), [...path, k]])
      : [];
  for (const [k, v, p] of entries) {
    if (!isLabelKey(k)) {
      h.ctx.drop(p, { severity: 'warning', message: `label key "${k}" is not a valid Kubernetes label or annotation key` });
    } else if (isLabelValue(v)) {
      h.draft.labels = { ...h.draft.labels, [k]: v };
      consume(h, p);
    } else {
      h.draft.annotations = { ...h.draft.annotations, [k]: v };
      h.ctx.noteConsumed(p, { severity: 'info', message: `label "${k}" became a pod annotation: its value is not a valid label value` });
    }
  }
}

/**
 * depends_on → dependsOn on the target's first port (a NetworkPolicy edge + startup ordering).
 * Conditions: slipway waits for the dependency's readiness, which is what service_healthy means
 * once the healthcheck is a readiness probe; service_started is weaker and also satisfied.
 */
function dependsOn(h: H, path: Path, value: unknown): void {
  const deps: { name: string; p: Path; long: Record<string, unknown> | undefined }[] = Array.isArray(value)
    ? value.map((n: unknown, i) => ({ name: String(n), p: [...path, i], long: undefined }))
    : isRecord(value)
      ? Object.entries(value).map(([n, v]) => ({ name: n, p: [...path, n], long: isRecord(v) ? v : undefined }))
      : [];
  const out: DependencySpec[] = [];
  for (const d of deps) {
    const target = h.infos.get(d.name);
    if (!target) {
      h.ctx.drop(d.p, { severity: 'info', message: `${d.name} is not imported (not in an active profile), so the dependency is dropped` });
      continue;
    }
    if (target.kind !== 'service') {
      h.ctx.drop(d.p, { severity: 'warning', message: `${d.name} is a ${target.kind === 'job' ? 'Job' : 'CronJob'}: Kubernetes does not start services after a Job completes`, hint: `run it before the rollout with \`x-slipway: { hook: pre-deploy }\` on ${d.name}, and make ${h.info.compose} retry until its data is there` });
      continue;
    }
    if (target.firstPort === undefined) {
      h.ctx.drop(d.p, { severity: 'warning', message: `${d.name} has no ports, so there is no connection to allow or wait for`, hint: `give ${d.name} a port (expose:) if ${h.info.compose} calls it` });
      continue;
    }
    out.push({ service: target.sid, port: target.firstPort });
    if (d.long === undefined) {
      h.ctx.consume(d.p);
      continue;
    }
    for (const [k, v] of Object.entries(d.long)) {
      const kp = [...d.p, k];
      if (k === 'condition') {
        h.ctx.consume(kp);
        if (v === 'service_completed_successfully') h.ctx.note(kp, { severity: 'warning', message: `${d.name} is a long-running service; "completed successfully" becomes "ready"` });
      } else if (k === 'required' && v !== false) h.ctx.consume(kp);
      else h.ctx.drop(kp, { severity: 'info', message: `depends_on.${k} is not translated`, hint: k === 'restart' ? 'Kubernetes restarts pods independently; make the app reconnect' : 'slipway treats every dependency as required' });
    }
  }
  if (out.length > 0) {
    h.draft.dependsOn = out;
    h.ctx.note(path, { severity: 'info', message: 'startup ordering: slipway rolls dependencies out first and waits for their readiness; at runtime Kubernetes restarts pods independently, so the app must retry connections' });
  }
}

/** The Secret that receives the credentials of a service's `environment:`. */
function envSecretName(h: H): string {
  return `${h.info.sid}-env`;
}

function addEnvSecretKeys(h: H, keys: readonly MovedKey[]): void {
  const name = envSecretName(h);
  const prev = h.s.secrets[name]?.keys ?? [];
  h.s.secrets[name] = { keys: [...new Set([...prev, ...keys.map((k) => k.key)])], description: `credentials of ${h.info.sid}, moved out of its compose environment` };
  moveToSecret(h.s, name, keys);
}

/**
 * A healthcheck, command or entrypoint that repeats a credential would put it back in plain text:
 * the literal value this service's env moved to a Secret, a credential variable of `.env`
 * interpolated into it, a credential another service holds (the database password in a migration
 * job's `-database postgres://api:…@db/api`), or any URL password written there. It reads the value
 * from the container's environment instead: probes through `sh -c` and `"$VAR"` (exec probes
 * expand nothing), command and args through `$(VAR)`. A value no env var of this service holds yet
 * becomes one, from the service's Secret.
 */
function keepSecretsOutOfCommands(h: H): void {
  const base: Path = ['services', h.info.compose];
  h.s.secretValues.push(...h.secretValues.map((v) => ({ value: v.value, name: v.envName })));
  const env = h.draft.env ?? {};
  const unbacked = unbackedSecrets(h, base, env);
  // A value that is public text anyway (the user name, the image) is not told apart: see publicStrings.
  const candidates = [...h.secretValues, ...unbacked].filter((v) => v.value !== '' && !h.s.guessable(v.value));
  if (candidates.length === 0) return;
  const added = new Set<string>();
  const need = (used: readonly string[]): void => {
    for (const name of used) if (unbacked.some((v) => v.envName === name)) added.add(name);
  };
  const probes = h.draft.probes;
  const probePath: Path = [...base, 'healthcheck', 'test'];
  for (const kind of ['readiness', 'liveness', 'startup'] as const) {
    const probe = probes?.[kind];
    if (probes === undefined || probe === undefined || probe === false || probe.exec === undefined) continue;
    const r = probeWithoutSecrets(probe.exec.command, candidates);
    if (r.used.length === 0) continue;
    probes[kind] = { ...probe, exec: { command: r.command } };
    need(r.used);
    if (kind === 'readiness') h.ctx.note(probePath, { severity: 'warning', message: `the healthcheck contains the value of ${r.used.join(', ')}, a credential: the probes read it from the environment instead ("$\{${r.used[0] ?? ''}}" through sh -c)`, hint: 'the image needs a shell (sh); or give a check without the password via `x-slipway: { probes: ... }`' });
  }
  for (const [field, key] of [['command', 'entrypoint'], ['args', 'command']] as const) {
    const list = h.draft[field];
    if (list === undefined) continue;
    const r = argsWithoutSecrets(list, candidates);
    if (r.used.length === 0) continue;
    h.draft[field] = r.args;
    need(r.used);
    h.ctx.note([...base, key], { severity: 'warning', message: `${key} contains the value of ${r.used.join(', ')}, a credential: it now reads $(${r.used[0] ?? ''}), which Kubernetes expands from the container's environment` });
  }
  if (added.size === 0) return;
  const name = envSecretName(h);
  const withSecrets: Record<string, EnvValueSpec> = { ...env };
  for (const v of added) setOwn(withSecrets, v, { secret: name, key: v });
  h.draft.env = withSecrets;
  addEnvSecretKeys(h, [...added].map((v) => ({ key: v, path: base, why: 'a healthcheck, command or entrypoint uses its value' })));
  for (const v of unbacked) {
    if (!added.has(v.envName)) continue;
    h.secretValues.push(v);
    h.s.secretValues.push({ value: v.value, name: v.envName });
  }
}

/** Secret values this service's commands may hold that no env var of it holds yet: each becomes one (from the Secret) when used. */
function unbackedSecrets(h: H, base: Path, env: Readonly<Record<string, EnvValueSpec>>): SecretValue[] {
  const own = new Set(h.secretValues.map((v) => v.value));
  const unbacked: SecretValue[] = [];
  const consider = (v: SecretValue): void => {
    if (own.has(v.value) || unbacked.some((u) => u.value === v.value)) return;
    let envName = v.envName;
    for (let n = 2; Object.hasOwn(env, envName) || unbacked.some((u) => u.envName === envName); n++) envName = `${v.envName}_${n}`;
    unbacked.push({ value: v.value, envName });
  };
  for (const v of credentialVariables(h.variables, h.variablesAt(base))) consider(v);
  for (const v of h.s.globalSecrets) consider(v);
  const texts = [...(h.draft.command ?? []), ...(h.draft.args ?? []), ...probeCommands(h).flat()];
  for (const t of texts) for (const pw of urlPasswords(t)) consider({ value: pw.password, envName: 'URL_PASSWORD' });
  return unbacked;
}

/** The exec commands of the draft's probes. */
function probeCommands(h: H): string[][] {
  const out: string[][] = [];
  for (const kind of ['readiness', 'liveness', 'startup'] as const) {
    const probe = h.draft.probes?.[kind];
    if (probe !== undefined && probe !== false && probe.exec !== undefined) out.push(probe.exec.command);
  }
  return out;
}

/**
 * The connections this service's env values make (connections.ts): each becomes a dependsOn entry
 * (a NetworkPolicy allow rule, reported as inferred); a port others connect to that the compose
 * file never lists is added to this service; a connection no port can be found for is a warning
 * that names it.
 */
function inferredConnections(h: H): void {
  const me = h.info.compose;
  const extra = h.connections.extraPorts.get(me) ?? [];
  if (extra.length > 0 && h.info.kind === 'service') {
    // The planned list: this service's own ports (or the known-images table's), then the added ones.
    for (const p of h.connections.portsOf.get(me) ?? []) h.ports.add(p.port, p.protocol ?? 'TCP', { name: p.name, appProtocol: p.appProtocol });
    for (const e of extra) {
      h.ctx.note(['services', me], { severity: 'info', message: `port ${e.port.port} added (${e.port.name}): ${e.because}, and compose lets any container reach any port; the Service and the NetworkPolicy need it declared`, hint: `declare it yourself (expose: ["${e.port.port}"]) to name it` });
    }
  }
  for (const b of h.connections.blocked.get(me) ?? []) {
    // Values are never printed: a URL may carry a password.
    h.ctx.note(b.source.path, { severity: 'warning', message: `the connection from ${me} to ${b.target} (host "${b.host}" in ${b.source.key}) will be blocked by the default-deny NetworkPolicies: ${b.why}`, hint: b.hint });
  }
  const edges = h.connections.edges.get(me) ?? [];
  if (edges.length === 0) return;
  const deps = [...(h.draft.dependsOn ?? [])];
  const has = (service: string, port: string): boolean => deps.some((d) => (typeof d === 'string' ? d === service : d.service === service && (d.port === undefined || d.port === port)));
  for (const e of edges) {
    const target = h.infos.get(e.target);
    if (target === undefined) continue;
    if (!has(target.sid, e.port.name)) {
      deps.push({ service: target.sid, port: e.port.name });
      h.ctx.note(e.source.path, { severity: 'info', message: `inferred a connection to ${target.sid} on port ${e.port.port} from ${e.source.key} (host "${e.host}"; ${e.how}): a dependsOn entry, so that the NetworkPolicies allow it`, hint: 'compose reaches other services through env values; remove the dependsOn entry if this is not a connection' });
    }
    if (e.alias !== undefined) {
      h.ctx.note(e.source.path, { severity: 'warning', message: `${e.source.key} reaches ${e.target} as "${e.alias}", a name compose resolves (container_name, alias or the service's own spelling) but the cluster does not: its Service is "${target.sid}"`, hint: `write ${target.sid} in ${e.source.key} (x-slipway: { env: { ${e.source.key}: ... } })` });
    }
  }
  h.draft.dependsOn = deps;
}