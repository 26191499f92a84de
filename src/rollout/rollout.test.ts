import { describe, expect, it } from 'vitest';
import { canaryScaleAt, canaryWeightOf, canaryReplicasFor, durationMs, rolloutView, serviceRolloutCrd, sparkline, structural, templateHash, type ServiceRollout, type StepT } from './index.ts';

describe('canary arithmetic', () => {
  it.each<[number, number, number]>([
    [0, 4, 0],
    [1, 4, 1],
    [20, 4, 1],
    [25, 4, 1],
    [50, 4, 2],
    [60, 4, 3],
    [100, 4, 4],
    [10, 0, 1],
  ])('weight %i%% of %i replicas → %i canary pods', (w, replicas, want) => {
    expect(canaryReplicasFor(w, replicas)).toBe(want);
  });

  it.each<[string, number]>([
    ['15m', 900_000],
    ['30s', 30_000],
    ['1h30m', 5_400_000],
    ['2h', 7_200_000],
  ])('duration %s → %i ms', (d, ms) => {
    expect(durationMs(d)).toBe(ms);
  });

  it('hashes a template by content, not key order', () => {
    expect(templateHash({ a: 1, b: { c: [1, 2] } })).toBe(templateHash({ b: { c: [1, 2] }, a: 1 }));
    expect(templateHash({ a: 1 })).not.toBe(templateHash({ a: 2 }));
  });
});

describe('routes', () => {
  const route = (rules: unknown[]): never => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'web' }, spec: { rules } }) as never;
  it.each<[string, unknown[], number | undefined]>([
    ['two weighted backends', [{ backendRefs: [{ name: 'web-stable', weight: 80 }, { name: 'web-canary', weight: 20 }] }], 20],
    ['a header rule first is not the weight', [{ matches: [{ headers: [{ name: 'x-canary', value: '1' }] }], backendRefs: [{ name: 'web-canary', weight: 1 }] }, { backendRefs: [{ name: 'web-stable', weight: 100 }, { name: 'web-canary', weight: 0 }] }], 0],
    ['no canary backend', [{ backendRefs: [{ name: 'web-stable' }] }], 0],
    ['no rules', [], undefined],
  ])('%s', (_n, rules, want) => {
    expect(canaryWeightOf(route(rules), 'web-canary')).toBe(want);
  });
});

describe('the CRD', () => {
  it('is structural: no additionalProperties: false, no patternProperties, no $id anywhere', () => {
    const text = JSON.stringify(serviceRolloutCrd());
    expect(text).not.toMatch(/"additionalProperties":false|patternProperties|"\$id"/);
  });

  it.each<[string, unknown, unknown]>([
    ['drops additionalProperties: false', { type: 'object', additionalProperties: false, properties: {} }, { type: 'object', properties: {} }],
    ['a Record becomes additionalProperties', { type: 'object', patternProperties: { '^(.*)$': { type: 'string' } } }, { type: 'object', additionalProperties: { type: 'string' } }],
    ['keeps CEL rules verbatim', { 'x-kubernetes-validations': [{ rule: 'self.a > 0' }] }, { 'x-kubernetes-validations': [{ rule: 'self.a > 0' }] }],
  ])('structural(): %s', (_n, input, want) => {
    expect(structural(input)).toEqual(want);
  });

  it('has the status and scale subresources (an HPA scales it) and the printer columns kubectl shows', () => {
    const v = (serviceRolloutCrd()['spec'] as { versions: { subresources: unknown; additionalPrinterColumns: { name: string }[] }[] }).versions[0];
    expect(v?.subresources).toEqual({ status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } });
    expect(v?.additionalPrinterColumns.map((c) => c.name)).toEqual(['Strategy', 'Step', 'Weight', 'Phase', 'Age']);
  });
});

describe('rolloutView (the -o json contract)', () => {
  const ro = (status: ServiceRollout['status']): ServiceRollout => ({
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'ServiceRollout',
    metadata: { name: 'api', namespace: 'shop' },
    spec: { replicas: 4, selector: { matchLabels: { app: 'api' } }, template: { spec: { containers: [{ image: 'api:2' }] } }, strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] } } },
    ...(status ? { status } : {}),
  });
  it.each<[string, ServiceRollout['status'], Record<string, unknown>, string[]]>([
    ['no status yet', undefined, { phase: 'Unknown', currentStep: 3, weight: 0 }, ['done', 'done', 'done']],
    ['paused at step 2', { phase: 'Paused', currentStepIndex: 1, weight: 20, stableRevision: 'a', canaryRevision: 'b', stableImage: 'api:1', canaryImage: 'api:2' }, { phase: 'Paused', currentStep: 1, weight: 20, stable: { revision: 'a', image: 'api:1' }, canary: { revision: 'b', image: 'api:2' } }, ['done', 'current', 'pending']],
    ['stable only', { phase: 'Healthy', stableRevision: 'b', stableImage: 'api:2', weight: 0 }, { phase: 'Healthy', canary: { revision: undefined, image: undefined } }, ['done', 'done', 'done']],
  ])('%s', (_n, status, want, states) => {
    const v = rolloutView(ro(status));
    expect(v).toMatchObject({ service: 'api', namespace: 'shop', strategy: 'canary', ...want });
    expect(v.steps.map((s) => s.state)).toEqual(states);
  });
});

describe('analysis in the view', () => {
  const metric = (name: string, values: (string | undefined)[], phase: string) => ({
    name,
    phase,
    lastValue: values.filter((v) => v !== undefined).at(-1) ?? '',
    measured: values.length,
    successful: values.filter((v) => v !== undefined).length,
    failed: 0,
    inconclusive: 0,
    error: values.filter((v) => v === undefined).length,
    noData: 0,
    consecutiveError: 0,
    consecutiveNoData: 0,
    measurements: values.map((v, i) => ({ time: `2025-01-01T00:00:0${i}.000Z`, phase: v === undefined ? 'Error' : 'Successful', ...(v !== undefined ? { value: v } : {}) })),
  });
  it('-o json lists every metric of the inline step and of background analysis, with its phase and last value (a number)', () => {
    const ro: ServiceRollout = {
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'ServiceRollout',
      metadata: { name: 'api', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'api' } }, template: {}, strategy: { canary: { steps: [{ setWeight: 20 }, { analysis: {} }] } } },
      status: {
        currentStepIndex: 1,
        canaryRevision: 'b',
        analysis: { stepIndex: 1, revision: 'b', phase: 'Running', metrics: [metric('success-rate', ['0.99', undefined, '0.995'], 'Running')] },
        backgroundAnalysis: { revision: 'b', phase: 'Running', metrics: [metric('latency-p95', ['120'], 'Running')] },
      },
    };
    const v = rolloutView(ro);
    expect(v.analysis.map((m) => [m.run, m.name, m.phase, m.value])).toEqual([
      ['step 2', 'success-rate', 'Running', 0.995],
      ['background', 'latency-p95', 'Running', 120],
    ]);
    expect(v.analysis[0]?.measurements.map((x) => x.value)).toEqual([0.99, undefined, 0.995]);
    expect(v.analysis[0]?.counts).toMatchObject({ measured: 3, successful: 2, error: 1 });
    expect(rolloutView({ ...ro, status: {} }).analysis).toEqual([]);
  });

  it.each<[(number | string | undefined)[], string]>([
    [[1, 2, 3, 4, 5, 6, 7, 8], '▁▂▃▄▅▆▇█'],
    [[0.99, 0.99, 0.99], '███'],
    [[10, undefined, 0, 'x'], '█·▁·'],
    [[], ''],
    [[undefined], '·'],
  ])('sparkline %j → %s', (values, want) => expect(sparkline(values)).toBe(want));
});

describe('canaryScaleAt: canary pods after the steps so far, for the current stable replicas', () => {
  it.each<[string, StepT[], number, number, number]>([
    ['nothing run yet', [{ setWeight: 20 }], 0, 10, 0],
    ['weight 20% of 10', [{ setWeight: 20 }, { pause: {} }], 2, 10, 2],
    ['the HPA scaled stable to 20: the canary follows', [{ setWeight: 20 }, { pause: {} }], 2, 20, 4],
    ['setCanaryScale replicas fixes it', [{ setWeight: 20 }, { setCanaryScale: { replicas: 3 } }, { pause: {} }], 3, 20, 3],
    ['setCanaryScale weight is a share of stable', [{ setCanaryScale: { weight: 50 } }, { setWeight: 10 }], 2, 8, 4],
    ['matchTrafficWeight returns to the weight', [{ setCanaryScale: { replicas: 3 } }, { setWeight: 50 }, { setCanaryScale: { matchTrafficWeight: true } }], 3, 8, 4],
  ])('%s', (_n, steps, upTo, replicas, want) => {
    expect(canaryScaleAt(steps, upTo, replicas)).toBe(want);
  });
});
