/**
 * Writes the ajv validators compiled ahead of time: src/lint/schemas/validators.generated.js (the
 * bundled Kubernetes kinds; see standaloneValidatorsSource in src/lint/schema.ts for why) and
 * src/appspec/compose/compose-validator.generated.js (the compose spec; see composeValidatorSource).
 * Re-run after scripts/gen-schemas.ts or an ajv upgrade; a unit test fails while it is stale.
 *
 *   node scripts/gen-validators.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { standaloneValidatorsSource } from '../src/lint/index.ts';
import { composeValidatorSource } from '../src/appspec/index.ts';
import { composeSchema } from './compose-schema.ts';

const root = join(import.meta.dirname, '..');
for (const [file, source] of [
  ['src/lint/schemas/validators.generated.js', standaloneValidatorsSource()],
  ['src/appspec/compose/compose-validator.generated.js', composeValidatorSource(composeSchema())],
] as const) {
  writeFileSync(join(root, file), source);
  process.stdout.write(`wrote ${file}\n`);
}
