/**
 * What `slipway rollout status -o json` prints: a documented contract (docs/rollout.md), built
 * from the ServiceRollout alone so that every client reads the same thing.
 */
import type { KubeClient } from '../kube/index.ts';
import { notFound, unsupported } from '../errors/index.ts';
import { API_VERSION, KIND, REQUEST_ANNOTATIONS, type ServiceRollout, type StepT } from './types.ts';
import type { AnalysisRunStatusT, CanaryJudgeStatusT } from '../analysis/index.ts';
import { imageOf } from './run.ts';

export type StepState = 'done' | 'current' | 'pending';

/** One metric of an analysis run, as `rollout status` shows it. */
export interface AnalysisMetricView {
  readonly name: string;
  /** `step N` (an inline analysis step, 1-based), `background`, or for blue-green `pre-promotion` / `post-promotion`. */
  readonly run: string;
  /** Running, Successful, Failed, Inconclusive, Error (errors in a row beyond the limit), NoData (not enough traffic beyond the limit). */
  readonly phase: string;
  /** The last value measured: a number when it is one. */
  readonly value: number | string | undefined;
  readonly message: string | undefined;
  readonly counts: { readonly measured: number; readonly successful: number; readonly failed: number; readonly inconclusive: number; readonly error: number; readonly noData: number };
  /** The last measurements, oldest first. */
  readonly measurements: readonly { readonly time: string; readonly phase: string; readonly value: number | string | undefined }[];
}

/** The statistical judge (canary against baseline), as `rollout status` shows it. */
export interface JudgeView {
  /** Running (sampling), Error (queries failing beyond the limit), or the verdict: Pass, Marginal, Fail. */
  readonly phase: string;
  readonly verdict: string | undefined;
  /** 0-100: the weighted share of metrics classified Pass. */
  readonly score: number | undefined;
  /** What the canary is compared with: `baseline` (the stable template started with the canary) or `stable`. */
  readonly control: string;
  readonly intervals: number;
  readonly count: number;
  readonly promotedByHand: boolean;
  readonly message: string | undefined;
  /** Per metric: the classification (Pass, High, Low, NoData) once judged, the medians, the effect size, and every sample. */
  readonly metrics: readonly {
    readonly name: string;
    readonly classification: string | undefined;
    readonly canaryMedian: number | undefined;
    readonly baselineMedian: number | undefined;
    readonly ratio: number | undefined;
    readonly pValue: number | undefined;
    readonly reason: string | undefined;
    readonly canary: readonly (number | null)[];
    readonly baseline: readonly (number | null)[];
  }[];
}

export interface RolloutView {
  readonly service: string;
  readonly namespace: string;
  readonly strategy: 'canary' | 'blueGreen';
  readonly phase: 'Progressing' | 'Paused' | 'Healthy' | 'Degraded' | 'Unknown';
  /** 0-based index of the step in progress; equal to the number of steps when none is. */
  readonly currentStep: number;
  readonly weight: number;
  readonly routing: string;
  readonly stable: { readonly revision: string | undefined; readonly image: string | undefined };
  readonly canary: { readonly revision: string | undefined; readonly image: string | undefined };
  readonly steps: readonly { readonly index: number; readonly step: StepT; readonly state: StepState }[];
  readonly paused: boolean;
  readonly abortReason: string | undefined;
  readonly message: string;
  /** Every metric of the current (or last) inline analysis step and of background analysis; blue-green: of pre- and post-promotion analysis. */
  readonly analysis: readonly AnalysisMetricView[];
  /** The statistical judge's run of the current (or last) canary, when the rollout has a judge. */
  readonly judge?: JudgeView;
  /** Several services deployed together (docs/rollout.md): the release id, its members, and the members this one waits for. */
  readonly release?: { readonly id: string; readonly members: readonly string[]; readonly after: readonly string[] };
  /** Blue-green only: the Services, and the previous version kept until scaleDownTime (undo switches back to it). */
  readonly blueGreen?: {
    readonly activeService: string;
    readonly previewService: string;
    readonly previousRevision: string | undefined;
    readonly scaleDownTime: string | undefined;
  };
}

export function describeStep(s: StepT): string {
  if (s.setWeight !== undefined) return `setWeight ${s.setWeight}%`;
  if (s.pause !== undefined) return s.pause.duration ? `pause ${s.pause.duration}` : 'pause (until promoted)';
  if (s.setCanaryScale !== undefined) return `setCanaryScale ${JSON.stringify(s.setCanaryScale)}`;
  if (s.setHeaderRoute !== undefined) return `setHeaderRoute ${s.setHeaderRoute.name}=${s.setHeaderRoute.value}`;
  if (s.analysis !== undefined) return `analysis${s.analysis.interval ? ` every ${s.analysis.interval}` : ''}${s.analysis.count ? ` ×${s.analysis.count}` : ''}`;
  return 'unknown';
}

const valueOf = (v: string | undefined): number | string | undefined => (v === undefined ? undefined : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

function metricViews(run: AnalysisRunStatusT | undefined, label: string): AnalysisMetricView[] {
  return (run?.metrics ?? []).map((m) => ({
    name: m.name,
    run: label,
    phase: m.phase,
    value: valueOf(m.lastValue),
    message: m.message,
    counts: { measured: m.measured, successful: m.successful, failed: m.failed, inconclusive: m.inconclusive, error: m.error, noData: m.noData },
    measurements: m.measurements.map((x) => ({ time: x.time, phase: x.phase, value: valueOf(x.value) })),
  }));
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A text sparkline of measurements: one bar per numeric value, scaled between the smallest and
 * the largest shown; `·` for a measurement without a number (an Error or NoData).
 */
export function sparkline(values: readonly (number | string | undefined)[]): string {
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return values
    .map((v) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return '·';
      const i = hi === lo ? BARS.length - 1 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1));
      return BARS[i] ?? '·';
    })
    .join('');
}

/** Every metric of every analysis run the status has, labelled with its run. */
function analysisViews(st: NonNullable<ServiceRollout['status']>): AnalysisMetricView[] {
  return [
    ...metricViews(st.analysis, st.analysis?.stepIndex !== undefined ? `step ${st.analysis.stepIndex + 1}` : 'analysis'),
    ...metricViews(st.backgroundAnalysis, 'background'),
    ...metricViews(st.prePromotionAnalysis, 'pre-promotion'),
    ...metricViews(st.postPromotionAnalysis, 'post-promotion'),
  ];
}

function judgeView(j: CanaryJudgeStatusT): JudgeView {
  return {
    phase: j.phase,
    verdict: j.verdict,
    score: j.score,
    control: j.control,
    intervals: j.intervals,
    count: j.count,
    promotedByHand: j.promotedByHand === true,
    message: j.message,
    metrics: j.metrics.map((m) => ({
      name: m.name,
      classification: m.classification,
      canaryMedian: m.canaryMedian,
      baselineMedian: m.baselineMedian,
      ratio: m.ratio,
      pValue: m.pValue,
      reason: m.reason,
      canary: m.canary,
      baseline: m.baseline,
    })),
  };
}

export function rolloutView(ro: ServiceRollout): RolloutView {
  const st = ro.status ?? {};
  const steps = ro.spec.strategy.canary?.steps ?? [];
  const bg = ro.spec.strategy.blueGreen;
  const inCanary = st.canaryRevision !== undefined && st.canaryRevision !== st.stableRevision;
  const current = inCanary ? (st.currentStepIndex ?? 0) : steps.length;
  const phase = st.phase === 'Progressing' || st.phase === 'Paused' || st.phase === 'Healthy' || st.phase === 'Degraded' ? st.phase : 'Unknown';
  return {
    service: ro.metadata.name ?? '',
    namespace: ro.metadata.namespace ?? '',
    strategy: bg ? 'blueGreen' : 'canary',
    phase,
    currentStep: current,
    weight: st.weight ?? 0,
    routing: st.routing ?? 'unknown',
    stable: { revision: st.stableRevision, image: st.stableImage },
    canary: { revision: inCanary ? st.canaryRevision : undefined, image: inCanary ? (st.canaryImage ?? imageOf(ro.spec.template)) : undefined },
    steps: steps.map((step, index) => ({ index, step, state: index < current ? 'done' : index === current && inCanary ? 'current' : 'pending' })),
    paused: ro.spec.paused === true || phase === 'Paused',
    abortReason: st.abortReason,
    message: st.message ?? '',
    analysis: analysisViews(st),
    ...(st.judge ? { judge: judgeView(st.judge) } : {}),
    ...(ro.spec.release ? { release: { id: ro.spec.release.id, members: ro.spec.release.members, after: ro.spec.release.after } } : {}),
    ...(bg ? { blueGreen: { activeService: bg.activeService, previewService: bg.previewService, previousRevision: st.previousRevision, scaleDownTime: st.scaleDownTime } } : {}),
  };
}

export async function getRollout(client: KubeClient, namespace: string, name: string): Promise<ServiceRollout> {
  const ro = await client.get({ apiVersion: API_VERSION, kind: KIND, namespace, name });
  if (!ro) throw notFound(`ServiceRollout ${namespace}/${name} not found`, { cause: undefined, hint: `list them with \`kubectl get servicerollouts -n ${namespace}\`` });
  return ro as ServiceRollout;
}

export type RolloutAction = 'promote' | 'promote-full' | 'abort' | 'retry' | 'undo' | 'pause' | 'resume';

/** The field manager of CLI requests, apart from deploy's and the controller's. */
export const CLI_MANAGER = 'slipway-rollout-cli';

/**
 * Asks the controller for `action`: a fresh request annotation (handled once, recorded in
 * status.handled*), or spec.paused for pause/resume. Nothing else of the object is touched.
 */
export async function requestAction(client: KubeClient, namespace: string, name: string, action: RolloutAction): Promise<void> {
  const ro = await getRollout(client, namespace, name);
  if (action === 'undo' && !ro.spec.strategy.blueGreen) {
    throw unsupported(`ServiceRollout ${namespace}/${name} is a canary: undo switches a blue-green Service back`, {
      cause: action,
      hint: 'a canary in flight is stopped by `slipway rollout abort`; a promoted canary is rolled back by deploying the previous revision (`slipway rollback --env <env>`), which the controller applies as an instant rollback',
    });
  }
  const base = { apiVersion: API_VERSION, kind: KIND };
  if (action === 'pause' || action === 'resume') {
    await client.apply({ ...base, metadata: { name, namespace }, spec: { paused: action === 'pause' } }, { fieldManager: CLI_MANAGER, force: true });
    return;
  }
  const key = { promote: REQUEST_ANNOTATIONS.promote, 'promote-full': REQUEST_ANNOTATIONS.promoteFull, abort: REQUEST_ANNOTATIONS.abort, retry: REQUEST_ANNOTATIONS.retry, undo: REQUEST_ANNOTATIONS.undo }[action];
  await client.apply({ ...base, metadata: { name, namespace, annotations: { [key]: new Date().toISOString() } } }, { fieldManager: CLI_MANAGER, force: true });
}
