/**
 * `environment` (map or `KEY=VALUE` list) → `env`. A bare `KEY` (or `KEY:` with no value) takes
 * its value from the shell in compose; here it comes from the interpolation variables, and is
 * reported when they do not have it. Values of credential-looking names (PASSWORD, TOKEN, …) are
 * not copied into slipway.yaml: they become a reference to a Secret the user creates.
 */
import type { EnvValueSpec } from '../schema.ts';
import { isRecord, setOwn } from '../../manifest/index.ts';
import { str, type ImportContext } from './context.ts';
import type { Path } from './load.ts';
import { looksSecret } from './storage.ts';

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export interface EnvResult {
  env: Record<string, EnvValueSpec>;
  /** Keys moved to the service's Secret. */
  secretKeys: string[];
}

interface EnvOpts {
  readonly ctx: ImportContext;
  readonly variables: Readonly<Record<string, string>>;
  /** Name of the Secret that receives credential-looking values. */
  readonly secretName: string;
}

export function convertEnvironment(o: EnvOpts, path: Path, value: unknown): EnvResult {
  const out: EnvResult = { env: {}, secretKeys: [] };
  const entries: { key: string; value: string | undefined; p: Path }[] = [];
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => {
      const s = str(item);
      const eq = s.indexOf('=');
      entries.push(eq < 0 ? { key: s, value: undefined, p: [...path, i] } : { key: s.slice(0, eq), value: s.slice(eq + 1), p: [...path, i] });
    });
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) entries.push({ key: k, value: v === null || v === undefined ? undefined : str(v), p: [...path, k] });
  }
  for (const e of entries) addEntry(o, e, out);
  return out;
}

function addEntry(o: EnvOpts, e: { key: string; value: string | undefined; p: Path }, out: EnvResult): void {
  if (!ENV_NAME.test(e.key)) {
    o.ctx.drop(e.p, { severity: 'error', message: `"${e.key}" is not a valid environment variable name for Kubernetes`, hint: 'use letters, digits, "_", "-" and "."; not starting with a digit' });
    return;
  }
  const v = e.value ?? o.variables[e.key];
  if (v === undefined) {
    o.ctx.drop(e.p, { severity: 'warning', message: `${e.key} has no value: compose takes it from the shell, which has none here`, hint: `set ${e.key} when importing, or give it a value` });
    return;
  }
  o.ctx.consume(e.p);
  if (looksSecret(e.key) && v !== '') {
    setOwn(out.env, e.key, { secret: o.secretName, key: e.key });
    out.secretKeys.push(e.key);
    o.ctx.note(e.p, {
      severity: 'warning',
      message: `${e.key} looks like a credential: its value is not copied; it now comes from Secret "${o.secretName}"`,
      hint: `kubectl create secret generic ${o.secretName} --from-literal=${e.key}=...`,
    });
    return;
  }
  setOwn(out.env, e.key, v);
}
