/**
 * Keeping secret values out of slipway.yaml. The importer moves a credential to a Secret reference
 * wherever compose wrote it (src/appspec/credentials.ts says what is one):
 * - `environment:` a credential-named key, a value built from a credential-named variable of `.env`
 *   (`WEBPASSWORD=${PIHOLE_PW}`), and the password of a URL (`mysql://root:secret@db/app` →
 *   `mysql://root:$(DATABASE_URL_PASSWORD)@db/app`, which Kubernetes expands from an earlier env var);
 * - `env_file:` credential keys go to a Secret loaded with envFrom, the rest stays a ConfigMap;
 * - a healthcheck, command or entrypoint that repeats a moved value reads it from the environment
 *   instead (`$VAR` through `sh -c` in a probe, `$(VAR)` in command/args);
 * - a `configs:` file that holds one becomes a Secret mount.
 * Every Secret is listed in the report with the `kubectl create secret` command that creates it.
 * The values themselves are never written; a last sweep over the spec makes sure of it.
 */
import { isCredentialName } from '../credentials.ts';

/** Where a moved value is available in the container, as an env var. */
export interface SecretValue {
  readonly value: string;
  readonly envName: string;
}

/**
 * Occurrences of `value` in `text` that stand for it: not inside a longer word (`-pexample` after
 * a short option counts, `mysqladmin` for the value `mysql` does not). Values shorter than 3
 * characters are never matched: they are no credential, and would match by accident.
 */
export function occurrences(text: string, value: string): number[] {
  if (value.length < 3) return [];
  const out: number[] = [];
  const word = /[A-Za-z0-9_]/;
  for (let i = text.indexOf(value); i >= 0; i = text.indexOf(value, i + value.length)) {
    const before = i === 0 ? '' : text.charAt(i - 1);
    const after = text.charAt(i + value.length);
    const shortOption = /(^|[\s'"=])-[A-Za-z]$/.test(text.slice(Math.max(0, i - 3), i));
    if ((before === '' || !word.test(before) || shortOption) && (after === '' || !word.test(after))) out.push(i);
  }
  return out;
}

/** Replaces every occurrence of each secret value (longest first) by `ref(envName)`. */
function replaceAll(text: string, secrets: readonly SecretValue[], ref: (s: SecretValue, at: number, text: string) => string): { text: string; used: string[] } {
  const used: string[] = [];
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.value.length - a.value.length)) {
    const at = occurrences(out, s.value);
    if (at.length === 0) continue;
    used.push(s.envName);
    for (const i of [...at].reverse()) out = out.slice(0, i) + ref(s, i, out) + out.slice(i + s.value.length);
  }
  return { text: out, used };
}

/** Kubernetes expands `$(VAR)` in command and args from the container's env. */
export function argsWithoutSecrets(args: readonly string[], secrets: readonly SecretValue[]): { args: string[]; used: string[] } {
  const used = new Set<string>();
  const out = args.map((a) => {
    const r = replaceAll(a, secrets, (s) => `$(${s.envName})`);
    for (const u of r.used) used.add(u);
    return r.text;
  });
  return { args: out, used: [...used] };
}

/** Quote state at each offset of a POSIX shell script: `'` inside single quotes, `"` inside double, '' outside. */
function quoteState(script: string, at: number): "'" | '"' | '' {
  let q: "'" | '"' | '' = '';
  for (let i = 0; i < at; i++) {
    const c = script.charAt(i);
    if (q === '' && c === '\\') i++;
    else if (q === '"' && c === '\\') i++;
    else if (q === '' && (c === "'" || c === '"')) q = c;
    else if (q === c) q = '';
  }
  return q;
}

/** A shell script with each secret value replaced by its env var, quoted for where it stands. */
function shellWithoutSecrets(script: string, secrets: readonly SecretValue[]): { text: string; used: string[] } {
  return replaceAll(script, secrets, (s, at, text) => {
    const q = quoteState(text, at);
    return q === '"' ? `\${${s.envName}}` : q === "'" ? `'"\${${s.envName}}"'` : `"\${${s.envName}}"`;
  });
}

/** `'…'` quoting for one word. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * An exec probe command with no secret value in it. Probes expand no variables, so a command that
 * needs one runs through `sh -c` and reads it from the container's env (`"$MYSQL_ROOT_PASSWORD"`).
 */
export function probeWithoutSecrets(command: readonly string[], secrets: readonly SecretValue[]): { command: string[]; used: string[] } {
  if (command.length === 3 && command[0] === 'sh' && command[1] === '-c') {
    const r = shellWithoutSecrets(command[2] ?? '', secrets);
    return { command: ['sh', '-c', r.text], used: r.used };
  }
  const used = new Set<string>();
  const words = command.map((w) => {
    const r = replaceAll(w, secrets, (s) => `\0${s.envName}\0`);
    for (const u of r.used) used.add(u);
    if (r.used.length === 0) return shellQuote(w);
    // Literal parts quoted, each secret as "${VAR}".
    return r.text
      .split('\0')
      .map((part, i) => (i % 2 === 1 ? `"\${${part}}"` : part === '' ? '' : shellQuote(part)))
      .join('');
  });
  if (used.size === 0) return { command: [...command], used: [] };
  return { command: ['sh', '-c', `exec ${words.join(' ')}`], used: [...used] };
}

/** Where a secret value must not end up: every string of the spec, by path. */
export function findSecretValues(v: unknown, secrets: readonly { value: string; name: string }[], path: (string | number)[] = []): { path: (string | number)[]; name: string }[] {
  const out: { path: (string | number)[]; name: string }[] = [];
  const visit = (x: unknown, p: (string | number)[]): void => {
    if (typeof x === 'string') {
      for (const s of secrets) if (occurrences(x, s.value).length > 0) out.push({ path: p, name: s.name });
    } else if (Array.isArray(x)) x.forEach((item: unknown, i) => visit(item, [...p, i]));
    else if (typeof x === 'object' && x !== null) for (const [k, item] of Object.entries(x)) visit(item, [...p, k]);
  };
  visit(v, path);
  return out;
}

/** `kubectl create secret generic` for keys whose values the user has (slipway never writes them). */
export function createSecretCommand(name: string, keys: readonly string[], namespaces: readonly string[]): string {
  const literals = keys.map((k) => `--from-literal=${k}='…'`).join(' ');
  if (namespaces.length <= 1) return `kubectl create secret generic ${name}${namespaces[0] === undefined ? '' : ` -n ${namespaces[0]}`} ${literals}`;
  return `for ns in ${namespaces.join(' ')}; do kubectl create secret generic ${name} -n "$ns" ${literals}; done`;
}

/** Variables whose names say credential, among those given. */
export function credentialVariables(vars: Readonly<Record<string, string>>, names: Iterable<string>): SecretValue[] {
  const out: SecretValue[] = [];
  for (const name of new Set(names)) {
    const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (value !== undefined && value.length >= 3 && isCredentialName(name)) out.push({ value, envName: name });
  }
  return out;
}

/**
 * The strings of the compose file that are public anyway (image names, hosts, user names …): every
 * string except those at `isPrivate` paths (where credentials are, and the commands the importer
 * rewrites). A "password" that occurs in one of them (`POSTGRES_PASSWORD: postgres` next to
 * `image: postgres:16`) cannot be told apart from the public text: the importer still moves it to
 * the Secret, but does not rewrite or redact other text for it, and says so.
 */
export function publicStrings(data: unknown, isPrivate: (path: readonly (string | number)[]) => boolean): string[] {
  const out: string[] = [];
  const visit = (x: unknown, p: (string | number)[]): void => {
    if (isPrivate(p)) return;
    if (typeof x === 'string') out.push(x);
    else if (Array.isArray(x)) x.forEach((item: unknown, i) => visit(item, [...p, i]));
    else if (typeof x === 'object' && x !== null) for (const [k, item] of Object.entries(x)) visit(item, [...p, k]);
  };
  visit(data, []);
  return out;
}
