import type { KubeObject } from '../../manifest/index.ts';
import { deepEqual, isNamespaced, isPlainObject } from './common.ts';

/** A path into an object: map keys and list indexes. */
export type Path = readonly (string | number)[];

export function getAt(root: unknown, path: Path): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg];
    } else {
      if (!isPlainObject(cur) || !Object.hasOwn(cur, seg)) return undefined;
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
    } else if (isPlainObject(cur) && typeof seg === 'string') {
      if (last) cur[seg] = value;
      else cur = cur[seg];
    }
  });
}

const sameKeys = (values: readonly unknown[]): boolean => {
  const first = values[0];
  if (!isPlainObject(first)) return false;
  const keys = Object.keys(first).sort().join('\0');
  return values.every((v) => isPlainObject(v) && Object.keys(v).sort().join('\0') === keys);
};

/**
 * The smallest subtrees where the variants of one object differ. A map is descended into only
 * when every variant has the same keys, a list only when all have the same length, so that a
 * site always exists in every variant and the template keeps one shape.
 */
export function diffSites(values: readonly unknown[], path: Path, out: Path[]): void {
  if (values.every((v) => deepEqual(v, values[0]))) return;
  const first = values[0];
  if (sameKeys(values) && isPlainObject(first)) {
    for (const key of Object.keys(first)) {
      diffSites(
        values.map((v) => (v as Record<string, unknown>)[key]),
        [...path, key],
        out,
      );
    }
    return;
  }
  if (Array.isArray(first) && values.every((v) => Array.isArray(v) && v.length === first.length)) {
    first.forEach((_, i) => diffSites(values.map((v) => (v as unknown[])[i]), [...path, i], out));
    return;
  }
  out.push(path);
}

/** Keeps only the outermost of nested sites: a parameterised subtree already covers its insides. */
export function outermost(sites: readonly Path[]): Path[] {
  const key = (p: Path): string => p.map((s) => JSON.stringify(s)).join('\u0001');
  const sorted = [...new Map(sites.map((p) => [key(p), p])).values()].sort((a, b) => a.length - b.length);
  const kept: Path[] = [];
  for (const p of sorted) {
    if (!kept.some((k) => k.length <= p.length && k.every((seg, i) => seg === p[i]))) kept.push(p);
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
    let index = containers.findIndex((c) => isPlainObject(c) && c['name'] === name);
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
  if (path[path.length - 1] === INSTANCE_LABEL) return ['instance'];
  return undefined;
}

/** `spec.template.spec.containers[0].env` — the path as users read it. */
export function pathString(path: Path): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) s += s === '' ? seg : `.${seg}`;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s === '' ? '(object)' : s;
}
