import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { TrafficTable } from './metrics-simulator.ts';

const pod = (name: string, o: { uid?: string; annotation?: string; labels?: Record<string, string> } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'shop',
    uid: o.uid ?? `uid-${name}`,
    labels: o.labels ?? { app: 'web', 'pod-template-hash': 'abc' },
    ...(o.annotation !== undefined ? { annotations: { 'slipway.dev/simulate-metrics': o.annotation } } : {}),
  },
});

/** `http_requests_total` of one pod and code from an exposition, or undefined. */
const requests = (text: string, pod: string, code: string): number | undefined => {
  const m = new RegExp(`^http_requests_total\\{[^}]*pod="${pod}"[^}]*code="${code}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

function table(): { t: TrafficTable; clock: { ms: number }; logs: string[] } {
  const clock = { ms: 1_000_000 };
  const logs: string[] = [];
  return { t: new TrafficTable({ now: () => clock.ms, log: (l) => logs.push(l) }), clock, logs };
}

describe('TrafficTable', () => {
  it('counters start at 0 and advance with time at the annotated rate', () => {
    const { t, clock } = table();
    t.upsert(pod('web-1', { annotation: 'rps=50,errorRate=0.2,latencyP95Ms=120' }));
    t.upsert(pod('web-2'));
    const first = t.scrape();
    expect(requests(first, 'web-1', '200')).toBe(0);
    expect(requests(first, 'web-1', '500')).toBe(0);
    clock.ms += 60_000;
    const later = t.scrape();
    const ok = requests(later, 'web-1', '200') ?? 0;
    const err = requests(later, 'web-1', '500') ?? 0;
    expect(ok + err).toBeGreaterThan(2700);
    expect(ok + err).toBeLessThan(3300);
    expect(err / (ok + err)).toBeGreaterThan(0.17);
    expect(err / (ok + err)).toBeLessThan(0.23);
    // Without the annotation: healthy (10 rps, no errors).
    expect(requests(later, 'web-2', '500')).toBe(0);
    expect(requests(later, 'web-2', '200')).toBeGreaterThan(500);
    expect(later).toContain('service="web",version="abc"');
  });

  it('a pod that goes away takes its series with it; one that comes back (new uid) starts from 0', () => {
    const { t, clock } = table();
    t.upsert(pod('web-1'));
    clock.ms += 10_000;
    expect(requests(t.scrape(), 'web-1', '200')).toBeGreaterThan(0);
    t.remove(pod('web-1'));
    expect(t.scrape()).not.toContain('web-1');
    t.upsert(pod('web-1', { uid: 'other' }));
    expect(requests(t.scrape(), 'web-1', '200')).toBe(0);
  });

  it('an update keeps the counters and applies a changed annotation from then on', () => {
    const { t, clock } = table();
    t.upsert(pod('web-1', { annotation: 'rps=100,errorRate=0' }));
    clock.ms += 10_000;
    t.upsert(pod('web-1', { annotation: 'rps=100,errorRate=1' }));
    const before = requests(t.scrape(), 'web-1', '200') ?? 0;
    expect(before).toBeGreaterThan(800);
    clock.ms += 10_000;
    const text = t.scrape();
    expect(requests(text, 'web-1', '200')).toBe(before);
    expect(requests(text, 'web-1', '500')).toBeGreaterThan(800);
  });

  it('a bad annotation is logged once per pod and value, never thrown; its good keys apply', () => {
    const { t, clock, logs } = table();
    t.upsert(pod('web-1', { annotation: 'rps=lots,errorRate=1' }));
    t.upsert(pod('web-1', { annotation: 'rps=lots,errorRate=1', labels: { app: 'web', changed: 'yes' } }));
    t.upsert(pod('web-1', { annotation: 'rps=lots,errorRate=1' }));
    expect(logs).toEqual(['pod shop/web-1: slipway.dev/simulate-metrics: ignored "rps=lots": expected a number of requests per second from 0 to 100000']);
    clock.ms += 10_000;
    const text = t.scrape();
    expect(requests(text, 'web-1', '200')).toBe(0);
    expect(requests(text, 'web-1', '500')).toBeGreaterThan(50); // errorRate=1 at the default 10 rps
    t.upsert(pod('web-1', { annotation: 'latencyP95Ms=-5' }));
    expect(logs).toHaveLength(2);
  });

  it('the same pod (namespace/name) replays the same numbers', () => {
    const run = (): string => {
      const { t, clock } = table();
      t.upsert(pod('web-1', { annotation: 'rps=50,errorRate=0.1,latencyP95Ms=120', uid: String(Math.random()) }));
      for (let i = 0; i < 5; i++) {
        clock.ms += 1000;
        t.scrape();
      }
      return t.scrape();
    };
    expect(run()).toBe(run());
  });
});
