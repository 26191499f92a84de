/**
 * Turns apiserver `Status` responses into slipway errors that say what to do: field-manager
 * conflicts name the other manager and the field, validation failures list every cause.
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind
 */
import { conflict, forbidden, inputError, internal, isSlipwayError, notFound, clusterUnavailable, type SlipwayError } from '../errors/index.ts';

/** One reason the apiserver gave, e.g. `{ field: 'spec.replicas', message: 'Invalid value: -1' }`. @public */
export interface StatusCause {
  readonly reason: string;
  readonly field: string;
  readonly message: string;
}

/** A field owned by another manager, parsed from a 409 from server-side apply. */
export interface FieldConflict {
  readonly manager: string;
  readonly field: string;
}

export interface ApiStatus {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  readonly causes: readonly StatusCause[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function parseStatus(code: number, body: unknown): ApiStatus {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const details = (b['details'] ?? {}) as Record<string, unknown>;
  const rawCauses = Array.isArray(details['causes']) ? (details['causes'] as unknown[]) : [];
  const causes = rawCauses.map((c) => {
    const r = (c ?? {}) as Record<string, unknown>;
    return { reason: str(r['reason']), field: str(r['field']), message: str(r['message']) };
  });
  const message = str(b['message']) || (typeof body === 'string' ? body.slice(0, 300) : `HTTP ${code}`);
  return { code, reason: str(b['reason']), message, causes };
}

/**
 * `conflict with "kubectl-client-side-apply" using apps/v1` + field `.spec.replicas` →
 * { manager: 'kubectl-client-side-apply', field: '.spec.replicas' }.
 */
export function fieldConflicts(status: ApiStatus): FieldConflict[] {
  return status.causes
    .filter((c) => c.reason === 'FieldManagerConflict')
    .map((c) => ({ manager: /conflict with "([^"]+)"/.exec(c.message)?.[1] ?? c.message, field: c.field }));
}

/** What an RBAC denial says the user may not do, parsed from the apiserver's 403 message. */
export interface Denial {
  /** e.g. `system:serviceaccount:ci:deployer`, when the message names it. */
  readonly user: string | undefined;
  readonly verb: string;
  /** Plural resource, with `/subresource` when it is one: `deployments`, `deployments/status`. */
  readonly resource: string;
  /** API group; '' for the core group. */
  readonly group: string;
  /** undefined at the cluster scope. */
  readonly namespace: string | undefined;
}

/**
 * `… is forbidden: User "u" cannot patch resource "deployments" in API group "apps" in the namespace "shop"`
 * (the RBAC authorizer's wording) → its parts; undefined for a 403 that is not RBAC (admission:
 * Pod Security, quota, a webhook), which is a problem with the object instead.
 */
export function parseDenial(message: string): Denial | undefined {
  const m = /(?:User "([^"]*)" )?cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)"| at the cluster scope)?/.exec(message);
  if (!m?.[2] || !m[3]) return undefined;
  return { user: m[1], verb: m[2], resource: m[3], group: m[4] ?? '', namespace: m[5] };
}

/** The `kubectl auth can-i` command that checks a denial, e.g. `kubectl auth can-i patch deployments.apps -n shop`. */
export function canICommand(d: Denial): string {
  const [res, sub] = d.resource.split('/');
  const resource = d.group ? `${res ?? d.resource}.${d.group}` : (res ?? d.resource);
  return `kubectl auth can-i ${d.verb} ${resource}${sub ? ` --subresource=${sub}` : ''}${d.namespace ? ` -n ${d.namespace}` : ''}`;
}

/** The apiserver status behind an error thrown by {@link statusError}, e.g. to tell a 410 Gone from other failures. */
export function apiStatusOf(e: unknown): ApiStatus | undefined {
  if (!isSlipwayError(e)) return undefined;
  const c = e.cause as { kind?: unknown; code?: unknown } | undefined;
  return c && c.kind === 'Status' && typeof c.code === 'number' ? parseStatus(c.code, c) : undefined;
}

/** The error for a failed request about `what` (e.g. `Deployment/shop/api`). */
export function statusError(what: string, status: ApiStatus, cause: unknown): SlipwayError {
  const reasons = status.causes.length > 0 ? status.causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)) : [status.message];
  switch (status.code) {
    case 409: {
      const conflicts = fieldConflicts(status);
      if (conflicts.length === 0) return conflict(`${what}: ${status.message}`, { cause });
      const list = conflicts.map((c) => `${c.field} (owned by "${c.manager}")`).join(', ');
      return conflict(`${what}: fields owned by another manager: ${list}`, {
        cause,
        hint: 'another tool manages these fields; re-run with --force-conflicts to take ownership, or stop setting them',
      });
    }
    case 404:
      return notFound(`${what}: ${status.message}`, { cause });
    case 403: {
      const d = parseDenial(status.message);
      if (!d) {
        return inputError(`${what} rejected by the apiserver (${status.reason || status.code}): ${reasons.join('; ')}`, {
          cause,
          hint: 'an admission policy (Pod Security, a webhook) or a quota refused it; fix the object or the policy',
        });
      }
      const scope = d.namespace ? `in namespace "${d.namespace}"` : 'at the cluster scope';
      const resource = d.group ? `${d.resource}.${d.group}` : d.resource;
      return forbidden(`${what}: forbidden: ${d.user ? `"${d.user}"` : 'the current user'} may not ${d.verb} ${resource} ${scope}`, {
        cause,
        hint: `check with \`${canICommand(d)}\`; ask a cluster admin for a Role/ClusterRole that grants it, or use a --context with that permission`,
      });
    }
    case 400:
    case 422:
      return inputError(`${what} rejected by the apiserver (${status.reason || status.code}): ${reasons.join('; ')}`, {
        cause,
        hint: 'fix the object so that it passes the apiserver validation',
      });
    case 401:
      return clusterUnavailable(`${what}: unauthorized: ${status.message}`, { cause, hint: 'check the credentials in your kubeconfig' });
    default:
      return internal(`${what}: apiserver answered ${status.code} ${status.reason}: ${status.message}`, { cause });
  }
}
