/**
 * Apply order. Definitions first (CRDs, Namespaces) so that what lives in them can be created;
 * then what workloads reference (config, identities, RBAC, storage claims, Services); then the
 * workloads and everything else. Pruning and destroy walk the stages in reverse.
 */
export type Stage = 0 | 1 | 2;
export const STAGE_NAMES: Readonly<Record<Stage, string>> = {
  0: 'definitions (CRDs, Namespaces)',
  1: 'cluster-scoped and config objects',
  2: 'workloads and the rest',
};

const DEFINITIONS = new Set(['CustomResourceDefinition', 'Namespace']);

/** Kinds that workloads reference by name, so they must exist before the workloads start. */
const CONFIG = new Set([
  'ServiceAccount',
  'ConfigMap',
  'Secret',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'StorageClass',
  'PriorityClass',
  'LimitRange',
  'ResourceQuota',
  'NetworkPolicy',
  'Service',
  'PodDisruptionBudget',
  'IngressClass',
  'RuntimeClass',
]);

/**
 * @param clusterScoped whether the kind is cluster-scoped, when known from discovery (an unknown
 * cluster-scoped kind, e.g. a custom policy, goes with the config stage).
 */
export function stageOf(kind: string, clusterScoped = false): Stage {
  if (DEFINITIONS.has(kind)) return 0;
  if (CONFIG.has(kind) || clusterScoped) return 1;
  return 2;
}
