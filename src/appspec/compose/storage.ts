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
import { parse as parseDotenv } from 'dotenv';
import type { VolumeSpec } from '../schema.ts';
import { isRecord } from '../../manifest/index.ts';
import { dnsName, str, type ImportContext } from './context.ts';
import type { Path } from './load.ts';

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

export function convertEnvFile(s: SharedState, path: Path, value: unknown, envFrom: { configMap: string }[]): void {
  const items: { file: string; required: boolean; p: Path; long: boolean }[] = [];
  if (typeof value === 'string') items.push({ file: value, required: true, p: path, long: false });
  else if (Array.isArray(value))
    value.forEach((it: unknown, i) => {
      if (typeof it === 'string') items.push({ file: it, required: true, p: [...path, i], long: false });
      else if (isRecord(it) && typeof it['path'] === 'string') items.push({ file: it['path'], required: it['required'] !== false, p: [...path, i], long: true });
    });
  for (const it of items) {
    const content = s.readFile(it.file, it.p);
    if (content === undefined) {
      if (it.required) s.ctx.drop(it.p, { severity: 'error', message: `env file "${it.file}" not found`, hint: 'create it, or mark it `required: false`' });
      else s.ctx.drop(it.p, { severity: 'info', message: `optional env file "${it.file}" not found; skipped` });
      continue;
    }
    const name = envFileConfigMapName(it.file);
    const envFile = posixJoin(s.pathPrefix, it.file);
    s.configMaps[name] = { envFile };
    if (envFile.startsWith('../')) {
      // render reads envFiles only inside slipway.yaml's directory (or SLIPWAY_PROJECT_ROOT).
      s.ctx.note(it.p, {
        severity: 'warning',
        message: `slipway.yaml will refer to ${envFile}, outside its own directory: render refuses files outside the project root`,
        hint: 'write slipway.yaml next to the compose file (or above it), or set SLIPWAY_PROJECT_ROOT to a directory that holds both when you render',
      });
    }
    if (!envFrom.some((e) => e.configMap === name)) envFrom.push({ configMap: name });
    if (it.long) {
      const rec = (value as Record<string, unknown>[])[Number(it.p.at(-1))] ?? {};
      for (const key of Object.keys(rec)) {
        if (key === 'format' && rec[key] !== 'raw' && rec[key] !== undefined) s.ctx.drop([...it.p, key], { severity: 'warning', message: `env file format "${str(rec[key])}" is not supported; read as dotenv` });
        else s.ctx.consume([...it.p, key]);
      }
    } else s.ctx.consume(it.p);
    const secretish = Object.keys(parseDotenv(content)).filter(looksSecret);
    if (secretish.length > 0) {
      s.ctx.note(it.p, {
        severity: 'warning',
        message: `env file "${it.file}" holds ${secretish.join(', ')}, which look${secretish.length === 1 ? 's' : ''} secret; a ConfigMap is readable by anyone who can read the namespace`,
        hint: 'move those keys to a Secret and reference them with `env: { KEY: { secret: NAME, key: KEY } }`',
      });
    }
  }
}

/**
 * Names that conventionally hold credentials, judged by whole words (`DB_PASSWORD`, `API_KEY`,
 * `githubToken`) so that `LOCAL_MODE_PASSWORDLESS` or `TOKEN_TTL` do not count. `*_FILE` and
 * `*_PATH` names hold a path to a credential, which is fine.
 */
export function looksSecret(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((w) => w !== '');
  const last = words.at(-1) ?? '';
  if (['FILE', 'PATH', 'DIR', 'TTL', 'EXPIRY', 'EXPIRES', 'LENGTH', 'HEADER', 'URL', 'ENABLED', 'USER', 'USERNAME', 'NAME'].includes(last)) return false;
  const pairs = words.slice(1).map((w, i) => `${words[i] ?? ''}_${w}`);
  return (
    words.some((w) => ['PASSWORD', 'PASSWD', 'PWD', 'PASS', 'SECRET', 'TOKEN', 'CREDENTIALS', 'CREDENTIAL', 'APIKEY'].includes(w)) ||
    pairs.some((p) => ['API_KEY', 'PRIVATE_KEY', 'ACCESS_KEY', 'SECRET_KEY', 'AUTH_KEY', 'ENCRYPTION_KEY', 'SIGNING_KEY'].includes(p))
  );
}
