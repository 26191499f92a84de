import { describe, expect, it } from 'vitest';
import { appObject, environmentOf, rollbackTarget } from './view.ts';
import type { SlipwayApp, SyncRecordT } from './types.ts';

const sha = (c: string): string => c.repeat(40);

describe('appObject', () => {
  it('flags become a SlipwayApp; unset flags stay unset (the CRD defaults apply)', () => {
    expect(appObject({ name: 'shop', namespace: 'n', repo: 'https://h/r.git' })).toEqual({
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'SlipwayApp',
      metadata: { name: 'shop', namespace: 'n', finalizers: ['slipway.dev/gitops-cascade'] },
      spec: { source: { repoURL: 'https://h/r.git' } },
    });
    const full = appObject({ name: 'shop', namespace: 'n', repo: 'git@h:a/b.git', revision: '^1.2', path: 'apps/shop', env: 'prod', secret: 'key', destNamespace: 'shop', automated: false, prune: true, selfHeal: true, interval: '1m', timeout: '5m', retryLimit: 2, cascade: false, labels: { team: 'x' } });
    expect(full.metadata).toEqual({ name: 'shop', namespace: 'n', labels: { team: 'x' } });
    expect(full.spec).toEqual({
      source: { repoURL: 'git@h:a/b.git', revision: '^1.2', path: 'apps/shop', env: 'prod', secretRef: { name: 'key' } },
      destination: { namespace: 'shop' },
      syncPolicy: { automated: false, prune: true, selfHeal: true, interval: '1m', timeout: '5m', retry: { limit: 2 } },
    });
  });

  it.each([
    [{ repo: 'ftp://h/r' }, /not a repository URL/],
    [{ repo: 'https://h/r', interval: 'soon' }, /--interval soon: not a duration/],
    [{ repo: 'https://h/r', promoteFrom: 'dev' }, /need --pipeline/],
    [{ repo: 'https://h/r', pipeline: 'p', soak: '5m' }, /need --promote-from/],
    [{ repo: 'https://h/r', pipeline: 'p', promoteFrom: 'dev', soak: 'later' }, /--soak later: not a duration/],
    [{ repo: 'https://h/r', pipeline: 'p', promoteFrom: 'dev', revision: 'main' }, /exclude each other/],
  ])('refuses %j', (f, message) => {
    expect(() => appObject({ name: 'a', namespace: 'n', ...f })).toThrow(message);
  });
});

describe('appObject: promotion', () => {
  it('the pipeline flags become spec.promotion', () => {
    expect(appObject({ name: 'shop-prod', namespace: 'n', repo: 'file:///r', env: 'prod', pipeline: 'shop', promoteFrom: 'shop-staging', soak: '30m', approval: 'Manual' }).spec.promotion).toEqual({ pipeline: 'shop', from: 'shop-staging', soak: '30m', approval: 'Manual' });
    expect(appObject({ name: 'shop-dev', namespace: 'n', repo: 'file:///r', pipeline: 'shop' }).spec.promotion).toEqual({ pipeline: 'shop' });
  });
});

describe('environmentOf', () => {
  const e = (name: string, env: string, from?: string): SlipwayApp => ({ apiVersion: 'slipway.dev/v1alpha1', kind: 'SlipwayApp', metadata: { name, namespace: 'n' }, spec: { source: { repoURL: 'file:///r', env }, promotion: { pipeline: 'shop', ...(from ? { from } : {}) } } });
  const apps = [e('shop-dev', 'dev'), e('shop-staging', 'staging', 'shop-dev'), e('shop-prod', 'prod', 'shop-staging')];
  it.each([
    ['prod', 'shop-prod'],
    ['shop-staging', 'shop-staging'],
  ])('--to %s is %s', (to, want) => expect(environmentOf(apps, 'shop', to, 'n').metadata.name).toBe(want));
  it.each([
    ['qa', /has no environment "qa"/],
    ['dev', /first environment of pipeline "shop"/],
  ])('--to %s is refused', (to, message) => {
    expect(() => environmentOf(apps, 'shop', to, 'n')).toThrow(message);
  });
  it('no app of the pipeline', () => expect(() => environmentOf([], 'shop', 'prod', 'n')).toThrow(/no SlipwayApp of pipeline "shop"/));
});

describe('rollbackTarget', () => {
  const h = (id: number, revision: string, phase: SyncRecordT['phase']): SyncRecordT => ({ id, revision, phase, trigger: 'auto', startedAt: 't' });
  const a: SlipwayApp = {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'SlipwayApp',
    metadata: { name: 'shop', namespace: 'n' },
    spec: { source: { repoURL: 'file:///r' } },
    status: { revision: sha('c'), history: [h(1, sha('a'), 'Succeeded'), h(2, sha('b'), 'Succeeded'), h(3, sha('d'), 'Failed'), h(4, sha('c'), 'Succeeded')] },
  };

  it('default: the newest successful sync of another revision than the deployed one', () => {
    expect(rollbackTarget(a, undefined).id).toBe(2);
  });
  it('an ID from the history', () => {
    expect(rollbackTarget(a, 1).revision).toBe(sha('a'));
    expect(() => rollbackTarget(a, 9)).toThrow(/sync 9 is not in the history/);
  });
});
