export type { KubeObject, FieldPath, Position, ParsedManifest } from './types.ts';
export { objectKey } from './types.ts';
export { isRecord, omit } from './record.ts';
export { parseManifests, parseYamlValue } from './parse.ts';
export { withPlainEnv } from './env.ts';
export { capProblems, parseYamlStream, type YamlStream } from './yaml.ts';
export { stringifyManifests, stringifyYaml } from './stringify.ts';
export { yamlWalker } from './walk.ts';
export { canonicalJson } from './canonical.ts';
