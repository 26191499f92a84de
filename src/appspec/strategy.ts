/**
 * Rollout strategies: the one definition that render, deploy and the progressive-delivery
 * controller share. A service declares `strategy` in slipway.yaml (schema.ts); render keeps it on
 * the workload, and everyone else reads it back from there, so plain manifests can declare one too:
 *
 *   slipway.dev/strategy: canary | blueGreen               absent (or `rolling`): a RollingUpdate
 *   slipway.dev/strategy-steps: [{"setWeight":20},...]     canary only: its steps, canonical JSON
 *   slipway.dev/strategy-blue-green: {"autoPromote":...}   blueGreen only: its settings, defaults applied
 *   slipway.dev/strategy-analysis: {"successRate":99,...}  canary or blueGreen gated on SLOs: the SLOs analysis checks
 *                                                          and the service's metric and label names (canonical JSON);
 *                                                          absent: no SLO analysis (no SLOs, or strategy.analysis: false)
 *   slipway.dev/strategy-judge: {"interval":"1m",...}      canary only: the statistical judge (canary.judge), with the
 *                                                          service's metric and label names when it has no metrics
 *
 * Canonical JSON (keys sorted, no spaces) makes the same spec render byte-identical annotations, so
 * a re-render is never a diff. Who executes what: `rolling` is Kubernetes' own RollingUpdate;
 * `canary` and `blueGreen` are executed by the slipway controller: `slipway deploy` turns the
 * Deployment into a ServiceRollout (src/rollout handOver), with the Service in front of a
 * blue-green service.
 */
import { Value } from '@sinclair/typebox/value';
import { inputError, type SourcePosition } from '../errors/index.ts';
import { canonicalJson } from '../manifest/index.ts';
import { Type, type Static } from '@sinclair/typebox';
import { BlueGreen, CanaryJudge, CanarySteps, MetricLabels, MetricNames, type CanaryStepSpec, type ServiceSpec, type StrategySpec } from './schema.ts';

const STRATEGY_TYPES = ['rolling', 'canary', 'blueGreen'] as const;

/** The strategy type; absent means `rolling`. */
export const STRATEGY_ANNOTATION = 'slipway.dev/strategy';
/** Canary steps as canonical JSON. */
export const STRATEGY_STEPS_ANNOTATION = 'slipway.dev/strategy-steps';
/** Canary only: the traffic router asked for (`istio`); absent: chosen from the service's route. */
const STRATEGY_ROUTING_ANNOTATION = 'slipway.dev/strategy-traffic-routing';
/** Blue-green settings as canonical JSON, defaults applied. */
export const STRATEGY_BLUE_GREEN_ANNOTATION = 'slipway.dev/strategy-blue-green';
/** Canary or blue-green: the SLOs its analysis checks (SLOs, metric and label names), as canonical JSON. */
export const STRATEGY_ANALYSIS_ANNOTATION = 'slipway.dev/strategy-analysis';
/** Canary only: the statistical judge's settings (canary.judge), as canonical JSON. */
const STRATEGY_JUDGE_ANNOTATION = 'slipway.dev/strategy-judge';
const ANNOTATIONS = [STRATEGY_ANNOTATION, STRATEGY_STEPS_ANNOTATION, STRATEGY_ROUTING_ANNOTATION, STRATEGY_BLUE_GREEN_ANNOTATION, STRATEGY_ANALYSIS_ANNOTATION, STRATEGY_JUDGE_ANNOTATION] as const;

/**
 * What a release's SLO analysis checks: the service's SLO targets and the names of its series (a
 * canary's analysis steps, else its background analysis; a blue-green's pre- and post-promotion
 * analysis).
 */
const SloAnalysis = Type.Object(
  {
    successRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
    latencyP95Ms: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    names: Type.Optional(MetricNames),
    labels: Type.Optional(MetricLabels),
  },
  { additionalProperties: false },
);
type SloAnalysisSpec = Static<typeof SloAnalysis>;

/**
 * The statistical judge as a workload carries it: `canary.judge`, plus the service's metric and
 * label names when it has no metrics of its own (the default metrics query them).
 */
const JudgeAnnotation = Type.Object({ ...CanaryJudge.properties, names: Type.Optional(MetricNames), labels: Type.Optional(MetricLabels) }, { additionalProperties: false });
type JudgeSpec = Static<typeof JudgeAnnotation>;

/**
 * On a canary or blue-green workload: the services it depends on (`dependsOn`), comma-separated and
 * sorted. When one deploy changes several such services they are one release, progressing
 * dependencies first (src/rollout handOver).
 */
export const DEPENDS_ON_ANNOTATION = 'slipway.dev/depends-on';

/**
 * On a content-versioned copy of a ConfigMap or Secret that a canary or blue-green service mounts
 * (src/rollout/config.ts): the ServiceRollout it belongs to. Deploy never prunes such a copy, since
 * the stable version may still mount it; the slipway controller deletes it once no version does.
 */
export const CONFIG_OF_LABEL = 'slipway.dev/config-of';

/** Defaults of the blue-green settings (the schema's `@default`s say the same; a test holds them together). */
export const BLUE_GREEN_DEFAULTS = { autoPromote: false, scaleDownDelaySeconds: 30 } as const;

/** A strategy as a workload carries it: everything the controller needs, defaults applied. */
export type WorkloadStrategy =
  | { readonly type: 'rolling' }
  | { readonly type: 'canary'; readonly steps: readonly CanaryStepSpec[]; readonly trafficRouting?: 'istio'; readonly analysis?: SloAnalysisSpec; readonly judge?: JudgeSpec }
  | { readonly type: 'blueGreen'; readonly autoPromote: boolean; readonly scaleDownDelaySeconds: number; readonly autoPromotionSeconds?: number; readonly analysis?: SloAnalysisSpec };


/** The SLO checks of a progressive release; undefined without successRate/latencyP95Ms, or with `strategy.analysis: false`. */
function sloAnalysisOf(spec: StrategySpec | undefined, svc: Pick<ServiceSpec, 'slo' | 'metrics'> | undefined): SloAnalysisSpec | undefined {
  const slo = svc?.slo;
  if (spec?.analysis === false || (slo?.successRate === undefined && slo?.latencyP95Ms === undefined)) return undefined;
  const names = svc?.metrics?.names;
  const labels = svc?.metrics?.labels;
  return {
    ...(slo.successRate !== undefined ? { successRate: slo.successRate } : {}),
    ...(slo.latencyP95Ms !== undefined ? { latencyP95Ms: slo.latencyP95Ms } : {}),
    ...(names && Object.keys(names).length > 0 ? { names } : {}),
    ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
  };
}

/** The judge of a canary, with the service's metric and label names when its default metrics will query them. */
function judgeOf(judge: NonNullable<StrategySpec['canary']>['judge'], svc: Pick<ServiceSpec, 'metrics'> | undefined): JudgeSpec | undefined {
  if (judge === undefined) return undefined;
  if (judge.metrics !== undefined) return judge;
  const names = svc?.metrics?.names;
  const labels = svc?.metrics?.labels;
  return { ...judge, ...(names && Object.keys(names).length > 0 ? { names } : {}), ...(labels && Object.keys(labels).length > 0 ? { labels } : {}) };
}

/** The strategy a spec's service declares, as the workload will carry it (with `svc`, the SLOs its analysis checks). */
export function workloadStrategyOf(spec: StrategySpec | undefined, svc?: Pick<ServiceSpec, 'slo' | 'metrics'>): WorkloadStrategy {
  switch (spec?.type ?? 'rolling') {
    case 'rolling':
      return { type: 'rolling' };
    case 'canary': {
      // The schema requires steps only when `canary` is given; semantic checks pair it with the type.
      const steps = spec?.canary?.steps ?? [];
      const analysis = sloAnalysisOf(spec, svc);
      const judge = judgeOf(spec?.canary?.judge, svc);
      return { type: 'canary', steps, ...(spec?.canary?.trafficRouting ? { trafficRouting: spec.canary.trafficRouting } : {}), ...(analysis ? { analysis } : {}), ...(judge ? { judge } : {}) };
    }
    case 'blueGreen': {
      const analysis = sloAnalysisOf(spec, svc);
      return { type: 'blueGreen', ...BLUE_GREEN_DEFAULTS, ...spec?.blueGreen, ...(analysis ? { analysis } : {}) };
    }
  }
}

/** The annotations that carry `s` on a workload; none for `rolling`. */
export function strategyAnnotations(s: WorkloadStrategy): Record<string, string> {
  switch (s.type) {
    case 'rolling':
      return {};
    case 'canary':
      return {
        [STRATEGY_ANNOTATION]: s.type,
        [STRATEGY_STEPS_ANNOTATION]: canonicalJson(s.steps),
        ...(s.trafficRouting ? { [STRATEGY_ROUTING_ANNOTATION]: s.trafficRouting } : {}),
        ...(s.analysis ? { [STRATEGY_ANALYSIS_ANNOTATION]: canonicalJson(s.analysis) } : {}),
        ...(s.judge ? { [STRATEGY_JUDGE_ANNOTATION]: canonicalJson(s.judge) } : {}),
      };
    case 'blueGreen':
      return {
        [STRATEGY_ANNOTATION]: s.type,
        [STRATEGY_BLUE_GREEN_ANNOTATION]: canonicalJson({ autoPromote: s.autoPromote, scaleDownDelaySeconds: s.scaleDownDelaySeconds, ...(s.autoPromotionSeconds !== undefined ? { autoPromotionSeconds: s.autoPromotionSeconds } : {}) }),
        ...(s.analysis ? { [STRATEGY_ANALYSIS_ANNOTATION]: canonicalJson(s.analysis) } : {}),
      };
  }
}

/** Which object is read, for messages: e.g. `Deployment web`, and where its annotations are in a file. */
export interface StrategySource {
  readonly object: string;
  readonly positionOf?: (annotation: string) => SourcePosition | undefined;
}

function annotationError(src: StrategySource, key: string, message: string, o: { cause: unknown; expected: string; hint?: string }) {
  const position = src.positionOf?.(key);
  return inputError(`${src.object}: ${message}`, { ...o, path: `metadata.annotations["${key}"]`, ...(position ? { position } : {}) });
}

function parseJson(src: StrategySource, key: string, text: string, expected: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw annotationError(src, key, `annotation ${key} is not valid JSON`, { cause: e, expected });
  }
}

const STEPS_EXPECTED = 'a JSON list of steps, e.g. [{"setWeight":20},{"pause":{"duration":"1m"}},{"setWeight":100}]';
const ANALYSIS_EXPECTED = 'a JSON object, e.g. {"latencyP95Ms":120,"successRate":99.5} (optional names {requests, latency} and labels {code, namespace, pod})';

function parseAnalysis(src: StrategySource, text: string | undefined): SloAnalysisSpec | undefined {
  if (text === undefined) return undefined;
  const v = parseJson(src, STRATEGY_ANALYSIS_ANNOTATION, text, ANALYSIS_EXPECTED);
  if (!Value.Check(SloAnalysis, v)) {
    throw annotationError(src, STRATEGY_ANALYSIS_ANNOTATION, `annotation ${STRATEGY_ANALYSIS_ANNOTATION} is not an SLO analysis`, { cause: v, expected: ANALYSIS_EXPECTED });
  }
  return v;
}

const JUDGE_EXPECTED = 'a JSON object, e.g. {"count":10,"interval":"1m","scoreThresholds":{"marginal":75,"pass":95}} (optional metrics [{name, query, direction, ...}], names, labels)';

function parseJudge(src: StrategySource, text: string | undefined): JudgeSpec | undefined {
  if (text === undefined) return undefined;
  const v = parseJson(src, STRATEGY_JUDGE_ANNOTATION, text, JUDGE_EXPECTED);
  if (!Value.Check(JudgeAnnotation, v)) {
    const first = [...Value.Errors(JudgeAnnotation, v)][0];
    throw annotationError(src, STRATEGY_JUDGE_ANNOTATION, `annotation ${STRATEGY_JUDGE_ANNOTATION} is not judge settings${first ? `: ${first.path || '/'} ${first.message}` : ''}`, { cause: v, expected: JUDGE_EXPECTED });
  }
  return v;
}

const BLUE_GREEN_EXPECTED = 'a JSON object, e.g. {"autoPromote":false,"scaleDownDelaySeconds":30}';

/**
 * Reads a workload's strategy back from its annotations (what render wrote, or what a person wrote
 * on a plain manifest), checked against the same schema as slipway.yaml. Input errors name the
 * object and the annotation.
 */
export function parseStrategyAnnotations(annotations: Readonly<Record<string, string>> | undefined, src: StrategySource): WorkloadStrategy {
  const a = annotations ?? {};
  const type = a[STRATEGY_ANNOTATION] ?? 'rolling';
  if (!(STRATEGY_TYPES as readonly string[]).includes(type)) {
    throw annotationError(src, STRATEGY_ANNOTATION, `unknown strategy ${JSON.stringify(type)}`, { cause: type, expected: `one of: ${STRATEGY_TYPES.join(', ')}` });
  }
  const own: readonly string[] = type === 'canary' ? [STRATEGY_STEPS_ANNOTATION, STRATEGY_ROUTING_ANNOTATION, STRATEGY_ANALYSIS_ANNOTATION, STRATEGY_JUDGE_ANNOTATION] : type === 'blueGreen' ? [STRATEGY_BLUE_GREEN_ANNOTATION, STRATEGY_ANALYSIS_ANNOTATION] : [];
  for (const key of ANNOTATIONS) {
    if (key !== STRATEGY_ANNOTATION && !own.includes(key) && a[key] !== undefined) {
      throw annotationError(src, key, `annotation ${key} is given but the strategy is ${type}`, { cause: a[key], expected: `${STRATEGY_ANNOTATION}: ${key === STRATEGY_BLUE_GREEN_ANNOTATION ? 'blueGreen' : key === STRATEGY_ANALYSIS_ANNOTATION ? 'canary or blueGreen' : 'canary'}` });
    }
  }
  if (type === 'canary') {
    const text = a[STRATEGY_STEPS_ANNOTATION];
    if (text === undefined) {
      throw annotationError(src, STRATEGY_STEPS_ANNOTATION, `strategy canary needs its steps in annotation ${STRATEGY_STEPS_ANNOTATION}`, { cause: undefined, expected: STEPS_EXPECTED });
    }
    const steps = parseJson(src, STRATEGY_STEPS_ANNOTATION, text, STEPS_EXPECTED);
    if (!Value.Check(CanarySteps, steps)) {
      throw annotationError(src, STRATEGY_STEPS_ANNOTATION, `annotation ${STRATEGY_STEPS_ANNOTATION} is not a list of canary steps`, {
        cause: steps,
        expected: `${STEPS_EXPECTED}; each step is one of setWeight (0-100), pause {duration?}, analysis {interval?, count?, failureLimit?}, setCanaryScale {replicas?, weight?, matchTrafficWeight?}, setHeaderRoute {name, value}`,
      });
    }
    const routing = a[STRATEGY_ROUTING_ANNOTATION];
    if (routing !== undefined && routing !== 'istio') {
      throw annotationError(src, STRATEGY_ROUTING_ANNOTATION, `unknown traffic routing ${JSON.stringify(routing)}`, { cause: routing, expected: 'istio (or no annotation: the service\'s HTTPRoute or nginx Ingress, else the replica ratio)' });
    }
    const analysis = parseAnalysis(src, a[STRATEGY_ANALYSIS_ANNOTATION]);
    const judge = parseJudge(src, a[STRATEGY_JUDGE_ANNOTATION]);
    return { type, steps, ...(routing === 'istio' ? { trafficRouting: routing } : {}), ...(analysis ? { analysis } : {}), ...(judge ? { judge } : {}) };
  }
  if (type === 'blueGreen') {
    const text = a[STRATEGY_BLUE_GREEN_ANNOTATION];
    const settings = text === undefined ? {} : parseJson(src, STRATEGY_BLUE_GREEN_ANNOTATION, text, BLUE_GREEN_EXPECTED);
    if (!Value.Check(BlueGreen, settings)) {
      throw annotationError(src, STRATEGY_BLUE_GREEN_ANNOTATION, `annotation ${STRATEGY_BLUE_GREEN_ANNOTATION} is not blue-green settings`, { cause: settings, expected: BLUE_GREEN_EXPECTED });
    }
    const analysis = parseAnalysis(src, a[STRATEGY_ANALYSIS_ANNOTATION]);
    return { type, ...BLUE_GREEN_DEFAULTS, ...settings, ...(analysis ? { analysis } : {}) };
  }
  return { type: 'rolling' };
}
