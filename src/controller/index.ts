/**
 * The controller runtime: leader election through a Lease, a deduplicating work queue with
 * per-key backoff, Kubernetes Events, and a manager that runs reconcilers over shared informers
 * with health and metrics endpoints.
 */
export { Manager, type ManagerOptions, type Reconciler, type ReconcilerHooks, type ReconcileContext, type RunningManager, type SecondaryWatch } from './manager.ts';
export { heldByOther, type LeaderOptions } from './leader.ts';
export { type ReconcileResult, type Reconcile, type QueueOptions } from './queue.ts';
export { type EventType } from './events.ts';
/** The webhook receivers' view of the manager (ManagerOptions.routes). */
export { type ServerContext } from './manager.ts';
