/**
 * `slipway import compose`: docker-compose files → slipway.yaml, with a report of every key that
 * was not (or not exactly) translated. Pure: the CLI reads the compose file and the files it
 * references and passes their contents in.
 */
export { importCompose } from './convert.ts';
export type { ComposeImportResult, ImportReportEntry } from './types.ts';
export { accountingProblems } from './accounting.ts';
export { composeValidatorSource } from './load.ts';
export { DEFAULT_ENVIRONMENTS } from './scaffold.ts';
export { knownImage, type ImageProfile } from './images.ts';
