/**
 * GitOps: SlipwayApp resources that the slipway controller keeps equal to a path of a git
 * repository, through the deploy engine of `slipway deploy`; drift classified by field manager.
 */
export { GitOpsReconciler, type GitOpsOptions, type ClusterResolver, type ClusterConnection } from './reconcile.ts';
export { slipwayAppCrd, API_VERSION, KIND, PLURAL, OPERATION_ANNOTATION, CASCADE_FINALIZER, GITOPS_MANAGER, IN_CLUSTER, type SlipwayApp, type SlipwayAppSpecT, type SlipwayAppStatusT, type SyncRecordT } from './types.ts';
export { installManifests, GITOPS_RULES, DEPLOYER_RULES, GITOPS_ROLE, DEPLOYER_ROLE, AGGREGATE_LABEL, type GitOpsInstallOptions } from './install.ts';
export { appObject, getApp, listApps, requestOperation, rollbackTarget, deleteApp, watchApp, APP_CLI_MANAGER, type AppFlags, type OperationInput } from './view.ts';
