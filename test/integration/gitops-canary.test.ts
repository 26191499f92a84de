/**
 * An in-flight canary under GitOps with selfHeal, on the real local control plane: a real git
 * repository on disk (file://), the controller as a real process running GitOps and progressive
 * delivery together. While the canary is paused at a step with traffic, the rollout controller's
 * route weights and canary scale are neither reverted nor reported as drift, across further
 * syncs (`slipway app sync`, and a commit of something unrelated); then the canary is promoted.
 *
 * Two apps, one per way a team keeps a canary in git, both with Gateway API routing:
 *  - `shop`: a slipway.yaml whose service `web` is a canary exposed through an HTTPRoute (deploy
 *    hands the route to the rollout controller);
 *  - `api`: plain manifests as Argo Rollouts users commit them: a ServiceRollout and the HTTPRoute
 *    it routes with (stable 100, canary 0). The rollout controller rewrites that route's weights:
 *    fields GitOps applied, so only the classification by field manager keeps them (the
 *    argo-cd#3002 case).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, type LiveObject } from '../../src/kube/index.ts';
import { omit, stringifyManifests } from '../../src/manifest/index.ts';
import { CONTROLLER_MANAGER, INSTANCE_LABEL, type ServiceRollout, type StepT } from '../../src/rollout/index.ts';
import type { SlipwayApp } from '../../src/gitops/index.ts';
import { testKubeconfigPath, useNamespace, type TestNamespace } from './harness.ts';
import { cli, deployment, ensureCrds, getRollout, rollout, waitStatus } from './rollout-harness.ts';
import { GitRepo, app, ensureGitopsCrds, getApp, startGitops, synced, waitApp } from './gitops-harness.ts';
import type { ControllerProcess } from './rollout-harness.ts';

const INSTANCE = 'gitops-canary';
const STEPS: StepT[] = [{ setWeight: 25 }, { pause: {} }];

beforeAll(async () => {
  await ensureCrds(testKubeconfigPath());
  await ensureGitopsCrds(testKubeconfigPath());
});

/** The slipway.yaml: `web`, a canary behind an HTTPRoute, and a ConfigMap it does not use. */
function shopSpec(ns: TestNamespace, tag: string, note: string): string {
  return `app: shop
namespace: ${ns.name}
labels: {${INSTANCE_LABEL}: ${INSTANCE}}
services:
  web:
    image: registry.example/web:${tag}
    replicas: 4
    ports: [{name: http, port: 8080}]
    expose: {type: gateway, host: web.example.com, port: http, gateway: {name: public, namespace: ${ns.name}}}
    strategy: {type: canary, canary: {steps: [{setWeight: 25}, {pause: {}}]}}
configMaps:
  notes:
    data: {note: "${note}"}
`;
}

/** Plain manifests: the ServiceRollout `api` (rollout-harness's, Gateway API routing) and its HTTPRoute as committed: all traffic on stable. */
function apiManifests(ns: TestNamespace, tag: string, note: string): string {
  const ro = rollout(ns, { name: 'api', image: `registry.example/api:${tag}`, steps: STEPS, instance: INSTANCE, gateway: true, replicas: 4 });
  const backend = (name: string, weight: number) => ({ group: '', kind: 'Service', name, port: 8080, weight });
  const route = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'api' },
    spec: { parentRefs: [{ name: 'public', namespace: ns.name }], rules: [{ backendRefs: [backend('api-stable', 100), backend('api-canary', 0)] }] },
  };
  const notes = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-notes' }, data: { note } };
  // Namespaced by the app's destination, as plain manifests usually are.
  const meta = omit(ro.metadata, ['namespace']);
  return stringifyManifests([{ ...ro, metadata: meta }, route, notes]);
}

const release = (ns: TestNamespace, tag: string, note = 'first'): Record<string, string> => ({
  'shop/slipway.yaml': shopSpec(ns, tag, note),
  'k8s/api.yaml': apiManifests(ns, tag, note),
});

/** `{stable, canary}` weights of the route's catch-all rule. */
function weights(route: LiveObject | undefined): Record<string, number | undefined> {
  const refs = (route?.['spec'] as { rules?: { backendRefs?: { name?: string; weight?: number }[] }[] } | undefined)?.rules?.at(-1)?.backendRefs ?? [];
  return Object.fromEntries(refs.map((b) => [b.name ?? '', b.weight]));
}

/** Synced at `sha` and no object drifted; the health is the in-flight canary's, not Degraded. */
const syncedMidCanary = (sha: string) => (a: SlipwayApp): boolean =>
  a.status?.sync?.status === 'Synced' && a.status.revision === sha && (a.status.drift?.total ?? 0) === 0 && a.status.health?.status !== 'Degraded' && a.status.health?.status !== undefined;

describe('gitops: an in-flight canary is never reverted by GitOps, nor reported as drift', () => {
  const ns = useNamespace('gitops-canary');
  let ctl: ControllerProcess | undefined;
  afterEach(async () => {
    ctl?.kill('SIGTERM');
    await ctl?.exited;
  });

  it('route weights and canary scale stay as the rollout controller set them across syncs and an unrelated commit; then the canary promotes', async () => {
    const repo = new GitRepo();
    const v1 = repo.commit(release(ns(), '1.0.0'), 'release 1.0.0');
    ctl = startGitops(ns(), INSTANCE);
    const c = await KubeClient.connect({ kubeconfig: ns().kubeconfigPath });
    const route = (name: string) => c.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns().name, name });
    try {
      await ctl.url;
      const policy = { selfHeal: true, prune: true, interval: '2s' };
      await c.apply(app(ns(), 'shop', INSTANCE, { source: { repoURL: repo.url, path: 'shop' }, syncPolicy: policy }));
      await c.apply(app(ns(), 'api', INSTANCE, { source: { repoURL: repo.url, path: 'k8s' }, destination: { namespace: ns().name }, syncPolicy: policy }));
      for (const name of ['shop', 'api']) await waitApp(c, ns(), name, `${name} at v1`, synced(v1));
      for (const name of ['web', 'api']) await waitStatus(c, ns(), `${name} v1 stable`, (r) => r.status?.phase === 'Healthy' && r.status.stableImage?.endsWith(':1.0.0') === true, { name });

      // v2: both canaries start, and pause at 25% of the traffic.
      const v2 = repo.commit(release(ns(), '2.0.0'), 'release 2.0.0');
      const paused = (r: ServiceRollout): boolean => r.status?.phase === 'Paused' && r.status.currentStepIndex === 1 && r.status.weight === 25 && r.status.canaryImage?.endsWith(':2.0.0') === true;
      for (const name of ['web', 'api']) await waitStatus(c, ns(), `${name} canary paused at 25%`, paused, { name });
      for (const name of ['shop', 'api']) await waitApp(c, ns(), name, `${name} Synced at v2 mid-canary, no drift`, syncedMidCanary(v2));

      /** What the rollout controller set: the route weights and both tracks' replicas. */
      const controllerState = async (name: string) => ({
        weights: weights(await route(name)),
        stable: (((await deployment(c, ns(), `${name}-stable`))?.['spec'] as { replicas?: number } | undefined)?.replicas),
        canary: (((await deployment(c, ns(), `${name}-canary`))?.['spec'] as { replicas?: number } | undefined)?.replicas),
      });
      const expected = (name: string) => ({ weights: { [`${name}-stable`]: 75, [`${name}-canary`]: 25 }, stable: 4, canary: 1 });
      for (const name of ['web', 'api']) expect(await controllerState(name)).toEqual(expected(name));
      // The committed route's weights (100/0) are the rollout controller's now, and the app says why that is not drift.
      const api = await getApp(c, ns(), 'api');
      expect(api.status?.drift?.ignored?.filter((f) => f.kind === 'HTTPRoute').map((f) => [f.path, f.reason, f.by])).toEqual([
        ['spec.rules[0].backendRefs[0].weight', 'rollout', CONTROLLER_MANAGER],
        ['spec.rules[0].backendRefs[1].weight', 'rollout', CONTROLLER_MANAGER],
      ]);

      // Further syncs: an explicit one of each app, then a commit of something unrelated (a ConfigMap).
      for (const name of ['shop', 'api']) {
        const sync = await cli(ns(), 'app', 'sync', name);
        expect(sync.code, sync.err + sync.out).toBe(0);
      }
      const v3 = repo.commit(release(ns(), '2.0.0', 'second'), 'notes');
      for (const name of ['shop', 'api']) await waitApp(c, ns(), name, `${name} Synced at v3 mid-canary, no drift`, syncedMidCanary(v3));
      const cm = await c.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns().name, name: 'api-notes' });
      expect((cm?.['data'] as Record<string, string> | undefined)?.['note']).toBe('second');
      for (const name of ['shop', 'api']) {
        const a = await getApp(c, ns(), name);
        expect(a.status?.drift?.objects ?? []).toEqual([]);
        // Nothing was healed: there was nothing to heal.
        expect((a.status?.history ?? []).filter((h) => h.trigger === 'selfHeal')).toEqual([]);
        const diff = await cli(ns(), 'app', 'diff', name);
        expect(diff.code, diff.err + diff.out).toBe(0);
      }
      for (const name of ['web', 'api']) {
        expect(await controllerState(name)).toEqual(expected(name));
        const ro = await getRollout(c, ns(), name);
        expect(ro.status).toMatchObject({ phase: 'Paused', currentStepIndex: 1, weight: 25 });
        expect(ro.status?.stableImage).toMatch(/:1\.0\.0$/);
      }

      // The canary proceeds to promotion normally; the apps end Synced and Healthy at v3.
      for (const name of ['web', 'api']) {
        const go = await cli(ns(), 'rollout', 'promote', name);
        expect(go.code, go.err + go.out).toBe(0);
      }
      for (const name of ['web', 'api']) {
        await waitStatus(c, ns(), `${name} promoted`, (r) => r.status?.phase === 'Healthy' && r.status.stableImage?.endsWith(':2.0.0') === true, { name });
        expect(weights(await route(name))).toEqual({ [`${name}-stable`]: 100, [`${name}-canary`]: 0 });
      }
      for (const name of ['shop', 'api']) await waitApp(c, ns(), name, `${name} Synced and Healthy after the promotion`, synced(v3));
    } finally {
      c.close();
    }
  });
});
