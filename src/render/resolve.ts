/**
 * Environment resolution lives in the spec layer (`resolveEnvironment`); render only re-exports
 * the default environment's name for the output formats.
 */
import { DEFAULT_ENVIRONMENT } from '../appspec/index.ts';

/** The environment name used when a spec declares no `environments`. */
export const DEFAULT_ENV: string = DEFAULT_ENVIRONMENT;
