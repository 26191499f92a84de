/**
 * Notifications of what the GitOps controller did: Slack-compatible incoming webhooks (Slack,
 * Mattermost, Rocket.Chat, Discord's `/slack` endpoint) and generic JSON webhooks, to URLs kept
 * in Secrets of the application's namespace.
 *
 * - **One notification per operation.** Each event names its operation (a sync, a promotion, an
 *   abort); {@link notificationKey} turns it into a key, and a key is sent once per application
 *   and target. A sync operation gets one notification, succeeded or failed, whichever is
 *   reported first: report it when the operation's outcome is final, not per retry. Keys are
 *   remembered in memory and returned to the caller, who keeps the last few in the
 *   application's status ({@link rememberNotified}) and passes them back, so a restarted
 *   controller does not send them again.
 * - **Never blocks the caller.** {@link Notifier.notify} returns at once; delivery runs in the
 *   background with a bounded queue, a few concurrent requests, a timeout per attempt, and
 *   retries with exponential backoff and jitter (honouring Retry-After) on network errors, 408,
 *   429 and 5xx. Other answers (a revoked Slack URL: 403/404/410) are not retried.
 * - **Secrets stay secret.** The URL (a Slack URL is a credential) and the signing key are read
 *   from the Secret at each attempt and never logged, nor put in an error or a metric: targets
 *   are named by their `name`.
 *
 * Delivery is at most once per key: a key is persisted before its delivery ends, so a
 * controller killed during the retries of a notification does not send it after a restart.
 * The payloads are documented in docs/gitops-notifications.md.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import type { KubeClient } from '../kube/index.ts';
import { signBody } from './hmac.ts';
import { redactRepoURL } from './repo-url.ts';

export const TRIGGERS = ['SyncSucceeded', 'SyncFailed', 'HealthDegraded', 'RolloutPromoted', 'RolloutAborted', 'PromotionDone', 'PromotionBlocked'] as const;
export type Trigger = (typeof TRIGGERS)[number];

const SecretKeyRef = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 253 }), key: Type.String({ minLength: 1, maxLength: 253 }) },
  { description: "A key of a Secret in the application's namespace." },
);

/** One place notifications go: the schema the application CRD embeds (`spec.notifications[]`). */
const NotificationTargetSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'Names the target in logs, metrics and Events (never the URL).' }),
    type: Type.Unsafe<'slack' | 'webhook'>(Type.String({ enum: ['slack', 'webhook'], description: 'slack: a Slack-compatible incoming webhook; webhook: the generic JSON payload.' })),
    urlSecretRef: { ...SecretKeyRef, description: 'The Secret key holding the URL (a Slack webhook URL is a credential).' },
    signingSecretRef: Type.Optional({ ...SecretKeyRef, description: 'webhook: sign each request with this key (X-Slipway-Signature: sha256=HMAC(key, "<timestamp>.<body>"), X-Slipway-Timestamp).' }),
    triggers: Type.Optional(
      Type.Array(Type.Unsafe<Trigger>(Type.String({ enum: [...TRIGGERS] })), { minItems: 1, maxItems: TRIGGERS.length, description: 'The events sent to this target. @default all' }),
    ),
  },
  { additionalProperties: false },
);
export type NotificationTarget = Static<typeof NotificationTargetSchema>;

/** `spec.notifications` of an application: at most 10 targets, by name. */
export const NotificationsSchema = Type.Array(NotificationTargetSchema, {
  maxItems: 10,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
  description: 'Where to send notifications of syncs, health, rollouts and promotions. See docs/gitops-notifications.md.',
});

/** What happened, as the controller reports it. */
export interface NotificationEvent {
  readonly trigger: Trigger;
  /**
   * The operation this is the outcome of (a sync's ID, `<revision>@<environment>` for a
   * promotion, a rollout's revision): one notification per trigger and operation; for syncs,
   * one per operation whichever its result.
   */
  readonly operation: string;
  readonly app: { readonly namespace: string; readonly name: string };
  /** One line for people: the sync's error with file:line:col, why a promotion is blocked. */
  readonly message: string;
  readonly revision?: string | undefined;
  readonly environment?: string | undefined;
  /** A promotion's next environment. */
  readonly targetEnvironment?: string | undefined;
  readonly cluster?: string | undefined;
  readonly repoURL?: string | undefined;
  /** Health, the rollout's service, who approved…: short values shown as fields. */
  readonly details?: Readonly<Record<string, string | number | boolean>> | undefined;
  /** When it happened. @default now */
  readonly time?: string | undefined;
}

/** The application as the notifier needs it: its targets and the keys its status remembers. */
export interface NotifyApp {
  readonly namespace: string;
  readonly name: string;
  readonly notifications?: readonly NotificationTarget[] | undefined;
  /** Keys already notified, as persisted in the status (see {@link rememberNotified}). */
  readonly notified?: readonly string[] | undefined;
}

export interface NotifyResult {
  /** Persist it in the status (with {@link rememberNotified}) in the same write as the outcome. */
  readonly key: string;
  /** `stopped`: the notifier was closed (the controller is shutting down); nothing is sent. */
  readonly outcome: 'queued' | 'duplicate' | 'no-targets' | 'stopped';
  /** How many deliveries were queued. */
  readonly deliveries: number;
}

/** Reads a key of a Secret in a namespace; undefined when the Secret or the key does not exist. */
export type SecretKeyResolver = (namespace: string, ref: { readonly name: string; readonly key: string }, signal: AbortSignal) => Promise<string | undefined>;

export interface NotifierOptions {
  readonly secrets: SecretKeyResolver;
  /** The process's registry (the controller's /metrics). */
  readonly registry?: Registry | undefined;
  readonly log?: Pick<Logger, 'info' | 'warn'> | undefined;
  /** Called when a delivery is given up on (the controller records a Warning Event). */
  readonly onFailed?: ((f: DeliveryFailure) => void) | undefined;
  /** @default 8 */
  readonly maxAttempts?: number | undefined;
  /** First retry delay; doubles per attempt. @default 1000 */
  readonly backoffBaseMs?: number | undefined;
  /** @default 300000 */
  readonly backoffMaxMs?: number | undefined;
  /** @default 10000 */
  readonly attemptTimeoutMs?: number | undefined;
  /** Requests in flight at most. @default 4 */
  readonly concurrency?: number | undefined;
  /** Deliveries waiting at most; beyond, the oldest waiting one is dropped. @default 1000 */
  readonly maxPending?: number | undefined;
}

export interface DeliveryFailure {
  readonly app: { readonly namespace: string; readonly name: string };
  readonly target: string;
  readonly trigger: Trigger;
  readonly key: string;
  readonly attempts: number;
  /** Why, without the URL: `HTTP 404`, `ECONNREFUSED`, `timeout`, `Secret hooks has no key url`. */
  readonly reason: string;
}

/** Keys persisted per application. */
const REMEMBERED = 20;
/** Keys remembered in memory, across applications. */
const MEMORY = 10_000;
const MAX_MESSAGE = 4000;

const SEVERITY: Record<Trigger, 'info' | 'warning' | 'error'> = {
  SyncSucceeded: 'info',
  SyncFailed: 'error',
  HealthDegraded: 'error',
  RolloutPromoted: 'info',
  RolloutAborted: 'error',
  PromotionDone: 'info',
  PromotionBlocked: 'warning',
};

/** The dedup key of an event: `<trigger>/<operation>`, `Sync/<operation>` for both sync results (hashed when long). */
export function notificationKey(e: Pick<NotificationEvent, 'trigger' | 'operation'>): string {
  const kind = e.trigger === 'SyncSucceeded' || e.trigger === 'SyncFailed' ? 'Sync' : e.trigger;
  const op = e.operation.length <= 100 && /^[\w.:@/+-]+$/.test(e.operation) ? e.operation : createHash('sha256').update(e.operation).digest('hex').slice(0, 32);
  return `${kind}/${op}`;
}

/** The status's list of notified keys with `key` added: the last {@link REMEMBERED}, oldest first. */
export function rememberNotified(keys: readonly string[] | undefined, key: string): string[] {
  return [...(keys ?? []).filter((k) => k !== key), key].slice(-REMEMBERED);
}

/** The ID of one delivery: the same across retries and restarts, so a receiver can de-duplicate too. */
function deliveryIdOf(app: NotifyApp, key: string, target: string): string {
  return createHash('sha256').update(`${app.namespace}/${app.name}/${key}/${target}`).digest('hex').slice(0, 32);
}

const clip = (s: string): string => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s);
const short = (rev: string | undefined): string | undefined => (rev !== undefined && /^[0-9a-f]{40,64}$/i.test(rev) ? rev.slice(0, 7) : rev);

/** The generic JSON payload (documented in docs/gitops-notifications.md). */
export function webhookPayload(e: NotificationEvent, key: string, id: string): Record<string, unknown> {
  return {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'Notification',
    id,
    key,
    trigger: e.trigger,
    severity: SEVERITY[e.trigger],
    time: e.time ?? new Date().toISOString(),
    application: { namespace: e.app.namespace, name: e.app.name },
    ...(e.environment !== undefined ? { environment: e.environment } : {}),
    ...(e.targetEnvironment !== undefined ? { targetEnvironment: e.targetEnvironment } : {}),
    ...(e.cluster !== undefined ? { cluster: e.cluster } : {}),
    ...(e.repoURL !== undefined ? { repoURL: redactRepoURL(e.repoURL) } : {}),
    ...(e.revision !== undefined ? { revision: e.revision } : {}),
    summary: summaryOf(e),
    message: clip(e.message),
    details: { ...e.details },
  };
}

function summaryOf(e: NotificationEvent): string {
  const app = `${e.app.namespace}/${e.app.name}`;
  const rev = short(e.revision);
  const at = rev !== undefined ? ` at ${rev}` : '';
  const env = e.environment !== undefined ? ` (${e.environment})` : '';
  switch (e.trigger) {
    case 'SyncSucceeded':
      return `${app}${env} synced${at}`;
    case 'SyncFailed':
      return `${app}${env} sync failed${at}`;
    case 'HealthDegraded':
      return `${app}${env} is Degraded${at}`;
    case 'RolloutPromoted':
      return `${app}${env}: rollout promoted${at}`;
    case 'RolloutAborted':
      return `${app}${env}: rollout aborted${at}`;
    case 'PromotionDone':
      return `${app}: ${rev ?? 'revision'} promoted ${e.environment ?? '?'} → ${e.targetEnvironment ?? '?'}`;
    case 'PromotionBlocked':
      return `${app}: ${rev ?? 'revision'} not promoted ${e.environment ?? '?'} → ${e.targetEnvironment ?? '?'}`;
  }
}

const COLOR = { info: '#18be52', warning: '#f4c030', error: '#e96d76' } as const;
const ICON: Record<Trigger, string> = {
  SyncSucceeded: ':white_check_mark:',
  SyncFailed: ':x:',
  HealthDegraded: ':broken_heart:',
  RolloutPromoted: ':rocket:',
  RolloutAborted: ':leftwards_arrow_with_hook:',
  PromotionDone: ':arrow_forward:',
  PromotionBlocked: ':no_entry:',
};

/** Slack's control characters in user text (`<`, `>`, `&`). */
const slackEscape = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/**
 * The Slack-compatible payload: `text` (the notification line, also what clients without
 * attachments show) and one attachment with a colour, the message and fields; the legacy
 * attachment format, which Mattermost, Rocket.Chat and Discord's `/slack` endpoint read too.
 */
export function slackPayload(e: NotificationEvent): Record<string, unknown> {
  const fields: { title: string; value: string; short: boolean }[] = [];
  const field = (title: string, value: string | number | boolean | undefined): void => {
    if (value !== undefined && value !== '') fields.push({ title, value: slackEscape(String(value)), short: true });
  };
  field('Revision', short(e.revision));
  field('Environment', e.environment);
  field('Target environment', e.targetEnvironment);
  field('Cluster', e.cluster);
  if (e.repoURL !== undefined) field('Repository', redactRepoURL(e.repoURL));
  for (const [k, v] of Object.entries(e.details ?? {})) field(k, v);
  const time = Date.parse(e.time ?? '');
  return {
    text: `${ICON[e.trigger]} ${slackEscape(summaryOf(e))}`,
    attachments: [
      {
        color: COLOR[SEVERITY[e.trigger]],
        fallback: slackEscape(summaryOf(e)),
        text: slackEscape(clip(e.message)),
        fields,
        footer: `slipway · ${e.trigger}`,
        ts: Math.floor((Number.isNaN(time) ? Date.now() : time) / 1000),
      },
    ],
  };
}

interface Job {
  readonly app: NotifyApp;
  readonly target: NotificationTarget;
  readonly trigger: Trigger;
  readonly key: string;
  readonly id: string;
  /** Fixed when queued: the same bytes at every attempt (only the signature's timestamp changes). */
  readonly body: string;
  attempts: number;
}

type Attempt = { readonly ok: true } | { readonly ok: false; readonly retry: boolean; readonly reason: string; readonly retryAfterMs?: number | undefined };

interface NotifyMetrics {
  readonly notifications: Counter<'type' | 'trigger' | 'result'>;
  readonly attempts: Counter<'type' | 'outcome'>;
}

const metricsByRegistry = new WeakMap<Registry, NotifyMetrics>();

/** Delivers notifications in the background (see the file comment). One per controller process. */
export class Notifier {
  private readonly o: NotifierOptions;
  private readonly metrics: NotifyMetrics;
  /** `ns/name/key` sent (or being sent) by this process, oldest first. */
  private readonly sent = new Set<string>();
  private readonly ready: Job[] = [];
  private readonly timers = new Map<NodeJS.Timeout, Job>();
  private active = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly stop = new AbortController();

  constructor(o: NotifierOptions) {
    this.o = o;
    const registry = o.registry ?? new Registry();
    let m = metricsByRegistry.get(registry);
    if (!m) {
      m = {
        notifications: new Counter({ name: 'slipway_notifications_total', help: 'Notifications by target type, trigger and result (delivered, failed, dropped, duplicate)', labelNames: ['type', 'trigger', 'result'] as const, registers: [registry] }),
        attempts: new Counter({ name: 'slipway_notification_attempts_total', help: 'Delivery attempts by target type and outcome (ok, retry, error)', labelNames: ['type', 'outcome'] as const, registers: [registry] }),
      };
      const pending = (): number => this.pending;
      new Gauge({
        name: 'slipway_notifications_pending',
        help: 'Deliveries queued, waiting for a retry, or in flight',
        registers: [registry],
        collect() {
          this.set(pending());
        },
      });
      metricsByRegistry.set(registry, m);
    }
    this.metrics = m;
  }

  /** Deliveries queued, waiting for a retry, or in flight. */
  get pending(): number {
    return this.ready.length + this.timers.size + this.active;
  }

  /**
   * Queues the notification of `event` to each of `app`'s targets that subscribe to its
   * trigger, unless its key was notified before; returns at once.
   */
  notify(app: NotifyApp, event: NotificationEvent): NotifyResult {
    const key = notificationKey(event);
    const memo = `${app.namespace}/${app.name}/${key}`;
    if (this.sent.has(memo) || (app.notified ?? []).includes(key)) {
      for (const t of app.notifications ?? []) if (subscribes(t, event.trigger)) this.metrics.notifications.inc({ type: t.type, trigger: event.trigger, result: 'duplicate' });
      return { key, outcome: 'duplicate', deliveries: 0 };
    }
    this.sent.add(memo);
    if (this.sent.size > MEMORY) this.sent.delete(this.sent.values().next().value ?? '');
    const targets = (app.notifications ?? []).filter((t) => subscribes(t, event.trigger));
    if (targets.length === 0) return { key, outcome: 'no-targets', deliveries: 0 };
    if (this.stop.signal.aborted) return { key, outcome: 'stopped', deliveries: 0 };
    const time = event.time ?? new Date().toISOString();
    for (const target of targets) {
      const id = deliveryIdOf(app, key, target.name);
      const payload = target.type === 'slack' ? slackPayload({ ...event, time }) : webhookPayload({ ...event, time }, key, id);
      this.ready.push({ app, target, trigger: event.trigger, key, id, body: JSON.stringify(payload), attempts: 0 });
    }
    const max = this.o.maxPending ?? 1000;
    while (this.ready.length > max) {
      const dropped = this.ready.shift();
      if (dropped) this.finish(dropped, 'dropped', 'the notification queue is full');
    }
    this.pump();
    return { key, outcome: 'queued', deliveries: targets.length };
  }

  /** Resolves when nothing is queued, waiting or in flight (tests; a graceful shutdown). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops: requests in flight are aborted, retries not made; resolves when nothing runs. Returns the deliveries given up. */
  async close(): Promise<number> {
    const left = this.pending;
    this.stop.abort();
    for (const [timer, job] of this.timers) {
      clearTimeout(timer);
      this.timers.delete(timer);
      this.finish(job, 'dropped', 'the controller stopped');
    }
    for (const job of this.ready.splice(0)) this.finish(job, 'dropped', 'the controller stopped');
    await this.idle();
    return left;
  }

  private pump(): void {
    const concurrency = this.o.concurrency ?? 4;
    while (this.active < concurrency && this.ready.length > 0 && !this.stop.signal.aborted) {
      const job = this.ready.shift();
      if (!job) break;
      this.active++;
      void this.attempt(job)
        .catch((e: unknown): Attempt => ({ ok: false, retry: false, reason: e instanceof Error ? e.message : 'internal error' }))
        .then((a) => {
        this.active--;
        this.after(job, a);
        this.pump();
        this.checkIdle();
      });
    }
    this.checkIdle();
  }

  private after(job: Job, a: Attempt): void {
    if (a.ok) {
      this.metrics.attempts.inc({ type: job.target.type, outcome: 'ok' });
      this.finish(job, 'delivered', undefined);
      return;
    }
    const maxAttempts = this.o.maxAttempts ?? 8;
    if (!a.retry || job.attempts >= maxAttempts || this.stop.signal.aborted) {
      this.metrics.attempts.inc({ type: job.target.type, outcome: 'error' });
      this.finish(job, 'failed', a.reason);
      return;
    }
    this.metrics.attempts.inc({ type: job.target.type, outcome: 'retry' });
    const base = this.o.backoffBaseMs ?? 1000;
    const cap = this.o.backoffMaxMs ?? 300_000;
    const exp = Math.min(cap, base * 2 ** (job.attempts - 1));
    // Half fixed, half random: retries of many targets that failed together spread out.
    const delay = Math.min(cap, Math.max(exp / 2 + Math.random() * (exp / 2), a.retryAfterMs ?? 0));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.ready.push(job);
      this.pump();
    }, delay);
    timer.unref();
    this.timers.set(timer, job);
  }

  private finish(job: Job, result: 'delivered' | 'failed' | 'dropped', reason: string | undefined): void {
    this.metrics.notifications.inc({ type: job.target.type, trigger: job.trigger, result });
    const fields = { namespace: job.app.namespace, name: job.app.name, target: job.target.name, trigger: job.trigger, key: job.key, attempts: job.attempts };
    if (result === 'delivered') {
      this.o.log?.info(fields, 'notification delivered');
      return;
    }
    this.o.log?.warn({ ...fields, reason }, `notification ${result}`);
    this.o.onFailed?.({ app: { namespace: job.app.namespace, name: job.app.name }, target: job.target.name, trigger: job.trigger, key: job.key, attempts: job.attempts, reason: reason ?? result });
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.pending !== 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** One POST; what went wrong says nothing of the URL. */
  private async attempt(job: Job): Promise<Attempt> {
    job.attempts++;
    const timeout = AbortSignal.timeout(this.o.attemptTimeoutMs ?? 10_000);
    const signal = AbortSignal.any([timeout, this.stop.signal]);
    let url: string | undefined;
    let signing: string | undefined;
    try {
      url = (await this.o.secrets(job.app.namespace, job.target.urlSecretRef, signal))?.trim();
      const ref = job.target.signingSecretRef;
      signing = ref && job.target.type === 'webhook' ? await this.o.secrets(job.app.namespace, ref, signal) : undefined;
      if (ref && job.target.type === 'webhook' && signing === undefined) return { ok: false, retry: true, reason: `Secret ${ref.name} has no key ${ref.key}` };
    } catch {
      return { ok: false, retry: true, reason: `Secret ${job.target.urlSecretRef.name} could not be read` };
    }
    if (url === undefined) return { ok: false, retry: true, reason: `Secret ${job.target.urlSecretRef.name} has no key ${job.target.urlSecretRef.key}` };
    if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) return { ok: false, retry: false, reason: `Secret ${job.target.urlSecretRef.name} key ${job.target.urlSecretRef.key} is not an http(s) URL` };
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'slipway-notifications', 'x-slipway-event': job.trigger, 'x-slipway-delivery': job.id };
    if (signing !== undefined) {
      const ts = Math.floor(Date.now() / 1000);
      headers['x-slipway-timestamp'] = String(ts);
      headers['x-slipway-signature'] = signBody(signing, ts, job.body);
    }
    try {
      const res = await fetch(url, { method: 'POST', headers, body: job.body, redirect: 'manual', signal });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true };
      const retry = res.status === 408 || res.status === 429 || res.status >= 500;
      return { ok: false, retry, reason: `HTTP ${res.status}`, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
    } catch (e) {
      if (this.stop.signal.aborted) return { ok: false, retry: false, reason: 'the controller stopped' };
      if (timeout.aborted) return { ok: false, retry: true, reason: 'timeout' };
      const code = (e as { cause?: { code?: unknown } }).cause?.code;
      return { ok: false, retry: true, reason: typeof code === 'string' ? code : 'network error' };
    }
  }
}

function subscribes(t: NotificationTarget, trigger: Trigger): boolean {
  return t.triggers === undefined || t.triggers.includes(trigger);
}

/** `Retry-After: 120` or an HTTP date → ms; undefined when absent or unreadable. */
function retryAfterMs(v: string | null): number | undefined {
  if (v === null) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/** A {@link SecretKeyResolver} reading Secrets through the controller's client (a GET per delivery attempt). */
export function secretKeyResolver(client: KubeClient): SecretKeyResolver {
  return async (namespace, ref, signal) => {
    const s = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name }, { signal });
    const v = (s?.['data'] as Record<string, unknown> | undefined)?.[ref.key];
    return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
  };
}
