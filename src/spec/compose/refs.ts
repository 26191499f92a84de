import { isRecord } from './context.ts';
import { interpolate } from './interpolate.ts';
import { parseComposeYaml } from './load.ts';

/**
 * The files a compose file references that the importer needs to read (env files and config
 * files; never secret files). The CLI reads these and passes them in, keeping the importer pure.
 * Paths are interpolated with `variables`, as the importer will see them.
 */
export function composeFileRefs(text: string, variables: Readonly<Record<string, string>> = {}): string[] {
  const { doc } = parseComposeYaml(text);
  const data: unknown = doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 10_000 });
  if (!isRecord(data)) return [];
  const out = new Set<string>();
  const services = isRecord(data['services']) ? data['services'] : {};
  for (const svc of Object.values(services)) {
    if (!isRecord(svc)) continue;
    const ef = svc['env_file'];
    const list: unknown[] = typeof ef === 'string' ? [ef] : Array.isArray(ef) ? ef : [];
    for (const it of list) {
      if (typeof it === 'string') out.add(it);
      else if (isRecord(it) && typeof it['path'] === 'string') out.add(it['path']);
    }
  }
  const configs = isRecord(data['configs']) ? data['configs'] : {};
  for (const c of Object.values(configs)) if (isRecord(c) && typeof c['file'] === 'string') out.add(c['file']);
  return [...out].map((p) => interpolate(p, variables).value).sort();
}
