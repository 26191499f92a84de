/**
 * GitOps: webhook receivers that refresh applications when their repository changes, and
 * notifications of what the controller did (syncs, health, rollouts, promotions).
 */
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
