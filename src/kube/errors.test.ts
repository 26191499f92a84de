import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../errors/index.ts';
import { apiStatusOf, canICommand, fieldConflicts, parseDenial, parseStatus, statusError } from './errors.ts';

const conflictBody = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
  reason: 'Conflict',
  details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using apps/v1', field: '.spec.replicas' }] },
  code: 409,
};

describe('statusError', () => {
  it.each<[string, number, unknown, string, RegExp]>([
    ['conflict names manager and field', 409, conflictBody, 'conflict', /\.spec\.replicas \(owned by "kubectl-edit"\)/],
    [
      'invalid lists every cause',
      422,
      { kind: 'Status', reason: 'Invalid', message: 'x', details: { causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'must be >= 0' }, { reason: 'FieldValueRequired', field: 'spec.template.spec.containers[0].image', message: 'Required value' }] }, code: 422 },
      'input',
      /spec\.replicas: must be >= 0; spec\.template\.spec\.containers\[0\]\.image: Required value/,
    ],
    ['admission denial (quota, PSS) is input', 403, { kind: 'Status', reason: 'Forbidden', message: 'exceeded quota: q', code: 403 }, 'input', /exceeded quota/],
    [
      'RBAC denial is forbidden, naming verb, resource and namespace',
      403,
      { kind: 'Status', reason: 'Forbidden', code: 403, message: 'deployments.apps "web" is forbidden: User "system:serviceaccount:ci:bot" cannot patch resource "deployments" in API group "apps" in the namespace "shop"' },
      'forbidden',
      /"system:serviceaccount:ci:bot" may not patch deployments\.apps in namespace "shop"/,
    ],
    [
      'cluster-scoped RBAC denial',
      403,
      { kind: 'Status', reason: 'Forbidden', code: 403, message: 'namespaces is forbidden: User "dev" cannot list resource "namespaces" in API group "" at the cluster scope' },
      'forbidden',
      /may not list namespaces at the cluster scope/,
    ],
    [
      'Pod Security rejection stays input',
      403,
      { kind: 'Status', reason: 'Forbidden', code: 403, message: 'pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false' },
      'input',
      /violates PodSecurity/,
    ],
    ['not found', 404, { kind: 'Status', reason: 'NotFound', message: 'namespaces "x" not found', code: 404 }, 'not-found', /not found/],
    ['non-JSON body', 500, '<html>oops</html>', 'internal', /oops/],
  ])('%s', (_n, code, body, kind, msg) => {
    const e = statusError('Deployment/ns/web', parseStatus(code, body), body);
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(msg);
  });

  it.each<[string, string, string | undefined]>([
    ['User "u" cannot patch resource "deployments" in API group "apps" in the namespace "shop"', 'kubectl auth can-i patch deployments.apps -n shop', 'u'],
    ['User "u" cannot list resource "namespaces" in API group "" at the cluster scope', 'kubectl auth can-i list namespaces', 'u'],
    ['User "u" cannot patch resource "widgets/status" in API group "slipway.dev" in the namespace "a"', 'kubectl auth can-i patch widgets.slipway.dev --subresource=status -n a', 'u'],
  ])('denial %s → %s', (message, cmd, user) => {
    const d = parseDenial(`x is forbidden: ${message}`);
    expect(d && canICommand(d)).toBe(cmd);
    expect(d?.user).toBe(user);
  });

  it('a forbidden error exits 1 (not 2, which means bad input) and keeps the status', () => {
    const body = { kind: 'Status', reason: 'Forbidden', code: 403, message: 'x is forbidden: User "u" cannot get resource "secrets" in API group "" in the namespace "n"' };
    const e = statusError('Secret/n/x', parseStatus(403, body), body);
    expect(exitCodeFor(e)).toBe(1);
    expect(e.hint).toContain('kubectl auth can-i get secrets -n n');
    expect(apiStatusOf(e)?.code).toBe(403);
  });

  it('parses field conflicts', () => {
    expect(fieldConflicts(parseStatus(409, conflictBody))).toEqual([{ manager: 'kubectl-edit', field: '.spec.replicas' }]);
  });
});
