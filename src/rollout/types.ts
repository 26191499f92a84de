/**
 * The `ServiceRollout` custom resource (slipway.dev/v1alpha1): one service's progressive release.
 * Its CRD is generated from these TypeBox types ({@link serviceRolloutCrd}), so the types the
 * controller reads and the schema the apiserver enforces cannot drift apart.
 *
 * The kind is `ServiceRollout`, not `Rollout` (Argo Rollouts) or `Canary` (Flagger): users run
 * those side by side during a migration, and `kubectl get rollout` must stay unambiguous.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { KubeObject } from '../manifest/index.ts';
import { AnalysisRunStatus, AnalysisSettings, CanaryJudgeSettings, CanaryJudgeStatus, DURATION_PATTERN, GateAnalysisSettings } from '../analysis/index.ts';

export const GROUP = 'slipway.dev';
const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'ServiceRollout';
export const PLURAL = 'servicerollouts';

/** An object the apiserver keeps as given (a pod template, Gateway parentRefs). */
const Preserved = (description: string) => Type.Unsafe<Record<string, unknown>>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description });
const Int = (description: string, o: { minimum?: number; maximum?: number } = {}) => Type.Integer({ description, ...o });
const Opt = <T extends TSchema>(t: T) => Type.Optional(t);

const PauseStep = Type.Object(
  { duration: Opt(Type.String({ pattern: '^([0-9]+(s|m|h))+$', description: 'How long to pause, e.g. 15m. Omitted: until `slipway rollout promote`.' })) },
  { description: 'Hold the current weight.' },
);

const CanaryScaleStep = Type.Object(
  {
    replicas: Opt(Int('Exact canary replicas.', { minimum: 0 })),
    weight: Opt(Int('Canary replicas as a percentage of the stable replicas.', { minimum: 0, maximum: 100 })),
    matchTrafficWeight: Opt(Type.Boolean({ description: 'Scale with the traffic weight again (the default).' })),
  },
  { description: 'Scale the canary independently of its traffic weight.' },
);

const HeaderRouteStep = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Header (or, with cookie: true, cookie) name.' }),
    value: Type.String({ description: 'Exact value that routes a request to the canary.' }),
  },
  { description: 'Send requests carrying this header to the canary, whatever the weight.' },
);

const AnalysisStep = Type.Object(
  {
    interval: Opt(Type.String({ pattern: DURATION_PATTERN, description: 'Overrides every metric\'s interval for this step.' })),
    count: Opt(Int('Overrides every metric\'s count for this step: conclusive measurements needed. @default 10', { minimum: 1 })),
    failureLimit: Opt(Int('Overrides every metric\'s failureLimit for this step.', { minimum: 0 })),
  },
  { description: 'Measure spec.strategy.canary.analysis.metrics until each has its verdict: a failure aborts in the same reconcile, success goes on. Without metrics, waits for a verdict in status.analysis. slipway never promotes on missing data.' },
);

const BlueGreen = Type.Object(
  {
    activeService: Type.String({ minLength: 1, description: 'The Service that carries production traffic; its selector is switched on promotion.' }),
    previewService: Type.String({ minLength: 1, description: 'The Service that selects the new version before promotion.' }),
    service: Preserved('The spec of both Services (ports, type, …) without a selector: the controller sets the selector.'),
    autoPromote: Opt(Type.Boolean({ description: 'Promote once the preview is ready (after autoPromotionSeconds). @default false' })),
    autoPromotionSeconds: Opt(Int('With autoPromote: how long the preview must be ready before it is promoted.', { minimum: 0 })),
    scaleDownDelaySeconds: Opt(Int('The previous version keeps its pods this long after promotion (after postPromotionAnalysis passed, when there is one); `slipway rollout undo` within it only switches the selector back. @default 30', { minimum: 0 })),
    progressDeadlineSeconds: Opt(Int('A preview not ready within this many seconds aborts the rollout. @default 600', { minimum: 1 })),
    prePromotionAnalysis: Opt(
      Type.Composite([GateAnalysisSettings], {
        description: 'Measured on the preview\'s pods once they are ready, before the active Service switches: a failure aborts (the active Service never moves); autoPromote waits for its success. `slipway rollout promote` switches by hand before it has its verdict.',
      }),
    ),
    postPromotionAnalysis: Opt(
      Type.Composite([GateAnalysisSettings], {
        description: 'Measured on the new active version\'s pods right after the switch, while the previous version keeps its pods: a failure switches the active Service back to the previous version (Degraded). The previous version is scaled down scaleDownDelaySeconds after it passed.',
      }),
    ),
  },
  { description: 'Blue-green: the new version runs at full scale behind the preview Service; promotion switches the active Service in one write.' },
);

const Step = Type.Object(
  {
    setWeight: Opt(Int('Percentage of traffic to the canary.', { minimum: 0, maximum: 100 })),
    pause: Opt(PauseStep),
    setCanaryScale: Opt(CanaryScaleStep),
    setHeaderRoute: Opt(HeaderRouteStep),
    analysis: Opt(AnalysisStep),
  },
  {
    description: 'Exactly one action.',
    'x-kubernetes-validations': [
      { rule: '[has(self.setWeight), has(self.pause), has(self.setCanaryScale), has(self.setHeaderRoute), has(self.analysis)].filter(x, x).size() == 1', message: 'a step has exactly one of setWeight, pause, setCanaryScale, setHeaderRoute, analysis' },
    ],
  },
);

const ServiceRolloutSpec = Type.Object({
  replicas: Opt(Int('Replicas of the stable version (the canary scales with its weight); set by an HPA through the scale subresource. @default 1', { minimum: 0 })),
  selector: Type.Object({ matchLabels: Type.Record(Type.String(), Type.String()) }, { description: 'Labels every pod of the service carries.' }),
  template: Preserved('The pod template of the desired version. A change of it (not of replicas) starts a canary.'),
  strategy: Type.Object(
    {
      canary: Opt(
        Type.Object({
          steps: Type.Array(Step, { minItems: 1, maxItems: 64 }),
          progressDeadlineSeconds: Opt(Int('A step waiting longer than this for canary pods to be ready aborts the rollout.', { minimum: 1 })),
          abortScaleDownDelaySeconds: Opt(Int('After an abort, the canary keeps its pods this long (traffic is already 100% stable).', { minimum: 0 })),
          analysis: Opt(AnalysisSettings),
          judge: Opt(CanaryJudgeSettings),
        }),
      ),
      blueGreen: Opt(BlueGreen),
    },
    { 'x-kubernetes-validations': [{ rule: 'has(self.canary) != has(self.blueGreen)', message: 'a strategy is exactly one of canary, blueGreen' }] },
  ),
  trafficRouting: Opt(
    Type.Object({
      gatewayAPI: Opt(
        Type.Object({
          parentRefs: Type.Array(Preserved('A Gateway API parentRef.'), { minItems: 1 }),
          hostnames: Opt(Type.Array(Type.String())),
          port: Int('The service port the route sends traffic to.', { minimum: 1, maximum: 65535 }),
        }),
      ),
      nginx: Opt(
        Type.Object(
          {
            stableIngress: Type.String({ minLength: 1, description: 'The Ingress (class nginx) that sends the service its traffic; the controller adds a canary Ingress next to it.' }),
            port: Int('The service port the Ingress sends traffic to.', { minimum: 1, maximum: 65535 }),
          },
          { description: 'NGINX Ingress: a canary Ingress with nginx.ingress.kubernetes.io/canary-weight (and canary-by-header for setHeaderRoute).' },
        ),
      ),
      istio: Opt(
        Type.Object(
          {
            hosts: Opt(Type.Array(Type.String({ minLength: 1 }), { description: '@default the service name' })),
            port: Int('The service port.', { minimum: 1, maximum: 65535 }),
          },
          { description: 'Istio (opt-in): a VirtualService weighting the stable and canary subsets of a DestinationRule, both named after the rollout.' },
        ),
      ),
    }),
  ),
  paused: Opt(Type.Boolean({ description: 'Hold the rollout where it is (`slipway rollout pause`/`resume`).' })),
  release: Opt(
    Type.Object(
      {
        id: Type.String({ minLength: 1, description: 'The release: the same for every service one deploy changed.' }),
        members: Type.Array(Type.String(), { maxItems: 256, description: 'Every ServiceRollout of the release.' }),
        after: Type.Array(Type.String(), { maxItems: 256, description: 'Members this one depends on (dependsOn): they are promoted before this one starts.' }),
      },
      { description: 'Several services released as one unit (set by `slipway deploy`): dependencies first; when one aborts, the members already promoted roll back in reverse order.' },
    ),
  ),
});

const Condition = Type.Object({
  type: Type.String(),
  status: Type.String({ enum: ['True', 'False', 'Unknown'] }),
  reason: Type.String(),
  message: Type.String(),
  lastTransitionTime: Type.String(),
});

const ServiceRolloutStatus = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  replicas: Opt(Type.Integer({ minimum: 0, description: 'Stable pods (the scale subresource reads it).' })),
  selector: Opt(Type.String({ description: 'Label selector of the pods, as a string (the scale subresource reads it).' })),
  phase: Opt(Type.String({ enum: ['Progressing', 'Paused', 'Healthy', 'Degraded'] })),
  strategy: Opt(Type.String()),
  currentStepIndex: Opt(Type.Integer({ minimum: 0 })),
  weight: Opt(Type.Integer({ minimum: 0, maximum: 100 })),
  stableRevision: Opt(Type.String()),
  canaryRevision: Opt(Type.String()),
  stableImage: Opt(Type.String()),
  canaryImage: Opt(Type.String()),
  pauseStartTime: Opt(Type.String()),
  stepStartTime: Opt(Type.String()),
  abortedRevision: Opt(Type.String()),
  abortReason: Opt(Type.String()),
  message: Opt(Type.String()),
  routing: Opt(Type.String({ description: 'How the weight is applied: gatewayAPI, or replicas (approximated by the replica ratio).' })),
  analysis: Opt(AnalysisRunStatus),
  backgroundAnalysis: Opt(AnalysisRunStatus),
  prePromotionAnalysis: Opt(AnalysisRunStatus),
  postPromotionAnalysis: Opt(AnalysisRunStatus),
  judge: Opt(CanaryJudgeStatus),
  headerRouteName: Opt(Type.String()),
  headerRouteValue: Opt(Type.String()),
  handledPromote: Opt(Type.String()),
  handledAbort: Opt(Type.String()),
  handledRetry: Opt(Type.String()),
  handledUndo: Opt(Type.String()),
  previousRevision: Opt(Type.String({ description: 'Blue-green: the version active before the last promotion, kept until scaleDownTime.' })),
  scaleDownTime: Opt(Type.String({ description: 'Blue-green: when the previous version loses its pods.' })),
  release: Opt(
    Type.Object(
      {
        id: Type.String(),
        previousRevision: Opt(Type.String()),
        previousTemplate: Opt(Preserved('The stable template before this release promoted, to roll back to.')),
      },
      { description: 'This rollout promoted in release `id`; until the release completes it can roll back to previousRevision.' },
    ),
  ),
  configGarbage: Opt(Type.Array(Type.String(), { maxItems: 128, description: 'Versioned ConfigMaps/Secrets (Kind/name) to delete once the promotion in progress completes.' })),
  previewReadyTime: Opt(Type.String({ description: 'Blue-green: when the preview became ready (autoPromotionSeconds counts from it).' })),
  conditions: Opt(Type.Array(Condition, { maxItems: 8 })),
});

export type StepT = Static<typeof Step>;
export type BlueGreenT = Static<typeof BlueGreen>;
export type ServiceRolloutSpecT = Static<typeof ServiceRolloutSpec>;
export type ServiceRolloutStatusT = Static<typeof ServiceRolloutStatus>;

export interface ServiceRollout extends KubeObject {
  spec: ServiceRolloutSpecT;
  status?: ServiceRolloutStatusT;
}

/** Annotations `slipway rollout promote|abort|retry` set: a fresh value is a new request, handled once (status.handled*). */
export const REQUEST_ANNOTATIONS = {
  promote: 'slipway.dev/promote',
  promoteFull: 'slipway.dev/promote-full',
  abort: 'slipway.dev/abort',
  retry: 'slipway.dev/retry',
  undo: 'slipway.dev/undo',
} as const;

/**
 * A JSON Schema from TypeBox as a structural CRD schema: `additionalProperties: false` dropped
 * (unknown fields are pruned anyway, and the apiserver refuses it next to `properties`),
 * `patternProperties` (a TypeBox Record) as `additionalProperties`, `$id`s gone.
 */
export function structural(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(structural);
  if (typeof s !== 'object' || s === null) return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$id' || (k === 'additionalProperties' && v === false)) continue;
    if (k === 'patternProperties' && typeof v === 'object' && v !== null) {
      // Type.Record: a map of any key; CRDs say that with additionalProperties.
      out['additionalProperties'] = structural(Object.values(v as Record<string, unknown>)[0]);
      continue;
    }
    out[k] = k === 'x-kubernetes-validations' || k === 'enum' ? v : structural(v);
  }
  return out;
}

/** The CustomResourceDefinition of {@link KIND}: structural schema, status subresource, printer columns. */
export function serviceRolloutCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'slipway' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: 'servicerollout', shortNames: ['srollout', 'sro'], categories: ['slipway'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
          additionalPrinterColumns: [
            { name: 'Strategy', type: 'string', jsonPath: '.status.strategy' },
            { name: 'Step', type: 'integer', jsonPath: '.status.currentStepIndex' },
            { name: 'Weight', type: 'integer', jsonPath: '.status.weight' },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'A progressive release of one service: canary steps through a traffic router, run by the slipway controller.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: structural(ServiceRolloutSpec),
                status: structural(ServiceRolloutStatus),
              },
            },
          },
        },
      ],
    },
  };
}
