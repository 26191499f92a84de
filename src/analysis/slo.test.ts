import { describe, expect, it } from 'vitest';
import { podsRegex, sloMetrics } from './slo.ts';

describe('sloMetrics', () => {
  it('nothing without successRate or latencyP95Ms', () => expect(sloMetrics({})).toEqual([]));

  it('successRate and latencyP95Ms become Prometheus metrics over the canary pods, with a no-data rule', () => {
    const [rate, latency] = sloMetrics({ successRate: 99.9, latencyP95Ms: 120 });
    expect(rate).toEqual({
      name: 'success-rate',
      provider: { prometheus: { query: '(sum(rate(http_requests_total{namespace="{{namespace}}",pod=~"{{pods}}",code!~"5.."}[30s])) or vector(0)) / sum(rate(http_requests_total{namespace="{{namespace}}",pod=~"{{pods}}"}[30s]))' } },
      successCondition: 'result >= 0.999',
      noData: { query: 'sum(increase(http_requests_total{namespace="{{namespace}}",pod=~"{{pods}}"}[30s]))', minimum: 10 },
    });
    expect(latency?.provider.prometheus?.query).toBe('1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{namespace}}",pod=~"{{pods}}"}[30s])))');
    expect(latency?.successCondition).toBe('result <= 120');
  });

  it('a service renames its metrics and labels', () => {
    const [rate, latency] = sloMetrics({ successRate: 99, latencyP95Ms: 200, names: { requests: 'requests_count', latency: 'req_seconds' }, labels: { code: 'status', namespace: 'kubernetes_namespace', pod: 'kubernetes_pod_name' }, minRequests: 50 });
    expect(rate?.provider.prometheus?.query).toContain('requests_count{kubernetes_namespace="{{namespace}}",kubernetes_pod_name=~"{{pods}}",status!~"5.."}');
    expect(latency?.provider.prometheus?.query).toContain('req_seconds_bucket{kubernetes_namespace=');
    expect(rate?.noData?.minimum).toBe(50);
  });

  it.each([
    ['web-canary-5d8f7c9b6-x7k2p', true],
    ['web-canary-abc-x', true],
    ['web-stable-5d8f7c9b6-x7k2p', false],
    ['web-canary-extra-5d8f7c9b6-x7k2p', false],
    ['other-web-canary-5d8f7c9b6-x7k2p', false],
  ])('podsRegex(web-canary) on %s: %s', (pod, match) => {
    // PromQL regexes are anchored at both ends.
    expect(new RegExp(`^(?:${podsRegex('web-canary')})$`).test(pod)).toBe(match);
  });
});

describe('podsRegex with a pod-template-hash: only that ReplicaSet\'s pods (a rolling release\'s new pods)', () => {
  it.each([
    ['web-5d8f7c9b6-x7k2p', true],
    ['web-7c4b9d8f5-x7k2p', false], // the previous ReplicaSet, still terminating
    ['web-5d8f7c9b6', false],
    ['api.v2-5d8f7c9b6-x7k2p', false],
  ])('podsRegex(web, 5d8f7c9b6) on %s: %s', (pod, match) => {
    expect(new RegExp(`^(?:${podsRegex('web', '5d8f7c9b6')})$`).test(pod)).toBe(match);
  });

  it('dots in the name match only dots', () => {
    expect(new RegExp(`^(?:${podsRegex('api.v2', 'abc')})$`).test('api.v2-abc-x1')).toBe(true);
    expect(new RegExp(`^(?:${podsRegex('api.v2', 'abc')})$`).test('apixv2-abc-x1')).toBe(false);
  });
});
