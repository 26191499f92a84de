/* eslint-disable no-restricted-imports -- the staleness check reads the committed generated file; the importer stays pure */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import precompiled from './compose-validator.generated.js';
import { composeSchema } from '../../../scripts/compose-schema.ts';
import { composeValidatorSource, runtimeComposeValidator } from './load.ts';

describe('precompiled compose-spec validator', () => {
  it('compose-validator.generated.js is current (else run `node scripts/gen-validators.ts`)', () => {
    const committed = readFileSync(new URL('./compose-validator.generated.js', import.meta.url), 'utf8');
    expect(committed === composeValidatorSource(composeSchema()), 'stale: run `node scripts/gen-validators.ts`').toBe(true);
  });

  const runtime = runtimeComposeValidator(composeSchema());
  it.each([
    { what: 'valid', data: { services: { web: { image: 'nginx', ports: ['8080:80'], depends_on: { db: { condition: 'service_healthy' } } } } } },
    { what: 'unknown service key', data: { services: { web: { image: 'nginx', restart_policy: 'always' } } } },
    { what: 'wrong type', data: { services: { web: { image: 'nginx', ports: 8080 } } } },
    { what: 'bad depends_on condition', data: { services: { web: { image: 'x', depends_on: { db: { condition: 'healthy' } } } } } },
    { what: 'duplicate cap_add (uniqueItems)', data: { services: { web: { image: 'x', cap_add: ['NET_ADMIN', 'NET_ADMIN'] } } } },
    { what: 'unknown top-level key', data: { service: {} } },
  ])('$what: same verdict and errors as compiling at run time', ({ data }) => {
    const a = precompiled(data);
    const b = runtime(data);
    expect(a).toBe(b);
    expect(precompiled.errors ?? null).toEqual(runtime.errors ?? null);
  });
});
