/**
 * ConfigMaps: the app's own (`configMaps:`, from inline data and dotenv files) and the
 * per-workload one generated from inline `config:` file contents. Also the `checksum/config` hash.
 */
import { createHash } from 'node:crypto';
import { parseEnv } from 'node:util';
import type { KubeObject } from '../manifest/index.ts';
import { meta, problem, standardLabels, type RenderContext } from './context.ts';
import type { RenderOptions } from './types.ts';

/** Rendered data of every ConfigMap this render produces, by name: the input of the checksum. */
export type ConfigData = Map<string, Readonly<Record<string, string>>>;

export function configMapObject(ctx: RenderContext, name: string, data: Record<string, string>, component: 'config' | 'service' | 'job' | 'cronjob' = 'config'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(ctx, { name, labels: standardLabels(ctx, { name, component }) }),
    data: sortKeys(data),
  };
}

/** The app's declared ConfigMaps. Inline `data` wins over a key of the same name in `envFile`. */
export function renderAppConfigMaps(ctx: RenderContext, opts: RenderOptions, data: ConfigData): KubeObject[] {
  const out: KubeObject[] = [];
  for (const [name, cm] of Object.entries(ctx.spec.configMaps ?? {})) {
    let fromFile: Record<string, string> = {};
    if (cm.envFile !== undefined) {
      const text = opts.envFiles?.[cm.envFile];
      if (text === undefined) {
        problem(ctx, `configMaps.${name}.envFile`, `env file "${cm.envFile}" was not provided to the renderer`, {
          expected: 'a readable dotenv file, relative to slipway.yaml',
          hint: 'check the path; the cli reads it next to slipway.yaml',
        });
      } else {
        fromFile = parseDotenv(text);
      }
    }
    const merged = { ...fromFile, ...cm.data };
    data.set(name, merged);
    out.push(configMapObject(ctx, name, merged));
  }
  return out;
}

/** KEY=VALUE lines, `#` comments, quoted values (Node's own dotenv parser: no I/O). */
function parseDotenv(text: string): Record<string, string> {
  const parsed = parseEnv(text);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (v !== undefined) out[k] = v;
  return out;
}

function sortKeys(data: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(data).sort()) out[k] = data[k] ?? '';
  return out;
}

/**
 * sha256 over the names and data of the ConfigMaps a pod reads, in a canonical order. ConfigMaps
 * slipway does not render (existing in the cluster) cannot be hashed and are left out.
 */
export function configChecksum(names: Iterable<string>, data: ConfigData): string | undefined {
  const parts: [string, Record<string, string>][] = [];
  for (const name of [...new Set(names)].sort()) {
    const d = data.get(name);
    if (d !== undefined) parts.push([name, sortKeys(d)]);
  }
  if (parts.length === 0) return undefined;
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
