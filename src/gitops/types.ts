/**
 * The `SlipwayApp` custom resource (slipway.dev/v1alpha1): an application that the slipway
 * controller keeps equal to a path of a git repository. Its CRD is generated from these TypeBox
 * types ({@link slipwayAppCrd}), so the types the controller reads and the schema the apiserver
 * enforces cannot drift apart.
 *
 * The kind is `SlipwayApp`, not `Application`: Argo CD's `applications.argoproj.io` (short names
 * `app`, `apps`) is often installed in the same cluster during a migration, and `kubectl get
 * application` / `kubectl get app` must keep meaning Argo CD's. `SlipwayApp` (short names `sapp`,
 * `sapps`) collides with nothing, and says whose it is in `kubectl get` output.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { KubeObject } from '../manifest/index.ts';
import { GROUP, structural } from '../rollout/index.ts';
import { NotificationsSchema } from './notify.ts';

const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'SlipwayApp';
export const PLURAL = 'slipwayapps';

/** Status lists are bounded: an app of 5,000 objects must not make a 5 MB status. */
export const MAX_HISTORY = 10;
export const MAX_RESOURCE_RESULTS = 100;
export const MAX_DRIFT_OBJECTS = 20;
export const MAX_DRIFT_FIELDS = 20;
export const MAX_DIFF_CHARS = 4096;
export const MAX_MESSAGE_CHARS = 4096;

const DURATION = '^([0-9]+(ms|s|m|h))+$';
const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
const Duration = (description: string) => Type.String({ pattern: DURATION, description });
const Int = (description: string, o: { minimum?: number; maximum?: number } = {}) => Type.Integer({ description, ...o });

const Source = Type.Object(
  {
    repoURL: Type.String({
      minLength: 1,
      maxLength: 2048,
      pattern: '^(https://|http://|ssh://|git@[^:]+:|file://)',
      description: 'The git repository: https://… (a token Secret), ssh://… or git@host:path (a key Secret with known_hosts), or file:///path (a repository on the controller\'s disk).',
    }),
    revision: Opt(
      Type.String({
        maxLength: 256,
        description: 'What to deploy: a branch (main), a tag (v1.4.0), a semver range over the tags (^1.4, >=2.0.0 <3), or a commit (40 hex digits). @default HEAD (the default branch)',
      }),
    ),
    path: Opt(
      Type.String({
        maxLength: 1024,
        pattern: '^[^/]',
        'x-kubernetes-validations': [{ rule: "!self.matches('(^|/)[.][.](/|$)')", message: 'path must stay inside the repository (no ..)' }],
        description: 'Directory in the repository, relative to its root: a slipway.yaml (rendered for env), a kustomization, or plain manifests (*.yaml, *.yml, *.json). @default . (the root)',
      }),
    ),
    env: Opt(Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'The environment a slipway.yaml is rendered for; also names the revision history (one per app and env). @default default' })),
    secretRef: Opt(
      Type.Object(
        { name: Type.String({ minLength: 1, maxLength: 253, description: 'A Secret in the app\'s namespace.' }) },
        {
          description:
            'Credentials: https with keys `password` (a token) and optionally `username` (default x-access-token); ssh with `sshPrivateKey` and `knownHosts` (required: host keys are always verified). Never logged or shown in a message.',
        },
      ),
    ),
  },
  { description: 'Where the desired state is.' },
);

const Destination = Type.Object(
  {
    cluster: Opt(Type.String({ minLength: 1, maxLength: 253, description: 'The cluster to deploy to: `in-cluster` (the controller\'s own). @default in-cluster' })),
    namespace: Opt(Type.String({ minLength: 1, maxLength: 63, description: 'Namespace of objects that set none, and of the revision history. @default the slipway.yaml\'s namespace, else the app\'s' })),
  },
  { description: 'Where the objects go.' },
);

const Retry = Type.Object(
  {
    limit: Opt(Int('Failed syncs of one revision retried at most this many times; then the app waits for a new revision or `slipway app sync`. @default 5', { minimum: 0, maximum: 100 })),
    backoff: Opt(
      Type.Object({
        duration: Opt(Duration('First retry delay. @default 5s')),
        factor: Opt(Int('Multiplier per retry. @default 2', { minimum: 1, maximum: 10 })),
        maxDuration: Opt(Duration('Longest retry delay. @default 3m')),
      }),
    ),
  },
  { description: 'Retries of a failed sync (and of an unreachable repository, without a limit).' },
);

const SyncPolicy = Type.Object(
  {
    automated: Opt(Type.Boolean({ description: 'Sync every new revision by itself; off: only `slipway app sync`. @default true' })),
    prune: Opt(Type.Boolean({ description: 'Delete objects an earlier revision deployed and this one does not; off: report them. @default false' })),
    selfHeal: Opt(Type.Boolean({ description: 'Repair drift (a change made in the cluster, not in git) as soon as it is seen; off: show OutOfSync with the diff. @default false' })),
    interval: Opt(Duration('How often the repository is checked for a new revision (with ±10% jitter). @default 3m')),
    timeout: Opt(Duration('A sync still running after this long ends as failed (the previous revision keeps running); later revisions are not blocked. @default 10m')),
    retry: Opt(Retry),
  },
  { description: 'When and how to sync.' },
);

const IgnoreDifference = Type.Object(
  {
    group: Opt(Type.String({ description: 'API group ("" or omitted: the core group and any group).' })),
    kind: Type.String({ minLength: 1 }),
    name: Opt(Type.String()),
    namespace: Opt(Type.String()),
    jsonPointers: Opt(Type.Array(Type.String({ pattern: '^/' }), { maxItems: 64, description: 'Fields never counted as drift, e.g. /spec/replicas.' })),
    managedFieldsManagers: Opt(Type.Array(Type.String({ minLength: 1 }), { maxItems: 32, description: 'Changes made by these field managers are never drift (they are not reverted either).' })),
  },
  { description: 'Differences that are not drift. Replicas set by an autoscaler and fields set by the slipway rollout controller never are, without configuration.' },
);

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/**
 * An environment of a promotion pipeline: each environment is its own SlipwayApp (its own env,
 * destination, cluster, sync policy and RBAC), and names the app of the environment before it.
 */
const Promotion = Type.Object(
  {
    pipeline: Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL, description: 'The pipeline this environment belongs to: `slipway promote <pipeline> --to <env>`, and `slipway app get` shows every environment of it.' }),
    from: Opt(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description:
          'The SlipwayApp (same namespace, same controller) of the environment before this one: the revision it runs Synced and Healthy, once it passed the gates (canaries promoted with analysis passed, soak, approval), becomes this app\'s target. Without: the first environment (its source.revision follows git).',
      }),
    ),
    soak: Opt(Duration('How long the revision must have run Synced and Healthy (canaries done) in `from` before it comes here. @default 0s')),
    approval: Opt(Type.String({ enum: ['Automatic', 'Manual'], description: 'Manual: a revision that passed the gates waits for `slipway promote <pipeline> --to <env>`. @default Automatic' })),
    writeBack: Opt(
      Type.Object(
        {
          branch: Opt(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$', description: 'The branch the pin file is committed to (created on the first write). Not the branch the pipeline follows: a commit there would be a new revision for the first environment. @default slipway/promotions' })),
          path: Opt(Type.String({ minLength: 1, maxLength: 1024, description: 'The pin file, relative to the repository root. @default .slipway/promotions/<pipeline>/<app>.yaml' })),
          author: Opt(Type.Object({ name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^<>\\n]+$' }), email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^<>\\s@]+@[^<>\\s@]+$' }) }, { description: 'The commit author. @default slipway-controller <slipway-controller@users.noreply.slipway.dev>' })),
        },
        { description: 'Write each promotion back to git: a commit of a small file pinning this environment\'s revision (who promoted what, from where), pushed with source.secretRef (which then needs write access). A failed push is reported (status.promotion.writeBack, Event WriteBackFailed) and retried with backoff; it never holds back the promotion in the cluster.' },
      ),
    ),
  },
  {
    description: 'Promotion between environments: this app deploys what the previous environment proved, not what git says.',
    'x-kubernetes-validations': [{ rule: 'has(self.from) || (!has(self.soak) && !has(self.approval) && !has(self.writeBack))', message: 'soak, approval and writeBack act on revisions coming from the previous environment: set promotion.from' }],
  },
);

const SlipwayAppSpec = Type.Object(
  {
    source: Source,
    destination: Opt(Destination),
    syncPolicy: Opt(SyncPolicy),
    ignoreDifferences: Opt(Type.Array(IgnoreDifference, { maxItems: 64 })),
    notifications: Opt(NotificationsSchema),
    promotion: Opt(Promotion),
  },
  {
    'x-kubernetes-validations': [
      { rule: '!has(self.promotion) || !has(self.promotion.from) || !has(self.source.revision)', message: 'source.revision comes from promotion.from: leave it out (the first environment of the pipeline follows git)' },
    ],
  },
);

const Condition = Type.Object({
  type: Type.String(),
  status: Type.String({ enum: ['True', 'False', 'Unknown'] }),
  reason: Type.String(),
  message: Type.String(),
  lastTransitionTime: Type.String(),
});

const ResourceResult = Type.Object({
  kind: Type.String(),
  namespace: Opt(Type.String()),
  name: Type.String(),
  action: Type.String({ description: 'created, configured, unchanged, replaced, skipped, pruned, failed.' }),
  message: Opt(Type.String()),
});

const SyncRecord = Type.Object({
  id: Type.Integer({ minimum: 1, description: 'Sync number, counting up.' }),
  revision: Type.String({ description: 'The commit synced.' }),
  trigger: Type.String({ description: 'auto (a new revision), selfHeal, manual (`slipway app sync`), rollback, resume (after a controller restart).' }),
  startedAt: Type.String(),
  finishedAt: Opt(Type.String()),
  phase: Type.String({ enum: ['Running', 'Succeeded', 'Failed'] }),
  message: Opt(Type.String()),
  attempt: Opt(Type.Integer({ minimum: 1, description: 'Consecutive attempt at this revision.' })),
  inventoryRevision: Opt(Type.Integer({ description: 'The revision number in `slipway history` (the inventory).' })),
  resources: Opt(Type.Array(ResourceResult, { maxItems: MAX_RESOURCE_RESULTS, description: 'What happened to each object (changed ones and failures first).' })),
  resourcesOmitted: Opt(Type.Integer({ minimum: 0, description: 'Object results left out of resources (bounded list).' })),
});

const FieldDrift = Type.Object({
  path: Type.String(),
  desired: Opt(Type.String()),
  live: Opt(Type.String()),
  by: Opt(Type.String({ description: 'The field managers that changed it.' })),
  reason: Opt(Type.String({ description: 'Why it is not drift: autoscaler, rollout, ignored.' })),
});

const ObjectDrift = Type.Object({
  kind: Type.String(),
  namespace: Opt(Type.String()),
  name: Type.String(),
  missing: Opt(Type.Boolean()),
  fields: Opt(Type.Array(FieldDrift, { maxItems: MAX_DRIFT_FIELDS })),
  diff: Opt(Type.String({ maxLength: MAX_DIFF_CHARS + 64, description: 'Unified diff live → desired (bounded).' })),
});

const PromotionRecord = Type.Object({
  revision: Type.String({ description: 'The commit promoted.' }),
  from: Type.String({ description: 'The SlipwayApp it came from.' }),
  fromEnvironment: Opt(Type.String()),
  at: Type.String({ description: 'When it became this app\'s target.' }),
  by: Type.String({ description: 'Who: the user who approved it (Manual), else the controller (Automatic).' }),
  approvedAt: Opt(Type.String()),
});

const PromotionStatus = Type.Object(
  {
    revision: Opt(Type.String({ description: 'The revision promoted here: this app\'s target.' })),
    current: Opt(PromotionRecord),
    gate: Opt(
      Type.Object(
        {
          revision: Opt(Type.String({ description: 'The candidate: what `from` runs (or failed to run).' })),
          phase: Type.String({ enum: ['Promoted', 'Waiting', 'Soaking', 'AwaitingApproval', 'Blocked'] }),
          reason: Type.String(),
          message: Type.String(),
          healthySince: Opt(Type.String({ description: 'Since when the candidate has run Synced and Healthy in `from` (the soak counts from it).' })),
          soakUntil: Opt(Type.String()),
          checkedAt: Opt(Type.String()),
        },
        { description: 'Where the next revision is on its way here, and why it stopped.' },
      ),
    ),
    approval: Opt(Type.Object({ id: Type.String(), revision: Type.String(), by: Type.String(), at: Type.String() }, { description: 'The last `slipway promote` approval seen.' })),
    history: Opt(Type.Array(PromotionRecord, { maxItems: MAX_HISTORY, description: 'The last promotions here, oldest first.' })),
    writeBack: Opt(
      Type.Object(
        {
          revision: Type.String({ description: 'The promoted revision written back (or being tried).' }),
          phase: Type.String({ enum: ['Succeeded', 'Failed'] }),
          commit: Opt(Type.String({ description: 'The commit on the branch that pins it.' })),
          branch: Type.String(),
          path: Type.String(),
          message: Opt(Type.String({ maxLength: 2048 })),
          failures: Opt(Type.Integer({ minimum: 0 })),
          nextAttemptAt: Opt(Type.String()),
          at: Type.String(),
        },
        { description: 'The last write-back of a promotion to git (spec.promotion.writeBack).' },
      ),
    ),
  },
  { description: 'Promotion into this environment (spec.promotion.from).' },
);

const SlipwayAppStatus = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  sync: Opt(
    Type.Object({
      status: Type.String({ enum: ['Synced', 'OutOfSync', 'Unknown'] }),
      revision: Opt(Type.String({ description: 'The commit the source resolves to now (the target).' })),
      ref: Opt(Type.String({ description: 'What the revision resolved through, e.g. refs/heads/main or refs/tags/v1.4.0.' })),
      checkedAt: Opt(Type.String({ description: 'When the repository was last checked.' })),
    }),
  ),
  health: Opt(Type.Object({ status: Type.String(), message: Opt(Type.String()) })),
  revision: Opt(Type.String({ description: 'The commit deployed (the last successful sync).' })),
  sourceDigest: Opt(Type.String({ description: 'Digest of the source and destination the deployed revision was synced with.' })),
  namespace: Opt(Type.String({ description: 'Where the deployed app\'s revision history (inventory) is: `slipway history --app <name> -n <namespace>`.' })),
  operation: Opt(SyncRecord),
  lastSync: Opt(SyncRecord),
  history: Opt(Type.Array(SyncRecord, { maxItems: MAX_HISTORY, description: 'The last syncs, oldest first.' })),
  drift: Opt(
    Type.Object({
      objects: Type.Array(ObjectDrift, { maxItems: MAX_DRIFT_OBJECTS }),
      total: Type.Integer({ minimum: 0, description: 'Objects drifted (objects may be longer than the list).' }),
      ignored: Opt(Type.Array(Type.Object({ kind: Type.String(), name: Type.String(), path: Type.String(), by: Opt(Type.String()), reason: Type.String() }), { maxItems: MAX_DRIFT_FIELDS, description: 'Differences that are not drift, and why.' })),
    }),
  ),
  prunable: Opt(
    Type.Array(Type.Object({ kind: Type.String(), namespace: Opt(Type.String()), name: Type.String() }), {
      maxItems: MAX_DRIFT_OBJECTS,
      description: 'Objects an earlier revision deployed that git no longer has, still in the cluster (prune off): `slipway app sync --prune` deletes them.',
    }),
  ),
  retry: Opt(
    Type.Object(
      {
        revision: Type.String(),
        digest: Opt(Type.String()),
        failures: Type.Integer({ minimum: 0 }),
        nextAttemptAt: Opt(Type.String()),
        exhausted: Opt(Type.Boolean({ description: 'No more automatic attempts at this revision: a new commit, or `slipway app sync`, tries again.' })),
      },
      { description: 'Failed syncs of the target revision.' },
    ),
  ),
  notified: Opt(Type.Array(Type.String(), { maxItems: 32, description: 'The last notifications sent (keys): a restarted controller does not send them again.' })),
  handledOperation: Opt(Type.String({ description: 'The last `slipway app sync|rollback` request handled.' })),
  promotion: Opt(PromotionStatus),
  conditions: Opt(Type.Array(Condition, { maxItems: 8 })),
});

export type SlipwayAppSpecT = Static<typeof SlipwayAppSpec>;
export type SlipwayAppStatusT = Static<typeof SlipwayAppStatus>;
export type SyncRecordT = Static<typeof SyncRecord>;
export type ObjectDriftT = Static<typeof ObjectDrift>;
export type IgnoreDifferenceT = Static<typeof IgnoreDifference>;
export type ConditionT = Static<typeof Condition>;
export type PromotionStatusT = Static<typeof PromotionStatus>;
export type PromotionRecordT = Static<typeof PromotionRecord>;

export interface SlipwayApp extends KubeObject {
  spec: SlipwayAppSpecT;
  status?: SlipwayAppStatusT;
}

/** A request of `slipway app sync|rollback`: a fresh `id` is handled once (status.handledOperation). */
export const OPERATION_ANNOTATION = 'slipway.dev/operation';
/** An approval of `slipway promote` (JSON: id, revision, by, at): a revision that passed the gates into a Manual environment. */
export const APPROVAL_ANNOTATION = 'slipway.dev/promotion-approval';
/** Deleting an app with this finalizer deletes what it deployed first (`slipway app delete`, the default). */
export const CASCADE_FINALIZER = 'slipway.dev/gitops-cascade';
/** The field manager of the GitOps controller's writes of SlipwayApps (status, finalizer). */
export const GITOPS_MANAGER = 'slipway-gitops';
export const IN_CLUSTER = 'in-cluster';

/** The CustomResourceDefinition of {@link KIND}: structural schema, status subresource, printer columns. */
export function slipwayAppCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'slipway' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: 'slipwayapp', shortNames: ['sapp', 'sapps'], categories: ['slipway'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Sync', type: 'string', jsonPath: '.status.sync.status' },
            { name: 'Health', type: 'string', jsonPath: '.status.health.status' },
            { name: 'Revision', type: 'string', jsonPath: '.status.revision' },
            { name: 'Promotion', type: 'string', jsonPath: '.status.promotion.gate.phase', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            { name: 'Repo', type: 'string', jsonPath: '.spec.source.repoURL', priority: 1 },
            { name: 'Path', type: 'string', jsonPath: '.spec.source.path', priority: 1 },
            { name: 'Message', type: 'string', jsonPath: '.status.lastSync.message', priority: 1 },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'An application the slipway controller keeps equal to a path of a git repository.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: structural(SlipwayAppSpec),
                status: structural(SlipwayAppStatus),
              },
            },
          },
        },
      ],
    },
  };
}
