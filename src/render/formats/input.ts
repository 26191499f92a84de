import { DEFAULT_ENVIRONMENT, type AppSpec } from '../../appspec/index.ts';
import { renderAll, renderApp } from '../app.ts';
import type { RenderOptions } from '../types.ts';
import type { FormatInput } from './common.ts';

/**
 * Renders what the formats need: the spec without its environments (the base, rendered as the
 * default environment) and every environment. Throws the renderer's InputErrors unchanged.
 */
export function formatInputFor(spec: AppSpec, opts: RenderOptions = {}): FormatInput {
  const withoutEnvs: AppSpec = { ...spec };
  delete withoutEnvs.environments;
  const base = renderApp(withoutEnvs, DEFAULT_ENVIRONMENT, opts).objects;
  const environments = new Map([...renderAll(spec, opts)].map(([env, r]) => [env, r.objects] as const));
  return { app: spec.app, base, environments };
}
