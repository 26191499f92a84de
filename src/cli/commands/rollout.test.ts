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
});
