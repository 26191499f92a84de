export { deploy, checkStrategy } from './engine.ts';

export { diff, status, history, rollbackTo, destroy, type DiffEntry, type DiffOptions, type AppStatus, type StatusNode, type DestroyResult, type DestroyOptions } from './ops.ts';
export { healthOf, worst, reapedJobHealth, type Health, type HealthStatus } from './health.ts';
export { type Stage } from './stages.ts';
export { readInventory } from './store.ts';
export { LABEL_APP } from './prepare.ts';
export {
  inventoryName,
  idKey,
  idOf,
  type Inventory,
  type Revision,
  type RevisionMeta,
  type RevisionStatus,
} from './inventory.ts';
export { loadInput, findSpec, type Input, type InputOptions, type LoadedApp, type LoadOptions } from './source.ts';
export type { DeployOptions, DeployResult, DeployEvent, DesiredObject, ObjectResult, RollbackResult, SyncTarget, ObjectAction, LiveCache } from './types.ts';
export type { VerificationOptions, VerificationReport, WorkloadVerification } from './verify.ts';
/** Test support: an in-memory apiserver for unit tests of the engine and of its callers (GitOps). */
export { FakeApiserver, type FakeRequest } from './fake-apiserver.ts';
