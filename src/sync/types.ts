import type { FieldPath, KubeObject, Position } from '../manifest/index.ts';
import type { KubeClient, LiveObject, ObjectId, ResourceInfo } from '../kube/index.ts';
import type { SlipwayError } from '../errors/index.ts';
import type { Health, HealthStatus } from './health.ts';
import type { Stage } from './stages.ts';
import type { Inventory } from './inventory.ts';
import type { MeasurementT } from '../analysis/index.ts';
import type { VerificationOptions, VerificationReport, WorkloadVerification } from './verify.ts';

/** One object to deploy, with a way back to its source for error messages. */
export interface DesiredObject {
  readonly object: KubeObject;
  /** Where a field of this object is in the user's files, when known. */
  readonly positionOf?: (path: FieldPath) => Position;
}

/** @public: part of the folder API (re-exported by index.ts). */
export type ObjectAction = 'created' | 'configured' | 'replaced' | 'unchanged' | 'skipped' | 'pruned' | 'failed';

type DeployPhase = 'validate' | 'dry-run' | 'apply' | 'wait' | 'verify' | 'prune' | 'record' | 'rollback';

export type DeployEvent =
  | { readonly type: 'phase'; readonly phase: DeployPhase; readonly message: string }
  | { readonly type: 'object'; readonly id: ObjectId; readonly action: ObjectAction; readonly message?: string }
  | { readonly type: 'health'; readonly id: ObjectId; readonly health: Health }
  /** One measurement of a workload's SLO during post-deploy verification. */
  | { readonly type: 'measurement'; readonly id: ObjectId; readonly metric: string; readonly measurement: MeasurementT }
  /** A workload's verification verdict. */
  | { readonly type: 'verified'; readonly id: ObjectId; readonly phase: WorkloadVerification['phase']; readonly message: string }
  | { readonly type: 'warning'; readonly message: string };

/** An object after preparation: defaults filled in and mapped to a REST resource (when served). */
export interface PreparedObject {
  readonly object: KubeObject;
  readonly id: ObjectId;
  readonly key: string;
  readonly stage: Stage;
  /** Undefined when the cluster does not serve the kind yet (its CRD is part of this deploy). */
  readonly info: ResourceInfo | undefined;
  /** Dry-run only after stage 0 created its Namespace or CRD. */
  readonly deferred: boolean;
  readonly positionOf?: (path: FieldPath) => Position;
}

export interface ObjectResult {
  readonly id: ObjectId;
  readonly action: ObjectAction;
  readonly message?: string;
}

export interface RollbackResult {
  readonly toRevision: number;
  readonly revision?: number;
  readonly ok: boolean;
  readonly health?: HealthStatus;
  readonly error?: SlipwayError;
}

export interface DeployResult {
  readonly ok: boolean;
  readonly app: string;
  readonly env: string;
  readonly namespace: string;
  readonly dryRun: boolean;
  /** The revision recorded for this run; undefined when nothing changed or nothing was recorded. */
  readonly revision?: number;
  readonly objects: readonly ObjectResult[];
  readonly pruned: readonly ObjectId[];
  readonly health?: HealthStatus;
  readonly error?: SlipwayError;
  readonly rollback?: RollbackResult;
  /**
   * Post-deploy verification of the rolling releases this run rolled out (workloads with
   * `slipway.dev/verification` whose pods it wrote); absent when it wrote none.
   */
  readonly verification?: VerificationReport;
  /** Number of API writes (applies, deletes, inventory updates) this run made. */
  readonly writes: number;
  /** Wall time of the engine run in ms (from reading the inventory to recording the revision). */
  readonly durationMs?: number;
  /**
   * What went wrong without failing the run, e.g. a revision that could not be recorded (also
   * sent as `warning` events while the run goes).
   */
  readonly warnings: readonly string[];
}

export interface SyncTarget {
  readonly client: KubeClient;
  /** Application name: names the inventory and labels every object. */
  readonly app: string;
  readonly env: string;
  /** Namespace for namespaced objects that do not set one, and for the inventory. */
  readonly namespace: string;
}

export interface DeployOptions extends SyncTarget {
  readonly objects: readonly DesiredObject[];
  /**
   * Rollout strategy declared by the spec. Only `rolling` is implemented.
   * @default 'rolling'
   */
  readonly strategy?: string | undefined;
  /**
   * Wait for every object to become Healthy before recording the revision and pruning.
   * @default true
   */
  readonly wait?: boolean;
  /**
   * How long to wait for health, in ms.
   * @default 300000
   */
  readonly timeoutMs?: number;
  /**
   * Re-apply the last good revision when the wait fails.
   * @default true
   */
  readonly rollback?: boolean;
  /**
   * Take ownership of fields other field managers own.
   * @default false
   * @see https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
   */
  readonly forceConflicts?: boolean;
  /**
   * A last change to each object right before it is written, not when the sync is planned: GitOps
   * leaves out there the fields another manager took meanwhile (an in-flight canary's route
   * weights, set while an earlier stage was applied or waited for), from the informers' view at
   * that moment rather than at the start of a sync that may last minutes. It may only leave
   * fields out: what it returns is applied as it is.
   */
  readonly beforeApply?: (object: KubeObject) => KubeObject;
  /**
   * Validate and compute changes with server-side dry-run; write nothing.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Skip (with a warning) objects whose kind the cluster does not serve instead of failing.
   * @default true
   */
  readonly skipMissingCrds?: boolean;
  /**
   * Concurrent API requests.
   * @default 32
   */
  readonly concurrency?: number;
  /**
   * Health poll interval in ms.
   * @default 1000
   */
  readonly pollIntervalMs?: number;
  /**
   * A cache of the live objects kept by watches (a controller's informers): the snapshot of the
   * live objects that drift detection compares with is taken from it instead of a LIST per kind
   * (`snapshot` in prepare.ts says why a cache that lags is safe there), and the health wait reads it
   * and waits for its change events instead of polling the apiserver with a LIST per kind every
   * `pollIntervalMs`. Kinds it does not cache are listed as without it.
   */
  readonly live?: LiveCache;
  /**
   * The app's inventory, already read by the caller for this run: the engine does not read the
   * Secret again. It must be current (read just before, or what {@link onInventory} reported for
   * the last write): one that misses another deployer's revision may make the run a no-change one
   * that does not prune what that revision tracks. Without it, the engine reads the Secret.
   */
  readonly inventory?: Inventory;
  /**
   * Called once at the end of a run with the inventory as the run leaves the Secret (what the
   * next read would return), so that the caller need not read it again; not called when an
   * inventory write failed (the Secret's content is then unknown).
   */
  readonly onInventory?: (inventory: Inventory) => void;
  /**
   * Prune objects of earlier revisions that are no longer desired.
   * @default true
   */
  readonly prune?: boolean;
  /**
   * Refuse the deploy when lint finds errors (warnings and infos do not block).
   * @default true
   */
  readonly lint?: boolean;
  /**
   * Verify the rolling releases of workloads that carry `slipway.dev/verification` (rendered
   * for services with SLOs) against Prometheus after the health wait; a release that does not pass
   * fails the run (and is rolled back). Without a Prometheus URL it is skipped with a warning.
   */
  readonly verification?: VerificationOptions;
  /** Recorded in history. */
  readonly message?: string;
  readonly onEvent?: (e: DeployEvent) => void;
  /**
   * Aborting ends the run with an error of kind `cancelled`: every wait, poll and sleep stops at
   * once, no further object is written, and what was written is recorded as a failed revision.
   */
  readonly signal?: AbortSignal | undefined;
}

/** Objects of one kind (and namespace) that one app deployed: see {@link LiveCache.list}. */
interface LiveQuery {
  readonly apiVersion: string;
  readonly kind: string;
  /** undefined: a cluster-scoped kind. */
  readonly namespace: string | undefined;
  readonly app: string;
}

/**
 * Live objects as a controller's informers cache them (see {@link DeployOptions.live}).
 */
export interface LiveCache {
  /** The cached object (undefined: not there), or `uncached` when this kind is not cached (yet). */
  get(id: ObjectId): LiveObject | undefined | 'uncached';
  /**
   * The cached objects of one kind labelled `slipway.dev/app=<app>` (in `namespace`; all for a
   * cluster-scoped kind), or `uncached` when this kind is not cached (yet): what a LIST with that
   * label selector would return.
   */
  list(q: LiveQuery): readonly LiveObject[] | 'uncached';
  /** Resolves at the next change of any of `ids` in the cache, or after `ms`, or when `signal` aborts. */
  changed(ids: readonly ObjectId[], ms: number, signal?: AbortSignal): Promise<void>;
}
