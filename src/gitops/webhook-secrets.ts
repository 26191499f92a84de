/**
 * Webhook secrets kept in Kubernetes Secrets, the way Argo CD keeps repository credentials: one
 * Secret per repository (or per owner, group or host), labelled
 * `slipway.dev/secret-type: webhook`, in the controller's namespace:
 *
 *   data:
 *     url: https://github.com/acme/shop   # a repository, or a prefix: https://github.com/acme
 *     secret: <HMAC key or GitLab token>
 *     provider: github                    # optional: github, gitlab, generic (comma-separated); default all
 *
 * The most specific `url` wins: a repository's own Secret replaces its owner's, so a leaked
 * organisation-wide secret is not accepted for a repository that has its own. Two Secrets with
 * the same `url` are both accepted (a rotation: add the new one, switch the webhook, delete
 * the old one). Trailing newlines of `secret` (from `--from-file`) are dropped.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../controller/index.ts';
import type { KindQuery, LiveObject } from '../kube/index.ts';
import { repoKey } from './repo-url.ts';
import { registerWebhooks, type WebhookOptions, type WebhookProvider, type WebhookSecretResolver } from './webhooks.ts';

export const SECRET_TYPE_LABEL = 'slipway.dev/secret-type';
const WEBHOOK_SECRET_TYPE = 'webhook';

/** The Secrets {@link webhookSecrets} reads: labelled `slipway.dev/secret-type=webhook` in `namespace`. */
export function webhookSecretsQuery(namespace: string): KindQuery {
  return { apiVersion: 'v1', kind: 'Secret', namespace, labelSelector: `${SECRET_TYPE_LABEL}=${WEBHOOK_SECRET_TYPE}` };
}

/** What {@link webhookSecrets} reads Secrets from: a SharedInformer on {@link webhookSecretsQuery}. */
export interface SecretSource {
  list(): readonly LiveObject[];
  waitForSync?(signal?: AbortSignal): Promise<void>;
  /** False until the first list arrived: an empty cache then means "unknown", not "no Secrets". */
  readonly hasSynced?: boolean;
}

interface Entry {
  readonly key: string;
  readonly providers: readonly string[] | undefined;
  readonly secret: string;
}

function decode(data: Record<string, unknown>, k: string): string | undefined {
  const v = data[k];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

function entryOf(s: LiveObject): Entry | undefined {
  const data = (s['data'] ?? {}) as Record<string, unknown>;
  const url = decode(data, 'url')?.trim();
  const secret = decode(data, 'secret')?.replace(/[\r\n]+$/, '');
  if (url === undefined || url === '' || secret === undefined || secret === '') return undefined;
  const providers = decode(data, 'provider')
    ?.split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p !== '');
  return { key: repoKey(url), providers: providers !== undefined && providers.length > 0 ? providers : undefined, secret };
}

/** How specific `entry` is for a repository key: its length when it covers it, -1 when not. */
function specificity(entryKey: string, repo: string): number {
  return repo === entryKey || repo.startsWith(`${entryKey}/`) ? entryKey.length : -1;
}

/** A {@link WebhookSecretResolver} over the labelled Secrets `source` holds (see the file comment). */
export function webhookSecrets(source: SecretSource): WebhookSecretResolver {
  return {
    async secretsFor(provider: WebhookProvider, repoURLs: readonly string[], signal: AbortSignal): Promise<readonly string[]> {
      await source.waitForSync?.(signal);
      if (source.hasSynced === false) throw new Error('the webhook Secrets have not been listed yet');
      const repos = repoURLs.map(repoKey);
      let best = -1;
      let secrets: string[] = [];
      for (const s of source.list()) {
        const e = entryOf(s);
        if (!e || (e.providers !== undefined && !e.providers.includes(provider))) continue;
        const score = Math.max(...repos.map((r) => specificity(e.key, r)));
        if (score < 0 || score < best) continue;
        if (score > best) secrets = [];
        best = score;
        if (!secrets.includes(e.secret)) secrets.push(e.secret);
      }
      return secrets;
    },
  };
}

interface WebhookRoutesOptions extends Omit<WebhookOptions, 'secrets' | 'registry' | 'log'> {
  /** Where the labelled Secrets are (the controller's namespace, e.g. slipway-system). */
  readonly namespace: string;
}

/**
 * The receivers as a controller Manager's `routes` entry: secrets from a shared informer on the
 * labelled Secrets of `namespace`, metrics on the process's registry, logs on its logger.
 *
 *   new Manager({ …, routes: [webhookRoutes({ namespace: 'slipway-system', refresh })] })
 */
export function webhookRoutes(o: WebhookRoutesOptions): (app: FastifyInstance, ctx: ServerContext) => void {
  const { namespace, ...rest } = o;
  return (app, ctx) => {
    registerWebhooks(app, { ...rest, secrets: webhookSecrets(ctx.informers.informer(webhookSecretsQuery(namespace))), registry: ctx.registry, log: ctx.log.child({ component: 'webhooks' }) });
  };
}
