/**
 * The local control plane: etcd + kube-apiserver + controller-manager + scheduler built from Go
 * modules, with kwok simulating nodes and pods. Used by `slipway cluster`, `make demo` and the
 * integration tests.
 */
export { planUp, clusterUp, type UpOptions, type UpResult, type UpPlan, type UpStep } from './up.ts';
export { targetLayout, type ClusterTarget } from './target.ts';
export { clusterDown, type DownOptions, type DownResult } from './down.ts';
export { clusterStatus, type ClusterStatus, type ComponentStatus } from './status.ts';
export { contextName, type Component, type ClusterLayout } from './layout.ts';
export { SIMULATE_LABEL, ZONES, type Simulation } from './stages.ts';

export { localClusterPrometheus, type KubeContextRef, type LocalPrometheus } from './local-prometheus.ts';
