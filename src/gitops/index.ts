/**
 * GitOps: SlipwayApp resources that the slipway controller keeps equal to a path of a git
 * repository, through the deploy engine of `slipway deploy`; drift classified by field manager.
 * Webhook receivers refresh applications when their repository changes; notifications tell
 * people what the controller did (syncs, health, rollouts, promotions).
 */
export { GitOpsReconciler, type GitOpsOptions } from './reconcile.ts';
export {
  authOf,
  checkClusterName,
  clusterSecretOf,
  clusterSecretsQuery,
  registeredClusterOf,
  targetOf,
  type ClusterAuth,
  type ClusterConfig,
  type ClusterConnection,
  type ClusterDown,
  type ClusterResolver,
  type RegisteredCluster,
} from './clusters.ts';
export { API_VERSION, KIND, PLURAL, type SlipwayApp, type SlipwayAppSpecT, type SlipwayAppStatusT, type SyncRecordT, type PromotionStatusT, type PromotionRecordT } from './types.ts';
export { installManifests, type GitOpsInstallOptions } from './install.ts';
export { appObject, getApp, listApps, requestOperation, rollbackTarget, deleteApp, watchApp, whoAmI, pipelineApps, environmentOf, requestApproval, APP_CLI_MANAGER, type AppFlags, type OperationInput } from './view.ts';
export { registerWebhooks, pushMatches, type PushEvent, type WebhookProvider, type WebhookSecretResolver, type WebhookOptions } from './webhooks.ts';
export { webhookRoutes, webhookSecrets, webhookSecretsQuery, SECRET_TYPE_LABEL, type SecretSource } from './webhook-secrets.ts';
export { repoKey, sameRepo, redactRepoURL } from './repo-url.ts';
export {
  Notifier,
  NotificationsSchema,
  TRIGGERS,
  notificationKey,
  rememberNotified,
  secretKeyResolver,
  type Trigger,
  type NotificationTarget,
  type NotificationEvent,
  type NotifyApp,
  type NotifyResult,
  type NotifierOptions,
  type DeliveryFailure,
  type SecretKeyResolver,
} from './notify.ts';
