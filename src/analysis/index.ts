/**
 * Automated analysis for progressive delivery: metrics measured by providers (Prometheus, HTTP,
 * Kubernetes Job), judged by CEL conditions, scheduled from the timestamps a status records, and
 * combined into a verdict that never passes on missing data (docs/rollout.md#analysis). The
 * rollout controller runs it (src/rollout/analysis.ts).
 */
export {
  AnalysisRunStatus,
  AnalysisSettings,
  GateAnalysisSettings,
  DURATION_PATTERN,
  type MetricT,
  type MeasurementT,
  type MeasurementPhaseT,
  type MetricStatusT,
  type MetricPhaseT,
  type AnalysisRunStatusT,
  type RunPhaseT,
  type OnProblemT,
} from './types.ts';
export { ANALYSIS_DEFAULTS, effectiveMetric, type StepOverrides } from './evaluate.ts';
export { tick, type Taken, type TickOptions } from './measure.ts';
export { type MetricProviderImpl, type ProviderEnv, type ProviderOutcome, type TemplateVars } from './provider.ts';
export { sloMetrics, podsRegex, type SloSpec } from './slo.ts';
export {
  CanaryJudgeSettings,
  CanaryJudgeStatus,
  JUDGE_DEFAULTS,
  defaultJudgeMetrics,
  judgeTick,
  newJudgeRun,
  type CanaryJudgeSettingsT,
  type CanaryJudgeStatusT,
  type CanaryJudgeMetricT,
  type JudgeSeriesNames,
} from './canary-judge.ts';
export { type Verdict as JudgeVerdict } from './judge.ts';
