import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeClient } from '../kube/index.ts';
import { hmacMatches } from './hmac.ts';
import {
  NotificationsSchema,
  Notifier,
  TRIGGERS,
  notificationKey,
  rememberNotified,
  secretKeyResolver,
  type DeliveryFailure,
  type NotificationEvent,
  type NotificationTarget,
  type NotifierOptions,
  type NotifyApp,
} from './index.ts';
import { slackPayload, webhookPayload } from './notify.ts';

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A local HTTP receiver: records every request, answers from a script (status codes, or 'hang'). */
interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  /** Answers for the next requests, in order; then 200. */
  script: (number | 'hang')[];
  /** Resolves when `n` requests have arrived. */
  arrived(n: number): Promise<void>;
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function receiver(): Promise<Receiver> {
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer();
  const r: Receiver = {
    url: '',
    requests: [],
    script: [],
    arrived: (n) => (r.requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => {
      server.closeAllConnections();
      return new Promise((res) => server.close(() => res()));
    },
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      for (const w of waiters.filter((x) => r.requests.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const answer = r.script.shift() ?? 200;
      if (answer === 'hang') return;
      res.writeHead(answer, answer === 429 ? { 'retry-after': '0' } : answer === 302 ? { location: '/redirected' } : {}).end(answer === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  servers.push(server);
  return Object.assign(r, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

const TOKEN_PATH = '/services/T000/B000/XXXXXXXXsecretXXXXXXXX';
const SIGNING_KEY = 'sign-me-please';

/** Secrets of namespace `shop`: `hooks` has the receiver's URLs and a signing key. */
function secrets(data: Record<string, string>): NotifierOptions['secrets'] {
  return (namespace, ref) => Promise.resolve(namespace === 'shop' && ref.name === 'hooks' ? data[ref.key] : undefined);
}

const slackTarget: NotificationTarget = { name: 'team-slack', type: 'slack', urlSecretRef: { name: 'hooks', key: 'slack' } };
const webhookTarget: NotificationTarget = { name: 'ops-webhook', type: 'webhook', urlSecretRef: { name: 'hooks', key: 'webhook' }, signingSecretRef: { name: 'hooks', key: 'signing' } };

const EXAMPLE: NotificationEvent = {
  trigger: 'SyncFailed',
  operation: 'sync-42',
  app: { namespace: 'shop', name: 'web-prod' },
  message: 'slipway.yaml:12:7: services.web.image: expected an image reference like ghcr.io/acme/web:1.4.2 <got "">',
  revision: '3f2a9c1d0b6e4f5a8c7d9e0f1a2b3c4d5e6f7a8b',
  environment: 'prod',
  cluster: 'in-cluster',
  repoURL: 'https://x-access-token:ghp_secret@github.com/acme/shop.git',
  details: { attempts: 3, objects: 12 },
  time: '2025-06-01T12:00:00.000Z',
};

const app = (over: Partial<NotifyApp> = {}): NotifyApp => ({ namespace: 'shop', name: 'web-prod', notifications: [slackTarget, webhookTarget], ...over });

interface Setup {
  readonly n: Notifier;
  readonly slack: Receiver;
  readonly hook: Receiver;
  readonly failures: DeliveryFailure[];
  readonly logs: string[];
  readonly registry: Registry;
}

async function setup(over: Partial<NotifierOptions> = {}, urls: Partial<Record<string, string>> = {}): Promise<Setup> {
  const slack = await receiver();
  const hook = await receiver();
  const failures: DeliveryFailure[] = [];
  const logs: string[] = [];
  const registry = new Registry();
  const record = (o: unknown, msg: string): void => {
    logs.push(`${JSON.stringify(o)} ${msg}`);
  };
  const all: Partial<Record<string, string>> = { slack: `${slack.url}${TOKEN_PATH}`, webhook: `${hook.url}/hooks/slipway?token=abc123`, signing: SIGNING_KEY, ...urls };
  const data = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
  const n = new Notifier({ secrets: secrets(data), registry, log: { info: record, warn: record } as unknown as NotifierOptions['log'], onFailed: (f) => failures.push(f), backoffBaseMs: 1, backoffMaxMs: 4, ...over });
  return { n, slack, hook, failures, logs, registry };
}

async function count(r: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await r.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as { labels: Record<string, string>; value: number }[] | undefined)?.filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((a, x) => a + x.value, 0) ?? 0;
}

/** The ```json block after `<!-- payload:<name> -->` in the notifications doc. */
function documented(name: string): unknown {
  const doc = readFileSync(new URL('../../docs/gitops-notifications.md', import.meta.url), 'utf8');
  const at = doc.indexOf(`<!-- payload:${name} -->`);
  const m = /```json\n([\s\S]*?)\n```/.exec(doc.slice(at));
  if (at < 0 || !m?.[1]) throw new Error(`docs/gitops-notifications.md has no payload:${name} block`);
  return JSON.parse(m[1]);
}

describe('payloads (as documented in docs/gitops-notifications.md)', () => {
  it('the generic webhook payload of the example is the documented one', async () => {
    const s = await setup();
    s.n.notify(app(), EXAMPLE);
    await s.n.idle();
    expect(s.hook.requests).toHaveLength(1);
    const got: unknown = JSON.parse(s.hook.requests[0]?.body ?? '');
    expect(got).toEqual(documented('webhook'));
    // The credentials in the repository URL never leave.
    expect(s.hook.requests[0]?.body).not.toContain('ghp_secret');
  });

  it('the Slack payload of the example is the documented one (Slack control characters escaped)', async () => {
    const s = await setup();
    s.n.notify(app(), EXAMPLE);
    await s.n.idle();
    expect(s.slack.requests).toHaveLength(1);
    expect(s.slack.requests[0]?.path).toBe(TOKEN_PATH);
    expect(JSON.parse(s.slack.requests[0]?.body ?? '')).toEqual(documented('slack'));
    expect(s.slack.requests[0]?.body).toContain('&lt;got \\"\\"&gt;');
  });

  it('the generic request is signed as documented, with an ID that is the same at every attempt', async () => {
    const s = await setup();
    s.hook.script = [503];
    s.n.notify(app(), EXAMPLE);
    await s.n.idle();
    expect(s.hook.requests).toHaveLength(2);
    const [first, second] = s.hook.requests;
    for (const r of [first, second]) {
      expect(r?.headers['content-type']).toBe('application/json');
      expect(r?.headers['x-slipway-event']).toBe('SyncFailed');
      const ts = String(r?.headers['x-slipway-timestamp']);
      expect(hmacMatches(String(r?.headers['x-slipway-signature']), [SIGNING_KEY], [`${ts}.`, r?.body ?? ''])).toBe(true);
      expect(hmacMatches(String(r?.headers['x-slipway-signature']), ['other'], [`${ts}.`, r?.body ?? ''])).toBe(false);
    }
    expect(first?.headers['x-slipway-delivery']).toBe(second?.headers['x-slipway-delivery']);
    expect(first?.headers['x-slipway-delivery']).toBe((documented('webhook') as { id: string }).id);
    expect(first?.body).toBe(second?.body);
  });

  it.each(TRIGGERS.map((t) => [t]))('%s has a summary, a severity and a Slack colour', (trigger) => {
    const e: NotificationEvent = { ...EXAMPLE, trigger, targetEnvironment: 'prod', environment: 'staging' };
    const w = webhookPayload(e, notificationKey(e), 'id');
    expect(w['summary']).toMatch(/^shop\/web-prod/);
    expect(['info', 'warning', 'error']).toContain(w['severity']);
    const s = slackPayload(e) as { text: string; attachments: { color: string }[] };
    expect(s.text).toContain('shop/web-prod');
    expect(s.attachments[0]?.color).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('a long message is cut', () => {
    const w = webhookPayload({ ...EXAMPLE, message: 'x'.repeat(10_000) }, 'k', 'id');
    expect((w['message'] as string).length).toBe(4000);
  });

  it.each([
    ['the documented webhook target', webhookTarget, true],
    ['triggers', { ...slackTarget, triggers: ['SyncFailed', 'PromotionBlocked'] }, true],
    ['an unknown trigger', { ...slackTarget, triggers: ['OnSyncFailed'] }, false],
    ['an unknown type', { ...slackTarget, type: 'teams' }, false],
    ['a URL inline instead of in a Secret', { ...slackTarget, url: 'https://hooks.slack.com/x' }, false],
    ['a name that is not a DNS label', { ...slackTarget, name: 'Team Slack' }, false],
    ['no urlSecretRef', { name: 'x', type: 'slack' }, false],
  ])('the target schema (as the apiserver enforces it): %s → %s', (_n, target, ok) => {
    const validate = new Ajv({ strict: false }).compile(NotificationsSchema);
    expect(validate([target])).toBe(ok);
  });
});

describe('one notification per operation', () => {
  it.each([
    ['the same event twice', [EXAMPLE, EXAMPLE], 1],
    ['failed, then succeeded, for the same sync operation', [EXAMPLE, { ...EXAMPLE, trigger: 'SyncSucceeded' }], 1],
    ['two sync operations', [EXAMPLE, { ...EXAMPLE, operation: 'sync-43' }], 2],
    ['a sync and a health event of the same revision', [EXAMPLE, { ...EXAMPLE, trigger: 'HealthDegraded' }], 2],
    ['a promotion blocked, then done', [{ ...EXAMPLE, trigger: 'PromotionBlocked' }, { ...EXAMPLE, trigger: 'PromotionDone' }], 2],
    ['the same operation of another application', [EXAMPLE, { ...EXAMPLE, app: { namespace: 'shop', name: 'web-staging' } }], 2],
  ] as const)('%s', async (_n, events, want) => {
    const s = await setup();
    for (const e of events) s.n.notify(app({ name: e.app.name }), e);
    await s.n.idle();
    expect(s.hook.requests).toHaveLength(want);
    expect(s.slack.requests).toHaveLength(want);
  });

  it('the key persisted in the status stops a restarted controller from sending it again', async () => {
    const s = await setup();
    const first = s.n.notify(app(), EXAMPLE);
    expect(first).toEqual({ key: 'Sync/sync-42', outcome: 'queued', deliveries: 2 });
    await s.n.idle();
    const status = rememberNotified(undefined, first.key);
    // A new process: nothing in memory, the status read back from the apiserver.
    const restarted = new Notifier({ secrets: secrets({ slack: `${s.slack.url}/x`, webhook: `${s.hook.url}/y`, signing: SIGNING_KEY }) });
    expect(restarted.notify(app({ notified: status }), { ...EXAMPLE, trigger: 'SyncSucceeded' })).toEqual({ key: 'Sync/sync-42', outcome: 'duplicate', deliveries: 0 });
    expect(restarted.notify(app({ notified: status }), { ...EXAMPLE, operation: 'sync-43' }).outcome).toBe('queued');
    await restarted.idle();
    expect(s.hook.requests.map((r) => (JSON.parse(r.body) as { key: string }).key)).toEqual(['Sync/sync-42', 'Sync/sync-43']);
    expect(await count(s.registry, 'slipway_notifications_total', { result: 'delivered' })).toBe(2);
  });

  it('rememberNotified keeps the last 20 keys, a repeated one moved to the end', () => {
    let keys: string[] = [];
    for (let i = 0; i < 25; i++) keys = rememberNotified(keys, `Sync/op-${i}`);
    expect(keys).toHaveLength(20);
    expect(keys[0]).toBe('Sync/op-5');
    expect(rememberNotified(keys, 'Sync/op-5').at(-1)).toBe('Sync/op-5');
    expect(rememberNotified(keys, 'Sync/op-5')).toHaveLength(20);
  });

  it.each([
    [{ trigger: 'SyncFailed', operation: 'abc' }, 'Sync/abc'],
    [{ trigger: 'SyncSucceeded', operation: 'abc' }, 'Sync/abc'],
    [{ trigger: 'PromotionDone', operation: '3f2a9c1@staging' }, 'PromotionDone/3f2a9c1@staging'],
    [{ trigger: 'HealthDegraded', operation: 'a b' }, /^HealthDegraded\/[0-9a-f]{32}$/],
    [{ trigger: 'RolloutAborted', operation: 'x'.repeat(101) }, /^RolloutAborted\/[0-9a-f]{32}$/],
  ] as const)('notificationKey(%o) = %s', (e, want) => {
    if (typeof want === 'string') expect(notificationKey(e)).toBe(want);
    else expect(notificationKey(e)).toMatch(want);
  });

  it('only the targets that subscribe to the trigger get it', async () => {
    const s = await setup();
    const onlyFailures = { ...slackTarget, triggers: ['SyncFailed' as const] };
    expect(s.n.notify(app({ notifications: [onlyFailures, webhookTarget] }), { ...EXAMPLE, trigger: 'SyncSucceeded' }).deliveries).toBe(1);
    expect(s.n.notify(app({ notifications: [onlyFailures] }), { ...EXAMPLE, operation: 'sync-43', trigger: 'SyncSucceeded' }).outcome).toBe('no-targets');
    await s.n.idle();
    expect(s.slack.requests).toHaveLength(0);
    expect(s.hook.requests).toHaveLength(1);
  });
});

describe('delivery', () => {
  it('retries 5xx, 429 and 408 with backoff until delivered', async () => {
    const s = await setup();
    s.hook.script = [503, 429, 408, 500];
    s.n.notify(app({ notifications: [webhookTarget] }), EXAMPLE);
    await s.n.idle();
    expect(s.hook.requests).toHaveLength(5);
    expect(s.failures).toEqual([]);
    expect(await count(s.registry, 'slipway_notification_attempts_total', { outcome: 'retry' })).toBe(4);
    expect(await count(s.registry, 'slipway_notifications_total', { type: 'webhook', result: 'delivered' })).toBe(1);
  });

  it.each([
    [404, 'HTTP 404'],
    [403, 'HTTP 403'],
    [410, 'HTTP 410'],
    [302, 'HTTP 302'],
  ])('does not retry %i (a revoked or wrong URL, a redirect)', async (status, reason) => {
    const s = await setup();
    s.slack.script = [status];
    s.n.notify(app({ notifications: [slackTarget] }), EXAMPLE);
    await s.n.idle();
    expect(s.slack.requests).toHaveLength(1);
    expect(s.failures).toEqual([{ app: { namespace: 'shop', name: 'web-prod' }, target: 'team-slack', trigger: 'SyncFailed', key: 'Sync/sync-42', attempts: 1, reason }]);
  });

  it('gives up after maxAttempts', async () => {
    const s = await setup({ maxAttempts: 3 });
    s.hook.script = [500, 500, 500, 500];
    s.n.notify(app({ notifications: [webhookTarget] }), EXAMPLE);
    await s.n.idle();
    expect(s.hook.requests).toHaveLength(3);
    expect(s.failures.map((f) => [f.attempts, f.reason])).toEqual([[3, 'HTTP 500']]);
    expect(await count(s.registry, 'slipway_notifications_total', { result: 'failed' })).toBe(1);
  });

  it('a receiver that is down never blocks the caller, nor the other targets', async () => {
    const s = await setup({ maxAttempts: 2, attemptTimeoutMs: 200 });
    s.hook.script = ['hang', 'hang'];
    const r = s.n.notify(app(), EXAMPLE);
    // notify returned (synchronously) before any request was even made.
    expect(r.outcome).toBe('queued');
    expect(s.hook.requests).toHaveLength(0);
    // The healthy target gets its notification while the other one hangs.
    await s.slack.arrived(1);
    expect(s.failures).toEqual([]);
    await s.n.idle();
    expect(s.hook.requests).toHaveLength(2);
    expect(s.failures.map((f) => [f.target, f.reason])).toEqual([['ops-webhook', 'timeout']]);
  });

  it('a refused connection is retried, then reported without the URL', async () => {
    const s = await setup({ maxAttempts: 2 });
    await s.hook.close();
    s.n.notify(app({ notifications: [webhookTarget] }), EXAMPLE);
    await s.n.idle();
    expect(s.failures.map((f) => [f.attempts, f.reason])).toEqual([[2, 'ECONNREFUSED']]);
  });

  it.each([
    ['the Secret key is missing (retried: it may be created)', { webhook: undefined }, 2, 'Secret hooks has no key webhook'],
    ['the signing key is missing', { signing: undefined }, 2, 'Secret hooks has no key signing'],
    ['not an http(s) URL (not retried)', { webhook: 'ftp://example.com/x' }, 1, 'Secret hooks key webhook is not an http(s) URL'],
  ])('%s', async (_n, urls, attempts, reason) => {
    const s = await setup({ maxAttempts: 2 }, urls);
    s.n.notify(app({ notifications: [webhookTarget] }), EXAMPLE);
    await s.n.idle();
    expect(s.hook.requests).toHaveLength(0);
    expect(s.failures.map((f) => [f.attempts, f.reason])).toEqual([[attempts, reason]]);
  });

  it('a full queue drops the oldest waiting delivery', async () => {
    const s = await setup({ concurrency: 1, maxPending: 1, attemptTimeoutMs: 200, maxAttempts: 1 });
    s.hook.script = ['hang'];
    for (const name of ['a', 'b', 'c']) s.n.notify(app({ name, notifications: [webhookTarget] }), { ...EXAMPLE, app: { namespace: 'shop', name } });
    await s.n.idle();
    // a: in flight (hangs, times out); b: dropped when c arrived; c: delivered.
    expect(s.failures.map((f) => [f.app.name, f.reason])).toEqual([
      ['b', 'the notification queue is full'],
      ['a', 'timeout'],
    ]);
    expect(s.hook.requests.map((r) => (JSON.parse(r.body) as { application: { name: string } }).application.name)).toEqual(['a', 'c']);
  });

  it('close() drops what waits for a retry and aborts what is in flight; notify after it sends nothing', async () => {
    const s = await setup({ backoffBaseMs: 3_600_000, backoffMaxMs: 3_600_000 });
    s.hook.script = [503];
    s.n.notify(app({ notifications: [webhookTarget] }), EXAMPLE);
    await s.hook.arrived(1);
    expect(await s.n.close()).toBe(1);
    expect(s.n.pending).toBe(0);
    expect(s.n.notify(app({ notifications: [webhookTarget] }), { ...EXAMPLE, operation: 'sync-43' }).outcome).toBe('stopped');
    expect(s.hook.requests).toHaveLength(1);
  });

  it('never logs or reports the URL, its token or the signing key', async () => {
    const s = await setup({ maxAttempts: 2 });
    s.slack.script = [500, 404];
    s.hook.script = [200];
    s.n.notify(app(), EXAMPLE);
    await s.n.idle();
    const all = [...s.logs, ...s.failures.map((f) => JSON.stringify(f)), await s.registry.metrics()].join('\n');
    expect(s.logs.length).toBeGreaterThanOrEqual(2);
    for (const secret of ['XXXXXXXXsecretXXXXXXXX', 'abc123', SIGNING_KEY, '127.0.0.1', 'ghp_secret']) expect(all).not.toContain(secret);
  });
});

describe('secretKeyResolver', () => {
  it('reads and decodes a key of a Secret; undefined for a missing Secret or key', async () => {
    const calls: unknown[] = [];
    const client = {
      get: (id: { name: string }) => {
        calls.push(id);
        return Promise.resolve(id.name === 'hooks' ? { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hooks' }, data: { slack: Buffer.from('https://hooks.slack.com/services/T/B/x').toString('base64') } } : undefined);
      },
    } as unknown as KubeClient;
    const read = secretKeyResolver(client);
    const signal = new AbortController().signal;
    expect(await read('shop', { name: 'hooks', key: 'slack' }, signal)).toBe('https://hooks.slack.com/services/T/B/x');
    expect(await read('shop', { name: 'hooks', key: 'other' }, signal)).toBeUndefined();
    expect(await read('shop', { name: 'missing', key: 'slack' }, signal)).toBeUndefined();
    expect(calls[0]).toEqual({ apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'hooks' });
  });
});
