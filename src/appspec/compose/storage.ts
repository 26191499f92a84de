/**
 * `volumes`, `tmpfs`, `secrets`, `configs` and `env_file`: what a container mounts or loads.
 *
 * - Named volume → a persistent slipway volume (PVC per replica; the service becomes a
 *   StatefulSet). Anonymous volume and tmpfs → emptyDir. Bind mounts point at the compose host's
 *   disk, which a cluster does not have: they are reported, never silently dropped.
 * - secrets → a Secret per compose secret (`secrets:` reference; values are never read) mounted
 *   as a file at the compose path (/run/secrets/NAME by default).
 * - configs → a ConfigMap per compose config with the file's content, mounted at the compose
 *   target (/NAME by default).
 * - env_file → a ConfigMap per file (`envFile:` keeps the file the single source) + `envFrom`.
 * @see https://github.com/compose-spec/compose-spec/blob/main/07-volumes.md
 * @see https://github.com/compose-spec/compose-spec/blob/main/09-secrets.md
 */
import type { ServiceSpec, VolumeSpec } from '../schema.ts';
import { isLiteralCredential, urlPasswords } from '../credentials.ts';
import { dotenv as renderDotenv } from '../load.ts';
import { isRecord } from '../../manifest/index.ts';
import { dnsName, str, type ImportContext } from './context.ts';
import { dotenvValues, parseDotenvFile, type ParsedDotenv } from './dotenv.ts';
import type { MovedKey } from './env.ts';
import type { Path } from './load.ts';
import { credentialVariables, occurrences, type SecretValue } from './secrets.ts';

type EnvFromSpec = NonNullable<ServiceSpec['envFrom']>[number];

export interface SharedState {
  readonly ctx: ImportContext;
  readonly data: Record<string, unknown>;
  /**
   * Reads a referenced file (ComposeImportInput.readFile); `undefined` when it is missing or was
   * refused (a refusal is recorded as an input error at `at`, which fails the import).
   */
  readonly readFile: (path: string, at: Path) => string | undefined;
  readonly pathPrefix: string;
  readonly configMaps: Record<string, { data?: Record<string, string>; envFile?: string; external?: boolean }>;
  readonly secrets: Record<string, { keys?: string[]; description?: string }>;
  /** The interpolation variables: the project `.env` and the shell (the shell wins). */
  readonly variables: Readonly<Record<string, string>>;
  /** The namespaces of the environments the import creates, for the commands in the report. */
  readonly namespaces: readonly string[];
  /** Env files read so far (undefined: missing), by path as written. */
  readonly envFiles: Map<string, EnvFile | undefined>;
  /** Secrets the importer moved values to, with the keys (for the report's kubectl commands). */
  readonly movedSecrets: Map<string, { keys: MovedKey[]; where: string | undefined }>;
  /** Every value moved to a Secret, and under which name: none may appear in the written spec. */
  readonly secretValues: { value: string; name: string }[];
  /** The value also stands in public text of the compose file (see publicStrings in secrets.ts). */
  readonly guessable: (value: string) => boolean;
  /** Top-level volumes/secrets/configs used by an imported service, by compose name. */
  readonly used: { volumes: Map<string, string[]>; secrets: Set<string>; configs: Set<string> };
}

export interface Mount {
  path: string;
  content?: string;
  configMap?: string;
  key?: string;
  secret?: string;
}

const BIND_HINT = 'ship the files in the image, mount them via `configs:` (→ ConfigMap), or use a named volume';

function isBindSource(src: string): boolean {
  return src.startsWith('/') || src.startsWith('.') || src.startsWith('~') || src.includes('/') || /^[a-zA-Z]:\\/.test(src);
}

function posixJoin(prefix: string, p: string): string {
  const clean = p.replace(/^\.\//, '');
  return prefix === '' ? clean : `${prefix.replace(/\/?$/, '/')}${clean}`;
}

export function convertVolumes(s: SharedState, path: Path, value: unknown, out: VolumeSpec[]): void {
  if (!Array.isArray(value)) return;
  value.forEach((item: unknown, i) => {
    const p = [...path, i];
    if (typeof item === 'string') shortVolume(s, p, item, out);
    else if (isRecord(item)) longVolume(s, p, item, out);
  });
}

function uniqueName(base: string, out: VolumeSpec[]): string {
  let name = dnsName(base, 55);
  for (let n = 2; out.some((v) => v.name === name); n++) name = `${dnsName(base, 55)}-${n}`;
  return name;
}

function addNamed(s: SharedState, p: Path, source: string, target: string, out: VolumeSpec[]): boolean {
  const top = s.data['volumes'];
  if (!isRecord(top) || !(source in top)) {
    s.ctx.drop(p, { severity: 'error', message: `volume "${source}" is not declared under top-level volumes`, hint: 'declare it, or use a path for a bind mount' });
    return false;
  }
  out.push({ name: uniqueName(source, out), mountPath: target });
  const svc = String(p[1]);
  const users = s.used.volumes.get(source) ?? [];
  users.push(svc);
  s.used.volumes.set(source, users);
  return true;
}

function shortVolume(s: SharedState, p: Path, spec: string, out: VolumeSpec[]): void {
  const parts = spec.split(':');
  // Windows drive letters (C:\…) are the only colons inside a source; they are bind mounts anyway.
  const [a, b, mode] = parts.length >= 2 && /^[a-zA-Z]$/.test(parts[0] ?? '') ? [`${parts[0]}:${parts[1]}`, parts[2], parts[3]] : [parts[0], parts[1], parts[2]];
  if (b === undefined) {
    out.push({ name: uniqueName(`anon-${a ?? 'data'}`, out), mountPath: a ?? '/', type: 'emptyDir' });
    s.ctx.noteConsumed(p, { severity: 'info', message: 'anonymous volume → emptyDir: its data lives as long as the pod', hint: 'name the volume to make it persistent' });
    return;
  }
  if (a === undefined) return;
  if (isBindSource(a)) {
    s.ctx.drop(p, { severity: 'warning', message: `bind mount of host path "${a}" has no cluster equivalent`, hint: BIND_HINT });
    return;
  }
  if (!addNamed(s, p, a, b, out)) return;
  s.ctx.consume(p);
  if (mode !== undefined && mode.split(',').includes('ro')) {
    s.ctx.note(p, { severity: 'warning', message: 'read-only mode is not kept: slipway volumes are mounted read-write', hint: 'mount read-only data via configs: instead' });
  }
}

function longVolume(s: SharedState, p: Path, v: Record<string, unknown>, out: VolumeSpec[]): void {
  const type = str(v['type'] ?? 'volume');
  const target = typeof v['target'] === 'string' ? v['target'] : '';
  const source = typeof v['source'] === 'string' ? v['source'] : undefined;
  if (type === 'bind' || type === 'npipe' || type === 'cluster' || type === 'image') {
    s.ctx.drop(p, { severity: 'warning', message: `${type} mount${source === undefined ? '' : ` of "${source}"`} has no cluster equivalent`, hint: BIND_HINT });
    return;
  }
  if (type === 'tmpfs') {
    out.push({ name: uniqueName(`tmp-${target}`, out), mountPath: target, type: 'emptyDir' });
  } else if (source === undefined) {
    out.push({ name: uniqueName(`anon-${target}`, out), mountPath: target, type: 'emptyDir' });
  } else if (!addNamed(s, p, source, target, out)) {
    return;
  }
  for (const key of Object.keys(v)) {
    const kp = [...p, key];
    if (key === 'type' || key === 'source' || key === 'target') s.ctx.consume(kp);
    else if (key === 'read_only' && v[key] !== true) s.ctx.consume(kp);
    else if (key === 'read_only') s.ctx.drop(kp, { severity: 'warning', message: 'read_only is not kept: slipway volumes are mounted read-write' });
    else if (key === 'volume' && isRecord(v[key]) && Object.keys(v[key]).length === 0) s.ctx.consume(kp);
    else s.ctx.drop(kp, { severity: 'info', message: `volume option "${key}" is not translated` });
  }
  if (type === 'tmpfs') s.ctx.note(p, { severity: 'info', message: 'tmpfs → emptyDir (disk-backed unless the cluster sets medium: Memory)' });
}

export function convertTmpfs(s: SharedState, path: Path, value: unknown, out: VolumeSpec[]): void {
  const list = typeof value === 'string' ? [[path, value] as const] : Array.isArray(value) ? value.map((x: unknown, i) => [[...path, i], String(x)] as const) : [];
  for (const [p, spec] of list) {
    const target = spec.split(':')[0] ?? spec;
    out.push({ name: uniqueName(`tmp-${target}`, out), mountPath: target, type: 'emptyDir' });
    s.ctx.consume(p);
    if (spec.includes(':')) s.ctx.note(p, { severity: 'info', message: 'tmpfs options (size, mode) are not kept: emptyDir has no such settings in slipway' });
  }
}

interface FileRef {
  source: string;
  target: string;
}

function fileRefs(s: SharedState, path: Path, value: unknown, defaultDir: string): { ref: FileRef; path: Path }[] {
  if (!Array.isArray(value)) return [];
  const out: { ref: FileRef; path: Path }[] = [];
  value.forEach((item: unknown, i) => {
    const p = [...path, i];
    if (typeof item === 'string') {
      out.push({ ref: { source: item, target: `${defaultDir}${item}` }, path: p });
    } else if (isRecord(item) && typeof item['source'] === 'string') {
      const t = typeof item['target'] === 'string' ? item['target'] : item['source'];
      out.push({ ref: { source: item['source'], target: t.startsWith('/') ? t : `${defaultDir}${t}` }, path: p });
      for (const key of Object.keys(item)) {
        if (key === 'source' || key === 'target') s.ctx.consume([...p, key]);
        else s.ctx.drop([...p, key], { severity: 'info', message: `${key} is not translated: mounted files are owned by the pod's fsGroup, mode 0644`, hint: 'the pod runs as a non-root uid; make the app read the file as that uid' });
      }
    }
  });
  return out;
}

/** Marks the whole item consumed when it is a string; long forms consume their keys in fileRefs. */
function consumeItem(s: SharedState, p: Path, value: unknown): void {
  const idx = p.at(-1);
  if (Array.isArray(value) && typeof idx === 'number' && typeof value[idx] === 'string') s.ctx.consume(p);
}

export function convertSecrets(s: SharedState, path: Path, value: unknown, mounts: Mount[]): void {
  const top = s.data['secrets'];
  for (const { ref, path: p } of fileRefs(s, path, value, '/run/secrets/')) {
    const def = isRecord(top) ? top[ref.source] : undefined;
    if (!isRecord(def)) {
      s.ctx.drop(p, { severity: 'error', message: `secret "${ref.source}" is not declared under top-level secrets` });
      continue;
    }
    const name = dnsName(typeof def['name'] === 'string' ? def['name'] : ref.source);
    s.secrets[name] = { keys: [ref.source], description: `compose secret "${ref.source}"` };
    s.used.secrets.add(ref.source);
    mounts.push({ path: ref.target, secret: name, key: ref.source });
    consumeItem(s, p, value);
  }
}

export function convertConfigs(s: SharedState, path: Path, value: unknown, mounts: Mount[]): void {
  const top = s.data['configs'];
  for (const { ref, path: p } of fileRefs(s, path, value, '/')) {
    const def = isRecord(top) ? top[ref.source] : undefined;
    if (!isRecord(def)) {
      s.ctx.drop(p, { severity: 'error', message: `config "${ref.source}" is not declared under top-level configs` });
      continue;
    }
    const name = dnsName(typeof def['name'] === 'string' ? def['name'] : ref.source);
    const key = configKey(def, ref.source);
    s.used.configs.add(ref.source);
    mounts.push({ path: ref.target, configMap: name, key });
    consumeItem(s, p, value);
  }
}

export function configKey(def: Record<string, unknown>, source: string): string {
  const file = typeof def['file'] === 'string' ? def['file'] : undefined;
  const base = file === undefined ? source : (file.split('/').pop() ?? source);
  return base.replace(/[^-._a-zA-Z0-9]/g, '_');
}

/** A ConfigMap name for an env file path: `.env.app` → `env-app`, `config/app.env` → `config-app-env`. */
function envFileConfigMapName(file: string): string {
  return dnsName(file.replace(/^\.\//, ''));
}

/** An env file as read once for the whole import: parsed the way compose parses it, interpolated. */
interface EnvFile {
  readonly parsed: ParsedDotenv;
  /** The last value of each key. */
  readonly values: Record<string, string>;
  /** Keys that must not be in a ConfigMap, with why. */
  readonly credentials: ReadonlyMap<string, string>;
  /** Why the ConfigMap cannot just point at the file (render would read other values), or undefined. */
  readonly inlineBecause: string | undefined;
}

/**
 * Reads and parses an env file once (several services share one), reporting its syntax problems
 * (an error: compose refuses the file) and unset variables at the reference that first reads it.
 */
export function readEnvFile(s: SharedState, file: string, at: Path): EnvFile | undefined {
  if (s.envFiles.has(file)) return s.envFiles.get(file);
  const content = s.readFile(file, at);
  if (content === undefined) {
    s.envFiles.set(file, undefined);
    return undefined;
  }
  const parsed = parseDotenvFile(content, s.variables);
  const values = dotenvValues(parsed);
  for (const p of parsed.problems) s.ctx.note(at, { severity: 'error', message: `${file}:${p.line}: ${p.message}`, hint: 'fix the env file: compose refuses it too' });
  for (const e of parsed.entries) {
    for (const name of e.unset) s.ctx.note(at, { severity: 'warning', message: `${file}:${e.line}: variable ${name} in ${e.key} is not set; it became "" (as in compose)`, hint: `set ${name} in the environment or .env and import again, or give a default: \${${name}:-value}` });
    for (const r of e.required) s.ctx.note(at, { severity: 'error', message: `${file}:${e.line}: required variable ${r.name} in ${e.key} is not set: ${r.message}`, hint: `set ${r.name} and import again` });
  }
  const credentials = new Map<string, string>();
  const byKey = new Map(parsed.entries.map((e) => [e.key, e]));
  for (const [key, value] of Object.entries(values)) {
    const used = credentialVariables(s.variables, byKey.get(key)?.variables ?? []).find((c) => occurrences(value, c.value).length > 0);
    if (isLiteralCredential(key, value)) credentials.set(key, 'its name says it is a credential');
    else if (urlPasswords(value).length > 0) credentials.set(key, 'it is a URL with a password');
    else if (used !== undefined) credentials.set(key, `its value uses \${${used.envName}}, a credential`);
  }
  const interpolated = parsed.entries.filter((e) => e.interpolated || e.inherited).map((e) => e.key);
  const renderReads = renderDotenv(content);
  const differs = Object.keys(values).length !== Object.keys(renderReads).length || Object.entries(values).some(([k, v]) => renderReads[k] !== v);
  const inlineBecause =
    interpolated.length > 0
      ? `compose interpolates ${interpolated.slice(0, 3).join(', ')}${interpolated.length > 3 ? ', …' : ''} from variables only the import knows`
      : differs
        ? 'compose reads some of its values differently from a plain dotenv reader'
        : undefined;
  const f: EnvFile = { parsed, values, credentials, inlineBecause };
  s.envFiles.set(file, f);
  return f;
}

/**
 * env_file → a ConfigMap per file (`envFile:` keeps the file the single source) + `envFrom`. The
 * ConfigMap gets the file's values inline instead (`data:`) when render could not read the same
 * values from the file: compose interpolates variables in it, or slipway.yaml is written where the
 * file is out of reach. Credential keys never go into the ConfigMap: they go to a Secret
 * `<configmap>-secret`, loaded with envFrom as well.
 */
export function convertEnvFile(s: SharedState, path: Path, value: unknown, h: { envFrom: EnvFromSpec[]; secretValues: SecretValue[] }): void {
  const items: { file: string; required: boolean; p: Path; long: boolean }[] = [];
  if (typeof value === 'string') items.push({ file: value, required: true, p: path, long: false });
  else if (Array.isArray(value))
    value.forEach((it: unknown, i) => {
      if (typeof it === 'string') items.push({ file: it, required: true, p: [...path, i], long: false });
      else if (isRecord(it) && typeof it['path'] === 'string') items.push({ file: it['path'], required: it['required'] !== false, p: [...path, i], long: true });
    });
  for (const it of items) {
    const f = readEnvFile(s, it.file, it.p);
    if (f === undefined) {
      if (it.required) s.ctx.drop(it.p, { severity: 'error', message: `env file "${it.file}" not found`, hint: 'create it, or mark it `required: false`' });
      else s.ctx.drop(it.p, { severity: 'info', message: `optional env file "${it.file}" not found; skipped` });
      continue;
    }
    if (it.long) {
      const rec = (value as Record<string, unknown>[])[Number(it.p.at(-1))] ?? {};
      for (const key of Object.keys(rec)) {
        if (key === 'format' && rec[key] !== 'raw' && rec[key] !== undefined) s.ctx.drop([...it.p, key], { severity: 'warning', message: `env file format "${str(rec[key])}" is not supported; read as dotenv` });
        else s.ctx.consume([...it.p, key]);
      }
    } else s.ctx.consume(it.p);
    const name = envFileConfigMapName(it.file);
    const envFile = posixJoin(s.pathPrefix, it.file);
    const config = Object.entries(f.values).filter(([k]) => !f.credentials.has(k));
    const outside = envFile.startsWith('../');
    const because = f.credentials.size > 0 ? 'its credentials are kept out of it' : (f.inlineBecause ?? (outside ? `slipway.yaml is written outside the compose file's directory, where render cannot read ${it.file}` : undefined));
    if (config.length > 0) {
      const first = !Object.hasOwn(s.configMaps, name);
      if (because === undefined) s.configMaps[name] = { envFile };
      else {
        s.configMaps[name] = { data: Object.fromEntries(config) };
        if (first) s.ctx.note(it.p, { severity: 'info', message: `ConfigMap "${name}" holds the values of ${it.file} inline (data:), not a reference to the file: ${because}`, hint: `edit the values in slipway.yaml, or change ${it.file} and import again` });
      }
      if (!h.envFrom.some((e) => 'configMap' in e && e.configMap === name)) h.envFrom.push({ configMap: name });
    }
    if (f.credentials.size > 0) {
      const secret = `${name}-secret`;
      const keys = [...f.credentials.keys()];
      s.secrets[secret] = { keys, description: `credentials of ${it.file}, kept out of ConfigMap ${name}` };
      moveToSecret(s, secret, keys.map((k) => ({ key: k, path: it.p, why: `${it.file}: ${f.credentials.get(k) ?? ''}` })), `values are in ${it.file}`);
      if (!h.envFrom.some((e) => 'secret' in e && e.secret === secret)) h.envFrom.push({ secret });
      for (const k of keys) h.secretValues.push({ value: f.values[k] ?? '', envName: k });
    }
  }
}

/**
 * Records keys moved to Secret `name` for the report (one entry per Secret, with the command that
 * creates it) and their values for the last sweep over the spec.
 */
export function moveToSecret(s: SharedState, name: string, keys: readonly MovedKey[], where?: string): void {
  const entry = s.movedSecrets.get(name) ?? { keys: [], where };
  for (const k of keys) if (!entry.keys.some((x) => x.key === k.key)) entry.keys.push(k);
  s.movedSecrets.set(name, entry);
}
