/**
 * Writes src/lint/schemas/validators.generated.js: the bundled Kubernetes kinds' validators,
 * compiled ahead of time (see standaloneValidatorsSource in src/lint/schema.ts for why).
 * Re-run after scripts/gen-schemas.ts or an ajv upgrade; a unit test fails while it is stale.
 *
 *   node scripts/gen-validators.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { standaloneValidatorsSource } from '../src/lint/index.ts';

const out = join(import.meta.dirname, '..', 'src/lint/schemas/validators.generated.js');
writeFileSync(out, standaloneValidatorsSource());
process.stdout.write(`wrote ${out}\n`);
