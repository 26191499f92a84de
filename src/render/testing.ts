/**
 * Test support for render's tests: an independent Pod Security Standards checker (written from
 * the PSS page, not from the renderer) and small accessors. Not exported from index.ts.
 */
import type { KubeObject } from '../manifest/index.ts';

export type Obj = Record<string, unknown>;

/** The value at a path of map keys / list indexes, or undefined. */
export const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((cur, k) => (cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[k] : undefined), o);

export const POD_KINDS = ['Deployment', 'StatefulSet', 'Job', 'CronJob'];

/** The pod spec of any pod-bearing object. */
export function podSpecOf(o: KubeObject): Obj | undefined {
  const p = o.kind === 'CronJob' ? get(o, 'spec', 'jobTemplate', 'spec', 'template', 'spec') : get(o, 'spec', 'template', 'spec');
  return p as Obj | undefined;
}

/**
 * Pod Security Standards "restricted" (plus baseline), checked field by field on a pod spec.
 * Returns the violations, so a failing case says what is wrong.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
export function restrictedViolations(pod: Obj): string[] {
  const v: string[] = [];
  const psc = (pod['securityContext'] ?? {}) as Obj;
  if (pod['hostNetwork'] === true || pod['hostPID'] === true || pod['hostIPC'] === true) v.push('host namespaces');
  if (psc['runAsUser'] === 0) v.push('pod runAsUser 0');
  for (const vol of (pod['volumes'] ?? []) as Obj[]) {
    const allowed = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
    if (!Object.keys(vol).filter((k) => k !== 'name').every((k) => allowed.includes(k))) v.push(`volume type of ${String(vol['name'])}`);
  }
  for (const c of [...((pod['initContainers'] ?? []) as Obj[]), ...((pod['containers'] ?? []) as Obj[])]) v.push(...containerViolations(c, psc));
  return v;
}

function containerViolations(c: Obj, psc: Obj): string[] {
  const v: string[] = [];
  const sc = (c['securityContext'] ?? {}) as Obj;
  if (sc['privileged'] === true) v.push('privileged');
  if (sc['allowPrivilegeEscalation'] !== false) v.push('allowPrivilegeEscalation not false');
  if (sc['runAsNonRoot'] !== true && psc['runAsNonRoot'] !== true) v.push('runAsNonRoot not true');
  if (sc['runAsUser'] === 0) v.push('container runAsUser 0');
  const seccomp = get(sc, 'seccompProfile', 'type') ?? get(psc, 'seccompProfile', 'type');
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v.push('seccompProfile');
  const drop = (get(sc, 'capabilities', 'drop') ?? []) as string[];
  if (!drop.includes('ALL')) v.push('capabilities.drop ALL');
  const add = (get(sc, 'capabilities', 'add') ?? []) as string[];
  if (add.some((a) => a !== 'NET_BIND_SERVICE')) v.push(`capabilities.add ${add.join(',')}`);
  for (const p of (c['ports'] ?? []) as Obj[]) if (p['hostPort'] !== undefined) v.push('hostPort');
  return v;
}


/** Paths at which a node already seen elsewhere in the render appears again (must be none). */
export function sharedNodes(objects: readonly KubeObject[]): string[] {
  const seen = new Set<object>();
  const found: string[] = [];
  const visit = (node: object, path: string): void => {
    if (seen.has(node)) {
      found.push(path);
      return;
    }
    seen.add(node);
    for (const [k, v] of Object.entries(node)) if (v !== null && typeof v === 'object') visit(v as object, `${path}.${k}`);
  };
  for (const o of objects) visit(o, `${o.kind}/${o.metadata.name ?? ''}`);
  return found;
}
