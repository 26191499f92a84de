import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveObject } from '../kube/index.ts';
import { hmacMatches, signBody, tokenMatches } from './hmac.ts';
import { pushMatches, redactRepoURL, registerWebhooks, repoKey, sameRepo, webhookSecrets, webhookSecretsQuery, type PushEvent, type WebhookOptions, type WebhookProvider } from './index.ts';
import { DeliveryLog } from './webhooks.ts';

const SECRET = 's3cr3t-hook-key';
const REPO = 'https://github.com/acme/shop';
const NOW = Date.parse('2025-06-01T12:00:00Z');

const ghSign = (body: string, secret = SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function githubPush(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ref: 'refs/heads/main',
    before: 'a'.repeat(40),
    after: 'b'.repeat(40),
    repository: {
      full_name: 'acme/shop',
      clone_url: 'https://github.com/acme/shop.git',
      ssh_url: 'git@github.com:acme/shop.git',
      html_url: 'https://github.com/acme/shop',
      url: 'https://github.com/acme/shop',
      default_branch: 'main',
      pushed_at: Math.floor(NOW / 1000) - 5,
    },
    ...over,
  });
}

interface Harness {
  readonly app: FastifyInstance;
  readonly pushes: PushEvent[];
  readonly logs: string[];
  readonly registry: Registry;
  clock: number;
}

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.app.close();
});

/** A fastify app with the receivers; secrets per provider and repo key; every push recorded. */
async function harness(over: Partial<WebhookOptions> & { secrets?: WebhookOptions['secrets']; table?: Record<string, readonly string[]> } = {}): Promise<Harness> {
  const app = Fastify({ logger: false });
  const registry = new Registry();
  const logs: string[] = [];
  const pushes: PushEvent[] = [];
  const table = over.table ?? { 'github.com/acme/shop': [SECRET], 'gitlab.example.com/team/shop': [SECRET], 'git.example.com/x/y': [SECRET] };
  const h: Harness = { app, pushes, logs, registry, clock: NOW };
  const record = (o: unknown, msg: string): void => {
    logs.push(JSON.stringify(o) + msg);
  };
  registerWebhooks(app, {
    secrets: over.secrets ?? {
      secretsFor: (_p: WebhookProvider, urls: readonly string[]) => Promise.resolve(urls.flatMap((u) => table[repoKey(u)] ?? []).filter((s, i, a) => a.indexOf(s) === i)),
    },
    refresh: over.refresh ?? ((p) => {
      pushes.push(p);
      return 2;
    }),
    registry,
    log: { info: record, warn: record } as unknown as WebhookOptions['log'],
    now: () => h.clock,
    ...(over.bodyLimitBytes !== undefined ? { bodyLimitBytes: over.bodyLimitBytes } : {}),
    ...(over.replayTtlSeconds !== undefined ? { replayTtlSeconds: over.replayTtlSeconds } : {}),
  });
  await app.ready();
  harnesses.push(h);
  return h;
}

const github = (h: Harness, body: string, headers: Record<string, string | undefined>) =>
  h.app.inject({ method: 'POST', url: '/webhooks/github', payload: body, headers: Object.fromEntries(Object.entries({ 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'd-1', ...headers }).filter((e): e is [string, string] => e[1] !== undefined)) });

async function metric(r: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await r.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values as { labels: Record<string, string>; value: number }[] | undefined)?.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('repoKey / sameRepo', () => {
  it.each([
    ['https://github.com/acme/shop', 'github.com/acme/shop'],
    ['https://github.com/acme/shop.git', 'github.com/acme/shop'],
    ['https://github.com/acme/shop/', 'github.com/acme/shop'],
    ['https://GitHub.com/Acme/Shop.GIT', 'github.com/acme/shop'],
    ['http://user:tok@github.com:443/acme/shop.git', 'github.com/acme/shop'],
    ['ssh://git@github.com:22/acme/shop.git', 'github.com/acme/shop'],
    ['ssh://git@github.com/acme/shop', 'github.com/acme/shop'],
    ['git@github.com:acme/shop.git', 'github.com/acme/shop'],
    ['github.com:acme/shop', 'github.com/acme/shop'],
    ['git://github.com/acme/shop.git', 'github.com/acme/shop'],
    ['git@gitlab.example.com:group/sub/shop.git', 'gitlab.example.com/group/sub/shop'],
    ['https://github.com', 'github.com'],
    ['file:///srv/git/Shop.git/', 'file:///srv/git/Shop.git'],
    ['  https://github.com/acme/shop  ', 'github.com/acme/shop'],
  ])('%s → %s', (url, key) => {
    expect(repoKey(url)).toBe(key);
  });

  it.each([
    ['https://github.com/acme/shop', 'git@github.com:acme/shop.git', true],
    ['https://github.com/acme/shop', 'https://github.com/acme/shop-api', false],
    ['https://github.com/acme/shop', 'https://gitlab.com/acme/shop', false],
    ['file:///srv/a', 'file:///srv/A', false],
    ['file:///srv/a', 'file:///srv/a/', true],
  ])('sameRepo(%s, %s) = %s', (a, b, same) => {
    expect(sameRepo(a, b)).toBe(same);
  });

  it.each([
    ['https://x-access-token:ghp_abc@github.com/acme/shop.git', 'https://github.com/acme/shop.git'],
    ['ssh://git@github.com/acme/shop', 'ssh://git@github.com/acme/shop'],
    ['git@github.com:acme/shop.git', 'git@github.com:acme/shop.git'],
    ['https://github.com/acme/shop', 'https://github.com/acme/shop'],
  ])('redactRepoURL(%s) = %s', (url, out) => {
    expect(redactRepoURL(url)).toBe(out);
  });
});

describe('hmac', () => {
  const body = '{"a":1}';
  it.each([
    ['the right signature', ghSign(body), [SECRET], true],
    ['upper-case hex and prefix', ghSign(body).toUpperCase(), [SECRET], true],
    ['a rotation: the second secret signed', ghSign(body), ['old', SECRET], true],
    ['another secret', ghSign(body, 'other'), [SECRET], false],
    ['no secrets', ghSign(body), [], false],
    ['no prefix', ghSign(body).slice('sha256='.length), [SECRET], false],
    ['sha1 prefix', ghSign(body).replace('sha256', 'sha1'), [SECRET], false],
    ['truncated', ghSign(body).slice(0, -2), [SECRET], false],
    ['not hex', `sha256=${'z'.repeat(64)}`, [SECRET], false],
  ])('%s', (_name, header, secrets, ok) => {
    expect(hmacMatches(header, secrets, [body])).toBe(ok);
  });

  it('signBody signs `<timestamp>.<body>`', () => {
    expect(signBody(SECRET, 1700000000, body)).toBe(`sha256=${createHmac('sha256', SECRET).update(`1700000000.${body}`).digest('hex')}`);
    expect(hmacMatches(signBody(SECRET, 1700000000, body), [SECRET], ['1700000000.', body])).toBe(true);
    expect(hmacMatches(signBody(SECRET, 1700000001, body), [SECRET], ['1700000000.', body])).toBe(false);
  });

  it.each([
    ['equal', SECRET, [SECRET], true],
    ['a prefix of it', SECRET.slice(0, 4), [SECRET], false],
    ['longer', `${SECRET}x`, [SECRET], false],
    ['one of two', SECRET, ['a', SECRET], true],
    ['empty list', SECRET, [], false],
  ])('tokenMatches: %s', (_n, token, secrets, ok) => {
    expect(tokenMatches(token, secrets)).toBe(ok);
  });
});

describe('DeliveryLog', () => {
  it('refuses an ID within its TTL and accepts it after', () => {
    let t = 0;
    const log = new DeliveryLog(10, 1000, () => t);
    expect(log.claim('a')).toBe(true);
    expect(log.claim('a')).toBe(false);
    t = 999;
    expect(log.claim('a')).toBe(false);
    t = 1000;
    expect(log.claim('a')).toBe(true);
  });

  it('stays within its capacity, forgetting the oldest', () => {
    const log = new DeliveryLog(3, 60_000, () => 0);
    for (const id of ['a', 'b', 'c', 'd']) expect(log.claim(id)).toBe(true);
    expect(log.size).toBe(3);
    expect(log.claim('d')).toBe(false);
    expect(log.claim('a')).toBe(true);
  });

  it('prunes expired entries as time passes', () => {
    let t = 0;
    const log = new DeliveryLog(100, 10, () => t);
    for (let i = 0; i < 50; i++) log.claim(`id-${i}`);
    t = 20;
    log.claim('fresh');
    expect(log.size).toBe(1);
  });

  it('release forgets an ID', () => {
    const log = new DeliveryLog(10, 1000, () => 0);
    log.claim('a');
    log.release('a');
    expect(log.claim('a')).toBe(true);
  });
});

describe('/webhooks/github', () => {
  it('a signed push refreshes, with the repository, branch, commit and default branch', async () => {
    const h = await harness();
    const body = githubPush();
    const res = await github(h, body, { 'x-hub-signature-256': ghSign(body) });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'accepted', applications: 2 });
    expect(h.pushes).toEqual([
      {
        provider: 'github',
        repoURL: 'https://github.com/acme/shop.git',
        repoURLs: ['https://github.com/acme/shop.git', 'git@github.com:acme/shop.git', 'https://github.com/acme/shop'],
        branch: 'main',
        commit: 'b'.repeat(40),
        defaultBranch: 'main',
        delivery: 'd-1',
      },
    ]);
    expect(await metric(h.registry, 'slipway_webhooks_received_total', { provider: 'github', outcome: 'refreshed' })).toBe(1);
    expect(await metric(h.registry, 'slipway_webhook_refreshed_applications_total', { provider: 'github' })).toBe(2);
  });

  it.each([
    ['unsigned', {}, 401, 'unsigned'],
    ['a SHA-1 signature only', { 'x-hub-signature': 'sha1=abc' }, 401, 'unsigned'],
    ['a wrong signature', { 'x-hub-signature-256': ghSign('{}') }, 401, 'bad-signature'],
    ['signed with another secret', { 'x-hub-signature-256': ghSign(githubPush(), 'guess') }, 401, 'bad-signature'],
    ['a malformed signature', { 'x-hub-signature-256': 'sha256=xyz' }, 401, 'bad-signature'],
    ['no delivery ID', { 'x-hub-signature-256': ghSign(githubPush()), 'x-github-delivery': undefined }, 400, 'no-delivery-id'],
  ])('%s: refused, no refresh', async (_name, headers, status, reason) => {
    const h = await harness();
    const res = await github(h, githubPush(), headers);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ error: reason });
    expect(h.pushes).toEqual([]);
    expect(await metric(h.registry, 'slipway_webhooks_rejected_total', { provider: 'github', reason })).toBe(1);
  });

  it('the signature covers the bytes as sent: the same JSON re-spaced does not verify', async () => {
    const h = await harness();
    const body = githubPush();
    const res = await github(h, JSON.stringify(JSON.parse(body), null, 1), { 'x-hub-signature-256': ghSign(body) });
    expect(res.statusCode).toBe(401);
    expect(h.pushes).toEqual([]);
  });

  it('a repository without a configured secret is refused, even when signed', async () => {
    const h = await harness();
    const body = githubPush({ repository: { clone_url: 'https://github.com/acme/other.git', pushed_at: Math.floor(NOW / 1000) } });
    const res = await github(h, body, { 'x-hub-signature-256': ghSign(body) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'no-secret' });
    expect(h.pushes).toEqual([]);
  });

  it('a replayed delivery is refused (409) and does not refresh again', async () => {
    const h = await harness();
    const body = githubPush();
    const headers = { 'x-hub-signature-256': ghSign(body) };
    expect((await github(h, body, headers)).statusCode).toBe(202);
    const again = await github(h, body, headers);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'replay' });
    expect(h.pushes).toHaveLength(1);
    // Another delivery of the same push (a second webhook on the repo) is not a replay.
    expect((await github(h, body, { ...headers, 'x-github-delivery': 'd-2' })).statusCode).toBe(202);
    expect(h.pushes).toHaveLength(2);
  });

  it('an unauthenticated request does not burn a delivery ID', async () => {
    const h = await harness();
    const body = githubPush();
    expect((await github(h, body, { 'x-hub-signature-256': ghSign(body, 'guess') })).statusCode).toBe(401);
    expect((await github(h, body, { 'x-hub-signature-256': ghSign(body) })).statusCode).toBe(202);
  });

  it('a push older than the replay TTL is stale, so an ID that left the log cannot be replayed', async () => {
    const h = await harness({ replayTtlSeconds: 3600 });
    const body = githubPush();
    const headers = { 'x-hub-signature-256': ghSign(body) };
    expect((await github(h, body, headers)).statusCode).toBe(202);
    h.clock = NOW + 3600_000;
    const late = await github(h, body, headers);
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ error: 'stale' });
    expect(h.pushes).toHaveLength(1);
  });

  it('a failed refresh answers 500 and forgets the delivery, so "Redeliver" works', async () => {
    let fail = true;
    const pushes: PushEvent[] = [];
    const h = await harness({
      refresh: (p) => {
        if (fail) throw new Error('queue closed');
        pushes.push(p);
        return 1;
      },
    });
    const body = githubPush();
    const headers = { 'x-hub-signature-256': ghSign(body) };
    expect((await github(h, body, headers)).statusCode).toBe(500);
    fail = false;
    expect((await github(h, body, headers)).statusCode).toBe(202);
    expect(pushes).toHaveLength(1);
  });

  it('a body over the limit gets 413 and no refresh', async () => {
    const h = await harness({ bodyLimitBytes: 1024 });
    const body = githubPush({ padding: 'x'.repeat(2048) });
    const res = await github(h, body, { 'x-hub-signature-256': ghSign(body) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'too-large' });
    expect(h.pushes).toEqual([]);
    expect(await metric(h.registry, 'slipway_webhooks_rejected_total', { provider: 'github', reason: 'too-large' })).toBe(1);
    // Just under the limit is read.
    const small = githubPush();
    expect(small.length).toBeLessThan(1024);
    expect((await github(h, small, { 'x-hub-signature-256': ghSign(small) })).statusCode).toBe(202);
  });

  it('ping answers pong (signed) and refreshes nothing', async () => {
    const h = await harness();
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1, repository: { clone_url: 'https://github.com/acme/shop.git' } });
    const res = await github(h, body, { 'x-github-event': 'ping', 'x-hub-signature-256': ghSign(body) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'pong' });
    expect(h.pushes).toEqual([]);
    expect((await github(h, body, { 'x-github-event': 'ping', 'x-github-delivery': 'd-9' })).statusCode).toBe(401);
  });

  it.each([
    ['another event', { 'x-github-event': 'issues' }, githubPush()],
    ['a pull request ref', {}, githubPush({ ref: 'refs/pull/1/head' })],
  ])('%s is accepted and ignored', async (_n, headers, body) => {
    const h = await harness();
    const res = await github(h, body, { ...headers, 'x-hub-signature-256': ghSign(body) });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'ignored' });
    expect(h.pushes).toEqual([]);
  });

  it('a tag push and a branch deletion', async () => {
    const h = await harness();
    const tag = githubPush({ ref: 'refs/tags/v1.2.0' });
    expect((await github(h, tag, { 'x-hub-signature-256': ghSign(tag) })).statusCode).toBe(202);
    const del = githubPush({ ref: 'refs/heads/feature', after: '0'.repeat(40), deleted: true });
    expect((await github(h, del, { 'x-hub-signature-256': ghSign(del), 'x-github-delivery': 'd-2' })).statusCode).toBe(202);
    expect(h.pushes.map((p) => [p.branch, p.tag, p.commit])).toEqual([
      [undefined, 'v1.2.0', 'b'.repeat(40)],
      ['feature', undefined, undefined],
    ]);
  });

  it('a form-encoded payload (content type application/x-www-form-urlencoded) is verified over the form', async () => {
    const h = await harness();
    const form = new URLSearchParams({ payload: githubPush() }).toString();
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/github', payload: form, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'push', 'x-github-delivery': 'f-1', 'x-hub-signature-256': ghSign(form) } });
    expect(res.statusCode).toBe(202);
    expect(h.pushes[0]?.branch).toBe('main');
  });

  it('Gitea sends X-Gitea-Event and X-Gitea-Delivery with the same signature', async () => {
    const h = await harness();
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40), repository: { clone_url: 'https://git.example.com/x/y.git', ssh_url: 'git@git.example.com:x/y.git', default_branch: 'main' } });
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/github', payload: body, headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-delivery': 'g-1', 'x-hub-signature-256': ghSign(body) } });
    expect(res.statusCode).toBe(202);
    expect(h.pushes[0]?.repoURL).toBe('https://git.example.com/x/y.git');
  });

  it.each([
    ['not JSON', '{nope', 'application/json'],
    ['a JSON array', '[1]', 'application/json'],
    ['no content type', githubPush(), undefined],
  ])('%s: 400 malformed or verified as bytes', async (name, body, type) => {
    const h = await harness();
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/github', payload: body, headers: { ...(type ? { 'content-type': type } : {}), 'x-github-event': 'push', 'x-github-delivery': 'm-1', 'x-hub-signature-256': ghSign(body) } });
    // Without a content type the body is still the JSON GitHub sent.
    expect(res.statusCode).toBe(name === 'no content type' ? 202 : 400);
  });

  it('secrets that cannot be read: 503, and the sender retries', async () => {
    const h = await harness({ secrets: { secretsFor: () => Promise.reject(new Error('apiserver down')) } });
    const body = githubPush();
    const res = await github(h, body, { 'x-hub-signature-256': ghSign(body) });
    expect(res.statusCode).toBe(503);
    expect(h.pushes).toEqual([]);
  });

  it('never logs a secret, a signature or a token', async () => {
    const h = await harness({ table: { 'github.com/acme/shop': [SECRET], 'gitlab.example.com/team/shop': [SECRET] } });
    const body = githubPush({ repository: { clone_url: `https://x-access-token:${SECRET}@github.com/acme/shop.git`, pushed_at: Math.floor(NOW / 1000) } });
    const sig = ghSign(body);
    await github(h, body, { 'x-hub-signature-256': sig });
    await github(h, body, { 'x-hub-signature-256': sig });
    await github(h, body, { 'x-hub-signature-256': ghSign(body, 'guess'), 'x-github-delivery': 'x' });
    await h.app.inject({ method: 'POST', url: '/webhooks/gitlab', payload: gitlabPush(), headers: { 'content-type': 'application/json', 'x-gitlab-token': 'wrong-token-value' } });
    expect(h.pushes).toHaveLength(1);
    const all = h.logs.join('\n');
    expect(h.logs.length).toBeGreaterThanOrEqual(4);
    for (const s of [SECRET, sig.slice(7), 'wrong-token-value']) expect(all).not.toContain(s);
  });
});

function gitlabPush(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    object_kind: 'push',
    ref: 'refs/heads/main',
    after: 'd'.repeat(40),
    project: { git_http_url: 'https://gitlab.example.com/team/shop.git', git_ssh_url: 'git@gitlab.example.com:team/shop.git', web_url: 'https://gitlab.example.com/team/shop', default_branch: 'main' },
    repository: { url: 'git@gitlab.example.com:team/shop.git', homepage: 'https://gitlab.example.com/team/shop' },
    ...over,
  });
}

describe('/webhooks/gitlab', () => {
  const post = (h: Harness, body: string, headers: Record<string, string>) => h.app.inject({ method: 'POST', url: '/webhooks/gitlab', payload: body, headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', ...headers } });

  it('the right token refreshes', async () => {
    const h = await harness();
    const res = await post(h, gitlabPush(), { 'x-gitlab-token': SECRET, 'idempotency-key': 'k-1' });
    expect(res.statusCode).toBe(202);
    expect(h.pushes).toEqual([
      expect.objectContaining({ provider: 'gitlab', repoURL: 'https://gitlab.example.com/team/shop.git', branch: 'main', commit: 'd'.repeat(40), defaultBranch: 'main', delivery: 'k-1' }),
    ]);
  });

  it.each([
    ['no token', {}, 'unsigned'],
    ['a wrong token', { 'x-gitlab-token': 'guess' }, 'bad-signature'],
    ['a prefix of the token', { 'x-gitlab-token': SECRET.slice(0, 5) }, 'bad-signature'],
  ])('%s: 401', async (_n, headers, reason) => {
    const h = await harness();
    const res = await post(h, gitlabPush(), headers);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: reason });
    expect(h.pushes).toEqual([]);
  });

  it('a retried delivery (same Idempotency-Key or X-Gitlab-Event-UUID) is refused', async () => {
    const h = await harness();
    expect((await post(h, gitlabPush(), { 'x-gitlab-token': SECRET, 'x-gitlab-event-uuid': 'u-1' })).statusCode).toBe(202);
    expect((await post(h, gitlabPush(), { 'x-gitlab-token': SECRET, 'x-gitlab-event-uuid': 'u-1' })).statusCode).toBe(409);
    expect(h.pushes).toHaveLength(1);
  });

  it('a tag push hook refreshes with the tag; a merge request is ignored', async () => {
    const h = await harness();
    const tag = gitlabPush({ object_kind: 'tag_push', ref: 'refs/tags/v2.0.0' });
    expect((await post(h, tag, { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Tag Push Hook' })).statusCode).toBe(202);
    const mr = gitlabPush({ object_kind: 'merge_request' });
    const res = await post(h, mr, { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Merge Request Hook' });
    expect(res.json()).toMatchObject({ status: 'ignored', event: 'merge_request' });
    expect(h.pushes.map((p) => p.tag)).toEqual(['v2.0.0']);
  });
});

describe('/webhooks/generic', () => {
  const ts = Math.floor(NOW / 1000);
  const post = (h: Harness, body: string, headers: Record<string, string>) => h.app.inject({ method: 'POST', url: '/webhooks/generic', payload: body, headers: { 'content-type': 'application/json', ...headers } });
  const body = JSON.stringify({ repoURL: 'git@github.com:acme/shop.git', ref: 'refs/heads/release', commit: 'e'.repeat(40) });

  it('a signed, fresh request refreshes', async () => {
    const h = await harness();
    const res = await post(h, body, { 'x-slipway-timestamp': String(ts), 'x-slipway-signature': signBody(SECRET, ts, body) });
    expect(res.statusCode).toBe(202);
    expect(h.pushes).toEqual([{ provider: 'generic', repoURL: 'git@github.com:acme/shop.git', repoURLs: ['git@github.com:acme/shop.git'], branch: 'release', tag: undefined, commit: 'e'.repeat(40), delivery: signBody(SECRET, ts, body) }]);
  });

  it.each([
    ['unsigned', {}, 401, 'unsigned'],
    ['no timestamp', { 'x-slipway-signature': signBody(SECRET, ts, body) }, 401, 'unsigned'],
    ['a timestamp 301 s old', { 'x-slipway-timestamp': String(ts - 301), 'x-slipway-signature': signBody(SECRET, ts - 301, body) }, 401, 'stale'],
    ['a timestamp 301 s ahead', { 'x-slipway-timestamp': String(ts + 301), 'x-slipway-signature': signBody(SECRET, ts + 301, body) }, 401, 'stale'],
    ['a timestamp in ms', { 'x-slipway-timestamp': String(NOW), 'x-slipway-signature': signBody(SECRET, NOW, body) }, 401, 'stale'],
    ['a signature for another timestamp', { 'x-slipway-timestamp': String(ts), 'x-slipway-signature': signBody(SECRET, ts - 1, body) }, 401, 'bad-signature'],
    ['a wrong secret', { 'x-slipway-timestamp': String(ts), 'x-slipway-signature': signBody('guess', ts, body) }, 401, 'bad-signature'],
  ])('%s: refused', async (_n, headers, status, reason) => {
    const h = await harness();
    const res = await post(h, body, headers);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ error: reason });
    expect(h.pushes).toEqual([]);
  });

  it('the same request twice is a replay; a new timestamp is a new request', async () => {
    const h = await harness();
    const headers = { 'x-slipway-timestamp': String(ts), 'x-slipway-signature': signBody(SECRET, ts, body) };
    expect((await post(h, body, headers)).statusCode).toBe(202);
    expect((await post(h, body, headers)).statusCode).toBe(409);
    expect((await post(h, body, { 'x-slipway-timestamp': String(ts + 1), 'x-slipway-signature': signBody(SECRET, ts + 1, body) })).statusCode).toBe(202);
    expect(h.pushes).toHaveLength(2);
  });

  it('a body without repoURL is malformed', async () => {
    const h = await harness();
    const bad = JSON.stringify({ branch: 'main' });
    const res = await post(h, bad, { 'x-slipway-timestamp': String(ts), 'x-slipway-signature': signBody(SECRET, ts, bad) });
    expect(res.statusCode).toBe(400);
  });
});

describe('webhookSecrets (labelled Kubernetes Secrets)', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secret = (name: string, data: Record<string, string>): LiveObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'slipway-system' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });
  const items = [
    secret('org', { url: 'https://github.com/acme', secret: 'org-wide' }),
    secret('shop', { url: 'git@github.com:acme/shop.git', secret: 'shop-1\n' }),
    secret('shop-next', { url: 'https://github.com/acme/shop', secret: 'shop-2' }),
    secret('lab', { url: 'https://gitlab.example.com/team', secret: 'lab', provider: 'gitlab' }),
    secret('no-url', { secret: 'orphan' }),
    secret('empty', { url: 'https://github.com/acme/empty', secret: '' }),
  ];
  const resolver = webhookSecrets({ list: () => items, hasSynced: true });
  const signal = new AbortController().signal;

  it.each([
    ['a repository with its own Secrets (a rotation: both)', 'github', ['https://github.com/acme/shop.git'], ['shop-1', 'shop-2']],
    ['another repository of the owner', 'github', ['https://github.com/acme/api'], ['org-wide']],
    ['a repository named like the owner prefix', 'github', ['https://github.com/acme-corp/x'], []],
    ['a provider the Secret is not for', 'github', ['https://gitlab.example.com/team/shop'], []],
    ['the provider it is for', 'gitlab', ['https://gitlab.example.com/team/shop'], ['lab']],
    ['an empty secret is no secret', 'github', ['https://github.com/acme/empty'], ['org-wide']],
    ['no URL', 'github', [], []],
  ] as const)('%s', async (_n, provider, urls, want) => {
    expect(await resolver.secretsFor(provider, urls, signal)).toEqual(want);
  });

  it('refuses to answer before the Secrets were listed (an empty cache is not "no secret")', async () => {
    const r = webhookSecrets({ list: () => [], hasSynced: false, waitForSync: () => Promise.resolve() });
    await expect(r.secretsFor('github', [REPO], signal)).rejects.toThrow(/not been listed/);
  });

  it('webhookSecretsQuery selects the labelled Secrets of one namespace', () => {
    expect(webhookSecretsQuery('slipway-system')).toEqual({ apiVersion: 'v1', kind: 'Secret', namespace: 'slipway-system', labelSelector: 'slipway.dev/secret-type=webhook' });
  });
});

describe('pushMatches', () => {
  const push = (o: Partial<PushEvent>): PushEvent => ({ provider: 'github', repoURL: `${REPO}.git`, repoURLs: [`${REPO}.git`, 'git@github.com:acme/shop.git'], ...o });
  it.each([
    ['same branch, ssh form', push({ branch: 'main' }), 'git@github.com:ACME/shop', 'main', true],
    ['refs/heads form', push({ branch: 'main' }), REPO, 'refs/heads/main', true],
    ['another branch', push({ branch: 'dev' }), REPO, 'main', false],
    ['another repository', push({ branch: 'main' }), 'https://github.com/acme/api', 'main', false],
    ['HEAD and the default branch', push({ branch: 'main', defaultBranch: 'main' }), REPO, 'HEAD', true],
    ['HEAD and another branch', push({ branch: 'dev', defaultBranch: 'main' }), REPO, 'HEAD', false],
    ['no revision, default unknown', push({ branch: 'dev' }), REPO, undefined, true],
    ['pinned commit', push({ branch: 'main' }), REPO, 'a'.repeat(40), false],
    ['the tag', push({ tag: 'v1.2.0' }), REPO, 'v1.2.0', true],
    ['a range and a new tag', push({ tag: 'v1.3.0' }), REPO, '^1.2.0', true],
    ['1.x and a new tag', push({ tag: 'v1.3.0' }), REPO, '1.x', true],
    ['a branch and a tag push', push({ tag: 'v1.3.0' }), REPO, 'main', false],
  ])('%s', (_n, p, url, rev, want) => {
    expect(pushMatches(p, url, rev)).toBe(want);
  });
});
