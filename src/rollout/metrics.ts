/**
 * Progressive-delivery metrics on the controller's /metrics: rollouts by phase (from the
 * informer's cache at scrape time), transitions by reason, aborts, how long steps took, and
 * analysis measurements by metric and phase.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SharedInformer } from '../kube/index.ts';
import type { ServiceRollout } from './types.ts';

export interface RolloutMetrics {
  readonly transitions: Counter<'reason'>;
  readonly aborts: Counter;
  readonly stepSeconds: Histogram<'step'>;
  readonly measurements: Counter<'metric' | 'phase'>;
}

const byRegistry = new WeakMap<Registry, RolloutMetrics>();

/** The rollout metrics of `registry`, registered on first use; `rollouts` feeds the by-phase gauge. */
export function rolloutMetrics(registry: Registry, rollouts: SharedInformer): RolloutMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  new Gauge({
    name: 'slipway_rollouts',
    help: 'ServiceRollouts by phase',
    labelNames: ['phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const o of rollouts.list()) this.inc({ phase: (o as ServiceRollout).status?.phase ?? 'Unknown' });
    },
  });
  const m: RolloutMetrics = {
    transitions: new Counter({ name: 'slipway_rollout_transitions_total', help: 'Rollout transitions (the Event reasons: CanaryStarted, StepCompleted, Promoted, Aborted…)', labelNames: ['reason'] as const, registers: [registry] }),
    aborts: new Counter({ name: 'slipway_rollout_aborts_total', help: 'Canaries aborted (manual, progress deadline, failed analysis)', registers: [registry] }),
    measurements: new Counter({ name: 'slipway_analysis_measurements_total', help: 'Analysis measurements by metric and phase (Successful, Failed, Inconclusive, Error, NoData)', labelNames: ['metric', 'phase'] as const, registers: [registry] }),
    stepSeconds: new Histogram({ name: 'slipway_rollout_step_duration_seconds', help: 'How long each step took, from its start to its completion', labelNames: ['step'] as const, buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600], registers: [registry] }),
  };
  byRegistry.set(registry, m);
  return m;
}
