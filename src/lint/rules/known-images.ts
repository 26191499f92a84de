/**
 * SEC026: containers of well-known images get what the image needs to run under Pod Security
 * restricted, per the known-images table `slipway import compose` applies
 * (src/appspec/compose/images.ts, each fact with its documentation source). For manifests written
 * by hand: the common ways an official image crashes at start under a non-root uid and a
 * read-only root filesystem, found before the deploy.
 */
import { knownImage, type ImageProfile } from '../../appspec/index.ts';
import { containersOf, PSS_URL, SERVING_KINDS, type ContainerRef, type PodTemplate, type Report, type Rule } from '../context.ts';
import { arr, get, num, rec, str } from '../util.ts';

const POD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'];
const UNPRIVILEGED_PORT_SYSCTL = 'net.ipv4.ip_unprivileged_port_start';

/** `p` is `dir` or below it. */
const within = (p: string, dir: string): boolean => p === dir || p.startsWith(`${dir.replace(/\/$/, '')}/`);

/** The uid the container runs as: its own securityContext, else the pod's; undefined when neither says. */
function runAsUser(c: ContainerRef, pod: PodTemplate): number | undefined {
  return num(get(c.c, ['securityContext', 'runAsUser'])) ?? num(get(pod.spec, ['securityContext', 'runAsUser']));
}

/** Runs as non-root: runAsNonRoot or a non-zero uid, on the container or the pod. */
function nonRoot(c: ContainerRef, pod: PodTemplate): boolean {
  const uid = runAsUser(c, pod);
  if (uid !== undefined) return uid !== 0;
  return get(c.c, ['securityContext', 'runAsNonRoot']) === true || get(pod.spec, ['securityContext', 'runAsNonRoot']) === true;
}

/** Ports below 1024 the container will listen on: the image's, when the container declares them or none. */
function lowPorts(c: ContainerRef, profile: ImageProfile): number[] {
  const declared = arr(c.c['ports']).map((p) => num(rec(p)['containerPort']));
  const low = profile.ports.map((p) => p.port).filter((p) => p < 1024);
  return [...new Set(declared.length === 0 ? low : low.filter((p) => declared.includes(p)))];
}

/** The pod lets unprivileged processes bind `port` (the namespaced sysctl), or the container may (NET_BIND_SERVICE). */
function mayBind(c: ContainerRef, pod: PodTemplate, port: number): boolean {
  const sysctl = arr(get(pod.spec, ['securityContext', 'sysctls'])).find((s) => str(rec(s)['name']) === UNPRIVILEGED_PORT_SYSCTL);
  const start = sysctl === undefined ? undefined : Number(str(rec(sysctl)['value']) ?? Number.NaN);
  if (start !== undefined && Number.isFinite(start) && start <= port) return true;
  return arr(get(c.c, ['securityContext', 'capabilities', 'add'])).some((cap) => str(cap)?.replace(/^CAP_/, '') === 'NET_BIND_SERVICE');
}

/**
 * `serving`: the image's server runs (a Deployment, StatefulSet…). A Job or CronJob with a
 * database image is usually its client (`psql`, `mongoimport`, `mc`): only "cannot run restricted"
 * applies to it.
 */
function check(c: ContainerRef, pod: PodTemplate, report: Report, serving: boolean): void {
  const image = str(c.c['image']);
  const profile = image === undefined ? undefined : knownImage(image);
  if (profile === undefined) return;
  const source = profile.sources[0] ?? '';
  if (!profile.restricted) {
    report([...c.path, 'image'], `container "${c.name}": ${profile.name} cannot run under Pod Security restricted: ${profile.note ?? ''}`, `${profile.hint ?? 'use an image that runs as non-root'} (${source})`);
    return;
  }
  if (!serving) return;
  const readOnly = get(c.c, ['securityContext', 'readOnlyRootFilesystem']) === true;
  if (readOnly && profile.writableRoot !== undefined) {
    report([...c.path, 'securityContext', 'readOnlyRootFilesystem'], `container "${c.name}": ${profile.writableRoot}, so it cannot start with a read-only root filesystem`, `set readOnlyRootFilesystem: false for it (${source})`);
  } else if (readOnly) {
    const mounts = arr(c.c['volumeMounts']).map((m) => str(rec(m)['mountPath'])).filter((m): m is string => m !== undefined);
    const missing = [...profile.writable, ...profile.data].filter((p) => !mounts.some((m) => within(p, m)));
    if (missing.length > 0) {
      report([...c.path, 'volumeMounts'], `container "${c.name}": ${profile.name} writes to ${missing.join(', ')}, which the read-only root filesystem refuses`, `mount an emptyDir (or a volume, for data) at ${missing.join(', ')} (${source})`);
    }
  }
  if (nonRoot(c, pod)) {
    for (const port of lowPorts(c, profile)) {
      if (mayBind(c, pod, port)) continue;
      report([...c.path, 'image'], `container "${c.name}": ${profile.name} listens on port ${port}, which a non-root process cannot bind`, `set the pod sysctl ${UNPRIVILEGED_PORT_SYSCTL}: "0" (Pod Security allows it), or configure it to listen on a port ≥ 1024 (${source})`);
    }
  }
}

export const knownImageRules: readonly Rule[] = [
  {
    id: 'SEC026',
    name: 'known-image-needs',
    category: 'security',
    severity: 'warning',
    kinds: POD_KINDS,
    summary: 'Containers of well-known images must get what the image needs to run restricted: writable paths, a way to bind ports below 1024; images that cannot run restricted are flagged.',
    why: 'Official images such as nginx, postgres, mysql or wordpress crash at start as a non-root user with a read-only root filesystem unless they can write where they write and bind the ports they bind; some (Pi-hole, Docker-in-Docker) cannot run restricted at all. The pod then crash-loops after a deploy that looked fine.',
    fix: 'Mount emptyDirs at the paths the image writes to, set the pod sysctl net.ipv4.ip_unprivileged_port_start: "0" for ports below 1024, keep the root filesystem writable for images that write into it; `slipway import compose` does all of this from the same table.',
    url: `${PSS_URL}#restricted`,
    check: (o, report) => {
      if (!o.pod) return;
      const serving = SERVING_KINDS.has(o.kind) || o.kind === 'Pod' || o.kind === 'DaemonSet';
      for (const c of containersOf(o.pod)) if (c.kind !== 'ephemeralContainers') check(c, o.pod, report, serving && c.kind === 'containers');
    },
  },
];
