/**
 * Reading and writing the inventory Secret with optimistic concurrency. Two deployers of one app
 * (a person and a controller) may run at once; each write carries the resourceVersion it was
 * based on, so the apiserver refuses (409) a write based on a stale read instead of silently
 * replacing the other run's revision. On a refusal the Secret is read again and the change is
 * applied on top of what the other run wrote: its revision stays, this run's is numbered after it.
 *
 *  - An existing Secret is written by server-side apply with `metadata.resourceVersion` in the
 *    body: the apiserver checks it as a precondition.
 *  - A new Secret is created with a POST (409 AlreadyExists when another run created it first),
 *    holding no revision objects: every `rev-<n>.json.gz` key is then written by server-side apply
 *    only, so that trimming a revision removes its key (a key also owned by the POST's manager
 *    would stay).
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#conflict-detection
 */
import { isSlipwayError } from '../errors/index.ts';
import type { KubeClient, LiveObject } from '../kube/index.ts';
import { decodeInventory, emptyInventory, encodeInventory, inventoryName, type Inventory } from './inventory.ts';
import type { SyncTarget } from './types.ts';

/** How many times a write is tried against a Secret that keeps changing under it. */
export const WRITE_ATTEMPTS = 5;

const secretId = (t: { namespace: string; app: string; env: string }): { apiVersion: string; kind: string; namespace: string; name: string } => ({
  apiVersion: 'v1',
  kind: 'Secret',
  namespace: t.namespace,
  name: inventoryName(t.app, t.env),
});

export async function readInventory(t: SyncTarget): Promise<Inventory> {
  const secret = await t.client.get(secretId(t));
  return secret ? decodeInventory(secret) : emptyInventory(t.app, t.env, t.namespace);
}

/**
 * `inv` as a read of the Secret it was written to returns it: revisions whose objects did not fit
 * in the size budget are left out, as encodeInventory leaves them out of the Secret. A caller
 * that keeps the inventory a run wrote (DeployOptions.onInventory) sees what it would read.
 */
export function storedInventory(inv: Inventory): Inventory {
  return decodeInventory(encodeInventory(inv));
}

const versionOf = (o: LiveObject): string | undefined => (typeof o.metadata['resourceVersion'] === 'string' ? o.metadata['resourceVersion'] : undefined);

/** One conditional write of `inv`; returns it with the Secret's new resourceVersion. Counts requests in `n`. */
async function writeOnce(client: KubeClient, inv: Inventory, n: { writes: number }): Promise<Inventory> {
  const secret = encodeInventory(inv);
  const data = (secret['data'] ?? {}) as Record<string, string>;
  let resourceVersion = inv.resourceVersion;
  if (resourceVersion === undefined) {
    const shell = Object.fromEntries(Object.entries(data).filter(([k]) => !k.startsWith('rev-')));
    n.writes++;
    resourceVersion = versionOf(await client.create({ ...secret, data: shell }));
    if (Object.keys(shell).length === Object.keys(data).length) return { ...inv, resourceVersion };
  }
  n.writes++;
  const written = await client.apply({ ...secret, metadata: { ...secret.metadata, ...(resourceVersion !== undefined ? { resourceVersion } : {}) } }, { force: true });
  return { ...inv, resourceVersion: versionOf(written) };
}

export interface Committed {
  /** The inventory as written (with its new resourceVersion). */
  readonly inventory: Inventory;
  /** How many times another run had written first. */
  readonly conflicts: number;
}

/**
 * Writes `change(base, false)`. When another run wrote since `base` was read, reads the Secret
 * again and writes `change(current, true)`, at most {@link WRITE_ATTEMPTS} times in all. `change`
 * must keep what `current` holds (the other run's revisions and prune set) and add this run's.
 * Throws the last conflict when every attempt lost the race, or any other error at once. Counts
 * write requests (refused ones included) in `n.writes`.
 */
export async function commitInventory(
  t: SyncTarget,
  base: Inventory,
  change: (current: Inventory, raced: boolean) => Inventory,
  n: { writes: number } = { writes: 0 },
): Promise<Committed> {
  let current = base;
  for (let attempt = 0; ; attempt++) {
    try {
      const inventory = await writeOnce(t.client, change(current, attempt > 0), n);
      return { inventory, conflicts: attempt };
    } catch (e) {
      if (!isSlipwayError(e) || e.kind !== 'conflict' || attempt + 1 >= WRITE_ATTEMPTS) throw e;
      current = await readInventory(t);
    }
  }
}
