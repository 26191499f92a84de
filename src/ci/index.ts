/**
 * CI generation (pure): an app spec → GitHub Actions workflow files, plus the pinned-action table
 * and the logic of `slipway ci pin` (network access is injected by the caller).
 */
export { generateGithubWorkflows } from './generate.ts';
export { CLOUDS, type Cloud } from './options.ts';
export { existingState } from './write.ts';
export { ACTIONS } from './actions.ts';
export { checkWorkflowSecurity } from './policy.ts';
export { resolvePins, rewriteActionsTable, type FetchJson, type PinResult } from './pin.ts';
