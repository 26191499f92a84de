export type { KubeObject, ObjectMeta, FieldPath, Position, ParsedManifest } from './types.ts';
export { objectKey, objectRef } from './types.ts';
export { parseManifests, parseYamlValue, withPlainEnv } from './parse.ts';
export { stringifyManifests, stringifyYaml } from './stringify.ts';
export { yamlWalker } from './walk.ts';
