/**
 * `extends` within the same file: the service starts from a copy of the base service and its own
 * keys are merged over it, with the compose merge rules:
 * - mappings merge key by key (environment, labels, … also in their list form);
 * - `ports`, `expose`, `cap_add`, `secrets`, … are concatenated without duplicates;
 * - `volumes` and `tmpfs` merge by mount target; `depends_on` by service;
 * - anything else (command, entrypoint, image, healthcheck.test …) is replaced.
 * `extends.file` (another file) is not resolved: it is reported, and the service is converted
 * from its own keys only.
 * @see https://github.com/compose-spec/compose-spec/blob/main/05-services.md#extends
 * @see https://github.com/compose-spec/compose-spec/blob/main/13-merge.md
 */
import { isRecord } from '../../manifest/index.ts';
import { str } from './context.ts';

const SEQUENCES = new Set(['cap_add', 'cap_drop', 'configs', 'secrets', 'dns', 'dns_search', 'dns_opt', 'env_file', 'expose', 'external_links', 'ports', 'security_opt', 'profiles', 'device_cgroup_rules', 'group_add']);
const KEYED_MAPS = new Set(['environment', 'labels', 'annotations', 'extra_hosts', 'sysctls', 'ulimits', 'build', 'deploy', 'healthcheck', 'logging', 'x-slipway']);

/** `["A=1", "B"]` → `{ A: "1", B: null }`; maps are returned as they are. */
function asMap(v: unknown, sep = '='): Record<string, unknown> {
  if (isRecord(v)) return v;
  if (!Array.isArray(v)) return {};
  return Object.fromEntries(
    v.map((item: unknown) => {
      const s = str(item);
      const i = s.indexOf(sep);
      return i < 0 ? [s, null] : [s.slice(0, i), s.slice(i + 1)];
    }),
  );
}

function mountTarget(v: unknown): string {
  if (isRecord(v)) return str(v['target']);
  const parts = str(v).split(':');
  return parts.length === 1 ? (parts[0] ?? '') : (parts[1] ?? '');
}

function mergeKey(key: string, base: unknown, over: unknown): unknown {
  if (SEQUENCES.has(key) && Array.isArray(base) && Array.isArray(over)) {
    const b: unknown[] = base;
    const o: unknown[] = over;
    const seen = new Set(b.map((x) => JSON.stringify(x)));
    return [...b, ...o.filter((x) => !seen.has(JSON.stringify(x)))];
  }
  if ((key === 'volumes' || key === 'tmpfs' || key === 'devices') && (Array.isArray(base) || typeof base === 'string')) {
    const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : x === undefined ? [] : [x]);
    const targets = new Set(list(over).map(mountTarget));
    return [...list(base).filter((x) => !targets.has(mountTarget(x))), ...list(over)];
  }
  if (key === 'depends_on') {
    const m = (x: unknown): Record<string, unknown> => (Array.isArray(x) ? Object.fromEntries(x.map((n: unknown) => [str(n), { condition: 'service_started' }])) : isRecord(x) ? x : {});
    return { ...m(base), ...m(over) };
  }
  if (KEYED_MAPS.has(key) && (isRecord(base) || Array.isArray(base)) && (isRecord(over) || Array.isArray(over))) {
    if (key === 'build' || key === 'deploy' || key === 'healthcheck' || key === 'logging' || key === 'x-slipway') return deepMergeMaps(base, over);
    return { ...asMap(base), ...asMap(over) };
  }
  return over;
}

function deepMergeMaps(base: unknown, over: unknown): unknown {
  if (!isRecord(base) || !isRecord(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMergeMaps(out[k], v) : v;
  return out;
}

export interface ExtendsProblem {
  readonly service: string;
  readonly message: string;
  readonly hint: string;
}

/**
 * Resolves same-file `extends` in place (on the interpolated data), base services first. The
 * `extends` key is kept, so that the report accounts for it; problems are returned.
 */
export function resolveExtends(services: Record<string, unknown>): ExtendsProblem[] {
  const problems: ExtendsProblem[] = [];
  const done = new Set<string>();
  const resolve = (name: string, stack: readonly string[]): void => {
    const svc = services[name];
    if (done.has(name) || !isRecord(svc)) return;
    done.add(name);
    const ext = svc['extends'];
    if (ext === undefined) return;
    const baseName = isRecord(ext) ? str(ext['service']) : str(ext);
    if (isRecord(ext) && ext['file'] !== undefined) {
      problems.push({ service: name, message: `extends from another file (${str(ext['file'])}) is not resolved`, hint: 'flatten the files first: `docker compose config > flat.yml`, then import flat.yml' });
      return;
    }
    if (stack.includes(baseName) || baseName === name) {
      problems.push({ service: name, message: `extends forms a cycle: ${[...stack, name, baseName].join(' → ')}`, hint: 'break the cycle' });
      return;
    }
    const base = services[baseName];
    if (!isRecord(base)) {
      problems.push({ service: name, message: `extends an unknown service "${baseName}"`, hint: 'name a service of this file' });
      return;
    }
    resolve(baseName, [...stack, name]);
    const merged: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) if (k !== 'extends') merged[k] = v;
    for (const [k, v] of Object.entries(svc)) merged[k] = k in merged ? mergeKey(k, merged[k], v) : v;
    services[name] = merged;
  };
  for (const name of Object.keys(services)) resolve(name, []);
  return problems;
}
