import type { KubeObject } from '../../manifest/index.ts';
import { isRecord } from '../../manifest/index.ts';
import { deepEqual, isNamespaced } from './common.ts';

/** A path into an object: map keys and list indexes. */
export type Path = readonly (string | number)[];

export function getAt(root: unknown, path: Path): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg];
    } else {
      if (!isRecord(cur) || !Object.hasOwn(cur, seg)) return undefined;
      cur = cur[seg];
    }
  }
  return cur;
}

export function setAt(root: unknown, path: Path, value: unknown): void {
  let cur: unknown = root;
  path.forEach((seg, i) => {
    const last = i === path.length - 1;
    if (Array.isArray(cur) && typeof seg === 'number') {
      if (last) cur[seg] = value;
      else cur = cur[seg];
    } else if (isRecord(cur) && typeof seg === 'string') {
      if (last) cur[seg] = value;
      else cur = cur[seg];
    }
  });
}

/**
 * Marks a site that stands for the keys of a map only some variants have (`[..map, EXTRA]`):
 * the template writes them with `{{- with }}`, so the keys all variants share stay visible.
 */
export const EXTRA = '\u0000extra';

/** Where variants of one object differ. `optional` is set for {@link EXTRA} sites. */
export interface DiffSite {
  readonly path: Path;
  readonly optional?: readonly string[];
}

/**
 * The smallest subtrees where the variants of one object differ. A list is descended into only
 * when all variants have the same length. A map is descended into by its shared keys; keys only
 * some variants have become one {@link EXTRA} site (unless no key is shared: then the whole map).
 */
export function diffSites(values: readonly unknown[], path: Path, out: DiffSite[]): void {
  if (values.every((v) => deepEqual(v, values[0]))) return;
  const first = values[0];
  if (values.every(isRecord) && isRecord(first)) {
    const maps = values as Record<string, unknown>[];
    const all = [...new Set(maps.flatMap((m) => Object.keys(m)))];
    const shared = all.filter((k) => maps.every((m) => Object.hasOwn(m, k)));
    const optional = all.filter((k) => !shared.includes(k));
    if (shared.length === 0) {
      out.push({ path });
      return;
    }
    for (const key of shared) diffSites(maps.map((m) => m[key]), [...path, key], out);
    if (optional.length > 0) out.push({ path: [...path, EXTRA], optional });
    return;
  }
  if (Array.isArray(first) && values.every((v) => Array.isArray(v) && v.length === first.length)) {
    first.forEach((_, i) => diffSites(values.map((v) => (v as unknown[])[i]), [...path, i], out));
    return;
  }
  out.push({ path });
}

/** A site's value in one variant: for an {@link EXTRA} site, the optional keys this variant has. */
export function siteValue(o: unknown, site: DiffSite): unknown {
  if (site.optional === undefined) return getAt(o, site.path);
  const map = getAt(o, site.path.slice(0, -1));
  const out: Record<string, unknown> = {};
  if (isRecord(map)) for (const k of site.optional) if (Object.hasOwn(map, k)) out[k] = map[k];
  return out;
}

/** Keeps only the outermost of nested sites: a parameterised subtree already covers its insides. */
export function outermost(sites: readonly DiffSite[]): DiffSite[] {
  const key = (p: Path): string => p.map((s) => JSON.stringify(s)).join('\u0001');
  const sorted = [...new Map(sites.map((s) => [key(s.path), s])).values()].sort((a, b) => a.path.length - b.path.length);
  const kept: DiffSite[] = [];
  for (const s of sorted) {
    if (!kept.some((k) => k.path.length <= s.path.length && k.path.every((seg, i) => seg === s.path[i]))) kept.push(s);
  }
  return kept;
}

/** What a value in values.yaml means: a meaningful name where slipway knows one. */
export interface SemanticSite {
  readonly path: Path;
  readonly key: readonly string[];
  /** `image`: split into repository + tag (or digest) when every variant allows it. */
  readonly role?: 'image';
}

const WORKLOAD_SECTION: Readonly<Record<string, string>> = {
  Deployment: 'services',
  StatefulSet: 'services',
  Job: 'jobs',
  CronJob: 'cronJobs',
};

function componentName(o: KubeObject): string {
  return o.metadata.labels?.['app.kubernetes.io/name'] ?? o.metadata.name ?? '';
}

function podSpecPath(o: KubeObject): Path {
  return o.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec'];
}

function workloadSites(o: KubeObject): SemanticSite[] {
  const section = WORKLOAD_SECTION[o.kind];
  if (section === undefined) return [];
  const name = componentName(o);
  const sites: SemanticSite[] = [];
  if (o.kind === 'Deployment' || o.kind === 'StatefulSet') sites.push({ path: ['spec', 'replicas'], key: [section, name, 'replicas'] });
  const pod = podSpecPath(o);
  const containers = getAt(o, [...pod, 'containers']);
  if (Array.isArray(containers)) {
    // The main container is the one named after the component; sidecars keep generic names.
    let index = containers.findIndex((c) => isRecord(c) && c['name'] === name);
    if (index < 0) index = 0;
    sites.push({ path: [...pod, 'containers', index, 'image'], key: [section, name, 'image'], role: 'image' });
    sites.push({ path: [...pod, 'containers', index, 'resources'], key: [section, name, 'resources'] });
  }
  return sites;
}

function autoscalingSites(o: KubeObject): SemanticSite[] {
  if (o.kind !== 'HorizontalPodAutoscaler') return [];
  const target = getAt(o, ['spec', 'scaleTargetRef', 'name']);
  if (typeof target !== 'string') return [];
  const base = ['services', target, 'autoscaling'];
  return ['minReplicas', 'maxReplicas', 'metrics', 'behavior'].map((f) => ({ path: ['spec', f], key: [...base, f] }));
}

function hostSites(o: KubeObject): SemanticSite[] {
  if (o.kind === 'Ingress') {
    const svc = getAt(o, ['spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service', 'name']);
    if (typeof svc !== 'string') return [];
    const sites: SemanticSite[] = [{ path: ['spec', 'rules', 0, 'host'], key: ['services', svc, 'host'] }];
    if (getAt(o, ['spec', 'tls', 0, 'hosts', 0]) !== undefined) sites.push({ path: ['spec', 'tls', 0, 'hosts', 0], key: ['services', svc, 'host'] });
    return sites;
  }
  if (o.kind === 'HTTPRoute') {
    const svc = getAt(o, ['spec', 'rules', 0, 'backendRefs', 0, 'name']);
    if (typeof svc !== 'string') return [];
    return [{ path: ['spec', 'hostnames', 0], key: ['services', svc, 'host'] }];
  }
  return [];
}

/**
 * Sites that get a meaningful value name whether or not they differ between environments: the
 * things users expect to set per environment (image, replicas, resources, autoscaling, host,
 * namespace). Only sites present in the template object are returned.
 */
export function semanticSites(o: KubeObject): SemanticSite[] {
  const sites = [...workloadSites(o), ...autoscalingSites(o), ...hostSites(o)];
  if (isNamespaced(o) && o.metadata.namespace !== undefined) sites.push({ path: ['metadata', 'namespace'], key: ['namespace'] });
  return sites.filter((s) => getAt(o, s.path) !== undefined);
}

/** The label telling installs apart (`<app>-<env>`): one value, `instance`, wherever it appears. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/** The name for a site that only differs between environments, when no meaningful one applies. */
export function semanticKeyFor(path: Path): readonly string[] | undefined {
  const last = path[path.length - 1];
  if (last === INSTANCE_LABEL) return ['instance'];
  // Labels/annotations an environment adds are usually the same on every object.
  if (last === EXTRA && path[path.length - 2] === 'labels') return ['extraLabels'];
  if (last === EXTRA && path[path.length - 2] === 'annotations') return ['extraAnnotations'];
  return undefined;
}

/** `spec.template.spec.containers[0].env` — the path as users read it. */
export function pathString(path: Path): string {
  let s = '';
  for (const seg of path) {
    if (seg === EXTRA) s += '+extra';
    else if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) s += s === '' ? seg : `.${seg}`;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s === '' ? '(object)' : s;
}
