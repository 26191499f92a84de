import { describe, expect, it } from 'vitest';
import { appYaml, parse, unmark, type Variation } from './fixture.test-util.ts';
import { lintObjects, listRules } from './index.ts';

interface Case {
  readonly rule: string;
  readonly what: string;
  /** A variation of the passing app that violates `rule`, with `^^` where the finding must point. */
  readonly bad: Variation;
  /** A variation that is close to `bad` but passes `rule` (defaults to the unmodified app). */
  readonly good?: Variation;
}

const CLUSTER_ROLE = (rules: string): string => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
${rules}
`;

const HPA = (target: string, extra = ''): string => `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, ${target}}
  minReplicas: 3
  maxReplicas: 10
${extra}`;

const cases: readonly Case[] = [
  // --- Pod Security Standards: baseline ---
  { rule: 'SEC001', what: 'hostNetwork', bad: { pod: '^^hostNetwork: true' }, good: { pod: 'hostNetwork: false' } },
  { rule: 'SEC002', what: 'hostPID', bad: { pod: '^^hostPID: true' }, good: { pod: 'hostPID: false' } },
  { rule: 'SEC003', what: 'hostIPC', bad: { pod: '^^hostIPC: true' }, good: { pod: 'hostIPC: false' } },
  {
    rule: 'SEC004',
    what: 'privileged',
    bad: { replace: [['securityContext: {allowPrivilegeEscalation', 'securityContext: {^^privileged: true, allowPrivilegeEscalation']] },
    good: { replace: [['securityContext: {allowPrivilegeEscalation', 'securityContext: {privileged: false, allowPrivilegeEscalation']] },
  },
  {
    rule: 'SEC005',
    what: 'SYS_ADMIN added',
    bad: { replace: [['capabilities: {drop: [ALL]}', 'capabilities: {drop: [ALL], add: [^^SYS_ADMIN]}']] },
    good: { replace: [['capabilities: {drop: [ALL]}', 'capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}']] },
  },
  {
    rule: 'SEC006',
    what: 'hostPath volume',
    bad: { replace: [['- {name: tmp, emptyDir: {}}', '- {name: tmp, ^^hostPath: {path: /var/run/docker.sock}}']] },
  },
  {
    rule: 'SEC007',
    what: 'hostPort',
    bad: { replace: [['- {name: http, containerPort: 8080}', '- {name: http, containerPort: 8080, ^^hostPort: 8080}']] },
    good: { replace: [['- {name: http, containerPort: 8080}', '- {name: http, containerPort: 8080, hostPort: 0}']] },
  },
  {
    rule: 'SEC008',
    what: 'AppArmor Unconfined',
    bad: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {appArmorProfile: {^^type: Unconfined}, runAsNonRoot: true,']] },
    good: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {appArmorProfile: {type: RuntimeDefault}, runAsNonRoot: true,']] },
  },
  {
    rule: 'SEC008',
    what: 'AppArmor annotation unconfined',
    bad: { replace: [['labels: {app: web}\n    spec:', 'labels: {app: web}\n      annotations: {^^container.apparmor.security.beta.kubernetes.io/app: unconfined}\n    spec:']] },
    good: { replace: [['labels: {app: web}\n    spec:', 'labels: {app: web}\n      annotations: {container.apparmor.security.beta.kubernetes.io/app: runtime/default}\n    spec:']] },
  },
  {
    rule: 'SEC009',
    what: 'SELinux custom user',
    bad: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {seLinuxOptions: {^^user: system_u}, runAsNonRoot: true,']] },
    good: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {seLinuxOptions: {type: container_t}, runAsNonRoot: true,']] },
  },
  {
    rule: 'SEC010',
    what: 'procMount Unmasked',
    bad: { replace: [['securityContext: {allowPrivilegeEscalation', 'securityContext: {^^procMount: Unmasked, allowPrivilegeEscalation']] },
    good: { replace: [['securityContext: {allowPrivilegeEscalation', 'securityContext: {procMount: Default, allowPrivilegeEscalation']] },
  },
  {
    rule: 'SEC011',
    what: 'seccomp Unconfined on container',
    bad: { replace: [['securityContext: {allowPrivilegeEscalation', 'securityContext: {seccompProfile: {^^type: Unconfined}, allowPrivilegeEscalation']] },
    good: { replace: [['securityContext: {allowPrivilegeEscalation', 'securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}, allowPrivilegeEscalation']] },
  },
  {
    rule: 'SEC012',
    what: 'unsafe sysctl',
    bad: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {sysctls: [{^^name: kernel.msgmax, value: "65536"}], runAsNonRoot: true,']] },
    good: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {sysctls: [{name: net.ipv4.tcp_syncookies, value: "1"}], runAsNonRoot: true,']] },
  },
  {
    rule: 'SEC013',
    what: 'Windows HostProcess',
    bad: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {windowsOptions: {^^hostProcess: true}, runAsNonRoot: true,']] },
    good: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {windowsOptions: {hostProcess: false}, runAsNonRoot: true,']] },
  },
  // --- Pod Security Standards: restricted ---
  {
    rule: 'SEC014',
    what: 'nfs volume',
    bad: { replace: [['- {name: tmp, emptyDir: {}}', '- {name: tmp, ^^nfs: {server: nfs.example.com, path: /}}']] },
    good: { replace: [['- {name: tmp, emptyDir: {}}', '- {name: tmp, persistentVolumeClaim: {claimName: data}}']] },
  },
  {
    rule: 'SEC015',
    what: 'allowPrivilegeEscalation unset',
    bad: { replace: [['securityContext: {allowPrivilegeEscalation: false, ', '^^securityContext: {']] },
    // Windows pods are exempt from this Linux-only restricted control.
    good: { replace: [['securityContext: {allowPrivilegeEscalation: false, ', 'securityContext: {']], pod: 'os: {name: windows}' },
  },
  {
    rule: 'SEC016',
    what: 'runAsNonRoot false on the container',
    bad: { replace: [['securityContext: {allowPrivilegeEscalation', 'securityContext: {^^runAsNonRoot: false, allowPrivilegeEscalation']] },
    good: { replace: [['securityContext: {allowPrivilegeEscalation', 'securityContext: {runAsNonRoot: true, allowPrivilegeEscalation']] },
  },
  {
    rule: 'SEC016',
    what: 'runAsNonRoot unset anywhere',
    bad: { replace: [['securityContext: {runAsNonRoot: true, seccompProfile', '^^securityContext: {seccompProfile']] },
  },
  {
    rule: 'SEC017',
    what: 'runAsUser 0',
    bad: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {^^runAsUser: 0, runAsNonRoot: true,']] },
    good: { replace: [['securityContext: {runAsNonRoot: true,', 'securityContext: {runAsUser: 10001, runAsNonRoot: true,']] },
  },
  {
    rule: 'SEC018',
    what: 'no seccomp profile',
    bad: { replace: [['securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}', '^^securityContext: {runAsNonRoot: true}']] },
    good: {
      replace: [
        ['securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}', 'securityContext: {runAsNonRoot: true}'],
        ['securityContext: {allowPrivilegeEscalation', 'securityContext: {seccompProfile: {type: RuntimeDefault}, allowPrivilegeEscalation'],
      ],
    },
  },
  {
    rule: 'SEC019',
    what: 'capabilities not dropped',
    bad: { replace: [['capabilities: {drop: [ALL]}', 'capabilities: {^^drop: [NET_RAW]}']] },
  },
  {
    rule: 'SEC019',
    what: 'baseline capability added back',
    bad: { replace: [['capabilities: {drop: [ALL]}', 'capabilities: {drop: [ALL], add: [^^CHOWN]}']] },
    good: { replace: [['capabilities: {drop: [ALL]}', 'capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}']] },
  },
  // --- Other container security ---
  {
    rule: 'SEC020',
    what: 'writable root filesystem',
    bad: { replace: [['readOnlyRootFilesystem: true', '^^readOnlyRootFilesystem: false']] },
  },
  {
    rule: 'SEC021',
    what: 'latest tag',
    bad: { replace: [[`image: registry.example.com/web:1.2.3@sha256:${'a'.repeat(64)}`, '^^image: registry.example.com/web:latest']] },
    good: { replace: [[`image: registry.example.com/web:1.2.3@sha256:${'a'.repeat(64)}`, 'image: registry.example.com:5000/web:1.2.3']] },
  },
  {
    rule: 'SEC021',
    what: 'no tag (registry with port)',
    bad: { replace: [[`image: registry.example.com/web:1.2.3@sha256:${'a'.repeat(64)}`, '^^image: registry.example.com:5000/web']] },
  },
  {
    rule: 'SEC022',
    what: 'not pinned by digest',
    bad: { replace: [[`image: registry.example.com/web:1.2.3@sha256:${'a'.repeat(64)}`, '^^image: registry.example.com/web:1.2.3']] },
  },
  {
    rule: 'SEC023',
    what: 'literal password in env',
    bad: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: DB_PASSWORD, ^^value: hunter2}']] },
    good: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}']] },
  },
  {
    rule: 'SEC023',
    what: 'credential name by substring (WEBPASSWORD, as pi-hole names it)',
    bad: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: WEBPASSWORD, ^^value: hunter2}']] },
    good: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: PASSWORD_MIN_LENGTH, value: "12"}']] },
  },
  {
    rule: 'SEC023',
    what: 'SECRET_PATH=pwndrop is a secret; SECRET_PATH=/run/secrets/x is the path of one',
    bad: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: SECRET_PATH, ^^value: pwndrop}']] },
    good: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: SECRET_PATH, value: /run/secrets/admin}']] },
  },
  {
    rule: 'SEC027',
    what: 'password in a URL in env',
    bad: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: DATABASE_URL, ^^value: "mysql://root:secret@db/app"}']] },
    good: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: DATABASE_URL, value: "mysql://root:$(DB_PASSWORD)@db/app"}']] },
  },
  {
    rule: 'SEC027',
    what: 'password in a URL in ConfigMap data (a config file)',
    bad: { docs: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {^^app.conf: "[db]\\nurl = redis://:s3cret@cache:6379/0\\n"}\n' },
    good: { docs: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {app.conf: "[db]\\nurl = redis://cache:6379/0\\n"}\n' },
  },
  {
    rule: 'SEC028',
    what: 'credential-named key in a ConfigMap (an env file loaded with envFrom)',
    bad: { docs: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {PG_USER: app, ^^PG_PASS: hunter2}\n' },
    good: { docs: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {PG_USER: app, PG_PASS_FILE: /run/secrets/pg, secret.conf.example: x}\n' },
  },
  {
    rule: 'SEC023',
    what: 'literal password in a *_FILE env (only a mounted file path is exempt)',
    bad: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: DB_PASSWORD_FILE, ^^value: hunter2}']] },
    good: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: DB_PASSWORD_FILE, value: /run/secrets/db_password}']] },
  },
  {
    rule: 'SEC024',
    what: 'default ServiceAccount',
    bad: { replace: [['serviceAccountName: web', '^^serviceAccountName: default']] },
  },
  {
    rule: 'SEC025',
    what: 'token automounted',
    bad: { replace: [['automountServiceAccountToken: false', '^^automountServiceAccountToken: true']] },
  },
  {
    rule: 'SEC026',
    what: 'nginx with a read-only root filesystem and no emptyDir where it writes',
    bad: { replace: [['image: registry.example.com/web:1.2.3@', '^^image: nginx:1.27@'], ['- {name: http, containerPort: 8080}', '- {name: http, containerPort: 8080}\n            - {name: web, containerPort: 80}']], pod: '' },
    good: {
      replace: [
        ['image: registry.example.com/web:1.2.3@', 'image: nginx:1.27@'],
        ['- {name: tmp, mountPath: /tmp}', '- {name: tmp, mountPath: /tmp}\n            - {name: tmp, mountPath: /var/cache/nginx, subPath: cache}\n            - {name: tmp, mountPath: /var/run, subPath: run}'],
        ['securityContext: {runAsNonRoot: true,', 'securityContext: {sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "0"}], runAsNonRoot: true,'],
      ],
    },
  },
  {
    rule: 'SEC026',
    what: 'an image that cannot run restricted (Docker-in-Docker)',
    bad: { replace: [['image: registry.example.com/web:1.2.3@', '^^image: docker:27-dind@']] },
  },
  {
    rule: 'SEC026',
    what: 'postgres without a volume at its data directory',
    bad: { replace: [['- name: app', '- name: app\n          ^^volumeMounts: [{name: tmp, mountPath: /var/run/postgresql}]'], ['image: registry.example.com/web:1.2.3@', 'image: postgres:16@'], ['          volumeMounts:\n            - {name: tmp, mountPath: /tmp}\n', '']] },
  },
  // --- Reliability ---
  { rule: 'REL001', what: 'no liveness probe', bad: { replace: [['- name: app', '- ^^name: app'], ['          livenessProbe: {httpGet: {path: /livez, port: http}}\n', '']] } },
  { rule: 'REL002', what: 'no readiness probe', bad: { replace: [['- name: app', '- ^^name: app'], ['          readinessProbe: {httpGet: {path: /readyz, port: http}}\n', '']] } },
  {
    rule: 'REL003',
    what: 'probe on undeclared named port',
    bad: { replace: [['readinessProbe: {httpGet: {path: /readyz, port: http}}', 'readinessProbe: {httpGet: {path: /readyz, ^^port: web}}']] },
    good: { replace: [['readinessProbe: {httpGet: {path: /readyz, port: http}}', 'readinessProbe: {httpGet: {path: /readyz, port: 8080}}']] },
  },
  {
    rule: 'REL004',
    what: 'probe on undeclared numeric port',
    bad: { replace: [['readinessProbe: {httpGet: {path: /readyz, port: http}}', 'readinessProbe: {tcpSocket: {^^port: 9090}}']] },
    good: { replace: [['readinessProbe: {httpGet: {path: /readyz, port: http}}', 'readinessProbe: {tcpSocket: {port: 8080}}']] },
  },
  {
    rule: 'REL005',
    what: 'liveness == readiness',
    bad: { replace: [['livenessProbe: {httpGet: {path: /livez, port: http}}', '^^livenessProbe: {httpGet: {path: /readyz, port: http}, periodSeconds: 20}']] },
  },
  {
    rule: 'REL006',
    what: 'one replica, no HPA',
    bad: { replace: [['replicas: 3', '^^replicas: 1']] },
    good: { replace: [['replicas: 3', 'replicas: 1']], docs: HPA('name: web') },
  },
  {
    rule: 'REL007',
    what: 'no PDB',
    bad: { replace: [['  name: web\n  namespace: shop\nspec:\n  replicas', '  ^^name: web\n  namespace: shop\nspec:\n  replicas'], ['  selector: {matchLabels: {app: web}}\n---\napiVersion: networking', '  selector: {matchLabels: {app: other}}\n---\napiVersion: networking']] },
  },
  { rule: 'REL008', what: 'maxUnavailable 0', bad: { replace: [['maxUnavailable: 1', '^^maxUnavailable: 0']] } },
  {
    rule: 'REL008',
    what: 'minAvailable = replicas',
    bad: { replace: [['maxUnavailable: 1', '^^minAvailable: 3']] },
    good: { replace: [['maxUnavailable: 1', 'minAvailable: 2']] },
  },
  {
    rule: 'REL009',
    what: 'minAvailable ≥ HPA minReplicas',
    bad: { replace: [['maxUnavailable: 1', '^^minAvailable: 3'], ['  replicas: 3\n', '']], docs: HPA('name: web') },
    good: { replace: [['maxUnavailable: 1', 'minAvailable: 2'], ['  replicas: 3\n', '']], docs: HPA('name: web') },
  },
  { rule: 'REL010', what: 'PDB selects nothing', bad: { replace: [['  selector: {matchLabels: {app: web}}\n---\napiVersion: networking', '  ^^selector: {matchLabels: {app: wbe}}\n---\napiVersion: networking']] } },
  {
    rule: 'REL011',
    what: 'replicas not spread',
    bad: {
      replace: [
        ['      topologySpreadConstraints:\n        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}\n', ''],
        ['    spec:\n      serviceAccountName', '    ^^spec:\n      serviceAccountName'],
      ],
    },
    good: {
      replace: [
        [
          '      topologySpreadConstraints:\n        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}\n',
          '      affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: web}}}}]}}\n',
        ],
      ],
    },
  },
  {
    rule: 'REL012',
    what: 'HPA targets a missing Deployment',
    bad: { docs: HPA('^^name: api'), replace: [['  replicas: 3\n', '']] },
    good: { docs: HPA('name: web'), replace: [['  replicas: 3\n', '']] },
  },
  { rule: 'REL013', what: 'static replicas + HPA', bad: { replace: [['replicas: 3', '^^replicas: 3']], docs: HPA('name: web') } },
  { rule: 'REL014', what: 'selector ≠ template labels', bad: { replace: [['  selector:\n    matchLabels: {app: web}', '  ^^selector:\n    matchLabels: {app: api}']] } },
  {
    rule: 'REL015',
    what: 'duplicate env',
    bad: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: LOG_LEVEL, value: info}\n            - {^^name: LOG_LEVEL, value: debug}']] },
    good: { replace: [['- {name: LOG_LEVEL, value: info}', '- {name: LOG_LEVEL, value: info}\n            - {name: LOG_FORMAT, value: json}']] },
  },
  {
    rule: 'REL016',
    what: 'removed API version',
    bad: { docs: '^^apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: old, namespace: shop}\nspec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}\n' },
  },
  {
    rule: 'REL017',
    what: 'deprecated API version',
    bad: { docs: '^^apiVersion: v1\nkind: Endpoints\nmetadata: {name: ext, namespace: shop}\nsubsets: []\n' },
  },
  { rule: 'REL018', what: 'default namespace', bad: { replace: [['metadata: {name: web, namespace: shop}\n---\napiVersion: apps/v1', 'metadata: {name: web, ^^namespace: default}\n---\napiVersion: apps/v1']] } },
  {
    rule: 'REL019',
    what: 'label key and value the apiserver refuses',
    bad: { replace: [['    metadata:\n      labels: {app: web}', '    metadata:\n      labels: {app: web, ^^"Bad Key!": "value with spaces"}']] },
    good: { replace: [['    metadata:\n      labels: {app: web}', '    metadata:\n      labels: {app: web, example.com/team: a.b_c-1, empty: ""}']] },
  },
  { rule: 'REL019', what: 'label value with spaces', bad: { replace: [['metadata: {name: web, namespace: shop, labels: {app: web}}', 'metadata: {name: web, namespace: shop, labels: {^^app: "web app"}}']] } },
  {
    rule: 'REL019',
    what: 'annotation key',
    bad: { replace: [['  name: web\n  namespace: shop\nspec:\n  replicas', '  name: web\n  namespace: shop\n  annotations: {^^"Bad Key!": "free text is fine here"}\nspec:\n  replicas']] },
    good: { replace: [['  name: web\n  namespace: shop\nspec:\n  replicas', '  name: web\n  namespace: shop\n  annotations: {example.com/note: "free text: is fine here!"}\nspec:\n  replicas']] },
  },
  { rule: 'REL019', what: 'nodeSelector', bad: { pod: 'nodeSelector: {^^"disk type": ssd}' } },
  {
    rule: 'REL020',
    what: 'replicas over int32',
    bad: { replace: [['  replicas: 3', '  ^^replicas: 2147483648']] },
    good: { replace: [['  replicas: 3', '  replicas: 2147483647']] },
  },
  { rule: 'REL020', what: 'terminationGracePeriodSeconds 1e300 (over int64)', bad: { pod: '^^terminationGracePeriodSeconds: 1e300' }, good: { pod: 'terminationGracePeriodSeconds: 9007199254740991' } },
  { rule: 'REL020', what: 'containerPort over int32', bad: { replace: [['- {name: http, containerPort: 8080}', '- {name: http, ^^containerPort: 99999999999}']] } },
  { rule: 'REL020', what: 'a Service port of 1e400 (Infinity)', bad: { replace: [['- {name: http, port: 80, targetPort: http}', '- {name: http, ^^port: 1e400, targetPort: http}']] } },
  { rule: 'REL020', what: 'NaN anywhere', bad: { replace: [['readinessProbe: {httpGet: {path: /readyz, port: http}}', 'readinessProbe: {httpGet: {path: /readyz, port: http}, ^^periodSeconds: .nan}']] } },
  {
    rule: 'REL021',
    what: 'ConfigMap data key with a space',
    bad: { docs: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {ok: "1", ^^"my key": x}\n' },
    good: { docs: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {ok: "1", my_key.conf: x, -._A9: y}\n' },
  },
  { rule: 'REL021', what: 'Secret stringData key ".."', bad: { docs: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\nstringData: {^^..: x}\n' } },
  { rule: 'REL021', what: 'ConfigMap key in data and binaryData', bad: { docs: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\ndata: {k: x}\nbinaryData: {^^k: eA==}\n' } },
  // --- Efficiency ---
  { rule: 'EFF001', what: 'no cpu request', bad: { replace: [['resources: {requests: {cpu: 100m, memory: 128Mi}', 'resources: {^^requests: {memory: 128Mi}']] } },
  { rule: 'EFF002', what: 'no memory request', bad: { replace: [['resources: {requests: {cpu: 100m, memory: 128Mi}', 'resources: {^^requests: {cpu: 100m}']] } },
  { rule: 'EFF003', what: 'no memory limit', bad: { replace: [['limits: {cpu: 500m, memory: 256Mi}', '^^limits: {cpu: 500m}']] } },
  { rule: 'EFF004', what: 'no cpu limit', bad: { replace: [['limits: {cpu: 500m, memory: 256Mi}', '^^limits: {memory: 256Mi}']] } },
  {
    rule: 'EFF005',
    what: 'request above limit',
    bad: { replace: [['requests: {cpu: 100m, memory: 128Mi}', 'requests: {cpu: 100m, ^^memory: 1Gi}']] },
    good: { replace: [['requests: {cpu: 100m, memory: 128Mi}', 'requests: {cpu: 100m, memory: 256Mi}']] },
  },
  // --- Networking ---
  { rule: 'NET001', what: 'Service selects no pods', bad: { replace: [['  selector: {app: web}\n  ports:', '  ^^selector: {app: wbe}\n  ports:']] } },
  {
    rule: 'NET002',
    what: 'named targetPort not declared',
    bad: { replace: [['- {name: http, port: 80, targetPort: http}', '- {name: http, port: 80, ^^targetPort: https}']] },
    good: { replace: [['- {name: http, port: 80, targetPort: http}', '- {name: http, port: 80, targetPort: 8080}']] },
  },
  {
    rule: 'NET003',
    what: 'Ingress to missing Service',
    bad: { docs: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  tls: [{hosts: [a.example.com], secretName: tls}]\n  rules:\n    - host: a.example.com\n      http:\n        paths:\n          - {path: /, pathType: Prefix, backend: {service: {^^name: webb, port: {number: 80}}}}\n' },
    good: { docs: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  tls: [{hosts: [a.example.com], secretName: tls}]\n  rules:\n    - host: a.example.com\n      http:\n        paths:\n          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}\n' },
  },
  {
    rule: 'NET003',
    what: 'Ingress to missing Service port',
    bad: { docs: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  tls: [{hosts: [a.example.com], secretName: tls}]\n  defaultBackend: {service: {name: web, ^^port: {number: 8080}}}\n' },
  },
  {
    rule: 'NET004',
    what: 'HTTPRoute to missing port',
    bad: { docs: 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: shop}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n    - backendRefs: [{name: web, ^^port: 8080}]\n' },
    good: { docs: 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: shop}\nspec:\n  parentRefs: [{name: gw}]\n  rules:\n    - backendRefs: [{name: web, port: 80}]\n' },
  },
  { rule: 'NET005', what: 'NetworkPolicy selects nothing', bad: { replace: [['  podSelector: {matchLabels: {app: web}}', '  ^^podSelector: {matchLabels: {app: api}}']] } },
  {
    rule: 'NET006',
    what: 'pod not covered by a NetworkPolicy',
    bad: { replace: [['  podSelector: {matchLabels: {app: web}}', '  podSelector: {matchLabels: {app: api}}'], ['    metadata:\n      labels: {app: web}', '    metadata:\n      ^^labels: {app: web}']] },
    good: { replace: [['  podSelector: {matchLabels: {app: web}}', '  podSelector: {}']] },
  },
  {
    rule: 'NET007',
    what: 'ServiceMonitor selects no Service',
    bad: { docs: 'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web, namespace: shop}\nspec:\n  ^^selector: {matchLabels: {app: api}}\n  endpoints: [{port: http}]\n' },
    good: { docs: 'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  endpoints: [{port: http}]\n' },
  },
  {
    rule: 'NET007',
    what: 'ServiceMonitor endpoint port not on the Service',
    bad: { docs: 'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  endpoints: [{^^port: metrics}]\n' },
  },
  {
    rule: 'NET008',
    what: 'Ingress without TLS',
    bad: { docs: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\n^^spec:\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n' },
    good: { docs: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  tls: [{hosts: [a.example.com], secretName: tls}]\n  defaultBackend: {service: {name: web, port: {number: 80}}}\n' },
  },
  {
    rule: 'NET009',
    what: 'SSH port',
    bad: { replace: [['- {name: http, containerPort: 8080}', '- {name: http, containerPort: 8080}\n            - {name: ssh, ^^containerPort: 22}']] },
  },
  { rule: 'NET010', what: 'NodePort Service', bad: { replace: [['  selector: {app: web}\n  ports:', '  ^^type: NodePort\n  selector: {app: web}\n  ports:']] } },
  // --- RBAC ---
  {
    rule: 'RBAC001',
    what: 'wildcard verbs',
    bad: { docs: CLUSTER_ROLE('  - {apiGroups: [""], resources: [configmaps], ^^verbs: ["*"]}') },
    good: { docs: CLUSTER_ROLE('  - {apiGroups: [""], resources: [configmaps], verbs: [get, list]}') },
  },
  {
    rule: 'RBAC002',
    what: 'cluster-admin binding',
    bad: { docs: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: web}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, ^^name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: web, namespace: shop}]\n' },
    good: { docs: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: web}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: ServiceAccount, name: web, namespace: shop}]\n' },
  },
  { rule: 'RBAC003', what: 'pods/exec', bad: { docs: CLUSTER_ROLE('  - {apiGroups: [""], ^^resources: [pods/exec], verbs: [create]}') } },
  {
    rule: 'RBAC004',
    what: 'read secrets',
    bad: { docs: CLUSTER_ROLE('  - {apiGroups: [""], ^^resources: [secrets], verbs: [list]}') },
    good: { docs: CLUSTER_ROLE('  - {apiGroups: [""], resources: [configmaps], verbs: [list]}') },
  },
  { rule: 'RBAC005', what: 'impersonate', bad: { docs: CLUSTER_ROLE('  - {apiGroups: [""], resources: [serviceaccounts], ^^verbs: [impersonate]}') } },
  { rule: 'RBAC006', what: 'create pods', bad: { docs: CLUSTER_ROLE('  - {apiGroups: [""], resources: [pods], ^^verbs: [create]}') } },
  // --- Schema and opt-outs ---
  { rule: 'SCH001', what: 'unknown field', bad: { replace: [['  replicas: 3', '  ^^replicass: 3']] } },
  { rule: 'SCH001', what: 'wrong type', bad: { replace: [['- {name: http, containerPort: 8080}', '- {name: http, ^^containerPort: "8080"}']] } },
  { rule: 'SCH001', what: 'bad quantity', bad: { replace: [['limits: {cpu: 500m, memory: 256Mi}', 'limits: {cpu: 500m, ^^memory: 256MB}']] }, good: { replace: [['limits: {cpu: 500m, memory: 256Mi}', 'limits: {cpu: 0.5, memory: 256M}']] } },
  { rule: 'SCH001', what: 'bad enum', bad: { replace: [['image: registry', 'imagePullPolicy: always\n          image: registry'], ['imagePullPolicy: always', '^^imagePullPolicy: always']] } },
  { rule: 'SCH001', what: 'unknown field in a CRD', bad: { docs: 'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  endpoints: [{port: http, ^^intervall: 30s}]\n' } },
  { rule: 'SCH002', what: 'unknown kind', bad: { docs: 'apiVersion: example.com/v1\n^^kind: Widget\nmetadata: {name: w, namespace: shop}\n' } },
  { rule: 'SCH003', what: 'no name', bad: { docs: 'apiVersion: v1\nkind: ConfigMap\n^^metadata: {namespace: shop}\n' } },
  {
    rule: 'CFG001',
    what: 'opt-out without reason',
    bad: { replace: [['  name: web\n  namespace: shop\nspec:\n  replicas', '  name: web\n  namespace: shop\n  annotations: {^^ignore-check.slipway.dev/SEC020: ""}\nspec:\n  replicas']] },
    good: { replace: [['  name: web\n  namespace: shop\nspec:\n  replicas', '  name: web\n  namespace: shop\n  annotations: {ignore-check.slipway.dev/SEC020: "nginx writes /var/cache; OPS-12"}\nspec:\n  replicas']] },
  },
  {
    rule: 'CFG002',
    what: 'opt-out of an unknown rule',
    bad: { replace: [['  name: web\n  namespace: shop\nspec:\n  replicas', '  name: web\n  namespace: shop\n  annotations: {^^ignore-check.slipway.dev/SEC999: "typo"}\nspec:\n  replicas']] },
  },
];

describe('every rule: a violating and a passing object', () => {
  it.each(cases)('$rule $what', ({ rule, bad, good }) => {
    const { text, at } = unmark(appYaml(bad));
    expect(at, 'test case needs a ^^ marker').toBeDefined();
    const hits = lintObjects(parse(text)).findings.filter((f) => f.ruleId === rule);
    expect(hits.map((f) => ({ id: f.ruleId, line: f.position?.line, col: f.position?.col }))).toContainEqual({ id: rule, line: at?.line, col: at?.col });
    const passing = lintObjects(parse(appYaml(good ?? {}))).findings.filter((f) => f.ruleId === rule);
    expect(passing).toEqual([]);
  });

  it('covers every rule', () => {
    const tested = new Set(cases.map((c) => c.rule));
    expect(listRules().map((r) => r.id).filter((id) => !tested.has(id))).toEqual([]);
  });

  it('the base app has no finding at all', () => {
    expect(lintObjects(parse(appYaml())).findings).toEqual([]);
  });
});
