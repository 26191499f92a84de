/**
 * `healthcheck` → exec readiness + liveness probes (and a startup probe for `start_period`).
 *
 * Compose defaults (interval 30s, timeout 30s, retries 3, start_period 0, start_interval 5s)
 * differ from Kubernetes' (10s, 1s, 3), so the timing fields are always written:
 * - interval → periodSeconds, timeout → timeoutSeconds, retries → failureThreshold;
 * - start_period (failures do not count while a container starts) → a startup probe at
 *   start_interval that gives the container as long as compose would before calling it
 *   unhealthy: failureThreshold = ceil((start_period + retries × interval) / start_interval).
 *   A startup probe, unlike initialDelaySeconds, lets a fast starter become ready at once.
 * - `test: ["CMD", …]` → the command; `["CMD-SHELL", "…"]` or a string → `sh -c "…"`;
 *   `["NONE"]` and `disable: true` → no probes (slipway's default readiness applies).
 * The liveness probe returned here is the healthcheck itself; the import replaces it by a cheaper
 * check (./restricted.ts): a liveness probe calling dependencies restarts every replica when one
 * of them is down, and compose never restarted an unhealthy container either.
 * @see https://github.com/compose-spec/compose-spec/blob/main/05-services.md#healthcheck
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
 */
import type { ProbeSpec } from '../schema.ts';
import { isRecord } from '../../manifest/index.ts';
import { str, type ImportContext } from './context.ts';
import type { Path } from './load.ts';
import { ceilSeconds, durationSeconds } from './units.ts';

export interface HealthProbes {
  readiness?: ProbeSpec;
  liveness?: ProbeSpec;
  startup?: ProbeSpec;
}

type Timing = 'interval' | 'timeout' | 'start_period' | 'start_interval';

/** The exec command of a compose `test`, null for NONE, undefined when not understood. */
export function testCommand(test: unknown): string[] | null | undefined {
  if (typeof test === 'string') return test.trim() === '' ? undefined : ['sh', '-c', test];
  if (!Array.isArray(test) || test.length === 0 || !test.every((x) => typeof x === 'string')) return undefined;
  const [kind, ...rest] = test;
  if (kind === 'NONE') return null;
  if (kind === 'CMD') return rest.length > 0 ? rest : undefined;
  if (kind === 'CMD-SHELL') return rest.length > 0 ? ['sh', '-c', rest.join(' ')] : undefined;
  return undefined;
}

export function convertHealthcheck(ctx: ImportContext, path: Path, hc: unknown): HealthProbes | undefined {
  if (!isRecord(hc)) return undefined;
  const disabled = hc['disable'] === true || hc['disable'] === 'true';
  const cmd = testCommand(hc['test']);
  if (disabled || cmd === null) {
    for (const key of Object.keys(hc)) ctx.consume([...path, key]);
    ctx.note(path, { severity: 'info', message: 'healthcheck disabled: no probes written, so slipway\'s default readiness probe (TCP on the first port) applies' });
    return undefined;
  }
  if (cmd === undefined) {
    const why = hc['test'] === undefined ? 'has no `test` (it would tune the image\'s HEALTHCHECK, which slipway cannot see)' : 'has a `test` slipway cannot read';
    for (const key of Object.keys(hc)) ctx.drop([...path, key], { severity: 'warning', message: `healthcheck ${why}`, hint: 'give `test: ["CMD", ...]`, or set probes via `x-slipway: { probes: ... }`' });
    return undefined;
  }
  const secs = (key: Timing, dflt: number): number => {
    const v = hc[key];
    if (v === undefined) return dflt;
    const s = typeof v === 'string' || typeof v === 'number' ? durationSeconds(v) : undefined;
    if (s === undefined) {
      ctx.drop([...path, key], { severity: 'warning', message: `cannot read duration "${str(v)}"; the compose default is used`, hint: 'use a duration such as 10s or 1m30s' });
      return dflt;
    }
    ctx.consume([...path, key]);
    if (s > 0 && s < 1) ctx.note([...path, key], { severity: 'info', message: `${str(v)} rounded up to 1s: Kubernetes probe timings are whole seconds` });
    return s;
  };
  const interval = secs('interval', 30);
  const timeout = secs('timeout', 30);
  const startPeriod = secs('start_period', 0);
  const startInterval = secs('start_interval', 5);
  const retriesRaw = hc['retries'];
  let retries = 3;
  if (retriesRaw !== undefined) {
    const n = Number(retriesRaw);
    if (Number.isInteger(n) && n >= 1) {
      retries = n;
      ctx.consume([...path, 'retries']);
    } else {
      ctx.drop([...path, 'retries'], { severity: 'warning', message: `retries "${str(retriesRaw)}" is not a positive integer; 3 is used` });
    }
  }
  ctx.consume([...path, 'test']);
  if (hc['disable'] !== undefined) ctx.consume([...path, 'disable']);
  const base: ProbeSpec = {
    exec: { command: cmd },
    periodSeconds: ceilSeconds(interval, 1),
    timeoutSeconds: ceilSeconds(timeout, 1),
    failureThreshold: retries,
  };
  const probes: HealthProbes = { readiness: base, liveness: { ...base } };
  if (startPeriod > 0) {
    const period = ceilSeconds(startInterval, 1);
    probes.startup = {
      exec: { command: cmd },
      periodSeconds: period,
      timeoutSeconds: ceilSeconds(timeout, 1),
      failureThreshold: Math.max(1, Math.ceil((startPeriod + retries * interval) / period)),
    };
  }
  ctx.note(path, {
    severity: 'info',
    message: `healthcheck → the readiness exec probe${probes.startup ? ' (and a startup probe for start_period)' : ''}`,
    hint: 'x-slipway: { probes: ... } overrides it',
  });
  return probes;
}
