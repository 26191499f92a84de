/**
 * `environment` (map or `KEY=VALUE` list) → `env`. A bare `KEY` (or `KEY:` with no value) takes
 * its value from the shell in compose; here it comes from the interpolation variables, and is
 * reported when they do not have it. Credentials are never copied into slipway.yaml (see
 * secrets.ts): a credential-named key, a value built from a credential-named variable, and the
 * password of a URL become references to a Secret the user creates.
 */
import type { EnvValueSpec } from '../schema.ts';
import { isLiteralCredential, urlPasswords } from '../credentials.ts';
import { isRecord, setOwn } from '../../manifest/index.ts';
import { str, type ImportContext } from './context.ts';
import { formatPath, type Path } from './load.ts';
import { occurrences, type SecretValue } from './secrets.ts';

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A key moved to a Secret, and why (for the report). */
export interface MovedKey {
  readonly key: string;
  readonly path: Path;
  readonly why: string;
}

export interface EnvResult {
  env: Record<string, EnvValueSpec>;
  /** Keys moved to the service's Secret. */
  secretKeys: MovedKey[];
  /** Moved values and the env var that now holds each (to keep them out of probes and commands). */
  secretValues: SecretValue[];
}

interface EnvOpts {
  readonly ctx: ImportContext;
  readonly variables: Readonly<Record<string, string>>;
  /** Name of the Secret that receives credential-looking values. */
  readonly secretName: string;
  /** Credential-named variables (from `.env` or the shell) whose values went into the string at a path. */
  readonly credentialVarsAt: (path: Path) => readonly SecretValue[];
}

interface Entry {
  readonly key: string;
  readonly value: string | undefined;
  readonly p: Path;
}

export function convertEnvironment(o: EnvOpts, path: Path, value: unknown): EnvResult {
  const out: EnvResult = { env: {}, secretKeys: [], secretValues: [] };
  const entries: Entry[] = [];
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => {
      const s = str(item);
      const eq = s.indexOf('=');
      entries.push(eq < 0 ? { key: s, value: undefined, p: [...path, i] } : { key: s.slice(0, eq), value: s.slice(eq + 1), p: [...path, i] });
    });
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) entries.push({ key: k, value: v === null || v === undefined ? undefined : str(v), p: [...path, k] });
  }
  const keys = new Set(entries.map((e) => e.key));
  const firstAt = new Map<string, Path>();
  for (const e of entries) {
    const first = firstAt.get(e.key);
    if (first !== undefined && Array.isArray(value)) {
      // The list form can name a key twice; compose keeps the last. Point at the item that wins.
      o.ctx.note(e.p, { severity: 'warning', message: `${e.key} is set again here (first at ${formatPath(first)}); this later value wins, as in compose`, hint: `remove one of the two ${e.key} items` });
    }
    if (first === undefined) firstAt.set(e.key, e.p);
    addEntry(o, e, out, keys);
  }
  return out;
}

/** `DATABASE_URL` → `DATABASE_URL_PASSWORD`, unless the service already has such a variable. */
function passwordKey(key: string, taken: Set<string>): string {
  let name = `${key}_PASSWORD`;
  for (let n = 2; taken.has(name); n++) name = `${key}_PASSWORD_${n}`;
  taken.add(name);
  return name;
}

function toSecret(o: EnvOpts, out: EnvResult, e: Entry, value: string, why: string): void {
  setOwn(out.env, e.key, { secret: o.secretName, key: e.key });
  out.secretKeys.push({ key: e.key, path: e.p, why });
  out.secretValues.push({ value, envName: e.key });
}

function addEntry(o: EnvOpts, e: Entry, out: EnvResult, taken: Set<string>): void {
  if (!ENV_NAME.test(e.key)) {
    o.ctx.drop(e.p, { severity: 'error', message: `"${e.key}" is not a valid environment variable name for Kubernetes`, hint: 'use letters, digits, "_", "-" and "."; not starting with a digit' });
    return;
  }
  const v = e.value ?? (Object.hasOwn(o.variables, e.key) ? o.variables[e.key] : undefined);
  if (v === undefined) {
    o.ctx.drop(e.p, { severity: 'warning', message: `${e.key} has no value: compose takes it from the shell, which has none here`, hint: `set ${e.key} when importing, or give it a value` });
    return;
  }
  o.ctx.consume(e.p);
  if (Object.hasOwn(out.env, e.key)) Reflect.deleteProperty(out.env, e.key);
  if (isLiteralCredential(e.key, v)) {
    toSecret(o, out, e, v, 'its name says it is a credential');
    return;
  }
  const passwords = urlPasswords(v);
  let rewritten = v;
  // Right to left, so that earlier offsets stay valid; the password variables come first in env
  // (Kubernetes expands $(VAR) only from variables defined before).
  const added: [string, string][] = [];
  for (const pw of [...passwords].reverse()) {
    const name = passwordKey(e.key, taken);
    rewritten = `${rewritten.slice(0, pw.start)}$(${name})${rewritten.slice(pw.end)}`;
    added.unshift([name, pw.password]);
  }
  const fromVariable = o.credentialVarsAt(e.p).find((c) => occurrences(rewritten, c.value).length > 0);
  if (fromVariable !== undefined) {
    for (const [name] of added) taken.delete(name);
    toSecret(o, out, e, v, `its value uses \${${fromVariable.envName}}, a credential`);
    return;
  }
  for (const [name, password] of added) {
    setOwn(out.env, name, { secret: o.secretName, key: name });
    out.secretKeys.push({ key: name, path: e.p, why: `the password of the URL in ${e.key}; the URL reads it as $(${name})` });
    out.secretValues.push({ value: password, envName: name });
  }
  setOwn(out.env, e.key, rewritten);
}
