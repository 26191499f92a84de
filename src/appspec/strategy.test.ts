import { describe, expect, it } from 'vitest';
import { BlueGreen } from './schema.ts';
import { specJsonSchema } from './json-schema.ts';
import {
  BLUE_GREEN_DEFAULTS,
  parseStrategyAnnotations,
  STRATEGY_ANALYSIS_ANNOTATION,
  STRATEGY_ANNOTATION,
  STRATEGY_BLUE_GREEN_ANNOTATION,
  STRATEGY_STEPS_ANNOTATION,
  strategyAnnotations,
  workloadStrategyOf,
  type WorkloadStrategy,
} from './strategy.ts';
import type { StrategySpec } from './schema.ts';

const src = { object: 'Deployment web' };

describe('workloadStrategyOf + strategyAnnotations + parseStrategyAnnotations', () => {
  it.each<[string, StrategySpec | undefined, Record<string, string>, WorkloadStrategy]>([
    ['no strategy: rolling, no annotations', undefined, {}, { type: 'rolling' }],
    ['rolling with its knobs: no annotations', { type: 'rolling', maxSurge: 1 }, {}, { type: 'rolling' }],
    [
      'canary: steps in canonical JSON, in order',
      { type: 'canary', canary: { steps: [{ setWeight: 20 }, { pause: { duration: '1m' } }, { analysis: { interval: '30s', count: 3 } }, { pause: {} }, { setWeight: 100 }] } },
      { [STRATEGY_ANNOTATION]: 'canary', [STRATEGY_STEPS_ANNOTATION]: '[{"setWeight":20},{"pause":{"duration":"1m"}},{"analysis":{"count":3,"interval":"30s"}},{"pause":{}},{"setWeight":100}]' },
      { type: 'canary', steps: [{ setWeight: 20 }, { pause: { duration: '1m' } }, { analysis: { interval: '30s', count: 3 } }, { pause: {} }, { setWeight: 100 }] },
    ],
    [
      'canary through Istio, with a header route and a fixed canary scale',
      { type: 'canary', canary: { trafficRouting: 'istio', steps: [{ setHeaderRoute: { name: 'x-canary', value: 'yes' } }, { setCanaryScale: { replicas: 1 } }, { setWeight: 10 }] } },
      { [STRATEGY_ANNOTATION]: 'canary', [STRATEGY_STEPS_ANNOTATION]: '[{"setHeaderRoute":{"name":"x-canary","value":"yes"}},{"setCanaryScale":{"replicas":1}},{"setWeight":10}]', 'slipway.dev/strategy-traffic-routing': 'istio' },
      { type: 'canary', trafficRouting: 'istio', steps: [{ setHeaderRoute: { name: 'x-canary', value: 'yes' } }, { setCanaryScale: { replicas: 1 } }, { setWeight: 10 }] },
    ],
    ['blueGreen without settings: defaults written out', { type: 'blueGreen' }, { [STRATEGY_ANNOTATION]: 'blueGreen', [STRATEGY_BLUE_GREEN_ANNOTATION]: '{"autoPromote":false,"scaleDownDelaySeconds":30}' }, { type: 'blueGreen', autoPromote: false, scaleDownDelaySeconds: 30 }],
    [
      'blueGreen with settings',
      { type: 'blueGreen', blueGreen: { scaleDownDelaySeconds: 0, autoPromote: true } },
      { [STRATEGY_ANNOTATION]: 'blueGreen', [STRATEGY_BLUE_GREEN_ANNOTATION]: '{"autoPromote":true,"scaleDownDelaySeconds":0}' },
      { type: 'blueGreen', autoPromote: true, scaleDownDelaySeconds: 0 },
    ],
  ])('%s', (_n, spec, annotations, strategy) => {
    expect(workloadStrategyOf(spec)).toEqual(strategy);
    expect(strategyAnnotations(workloadStrategyOf(spec))).toEqual(annotations);
    expect(parseStrategyAnnotations(annotations, src)).toEqual(strategy);
  });

  it('reads annotations a person wrote by hand (any key order, blueGreen settings partial)', () => {
    expect(parseStrategyAnnotations({ [STRATEGY_ANNOTATION]: 'canary', [STRATEGY_STEPS_ANNOTATION]: ' [ {"pause": {"duration": "2m"}} ] ' }, src)).toEqual({ type: 'canary', steps: [{ pause: { duration: '2m' } }] });
    expect(parseStrategyAnnotations({ [STRATEGY_ANNOTATION]: 'blueGreen', [STRATEGY_BLUE_GREEN_ANNOTATION]: '{"autoPromote":true}' }, src)).toEqual({ type: 'blueGreen', autoPromote: true, scaleDownDelaySeconds: 30 });
    expect(parseStrategyAnnotations({ [STRATEGY_ANNOTATION]: 'rolling', 'other/annotation': 'x' }, src)).toEqual({ type: 'rolling' });
    expect(parseStrategyAnnotations(undefined, src)).toEqual({ type: 'rolling' });
  });

  it.each<[string, Record<string, string>, string, RegExp]>([
    ['unknown type', { [STRATEGY_ANNOTATION]: 'bluegreen' }, STRATEGY_ANNOTATION, /unknown strategy "bluegreen"/],
    ['canary without steps', { [STRATEGY_ANNOTATION]: 'canary' }, STRATEGY_STEPS_ANNOTATION, /canary needs its steps/],
    ['canary, empty steps', { [STRATEGY_ANNOTATION]: 'canary', [STRATEGY_STEPS_ANNOTATION]: '[]' }, STRATEGY_STEPS_ANNOTATION, /not a list of canary steps/],
    ['canary, unknown step', { [STRATEGY_ANNOTATION]: 'canary', [STRATEGY_STEPS_ANNOTATION]: '[{"setWeigth":20}]' }, STRATEGY_STEPS_ANNOTATION, /not a list of canary steps/],
    ['canary, steps not JSON', { [STRATEGY_ANNOTATION]: 'canary', [STRATEGY_STEPS_ANNOTATION]: 'setWeight: 20' }, STRATEGY_STEPS_ANNOTATION, /not valid JSON/],
    ['canary with blue-green settings', { [STRATEGY_ANNOTATION]: 'canary', [STRATEGY_STEPS_ANNOTATION]: '[{"setWeight":1}]', [STRATEGY_BLUE_GREEN_ANNOTATION]: '{}' }, STRATEGY_BLUE_GREEN_ANNOTATION, /given but the strategy is canary/],
    ['blueGreen, bad settings', { [STRATEGY_ANNOTATION]: 'blueGreen', [STRATEGY_BLUE_GREEN_ANNOTATION]: '{"scaleDownDelaySeconds":-1}' }, STRATEGY_BLUE_GREEN_ANNOTATION, /not blue-green settings/],
    ['rolling with steps', { [STRATEGY_STEPS_ANNOTATION]: '[{"setWeight":1}]' }, STRATEGY_STEPS_ANNOTATION, /given but the strategy is rolling/],
  ])('refuses %s as input, naming the object and the annotation', (_n, annotations, key, message) => {
    const position = { file: 'app.yaml', line: 7, col: 5 };
    let err: unknown;
    try {
      parseStrategyAnnotations(annotations, { ...src, positionOf: (k) => (k === key ? position : undefined) });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ kind: 'input', path: `metadata.annotations["${key}"]`, position });
    expect((err as Error).message).toMatch(/^Deployment web: /);
    expect((err as Error).message).toMatch(message);
  });
});

describe('SLO analysis on the workload (zero configuration)', () => {
  const slo = { slo: { successRate: 99.5, latencyP95Ms: 120 }, metrics: { names: { requests: 'reqs_total' } } };
  const ANALYSIS = '{"latencyP95Ms":120,"names":{"requests":"reqs_total"},"successRate":99.5}';
  const canary: StrategySpec = { type: 'canary', canary: { steps: [{ setWeight: 20 }, { pause: {} }] } };
  it.each<[string, StrategySpec, Parameters<typeof workloadStrategyOf>[1], string | undefined]>([
    ['a canary without analysis steps carries the SLOs (background analysis)', canary, slo, ANALYSIS],
    ['a canary with analysis steps carries them (the steps check them)', { type: 'canary', canary: { steps: [{ setWeight: 20 }, { analysis: {} }] } }, slo, ANALYSIS],
    ['a blue-green service carries them (pre- and post-promotion analysis)', { type: 'blueGreen' }, slo, ANALYSIS],
    ['strategy.analysis: true is the default', { ...canary, analysis: true }, slo, ANALYSIS],
    ['strategy.analysis: false turns it off (canary)', { ...canary, analysis: false }, slo, undefined],
    ['strategy.analysis: false turns it off (blue-green)', { type: 'blueGreen', analysis: false }, slo, undefined],
    ['availability alone is not measured per release', canary, { slo: { availability: 99.9 } }, undefined],
    ['no SLOs, nothing to check', { type: 'blueGreen' }, {}, undefined],
    ['a rolling service carries nothing (its verification is deploy\'s)', { type: 'rolling' }, slo, undefined],
  ])('%s', (_n, spec, svc, annotation) => {
    const annotations = strategyAnnotations(workloadStrategyOf(spec, svc));
    expect(annotations[STRATEGY_ANALYSIS_ANNOTATION]).toBe(annotation);
    // Read back as deploy reads it.
    const parsed = parseStrategyAnnotations(annotations, src);
    expect('analysis' in parsed ? parsed.analysis : undefined).toEqual(annotation === undefined ? undefined : JSON.parse(annotation));
  });

  it('refuses the SLOs on a rolling workload, naming canary or blueGreen', () => {
    expect(() => parseStrategyAnnotations({ [STRATEGY_ANALYSIS_ANNOTATION]: '{"successRate":99}' }, src)).toThrow(/given but the strategy is rolling/);
  });
});

describe('the statistical judge on the workload', () => {
  const steps = [{ setWeight: 20 }, { pause: {} }];
  const svc = { metrics: { names: { latency: 'lat_seconds' }, labels: { pod: 'kubernetes_pod_name' } } };
  it.each<[string, NonNullable<StrategySpec['canary']>['judge'], Parameters<typeof workloadStrategyOf>[1], string]>([
    ['default metrics: the service\'s series names go with it', { count: 20, scoreThresholds: { pass: 90, marginal: 50 } }, svc, '{"count":20,"labels":{"pod":"kubernetes_pod_name"},"names":{"latency":"lat_seconds"},"scoreThresholds":{"marginal":50,"pass":90}}'],
    ['no names to carry', {}, {}, '{}'],
    [
      'its own metrics: no names needed',
      { baseline: false, metrics: [{ name: 'lat', query: 'x{pod=~"{{pods}}"}', direction: 'increase', effectSize: { allowedIncrease: 1.2 }, critical: true }] },
      svc,
      '{"baseline":false,"metrics":[{"critical":true,"direction":"increase","effectSize":{"allowedIncrease":1.2},"name":"lat","query":"x{pod=~\\"{{pods}}\\"}"}]}',
    ],
  ])('%s', (_n, judge, service, annotation) => {
    const annotations = strategyAnnotations(workloadStrategyOf({ type: 'canary', canary: { steps, ...(judge ? { judge } : {}) } }, service));
    expect(annotations['slipway.dev/strategy-judge']).toBe(annotation);
    const parsed = parseStrategyAnnotations(annotations, src);
    expect('judge' in parsed ? parsed.judge : undefined).toEqual(JSON.parse(annotation));
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['settings that are not the judge\'s', { [STRATEGY_ANNOTATION]: 'canary', [STRATEGY_STEPS_ANNOTATION]: '[{"setWeight":1}]', 'slipway.dev/strategy-judge': '{"count":0}' }, /not judge settings: \/count/],
    ['a judge on a blue-green workload', { [STRATEGY_ANNOTATION]: 'blueGreen', 'slipway.dev/strategy-judge': '{}' }, /given but the strategy is blueGreen/],
  ])('refuses %s', (_n, annotations, message) => {
    expect(() => parseStrategyAnnotations(annotations, src)).toThrow(message);
  });
});

describe('one definition', () => {
  it("the blue-green defaults are the schema's documented @defaults", () => {
    const props = BlueGreen.properties;
    expect(props.autoPromote.description).toMatch(new RegExp(`@default ${String(BLUE_GREEN_DEFAULTS.autoPromote)}$`));
    expect(props.scaleDownDelaySeconds.description).toMatch(new RegExp(`@default ${BLUE_GREEN_DEFAULTS.scaleDownDelaySeconds}$`));
  });

  it('the schema says who executes canary/blueGreen and what deploy does today, and promises no deploy flag', () => {
    const text = JSON.stringify(specJsonSchema());
    expect(text).not.toMatch(/--strategy/);
    expect(text).toContain('hands the service to the slipway controller as a ServiceRollout');
    expect(text).toContain('blueGreen: `slipway deploy` hands the service and its Service to the controller');
    expect(text).toContain(STRATEGY_ANNOTATION);
  });
});
