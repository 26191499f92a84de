/**
 * Post-deploy verification of rolling releases: the one definition that render and the deploy
 * engine share. A rolling service with `slo.successRate` and/or `slo.latencyP95Ms` is verified
 * after each release that rolled out new pods, with no configuration; `strategy.verification`
 * tunes it or (`false`) turns it off. Render keeps what is verified on the workload, as the
 * deploy engine (src/sync/verify.ts) reads it back, so plain manifests can ask for it too:
 *
 *   slipway.dev/verification: {"latencyP95Ms":100,"successRate":99.5}      the SLOs, canonical JSON, with the
 *                                                                         service's metric/label names and the
 *                                                                         settings the spec gives (not the defaults)
 *
 * Canonical JSON (keys sorted, no spaces): the same spec renders byte-identical annotations. The
 * annotation sits on the workload's own metadata, not its pod template: changing it rolls no pods.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { inputError, type SourcePosition } from '../errors/index.ts';
import { canonicalJson } from '../manifest/index.ts';
import { MetricLabels, MetricNames, VerificationSettings, type ServiceSpec } from './schema.ts';

export const VERIFICATION_ANNOTATION = 'slipway.dev/verification';

/** The settings' defaults (the schema's `@default`s say the same; a test holds them together). */
export const VERIFICATION_DEFAULTS = {
  /** Bound of the whole verification. Long enough for a real Prometheus (scraping every 15-30 s) to see the new pods twice. */
  duration: '2m',
  /** Between measurements: a conclusive release is judged within seconds. */
  interval: '1s',
  /** Passing measurements each SLO needs: verification ends as soon as every SLO has them. */
  count: 5,
  failureLimit: 0,
} as const;

/** What the workload annotation holds: the SLOs checked, the names of the service's series, and the settings given. */
const VerificationSpec = Type.Object(
  {
    successRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
    latencyP95Ms: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    names: Type.Optional(MetricNames),
    labels: Type.Optional(MetricLabels),
    ...VerificationSettings.properties,
  },
  { additionalProperties: false },
);
export type VerificationSpec = Static<typeof VerificationSpec>;

/**
 * What a service's rolling releases are verified against; undefined when they are not: another
 * strategy (the controller's analysis steps judge those), `verification: false`, or no
 * successRate/latencyP95Ms to check.
 */
export function verificationOf(svc: Pick<ServiceSpec, 'slo' | 'metrics' | 'strategy'>): VerificationSpec | undefined {
  const v = svc.strategy?.verification;
  const slo = svc.slo;
  if ((svc.strategy?.type ?? 'rolling') !== 'rolling' || v === false || (slo?.successRate === undefined && slo?.latencyP95Ms === undefined)) return undefined;
  const names = svc.metrics?.names;
  const labels = svc.metrics?.labels;
  return {
    ...(slo.successRate !== undefined ? { successRate: slo.successRate } : {}),
    ...(slo.latencyP95Ms !== undefined ? { latencyP95Ms: slo.latencyP95Ms } : {}),
    ...(names && Object.keys(names).length > 0 ? { names } : {}),
    ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
    ...(typeof v === 'object' ? v : {}),
  };
}

/** The annotation that carries `v` on a workload; none without verification. */
export function verificationAnnotations(v: VerificationSpec | undefined): Record<string, string> {
  return v ? { [VERIFICATION_ANNOTATION]: canonicalJson(v) } : {};
}

/** `500ms`, `1s`, `1m30s` → ms (the pattern the schema allows). */
export function durationMs(d: string): number {
  let ms = 0;
  for (const m of d.matchAll(/(\d+)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
  }
  return ms;
}

/**
 * Why these settings can never pass, if they cannot: `count` measurements `interval` apart take
 * (count - 1) × interval, which must fit in `duration`.
 */
export function impossibleVerification(v: Static<typeof VerificationSettings>): string | undefined {
  const count = v.count ?? VERIFICATION_DEFAULTS.count;
  const interval = v.interval ?? VERIFICATION_DEFAULTS.interval;
  const duration = v.duration ?? VERIFICATION_DEFAULTS.duration;
  const needed = (count - 1) * durationMs(interval);
  if (needed <= durationMs(duration)) return undefined;
  return `${count} measurements ${interval} apart take ${String(needed / 1000)}s, longer than the duration ${duration}`;
}

/** Which object is read, for messages: e.g. `Deployment web`, and where its annotations are in a file. */
export interface VerificationSource {
  readonly object: string;
  readonly positionOf?: ((annotation: string) => SourcePosition | undefined) | undefined;
}

const EXPECTED = 'a JSON object with successRate and/or latencyP95Ms, e.g. {"latencyP95Ms":120,"successRate":99.5} (optional names {requests, latency}, labels {code, namespace, pod}, duration, interval, count, failureLimit)';

/**
 * Reads a workload's verification back from its annotation (what render wrote, or what a person
 * wrote on a plain manifest), checked against the same schema as slipway.yaml; undefined without
 * the annotation. Input errors name the object and the annotation.
 */
export function parseVerificationAnnotation(annotations: Readonly<Record<string, string>> | undefined, src: VerificationSource): VerificationSpec | undefined {
  const text = annotations?.[VERIFICATION_ANNOTATION];
  if (text === undefined) return undefined;
  const fail = (message: string, cause: unknown, hint?: string) => {
    const position = src.positionOf?.(VERIFICATION_ANNOTATION);
    return inputError(`${src.object}: ${message}`, { cause, expected: EXPECTED, path: `metadata.annotations["${VERIFICATION_ANNOTATION}"]`, ...(position ? { position } : {}), ...(hint ? { hint } : {}) });
  };
  let v: unknown;
  try {
    v = JSON.parse(text) as unknown;
  } catch (e) {
    throw fail(`annotation ${VERIFICATION_ANNOTATION} is not valid JSON`, e);
  }
  if (!Value.Check(VerificationSpec, v)) {
    const first = [...Value.Errors(VerificationSpec, v)][0];
    throw fail(`annotation ${VERIFICATION_ANNOTATION} is not a verification${first ? ` (${first.path || '/'}: ${first.message})` : ''}`, v);
  }
  if (v.successRate === undefined && v.latencyP95Ms === undefined) throw fail(`annotation ${VERIFICATION_ANNOTATION} checks nothing`, v, 'give successRate and/or latencyP95Ms, or remove the annotation');
  const impossible = impossibleVerification(v);
  if (impossible !== undefined) throw fail(`annotation ${VERIFICATION_ANNOTATION} can never pass: ${impossible}`, v, 'lower count or interval, or raise duration');
  return v;
}
