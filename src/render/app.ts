/**
 * renderApp: one environment of an AppSpec → Kubernetes objects, secure by default, in a
 * deterministic apply order. Pure: no I/O (file contents come in through RenderOptions).
 */
import { InputErrors } from '../errors/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import { environmentNames, locateInEnvironment, normalizeImage, resolveEnvironment, type AppSpec } from '../appspec/index.ts';
import { renderAppConfigMaps, type ConfigData } from './config.ts';
import { from, problem, standardLabels, type RenderContext } from './context.ts';
import { renderExposure } from './exposure.ts';
import { DASHBOARD_LABEL, renderDashboard, renderPrometheusRule, renderServiceMonitor } from './monitoring.ts';
import { renderNetworkPolicies } from './network.ts';
import type { RenderOptions, RenderResult } from './types.ts';
import { renderCronJob, renderJob, renderService } from './workloads.ts';

/**
 * Pod Security Admission at `restricted` for the namespace, enforced and also audited/warned, at
 * the latest policy version so new checks apply as the cluster is upgraded.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/
 */
const POD_SECURITY_LABELS: Readonly<Record<string, string>> = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/audit-version': 'latest',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'latest',
};

const KIND_ORDER = [
  'Namespace',
  'ServiceAccount',
  'ConfigMap',
  'Service',
  'Deployment',
  'StatefulSet',
  'Job',
  'CronJob',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'NetworkPolicy',
  'Ingress',
  'HTTPRoute',
  'ServiceMonitor',
  'PrometheusRule',
];

function rank(o: KubeObject): number {
  // Dashboards are ConfigMaps, but come last: they describe the app rather than run it.
  if (o.kind === 'ConfigMap' && o.metadata.labels?.[DASHBOARD_LABEL] !== undefined) return KIND_ORDER.length;
  const i = KIND_ORDER.indexOf(o.kind);
  return i === -1 ? KIND_ORDER.length + 1 : i;
}

/** Apply order by kind, then by name (plain code-unit order, independent of locale). */
function sortObjects(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r !== 0) return r;
    const an = a.metadata.name ?? '';
    const bn = b.metadata.name ?? '';
    return an < bn ? -1 : an > bn ? 1 : 0;
  });
}

function checkNames(ctx: RenderContext): void {
  const seen = new Map<string, string>();
  const groups: [string, Record<string, unknown> | undefined][] = [
    ['services', ctx.spec.services],
    ['jobs', ctx.spec.jobs],
    ['cronJobs', ctx.spec.cronJobs],
  ];
  for (const [group, entries] of groups) {
    for (const name of Object.keys(entries ?? {})) {
      const other = seen.get(name);
      if (other !== undefined) {
        problem(ctx, `${group}.${name}`, `name "${name}" is also used by ${other}.${name}`, {
          expected: 'names unique across services, jobs and cron jobs',
          hint: 'services, jobs and cron jobs share a namespace: give each a unique name',
        });
      }
      seen.set(name, group);
    }
  }
}

/**
 * Never two objects of one kind with one name: the second would silently replace the first on
 * apply. Names derive from spec names (`<caller>-to-<target>-ingress`), so unlucky spec names can
 * still collide; say which.
 */
function checkUniqueObjects(ctx: RenderContext, objects: readonly KubeObject[]): void {
  const seen = new Map<string, KubeObject>();
  for (const o of objects) {
    const key = `${o.kind}/${o.metadata.name ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      // At the place the second object comes from, naming the place of the first.
      const here = ctx.origins.get(o);
      const there = ctx.origins.get(first);
      problem(ctx, here ?? 'services', `two ${o.kind} objects would be named "${o.metadata.name ?? ''}"${there !== undefined && there !== here ? ` (the other comes from ${there})` : ''}`, {
        expected: 'names that give each rendered object its own name',
        hint: 'rename a service, job or cron job whose name contains "-to-" so that the generated names differ',
      });
    }
    if (first === undefined) seen.set(key, o);
  }
}

function namespaceObject(ctx: RenderContext): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ctx.namespace, labels: { ...standardLabels(ctx, { name: ctx.spec.app, component: 'app' }), ...POD_SECURITY_LABELS } },
  };
}

/** A Docker image tag. @see https://docs.docker.com/reference/cli/docker/image/tag/ */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The spec with every CI-built image (a service with `build:`) tagged `tag` (its digest dropped: it named the old build). */
function withBuildTag(spec: AppSpec, tag: string): AppSpec {
  const tagged = <W extends { readonly build?: unknown; readonly image: AppSpec['services'][string]['image'] }>(workloads: Readonly<Record<string, W>>): Record<string, W> =>
    Object.fromEntries(
      Object.entries(workloads).map(([name, w]) => {
        if (w.build === undefined) return [name, w];
        const { repository, pullPolicy } = normalizeImage(w.image);
        return [name, { ...w, image: { repository, tag, ...(pullPolicy !== undefined ? { pullPolicy } : {}) } }];
      }),
    );
  return {
    ...spec,
    services: tagged(spec.services),
    ...(spec.jobs !== undefined ? { jobs: tagged(spec.jobs) } : {}),
    ...(spec.cronJobs !== undefined ? { cronJobs: tagged(spec.cronJobs) } : {}),
  };
}

/** Renders one environment. Throws InputErrors listing every problem found (nothing partial). */
export function renderApp(spec: AppSpec, env: string, opts: RenderOptions = {}): RenderResult {
  // The environment's effective spec (overlay merged and validated again by the spec layer).
  const resolved = resolveEnvironment(spec, env);
  const ctx: RenderContext = {
    spec: opts.imageTag === undefined ? resolved : withBuildTag(resolved, opts.imageTag),
    env,
    namespace: resolved.namespace ?? resolved.app,
    instance: `${spec.app}-${env}`,
    warnings: [],
    problems: [],
    origins: new Map(),
  };
  checkNames(ctx);
  if (opts.imageTag !== undefined && !IMAGE_TAG.test(opts.imageTag)) {
    problem(ctx, 'services', `invalid image tag "${opts.imageTag}"`, { expected: 'a Docker tag: letters, digits, "_", "." and "-", not starting with "." or "-", at most 128 characters', hint: 'CI images are tagged sha-<commit> (slipway ci github): --image-tag sha-$GITHUB_SHA' });
  }
  const data: ConfigData = new Map();
  const objects: KubeObject[] = [...from(ctx, 'app', [namespaceObject(ctx)]), ...renderAppConfigMaps(ctx, opts, data).flatMap((cm) => from(ctx, `configMaps.${cm.metadata.name ?? ''}`, [cm]))];
  for (const [name, svc] of Object.entries(ctx.spec.services)) {
    objects.push(...from(ctx, `services.${name}`, [...renderService(ctx, name, svc, data), ...renderExposure(ctx, name, svc), ...renderServiceMonitor(ctx, name, svc)]));
  }
  for (const [name, job] of Object.entries(ctx.spec.jobs ?? {})) objects.push(...from(ctx, `jobs.${name}`, renderJob(ctx, name, job, data)));
  for (const [name, cj] of Object.entries(ctx.spec.cronJobs ?? {})) objects.push(...from(ctx, `cronJobs.${name}`, renderCronJob(ctx, name, cj, data)));
  objects.push(...renderNetworkPolicies(ctx), ...renderPrometheusRule(ctx), ...renderDashboard(ctx));
  if (ctx.problems.length === 0) checkUniqueObjects(ctx, objects);
  // Problems carry spec paths; the spec's source gives them file:line:col (in the overlay when it writes the path).
  if (ctx.problems.length > 0) throw new InputErrors(locateInEnvironment(spec, env, ctx.problems));
  // Builders never put one node in two places (meta() copies label maps; tests check with
  // sharedNodes): shared nodes would print as YAML aliases and couple objects to each other.
  return { env, namespace: ctx.namespace, objects: sortObjects(objects), warnings: [...new Set(ctx.warnings)].sort(), origins: ctx.origins };
}

/** Every environment of the spec (or the single `default` one), in the order the spec declares them. */
export function renderAll(spec: AppSpec, opts: RenderOptions = {}): Map<string, RenderResult> {
  const out = new Map<string, RenderResult>();
  for (const env of environmentNames(spec)) out.set(env, renderApp(spec, env, opts));
  return out;
}
