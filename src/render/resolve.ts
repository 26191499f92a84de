/**
 * Applying one environment's overlay to the base spec. Semantics as documented on
 * `EnvironmentOverlay`: maps merge key by key, lists and scalars replace, `null` removes.
 *
 * The spec helper owns the canonical `resolveEnvironment`; this stays private to render and
 * only covers what render needs until that lands.
 */
import { inputError } from '../errors/index.ts';
import type { AppSpec } from '../spec/index.ts';

/** The environment name used when a spec declares no `environments`. */
export const DEFAULT_ENV = 'default';

export function environmentNames(spec: AppSpec): string[] {
  const names = Object.keys(spec.environments ?? {}).sort();
  return names.length > 0 ? names : [DEFAULT_ENV];
}

export interface Resolved {
  readonly spec: AppSpec;
  readonly namespace: string;
}

export function resolveForEnv(spec: AppSpec, env: string): Resolved {
  const envs = spec.environments ?? {};
  const overlay = envs[env];
  if (overlay === undefined) {
    if (env === DEFAULT_ENV && Object.keys(envs).length === 0) return { spec, namespace: spec.namespace ?? spec.app };
    throw inputError(`unknown environment "${env}"`, {
      cause: undefined,
      path: 'environments',
      expected: `one of: ${environmentNames(spec).join(', ')}`,
      hint: 'pass --env with an environment declared under `environments:` in slipway.yaml',
    });
  }
  const { namespace, labels, ...rest } = overlay;
  const merged = mergeDeep(spec, rest) as AppSpec;
  const withLabels: AppSpec = labels === undefined ? merged : { ...merged, labels: { ...merged.labels, ...labels } };
  return { spec: withLabels, namespace: namespace ?? spec.namespace ?? spec.app };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergeDeep(base: unknown, overlay: unknown): unknown {
  if (!isMap(base) || !isMap(overlay)) return overlay;
  const out = new Map<string, unknown>(Object.entries(base));
  for (const [k, v] of Object.entries(overlay)) {
    if (v === null) out.delete(k);
    else if (v !== undefined) out.set(k, mergeDeep(base[k], v));
  }
  return Object.fromEntries(out);
}
