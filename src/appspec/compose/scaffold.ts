/**
 * The environments an imported spec starts with: by default dev, staging and prod, each with the
 * overlay a platform engineer would write, so that `slipway render --env prod` works on the first
 * import and every environment lints clean (docs/import-compose.md, "Environments").
 *
 * The tier of an environment comes from its name (prod/production/live → prod;
 * staging/stage/qa/uat/test/preprod → staging; anything else → dev):
 * - dev: one replica of each service the compose file does not scale (the lint waiver says so),
 *   requests at half the base;
 * - staging: at least 2 replicas of each stateless service (so a PodDisruptionBudget), the base resources;
 * - prod: a HorizontalPodAutoscaler (min 2, CPU 75% of requests) for each stateless service,
 *   requests and limits doubled.
 * Single-instance services (a database keeping its data on a volume) keep one replica everywhere,
 * with the reason in the base spec; CI-built images take their tag from `--image-tag` at deploy.
 */
import { parseQuantity } from '../../manifest/index.ts';
import type { CronJobSpec, JobSpec, ResourcesSpec, ServiceSpec } from '../schema.ts';
import { dnsName } from './context.ts';

export type Tier = 'dev' | 'staging' | 'prod';

/** The tier an environment's name implies. */
export function tierOf(env: string): Tier {
  if (/(^|-)(staging|stage|stg|qa|uat|test|preprod|pre-prod)($|-)/.test(env)) return 'staging';
  if (/(^|-)(prod|production|prd|live)($|-)/.test(env)) return 'prod';
  return 'dev';
}

/** The default environments of an import. */
export const DEFAULT_ENVIRONMENTS: readonly string[] = ['dev', 'staging', 'prod'];

/** What render uses when a service gives no resources (src/render/pod.ts). */
const DEFAULT_RESOURCES = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } } as const;
const FACTOR: Readonly<Record<Tier, number>> = { dev: 0.5, staging: 1, prod: 2 };
/** Target CPU utilization of the prod HPAs, percent of the CPU request. */
const HPA_CPU = 75;
const DEV_REPLICA_REASON = 'dev runs one replica of each service; staging and prod run two or more';

export interface ScaffoldInput {
  readonly app: string;
  readonly environments: readonly string[];
  readonly services: Readonly<Record<string, ServiceSpec>>;
  readonly jobs: Readonly<Record<string, JobSpec>>;
  readonly cronJobs: Readonly<Record<string, CronJobSpec>>;
  /** Services that must stay one replica (their data lives in the pod or on its own volume). */
  readonly singleInstance: ReadonlySet<string>;
}

type Overlay = Record<string, unknown>;

export function scaffoldEnvironments(i: ScaffoldInput): Record<string, Overlay> {
  const out: Record<string, Overlay> = {};
  for (const env of i.environments) {
    const tier = tierOf(env);
    const services: Record<string, Overlay> = {};
    for (const [name, svc] of Object.entries(i.services)) services[name] = serviceOverlay(svc, tier, i.singleInstance.has(name));
    const overlay: Overlay = { namespace: dnsName(`${i.app}-${env}`) };
    if (Object.keys(services).length > 0) overlay['services'] = services;
    const jobs = batchOverlays(i.jobs, tier);
    if (jobs !== undefined) overlay['jobs'] = jobs;
    const cronJobs = batchOverlays(i.cronJobs, tier);
    if (cronJobs !== undefined) overlay['cronJobs'] = cronJobs;
    out[env] = overlay;
  }
  return out;
}

function serviceOverlay(svc: ServiceSpec, tier: Tier, single: boolean): Overlay {
  const o: Overlay = {};
  const base = svc.replicas;
  if (!single && svc.autoscaling === undefined) {
    // Replicas the compose file sets are kept in dev: someone chose them.
    if (tier === 'dev') {
      if (base === undefined || base < 2) {
        o['replicas'] = 1;
        o['ignoreChecks'] = { REL006: DEV_REPLICA_REASON };
      }
    } else if (tier === 'staging') {
      if ((base ?? 1) < 2) o['replicas'] = 2;
    } else {
      const min = Math.max(2, base ?? 0);
      // The HPA owns the replica count: a static one would be reset on every apply.
      if (base !== undefined) o['replicas'] = null;
      o['autoscaling'] = { min, max: min * 3, cpu: HPA_CPU };
    }
  }
  o['resources'] = scaledResources(svc.resources, FACTOR[tier]);
  return o;
}

function batchOverlays(workloads: Readonly<Record<string, JobSpec | CronJobSpec>>, tier: Tier): Record<string, Overlay> | undefined {
  const names = Object.keys(workloads);
  if (names.length === 0) return undefined;
  return Object.fromEntries(names.map((n) => [n, { resources: scaledResources(workloads[n]?.resources, FACTOR[tier]) }]));
}

type Resource = 'cpu' | 'memory' | 'ephemeral-storage';
const RESOURCES: readonly Resource[] = ['cpu', 'memory', 'ephemeral-storage'];
const unit = (k: Resource): 'cpu' | 'memory' => (k === 'cpu' ? 'cpu' : 'memory');

/**
 * The base request of one resource and how much of it to take: the compose file's request; else
 * half its limit; else slipway's default (cpu and memory only).
 */
function baseRequest(r: ResourcesSpec | undefined, k: Resource): [string | number, number] | undefined {
  const req = r?.requests?.[k];
  if (req !== undefined) return [req, 1];
  const lim = r?.limits?.[k];
  if (lim !== undefined) return [lim, 0.5];
  return k === 'ephemeral-storage' ? undefined : [DEFAULT_RESOURCES.requests[k], 1];
}

/** The base limit: the compose file's; for memory always one (twice the request, else slipway's default). */
function baseLimit(r: ResourcesSpec | undefined, k: Resource): string | number | undefined {
  const lim = r?.limits?.[k];
  if (lim !== undefined || k !== 'memory') return lim;
  const req = r?.requests?.memory;
  return req !== undefined ? scale(req, 2, 'memory') : DEFAULT_RESOURCES.limits.memory;
}

/**
 * Requests and limits for one environment: the service's own (from the compose file) or slipway's
 * defaults, requests times `factor`, limits times at least 1 (dev's requests shrink, its peaks do
 * not); a memory limit always set, and a request never above its limit.
 */
export function scaledResources(r: ResourcesSpec | undefined, factor: number): ResourcesSpec {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const k of RESOURCES) {
    const req = baseRequest(r, k);
    if (req !== undefined) requests[k] = scale(req[0], factor * req[1], unit(k));
    const lim = baseLimit(r, k);
    if (lim !== undefined) limits[k] = scale(lim, Math.max(1, factor), unit(k));
    const rq = parseQuantity(requests[k]);
    const lq = parseQuantity(limits[k]);
    if (rq !== undefined && lq !== undefined && rq > lq) requests[k] = limits[k] ?? '';
  }
  return { requests, limits };
}

/** `q × factor`, written the way people write it: `250m`, `2`, `512Mi`, `3Gi`. */
export function scale(q: string | number, factor: number, kind: 'cpu' | 'memory'): string {
  const v = (parseQuantity(q) ?? 0) * factor;
  if (kind === 'cpu') {
    const milli = Math.max(1, Math.round(v * 1000));
    return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
  }
  const mi = Math.max(1, Math.round(v / 2 ** 20));
  return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}
