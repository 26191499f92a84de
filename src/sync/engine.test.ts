import { describe, expect, it } from 'vitest';
import { isSlipwayError } from '../errors/index.ts';
import { checkStrategy, fieldPathOf } from './engine.ts';
import { blocksWait } from './wait.ts';
import type { HealthStatus } from './health.ts';

describe('fieldPathOf (apiserver cause field → path in the user file)', () => {
  it.each<[string, (string | number)[]]>([
    ['spec.replicas', ['spec', 'replicas']],
    ['.spec.replicas', ['spec', 'replicas']],
    ['spec.template.spec.containers[0].image', ['spec', 'template', 'spec', 'containers', 0, 'image']],
    ['data[not a valid key!]', ['data[not a valid key!]']],
    ['spec.ports[1]', ['spec', 'ports', 1]],
    ['metadata.name', ['metadata', 'name']],
  ])('%s', (field, want) => {
    expect(fieldPathOf(field)).toEqual(want);
  });
});

describe('checkStrategy', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['rolling', true],
    ['canary', false],
    ['blueGreen', false],
    ['blue-green', false],
  ])('%s → supported %s', (strategy, ok) => {
    let err: unknown;
    try {
      checkStrategy(strategy);
    } catch (e) {
      err = e;
    }
    expect(err === undefined).toBe(ok);
    if (!ok) {
      expect(isSlipwayError(err) && err.kind).toBe('unsupported');
      expect((err as Error).message).toMatch(/not supported yet/);
    }
  });
});

describe('blocksWait', () => {
  const id = (kind: string): { apiVersion: string; kind: string; name: string } => ({ apiVersion: 'v1', kind, name: 'x' });
  it.each<[string, HealthStatus, boolean]>([
    ['Deployment', 'Healthy', false],
    ['Deployment', 'Suspended', false],
    ['Deployment', 'Progressing', true],
    ['Deployment', 'Degraded', true],
    ['Deployment', 'Missing', true],
    ['Ingress', 'Progressing', false], // waiting for an address from an ingress controller
    ['Ingress', 'Degraded', true],
    ['Service', 'Progressing', true], // LoadBalancer without address does block, like helm --wait
  ])('%s %s → %s', (kind, status, want) => {
    expect(blocksWait(id(kind), { status })).toBe(want);
  });
});
