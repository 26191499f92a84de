// Types for compose-validator.generated.js (written by `node scripts/gen-validators.ts`).
import type { ValidateFunction } from 'ajv';

/** The compose-spec validator, compiled ahead of time. */
declare const validate: ValidateFunction;
export default validate;
