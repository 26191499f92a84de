/**
 * Post-deploy verification of rolling releases (docs/deploy.md#verification). After a deploy
 * applied and its health wait succeeded, every Deployment or StatefulSet that carries
 * `slipway.dev/verification` (render writes it for a rolling service with SLOs) and whose pods
 * changed is measured against its SLOs in Prometheus, on its new pods only (the new ReplicaSet's
 * `pod-template-hash`; a StatefulSet's pods once all are at the update revision), by the analysis
 * engine (src/analysis: the same SLO queries, no-data rule, conditions and verdicts as canary
 * analysis). Verification ends as soon as every SLO passed `count` measurements, or at once when
 * one fails; anything else at `duration` (too little traffic, Prometheus unreachable) is not a
 * pass. A release that does not pass fails the deploy with a `rollout-failed` error, which the
 * engine answers with its automatic rollback.
 */
import { effectiveMetric, podsRegex, sloMetrics, tick, type AnalysisRunStatusT, type MetricStatusT, type MetricT, type RunPhaseT } from '../analysis/index.ts';
import { VERIFICATION_ANNOTATION, VERIFICATION_DEFAULTS, durationMs, parseVerificationAnnotation, type VerificationSpec } from '../appspec/index.ts';
import { inputError, isSlipwayError, rolloutFailed, type SlipwayError } from '../errors/index.ts';
import { describe, type KubeClient, type LiveObject, type ObjectId } from '../kube/index.ts';
import { cancelledError, isAbort, pause } from './cancel.ts';
import { idKey } from './inventory.ts';
import type { DeployEvent, DesiredObject } from './types.ts';

/** How a deploy verifies its rolling releases. */
export interface VerificationOptions {
  /** `false`: not this run (`slipway deploy --no-verify`); reported as skipped. @default true */
  readonly enabled?: boolean;
  /** The Prometheus the SLO queries go to. Without one, verification is skipped, and said so. */
  readonly prometheusUrl?: string | undefined;
  /** Why no Prometheus is known, for that report. @default "no Prometheus known; pass --prometheus-url" */
  readonly noPrometheus?: string | undefined;
  /** Replaces the analysis engine's measurement (tests). */
  readonly measure?: Parameters<typeof tick>[2]['measure'];
  /** The clock (tests). @default Date.now */
  readonly now?: () => number;
}

/** A workload whose releases are verified, as its annotation asks. */
export interface VerificationPlan {
  readonly id: ObjectId;
  readonly spec: VerificationSpec;
}

const VERIFIABLE = new Set(['Deployment', 'StatefulSet']);

/**
 * The workloads to verify, read from their annotations before anything is written: a malformed
 * annotation, or one on a kind that has no rolling release, is an input error at the annotation.
 * `namespace` is where objects without one go.
 */
export function verificationPlans(objects: readonly DesiredObject[], namespace: string): VerificationPlan[] {
  const out: VerificationPlan[] = [];
  for (const { object, positionOf } of objects) {
    const what = `${object.kind} ${object.metadata.name ?? ''}`.trim();
    const at = positionOf ? (key: string) => positionOf(['metadata', 'annotations', key]) : undefined;
    const spec = parseVerificationAnnotation(object.metadata.annotations, { object: what, positionOf: at });
    if (!spec) continue;
    if (object.apiVersion !== 'apps/v1' || !VERIFIABLE.has(object.kind)) {
      const position = at?.(VERIFICATION_ANNOTATION);
      throw inputError(`${what}: annotation ${VERIFICATION_ANNOTATION} is only for a Deployment or StatefulSet (apps/v1), whose rolling releases have new pods to verify`, {
        cause: object.kind,
        expected: 'kind: Deployment or StatefulSet',
        path: `metadata.annotations["${VERIFICATION_ANNOTATION}"]`,
        ...(position ? { position } : {}),
        hint: 'move the annotation to the workload, or remove it',
      });
    }
    out.push({ id: { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace ?? namespace, name: object.metadata.name ?? '' }, spec });
  }
  return out;
}

/** The SLO a metric checks, for messages and reports: `successRate 99.5%` or `latencyP95Ms 120`. */
type SloKey = 'successRate' | 'latencyP95Ms';

/** One SLO as a metric of the analysis engine, with the verification's settings. */
interface SloMetric {
  readonly slo: SloKey;
  readonly target: number;
  readonly metric: MetricT;
}

interface Settings {
  readonly duration: string;
  readonly interval: string;
  readonly count: number;
  readonly failureLimit: number;
}

function settingsOf(v: VerificationSpec): Settings {
  return {
    duration: v.duration ?? VERIFICATION_DEFAULTS.duration,
    interval: v.interval ?? VERIFICATION_DEFAULTS.interval,
    count: v.count ?? VERIFICATION_DEFAULTS.count,
    failureLimit: v.failureLimit ?? VERIFICATION_DEFAULTS.failureLimit,
  };
}

/** The analysis engine's SLO metrics (one per SLO, so each metric is known to check exactly one), with the verification's settings. */
export function verificationMetrics(v: VerificationSpec): SloMetric[] {
  const s = settingsOf(v);
  const names = { ...(v.names ? { names: v.names } : {}), ...(v.labels ? { labels: v.labels } : {}) };
  const out: SloMetric[] = [];
  for (const slo of ['successRate', 'latencyP95Ms'] as const) {
    const target = v[slo];
    if (target === undefined) continue;
    for (const m of sloMetrics({ [slo]: target, ...names })) {
      // No tolerance for NoData or Error in a row: a metric is NoData (or Error) from one such measurement
      // until the next conclusive one, so at `duration` it is what its last measurement said (measurements go on until then).
      out.push({ slo, target, metric: { ...effectiveMetric(m, { interval: s.interval, count: s.count, failureLimit: s.failureLimit }), consecutiveNoDataLimit: 0, consecutiveErrorLimit: 0 } });
    }
  }
  return out;
}

const sloText = (m: SloMetric): string => (m.slo === 'successRate' ? `successRate ${m.target}%` : `latencyP95Ms ${m.target}`);

/** What a verification found for one workload. */
export interface WorkloadVerification {
  readonly workload: ObjectId;
  /**
   * Successful: every SLO passed. Failed: one failed (beyond failureLimit). Inconclusive, NoData,
   * Error, Running: not passed within `duration` (not a pass either). Skipped: nothing to measure
   * (pods unchanged, no replicas). Stopped: another workload failed first.
   */
  readonly phase: RunPhaseT | 'Skipped' | 'Stopped';
  readonly message: string;
  /** The new pods measured: a PromQL regex of their names. */
  readonly pods?: string;
  /** The new pods' `pod-template-hash` (Deployment) or `controller-revision-hash` (StatefulSet). */
  readonly revision?: string;
  readonly settings: Settings;
  /** Each SLO: its target, the condition a measurement must meet, and the analysis engine's record. */
  readonly metrics: readonly (MetricStatusT & { readonly slo: SloKey; readonly target: number; readonly condition: string })[];
  readonly startTime?: string;
  readonly durationMs?: number;
}

export interface VerificationReport {
  /** Why nothing was verified, when verification was off or no Prometheus was known (never silent). */
  readonly skipped?: string;
  readonly prometheusUrl?: string;
  readonly workloads: readonly WorkloadVerification[];
}

const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** The new pods of a workload after its health wait; `{ unchanged }` when its pods did not change (or there are none). */
export async function newPods(client: Pick<KubeClient, 'get' | 'list'>, id: ObjectId, before: LiveObject | undefined, signal?: AbortSignal): Promise<{ pods: string; revision: string } | { unchanged: string }> {
  const live = await client.get(id, { signal });
  if (!live) return { unchanged: 'it is gone' };
  const spec = (live as { spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } } }).spec;
  if (spec?.replicas === 0) return { unchanged: 'it has 0 replicas: no pods to measure' };
  if (id.kind === 'StatefulSet') {
    const rev = (live as { status?: { updateRevision?: string } }).status?.updateRevision;
    const was = (before as { status?: { updateRevision?: string } } | undefined)?.status?.updateRevision;
    if (rev === undefined) return { unchanged: 'it has no update revision yet' };
    if (before && was === rev) return { unchanged: 'its pods did not change' };
    // After the wait every pod is at the update revision (partition 0: render never sets one).
    return { pods: `${id.name.replaceAll('.', '[.]')}-[0-9]+`, revision: rev };
  }
  const rev = live.metadata.annotations?.[REVISION_ANNOTATION];
  if (before && rev !== undefined && before.metadata.annotations?.[REVISION_ANNOTATION] === rev) return { unchanged: 'its pods did not change' };
  const selector = Object.entries(spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const sets = await client.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: id.namespace, ...(selector ? { labelSelector: selector } : {}) }, { signal });
  const uid = (live.metadata as { uid?: string }).uid;
  const ownedByIt = (rs: LiveObject): boolean => ((rs.metadata as { ownerReferences?: { uid?: string }[] }).ownerReferences ?? []).some((r) => r.uid === uid);
  const current = sets.find((rs) => ownedByIt(rs) && rs.metadata.annotations?.[REVISION_ANNOTATION] === rev);
  const hash = current?.metadata.labels?.['pod-template-hash'];
  if (!current || hash === undefined) throw rolloutFailed(`no ReplicaSet of ${describe(id)} at revision ${rev ?? '?'} (with a pod-template-hash label)`, { cause: sets.map((s) => s.metadata.name) });
  return { pods: podsRegex(id.name, hash), revision: hash };
}

interface RunOptions {
  readonly prometheusUrl: string;
  readonly emit: (e: DeployEvent) => void;
  /** Aborts when the run is cancelled, or when another workload failed. */
  readonly signal: AbortSignal;
  readonly measure?: VerificationOptions['measure'];
  readonly now: () => number;
}

const FINAL: readonly string[] = ['Successful', 'Failed', 'Inconclusive'];

function withSlo(metrics: readonly SloMetric[], run: AnalysisRunStatusT): WorkloadVerification['metrics'] {
  return metrics.map((m) => {
    const st = run.metrics?.find((s) => s.name === m.metric.name);
    return { ...(st ?? { name: m.metric.name, phase: 'Running', measured: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, noData: 0, consecutiveError: 0, consecutiveNoData: 0, measurements: [] }), slo: m.slo, target: m.target, condition: m.metric.successCondition ?? '' };
  });
}

/** Why a run did not pass, naming each SLO's metric, value and target. */
function verdictText(metrics: WorkloadVerification['metrics'], s: Settings, timedOut: boolean): string {
  // A verdict before the end names the SLOs that decided it; at the end, every SLO that has not passed.
  const parts = metrics
    .filter((m) => m.phase !== 'Successful' && (timedOut || FINAL.includes(m.phase)))
    .map((m) => {
      const slo = `${m.slo === 'successRate' ? `successRate ${m.target}%` : `latencyP95Ms ${m.target}`} (${m.condition})`;
      switch (m.phase) {
        case 'Failed':
        case 'Inconclusive':
          return `${m.name} ${m.lastValue ?? '?'} does not meet the SLO ${slo}: ${m.failed} of ${m.measured} measurement(s) failed`;
        case 'NoData':
          return `${m.name}: no data (${m.message ?? 'nothing to measure'}) for the last ${m.consecutiveNoData} measurement(s); no data is never a pass`;
        case 'Error':
          return `${m.name}: error (${m.message ?? 'measurement failed'}) for the last ${m.consecutiveError} measurement(s)`;
        default: {
          const last = m.measurements.at(-1);
          const why = last && last.phase !== 'Successful' ? `; last measurement ${last.phase}${last.message ? `: ${last.message}` : ''}` : '';
          return `${m.name}: ${m.successful} of ${s.count} passing measurement(s)${why}`;
        }
      }
    });
  return `${timedOut ? `not passed within ${s.duration}: ` : ''}${parts.join('; ')}`;
}

/** Measures one workload's new pods until every SLO passed, one failed, or `duration` is over. */
async function verifyWorkload(plan: VerificationPlan, pods: { pods: string; revision: string }, o: RunOptions): Promise<WorkloadVerification> {
  const settings = settingsOf(plan.spec);
  const metrics = verificationMetrics(plan.spec);
  const start = o.now();
  const deadline = start + durationMs(settings.duration);
  const base = { workload: plan.id, pods: pods.pods, revision: pods.revision, settings, startTime: new Date(start).toISOString() };
  o.emit({ type: 'phase', phase: 'verify', message: `verifying ${describe(plan.id)} against ${metrics.map(sloText).join(', ')} on its new pods (${pods.revision}), up to ${settings.duration}` });
  let run: AnalysisRunStatusT = { phase: 'Running' };
  let timedOut = false;
  try {
    for (;;) {
      const r = await tick(run, metrics.map((m) => m.metric), {
        now: o.now(),
        pathOf: () => `metadata.annotations["slipway.dev/verification"] of ${describe(plan.id)}`,
        envFor: (m, n) => ({
          vars: { namespace: plan.id.namespace ?? '', service: plan.id.name, pods: pods.pods, interval: m.interval ?? settings.interval },
          prometheusUrl: o.prometheusUrl,
          measurementId: `${plan.id.name}-${m.name}-${String(n)}`,
          signal: o.signal,
        }),
        ...(o.measure ? { measure: o.measure } : {}),
      });
      run = r.run;
      for (const t of r.taken) o.emit({ type: 'measurement', id: plan.id, metric: t.metric, measurement: t.measurement });
      if (FINAL.includes(run.phase) || r.nextDueMs === undefined) break;
      const now = o.now();
      if (now >= deadline) {
        timedOut = true;
        break;
      }
      await pause(Math.max(0, Math.min(r.nextDueMs, deadline) - now), o.signal, `verifying ${describe(plan.id)}`);
    }
  } catch (e) {
    if (!isAbort(e)) throw e;
    const m = withSlo(metrics, run);
    return { ...base, phase: 'Stopped', message: 'stopped before a verdict', metrics: m, durationMs: o.now() - start };
  }
  const m = withSlo(metrics, run);
  const phase = run.phase as RunPhaseT;
  const message = phase === 'Successful' ? `every SLO passed ${settings.count} measurement(s): ${m.map((x) => `${x.name} ${x.lastValue ?? '?'} (${x.condition})`).join(', ')}` : verdictText(m, settings, timedOut);
  o.emit({ type: 'verified', id: plan.id, phase, message });
  return { ...base, phase, message, metrics: m, durationMs: o.now() - start };
}

export interface VerifyInput {
  readonly client: Pick<KubeClient, 'get' | 'list'>;
  readonly plans: readonly VerificationPlan[];
  /** Objects this run wrote: only they can have new pods. */
  readonly written: readonly ObjectId[];
  /** The live objects before this run wrote anything, by {@link idKey}. */
  readonly before: ReadonlyMap<string, LiveObject>;
  readonly options: VerificationOptions | undefined;
  /** The deploy did not wait for health (`--no-wait`). */
  readonly noWait: boolean;
  readonly emit: (e: DeployEvent) => void;
  readonly signal: AbortSignal | undefined;
}

/** A URL as reports show it: without credentials in it (`https://user:pass@host` → `https://host`). */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

const NO_PROMETHEUS = 'no Prometheus known; pass --prometheus-url (or set SLIPWAY_PROMETHEUS_URL)';

/**
 * Verifies the workloads of `plans` this run wrote and whose pods changed, concurrently. Undefined
 * when no such workload was written. `error` (kind `rollout-failed`) when one did not pass: the
 * first to fail stops the others.
 */
export async function verifyReleases(v: VerifyInput): Promise<{ report: VerificationReport; error?: SlipwayError } | undefined> {
  const wrote = new Set(v.written.map(idKey));
  const plans = v.plans.filter((p) => wrote.has(idKey(p.id)));
  if (plans.length === 0) return undefined;
  const o = v.options ?? {};
  const skip = (why: string): { report: VerificationReport } => {
    v.emit({ type: 'warning', message: `verification skipped: ${why}; ${plans.map((p) => describe(p.id)).join(', ')} not verified against ${plans.length > 1 ? 'their' : 'its'} SLOs` });
    return { report: { skipped: why, workloads: [] } };
  };
  if (o.enabled === false) return skip('--no-verify');
  if (v.noWait) return skip('--no-wait: verification measures healthy new pods, and nothing was waited for');
  const prometheusUrl = o.prometheusUrl;
  if (prometheusUrl === undefined) return skip(o.noPrometheus ?? NO_PROMETHEUS);
  const now = o.now ?? Date.now;
  const stop = new AbortController();
  const signal = v.signal ? AbortSignal.any([v.signal, stop.signal]) : stop.signal;
  const run: RunOptions = { prometheusUrl, emit: v.emit, signal, now, ...(o.measure ? { measure: o.measure } : {}) };
  let failed: WorkloadVerification | undefined;
  const workloads = await Promise.all(
    plans.map(async (plan): Promise<WorkloadVerification> => {
      const settings = settingsOf(plan.spec);
      const metrics = verificationMetrics(plan.spec);
      let pods: Awaited<ReturnType<typeof newPods>>;
      try {
        pods = await newPods(v.client, plan.id, v.before.get(idKey(plan.id)), signal);
      } catch (e) {
        if (isAbort(e)) {
          if (v.signal?.aborted) throw e;
          return { workload: plan.id, phase: 'Stopped', message: 'stopped before a verdict', settings, metrics: withSlo(metrics, { phase: 'Running' }) };
        }
        // Not knowing which pods are new is no pass either.
        const r: WorkloadVerification = { workload: plan.id, phase: 'Error', message: `cannot tell its new pods: ${isSlipwayError(e) ? e.message : String(e)}`, settings, metrics: withSlo(metrics, { phase: 'Running' }) };
        v.emit({ type: 'verified', id: plan.id, phase: r.phase, message: r.message });
        if (!failed) {
          failed = r;
          stop.abort(new Error(`${describe(plan.id)} failed verification`));
        }
        return r;
      }
      if ('unchanged' in pods) {
        const message = `not verified: ${pods.unchanged}`;
        v.emit({ type: 'verified', id: plan.id, phase: 'Skipped', message });
        return { workload: plan.id, phase: 'Skipped', message, settings, metrics: withSlo(metrics, { phase: 'Running' }) };
      }
      const r = await verifyWorkload(plan, pods, run);
      if (r.phase !== 'Successful' && r.phase !== 'Stopped' && !failed) {
        failed = r;
        stop.abort(new Error(`${describe(plan.id)} failed verification`));
      }
      return r;
    }),
  );
  if (v.signal?.aborted) throw cancelledError(v.signal, 'verification');
  const report: VerificationReport = { prometheusUrl: shownUrl(prometheusUrl), workloads: workloads.map((w) => (w.phase === 'Stopped' && failed ? { ...w, message: `stopped: ${describe(failed.workload)} failed verification first` } : w)) };
  if (!failed) return { report };
  const f: WorkloadVerification = failed;
  return {
    report,
    error: rolloutFailed(`verification failed: ${describe(f.workload)} on its new pods (${f.revision ?? '?'}): ${f.message}`, {
      cause: f,
      hint: f.phase === 'Failed'
        ? '`slipway deploy -o json` lists every measurement; fix the release, or tune strategy.verification (failureLimit, count) in slipway.yaml'
        : 'no data or errors are never a pass: check that Prometheus scrapes the new pods (services.<name>.metrics.names/labels if your series are named differently), raise strategy.verification.duration, or deploy with --no-verify',
    }),
  };
}
