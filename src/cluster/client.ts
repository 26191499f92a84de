/** The few apiserver calls `up` makes, through @kubernetes/client-node. */
import { ApiException, ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, StorageV1Api, V1StorageClass, VersionApi } from '@kubernetes/client-node';
import { V1Node } from '@kubernetes/client-node';
import type { KubeObject } from '../manifest/index.ts';
import { STAGE_GROUP, STAGE_PLURAL, STAGE_VERSION } from './stages.ts';

export function loadKubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

export const httpCode = (e: unknown): number | undefined => (e instanceof ApiException ? e.code : undefined);

async function ignoreConflict(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (httpCode(e) !== 409) throw e;
  }
}

/**
 * client-node serializes typed bodies by its model's property names, which spell the schema
 * extensions `x_kubernetes_*`; a wire-format key (`x-kubernetes-*`) would be silently dropped.
 */
export function toClientModelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toClientModelKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.startsWith('x-kubernetes-') ? k.replaceAll('-', '_') : k, toClientModelKeys(x)]));
}

/** Creates or updates the CRD (an older slipway may have installed a different schema). */
export async function ensureCrd(kc: KubeConfig, crd: KubeObject): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const body = toClientModelKeys(crd) as never;
  try {
    await api.createCustomResourceDefinition({ body });
  } catch (e) {
    if (httpCode(e) !== 409) throw e;
    const name = crd.metadata.name ?? '';
    const current = await api.readCustomResourceDefinition({ name });
    const update = toClientModelKeys({ ...crd, metadata: { ...crd.metadata, resourceVersion: current.metadata?.resourceVersion } }) as never;
    await api.replaceCustomResourceDefinition({ name, body: update });
  }
}

export async function crdEstablished(kc: KubeConfig, name: string): Promise<boolean> {
  const crd = await kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name });
  return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}

/** Creates or replaces a Stage, so a restarted cluster picks up changed stage definitions. */
export async function upsertStage(kc: KubeConfig, stage: KubeObject): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: STAGE_GROUP, version: STAGE_VERSION, plural: STAGE_PLURAL };
  try {
    await api.createClusterCustomObject({ ...base, body: stage });
  } catch (e) {
    if (httpCode(e) !== 409) throw e;
    const name = stage.metadata.name ?? '';
    const current = (await api.getClusterCustomObject({ ...base, name })) as KubeObject;
    const body = { ...stage, metadata: { ...stage.metadata, resourceVersion: current.metadata['resourceVersion'] } };
    await api.replaceClusterCustomObject({ ...base, name, body });
  }
}

export async function ensureNode(kc: KubeConfig, node: KubeObject): Promise<void> {
  await ignoreConflict(kc.makeApiClient(CoreV1Api).createNode({ body: Object.assign(new V1Node(), node) }));
}

export async function ensureStorageClass(kc: KubeConfig, sc: KubeObject): Promise<void> {
  await ignoreConflict(kc.makeApiClient(StorageV1Api).createStorageClass({ body: Object.assign(new V1StorageClass(), sc) }));
}

export const isNodeReady = (n: V1Node): boolean => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export async function listNodes(kc: KubeConfig): Promise<V1Node[]> {
  return (await kc.makeApiClient(CoreV1Api).listNode()).items;
}

export async function serviceAccountExists(kc: KubeConfig, namespace: string, name: string): Promise<boolean> {
  try {
    await kc.makeApiClient(CoreV1Api).readNamespacedServiceAccount({ name, namespace });
    return true;
  } catch (e) {
    if (httpCode(e) === 404) return false;
    throw e;
  }
}

export async function serverVersion(kc: KubeConfig): Promise<string> {
  return (await kc.makeApiClient(VersionApi).getCode()).gitVersion;
}
