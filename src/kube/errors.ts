/**
 * Turns apiserver `Status` responses into slipway errors that say what to do: field-manager
 * conflicts name the other manager and the field, validation failures list every cause.
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind
 */
import { conflict, inputError, internal, notFound, clusterUnavailable, type SlipwayError } from '../errors/index.ts';

/** One reason the apiserver gave, e.g. `{ field: 'spec.replicas', message: 'Invalid value: -1' }`. */
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
    case 400:
    case 403:
    case 422:
      return inputError(`${what} rejected by the apiserver (${status.reason || status.code}): ${reasons.join('; ')}`, {
        cause,
        hint: status.code === 403 ? 'an admission policy, quota or RBAC rule refused it' : 'fix the object so that it passes the apiserver validation',
      });
    case 401:
      return clusterUnavailable(`${what}: unauthorized: ${status.message}`, { cause, hint: 'check the credentials in your kubeconfig' });
    default:
      return internal(`${what}: apiserver answered ${status.code} ${status.reason}: ${status.message}`, { cause });
  }
}
