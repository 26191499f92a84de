export * from './schema.ts';
export {
  STRATEGY_ANNOTATION,
  CONFIG_OF_LABEL,
  BLUE_GREEN_DEFAULTS,
  DEPENDS_ON_ANNOTATION,
  STRATEGY_STEPS_ANNOTATION,
  STRATEGY_BLUE_GREEN_ANNOTATION,
  STRATEGY_ANALYSIS_ANNOTATION,
  workloadStrategyOf,
  strategyAnnotations,
  parseStrategyAnnotations,
  type WorkloadStrategy,
} from './strategy.ts';
export {
  VERIFICATION_ANNOTATION,
  VERIFICATION_DEFAULTS,
  verificationOf,
  verificationAnnotations,
  parseVerificationAnnotation,
  durationMs,
  type VerificationSpec,
} from './verification.ts';
export { loadSpec, loadSpecValue, inEnvironment } from './load.ts';
export { environmentNames, resolveEnvironment, locateInEnvironment, mergeValues, DEFAULT_ENVIRONMENT } from './environments.ts';
export { parseFormattedPath, formatPath as formatSpecPath } from './source.ts';
export { parseImage, imageString, normalizeImage } from './image.ts';
export { specJsonSchema, SCHEMA_ID } from './json-schema.ts';
export * from './compose/index.ts';
export { standaloneEsm } from './standalone.ts';
export { isLiteralCredential, urlPasswords, type UrlPassword } from './credentials.ts';
