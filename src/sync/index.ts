export { deploy, checkStrategy, fieldPathOf, SUPPORTED_STRATEGIES } from './engine.ts';
export { readInventory } from './store.ts';
export { diff, status, history, rollbackTo, destroy, type DiffEntry, type DiffOptions, type AppStatus, type StatusNode, type DestroyResult, type DestroyOptions } from './ops.ts';
export { healthOf, worst, HEALTH_ORDER, type Health, type HealthStatus } from './health.ts';
export { stageOf, STAGE_NAMES, type Stage } from './stages.ts';
export {
  encodeInventory,
  decodeInventory,
  addRevision,
  emptyInventory,
  inventoryName,
  digestOf,
  canonicalJson,
  idKey,
  idOf,
  lastGood,
  MAX_REVISIONS,
  type Inventory,
  type Revision,
  type RevisionMeta,
  type RevisionStatus,
} from './inventory.ts';
export { loadInput, findSpec, strategiesOf, type Input, type InputOptions, type LoadedApp, type LoadOptions } from './source.ts';
export { readHealth, waitHealthy } from './wait.ts';
export { LABEL_APP, LABEL_ENV } from './prepare.ts';
export type { DeployOptions, DeployResult, DeployEvent, DesiredObject, ObjectResult, RollbackResult, SyncTarget, ObjectAction } from './types.ts';
