/** The few apiserver calls `up` makes, through @kubernetes/client-node. */
import { ApiException, CoreV1Api, KubeConfig, StorageV1Api, V1StorageClass, VersionApi } from '@kubernetes/client-node';
import { V1Node } from '@kubernetes/client-node';
import type { KubeObject } from '../manifest/index.ts';

export function loadKubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

const httpCode = (e: unknown): number | undefined => (e instanceof ApiException ? e.code : undefined);

async function ignoreConflict(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (httpCode(e) !== 409) throw e;
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
