/**
 * What `slipway app` needs beyond a kubeconfig: building a SlipwayApp from flags, reading one,
 * asking the controller for a sync or a rollback (the operation annotation, handled once), the
 * cascade finalizer, and waiting for a requested operation to end.
 */
import { randomUUID } from 'node:crypto';
import { conflict, inputError, notFound } from '../errors/index.ts';
import { InformerFactory, type KubeClient, type LiveObject } from '../kube/index.ts';
import { isCommit } from './revision.ts';
import { pipelineOrder } from './promotion.ts';
import { API_VERSION, APPROVAL_ANNOTATION, CASCADE_FINALIZER, KIND, OPERATION_ANNOTATION, type SlipwayApp, type SlipwayAppSpecT, type SyncRecordT } from './types.ts';

/** The field manager of `slipway app` writes. */
export const APP_CLI_MANAGER = 'slipway-app-cli';

export interface AppFlags {
  readonly name: string;
  readonly namespace: string;
  readonly repo: string;
  readonly revision?: string | undefined;
  readonly path?: string | undefined;
  readonly env?: string | undefined;
  readonly secret?: string | undefined;
  readonly destNamespace?: string | undefined;
  readonly destCluster?: string | undefined;
  readonly automated?: boolean | undefined;
  readonly prune?: boolean | undefined;
  readonly selfHeal?: boolean | undefined;
  readonly interval?: string | undefined;
  readonly timeout?: string | undefined;
  readonly retryLimit?: number | undefined;
  /** Delete what the app deployed when the app is deleted (the finalizer). */
  readonly cascade?: boolean | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** spec.promotion: the pipeline, the app of the environment before, its gates. */
  readonly pipeline?: string | undefined;
  readonly promoteFrom?: string | undefined;
  readonly soak?: string | undefined;
  readonly approval?: 'Automatic' | 'Manual' | undefined;
}

const DURATION = /^([0-9]+(ms|s|m|h))+$/;

/** spec.promotion from the flags of `slipway app create`; flags that make no sense together are input errors. */
function promotionOf(f: AppFlags): Pick<SlipwayAppSpecT, 'promotion'> {
  if ((f.promoteFrom !== undefined || f.soak !== undefined || f.approval !== undefined) && f.pipeline === undefined) throw inputError('--promote-from, --soak and --approval need --pipeline', { cause: undefined, expected: '--pipeline <name> (the pipeline the environments belong to)' });
  if ((f.soak !== undefined || f.approval !== undefined) && f.promoteFrom === undefined) throw inputError('--soak and --approval are gates on revisions from the previous environment: they need --promote-from', { cause: undefined, expected: '--promote-from <app>' });
  if (f.promoteFrom !== undefined && f.revision !== undefined) throw inputError('--revision and --promote-from exclude each other: a promoted environment deploys what the previous one proved', { cause: f.revision, expected: 'one of them' });
  return f.pipeline !== undefined ? { promotion: { pipeline: f.pipeline, ...(f.promoteFrom !== undefined ? { from: f.promoteFrom } : {}), ...(f.soak !== undefined ? { soak: f.soak } : {}), ...(f.approval !== undefined ? { approval: f.approval } : {}) } } : {};
}

/** A SlipwayApp from `slipway app create` flags; bad values are input errors before anything is sent. */
export function appObject(f: AppFlags): SlipwayApp {
  for (const [flag, v] of [['--interval', f.interval], ['--timeout', f.timeout], ['--soak', f.soak]] as const) {
    if (v !== undefined && !DURATION.test(v)) throw inputError(`${flag} ${v}: not a duration`, { cause: v, expected: 'a duration such as 30s, 3m or 1h' });
  }
  if (!/^(https?:\/\/|ssh:\/\/|git@[^:]+:|file:\/\/)/.test(f.repo)) throw inputError(`--repo ${f.repo}: not a repository URL slipway can fetch`, { cause: f.repo, expected: 'https://…, ssh://…, git@host:path or file:///path' });
  const policy = {
    ...(f.automated !== undefined ? { automated: f.automated } : {}),
    ...(f.prune !== undefined ? { prune: f.prune } : {}),
    ...(f.selfHeal !== undefined ? { selfHeal: f.selfHeal } : {}),
    ...(f.interval !== undefined ? { interval: f.interval } : {}),
    ...(f.timeout !== undefined ? { timeout: f.timeout } : {}),
    ...(f.retryLimit !== undefined ? { retry: { limit: f.retryLimit } } : {}),
  };
  const promotion = promotionOf(f);
  const destination = { ...(f.destCluster !== undefined ? { cluster: f.destCluster } : {}), ...(f.destNamespace !== undefined ? { namespace: f.destNamespace } : {}) };
  const spec: SlipwayAppSpecT = {
    source: {
      repoURL: f.repo,
      ...(f.revision !== undefined ? { revision: f.revision } : {}),
      ...(f.path !== undefined ? { path: f.path } : {}),
      ...(f.env !== undefined ? { env: f.env } : {}),
      ...(f.secret !== undefined ? { secretRef: { name: f.secret } } : {}),
    },
    ...(Object.keys(destination).length > 0 ? { destination } : {}),
    ...(Object.keys(policy).length > 0 ? { syncPolicy: policy } : {}),
    ...promotion,
  };
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: f.name,
      namespace: f.namespace,
      ...(f.labels && Object.keys(f.labels).length > 0 ? { labels: { ...f.labels } } : {}),
      ...(f.cascade !== false ? { finalizers: [CASCADE_FINALIZER] } : {}),
    },
    spec,
  };
}

export async function getApp(client: KubeClient, namespace: string, name: string): Promise<SlipwayApp> {
  const app = await client.get({ apiVersion: API_VERSION, kind: KIND, namespace, name });
  if (!app) throw notFound(`SlipwayApp ${namespace}/${name} not found`, { cause: undefined, hint: `\`slipway app list -n ${namespace}\` lists the apps` });
  return app as SlipwayApp;
}

export async function listApps(client: KubeClient, namespace: string | undefined): Promise<SlipwayApp[]> {
  return (await client.list({ apiVersion: API_VERSION, kind: KIND, namespace })) as SlipwayApp[];
}

export interface OperationInput {
  readonly type: 'sync' | 'rollback';
  readonly revision?: string | undefined;
  readonly prune?: boolean | undefined;
  readonly by?: string | undefined;
}

/**
 * Asks the controller for a sync (or a rollback to a history entry): a fresh operation id in the
 * annotation, handled once. Returns the id. A rollback of an app that syncs by itself is refused
 * (the next automatic sync would undo it) unless `disableAutoSync`, which turns it off in the same write.
 */
export async function requestOperation(client: KubeClient, app: SlipwayApp, op: OperationInput, o: { disableAutoSync?: boolean } = {}): Promise<string> {
  const automated = app.spec.syncPolicy?.automated ?? true;
  if (op.type === 'rollback' && automated && !o.disableAutoSync) {
    throw inputError(`SlipwayApp ${app.metadata.name ?? ''} syncs automatically: a rollback would be undone by the next sync`, {
      cause: undefined,
      hint: 'pass --disable-auto-sync (it sets spec.syncPolicy.automated: false; turn it on again once git is fixed), or revert the commit in git',
    });
  }
  const id = `${new Date().toISOString()}-${randomUUID().slice(0, 8)}`;
  const value = JSON.stringify({ id, type: op.type, ...(op.revision ? { revision: op.revision } : {}), ...(op.prune !== undefined ? { prune: op.prune } : {}), ...(op.by ? { by: op.by } : {}) });
  const spec = op.type === 'rollback' && o.disableAutoSync ? { spec: { syncPolicy: { automated: false } } } : {};
  await client.apply(
    { apiVersion: API_VERSION, kind: KIND, metadata: { name: app.metadata.name ?? '', namespace: app.metadata.namespace ?? 'default', annotations: { [OPERATION_ANNOTATION]: value } }, ...spec },
    { fieldManager: APP_CLI_MANAGER, force: true },
  );
  return id;
}

/** The history entry to roll back to: `id`, else the newest successful sync of another revision than the deployed one. */
export function rollbackTarget(app: SlipwayApp, id: number | undefined): SyncRecordT {
  const history = app.status?.history ?? [];
  if (id !== undefined) {
    const h = history.find((x) => x.id === id);
    if (!h) throw notFound(`sync ${id} is not in the history of ${app.metadata.name ?? ''}`, { cause: id, hint: `\`slipway app history ${app.metadata.name ?? ''}\` lists the last ${history.length} syncs` });
    if (!isCommit(h.revision)) throw inputError(`sync ${id} has no commit to roll back to`, { cause: h.revision });
    return h;
  }
  const deployed = app.status?.revision;
  const h = [...history].reverse().find((x) => x.phase === 'Succeeded' && x.revision !== deployed && isCommit(x.revision));
  if (!h) throw notFound(`no earlier successful sync of another revision in the history of ${app.metadata.name ?? ''}`, { cause: undefined, hint: '`slipway app history` lists the syncs; pass an ID' });
  return h;
}

/** Deletes the app; with `cascade`, first makes sure the finalizer is there, so that what it deployed goes too (without: it is removed, and the objects stay). */
export async function deleteApp(client: KubeClient, app: SlipwayApp, cascade: boolean): Promise<void> {
  const finalizers = (app.metadata as { finalizers?: string[] }).finalizers ?? [];
  const has = finalizers.includes(CASCADE_FINALIZER);
  if (cascade !== has) {
    const next = cascade ? [...finalizers, CASCADE_FINALIZER] : finalizers.filter((f) => f !== CASCADE_FINALIZER);
    try {
      await client.replace({ ...app, metadata: { ...app.metadata, finalizers: next } });
    } catch (e) {
      if ((e as { kind?: string }).kind === 'conflict') throw conflict(`SlipwayApp ${app.metadata.name ?? ''} changed while being deleted`, { cause: e, hint: 'run the command again' });
      throw e;
    }
  }
  await client.delete({ apiVersion: API_VERSION, kind: KIND, namespace: app.metadata.namespace, name: app.metadata.name ?? '' });
}

/**
 * Follows one app (an informer on it) until `done` says so, calling `onChange` on every change.
 * Resolves with the last object; undefined when the app was deleted (or the signal aborted first).
 */
export async function watchApp(client: KubeClient, namespace: string, name: string, onChange: (app: SlipwayApp) => boolean, signal: AbortSignal): Promise<SlipwayApp | undefined> {
  const factory = new InformerFactory(client);
  const inf = factory.informer({ apiVersion: API_VERSION, kind: KIND, namespace, fieldSelector: `metadata.name=${name}` });
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  signal.addEventListener('abort', stop, { once: true });
  let last: SlipwayApp | undefined;
  const result = new Promise<SlipwayApp | undefined>((resolve) => {
    const on = (o: LiveObject): void => {
      last = o as SlipwayApp;
      if (onChange(last)) resolve(last);
    };
    inf.on({ add: on, update: on, delete: () => resolve(undefined) });
    ac.signal.addEventListener('abort', () => resolve(last), { once: true });
  });
  factory.start(ac.signal);
  // Gone already (no add will come): said at once.
  void inf.waitForSync(ac.signal).then(() => {
    if (!ac.signal.aborted && inf.list().length === 0) ac.abort();
  });
  try {
    return await result;
  } finally {
    ac.abort();
    signal.removeEventListener('abort', stop);
  }
}

/**
 * Who runs this command, as the apiserver authenticated them (a SelfSubjectReview, Kubernetes
 * 1.28+); the kubeconfig context's name when the apiserver cannot say.
 */
export async function whoAmI(client: KubeClient): Promise<string> {
  try {
    const r = await client.create({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} });
    const name = (r['status'] as { userInfo?: { username?: string } } | undefined)?.userInfo?.username;
    if (name) return name;
  } catch {
    // An older apiserver, or no permission: the context names the user as well as we can.
  }
  return `${client.transport.contextName} (kubeconfig context)`;
}

/** The environments of `pipeline` in the namespace, in order (first: the one without `promotion.from`). */
export async function pipelineApps(client: KubeClient, namespace: string, pipeline: string): Promise<SlipwayApp[]> {
  return pipelineOrder((await listApps(client, namespace)).filter((a) => a.spec.promotion?.pipeline === pipeline));
}

/** The app of environment `env` (its source.env, or its name) in a pipeline's apps; input errors say what exists. */
export function environmentOf(apps: readonly SlipwayApp[], pipeline: string, env: string, namespace: string): SlipwayApp {
  if (apps.length === 0) throw notFound(`no SlipwayApp of pipeline "${pipeline}" in namespace ${namespace}`, { cause: undefined, hint: 'a pipeline is the SlipwayApps with spec.promotion.pipeline set to its name (docs/gitops.md#promotion)' });
  const found = apps.filter((a) => (a.spec.source.env ?? 'default') === env || a.metadata.name === env);
  const names = apps.map((a) => `${a.spec.source.env ?? 'default'} (${a.metadata.name ?? ''})`).join(' → ');
  if (found.length === 0) throw notFound(`pipeline "${pipeline}" has no environment "${env}"`, { cause: env, hint: `its environments: ${names}` });
  if (found.length > 1) throw inputError(`pipeline "${pipeline}" has ${found.length} environments "${env}"`, { cause: env, expected: 'the SlipwayApp name of the one meant', hint: `its environments: ${names}` });
  const app = found[0] as SlipwayApp;
  if (!app.spec.promotion?.from) throw inputError(`${env} (${app.metadata.name ?? ''}) is the first environment of pipeline "${pipeline}": its revisions come from git, not from a promotion`, { cause: env, expected: 'an environment with spec.promotion.from', hint: `its environments: ${names}` });
  return app;
}

/** Records an approval of `revision` into `app` (the annotation, handled by the controller); returns its id. */
export async function requestApproval(client: KubeClient, app: SlipwayApp, revision: string, by: string): Promise<string> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const id = `${at}-${randomUUID().slice(0, 8)}`;
  await client.apply(
    { apiVersion: API_VERSION, kind: KIND, metadata: { name: app.metadata.name ?? '', namespace: app.metadata.namespace ?? 'default', annotations: { [APPROVAL_ANNOTATION]: JSON.stringify({ id, revision, by, at }) } } },
    { fieldManager: APP_CLI_MANAGER, force: true },
  );
  return id;
}
