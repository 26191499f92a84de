export { KubeClient, FIELD_MANAGER, describe, type ApplyOptions, type ApplyResult, type ObjectId, type LiveObject, type ClientOptions } from './client.ts';
export { Transport, defaultRetryPolicy, backoffDelay, isRetryableNetworkError, type KubeTarget, type RetryPolicy } from './transport.ts';
export { RestMapper, resourcePath, splitApiVersion, type ResourceInfo } from './discovery.ts';
export { parseStatus, statusError, fieldConflicts, type ApiStatus, type StatusCause, type FieldConflict } from './errors.ts';
export { appliedFieldsOf, mergeFieldSets, project, ownedPair, isSubset, deepEqual, type FieldSet } from './fields.ts';
