/**
 * The webhook receivers on a real controller Manager's port, with their secrets read from
 * labelled Secrets through the Manager's shared informers on the real apiserver, and the
 * notifier reading its URLs from a real Secret. Requests go over real HTTP.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manager, type RunningManager } from '../../src/controller/index.ts';
import { Notifier, SECRET_TYPE_LABEL, secretKeyResolver, webhookRoutes, type PushEvent } from '../../src/gitops/index.ts';
import { KubeClient } from '../../src/kube/index.ts';
import { useNamespace, waitFor } from './harness.ts';

const REPO = 'https://github.com/acme/shop';
const sign = (body: string, key: string): string => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

function push(): string {
  return JSON.stringify({
    ref: 'refs/heads/main',
    after: 'b'.repeat(40),
    repository: { clone_url: `${REPO}.git`, ssh_url: 'git@github.com:acme/shop.git', default_branch: 'main', pushed_at: Math.floor(Date.now() / 1000) },
  });
}

describe('webhooks on the controller port, secrets from the cluster', () => {
  const ns = useNamespace('gitops-webhooks', { podSecurity: 'restricted' });
  let client: KubeClient;
  let running: RunningManager;
  let url: string;
  const stop = new AbortController();
  const pushes: PushEvent[] = [];

  const secret = (name: string, key: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns().name, labels: { [SECRET_TYPE_LABEL]: 'webhook' } },
    stringData: { url: REPO, secret: key },
  });

  const post = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string>) =>
    fetch(`${url}/webhooks/github`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), ...headers }, ...(typeof body === 'string' ? {} : { duplex: 'half' }) });

  beforeAll(async () => {
    client = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    await client.apply(secret('shop-hook', 'first-key'), { force: true });
    const m = new Manager({
      client,
      reconcilers: [],
      identity: 'webhooks-test',
      leaseNamespace: ns().name,
      leaseName: 'webhooks-test',
      port: 0,
      routes: [
        webhookRoutes({
          namespace: ns().name,
          bodyLimitBytes: 64 * 1024,
          refresh: (p) => {
            pushes.push(p);
            return 1;
          },
        }),
      ],
    });
    running = await m.start(stop.signal);
    url = running.url ?? '';
  });

  afterAll(async () => {
    stop.abort();
    await running.done;
    client.close();
  });

  it('a push signed with the Secret\'s key refreshes; a bad signature gets 401 and no refresh; a replay 409', async () => {
    const body = push();
    const delivery = randomUUID();
    const ok = await post(body, { 'x-hub-signature-256': sign(body, 'first-key'), 'x-github-delivery': delivery });
    expect(ok.status).toBe(202);
    expect(pushes.map((p) => [p.repoURL, p.branch])).toEqual([[`${REPO}.git`, 'main']]);

    const bad = await post(body, { 'x-hub-signature-256': sign(body, 'guessed-key') });
    expect(bad.status).toBe(401);
    const unsigned = await post(body, {});
    expect(unsigned.status).toBe(401);
    const replay = await post(body, { 'x-hub-signature-256': sign(body, 'first-key'), 'x-github-delivery': delivery });
    expect(replay.status).toBe(409);
    expect(pushes).toHaveLength(1);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/slipway_webhooks_rejected_total\{provider="github",reason="bad-signature"\} 1/);
    expect(metrics).toMatch(/slipway_webhooks_rejected_total\{provider="github",reason="replay"\} 1/);
    expect(metrics).not.toContain('first-key');
  });

  it('a body over the limit gets 413, announced (Content-Length) or streamed (chunked)', async () => {
    const big = JSON.stringify({ ...JSON.parse(push()), padding: 'x'.repeat(256 * 1024) });
    const announced = await post(big, { 'x-hub-signature-256': sign(big, 'first-key') });
    expect(announced.status).toBe(413);
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 8192) c.enqueue(bytes.subarray(i, i + 8192));
        c.close();
      },
    });
    const chunked = await post(stream, { 'x-hub-signature-256': sign(big, 'first-key') });
    expect(chunked.status).toBe(413);
    expect(pushes).toHaveLength(1);
  });

  it('a key rotation: a second Secret for the repository is accepted as soon as the informer sees it, the deleted one no longer', async () => {
    await client.apply(secret('shop-hook-next', 'second-key'), { force: true });
    await waitFor(
      async () => {
        const body = push();
        return (await post(body, { 'x-hub-signature-256': sign(body, 'second-key') })).status === 202;
      },
      { what: 'the new key to be accepted' },
    );
    await client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: ns().name, name: 'shop-hook' });
    await waitFor(
      async () => {
        const body = push();
        return (await post(body, { 'x-hub-signature-256': sign(body, 'first-key') })).status === 401;
      },
      { what: 'the deleted key to be refused' },
    );
    const body = push();
    expect((await post(body, { 'x-hub-signature-256': sign(body, 'second-key') })).status).toBe(202);
  });
});

describe('notifications with the URL from a real Secret', () => {
  const ns = useNamespace('gitops-notify', { podSecurity: 'restricted' });
  let receiver: Server;
  const bodies: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  });

  it('reads the URL from the Secret in the application\'s namespace and delivers once per operation', async () => {
    const client = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    try {
      const port = (receiver.address() as AddressInfo).port;
      await client.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'notify', namespace: ns().name }, stringData: { slack: `http://127.0.0.1:${port}/services/T/B/token` } }, { force: true });
      const n = new Notifier({ secrets: secretKeyResolver(client) });
      const app = { namespace: ns().name, name: 'web', notifications: [{ name: 'team', type: 'slack' as const, urlSecretRef: { name: 'notify', key: 'slack' } }] };
      const event = { trigger: 'SyncSucceeded' as const, operation: 'sync-1', app: { namespace: ns().name, name: 'web' }, message: 'synced 12 objects', revision: 'c'.repeat(40) };
      expect(n.notify(app, event).outcome).toBe('queued');
      expect(n.notify(app, event).outcome).toBe('duplicate');
      await n.idle();
      expect(bodies).toHaveLength(1);
      expect(JSON.parse(bodies[0] ?? '')).toMatchObject({ text: `:white_check_mark: ${ns().name}/web synced at ccccccc` });
    } finally {
      client.close();
    }
  });
});
