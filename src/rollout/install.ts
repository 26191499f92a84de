/**
 * What `slipway controller install` applies: the CRDs, the `slipway-system` namespace (Pod
 * Security restricted), a ServiceAccount with least-privilege RBAC, a PSS-restricted Deployment
 * of 2 replicas (leader election picks the active one) and a PodDisruptionBudget.
 */
import type { KubeObject } from '../manifest/index.ts';
import { GROUP, PLURAL, serviceRolloutCrd } from './types.ts';

export const CONTROLLER_NAMESPACE = 'slipway-system';
export const CONTROLLER_NAME = 'slipway-controller';
export const LEASE_NAME = 'slipway-controller';

/** The rules the controller needs, and nothing else (checked by running under them in test/integration). */
export const CONTROLLER_RULES: readonly { apiGroups: string[]; resources: string[]; verbs: string[] }[] = [
  { apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ['get', 'patch', 'update'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  // Content-versioned config copies no version mounts any more, deleted by name: never read.
  { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['delete'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'create', 'patch'] },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: ['get', 'create', 'patch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'create', 'patch'] },
  { apiGroups: ['networking.istio.io'], resources: ['virtualservices', 'destinationrules'], verbs: ['get', 'create', 'patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

/** Lease rules, only in the controller's namespace. */
const LEASE_RULES = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }];

export interface InstallOptions {
  readonly image: string;
  /** @default 2 */
  readonly replicas?: number;
  readonly crdsOnly?: boolean;
}

export function installManifests(o: InstallOptions): KubeObject[] {
  const crds = [serviceRolloutCrd()];
  if (o.crdsOnly) return crds;
  const ns = CONTROLLER_NAMESPACE;
  const labels = { 'app.kubernetes.io/name': CONTROLLER_NAME, 'app.kubernetes.io/part-of': 'slipway' };
  const meta = (name: string, namespaced = true): KubeObject['metadata'] => ({ name, ...(namespaced ? { namespace: ns } : {}), labels });
  return [
    ...crds,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(CONTROLLER_NAME), automountServiceAccountToken: true },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(CONTROLLER_NAME, false), rules: CONTROLLER_RULES },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(CONTROLLER_NAME, false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CONTROLLER_NAME },
      subjects: [{ kind: 'ServiceAccount', name: CONTROLLER_NAME, namespace: ns }],
    },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(`${CONTROLLER_NAME}-leader-election`), rules: LEASE_RULES },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(`${CONTROLLER_NAME}-leader-election`),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${CONTROLLER_NAME}-leader-election` },
      subjects: [{ kind: 'ServiceAccount', name: CONTROLLER_NAME, namespace: ns }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(CONTROLLER_NAME),
      spec: {
        replicas: o.replicas ?? 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: CONTROLLER_NAME,
            securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'controller',
                image: o.image,
                args: ['controller', 'run', '--all-namespaces', '--metrics-addr', '0.0.0.0:8090', '--lease-namespace', ns],
                ports: [{ name: 'metrics', containerPort: 8090 }],
                readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' } },
                livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' } },
                resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      },
    },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(CONTROLLER_NAME), spec: { minAvailable: 1, selector: { matchLabels: labels } } },
  ];
}
