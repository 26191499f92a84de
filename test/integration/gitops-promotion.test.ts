/**
 * Promotion dev → staging → prod on the real local control plane: a real git repository on disk
 * (file://), the controller as a real process (GitOps and progressive delivery, with the
 * cluster's Prometheus for the SLO gates of staging's canary), one SlipwayApp per environment.
 *
 * Each environment's slipway.yaml is in its own directory of the repository (one namespace per
 * test, so each deploys its own service). A release commit changes all three; what each
 * environment deploys is the commit promoted to it, not the branch.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/index.ts';
import type { SlipwayApp } from '../../src/gitops/index.ts';
import { INSTANCE_LABEL } from '../../src/rollout/index.ts';
import { testKubeconfigPath, testPrometheusUrl, useNamespace, waitFor, type TestNamespace } from './harness.ts';
import { HEALTHY_TRAFFIC, cli, startController } from './rollout-harness.ts';
import { GitRepo, app, deploymentOf, ensureGitopsCrds, getApp, imageOf, kubectl, waitApp } from './gitops-harness.ts';

const INSTANCE = 'promotion';
let prometheusUrl = '';

beforeAll(async () => {
  prometheusUrl = await testPrometheusUrl();
  await ensureGitopsCrds(testKubeconfigPath());
});

/**
 * One environment's slipway.yaml: service `web-<env>`. Staging's is a canary gated on its SLOs
 * (no analysis configuration: the zero-config SLO gates), paused after its first step until
 * `slipway rollout promote`; its pods' simulated traffic is `traffic`.
 */
function envSpec(ns: TestNamespace, env: string, tag: string, traffic = HEALTHY_TRAFFIC): string {
  const canary = env === 'staging' ? `\n    slo: {successRate: 99, latencyP95Ms: 200}\n    strategy: {type: canary, canary: {steps: [{setWeight: 50}, {pause: {}}]}}` : '';
  return `app: shop
namespace: ${ns.name}
labels: {${INSTANCE_LABEL}: ${INSTANCE}}
services:
  web-${env}:
    image: registry.example/web:${tag}
    replicas: 2
    ports: [{name: http, port: 8080}]
    annotations: {slipway.dev/simulate-metrics: "${traffic}"}${canary}
environments:
  ${env}: {labels: {tier: ${env}}}
`;
}

const release = (ns: TestNamespace, tag: string, stagingTraffic?: string): Record<string, string> => ({
  'envs/dev/slipway.yaml': envSpec(ns, 'dev', tag),
  'envs/staging/slipway.yaml': envSpec(ns, 'staging', tag, stagingTraffic),
  'envs/prod/slipway.yaml': envSpec(ns, 'prod', tag),
});

const deployedAt = (sha: string) => (a: SlipwayApp): boolean => a.status?.revision === sha && a.status.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
const gate = (a: SlipwayApp) => a.status?.promotion?.gate;

describe('gitops: promotion dev → staging → prod', () => {
  const ns = useNamespace('gitops-promotion');
  const received: { trigger: string; revision?: string; environment?: string; targetEnvironment?: string; message: string }[] = [];
  let receiver: Server;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => (body += b.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as (typeof received)[number]);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  });

  /** v1: dev follows git; staging gets it from dev by itself; prod soaks it, then waits for a person. */
  async function firstRelease(c: KubeClient, repo: GitRepo): Promise<string> {
    const v1 = repo.commit(release(ns(), '1.0.0'), 'release 1.0.0');
    await waitApp(c, ns(), 'shop-dev', 'dev at v1', deployedAt(v1));
    const staging1 = await waitApp(c, ns(), 'shop-staging', 'staging at v1', deployedAt(v1));
    expect(staging1.status?.promotion?.current).toMatchObject({ revision: v1, from: 'shop-dev', fromEnvironment: 'dev', by: 'slipway-controller (automatic)' });
    const waiting = await waitApp(c, ns(), 'shop-prod', 'prod awaiting approval of v1', (a) => gate(a)?.phase === 'AwaitingApproval' && gate(a)?.revision === v1);
    expect(waiting.status?.revision).toBeUndefined();
    expect(waiting.status?.conditions?.find((x) => x.type === 'Synced')).toMatchObject({ status: 'False', reason: 'AwaitingPromotion' });
    expect(await deploymentOf(c, ns(), 'web-prod')).toBeUndefined();
    const healthySince = gate(waiting)?.healthySince ?? '';
    expect(Date.parse(healthySince)).not.toBeNaN();

    const approve1 = await cli(ns(), 'promote', 'shop', '--to', 'prod');
    expect(approve1.code, approve1.err + approve1.out).toBe(0);
    expect(approve1.out).toContain(`${v1.slice(0, 7)} promoted staging (shop-staging) → prod (shop-prod)`);
    const prod1 = await waitApp(c, ns(), 'shop-prod', 'prod at v1', deployedAt(v1));
    const current1 = prod1.status?.promotion?.current;
    expect(current1).toMatchObject({ revision: v1, from: 'shop-staging', fromEnvironment: 'staging' });
    // Who: the user the apiserver authenticated (SelfSubjectReview), not a flag.
    expect(current1?.by).toMatch(/\S/);
    expect(current1?.by).not.toContain('slipway-controller');
    // The soak (3s from when v1 became Synced and Healthy in staging) passed before the promotion.
    expect(Date.parse(current1?.at ?? '') - Date.parse(healthySince)).toBeGreaterThanOrEqual(3000);
    expect(imageOf(await deploymentOf(c, ns(), 'web-prod'))).toBe('registry.example/web:1.0.0');
    await writtenBack(c, repo, v1, 1);
    return v1;
  }

  /** v3: its canary fails staging's SLOs (50% errors) and is aborted: blocked, prod stays on v2. */
  async function abortedInStaging(c: KubeClient, repo: GitRepo, v1: string, v2: string): Promise<void> {
    const v3 = repo.commit(release(ns(), '1.2.0', 'rps=50,errorRate=0.5,latencyP95Ms=80'), 'release 1.2.0');
    await waitApp(c, ns(), 'shop-dev', 'dev at v3', deployedAt(v3));
    const blocked = await waitApp(c, ns(), 'shop-prod', 'prod blocked on v3', (a) => gate(a)?.phase === 'Blocked' && gate(a)?.revision === v3);
    expect(gate(blocked)).toMatchObject({ reason: 'CanaryAborted' });
    expect(gate(blocked)?.message).toMatch(/canary of web-staging was aborted in staging \(shop-staging\): .*success-rate.*; it is not promoted/);
    expect(blocked.status?.conditions?.find((x) => x.type === 'Promoted')).toMatchObject({ status: 'False', reason: 'CanaryAborted' });
    const refused = await cli(ns(), 'promote', 'shop', '--to', 'prod');
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`${v3.slice(0, 7)} is not promoted to prod (shop-prod)`);
    const get = await cli(ns(), 'app', 'get', 'shop-prod');
    expect(get.out).toMatch(/pipeline {5}shop: dev \(shop-dev\) \S+ Healthy → staging \(shop-staging\) \S+ \S+ Promoted → prod \(shop-prod\)/);
    expect(get.out).toMatch(new RegExp(`next {9}Blocked ${v3.slice(0, 7)} CanaryAborted: the canary of web-staging was aborted`));
    // The events say it too.
    expect(kubectl(ns(), 'get', 'events', '--field-selector', 'involvedObject.name=shop-prod,reason=PromotionBlocked', '-o', 'name').trim()).not.toBe('');

    // It never reaches prod: prod's target and objects stay v2 while staging keeps failing on v3.
    const prod3 = await getApp(c, ns(), 'shop-prod');
    expect(prod3.status?.revision).toBe(v2);
    expect(prod3.status?.promotion?.revision).toBe(v2);
    expect(imageOf(await deploymentOf(c, ns(), 'web-prod'))).toBe('registry.example/web:1.1.0');

    // One notification per promotion and per blocked revision.
    const done = (): (string | undefined)[] => received.filter((n) => n.trigger === 'PromotionDone').map((n) => n.revision);
    await waitFor(() => Promise.resolve((received.some((n) => n.trigger === 'PromotionBlocked' && n.revision === v3) && done().length >= 2) || undefined), { what: 'the notifications', timeoutMs: 30_000 });
    expect([...done()].sort()).toEqual([v1, v2].sort());
    expect(received.filter((n) => n.trigger === 'PromotionBlocked' && n.revision === v3)).toHaveLength(1);
    expect(received.find((n) => n.trigger === 'PromotionDone')).toMatchObject({ environment: 'staging', targetEnvironment: 'prod' });
  }

  /** spec.promotion.writeBack: prod's promotion of `sha` is a commit on slipway/promotions of the file:// repository (`commits` in all), by the configured author. */
  async function writtenBack(c: KubeClient, repo: GitRepo, sha: string, commits: number): Promise<void> {
    const a = await waitApp(c, ns(), 'shop-prod', `${sha.slice(0, 7)} written back to git`, (x) => x.status?.promotion?.writeBack?.revision === sha && x.status.promotion.writeBack.phase === 'Succeeded');
    const wb = a.status?.promotion?.writeBack;
    expect(wb).toMatchObject({ branch: 'slipway/promotions', path: '.slipway/promotions/shop/shop-prod.yaml' });
    expect(repo.git('rev-parse', 'refs/heads/slipway/promotions')).toBe(wb?.commit);
    expect(repo.git('rev-list', '--count', 'refs/heads/slipway/promotions')).toBe(String(commits));
    const file = repo.git('show', 'slipway/promotions:.slipway/promotions/shop/shop-prod.yaml');
    expect(file).toContain(`revision: ${sha}`);
    expect(file).toMatch(/environment: prod\n[^]*from: shop-staging\nfromEnvironment: staging\npromotedBy: \S/);
    expect(repo.git('log', '-1', '--format=%an <%ae>|%s', 'slipway/promotions')).toBe(`Release Bot <release-bot@example.com>|promote shop-prod (prod) to ${sha.slice(0, 12)}`);
    // The branch the pipeline follows is untouched (a commit there would start the pipeline again).
    expect(repo.git('log', '--format=%s', 'main')).not.toContain('promote shop-prod');
    expect(kubectl(ns(), 'get', 'events', '--field-selector', 'involvedObject.name=shop-prod,reason=WrittenBack', '-o', 'name').trim()).not.toBe('');
    expect((await cli(ns(), 'app', 'get', 'shop-prod')).out).toContain(`written back Succeeded ${sha.slice(0, 7)} to slipway/promotions:.slipway/promotions/shop/shop-prod.yaml (commit ${wb?.commit?.slice(0, 7) ?? ''})`);
  }

  it('a revision goes through the gates (canary, soak, manual approval for prod); one whose canary aborts in staging never reaches prod', async () => {
    const repo = new GitRepo();
    const cache = mkdtempSync(join(tmpdir(), 'slipway-gitops-cache-'));
    const ctl = startController({ ns: ns(), instance: INSTANCE, args: ['--gitops-cache-dir', cache], env: { SLIPWAY_PROMETHEUS_URL: prometheusUrl } });
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    const src = (env: string) => ({ repoURL: repo.url, path: `envs/${env}`, env });
    try {
      await ctl.url;
      const port = (receiver.address() as AddressInfo).port;
      await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'notify', namespace: ns().name }, stringData: { url: `http://127.0.0.1:${port}/hook` } });
      const policy = { interval: '2s' };
      await c.apply(app(ns(), 'shop-dev', INSTANCE, { source: src('dev'), syncPolicy: policy, promotion: { pipeline: 'shop' } }));
      await c.apply(app(ns(), 'shop-staging', INSTANCE, { source: src('staging'), syncPolicy: policy, promotion: { pipeline: 'shop', from: 'shop-dev' } }));
      await c.apply(
        app(ns(), 'shop-prod', INSTANCE, {
          source: src('prod'),
          syncPolicy: policy,
          promotion: { pipeline: 'shop', from: 'shop-staging', soak: '3s', approval: 'Manual', writeBack: { author: { name: 'Release Bot', email: 'release-bot@example.com' } } },
          notifications: [{ name: 'team', type: 'webhook', urlSecretRef: { name: 'notify', key: 'url' }, triggers: ['PromotionDone', 'PromotionBlocked'] }],
        }),
      );

      const v1 = await firstRelease(c, repo);

      // v2: a canary in staging. While it is paused, it is not promoted; once it is promoted (its SLO analysis passed), prod gets it after approval.
      const v2 = repo.commit(release(ns(), '1.1.0'), 'release 1.1.0');
      await waitApp(c, ns(), 'shop-dev', 'dev at v2', deployedAt(v2));
      const paused = await waitApp(c, ns(), 'shop-prod', 'prod waiting on the paused canary in staging', (a) => gate(a)?.phase === 'Waiting' && gate(a)?.revision === v2 && /paused|Suspended/.test(gate(a)?.message ?? ''));
      expect(paused.status?.promotion?.revision).toBe(v1);
      const early = await cli(ns(), 'promote', 'shop', '--to', 'prod', '--revision', v2.slice(0, 8), '--timeout', '2s');
      expect(early.code).toBe(1);
      expect((await getApp(c, ns(), 'shop-prod')).status?.promotion?.revision).toBe(v1);
      const go = await cli(ns(), 'rollout', 'promote', 'web-staging');
      expect(go.code, go.err + go.out).toBe(0);
      await waitApp(c, ns(), 'shop-staging', 'staging at v2, canary done', deployedAt(v2));
      // Approved before the gates passed (above): promoted once they did.
      const prod2 = await waitApp(c, ns(), 'shop-prod', 'prod at v2', deployedAt(v2));
      expect(prod2.status?.promotion?.history?.map((h) => h.revision)).toEqual([v1, v2]);
      expect(imageOf(await deploymentOf(c, ns(), 'web-prod'))).toBe('registry.example/web:1.1.0');
      await writtenBack(c, repo, v2, 2);

      await abortedInStaging(c, repo, v1, v2);
    } finally {
      c.close();
      ctl.kill('SIGTERM');
      await ctl.exited;
    }
  });
});
