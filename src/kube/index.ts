export { KubeClient, FIELD_MANAGER, describe, type ApplyOptions, type ApplyResult, type ObjectId, type LiveObject, type ClientOptions, type RequestOptions, type KindQuery, type ListOptions, type ListResult, type WatchEvent, type WatchOptions } from './client.ts';
export { SharedInformer, InformerFactory, objectKey, type InformerOptions, type InformerHandlers } from './informer.ts';
export { type KubeTarget, type RetryPolicy } from './transport.ts';
export { resolveTarget, type ResolvedTarget } from './kubeconfig.ts';
export { type ResourceInfo } from './discovery.ts';
export { type ApiStatus, type StatusCause, type FieldConflict, type Denial } from './errors.ts';
export { appliedFieldsOf, ownedPair, ownersOf, isSubset, deepEqual, type FieldSet, type FieldOwner } from './fields.ts';
