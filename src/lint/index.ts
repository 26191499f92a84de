/**
 * slipway lint: policy rules (Pod Security Standards, reliability, efficiency, networking,
 * RBAC) and offline schema validation for Kubernetes objects. Pure: callers read files and pass
 * parsed documents; deploy and render gate on {@link lintObjects}.
 */
export type { Finding, LintConfig, LintDocument, LintResult, RuleMeta, Severity, CrdSchemaSource } from './types.ts';
export { severityAtLeast } from './types.ts';
export { lintObjects, mergeResults } from './engine.ts';
export { parseLintConfig, findRule, ruleMeta } from './config.ts';
export { formatText, formatJson, formatSarif, toSarif, formatExplain, formatList, textChunks, jsonChunks, sarifChunks } from './format.ts';
export { parseQuantity } from '../manifest/index.ts';
export { standaloneValidatorsSource } from './schema.ts';

import { ruleMeta } from './config.ts';
import { ALL_RULES } from './rules/index.ts';
import type { RuleMeta } from './types.ts';

/** Every rule with its default severity, in a stable order. */
export function listRules(): RuleMeta[] {
  return ALL_RULES.map((r) => ruleMeta(r));
}
