// Types for validators.generated.js (written by `node scripts/gen-validators.ts`).
import type { ValidateFunction } from 'ajv';

/** Precompiled validators of the bundled Kubernetes kinds, by `apiVersion/kind`. */
export declare const VALIDATORS: Readonly<Partial<Record<string, ValidateFunction>>>;
