/**
 * Pod Security Standards (baseline + restricted, v1.34) and other container security rules.
 * Baseline controls are errors (they let a pod break out of its sandbox); restricted controls are
 * warnings (hardening every production workload should have).
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
import { containersOf, K8S_DOCS, PSS_URL, type ContainerRef, type LintObject, type PodTemplate, type Report, type Rule } from '../context.ts';
import { arr, get, rec, str, type Rec } from '../util.ts';
import { isRecord, type FieldPath } from '../../manifest/index.ts';
import { isLiteralCredential, SAFE_SYSCTLS as SAFE_SYSCTL_NAMES, urlPasswords } from '../../appspec/index.ts';

const POD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'];

/** Runs `fn` for an object's pod template, if it has one. */
function withPod(fn: (pod: PodTemplate, report: Report, o: LintObject) => void): Rule['check'] {
  return (o, report) => {
    if (o.pod) fn(o.pod, report, o);
  };
}

function eachContainer(fn: (c: ContainerRef, report: Report, pod: PodTemplate) => void): Rule['check'] {
  return withPod((pod, report) => {
    for (const c of containersOf(pod)) fn(c, report, pod);
  });
}

/** Restricted-profile controls that are Linux-only: PSS exempts pods with spec.os.name: windows. */
function linuxOnly(fn: (c: ContainerRef, report: Report, pod: PodTemplate) => void): Rule['check'] {
  return eachContainer((c, report, pod) => {
    if (str(rec(pod.spec['os'])['name']) !== 'windows') fn(c, report, pod);
  });
}

const sc = (c: ContainerRef): Rec => rec(c.c['securityContext']);
const scPath = (c: ContainerRef, ...rest: FieldPath): FieldPath => [...c.path, 'securityContext', ...rest];
const podSc = (pod: PodTemplate): Rec => rec(pod.spec['securityContext']);
const podScPath = (pod: PodTemplate, ...rest: FieldPath): FieldPath => [...pod.specPath, 'securityContext', ...rest];

function hostNamespaceRule(id: string, field: 'hostNetwork' | 'hostPID' | 'hostIPC', kubeLinter: string, what: string): Rule {
  return {
    id,
    name: kubeLinter,
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    kubeLinter,
    summary: `Pods must not set ${field}: true.`,
    why: `Sharing the node's ${what} lets a container see and interfere with other workloads and the node itself.`,
    fix: `Remove ${field} (or set it to false).`,
    url: `${PSS_URL}#baseline`,
    check: withPod((pod, report) => {
      if (pod.spec[field] === true) report([...pod.specPath, field], `${field} is true`, `remove ${field} from the pod spec`);
    }),
  };
}

/** Capabilities the baseline profile allows to be added. */
const BASELINE_CAPS = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
/** Volume types the restricted profile allows. */
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
/** Sysctls the baseline profile allows (one list, the spec schema's). */
const SAFE_SYSCTLS: ReadonlySet<string> = new Set(SAFE_SYSCTL_NAMES);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
/** A ConfigMap key that names an environment variable (envFrom), not a file: only those are judged by name. */
const ENV_LIKE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Seccomp / AppArmor profile types a pod may use under baseline. */
const CONFINED = new Set(['RuntimeDefault', 'Localhost']);

export const securityRules: readonly Rule[] = [
  hostNamespaceRule('SEC001', 'hostNetwork', 'host-network', 'network stack'),
  hostNamespaceRule('SEC002', 'hostPID', 'host-pid', 'process table'),
  hostNamespaceRule('SEC003', 'hostIPC', 'host-ipc', 'IPC namespace'),
  {
    id: 'SEC004',
    name: 'privileged-container',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    kubeLinter: 'privileged-container',
    summary: 'Containers must not run privileged.',
    why: 'A privileged container has all capabilities and full device access: it is root on the node.',
    fix: 'Remove securityContext.privileged, and add only the specific capability the container needs.',
    url: `${PSS_URL}#baseline`,
    check: eachContainer((c, report) => {
      if (sc(c)['privileged'] === true) report(scPath(c, 'privileged'), `container "${c.name}" is privileged`, 'set securityContext.privileged: false');
    }),
  },
  {
    id: 'SEC005',
    name: 'added-capabilities',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    summary: 'Containers may add only the capabilities the baseline profile allows.',
    why: 'Capabilities such as SYS_ADMIN, NET_ADMIN or NET_RAW give a container powers over the node and other pods.',
    fix: `Remove the capability from securityContext.capabilities.add; the baseline set is ${[...BASELINE_CAPS].join(', ')}.`,
    url: `${PSS_URL}#baseline`,
    check: eachContainer((c, report) => {
      arr(get(sc(c), ['capabilities', 'add'])).forEach((cap, i) => {
        if (typeof cap === 'string' && !BASELINE_CAPS.has(cap.replace(/^CAP_/, ''))) {
          report(scPath(c, 'capabilities', 'add', i), `container "${c.name}" adds capability ${cap}`, 'remove it from capabilities.add');
        }
      });
    }),
  },
  {
    id: 'SEC006',
    name: 'host-path-volume',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    kubeLinter: 'sensitive-host-mounts',
    summary: 'Pods must not mount hostPath volumes.',
    why: 'A hostPath volume exposes the node filesystem (container runtime socket, kubelet credentials) to the pod.',
    fix: 'Use an emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret instead.',
    url: `${K8S_DOCS}/concepts/storage/volumes/#hostpath`,
    check: withPod((pod, report) => {
      arr(pod.spec['volumes']).forEach((v, i) => {
        const hp = rec(v)['hostPath'];
        if (hp !== undefined) {
          report([...pod.specPath, 'volumes', i, 'hostPath'], `volume "${str(rec(v)['name']) ?? i}" mounts host path ${str(rec(hp)['path']) ?? ''}`, 'use emptyDir or a PersistentVolumeClaim');
        }
      });
    }),
  },
  {
    id: 'SEC007',
    name: 'host-port',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    summary: 'Containers must not bind host ports.',
    why: 'A hostPort ties the pod to nodes where the port is free and bypasses NetworkPolicy on some CNIs.',
    fix: 'Remove hostPort and expose the port through a Service.',
    url: `${PSS_URL}#baseline`,
    check: eachContainer((c, report) => {
      arr(c.c['ports']).forEach((p, i) => {
        const hp = rec(p)['hostPort'];
        if (hp !== undefined && hp !== 0) report([...c.path, 'ports', i, 'hostPort'], `container "${c.name}" binds host port ${JSON.stringify(hp)}`, 'remove hostPort; use a Service');
      });
    }),
  },
  {
    id: 'SEC008',
    name: 'apparmor-unconfined',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    summary: 'AppArmor must not be disabled (Unconfined).',
    why: 'The runtime default AppArmor profile blocks many container breakout paths.',
    fix: 'Remove appArmorProfile, or use type RuntimeDefault or Localhost.',
    url: `${K8S_DOCS}/tutorials/security/apparmor/`,
    check: withPod((pod, report) => {
      const check = (v: unknown, path: FieldPath): void => {
        const t = str(rec(v)['type']);
        if (t !== undefined && !CONFINED.has(t)) report([...path, 'type'], `AppArmor profile type ${t} is not allowed`, 'use RuntimeDefault or Localhost');
      };
      check(podSc(pod)['appArmorProfile'], podScPath(pod, 'appArmorProfile'));
      for (const c of containersOf(pod)) check(sc(c)['appArmorProfile'], scPath(c, 'appArmorProfile'));
      for (const [k, v] of Object.entries(pod.annotations)) {
        if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v !== 'runtime/default' && !v.startsWith('localhost/')) {
          report([...pod.metaPath, 'annotations', k], `AppArmor annotation ${k} is ${v}`, 'use runtime/default or localhost/<profile>');
        }
      }
    }),
  },
  {
    id: 'SEC009',
    name: 'selinux-options',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    summary: 'SELinux options may set only an allowed type, never a custom user or role.',
    why: 'A custom SELinux user/role or type can lift the container out of its confinement.',
    fix: 'Remove seLinuxOptions.user/role; use type container_t, container_init_t, container_kvm_t or container_engine_t.',
    url: `${PSS_URL}#baseline`,
    check: withPod((pod, report) => {
      const check = (v: unknown, path: FieldPath): void => {
        const o = rec(v);
        const t = str(o['type']);
        if (t !== undefined && !SELINUX_TYPES.has(t)) report([...path, 'type'], `SELinux type ${t} is not allowed`, 'use container_t');
        for (const f of ['user', 'role'] as const) {
          const val = str(o[f]);
          if (val !== undefined && val !== '') report([...path, f], `SELinux ${f} must not be set (is ${val})`, `remove seLinuxOptions.${f}`);
        }
      };
      check(podSc(pod)['seLinuxOptions'], podScPath(pod, 'seLinuxOptions'));
      for (const c of containersOf(pod)) check(sc(c)['seLinuxOptions'], scPath(c, 'seLinuxOptions'));
    }),
  },
  {
    id: 'SEC010',
    name: 'proc-mount',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    kubeLinter: 'unsafe-proc-mount',
    summary: 'procMount must be Default.',
    why: 'An Unmasked /proc exposes kernel interfaces the runtime normally hides.',
    fix: 'Remove securityContext.procMount.',
    url: `${PSS_URL}#baseline`,
    check: eachContainer((c, report) => {
      const pm = sc(c)['procMount'];
      if (pm !== undefined && pm !== 'Default') report(scPath(c, 'procMount'), `container "${c.name}" sets procMount ${JSON.stringify(pm)}`, 'remove procMount');
    }),
  },
  {
    id: 'SEC011',
    name: 'seccomp-unconfined',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    summary: 'Seccomp must not be disabled (Unconfined).',
    why: 'Without seccomp every syscall, including rarely needed dangerous ones, reaches the kernel.',
    fix: 'Set seccompProfile.type: RuntimeDefault.',
    url: `${K8S_DOCS}/tutorials/security/seccomp/`,
    check: withPod((pod, report) => {
      const check = (v: unknown, path: FieldPath): void => {
        if (str(rec(v)['type']) === 'Unconfined') report([...path, 'type'], 'seccomp profile is Unconfined', 'use RuntimeDefault');
      };
      check(podSc(pod)['seccompProfile'], podScPath(pod, 'seccompProfile'));
      for (const c of containersOf(pod)) check(sc(c)['seccompProfile'], scPath(c, 'seccompProfile'));
    }),
  },
  {
    id: 'SEC012',
    name: 'unsafe-sysctls',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    kubeLinter: 'unsafe-sysctls',
    summary: 'Pods may set only namespaced, safe sysctls.',
    why: 'Unsafe sysctls can affect other pods on the node or the node kernel itself.',
    fix: `Remove the sysctl; safe ones are ${[...SAFE_SYSCTLS].join(', ')}.`,
    url: `${K8S_DOCS}/tasks/administer-cluster/sysctl-cluster/`,
    check: withPod((pod, report) => {
      arr(podSc(pod)['sysctls']).forEach((s, i) => {
        const name = str(rec(s)['name']);
        if (name !== undefined && !SAFE_SYSCTLS.has(name)) report(podScPath(pod, 'sysctls', i, 'name'), `sysctl ${name} is not in the safe set`, 'remove it');
      });
    }),
  },
  {
    id: 'SEC013',
    name: 'windows-host-process',
    category: 'security',
    severity: 'error',
    pss: 'baseline',
    kinds: POD_KINDS,
    summary: 'Windows pods must not run as HostProcess.',
    why: 'A HostProcess container has privileged access to the Windows node.',
    fix: 'Remove windowsOptions.hostProcess.',
    url: `${PSS_URL}#baseline`,
    check: withPod((pod, report) => {
      if (get(podSc(pod), ['windowsOptions', 'hostProcess']) === true) report(podScPath(pod, 'windowsOptions', 'hostProcess'), 'pod is a Windows HostProcess pod', 'remove hostProcess');
      for (const c of containersOf(pod)) {
        if (get(sc(c), ['windowsOptions', 'hostProcess']) === true) report(scPath(c, 'windowsOptions', 'hostProcess'), `container "${c.name}" is a HostProcess container`, 'remove hostProcess');
      }
    }),
  },
  {
    id: 'SEC014',
    name: 'restricted-volume-types',
    category: 'security',
    severity: 'warning',
    pss: 'restricted',
    kinds: POD_KINDS,
    summary: 'Restricted pods may use only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes.',
    why: 'Other volume types (nfs, iscsi, hostPath, ...) reach node or network storage outside the cluster’s access control.',
    fix: 'Use a PersistentVolumeClaim backed by a StorageClass instead of an inline volume source.',
    url: `${PSS_URL}#restricted`,
    check: withPod((pod, report) => {
      arr(pod.spec['volumes']).forEach((v, i) => {
        const types = Object.keys(rec(v)).filter((k) => k !== 'name');
        for (const t of types) {
          if (!RESTRICTED_VOLUMES.has(t)) report([...pod.specPath, 'volumes', i, t], `volume "${str(rec(v)['name']) ?? i}" has type ${t}, not allowed by the restricted profile`, 'use a PersistentVolumeClaim');
        }
      });
    }),
  },
  {
    id: 'SEC015',
    name: 'privilege-escalation',
    category: 'security',
    severity: 'warning',
    pss: 'restricted',
    kinds: POD_KINDS,
    kubeLinter: 'privilege-escalation-container',
    summary: 'Containers must set allowPrivilegeEscalation: false.',
    why: 'Without it a process can gain more privileges than its parent (setuid binaries), e.g. become root.',
    fix: 'Set securityContext.allowPrivilegeEscalation: false on every container.',
    url: `${PSS_URL}#restricted`,
    check: linuxOnly((c, report) => {
      if (sc(c)['allowPrivilegeEscalation'] !== false) {
        report(scPath(c, 'allowPrivilegeEscalation'), `container "${c.name}" does not set allowPrivilegeEscalation: false`, 'set securityContext.allowPrivilegeEscalation: false');
      }
    }),
  },
  {
    id: 'SEC016',
    name: 'run-as-non-root',
    category: 'security',
    severity: 'warning',
    pss: 'restricted',
    kinds: POD_KINDS,
    kubeLinter: 'run-as-non-root',
    summary: 'Pods must set runAsNonRoot: true (pod-wide or on every container).',
    why: 'A process running as root in the container is root on the node if it escapes.',
    fix: 'Set spec.securityContext.runAsNonRoot: true and run the image as a non-zero UID.',
    url: `${PSS_URL}#restricted`,
    check: withPod((pod, report) => {
      const podLevel = podSc(pod)['runAsNonRoot'];
      for (const c of containersOf(pod)) {
        const v = sc(c)['runAsNonRoot'];
        if (v === false || (v === undefined && podLevel !== true)) {
          report(v === false ? scPath(c, 'runAsNonRoot') : podScPath(pod, 'runAsNonRoot'), `container "${c.name}" may run as root (runAsNonRoot not true)`, 'set securityContext.runAsNonRoot: true');
        }
      }
    }),
  },
  {
    id: 'SEC017',
    name: 'run-as-root-user',
    category: 'security',
    severity: 'warning',
    pss: 'restricted',
    kinds: POD_KINDS,
    summary: 'runAsUser must not be 0.',
    why: 'UID 0 is root; the restricted profile forbids it even with runAsNonRoot unset.',
    fix: 'Set runAsUser to a non-zero UID (e.g. 65532).',
    url: `${PSS_URL}#restricted`,
    check: withPod((pod, report) => {
      if (podSc(pod)['runAsUser'] === 0) report(podScPath(pod, 'runAsUser'), 'pod runs as UID 0', 'use a non-zero UID');
      for (const c of containersOf(pod)) if (sc(c)['runAsUser'] === 0) report(scPath(c, 'runAsUser'), `container "${c.name}" runs as UID 0`, 'use a non-zero UID');
    }),
  },
  {
    id: 'SEC018',
    name: 'seccomp-profile-missing',
    category: 'security',
    severity: 'warning',
    pss: 'restricted',
    kinds: POD_KINDS,
    summary: 'Seccomp must be explicitly RuntimeDefault or Localhost (pod-wide or on every container).',
    why: 'Kubernetes runs containers Unconfined unless a profile is set.',
    fix: 'Set spec.securityContext.seccompProfile.type: RuntimeDefault.',
    url: `${PSS_URL}#restricted`,
    check: withPod((pod, report) => {
      if (str(rec(pod.spec['os'])['name']) === 'windows') return;
      const podType = str(get(podSc(pod), ['seccompProfile', 'type']));
      if (podType !== undefined && CONFINED.has(podType)) return;
      for (const c of containersOf(pod)) {
        const t = str(get(sc(c), ['seccompProfile', 'type']));
        if (t === undefined) report(podScPath(pod, 'seccompProfile'), `container "${c.name}" has no seccomp profile`, 'set spec.securityContext.seccompProfile.type: RuntimeDefault');
      }
    }),
  },
  {
    id: 'SEC019',
    name: 'capabilities-not-dropped',
    category: 'security',
    severity: 'warning',
    pss: 'restricted',
    kinds: POD_KINDS,
    summary: 'Containers must drop ALL capabilities and add back at most NET_BIND_SERVICE.',
    why: 'The default capability set includes NET_RAW, CHOWN and others most applications never need.',
    fix: 'Set securityContext.capabilities.drop: [ALL] (and add: [NET_BIND_SERVICE] only if binding ports < 1024).',
    url: `${PSS_URL}#restricted`,
    check: linuxOnly((c, report) => {
      const caps = rec(sc(c)['capabilities']);
      if (!arr(caps['drop']).includes('ALL')) report(scPath(c, 'capabilities', 'drop'), `container "${c.name}" does not drop ALL capabilities`, 'set capabilities.drop: [ALL]');
      arr(caps['add']).forEach((cap, i) => {
        if (cap !== 'NET_BIND_SERVICE' && typeof cap === 'string' && BASELINE_CAPS.has(cap.replace(/^CAP_/, ''))) {
          report(scPath(c, 'capabilities', 'add', i), `container "${c.name}" adds ${cap}; restricted allows only NET_BIND_SERVICE`, 'remove it');
        }
      });
    }),
  },
  {
    id: 'SEC020',
    name: 'read-only-root-fs',
    category: 'security',
    severity: 'warning',
    kinds: POD_KINDS,
    kubeLinter: 'no-read-only-root-fs',
    summary: 'Containers should run with a read-only root filesystem.',
    why: 'A writable root filesystem lets an attacker drop tools and persist changes inside the container.',
    fix: 'Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the app must write.',
    url: `${K8S_DOCS}/tasks/configure-pod-container/security-context/`,
    check: eachContainer((c, report) => {
      if (c.kind !== 'ephemeralContainers' && sc(c)['readOnlyRootFilesystem'] !== true) {
        report(scPath(c, 'readOnlyRootFilesystem'), `container "${c.name}" has a writable root filesystem`, 'set readOnlyRootFilesystem: true; mount emptyDir for scratch space');
      }
    }),
  },
  {
    id: 'SEC021',
    name: 'latest-tag',
    category: 'security',
    severity: 'warning',
    kinds: POD_KINDS,
    kubeLinter: 'latest-tag',
    summary: 'Images must have an explicit tag other than latest.',
    why: 'An untagged or :latest image changes under you: rollbacks and nodes pull different code.',
    fix: 'Pin a version tag (better: a digest, image@sha256:...).',
    url: `${K8S_DOCS}/concepts/containers/images/#image-names`,
    check: eachContainer((c, report) => {
      const image = str(c.c['image']);
      if (image === undefined || image.includes('@')) return;
      const tag = imageTag(image);
      if (tag === undefined || tag === 'latest') report([...c.path, 'image'], `container "${c.name}" image ${image} has ${tag === undefined ? 'no tag' : 'the latest tag'}`, 'use an explicit version tag or digest');
    }),
  },
  {
    id: 'SEC022',
    name: 'image-not-digest',
    category: 'security',
    severity: 'info',
    kinds: POD_KINDS,
    summary: 'Images should be pinned by digest.',
    why: 'Tags are mutable; a digest guarantees every node runs the exact image that was tested.',
    fix: 'Reference images as name:tag@sha256:<digest>.',
    url: `${K8S_DOCS}/concepts/containers/images/#image-names`,
    check: eachContainer((c, report) => {
      const image = str(c.c['image']);
      if (image !== undefined && !image.includes('@sha256:')) report([...c.path, 'image'], `container "${c.name}" image ${image} is not pinned by digest`, 'append @sha256:<digest>');
    }),
  },
  {
    id: 'SEC023',
    name: 'env-secret-literal',
    category: 'security',
    severity: 'error',
    kinds: POD_KINDS,
    kubeLinter: 'env-var-secret',
    summary: 'Secrets must not be written as literal env values.',
    why: 'A literal value lands in git, in the object (readable by anyone who can read Deployments) and in logs.',
    fix: 'Put the value in a Secret and use env.valueFrom.secretKeyRef.',
    url: `${K8S_DOCS}/concepts/configuration/secret/#using-secrets-as-environment-variables`,
    check: eachContainer((c, report) => {
      arr(c.c['env']).forEach((e, i) => {
        const name = str(rec(e)['name']) ?? '';
        const value = rec(e)['value'];
        // One rule with the importer and validate (src/appspec/credentials.ts): names by substring
        // (WEBPASSWORD, PIHOLE_PW), never the path of a mounted secret file (POSTGRES_PASSWORD_FILE=/run/secrets/db).
        if (typeof value === 'string' && isLiteralCredential(name, value)) {
          report([...c.path, 'env', i, 'value'], `container "${c.name}" env ${name} holds a literal secret`, 'use valueFrom.secretKeyRef');
        }
      });
    }),
  },
  {
    id: 'SEC027',
    name: 'url-credentials',
    category: 'security',
    severity: 'error',
    kinds: [...POD_KINDS, 'ConfigMap'],
    summary: 'URLs must not carry a password (scheme://user:password@host) in env values or ConfigMap data.',
    why: 'A password inside a connection URL is a secret in plain text: it lands in git, in the object and in logs, and no name warns about it.',
    fix: 'Keep the password in a Secret: an env var from secretKeyRef, and the URL built from it with $(VAR) (scheme://user:$(DB_PASSWORD)@host), or the whole URL in a Secret.',
    url: `${K8S_DOCS}/tasks/inject-data-application/define-interdependent-environment-variables/`,
    check: (o, report) => {
      const where = (pw: { scheme: string; user: string }): string => `a ${pw.scheme}:// URL with a password${pw.user === '' ? '' : ` for user ${pw.user}`}`;
      if (o.kind === 'ConfigMap') {
        const data = get(o.object, ['data']);
        if (!isRecord(data)) return;
        for (const [key, value] of Object.entries(data)) {
          const pw = typeof value === 'string' ? urlPasswords(value)[0] : undefined;
          if (pw !== undefined) report(['data', key], `ConfigMap ${o.name} key ${key} holds ${where(pw)}`, 'move the value (or the password) to a Secret');
        }
        return;
      }
      const pod = o.pod;
      if (pod === undefined) return;
      for (const c of containersOf(pod)) {
        arr(c.c['env']).forEach((e, i) => {
          const value = rec(e)['value'];
          const pw = typeof value === 'string' ? urlPasswords(value)[0] : undefined;
          if (pw !== undefined) report([...c.path, 'env', i, 'value'], `container "${c.name}" env ${str(rec(e)['name']) ?? ''} holds ${where(pw)}`, 'put the password in a Secret env var and write the URL with $(VAR)');
        });
      }
    },
  },
  {
    id: 'SEC028',
    name: 'configmap-secret',
    category: 'security',
    severity: 'error',
    kinds: ['ConfigMap'],
    summary: 'ConfigMap keys named like credentials (PASSWORD, SECRET_KEY, TOKEN …) must not hold literal values.',
    why: 'ConfigMaps are not secret: anyone who can read the namespace can read them, and they are not encrypted at rest. An env file loaded with envFrom carries its passwords along.',
    fix: 'Move the key to a Secret and load it with envFrom.secretRef or env.valueFrom.secretKeyRef.',
    url: `${K8S_DOCS}/concepts/configuration/secret/`,
    check: (o, report) => {
      const data = get(o.object, ['data']);
      if (!isRecord(data)) return;
      for (const [key, value] of Object.entries(data)) {
        if (ENV_LIKE_KEY.test(key) && typeof value === 'string' && isLiteralCredential(key, value)) report(['data', key], `ConfigMap ${o.name} key ${key} holds a literal secret`, 'move it to a Secret');
      }
    },
  },
  {
    id: 'SEC024',
    name: 'default-service-account',
    category: 'security',
    severity: 'warning',
    kinds: POD_KINDS,
    kubeLinter: 'default-service-account',
    summary: 'Pods should run under their own ServiceAccount, not "default".',
    why: 'Permissions granted to the namespace default ServiceAccount silently apply to every pod that forgot to choose one.',
    fix: 'Create a ServiceAccount per workload and set spec.serviceAccountName.',
    url: `${K8S_DOCS}/concepts/security/service-accounts/`,
    check: withPod((pod, report) => {
      const sa = str(pod.spec['serviceAccountName']) ?? str(pod.spec['serviceAccount']);
      if (sa === undefined || sa === '' || sa === 'default') report([...pod.specPath, 'serviceAccountName'], 'pod uses the default ServiceAccount', 'set serviceAccountName to a dedicated ServiceAccount');
    }),
  },
  {
    id: 'SEC025',
    name: 'automount-service-account-token',
    category: 'security',
    severity: 'info',
    kinds: POD_KINDS,
    summary: 'Pods that do not call the Kubernetes API should not mount a ServiceAccount token.',
    why: 'A mounted token is a credential an attacker can use against the apiserver.',
    fix: 'Set spec.automountServiceAccountToken: false unless the app talks to the API.',
    url: `${K8S_DOCS}/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting`,
    check: withPod((pod, report) => {
      if (pod.spec['automountServiceAccountToken'] !== false) report([...pod.specPath, 'automountServiceAccountToken'], 'ServiceAccount token is mounted', 'set automountServiceAccountToken: false if the app does not use the API');
    }),
  },
];

/** Tag of an image reference without digest, or undefined when it has none. */
function imageTag(image: string): string | undefined {
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  return lastColon > lastSlash ? image.slice(lastColon + 1) : undefined;
}
