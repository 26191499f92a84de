/**
 * docker-compose → slipway.yaml. Pure: the caller reads the files.
 *
 * Decisions (also in the report the user sees):
 * - Services become slipway services. Services without ports whose `restart` is "no" or
 *   `on-failure[:N]` (or deploy.restart_policy.condition none/on-failure) become Jobs: a container
 *   compose does not restart after it exits cleanly is a run-to-completion task. A service with
 *   ports stays a service (a Job cannot serve). `x-slipway: { kind: ... }` overrides.
 * - Images without a tag are error-level findings (compose pulls the mutable :latest; render
 *   needs a pinned version); the tag the user gives in `x-slipway: { image: … }` is used.
 * - Unset variables become "" as in compose, and every place they were used is reported.
 * - `x-slipway` on a service is merged into the generated service (maps merge, lists and scalars
 *   replace, null removes) and validated against the slipway schema, with positions.
 * - Profiles: services without `profiles:` are always imported; the others only when one of their
 *   profiles is active (`-p`), as `docker compose --profile` does.
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { inputError, InputErrors, isSlipwayError, type SlipwayError } from '../../errors/index.ts';
import { AppSpec, CronJob, Job, Service, type CronJobSpec, type JobSpec, type PortSpec, type ServiceSpec, type ImageSpec } from '../schema.ts';
import { isRecord, setOwn } from '../../manifest/index.ts';
import { dnsName, ImportContext, keyPaths, str } from './context.ts';
import { resolveExtends } from './extends.ts';
import { formatPath, loadCompose, type LoadedCompose, type Path } from './load.ts';
import { convertExpose, convertPorts, PortSet } from './ports.ts';
import { defaultPorts, applyRestricted } from './restricted.ts';
import { scaffoldEnvironments } from './scaffold.ts';
import { BUILD_TAG, BUILD_TAG_HINT, convertService, workloadKind, type Draft, type ServiceInfo } from './service.ts';
import { configKey, readEnvFile, type SharedState } from './storage.ts';
import { aliasesOf, inferConnections, publishedPorts, type ConnectionTarget, type Connections, type EnvSource } from './connections.ts';
import type { ComposeImportInput, ComposeImportResult, ImportReportEntry } from './types.ts';
import { dotenvValues, parseDotenvFile } from './dotenv.ts';
import { createSecretCommand, credentialVariables, findSecretValues, occurrences, publicStrings } from './secrets.ts';
import { isLiteralCredential, urlPasswords } from '../credentials.ts';
import { UNSUPPORTED_TOP_LEVEL } from './unsupported.ts';

export function importCompose(input: ComposeImportInput): ComposeImportResult {
  const dotenvEntries: ImportReportEntry[] = [];
  const variables = projectVariables(input, dotenvEntries);
  const loaded = loadCompose(input.text, input.file, variables);
  const { data } = loaded;
  const ctx = new ImportContext(loaded.positionOf);
  ctx.report.push(...dotenvEntries);
  const problems: SlipwayError[] = [];
  const app = appName(ctx, data, input);
  const s: SharedState = {
    ctx,
    data,
    readFile: referenceReader(input.readFile, ctx, problems),
    pathPrefix: input.pathPrefix ?? '',
    configMaps: {},
    secrets: {},
    used: { volumes: new Map(), secrets: new Set(), configs: new Set() },
    variables,
    namespaces: (input.environments ?? (input.envName === undefined ? [] : [input.envName])).map((e) => dnsName(`${app}-${e}`)),
    envFiles: new Map(),
    movedSecrets: new Map(),
    secretValues: [],
    guessable: guessableValues(data, loaded, variables),
  };
  const variablesAt = variablesUnder(loaded);
  const services: Record<string, ServiceSpec> = {};
  const jobs: Record<string, JobSpec> = {};
  const cronJobs: Record<string, CronJobSpec> = {};
  const svcData = isRecord(data['services']) ? data['services'] : {};
  const extendsFailed = new Set<string>();
  for (const p of resolveExtends(svcData)) {
    extendsFailed.add(p.service);
    ctx.drop(['services', p.service, 'extends'], { severity: 'error', message: p.message, hint: p.hint });
  }
  for (const [name, svc] of Object.entries(svcData)) {
    // Accounted here: the base's keys are now the service's own and are converted with it.
    if (isRecord(svc) && svc['extends'] !== undefined && !extendsFailed.has(name)) ctx.consume(['services', name, 'extends']);
  }
  const planned = serviceInfos(ctx, svcData, input.profiles ?? []);
  const connections = inferConnections(connectionTargets(planned, svcData), (caller) => envSources(s, caller, svcData[caller]));
  const infos = withExtraPorts(planned, connections);
  const singleInstance = new Set<string>();
  for (const [name, info] of infos) {
    const svc = svcData[name];
    if (!isRecord(svc)) continue;
    const draft = convertService({ s, ctx, info, infos, variables, appName: app, variablesAt, connections }, svc);
    const merged = applyOverrides({ ctx, name, svc, draft, info, problems });
    if (applyRestricted({ ctx, name, kind: info.kind, svc, xs: isRecord(svc['x-slipway']) ? svc['x-slipway'] : {} }, merged)) singleInstance.add(info.sid);
    if (info.kind === 'service') services[info.sid] = ordered(merged, Service) as ServiceSpec;
    else if (info.kind === 'job') jobs[info.sid] = ordered(merged, Job) as JobSpec;
    else cronJobs[info.sid] = ordered(merged, CronJob) as CronJobSpec;
  }
  topLevel(s, variables);
  const spec = assemble({ app, services, jobs, cronJobs, s, input, data, loaded, problems, singleInstance });
  if (problems.length > 0) throw new InputErrors(problems, problems[0]);
  reportVariables(ctx, loaded);
  reportSecrets(s, variables, loaded, infos, spec);
  return { spec, report: ctx.report, consumed: [...ctx.consumed].sort(), inputKeys: keyPaths(data) };
}

/**
 * The variables for interpolation, as compose builds them: the project's `.env` (itself
 * interpolated, see dotenv.ts), overridden by the shell. A syntax problem in `.env` is an input
 * error at its line (compose refuses the file); unset variables in it are report entries.
 */
function projectVariables(input: ComposeImportInput, report: ImportReportEntry[]): Record<string, string> {
  const shell = input.variables ?? {};
  if (input.dotenv === undefined) return { ...shell };
  const { file, text } = input.dotenv;
  const parsed = parseDotenvFile(text, shell);
  if (parsed.problems.length > 0) {
    throw new InputErrors(
      parsed.problems.map((p) => inputError(p.message, { cause: p, position: { file, line: p.line, col: 1 }, expected: 'KEY=value lines (values may be quoted)', hint: 'fix the line: compose refuses the file too' })),
    );
  }
  for (const e of parsed.entries) {
    const position = { file, line: e.line, col: 1 };
    for (const name of e.unset) report.push({ severity: 'warning', path: e.key, converted: true, message: `${file}: variable ${name} in ${e.key} is not set; it became "" (as in compose)`, hint: `set ${name}, or give a default: \${${name}:-value}`, position });
    for (const r of e.required) report.push({ severity: 'error', path: e.key, converted: true, message: `${file}: required variable ${r.name} in ${e.key} is not set: ${r.message}`, hint: `set ${r.name} and import again`, position });
  }
  return { ...dotenvValues(parsed), ...shell };
}

/**
 * Whether a credential's value also stands in public text of the compose file (see publicStrings):
 * the text is computed once, on first use (most files have no credential at all).
 */
function guessableValues(data: Record<string, unknown>, loaded: LoadedCompose, variables: Readonly<Record<string, string>>): (value: string) => boolean {
  let text: string[] | undefined;
  const compute = (): string[] => {
    const credentialVars = new Set(credentialVariables(variables, loaded.usedVariables.map((u) => u.name)).map((v) => v.envName));
    const hidden = new Set(loaded.usedVariables.filter((u) => credentialVars.has(u.name)).map((u) => formatPath(u.path)));
    hidden.add('configs');
    hidden.add('secrets');
    const svcs = isRecord(data['services']) ? data['services'] : {};
    for (const [name, svc] of Object.entries(svcs)) {
      if (!isRecord(svc)) continue;
      for (const key of ['healthcheck', 'command', 'entrypoint', 'x-slipway']) hidden.add(formatPath(['services', name, key]));
      const env = svc['environment'];
      const entries: [string, unknown, Path][] = Array.isArray(env)
        ? env.map((item: unknown, i): [string, unknown, Path] => {
            const t = str(item);
            const eq = t.indexOf('=');
            return [eq < 0 ? t : t.slice(0, eq), eq < 0 ? undefined : t.slice(eq + 1), ['services', name, 'environment', i]];
          })
        : isRecord(env)
          ? Object.entries(env).map(([k, v]): [string, unknown, Path] => [k, v, ['services', name, 'environment', k]])
          : [];
      for (const [key, value, p] of entries) {
        const v = value === undefined || value === null ? (variables[key] ?? '') : str(value);
        if (isLiteralCredential(key, v) || urlPasswords(v).length > 0) hidden.add(formatPath(p));
      }
    }
    return publicStrings(data, (p) => hidden.has(formatPath(p)));
  };
  return (value) => {
    text ??= compute();
    return text.some((t) => occurrences(t, value).length > 0);
  };
}

/** The variables used in the strings under a path (`services.app`, `services.app.environment.X`). */
function variablesUnder(loaded: LoadedCompose): (path: Path) => string[] {
  const byPath = loaded.usedVariables.map((u) => ({ at: formatPath(u.path), name: u.name }));
  return (path) => {
    const p = formatPath(path);
    return byPath.filter((u) => u.at === p || u.at.startsWith(`${p}.`) || u.at.startsWith(`${p}[`)).map((u) => u.name);
  };
}

/**
 * One report entry per Secret the importer moved values to, with the command that creates it;
 * then the last check: no moved value, and no credential variable of `.env` or the shell, appears
 * anywhere in the spec. One that does (in a label, a config file, a URL the rules did not see) is
 * replaced and reported as an error, so that slipway.yaml never holds a secret value.
 */
function reportSecrets(s: SharedState, variables: Readonly<Record<string, string>>, loaded: LoadedCompose, infos: ReadonlyMap<string, ServiceInfo>, spec: AppSpec): void {
  const guessable = new Set(s.secretValues.filter((v) => s.guessable(v.value)).map((v) => v.name));
  for (const [name, moved] of s.movedSecrets) {
    const first = moved.keys[0];
    if (first === undefined) continue;
    for (const k of moved.keys) {
      s.ctx.note(k.path, { severity: 'info', message: `${k.key} is a credential (${k.why}): its value is not copied; it comes from Secret "${name}"` });
      if (guessable.has(k.key)) s.ctx.note(k.path, { severity: 'warning', message: `the value of ${k.key} is also written in plain text elsewhere in the compose file (an image, a user or host name): anyone can guess it, and the importer cannot tell the two apart, so that text is kept as it is`, hint: `choose a real password when you create Secret "${name}"` });
    }
    s.ctx.note(first.path, {
      severity: 'warning',
      message: `create Secret "${name}" (keys ${moved.keys.map((k) => k.key).join(', ')}) before deploying: slipway references it and never writes its values${moved.where === undefined ? '' : ` (${moved.where})`}`,
      hint: createSecretCommand(name, moved.keys.map((k) => k.key), s.namespaces),
    });
  }
  const secrets = [
    ...s.secretValues,
    ...credentialVariables(variables, loaded.usedVariables.map((u) => u.name)).map((v) => ({ value: v.value, name: v.envName })),
  ].filter((v) => !s.guessable(v.value));
  if (secrets.length === 0) return;
  const composeName = new Map([...infos.values()].map((i) => [i.sid, i.compose]));
  const bySection = spec as unknown as Record<string, unknown>;
  for (const section of ['services', 'jobs', 'cronJobs', 'configMaps']) {
    const entries = bySection[section];
    if (!isRecord(entries)) continue;
    for (const hit of findSecretValues(entries, secrets, [section])) {
      redact(bySection, hit.path, secrets);
      const svc = section === 'configMaps' ? undefined : composeName.get(String(hit.path[1]));
      s.ctx.note(svc === undefined ? [section === 'configMaps' ? 'configs' : 'services'] : ['services', svc], {
        severity: 'error',
        message: `the value of ${hit.name}, a credential, would be written to slipway.yaml at ${formatPath(hit.path)}; it was replaced by "<secret ${hit.name}>"`,
        hint: `read it from a Secret there (env: { ${hit.name}: { secret: NAME, key: ${hit.name} } }, and $(${hit.name}) in command/args)`,
      });
    }
  }
}

function redact(root: Record<string, unknown>, path: readonly (string | number)[], secrets: readonly { value: string; name: string }[]): void {
  let parent: unknown = root;
  for (const seg of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[seg];
  const last = path.at(-1);
  if (last === undefined || typeof parent !== 'object' || parent === null) return;
  const holder = parent as Record<string | number, unknown>;
  const before = holder[last];
  if (typeof before !== 'string') return;
  let v: string = before;
  for (const sv of secrets) for (const i of occurrences(v, sv.value).reverse()) v = `${v.slice(0, i)}<secret ${sv.name}>${v.slice(i + sv.value.length)}`;
  holder[last] = v;
}

/**
 * The caller's readFile, with refusals (a thrown SlipwayError: outside the project, not a regular
 * file, too large) recorded as input errors at the reference: bad input, exit 2, nothing written.
 */
function referenceReader(read: ComposeImportInput['readFile'], ctx: ImportContext, problems: SlipwayError[]): SharedState['readFile'] {
  return (file, at) => {
    try {
      return read?.(file);
    } catch (e) {
      if (!isSlipwayError(e)) throw e;
      problems.push(
        inputError(`cannot read ${file}: ${e.message}`, {
          cause: e,
          position: ctx.positionOf(at),
          path: formatPath(at),
          expected: e.expected ?? 'a file inside the project',
          hint: e.hint ?? 'check the path; it is relative to the compose file',
        }),
      );
      return undefined;
    }
  };
}

function appName(ctx: ImportContext, data: Record<string, unknown>, input: ComposeImportInput): string {
  if (typeof data['name'] === 'string' && data['name'] !== '') {
    const n = dnsName(data['name']);
    if (n !== data['name']) ctx.note(['name'], { severity: 'info', message: `app name "${data['name']}" → "${n}" (a DNS-1123 label)` });
    return n;
  }
  const dir = input.projectName ?? input.file.replace(/\\/g, '/').split('/').slice(-2, -1)[0] ?? 'app';
  return dnsName(dir === '' || dir === '.' ? 'app' : dir);
}

/** A service as planned before conversion: its ports as the conversion will write them. */
interface PlannedService extends ServiceInfo {
  readonly ports: readonly PortSpec[];
  readonly fixedPorts: boolean;
}

function serviceInfos(ctx: ImportContext, svcData: Record<string, unknown>, profiles: readonly string[]): Map<string, PlannedService> {
  const infos = new Map<string, PlannedService>();
  const taken = new Map<string, string>();
  for (const [name, svc] of Object.entries(svcData)) {
    if (!isRecord(svc)) continue;
    const own = Array.isArray(svc['profiles']) ? svc['profiles'].map(String) : [];
    if (own.length > 0 && !own.some((p) => profiles.includes(p))) {
      ctx.drop(['services', name], { severity: 'info', message: `service not imported: its profiles (${own.join(', ')}) are not active`, hint: `add -p ${own[0] ?? ''} to import it` });
      continue;
    }
    const sid = dnsName(name);
    const clash = taken.get(sid);
    if (clash !== undefined) {
      ctx.drop(['services', name], { severity: 'error', message: `service name "${name}" becomes "${sid}", which "${clash}" already has`, hint: 'rename one of them' });
      continue;
    }
    taken.set(sid, name);
    if (sid !== name) ctx.note(['services', name], { severity: 'info', message: `service "${name}" → "${sid}" (Kubernetes names are DNS-1123 labels)` });
    const kind = workloadKind(svc);
    const { ports, fixed } = kind === 'service' ? plannedPorts(ctx, name, svc) : { ports: [], fixed: false };
    infos.set(name, { compose: name, sid, kind, firstPort: ports[0]?.name, ports, fixedPorts: fixed });
  }
  return infos;
}

/** Ports computed ahead of conversion (on a scratch context) so that depends_on and env references can name them. */
function plannedPorts(ctx: ImportContext, name: string, svc: Record<string, unknown>): { ports: PortSpec[]; fixed: boolean } {
  const xs = svc['x-slipway'];
  if (isRecord(xs) && Array.isArray(xs['ports'])) {
    const own = xs['ports'].filter((p): p is Record<string, unknown> => isRecord(p) && typeof p['name'] === 'string' && typeof p['port'] === 'number');
    return { ports: own.map((p) => ({ name: String(p['name']), port: Number(p['port']), ...(p['protocol'] === 'UDP' || p['protocol'] === 'SCTP' ? { protocol: p['protocol'] } : {}) })), fixed: true };
  }
  const scratch = new ImportContext(ctx.positionOf);
  const set = new PortSet();
  convertPorts(scratch, ['services', name, 'ports'], svc['ports'], set);
  convertExpose(scratch, ['services', name, 'expose'], svc['expose'], set);
  // No ports in the compose file: the known-images table's (a database listening on its usual port).
  return { ports: set.ports.length > 0 ? set.ports : defaultPorts(svc, isRecord(xs) ? xs : {}), fixed: false };
}

function connectionTargets(planned: ReadonlyMap<string, PlannedService>, svcData: Record<string, unknown>): Map<string, ConnectionTarget> {
  const out = new Map<string, ConnectionTarget>();
  for (const [name, p] of planned) {
    const svc = svcData[name];
    if (!isRecord(svc)) continue;
    out.set(name, { compose: name, sid: p.sid, kind: p.kind, ports: p.ports, fixedPorts: p.fixedPorts, published: publishedPorts(svc['ports']), aliases: aliasesOf(svc) });
  }
  return out;
}

/** A caller's env values: its `environment` (interpolated; bare keys from the variables) and its env files. */
function envSources(s: SharedState, caller: string, svc: unknown): EnvSource[] {
  if (!isRecord(svc)) return [];
  const out: EnvSource[] = [];
  const base: Path = ['services', caller];
  const env = svc['environment'];
  const own = (k: string): string | undefined => (Object.hasOwn(s.variables, k) ? s.variables[k] : undefined);
  if (Array.isArray(env)) {
    env.forEach((item: unknown, i) => {
      const t = str(item);
      const eq = t.indexOf('=');
      const key = eq < 0 ? t : t.slice(0, eq);
      const value = eq < 0 ? own(key) : t.slice(eq + 1);
      if (value !== undefined) out.push({ key, value, path: [...base, 'environment', i] });
    });
  } else if (isRecord(env)) {
    for (const [key, v] of Object.entries(env)) {
      const value = v === null || v === undefined ? own(key) : str(v);
      if (value !== undefined) out.push({ key, value, path: [...base, 'environment', key] });
    }
  }
  const files = svc['env_file'];
  const refs: [string, Path][] = typeof files === 'string' ? [[files, [...base, 'env_file']]] : Array.isArray(files) ? files.flatMap((f: unknown, i): [string, Path][] => (typeof f === 'string' ? [[f, [...base, 'env_file', i]]] : isRecord(f) && typeof f['path'] === 'string' ? [[f['path'], [...base, 'env_file', i]]] : [])) : [];
  for (const [file, at] of refs) {
    const f = readEnvFile(s, file, at);
    for (const [key, value] of Object.entries(f?.values ?? {})) out.push({ key, value, path: at });
  }
  return out;
}

/** The plan with the ports env references add to a target (its first port may now exist). */
function withExtraPorts(planned: ReadonlyMap<string, PlannedService>, c: Connections): Map<string, ServiceInfo> {
  const out = new Map<string, ServiceInfo>();
  for (const [name, p] of planned) out.set(name, { compose: p.compose, sid: p.sid, kind: p.kind, firstPort: (c.portsOf.get(name) ?? p.ports)[0]?.name });
  return out;
}

/**
 * Keys in the order the slipway schema declares them (image, command, args, env, …), so that the
 * written file reads the same way for every service; a fresh copy so that no two places share an
 * object (which YAML output would turn into anchors).
 */
function ordered(v: Record<string, unknown>, schema: TSchema): Record<string, unknown> {
  const order = Object.keys((schema as { properties?: Record<string, unknown> }).properties ?? {});
  const out: Record<string, unknown> = {};
  // Own keys only, set as own properties: `__proto__` and `constructor` are keys like any other.
  for (const k of order) if (Object.hasOwn(v, k)) setOwn(out, k, v[k]);
  for (const k of Object.keys(v)) if (!Object.hasOwn(out, k)) setOwn(out, k, v[k]);
  // A JSON copy, not structuredClone: the latter keeps shared references.
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

/** Maps merge key by key, lists and scalars replace, null removes: the same rule as environments. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isRecord(base) || !isRecord(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) Reflect.deleteProperty(out, k);
    else setOwn(out, k, deepMerge(Object.hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}

function imageWithPolicy(image: unknown, pullPolicy: 'Always' | 'IfNotPresent' | 'Never'): ImageSpec | undefined {
  if (isRecord(image)) return { ...image, pullPolicy } as ImageSpec;
  if (typeof image !== 'string') return undefined;
  const at = image.indexOf('@');
  if (at >= 0) return { repository: image.slice(0, at), digest: image.slice(at + 1), pullPolicy };
  const colon = image.lastIndexOf(':');
  const tagged = colon > image.lastIndexOf('/');
  return tagged ? { repository: image.slice(0, colon), tag: image.slice(colon + 1), pullPolicy } : { repository: image, pullPolicy };
}

interface OverrideArgs {
  readonly ctx: ImportContext;
  readonly name: string;
  readonly svc: Record<string, unknown>;
  readonly draft: Draft;
  readonly info: ServiceInfo;
  readonly problems: SlipwayError[];
}

function applyOverrides(a: OverrideArgs): Draft {
  const xsRaw = a.svc['x-slipway'];
  const xs = isRecord(xsRaw) ? Object.fromEntries(Object.entries(xsRaw).filter(([k]) => k !== 'kind')) : {};
  const draft: Record<string, unknown> = { ...a.draft };
  const { __pullPolicy: pull, ...rest } = draft as { __pullPolicy?: 'Always' | 'IfNotPresent' | 'Never' };
  const merged = deepMerge(rest, xs) as Record<string, unknown>;
  if (pull !== undefined && xs['image'] === undefined) {
    const img = imageWithPolicy(merged['image'], pull);
    if (img !== undefined) merged['image'] = img;
  }
  if (merged['image'] === undefined) {
    merged['image'] = a.svc['build'] === undefined ? a.info.sid : `${a.info.sid}:${BUILD_TAG}`;
    if (a.svc['build'] === undefined) a.ctx.note(['services', a.name], { severity: 'error', message: 'service has neither image nor build', hint: 'add image: REPO:TAG (or x-slipway: { image: ... })' });
    else a.ctx.note(['services', a.name, 'build'], { severity: 'info', message: `no image: named "${a.info.sid}:${BUILD_TAG}"; CI builds it from build.context`, hint: `set the registry path via x-slipway: { image: registry/name }; ${BUILD_TAG_HINT}` });
  }
  const schema: TSchema = a.info.kind === 'service' ? Service : a.info.kind === 'job' ? Job : CronJob;
  for (const err of Value.Errors(schema, merged)) {
    const segs: (string | number)[] = err.path.split('/').slice(1).map((x) => (/^\d+$/.test(x) ? Number(x) : x.replace(/~1/g, '/').replace(/~0/g, '~')));
    const fromOverride = segs.length > 0 && String(segs[0]) in xs;
    const path: Path = fromOverride ? ['services', a.name, 'x-slipway', ...segs] : ['services', a.name];
    const problem = inputError(`${fromOverride ? 'x-slipway' : 'generated spec'}: ${err.message}`, {
      cause: err,
      position: a.ctx.positionOf(path),
      path: formatPath(path),
      expected: err.schema.description ?? `a valid value for ${err.path || 'the service'}`,
      hint: fromOverride ? 'x-slipway takes the fields of a slipway service (see `slipway schema`)' : 'set the field explicitly via x-slipway',
    });
    if (fromOverride) a.problems.push(problem);
    else a.ctx.note(['services', a.name], { severity: 'error', message: `${problem.message} at ${err.path}`, hint: problem.hint });
    if (a.problems.length > 50) break;
  }
  return merged;
}

/** Top-level keys with a translation; services/volumes/secrets/configs are accounted per entry. */
export const HANDLED_TOP_LEVEL = ['name', 'version', 'x-slipway'];

function topLevel(s: SharedState, variables: Readonly<Record<string, string>>): void {
  const { ctx, data } = s;
  for (const key of Object.keys(data)) {
    if (key === 'services') continue;
    if (HANDLED_TOP_LEVEL.includes(key)) ctx.consume([key]);
    else if (key === 'volumes') topVolumes(s);
    else if (key === 'secrets') topSecrets(s);
    else if (key === 'configs') topConfigs(s, variables);
    else if (key.startsWith('x-')) ctx.drop([key], { severity: 'info', message: 'extension field: not translated itself (anything aliased from it is accounted where it is used)' });
    else ctx.drop([key], UNSUPPORTED_TOP_LEVEL[key] ?? { severity: 'warning', message: `top-level ${key} is not translated` });
  }
}

function eachTop(s: SharedState, kind: 'volumes' | 'secrets' | 'configs', used: (name: string) => boolean, visit: (name: string, def: Record<string, unknown>, path: Path) => void): void {
  const top = s.data[kind];
  if (!isRecord(top)) return;
  for (const [name, def] of Object.entries(top)) {
    const path: Path = [kind, name];
    if (!used(name)) {
      s.ctx.drop(path, { severity: 'info', message: `not used by any imported service` });
      continue;
    }
    if (!isRecord(def) || Object.keys(def).length === 0) {
      s.ctx.consume(path);
      continue;
    }
    visit(name, def, path);
  }
}

function topVolumes(s: SharedState): void {
  eachTop(s, 'volumes', (n) => s.used.volumes.has(n), (_name, def, path) => {
    for (const key of Object.keys(def)) {
      const kp = [...path, key];
      if (key === 'external') s.ctx.drop(kp, { severity: 'warning', message: 'external volume: slipway creates a new PersistentVolumeClaim; existing data is not migrated', hint: 'copy the data in, or bind a pre-created PersistentVolume' });
      else if (key === 'driver' || key === 'driver_opts') s.ctx.drop(kp, { severity: 'warning', message: `volume ${key} is not translated`, hint: 'pick a storageClass via x-slipway volumes' });
      else s.ctx.drop(kp, { severity: 'info', message: `volume ${key} is not translated` });
    }
  });
  for (const [name, users] of s.used.volumes) {
    if (new Set(users).size > 1) {
      s.ctx.note(['volumes', name], { severity: 'warning', message: `shared by ${[...new Set(users)].join(', ')}: each gets its own PersistentVolumeClaim, so data is not shared`, hint: 'share data through a service (database, object store) instead of a disk' });
    }
  }
  for (const [name] of s.used.volumes) s.ctx.note(['volumes', name], { severity: 'info', message: 'named volume → a PersistentVolumeClaim per replica: the service becomes a StatefulSet', hint: 'set size and storageClass via x-slipway volumes' });
}

function topSecrets(s: SharedState): void {
  eachTop(s, 'secrets', (n) => s.used.secrets.has(n), (name, def, path) => {
    const secretName = dnsName(typeof def['name'] === 'string' ? def['name'] : name);
    for (const key of Object.keys(def)) {
      const kp = [...path, key];
      const v = def[key];
      if (key === 'file') s.ctx.noteConsumed(kp, { severity: 'info', message: `Secret "${secretName}" is referenced, not created: slipway never handles secret values`, hint: `kubectl create secret generic ${secretName} --from-file=${name}=${String(v)}` });
      else if (key === 'environment') s.ctx.noteConsumed(kp, { severity: 'info', message: `Secret "${secretName}" is referenced, not created`, hint: `kubectl create secret generic ${secretName} --from-literal=${name}="$${String(v)}"` });
      else if (key === 'external' || key === 'name') s.ctx.consume(kp);
      else if (key === 'content') s.ctx.noteConsumed(kp, { severity: 'warning', message: 'inline secret content is not copied into slipway.yaml', hint: `create Secret ${secretName} with key ${name}` });
      else s.ctx.drop(kp, { severity: 'info', message: `secret ${key} is not translated` });
    }
  });
}

function topConfigs(s: SharedState, variables: Readonly<Record<string, string>>): void {
  eachTop(s, 'configs', (n) => s.used.configs.has(n), (name, def, path) => {
    const cmName = dnsName(typeof def['name'] === 'string' ? def['name'] : name);
    const key = configKey(def, name);
    for (const k of Object.keys(def)) {
      const kp = [...path, k];
      const v = def[k];
      if (k === 'file') {
        const content = s.readFile(String(v), kp);
        if (content === undefined) s.ctx.drop(kp, { severity: 'error', message: `config file "${String(v)}" not found`, hint: `create it, or create ConfigMap ${cmName} yourself` });
        else {
          s.configMaps[cmName] = { data: { [key]: content } };
          s.ctx.consume(kp);
        }
      } else if (k === 'content') {
        s.configMaps[cmName] = { data: { [key]: String(v) } };
        s.ctx.consume(kp);
      } else if (k === 'environment') {
        const val = variables[String(v)];
        if (val === undefined) s.ctx.drop(kp, { severity: 'error', message: `variable ${String(v)} is not set` });
        else {
          s.configMaps[cmName] = { data: { [key]: val } };
          s.ctx.consume(kp);
        }
      } else if (k === 'external') {
        // Declared as external, so the reference validates: slipway only references it.
        if (v === true) s.configMaps[cmName] = { external: true };
        s.ctx.noteConsumed(kp, { severity: 'info', message: `ConfigMap "${cmName}" must exist in the namespace` });
      }
      else if (k === 'name') s.ctx.consume(kp);
      else s.ctx.drop(kp, { severity: 'info', message: `config ${k} is not translated` });
    }
  });
}

/** Unset variables are reported where they were used, if that key made it into the spec. */
function reportVariables(ctx: ImportContext, loaded: LoadedCompose): void {
  const dropped = new Set(ctx.report.filter((e) => !e.converted).map((e) => e.path));
  const live = (p: Path): boolean => {
    for (let i = p.length; i > 0; i--) {
      const f = formatPath(p.slice(0, i));
      if (dropped.has(f)) return false;
      if (ctx.consumed.has(f)) return true;
    }
    return false;
  };
  for (const u of loaded.unsetVariables) {
    if (live(u.path)) ctx.note(u.path, { severity: 'warning', message: `variable ${u.name} is not set; it became "" (as in compose)`, hint: `set ${u.name} in the environment or .env and import again, or give a default: \${${u.name}:-value}` });
  }
  for (const r of loaded.requiredVariables) {
    if (live(r.path)) ctx.note(r.path, { severity: 'error', message: `required variable ${r.name} is not set: ${r.message}`, hint: `set ${r.name} and import again` });
  }
}

interface AssembleArgs {
  readonly app: string;
  readonly services: Record<string, ServiceSpec>;
  readonly jobs: Record<string, JobSpec>;
  readonly cronJobs: Record<string, CronJobSpec>;
  readonly s: SharedState;
  readonly input: ComposeImportInput;
  readonly data: Record<string, unknown>;
  readonly loaded: LoadedCompose;
  readonly problems: SlipwayError[];
  readonly singleInstance: ReadonlySet<string>;
}

function sorted<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}

function assemble(a: AssembleArgs): AppSpec {
  const spec: Record<string, unknown> = { app: a.app, services: a.services };
  if (Object.keys(a.jobs).length > 0) spec['jobs'] = a.jobs;
  if (Object.keys(a.cronJobs).length > 0) spec['cronJobs'] = a.cronJobs;
  if (Object.keys(a.s.configMaps).length > 0) spec['configMaps'] = sorted(a.s.configMaps);
  if (Object.keys(a.s.secrets).length > 0) spec['secrets'] = sorted(a.s.secrets);
  const envs = a.input.environments ?? (a.input.envName !== undefined ? [a.input.envName] : []);
  if (envs.length > 0) spec['environments'] = scaffoldEnvironments({ app: a.app, environments: envs, services: a.services, jobs: a.jobs, cronJobs: a.cronJobs, singleInstance: a.singleInstance });
  const xs = a.data['x-slipway'];
  const merged = isRecord(xs) ? (deepMerge(spec, xs) as Record<string, unknown>) : spec;
  // Only x-slipway overrides can make the spec invalid here (the rest is built by the importer),
  // so a file without them skips this walk over the whole spec.
  for (const err of isRecord(xs) ? Value.Errors(AppSpec, merged) : []) {
    const segs = err.path.split('/').slice(1);
    if (!isRecord(xs) || segs.length === 0 || !((segs[0] ?? '') in xs)) continue;
    const path: Path = ['x-slipway', ...segs.map((x) => (/^\d+$/.test(x) ? Number(x) : x))];
    a.problems.push(inputError(`x-slipway: ${err.message}`, { cause: err, position: a.loaded.positionOf(path), path: formatPath(path), expected: err.schema.description ?? 'a valid slipway app field', hint: 'top-level x-slipway takes app, namespace, labels and environments of slipway.yaml' }));
  }
  return JSON.parse(JSON.stringify(merged)) as AppSpec;
}
