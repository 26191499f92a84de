/**
 * Automated analysis for progressive delivery: metrics measured by providers (Prometheus, HTTP,
 * Kubernetes Job), judged by CEL conditions, scheduled from the timestamps a status records, and
 * combined into a verdict that never passes on missing data. The rollout controller runs it;
 * the statistical canary-vs-baseline judge lives in judge.ts.
 */
export {
  Metric,
  MetricProvider,
  Measurement,
  MetricStatus,
  AnalysisRunStatus,
  AnalysisSettings,
  KEPT_MEASUREMENTS,
  DURATION_PATTERN,
  type MetricT,
  type MeasurementT,
  type MeasurementPhaseT,
  type MetricStatusT,
  type MetricPhaseT,
  type AnalysisRunStatusT,
  type RunPhaseT,
  type AnalysisSettingsT,
  type OnProblemT,
} from './types.ts';
export { compileConditions, judge, type Conditions } from './condition.ts';
export { ANALYSIS_DEFAULTS, parseDuration, effectiveMetric, nextDue, record, metricPhase, runPhase, type StepOverrides } from './evaluate.ts';
export { measure, tick, providerOf, formatValue, type Taken, type TickOptions } from './measure.ts';
export { fillTemplate, type MetricProviderImpl, type ProviderEnv, type ProviderOutcome, type TemplateVars } from './provider.ts';
export { prometheusProvider } from './prometheus.ts';
export { webProvider } from './web.ts';
export { jobProvider } from './job.ts';
export { sloMetrics, podsRegex, SLO_DEFAULTS, SLO_METRIC_NAMES, type SloSpec } from './slo.ts';
