import { describe, expect, it } from 'vitest';
import { fieldConflicts, parseStatus, statusError } from './errors.ts';

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
    ['not found', 404, { kind: 'Status', reason: 'NotFound', message: 'namespaces "x" not found', code: 404 }, 'not-found', /not found/],
    ['non-JSON body', 500, '<html>oops</html>', 'internal', /oops/],
  ])('%s', (_n, code, body, kind, msg) => {
    const e = statusError('Deployment/ns/web', parseStatus(code, body), body);
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(msg);
  });

  it('parses field conflicts', () => {
    expect(fieldConflicts(parseStatus(409, conflictBody))).toEqual([{ manager: 'kubectl-edit', field: '.spec.replicas' }]);
  });
});
