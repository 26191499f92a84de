/**
 * The analysis resources as TypeBox types: what a metric is (a provider, CEL conditions, its
 * schedule and limits, a no-data rule), what a measurement records, and what an analysis run
 * keeps in a status. The ServiceRollout CRD (src/rollout/types.ts) embeds them, so the schema the
 * apiserver enforces and the types the controller reads cannot drift apart.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
const Int = (description: string, o: { minimum?: number; maximum?: number } = {}) => Type.Integer({ description, ...o });
/** `500ms`, `1s`, `1m30s`: a duration (parseDuration reads it). */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h))+$';
const Duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, description });

const SecretKey = Type.Object({ name: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) }, { description: 'A key of a Secret in the rollout\'s namespace.' });

export const PrometheusAuth = Type.Object(
  {
    bearerToken: Opt(SecretKey),
    basic: Opt(Type.Object({ username: SecretKey, password: SecretKey }, { description: 'HTTP basic auth.' })),
    tls: Opt(
      Type.Object(
        { ca: Opt(SecretKey), cert: Opt(SecretKey), key: Opt(SecretKey), serverName: Opt(Type.String()) },
        { description: 'mTLS: a client certificate and key, and the CA that signed the server\'s certificate (PEM).' },
      ),
    ),
  },
  { description: 'Credentials read from Secrets of the rollout\'s namespace at each measurement (never copied into the status).' },
);

const PrometheusProvider = Type.Object(
  {
    address: Opt(Type.String({ pattern: '^https?://', description: 'Prometheus base URL. @default the controller\'s --prometheus-url' })),
    query: Type.String({ minLength: 1, description: 'An instant PromQL query; {{namespace}}, {{service}}, {{pods}} (a regex of the canary\'s pods) and {{interval}} are filled in. An empty result or NaN is NoData.' }),
    authSecretRef: Opt(PrometheusAuth),
  },
  { description: 'An instant query against Prometheus: `result` is the value (a number; a list of numbers when several series answer).' },
);

const WebProvider = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'GET this URL; the same placeholders as a Prometheus query are filled in.' }),
    jsonPath: Opt(Type.String({ description: 'A path into the JSON response, e.g. `$.data.ok` or `data.items[0].value`; `result` is that value. @default the whole body' })),
    timeoutSeconds: Opt(Int('@default 10', { minimum: 1, maximum: 300 })),
  },
  { description: 'An HTTP GET; a response other than 2xx is an Error.' },
);

const JobProvider = Type.Object(
  {
    spec: Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description: 'A batch/v1 Job spec; its pod template runs once per measurement.' }),
  },
  { description: 'A Kubernetes Job, for smoke tests: `result` is true when it succeeded (exit 0), false when it failed.' },
);

const MetricProvider = Type.Object(
  { prometheus: Opt(PrometheusProvider), web: Opt(WebProvider), job: Opt(JobProvider) },
  {
    description: 'Exactly one provider.',
    'x-kubernetes-validations': [{ rule: '[has(self.prometheus), has(self.web), has(self.job)].filter(x, x).size() == 1', message: 'a provider is exactly one of prometheus, web, job' }],
  },
);

const NoDataRule = Type.Object(
  {
    query: Type.String({ minLength: 1, description: 'A Prometheus query counting the requests the measurement is based on (same placeholders).' }),
    minimum: Type.Number({ minimum: 0, description: 'Below this many, the measurement is NoData ("not enough traffic"), never a pass.' }),
  },
  { description: 'Not enough traffic is its own state: a measurement over too few requests is NoData.' },
);

const Metric = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$' }),
    provider: MetricProvider,
    successCondition: Opt(Type.String({ description: 'CEL over `result`, e.g. `result >= 0.99`.' })),
    failureCondition: Opt(Type.String({ description: 'CEL over `result`; true fails the measurement. With both conditions, neither true is Inconclusive.' })),
    interval: Opt(Duration('Time between measurements. @default 1s')),
    count: Opt(Int('Conclusive measurements (Successful, Failed, Inconclusive) a run needs; Errors and NoData do not count. Background analysis without it runs until promotion. @default 10 (inline)', { minimum: 1 })),
    initialDelay: Opt(Duration('Wait this long after the run starts before the first measurement. @default 0s')),
    failureLimit: Opt(Int('Failed measurements tolerated; one more fails the analysis. @default 0', { minimum: 0 })),
    inconclusiveLimit: Opt(Int('Inconclusive measurements tolerated; one more makes it Inconclusive (the rollout pauses). @default 0', { minimum: 0 })),
    consecutiveErrorLimit: Opt(Int('Consecutive Error measurements tolerated; then onError applies. @default 4', { minimum: 0 })),
    consecutiveNoDataLimit: Opt(Int('Consecutive NoData measurements tolerated; then onNoData applies. @default 10', { minimum: 0 })),
    noData: Opt(NoDataRule),
  },
  { description: 'A metric measured during analysis.' },
);

const PHASES = ['Successful', 'Failed', 'Inconclusive', 'Error', 'NoData'] as const;

const Measurement = Type.Object({
  time: Type.String({ description: 'When it was taken (RFC 3339); the next one is due `interval` later.' }),
  phase: Type.String({ enum: [...PHASES] }),
  value: Opt(Type.String({ maxLength: 256 })),
  message: Opt(Type.String({ maxLength: 512 })),
});

/** How many measurements of each metric a status keeps (the counts keep the whole run). */
export const KEPT_MEASUREMENTS = 10;

const METRIC_PHASES = ['Running', 'Successful', 'Failed', 'Inconclusive', 'Error', 'NoData'] as const;

const MetricStatus = Type.Object(
  {
    name: Type.String(),
    phase: Type.String({ enum: [...METRIC_PHASES] }),
    lastValue: Opt(Type.String({ maxLength: 256 })),
    message: Opt(Type.String({ maxLength: 512 })),
    measured: Int('Measurements taken.', { minimum: 0 }),
    successful: Int('Successful measurements.', { minimum: 0 }),
    failed: Int('Failed measurements.', { minimum: 0 }),
    inconclusive: Int('Inconclusive measurements.', { minimum: 0 }),
    error: Int('Error measurements.', { minimum: 0 }),
    noData: Int('NoData measurements.', { minimum: 0 }),
    consecutiveError: Int('Error measurements in a row, up to the last one.', { minimum: 0 }),
    consecutiveNoData: Int('NoData measurements in a row, up to the last one.', { minimum: 0 }),
    measurements: Type.Array(Measurement, { maxItems: KEPT_MEASUREMENTS, description: `The last ${KEPT_MEASUREMENTS}, oldest first.` }),
  },
  { description: 'One metric of an analysis run: its verdict so far, counts, and the last measurements.' },
);

const RUN_PHASES = ['Running', 'Successful', 'Failed', 'Inconclusive', 'Error', 'NoData'] as const;

export const AnalysisRunStatus = Type.Object(
  {
    stepIndex: Opt(Type.Integer({ minimum: 0, description: 'The inline analysis step this run belongs to (absent: background analysis).' })),
    revision: Opt(Type.String({ description: 'The canary revision analysed.' })),
    phase: Type.String({ enum: [...RUN_PHASES] }),
    message: Opt(Type.String()),
    startTime: Opt(Type.String({ description: 'When the run started: the first measurement of a metric is due initialDelay after it.' })),
    metrics: Opt(Type.Array(MetricStatus, { maxItems: 32 })),
  },
  { description: 'An analysis run: written by the controller\'s analysis engine (or, for a rollout without metrics, by an external one: stepIndex and phase).' },
);

const ON_PROBLEM = ['pause', 'abort'] as const;

export const AnalysisSettings = Type.Object(
  {
    metrics: Opt(Type.Array(Metric, { maxItems: 32, description: 'Measured by every inline `analysis` step (and by background analysis).' })),
    onNoData: Opt(Type.String({ enum: [...ON_PROBLEM], description: 'After consecutiveNoDataLimit NoData measurements: pause the rollout (measurements go on; it resumes once data comes back) or abort. @default pause' })),
    onError: Opt(Type.String({ enum: [...ON_PROBLEM], description: 'After consecutiveErrorLimit Error measurements: pause (measurements go on) or abort. @default pause' })),
    startingStep: Opt(Type.Integer({ minimum: 0, description: 'Background analysis: measure the metrics from this step (0-based) until promotion; a failure aborts at once.' })),
  },
  { description: 'Automated analysis of the canary. slipway never promotes on missing data.' },
);

/**
 * An analysis run that gates one moment of a release and needs a verdict (blue-green pre- and
 * post-promotion analysis): every metric measured until it has `count` conclusive measurements.
 */
export const GateAnalysisSettings = Type.Object(
  {
    metrics: Type.Array(Metric, { minItems: 1, maxItems: 32, description: 'Measured until each has its verdict.' }),
    interval: Opt(Duration('Overrides every metric\'s interval.')),
    count: Opt(Int('Overrides every metric\'s count: conclusive measurements needed. @default 10', { minimum: 1 })),
    failureLimit: Opt(Int('Overrides every metric\'s failureLimit.', { minimum: 0 })),
    onNoData: Opt(Type.String({ enum: [...ON_PROBLEM], description: 'After consecutiveNoDataLimit NoData measurements: pause (measurements go on; `slipway rollout promote` decides by hand) or abort. @default pause' })),
    onError: Opt(Type.String({ enum: [...ON_PROBLEM], description: 'After consecutiveErrorLimit Error measurements: pause (measurements go on) or abort. @default pause' })),
  },
  { description: 'Analysis that gates one moment of a release: a failure aborts; errors and no data never pass.' },
);

export type MetricT = Static<typeof Metric>;
export type MeasurementT = Static<typeof Measurement>;
export type MeasurementPhaseT = (typeof PHASES)[number];
export type MetricStatusT = Static<typeof MetricStatus>;
export type MetricPhaseT = (typeof METRIC_PHASES)[number];
export type AnalysisRunStatusT = Static<typeof AnalysisRunStatus>;
export type RunPhaseT = (typeof RUN_PHASES)[number];
export type OnProblemT = (typeof ON_PROBLEM)[number];
