/**
 * The Kubernetes Job provider, for smoke tests: each measurement runs the Job once (named after
 * the measurement, so a reconcile that repeats finds it instead of starting another); `result` is
 * true when it succeeded (exit 0) and false when it failed. While it runs the measurement is
 * pending: nothing is recorded and the controller looks again shortly.
 */
import { errorText } from './http.ts';
import type { MetricProviderImpl } from './provider.ts';

/** Field manager of the Jobs analysis creates. */
const MANAGER = 'slipway-analysis';
/** A finished analysis Job is deleted this long after (its pods and logs stay inspectable until then). */
const JOB_TTL_S = 600;

export const jobProvider: MetricProviderImpl = {
  kind: 'job',
  async measure(metric, env) {
    const j = metric.provider.job;
    if (!j) return { error: 'not a job metric' };
    if (!env.client) return { error: 'a Job metric needs a Kubernetes client' };
    const id = { apiVersion: 'batch/v1', kind: 'Job', namespace: env.vars.namespace, name: env.measurementId };
    const opts = env.signal ? { signal: env.signal } : {};
    try {
      let job = await env.client.get(id, opts);
      if (!job) {
        const spec = { backoffLimit: 0, ttlSecondsAfterFinished: JOB_TTL_S, ...j.spec };
        job = await env.client.apply(
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: { name: id.name, namespace: id.namespace, labels: { 'slipway.dev/analysis-metric': metric.name }, ...(env.owner ? { ownerReferences: [{ ...env.owner, controller: false, blockOwnerDeletion: false }] } : {}) },
            spec,
          },
          { fieldManager: MANAGER, force: true, ...opts },
        );
      }
      const st = (job['status'] ?? {}) as { succeeded?: number; conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
      if ((st.succeeded ?? 0) > 0) return { value: true };
      const failed = (st.conditions ?? []).find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed) return { value: false };
      return { pending: `Job ${id.name} running` };
    } catch (e) {
      return { error: `Job ${id.name}: ${errorText(e)}` };
    }
  },
};
