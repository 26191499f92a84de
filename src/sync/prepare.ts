/**
 * Turns desired objects into prepared ones (namespace defaulted, slipway labels, REST mapping,
 * stage) and takes a snapshot of the live objects with one LIST per kind and namespace (or from a
 * controller's informers), so that a no-change deploy costs a handful of requests instead of one
 * per object.
 */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { FieldPath, KubeObject } from '../manifest/index.ts';
import type { Model } from './health.ts';
import { InputErrors, inputError, notFound, type SlipwayError } from '../errors/index.ts';
import type { KubeClient, LiveObject } from '../kube/index.ts';
import { idKey, idOf } from './inventory.ts';
import { stageOf } from './stages.ts';
import type { DeployEvent, DesiredObject, LiveCache, PreparedObject } from './types.ts';
import { mapLimit } from './pool.ts';

export const LABEL_APP = 'slipway.dev/app';
const LABEL_ENV = 'slipway.dev/env';
const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

interface PrepareInput {
  readonly client: KubeClient;
  readonly app: string;
  readonly env: string;
  readonly namespace: string;
  readonly objects: readonly DesiredObject[];
  readonly skipMissingCrds: boolean;
  readonly onEvent: (e: DeployEvent) => void;
}

function group(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

/** CRDs in this deploy, by `group/Kind`, with their scope: kinds that will be served after stage 0. */
function pendingKinds(objects: readonly DesiredObject[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const { object } of objects) {
    if (object.kind !== 'CustomResourceDefinition') continue;
    const spec = (object as Model<V1CustomResourceDefinition>).spec;
    if (spec?.group && spec.names?.kind) out.set(`${spec.group}/${spec.names.kind}`, spec.scope === 'Namespaced');
  }
  return out;
}

function withLabels(o: KubeObject, app: string, env: string, namespace: string | undefined): KubeObject {
  const metadata = { ...o.metadata, labels: { [LABEL_MANAGED_BY]: 'slipway', ...o.metadata.labels, [LABEL_APP]: app, [LABEL_ENV]: env } };
  if (namespace !== undefined) metadata.namespace = namespace;
  else delete metadata.namespace;
  return { ...o, metadata };
}

export interface Prepared {
  readonly objects: PreparedObject[];
  readonly skipped: { readonly object: KubeObject; readonly reason: string }[];
}

/** Fills namespaces, adds labels, maps kinds; collects every input problem before failing. */
export async function prepare(p: PrepareInput): Promise<Prepared> {
  const pending = pendingKinds(p.objects);
  // Objects in a Namespace this deploy creates cannot be dry-run before stage 0 (they are deferred);
  // in one that already exists they can, and take the no-drift fast path.
  const declared = p.objects.filter((d) => d.object.kind === 'Namespace').map((d) => d.object.metadata.name ?? '');
  // Unknown (e.g. no permission to read Namespaces) counts as new: deferring is always safe.
  const exists = await Promise.all(declared.map((name) => p.client.get({ apiVersion: 'v1', kind: 'Namespace', name }).then((ns) => ns !== undefined, () => false)));
  const newNamespaces = new Set(declared.filter((_, i) => exists[i] !== true));
  const problems: SlipwayError[] = [];
  const skipped: Prepared['skipped'] = [];
  const seen = new Map<string, DesiredObject>();
  const mapped = await mapLimit(p.objects, 8, async (d) => ({ d, info: await p.client.mapper.lookup(d.object.apiVersion, d.object.kind) }));
  const out: PreparedObject[] = [];
  for (const { d, info } of mapped) {
    const o = d.object;
    const where = (path: FieldPath): { position?: ReturnType<NonNullable<DesiredObject['positionOf']>> } => (d.positionOf ? { position: d.positionOf(path) } : {});
    if (!o.metadata.name) {
      problems.push(inputError(`${o.kind} has no metadata.name`, { cause: o, ...where(['metadata']), expected: 'metadata.name', hint: 'every object needs a name' }));
      continue;
    }
    const crdScope = pending.get(`${group(o.apiVersion)}/${o.kind}`);
    if (!info && crdScope === undefined) {
      const reason = `${o.kind} (${o.apiVersion}) is not served by the cluster and no CRD for it is part of this deploy`;
      if (!p.skipMissingCrds) {
        problems.push(notFound(reason, { cause: o, ...where(['kind']), hint: 'install its CRD first, or drop --no-skip-missing-crds to skip it with a warning' }));
        continue;
      }
      skipped.push({ object: o, reason });
      p.onEvent({ type: 'warning', message: `skipping ${o.kind}/${o.metadata.name}: ${reason}` });
      continue;
    }
    const namespaced = info ? info.namespaced : crdScope === true;
    const object = withLabels(o, p.app, p.env, namespaced ? (o.metadata.namespace ?? p.namespace) : undefined);
    const id = idOf(object);
    const key = idKey(id);
    if (seen.has(key)) {
      problems.push(inputError(`${key} is defined twice`, { cause: o, ...where(['metadata', 'name']), hint: 'each object may appear only once in a deploy' }));
      continue;
    }
    seen.set(key, d);
    const ns = object.metadata.namespace;
    const deferred = !info || (ns !== undefined && newNamespaces.has(ns));
    out.push({ object, id, key, stage: stageOf(o.kind, !namespaced), info, deferred, ...(d.positionOf ? { positionOf: d.positionOf } : {}) });
  }
  if (problems.length > 0) throw new InputErrors(problems, problems[0]);
  return { objects: out, skipped };
}

/**
 * Live objects for `objects`, keyed like {@link idKey}: one LIST per (kind, namespace), restricted
 * to this app's label. Objects without the label (not yet adopted) are simply absent here and get
 * compared through a dry-run instead.
 *
 * Given a cache kept by watches (`live`, a controller's informers), the kinds it holds are read
 * from it instead of listed: at 1,000 GitOps applications the snapshot LISTs were ~9,000 of the
 * ~39,600 requests of a cold start. The cache may lag behind the apiserver (a watch delivers a
 * change some milliseconds after it; longer while it is down and the informer backs off, and the
 * controller's drift detection trusts it just the same then); what a lagging view can do:
 *  - show an object that differs from the desired one although live now matches: the object is
 *    dry-run (and perhaps re-applied with no effect), as without the cache: a request, not a harm;
 *  - show an object that matches although live no longer does (changed by someone else since):
 *    the object is skipped as unchanged (no dry-run, no write) or, after a dry-run, compared
 *    with that older copy. That is what a LIST a moment earlier would have done too, and the
 *    change is on its way: when its watch event arrives it queues the app again (the controller's
 *    drift detection reads the same informers), and the next sync repairs it, as for any change
 *    made right after a sync ends;
 *  - miss an object just created: the dry-run tells it exists, and it is read with a GET.
 * The post-deploy verification tells a workload's new pods by the snapshot ("before this run
 * wrote"): from the cache, that is the workload as last seen, as a LIST a moment earlier shows it.
 */
export async function snapshot(client: KubeClient, objects: readonly PreparedObject[], app: string, concurrency: number, live?: LiveCache): Promise<Map<string, LiveObject>> {
  const groups = new Map<string, { apiVersion: string; kind: string; namespace: string | undefined }>();
  for (const o of objects) {
    if (!o.info) continue;
    const ns = o.info.namespaced ? o.id.namespace : undefined;
    groups.set(`${o.id.apiVersion}|${o.id.kind}|${ns ?? ''}`, { apiVersion: o.id.apiVersion, kind: o.id.kind, namespace: ns });
  }
  const cached: (readonly LiveObject[])[] = [];
  const toList: { apiVersion: string; kind: string; namespace: string | undefined }[] = [];
  for (const g of groups.values()) {
    const hit = live?.list({ apiVersion: g.apiVersion, kind: g.kind, namespace: g.namespace, app });
    if (hit !== undefined && hit !== 'uncached') cached.push(hit);
    else toList.push(g);
  }
  const lists = await mapLimit(toList, concurrency, (g) =>
    client.list({ apiVersion: g.apiVersion, kind: g.kind, namespace: g.namespace, labelSelector: `${LABEL_APP}=${app}` }).catch((e: unknown) => {
      // A namespace that does not exist yet lists as empty, not as an error.
      if ((e as SlipwayError).kind === 'not-found') return [];
      throw e;
    }),
  );
  const out = new Map<string, LiveObject>();
  for (const items of [...cached, ...lists]) for (const it of items) out.set(idKey(idOf(it)), it);
  return out;
}
