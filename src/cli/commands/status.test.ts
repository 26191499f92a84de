import { describe, expect, it } from 'vitest';
import type { AppStatus, StatusNode } from '../../sync/index.ts';
import { memoryIo } from '../io.ts';
import { formatStatus } from './status.ts';

const ok = { status: 'Healthy' as const };
const node = (kind: string, name: string, health: StatusNode['health'] = ok, pods?: string[]): StatusNode => ({
  id: { apiVersion: 'v1', kind, namespace: 'shop-prod', name },
  health,
  ...(pods ? { pods: pods.map((p) => ({ name: p, health: ok })) } : {}),
});

/** A 7-service app: what issue 13 saw as ~60 lines. */
function app(extra: StatusNode[] = []): AppStatus {
  const services = ['web', 'api', 'worker', 'db', 'cache', 'mail', 'search'];
  return {
    app: 'shop',
    env: 'prod',
    namespace: 'shop-prod',
    health: extra.some((n) => n.health.status !== 'Healthy') ? 'Degraded' : 'Healthy',
    revision: { revision: 3, status: 'succeeded', time: '2026-12-01T10:00:00Z' } as AppStatus['revision'] & object,
    objects: [
      node('Namespace', 'shop-prod'),
      ...services.map((s) => node('ServiceAccount', s)),
      ...services.map((s) => node('Service', s)),
      ...services.flatMap((s) => [node('NetworkPolicy', `${s}-default-deny`), node('NetworkPolicy', `${s}-ingress`)]),
      node('Deployment', 'web', ok, ['web-1', 'web-2']),
      node('StatefulSet', 'db', ok, ['db-0']),
      node('Job', 'migrate'),
      ...extra,
    ],
  };
}

describe('slipway status text', () => {
  it('lists workloads and their pods first, and counts the rest by kind', () => {
    const out = formatStatus(app(), memoryIo());
    expect(out.split('\n')).toEqual([
      'shop/prod in shop-prod: Healthy, revision 3 (succeeded, 2026-12-01T10:00:00Z)',
      '├─ Deployment/shop-prod/web  Healthy',
      '│  ├─ Pod/web-1  Healthy',
      '│  └─ Pod/web-2  Healthy',
      '├─ StatefulSet/shop-prod/db  Healthy',
      '│  └─ Pod/db-0  Healthy',
      '└─ Job/shop-prod/migrate  Healthy',
      '29 other objects (-o wide lists them):',
      '   Namespace         1  Healthy',
      '   NetworkPolicy    14  Healthy',
      '   Service           7  Healthy',
      '   ServiceAccount    7  Healthy',
      '',
    ]);
  });

  it('names every object that is not Healthy, under its kind', () => {
    const out = formatStatus(app([node('Service', 'broken', { status: 'Degraded', message: 'no endpoints' })]), memoryIo());
    expect(out).toContain('   Service           8  7 Healthy, 1 Degraded\n   └─ Service/shop-prod/broken  Degraded  no endpoints\n');
  });

  it('-o wide lists every object', () => {
    const s = app();
    const out = formatStatus(s, memoryIo(), true);
    // One line per object plus its pods, plus the header.
    expect(out.trimEnd().split('\n')).toHaveLength(1 + s.objects.length + 3);
    expect(out).toContain('NetworkPolicy/shop-prod/search-ingress  Healthy');
  });
});
