import { describe, expect, it } from 'vitest';
import { InputErrors, isSlipwayError } from '../errors/index.ts';
import { loadSpec } from './load.ts';
import { VerificationSettings, type ServiceSpec } from './schema.ts';
import { VERIFICATION_ANNOTATION, VERIFICATION_DEFAULTS, durationMs, impossibleVerification, parseVerificationAnnotation, verificationAnnotations, verificationOf } from './verification.ts';

type Svc = Pick<ServiceSpec, 'slo' | 'metrics' | 'strategy'>;
const src = { object: 'Deployment web' };

describe('verificationOf + verificationAnnotations + parseVerificationAnnotation', () => {
  it.each<[string, Svc, Record<string, string>]>([
    ['no SLOs: nothing to verify', {}, {}],
    ['availability alone is not measured per release', { slo: { availability: 99.9 } }, {}],
    ['successRate and latencyP95Ms, no configuration: verified with the defaults', { slo: { successRate: 99.5, latencyP95Ms: 120, availability: 99 } }, { [VERIFICATION_ANNOTATION]: '{"latencyP95Ms":120,"successRate":99.5}' }],
    ['rolling said explicitly', { slo: { latencyP95Ms: 100 }, strategy: { type: 'rolling', maxSurge: 1 } }, { [VERIFICATION_ANNOTATION]: '{"latencyP95Ms":100}' }],
    ['verification: true is the default', { slo: { successRate: 99 }, strategy: { verification: true } }, { [VERIFICATION_ANNOTATION]: '{"successRate":99}' }],
    ['verification: false turns it off', { slo: { successRate: 99 }, strategy: { verification: false } }, {}],
    [
      'settings, and the service\'s own metric and label names',
      { slo: { successRate: 99 }, metrics: { names: { requests: 'reqs_total' }, labels: { pod: 'kubernetes_pod_name' } }, strategy: { verification: { duration: '5m', interval: '15s', count: 4, failureLimit: 1 } } },
      { [VERIFICATION_ANNOTATION]: '{"count":4,"duration":"5m","failureLimit":1,"interval":"15s","labels":{"pod":"kubernetes_pod_name"},"names":{"requests":"reqs_total"},"successRate":99}' },
    ],
    ['canary: the controller\'s analysis judges it, not verification', { slo: { successRate: 99 }, strategy: { type: 'canary', canary: { steps: [{ setWeight: 20 }] } } }, {}],
    ['blueGreen: likewise', { slo: { successRate: 99 }, strategy: { type: 'blueGreen' } }, {}],
  ])('%s', (_n, svc, annotations) => {
    const v = verificationOf(svc);
    expect(verificationAnnotations(v)).toEqual(annotations);
    expect(parseVerificationAnnotation(annotations, src)).toEqual(v);
  });

  it('reads an annotation a person wrote by hand (any key order, spaces)', () => {
    expect(parseVerificationAnnotation({ [VERIFICATION_ANNOTATION]: ' { "successRate": 99.9, "count": 3 } ' }, src)).toEqual({ successRate: 99.9, count: 3 });
    expect(parseVerificationAnnotation({ other: 'x' }, src)).toBeUndefined();
    expect(parseVerificationAnnotation(undefined, src)).toBeUndefined();
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', 'successRate: 99', /is not valid JSON/],
    ['an unknown key', '{"successRate":99,"treshold":1}', /is not a verification/],
    ['a percentage out of range', '{"successRate":150}', /is not a verification \(\/successRate:/],
    ['a bad duration', '{"successRate":99,"duration":"2 minutes"}', /is not a verification \(\/duration:/],
    ['nothing to check', '{"count":3}', /checks nothing/],
    ['settings that can never pass', '{"successRate":99,"count":200,"interval":"1s","duration":"1m"}', /can never pass: 200 measurements 1s apart take 199s, longer than the duration 1m/],
  ])('refuses %s: an input error naming the object and the annotation, at its position', (_n, text, message) => {
    const position = { file: 'k8s/web.yaml', line: 5, col: 30 };
    let err: unknown;
    try {
      parseVerificationAnnotation({ [VERIFICATION_ANNOTATION]: text }, { ...src, positionOf: (key) => (key === VERIFICATION_ANNOTATION ? position : undefined) });
    } catch (e) {
      err = e;
    }
    expect(isSlipwayError(err) && err.kind).toBe('input');
    expect((err as Error).message).toMatch(/^Deployment web: annotation slipway\.dev\/verification /);
    expect((err as Error).message).toMatch(message);
    expect(isSlipwayError(err) && err.position).toEqual(position);
    expect(isSlipwayError(err) && err.path).toBe('metadata.annotations["slipway.dev/verification"]');
  });
});

describe('settings', () => {
  it("the defaults are the schema's documented @defaults", () => {
    const props = VerificationSettings.properties;
    expect(props.duration.description).toMatch(new RegExp(`@default ${VERIFICATION_DEFAULTS.duration}$`));
    expect(props.interval.description).toMatch(new RegExp(`@default ${VERIFICATION_DEFAULTS.interval}$`));
    expect(props.count.description).toMatch(new RegExp(`@default ${String(VERIFICATION_DEFAULTS.count)}$`));
    expect(props.failureLimit.description).toMatch(new RegExp(`@default ${String(VERIFICATION_DEFAULTS.failureLimit)}$`));
  });

  it.each<[string, number]>([
    ['500ms', 500],
    ['1s', 1000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
  ])('durationMs(%s) = %i', (d, ms) => expect(durationMs(d)).toBe(ms));

  it.each<[string, Parameters<typeof impossibleVerification>[0], boolean]>([
    ['the defaults', {}, false],
    ['count × interval exactly the duration', { count: 61, interval: '1s', duration: '1m' }, false],
    ['one more', { count: 62, interval: '1s', duration: '1m' }, true],
    ['a long interval', { interval: '1m' }, true],
    ['a long interval with a long duration', { interval: '1m', duration: '10m' }, false],
  ])('%s: impossible %s', (_n, v, impossible) => expect(impossibleVerification(v) !== undefined).toBe(impossible));
});

describe('slipway.yaml strategy.verification', () => {
  const spec = (service: string): string => `app: shop\nservices:\n  web:\n    image: web:1\n${service.replace(/^/gm, '    ')}\n`;
  const problems = (text: string): string[] => {
    try {
      loadSpec(text, 'slipway.yaml');
      return [];
    } catch (e) {
      if (e instanceof InputErrors) return e.problems.map((p) => `${p.position ? `${p.position.line}:${p.position.col} ` : ''}${p.message}`);
      throw e;
    }
  };

  it.each<[string, string, string[]]>([
    ['off', 'slo: {successRate: 99}\nstrategy: {verification: false}', []],
    ['tuned', 'slo: {successRate: 99}\nstrategy: {verification: {duration: 5m, interval: 10s, count: 3, failureLimit: 1}}', []],
    ['on a canary', 'slo: {successRate: 99}\nstrategy: {type: canary, canary: {steps: [{setWeight: 50}]}, verification: {count: 3}}', ["6:66 verification is for rolling releases; a canary service is judged by the controller's analysis"]],
    ['without SLOs to check', 'slo: {availability: 99}\nstrategy: {verification: true}', ['6:16 verification needs SLOs to check']],
    ['never passing', 'slo: {successRate: 99}\nstrategy: {verification: {count: 100, duration: 30s}}', ['6:16 verification can never pass: 100 measurements 1s apart take 99s, longer than the duration 30s']],
    ['false even without SLOs', 'strategy: {verification: false}', []],
  ])('%s', (_n, service, want) => {
    expect(problems(spec(service))).toEqual(want);
  });

  it('a misspelled setting is a schema error', () => {
    expect(problems(spec('slo: {successRate: 99}\nstrategy: {verification: {treshold: 1}}')).join('\n')).toMatch(/treshold/);
  });
});
