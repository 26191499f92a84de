import { describe, expect, it } from 'vitest';
import { rolloutView, type ServiceRollout } from '../../rollout/index.ts';
import { memoryIo } from '../io.ts';
import { formatView } from './rollout.ts';

describe('rollout status (text)', () => {
  it('shows each metric with a sparkline of its measurements, its last value and phase', () => {
    const m = (name: string, values: string[], phase: string, failed: number) => ({
      name,
      phase,
      lastValue: values.at(-1) ?? '',
      ...(phase === 'Failed' ? { message: 'success condition not met' } : {}),
      measured: values.length,
      successful: values.length - failed,
      failed,
      inconclusive: 0,
      error: 0,
      noData: 0,
      consecutiveError: 0,
      consecutiveNoData: 0,
      measurements: values.map((value, i) => ({ time: `2025-01-01T00:00:0${i}.000Z`, phase: 'Successful', value })),
    });
    const ro: ServiceRollout = {
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'ServiceRollout',
      metadata: { name: 'api', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'api' } }, template: {}, strategy: { canary: { steps: [{ setWeight: 20 }, { analysis: {} }] } } },
      status: { phase: 'Degraded', currentStepIndex: 1, canaryRevision: 'b', analysis: { stepIndex: 1, phase: 'Failed', metrics: [m('success-rate', ['0.999', '0.998', '0.8'], 'Failed', 1), m('latency-p95', ['50', '60', '70', '80'], 'Running', 0)] } },
    };
    const text = formatView(rolloutView(ro), memoryIo());
    expect(text).toContain('  analysis:\n');
    expect(text).toMatch(/step 2 success-rate {2}██▁ +0\.8 {2}Failed \(2 ok, 1 failed\): success condition not met/);
    expect(text).toMatch(/step 2 latency-p95 {3}▁▃▆█ +80 {2}Running \(4 ok, 0 failed\)/);
  });

  it('blue-green: pre- and post-promotion analysis, and the previous version kept until post-promotion passes', () => {
    const run = (phase: string, values: string[]) => ({
      revision: 'b',
      phase,
      metrics: [{ name: 'success-rate', phase, lastValue: values.at(-1) ?? '', measured: values.length, successful: values.length, failed: 0, inconclusive: 0, error: 0, noData: 0, consecutiveError: 0, consecutiveNoData: 0, measurements: values.map((value, i) => ({ time: `2025-01-01T00:00:0${i}.000Z`, phase: 'Successful', value })) }],
    });
    const ro: ServiceRollout = {
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'ServiceRollout',
      metadata: { name: 'api', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'api' } }, template: {}, strategy: { blueGreen: { activeService: 'api', previewService: 'api-preview', service: {} } } },
      status: { phase: 'Progressing', stableRevision: 'b', previousRevision: 'a', prePromotionAnalysis: run('Successful', ['0.999', '0.998']), postPromotionAnalysis: run('Running', ['0.997']) },
    };
    const v = rolloutView(ro);
    expect(v.analysis.map((m) => [m.run, m.name, m.phase])).toEqual([
      ['pre-promotion', 'success-rate', 'Successful'],
      ['post-promotion', 'success-rate', 'Running'],
    ]);
    const text = formatView(v, memoryIo());
    expect(text).toContain('  previous a  kept until the post-promotion analysis passes');
    expect(text).toMatch(/pre-promotion success-rate +█▁ +0\.998 {2}Successful \(2 ok, 0 failed\)/);
    expect(text).toMatch(/post-promotion success-rate +█ +0\.997 {2}Running/);
  });

  it.each<[string, Record<string, unknown>, RegExp[]]>([
    [
      'judged: verdict, score, both sides on one scale, medians, ratio, classification',
      { phase: 'Fail', verdict: 'Fail', score: 50, intervals: 3, metrics: [
        { name: 'latency-p95', canary: [130, 131, 129], baseline: [100, 101, 99], classification: 'High', canaryMedian: 130, baselineMedian: 100, ratio: 1.3 },
        { name: 'error-rate', canary: [0, null, 0], baseline: [0, 0, 0], classification: 'Pass', canaryMedian: 0, baselineMedian: 0, ratio: 1 },
      ] },
      [/judge \(canary vs baseline\): Fail, score 50\n/, /latency-p95 {2}canary ███ +baseline ▁▁▁ +median 130 vs 100 ×1\.3 {2}High/, /error-rate {3}canary █·█ +baseline ███ +median 0 vs 0 ×1 {2}Pass/],
    ],
    ['sampling', { phase: 'Running', intervals: 1, metrics: [{ name: 'latency-p95', canary: [130], baseline: [100] }] }, [/judge \(canary vs baseline\): Running, 1\/3 intervals\n/, /latency-p95 {2}canary █ +baseline ▁ +median - vs - {2}-/]],
  ])('the judge, %s', (_t, judge, want) => {
    const ro: ServiceRollout = {
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'ServiceRollout',
      metadata: { name: 'api', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'api' } }, template: {}, strategy: { canary: { steps: [{ setWeight: 20 }] } } },
      status: { phase: 'Progressing', canaryRevision: 'b', judge: { revision: 'b', control: 'baseline', startTime: '2025-01-01T00:00:00Z', count: 3, consecutiveErrors: 0, ...judge } as NonNullable<NonNullable<ServiceRollout['status']>['judge']> },
    };
    const text = formatView(rolloutView(ro), memoryIo());
    for (const w of want) expect(text).toMatch(w);
  });
});

