import { describe, expect, it } from 'vitest';
import type { SlipwayApp, SlipwayAppStatusT } from '../../gitops/index.ts';
import { memoryIo } from '../io.ts';
import { formatApp } from './app.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

function env(name: string, e: string, promotion: SlipwayApp['spec']['promotion'], status: SlipwayAppStatusT): SlipwayApp {
  return { apiVersion: 'slipway.dev/v1alpha1', kind: 'SlipwayApp', metadata: { name, namespace: 'shop' }, spec: { source: { repoURL: 'file:///r', env: e }, ...(promotion ? { promotion } : {}) }, status };
}

const dev = env('shop-dev', 'dev', { pipeline: 'shop' }, { revision: B, health: { status: 'Healthy' } });
const staging = env('shop-staging', 'staging', { pipeline: 'shop', from: 'shop-dev' }, { revision: B, health: { status: 'Degraded' }, promotion: { revision: B, gate: { phase: 'Promoted', revision: B, reason: 'UpToDate', message: '' } } });
const prod = env(
  'shop-prod',
  'prod',
  { pipeline: 'shop', from: 'shop-staging', soak: '30m', approval: 'Manual' },
  {
    revision: A,
    health: { status: 'Healthy' },
    promotion: {
      revision: A,
      current: { revision: A, from: 'shop-staging', fromEnvironment: 'staging', at: '2026-12-05T12:00:00Z', by: 'alice' },
      history: [{ revision: A, from: 'shop-staging', fromEnvironment: 'staging', at: '2026-12-05T12:00:00Z', by: 'alice' }],
      gate: { phase: 'Blocked', revision: B, reason: 'CanaryAborted', message: 'the canary of web was aborted in staging (shop-staging): analysis failed; it is not promoted' },
    },
  },
);

describe('app get: the pipeline', () => {
  it.each([
    ['the environments in order, each with its revision, health and gate', /pipeline {5}shop: dev \(shop-dev\) bbbbbbb Healthy → staging \(shop-staging\) bbbbbbb Degraded Promoted → prod \(shop-prod\) aaaaaaa Healthy Blocked/],
    ['the gates and the promotion: who and when', /promotion {4}from shop-staging, soak 30m, approval Manual; promoted aaaaaaa at 2026-12-05T12:00:00Z by alice/],
    ['why the next one stopped', /next {9}Blocked bbbbbbb CanaryAborted: the canary of web was aborted in staging \(shop-staging\): analysis failed; it is not promoted/],
  ])('%s', (_, want) => {
    expect(formatApp(prod, memoryIo(), [dev, staging, prod])).toMatch(want);
  });

  it('says nothing of promotion for an app without it', () => {
    const plain = { ...dev, spec: { source: dev.spec.source } };
    expect(formatApp(plain, memoryIo())).not.toMatch(/pipeline|promotion/);
  });
});
