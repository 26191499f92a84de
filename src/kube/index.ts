export { KubeClient, FIELD_MANAGER, describe, type ApplyOptions, type ApplyResult, type ObjectId, type LiveObject, type ClientOptions, type RequestOptions, type KindQuery, type ListOptions, type ListResult, type WatchEvent, type WatchOptions } from './client.ts';
export { SharedInformer, InformerFactory, objectKey, type InformerOptions, type InformerHandlers } from './informer.ts';
export { Transport, defaultRetryPolicy, backoffDelay, retryDelay, parseRetryAfter, proxyEnvFor, isRetryableNetworkError, type KubeTarget, type RetryPolicy } from './transport.ts';
export { RestMapper, resourcePath, splitApiVersion, type ResourceInfo } from './discovery.ts';
export { parseStatus, statusError, fieldConflicts, parseDenial, canICommand, apiStatusOf, type ApiStatus, type StatusCause, type FieldConflict, type Denial } from './errors.ts';
export { appliedFieldsOf, mergeFieldSets, project, ownedPair, isSubset, deepEqual, type FieldSet } from './fields.ts';
