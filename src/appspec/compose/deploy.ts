/**
 * `deploy` (and the legacy `cpus` / `mem_limit` / `mem_reservation`) → replicas, resources,
 * strategy, nodeSelector.
 *
 * - resources.limits → limits, resources.reservations → requests (cpus "0.5" → 500m, memory
 *   "512M" → 512Mi: Docker sizes are binary, see units.ts).
 * - update_config: order start-first starts new pods before stopping old ones → maxSurge =
 *   parallelism, maxUnavailable = 0; stop-first (the compose default) → maxUnavailable =
 *   parallelism, maxSurge = 0. parallelism 0 means "all at once" → 100%. Without update_config,
 *   slipway's safer default (surge, never unavailable) is kept rather than compose's stop-first.
 * @see https://github.com/compose-spec/compose-spec/blob/main/deploy.md
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy
 */
import type { ServiceSpec, StrategySpec } from '../schema.ts';
import { isRecord } from '../../manifest/index.ts';
import { type ImportContext } from './context.ts';
import type { Path } from './load.ts';
import { cpuQuantity, memoryQuantity } from './units.ts';

type Resources = NonNullable<ServiceSpec['resources']>;
type ResourceList = NonNullable<Resources['limits']>;

export interface DeployResult {
  replicas?: number;
  resources?: Resources;
  strategy?: StrategySpec;
  nodeSelector?: Record<string, string>;
  labels?: Record<string, string>;
  backoffLimit?: number;
}

interface DeployOpts {
  readonly ctx: ImportContext;
  readonly path: Path;
  readonly isJob: boolean;
  readonly out: DeployResult;
}

export function convertDeploy(ctx: ImportContext, path: Path, deploy: unknown, isJob: boolean): DeployResult {
  const out: DeployResult = {};
  if (!isRecord(deploy)) return out;
  const o: DeployOpts = { ctx, path, isJob, out };
  for (const [key, value] of Object.entries(deploy)) {
    const kp = [...path, key];
    switch (key) {
      case 'replicas':
        replicas(o, kp, value);
        break;
      case 'resources':
        resources(o, kp, value);
        break;
      case 'update_config':
        updateConfig(o, kp, value);
        break;
      case 'restart_policy':
        restartPolicy(o, kp, value);
        break;
      case 'placement':
        placement(o, kp, value);
        break;
      case 'labels':
        // Swarm service labels: the nearest thing is labels on the objects slipway renders.
        if (isRecord(value)) {
          out.labels = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
          ctx.consume(kp);
        } else ctx.drop(kp, { severity: 'info', message: 'deploy.labels in list form is not translated', hint: 'use the map form' });
        break;
      case 'mode':
        if (value === 'replicated' || (isJob && value === 'replicated-job')) ctx.consume(kp);
        else ctx.drop(kp, { severity: 'warning', message: `deploy mode "${String(value)}" is not supported (a global service would be a DaemonSet)`, hint: 'slipway runs services as Deployments/StatefulSets; set replicas instead' });
        break;
      case 'endpoint_mode':
        ctx.drop(kp, { severity: 'info', message: 'endpoint_mode does not apply: a Kubernetes Service always load-balances over ready pods' });
        break;
      case 'rollback_config':
        ctx.drop(kp, { severity: 'info', message: 'rollback_config is not translated: slipway deploy rolls back automatically when a rollout fails its health checks' });
        break;
      default:
        ctx.drop(kp, { severity: 'warning', message: `deploy.${key} is not translated` });
    }
  }
  return out;
}

function replicas(o: DeployOpts, kp: Path, value: unknown): void {
  const n = Number(value);
  if (o.isJob) {
    o.ctx.drop(kp, { severity: 'warning', message: 'replicas do not apply to a Job (it runs to completion once)' });
  } else if (Number.isInteger(n) && n >= 0) {
    o.out.replicas = n;
    o.ctx.consume(kp);
  } else {
    o.ctx.drop(kp, { severity: 'error', message: `replicas "${String(value)}" is not a whole number` });
  }
}

function resources(o: DeployOpts, path: Path, value: unknown): void {
  if (!isRecord(value)) return;
  for (const [key, list] of Object.entries(value)) {
    const kp = [...path, key];
    if (key !== 'limits' && key !== 'reservations') {
      o.ctx.drop(kp, { severity: 'warning', message: `deploy.resources.${key} is not translated` });
      continue;
    }
    if (!isRecord(list)) continue;
    const target: ResourceList = {};
    for (const [rk, rv] of Object.entries(list)) resourceEntry(o.ctx, [...kp, rk], rv, target);
    if (Object.keys(target).length > 0) {
      const res = (o.out.resources ??= {});
      res[key === 'limits' ? 'limits' : 'requests'] = { ...res[key === 'limits' ? 'limits' : 'requests'], ...target };
    }
  }
}

function resourceEntry(ctx: ImportContext, kp: Path, rv: unknown, target: ResourceList): void {
  const key = kp.at(-1);
  const scalar = typeof rv === 'string' || typeof rv === 'number';
  if (key === 'cpus') {
    const q = scalar ? cpuQuantity(rv) : undefined;
    if (q === undefined) ctx.drop(kp, { severity: 'error', message: `cannot read cpus "${String(rv)}"`, hint: 'use a decimal number of CPUs, e.g. "0.5"' });
    else {
      target.cpu = q;
      ctx.consume(kp);
    }
  } else if (key === 'memory') {
    const q = scalar ? memoryQuantity(rv) : undefined;
    if (q === undefined) ctx.drop(kp, { severity: 'error', message: `cannot read memory "${String(rv)}"`, hint: 'use a size such as 512M or 1G' });
    else {
      target.memory = q;
      ctx.consume(kp);
    }
  } else if (key === 'pids') {
    ctx.drop(kp, { severity: 'info', message: 'pids limits are set per node by the kubelet, not per container' });
  } else if (key === 'devices' || key === 'generic_resources') {
    ctx.drop(kp, { severity: 'warning', message: `${key} (GPUs and other devices) are not translated`, hint: 'request extended resources (e.g. nvidia.com/gpu) in a rendered-manifest patch' });
  } else {
    ctx.drop(kp, { severity: 'warning', message: `resource "${String(key)}" is not translated` });
  }
}

function updateConfig(o: DeployOpts, path: Path, value: unknown): void {
  if (!isRecord(value)) return;
  if (o.isJob) {
    o.ctx.drop(path, { severity: 'info', message: 'update_config does not apply to a Job' });
    return;
  }
  const par = value['parallelism'] === undefined ? 1 : Number(value['parallelism']);
  const order = value['order'] ?? 'stop-first';
  const step: number | string = par === 0 ? '100%' : par;
  if (!Number.isInteger(par) || par < 0 || (order !== 'start-first' && order !== 'stop-first')) {
    o.ctx.drop(path, { severity: 'warning', message: 'update_config parallelism/order not understood; slipway\'s default rolling update is kept' });
    return;
  }
  o.out.strategy =
    order === 'start-first' ? { type: 'rolling', maxSurge: step, maxUnavailable: 0 } : { type: 'rolling', maxSurge: 0, maxUnavailable: step };
  for (const key of Object.keys(value)) {
    const kp = [...path, key];
    if (key === 'parallelism' || key === 'order') o.ctx.consume(kp);
    else if (key === 'failure_action' || key === 'monitor' || key === 'max_failure_ratio')
      o.ctx.drop(kp, { severity: 'info', message: `update_config.${key} is not translated: slipway deploy watches rollout health and rolls back on failure`, hint: 'tune strategy.progressDeadlineSeconds via x-slipway' });
    else o.ctx.drop(kp, { severity: 'info', message: `update_config.${key} has no Kubernetes Deployment equivalent` });
  }
  if (order === 'stop-first') {
    o.ctx.note(path, { severity: 'info', message: 'stop-first → maxUnavailable: capacity drops during each rollout step', hint: 'start-first (maxSurge) keeps full capacity' });
  }
}

function restartPolicy(o: DeployOpts, path: Path, value: unknown): void {
  if (!isRecord(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const kp = [...path, key];
    if (key === 'condition') o.ctx.consume(kp); // decides service vs job, see convert.ts
    else if (key === 'max_attempts' && o.isJob && Number.isInteger(Number(v))) {
      o.out.backoffLimit = Number(v);
      o.ctx.consume(kp);
    } else o.ctx.drop(kp, { severity: 'info', message: `restart_policy.${key} is not translated: the kubelet restarts containers with its own exponential back-off` });
  }
}

function placement(o: DeployOpts, path: Path, value: unknown): void {
  if (!isRecord(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const kp = [...path, key];
    if (key !== 'constraints' || !Array.isArray(v)) {
      o.ctx.drop(kp, { severity: 'warning', message: `placement.${key} is not translated`, hint: 'use nodeSelector or tolerations via x-slipway' });
      continue;
    }
    v.forEach((c: unknown, i) => {
      const m = typeof c === 'string' ? /^node\.labels\.([^=!\s]+)\s*==\s*(\S+)$/.exec(c.trim()) : null;
      if (m?.[1] !== undefined && m[2] !== undefined) {
        (o.out.nodeSelector ??= {})[m[1]] = m[2];
        o.ctx.consume([...kp, i]);
      } else {
        o.ctx.drop([...kp, i], { severity: 'warning', message: `placement constraint "${String(c)}" is not translated (only node.labels.KEY==VALUE becomes a nodeSelector)`, hint: 'use nodeSelector or tolerations via x-slipway' });
      }
    });
  }
}
