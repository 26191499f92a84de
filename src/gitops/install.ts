/**
 * What `slipway controller install` applies for GitOps, on top of progressive delivery's objects
 * (src/rollout/install.ts): the SlipwayApp CRD, and for the in-cluster controller two more
 * ClusterRoles and a Role for its ServiceAccount, each the least it needs:
 *
 *  - `slipway-gitops`: the SlipwayApps themselves (watch, status, the cascade finalizer) and the
 *    Secrets it must read and write whatever an app holds (repository credentials, the revision
 *    history of each app);
 *  - `slipway-gitops-secrets` (a Role in the controller's namespace only): get, list and watch
 *    Secrets there, for the informer on the labelled ones (registered clusters, webhook secrets);
 *  - `slipway-gitops-deployer`: the kinds apps may deploy. It is an aggregated ClusterRole: the
 *    kinds slipway renders are in `slipway-gitops-deployer-base`, and a cluster admin lets apps
 *    deploy more kinds by creating a ClusterRole labelled `slipway.dev/aggregate-to-gitops-deployer:
 *    "true"` (the way `admin`/`edit` aggregate). RBAC objects are not in the base: a controller
 *    that may create Roles may grant itself anything.
 *
 * The Deployment gets an emptyDir for the git cache (the root filesystem is read-only).
 */
import type { KubeObject } from '../manifest/index.ts';
import { CONTROLLER_NAME, CONTROLLER_NAMESPACE, installManifests as rolloutManifests, GROUP, type InstallOptions } from '../rollout/index.ts';
import { PLURAL, slipwayAppCrd } from './types.ts';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

export const GITOPS_ROLE = 'slipway-gitops';
/** The namespaced Role that lets the controller read the labelled Secrets of its own namespace (registered clusters, webhook secrets). */
export const SECRETS_ROLE = 'slipway-gitops-secrets';
export const DEPLOYER_ROLE = 'slipway-gitops-deployer';
export const AGGREGATE_LABEL = 'slipway.dev/aggregate-to-gitops-deployer';
/** Where the in-cluster controller keeps its git cache (an emptyDir). */
export const CACHE_MOUNT = '/var/cache/slipway';

/** The GitOps reconciler's own rules. */
export const GITOPS_RULES: readonly Rule[] = [
  { apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch', 'update'] },
  { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ['get', 'patch', 'update'] },
  // Repository credentials (secretRef) and each app's inventory (a Secret: objects may include Secrets).
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

/**
 * Only in the controller's namespace: the informer on the Secrets labelled
 * `slipway.dev/secret-type` (registered clusters, webhook secrets) lists and watches them there.
 * Nowhere else may the controller list Secrets.
 */
const SECRETS_RULES: readonly Rule[] = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }];

const ALL = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/** The kinds slipway renders (src/render), which every app may deploy. */
export const DEPLOYER_RULES: readonly Rule[] = [
  { apiGroups: [''], resources: ['configmaps', 'secrets', 'services', 'serviceaccounts', 'persistentvolumeclaims', 'namespaces'], verbs: ALL },
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ALL },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ALL },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ALL },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ALL },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: ALL },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: ALL },
  { apiGroups: ['networking.istio.io'], resources: ['virtualservices', 'destinationrules'], verbs: ALL },
  { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors', 'prometheusrules'], verbs: ALL },
  { apiGroups: [GROUP], resources: ['servicerollouts'], verbs: ALL },
];

export interface GitOpsInstallOptions extends InstallOptions {
  /** Install GitOps (the CRD, RBAC, the cache volume). @default true */
  readonly gitops?: boolean;
}

const labels = { 'app.kubernetes.io/name': CONTROLLER_NAME, 'app.kubernetes.io/part-of': 'slipway' };

function clusterRole(name: string, rules: readonly Rule[], extra: Record<string, unknown> = {}, more: Record<string, string> = {}): KubeObject {
  // An aggregated role's rules are the aggregation controller's to fill: written by nobody else.
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: { ...labels, ...more } }, ...(rules.length > 0 ? { rules: [...rules] } : {}), ...extra };
}

function binding(role: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: role, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: CONTROLLER_NAME, namespace: CONTROLLER_NAMESPACE }],
  };
}

/** The controller Deployment with the git cache volume and its flag. */
function withCache(d: KubeObject): KubeObject {
  const spec = d['spec'] as { template: { spec: { containers: Record<string, unknown>[]; volumes?: unknown[] } } };
  const pod = spec.template.spec;
  const containers = pod.containers.map((c, i) =>
    i === 0
      ? {
          ...c,
          args: [...((c['args'] as string[] | undefined) ?? []), '--gitops-cache-dir', `${CACHE_MOUNT}/gitops`],
          volumeMounts: [...((c['volumeMounts'] as unknown[] | undefined) ?? []), { name: 'cache', mountPath: CACHE_MOUNT }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
        }
      : c,
  );
  return { ...d, spec: { ...spec, template: { ...spec.template, spec: { ...pod, containers, volumes: [...(pod.volumes ?? []), { name: 'cache', emptyDir: { sizeLimit: '2Gi' } }] } } } };
}

/** Progressive delivery's install, plus GitOps unless `gitops: false`. */
export function installManifests(o: GitOpsInstallOptions): KubeObject[] {
  const base = rolloutManifests(o);
  if (o.gitops === false) return base;
  const crds = base.filter((x) => x.kind === 'CustomResourceDefinition');
  if (o.crdsOnly) return [...crds, slipwayAppCrd()];
  const rest = base.filter((x) => x.kind !== 'CustomResourceDefinition').map((x) => (x.kind === 'Deployment' ? withCache(x) : x));
  const rbac = [
    clusterRole(GITOPS_ROLE, GITOPS_RULES),
    binding(GITOPS_ROLE),
    clusterRole(`${DEPLOYER_ROLE}-base`, DEPLOYER_RULES, {}, { [AGGREGATE_LABEL]: 'true' }),
    clusterRole(DEPLOYER_ROLE, [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_LABEL]: 'true' } }] } }),
    binding(DEPLOYER_ROLE),
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: SECRETS_ROLE, namespace: CONTROLLER_NAMESPACE, labels }, rules: [...SECRETS_RULES] },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: SECRETS_ROLE, namespace: CONTROLLER_NAMESPACE, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: SECRETS_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: CONTROLLER_NAME, namespace: CONTROLLER_NAMESPACE }],
    },
  ];
  // CRDs first, the namespace and ServiceAccount before the bindings that name them (as the base orders them).
  const deploymentAt = rest.findIndex((x) => x.kind === 'Deployment');
  const ordered = deploymentAt < 0 ? [...rest, ...rbac] : [...rest.slice(0, deploymentAt), ...rbac, ...rest.slice(deploymentAt)];
  return [...crds, slipwayAppCrd(), ...ordered];
}
