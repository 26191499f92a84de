import type { Rule } from '../context.ts';
import { efficiencyRules } from './efficiency.ts';
import { knownImageRules } from './known-images.ts';
import { limitRules } from './limits.ts';
import { metaRules } from './meta.ts';
import { networkingRules } from './networking.ts';
import { rbacRules } from './rbac.ts';
import { reliabilityRules } from './reliability.ts';
import { securityRules } from './security.ts';

export { isRemovedApi } from './reliability.ts';
export * from './meta.ts';

/** Every rule, in `--list` order. Ids are stable: never renumber, only add. */
export const ALL_RULES: readonly Rule[] = [...securityRules, ...knownImageRules, ...reliabilityRules, ...limitRules, ...efficiencyRules, ...networkingRules, ...rbacRules, ...metaRules];
