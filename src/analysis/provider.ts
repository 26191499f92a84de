/**
 * Metric providers behind one interface: each turns a metric into an outcome (a value for the
 * conditions, NoData, an Error, or "still running" for a Job), and never into a pass by itself.
 * One conformance suite (providers.test.ts) runs the same cases against each.
 */
import type { KubeClient } from '../kube/index.ts';
import type { MetricT } from './types.ts';

/** What a provider found. */
export type ProviderOutcome =
  | { readonly value: unknown }
  /** Nothing to judge: an empty result, NaN, fewer requests than the no-data minimum. */
  | { readonly noData: string }
  /** The measurement could not be taken: unreachable, an HTTP error, a bad query. */
  | { readonly error: string }
  /** A Job still running: look again later; nothing is recorded yet. */
  | { readonly pending: string };

/** The values a query template may use: `{{namespace}}`, `{{service}}`, `{{pods}}`, `{{interval}}`. */
export interface TemplateVars {
  readonly namespace: string;
  readonly service: string;
  /** A regex of the canary's pod names, e.g. `web-canary-[a-z0-9]+-[a-z0-9]+`. */
  readonly pods: string;
  readonly interval: string;
}

/** What a provider may use for one measurement. */
export interface ProviderEnv {
  readonly vars: TemplateVars;
  /** The Prometheus used when a metric names no address (the controller's --prometheus-url). */
  readonly prometheusUrl?: string | undefined;
  /** For Secrets (credentials) and Jobs; without it, metrics that need one are an Error. */
  readonly client?: KubeClient | undefined;
  /** The object Jobs are owned by (garbage-collected with it). */
  readonly owner?: { readonly apiVersion: string; readonly kind: string; readonly name: string; readonly uid: string } | undefined;
  /** A name unique to this measurement (run, metric, measurement number): a Job is created once under it. */
  readonly measurementId: string;
  readonly signal?: AbortSignal | undefined;
}

export interface MetricProviderImpl {
  readonly kind: 'prometheus' | 'web' | 'job';
  measure(metric: MetricT, env: ProviderEnv): Promise<ProviderOutcome>;
}

/** `{{name}}` placeholders filled from `vars` (each value passed through `escape`); unknown ones are kept, so the provider reports them. */
export function fillTemplate(template: string, vars: TemplateVars, escape: (s: string) => string = (s) => s): string {
  return template.replace(/\{\{\s*(namespace|service|pods|interval)\s*\}\}/g, (_m, k: keyof TemplateVars) => escape(vars[k]));
}
