export * from './schema.ts';
export {
  STRATEGY_TYPES,
  STRATEGY_ANNOTATION,
  STRATEGY_STEPS_ANNOTATION,
  STRATEGY_BLUE_GREEN_ANNOTATION,
  BLUE_GREEN_DEFAULTS,
  canonicalJson,
  workloadStrategyOf,
  strategyAnnotations,
  parseStrategyAnnotations,
  type StrategyType,
  type WorkloadStrategy,
  type StrategySource,
} from './strategy.ts';
export { loadSpec, type LoadSpecOptions } from './load.ts';
export { environmentNames, resolveEnvironment, mergeValues, DEFAULT_ENVIRONMENT } from './environments.ts';
export { parseImage, imageString, normalizeImage, type ImageParts } from './image.ts';
export { specJsonSchema, SCHEMA_ID } from './json-schema.ts';
export * from './compose/index.ts';
export { standaloneEsm } from './standalone.ts';
