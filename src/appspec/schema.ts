/**
 * The app spec (`slipway.yaml`), defined once as a TypeBox schema. The TypeScript types, the
 * JSON Schema printed by `slipway schema` (editor completion) and validation all come from here.
 *
 * Design rules: short forms for the common case (`image: repo:tag`, `dependsOn: [postgres]`),
 * long forms for everything else; every object is closed (`additionalProperties: false`) so a
 * misspelled key is an error, never silently ignored.
 */
import { Type, type Static, type TSchema, type TObject, type TOptional, type TProperties } from '@sinclair/typebox';

const K8S = 'https://kubernetes.io/docs';

/** Largest value of a Kubernetes int32 field (replicas, probe timings, ports…): the apiserver rejects more. */
export const INT32_MAX = 2_147_483_647;
type IntOptions = { readonly minimum?: number; readonly maximum?: number; readonly description?: string };
/** An int32 field: an integer the apiserver accepts (a YAML `1e400` or `2147483648` is an error here, not a rendered `.inf`). */
function Int32(o: IntOptions = {}): ReturnType<typeof Type.Integer> {
  return Type.Integer({ maximum: INT32_MAX, ...o });
}
/**
 * An int64 field (seconds, user ids): bounded to the integers a JSON number holds exactly, so the
 * rendered value is the digits written (`1e300` would print as `1.e+300`).
 */
function Int64(o: IntOptions = {}): ReturnType<typeof Type.Integer> {
  return Type.Integer({ maximum: Number.MAX_SAFE_INTEGER, ...o });
}

/** A closed object: unknown keys are errors. */
function Obj<T extends TProperties>(props: T, description: string): TObject<T> {
  return Type.Object(props, { additionalProperties: false, description });
}
function Opt<T extends TSchema>(s: T): TOptional<T> {
  // TypeBox's overloads resolve to TAddOptional<T>, which is TOptional<T> for a plain schema.
  return Type.Optional(s) as TOptional<T>;
}

/**
 * Options for a record keyed by a pattern: TypeBox emits only `patternProperties`, which lets a
 * key that does not match (a service named `API`) through unchecked; closing it makes that an error.
 */
const Closed = { additionalProperties: false } as const;

/** DNS-1123 label: what Kubernetes accepts as a Service / object name. */
const Name = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  maxLength: 63,
  description: 'A DNS-1123 label: lowercase letters, digits and "-", starting and ending alphanumeric.',
});

/** A Kubernetes quantity such as `500m`, `1.5`, `256Mi`, `10Gi`. @see K8S/reference/kubernetes-api/common-definitions/quantity/ */
const Quantity = Type.Union([
  Type.String({
    pattern: '^[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$',
    description: `A Kubernetes quantity, e.g. 250m, 1, 512Mi, 10Gi. See ${K8S}/reference/kubernetes-api/common-definitions/quantity/`,
  }),
  Type.Number({ minimum: 0, description: 'A quantity as a plain number, e.g. 0.5 or 2.' }),
]);

/** A duration like `30s`, `5m`, `1h30m` (Go/Prometheus style). */
const Duration = Type.String({
  pattern: '^([0-9]+(ms|s|m|h))+$',
  description: 'A duration: a number with a unit ms, s, m or h, e.g. 30s, 5m, 1h30m.',
});

/** A port by name (as declared in `ports`) or by number. */
const PortRef = Type.Union([Int32({ minimum: 1, maximum: 65535 }), Name], {
  description: 'A port: its name from `ports`, or its number.',
});

const ImageRef = Type.Union(
  [
    Type.String({
      minLength: 1,
      description: 'Image reference: `repository:tag` or `repository@sha256:digest`.',
    }),
    Obj(
      {
        repository: Type.String({ minLength: 1, description: 'Image repository, e.g. ghcr.io/acme/api.' }),
        tag: Opt(Type.String({ minLength: 1, description: 'Image tag. Ignored for pulling when `digest` is set.' })),
        digest: Opt(Type.String({ pattern: '^sha256:[a-f0-9]{64}$', description: 'Image digest (sha256:…); pins the exact image.' })),
        pullPolicy: Opt(
          Type.Union([Type.Literal('Always'), Type.Literal('IfNotPresent'), Type.Literal('Never')], {
            description: `@default IfNotPresent. See ${K8S}/concepts/containers/images/#image-pull-policy`,
          }),
        ),
      },
      'Image as parts; environments usually override only `tag`.',
    ),
  ],
  { description: `The container image. See ${K8S}/concepts/containers/images/` },
);

const Port = Obj(
  {
    name: Name,
    port: Int32({ minimum: 1, maximum: 65535, description: 'Container port.' }),
    servicePort: Opt(Int32({ minimum: 1, maximum: 65535, description: 'Port on the Service. @default same as `port`.' })),
    protocol: Opt(
      Type.Union([Type.Literal('TCP'), Type.Literal('UDP'), Type.Literal('SCTP')], {
        description: `@default TCP. See ${K8S}/concepts/services-networking/service/#protocol-support`,
      }),
    ),
    appProtocol: Opt(
      Type.String({ description: `Application protocol hint (http, grpc, ws, kafka …). See ${K8S}/concepts/services-networking/service/#application-protocol` }),
    ),
  },
  'A port the container listens on.',
);

const EnvValue = Type.Union(
  [
    Type.String({ description: 'A literal value. Never put secret values here: use `secret:`.' }),
    Type.Number(),
    Type.Boolean(),
    Obj({ configMap: Name, key: Type.String({ minLength: 1 }), optional: Opt(Type.Boolean()) }, 'Value of a ConfigMap key.'),
    Obj(
      { secret: Name, key: Type.String({ minLength: 1 }), optional: Opt(Type.Boolean()) },
      `Value of a Secret key. slipway references Secrets and never renders their values. See ${K8S}/concepts/configuration/secret/#using-secrets-as-environment-variables`,
    ),
    Obj({ field: Type.String({ description: 'Downward API field path, e.g. status.podIP, metadata.name.' }) }, `Downward API field. See ${K8S}/concepts/workloads/pods/downward-api/`),
  ],
  { description: 'An environment variable value.' },
);

const ConfigFile = Obj(
  {
    path: Type.String({ pattern: '^/', description: 'Absolute path of the file in the container.' }),
    content: Opt(Type.String({ description: 'Inline file content (stored in a generated ConfigMap).' })),
    configMap: Opt(Type.Union([Name], { description: 'Take the file from this ConfigMap (from `configMaps:` or existing).' })),
    key: Opt(Type.String({ description: 'Key in `configMap`. @default the file name of `path`.' })),
    secret: Opt(Type.Union([Name], { description: 'Take the file from this Secret (mounted read-only, value never rendered).' })),
  },
  'A config file mounted into the container. Exactly one of content, configMap, secret.',
);

const ResourceList = Obj(
  { cpu: Opt(Quantity), memory: Opt(Quantity), 'ephemeral-storage': Opt(Quantity) },
  'Resource quantities.',
);
const Resources = Obj(
  {
    requests: Opt(ResourceList),
    limits: Opt(ResourceList),
  },
  `Requests and limits. @default requests cpu 100m / memory 128Mi, limits memory 256Mi. See ${K8S}/concepts/configuration/manage-resources-containers/`,
);

const ProbeTiming = {
  initialDelaySeconds: Opt(Int32({ minimum: 0, description: '@default 0' })),
  periodSeconds: Opt(Int32({ minimum: 1, description: '@default 10' })),
  timeoutSeconds: Opt(Int32({ minimum: 1, description: '@default 1' })),
  failureThreshold: Opt(Int32({ minimum: 1, description: '@default 3' })),
  successThreshold: Opt(Int32({ minimum: 1, description: '@default 1 (must be 1 for liveness and startup)' })),
};
const Probe = Obj(
  {
    http: Opt(Obj({ path: Type.String({ pattern: '^/' }), port: PortRef, scheme: Opt(Type.Union([Type.Literal('HTTP'), Type.Literal('HTTPS')])) }, 'HTTP GET probe.')),
    tcp: Opt(Obj({ port: PortRef }, 'TCP socket probe.')),
    exec: Opt(Obj({ command: Type.Array(Type.String(), { minItems: 1 }) }, 'Command probe; exit 0 is healthy.')),
    grpc: Opt(Obj({ port: Int32({ minimum: 1, maximum: 65535 }), service: Opt(Type.String()) }, 'gRPC health-checking protocol probe.')),
    ...ProbeTiming,
  },
  `A probe: exactly one of http, tcp, exec, grpc. See ${K8S}/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/`,
);
const Probes = Obj(
  {
    readiness: Opt(Type.Union([Probe, Type.Literal(false)], { description: '@default a TCP probe on the first port (an HTTP probe when the first port is named http).' })),
    liveness: Opt(Type.Union([Probe, Type.Literal(false)], { description: '@default none: a bad liveness probe restarts healthy pods.' })),
    startup: Opt(Probe),
  },
  'Readiness, liveness and startup probes.',
);

const ScalingPolicy = Obj(
  {
    type: Type.Union([Type.Literal('Pods'), Type.Literal('Percent')]),
    value: Int32({ minimum: 1 }),
    periodSeconds: Int32({ minimum: 1, maximum: 1800 }),
  },
  'A scaling policy.',
);
const ScalingRules = Obj(
  {
    stabilizationWindowSeconds: Opt(Int32({ minimum: 0, maximum: 3600 })),
    selectPolicy: Opt(Type.Union([Type.Literal('Max'), Type.Literal('Min'), Type.Literal('Disabled')])),
    policies: Opt(Type.Array(ScalingPolicy)),
  },
  `Scale-up or scale-down behavior. See ${K8S}/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior`,
);
const CustomMetric = Type.Union(
  [
    Obj(
      {
        pods: Obj(
          { name: Type.String({ minLength: 1 }), averageValue: Quantity, selector: Opt(Type.Record(Type.String(), Type.String())) },
          'A per-pod metric (e.g. active websocket connections), averaged over pods.',
        ),
      },
      'Pods metric.',
    ),
    Obj(
      {
        external: Obj(
          {
            name: Type.String({ minLength: 1 }),
            selector: Opt(Type.Record(Type.String(), Type.String())),
            value: Opt(Quantity),
            averageValue: Opt(Quantity),
          },
          'A metric from outside the cluster (queue length, consumer lag). Exactly one of value, averageValue.',
        ),
      },
      'External metric.',
    ),
  ],
  { description: `A custom metric for the HPA. See ${K8S}/tasks/run-application/horizontal-pod-autoscale-walkthrough/#autoscaling-on-multiple-metrics-and-custom-metrics` },
);
const Autoscaling = Obj(
  {
    min: Int32({ minimum: 1, description: 'Minimum replicas.' }),
    max: Int32({ minimum: 1, description: 'Maximum replicas.' }),
    cpu: Opt(Int32({ minimum: 1, maximum: 1000, description: 'Target average CPU utilization, percent of requests.' })),
    memory: Opt(Int32({ minimum: 1, maximum: 1000, description: 'Target average memory utilization, percent of requests.' })),
    metrics: Opt(Type.Array(CustomMetric)),
    behavior: Opt(Obj({ scaleUp: Opt(ScalingRules), scaleDown: Opt(ScalingRules) }, 'HPA behavior.')),
  },
  `HorizontalPodAutoscaler v2. @default cpu 80 when no target is given. See ${K8S}/tasks/run-application/horizontal-pod-autoscale/`,
);

const Tls = Type.Union(
  [
    Obj({ secretName: Name }, 'Use an existing TLS Secret.'),
    Obj(
      {
        issuer: Name,
        issuerKind: Opt(Type.Union([Type.Literal('ClusterIssuer'), Type.Literal('Issuer')], { description: '@default ClusterIssuer' })),
        secretName: Opt(Name),
      },
      'Have cert-manager issue the certificate.',
    ),
  ],
  { description: `TLS for the exposed host. See ${K8S}/concepts/services-networking/ingress/#tls` },
);
const Exposure = Obj(
  {
    type: Opt(
      Type.Union([Type.Literal('internal'), Type.Literal('ingress'), Type.Literal('gateway')], {
        description: '@default internal when no host is set, ingress when a host is set.',
      }),
    ),
    host: Opt(Type.String({ pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', description: 'Public host name.' })),
    path: Opt(Type.String({ pattern: '^/', description: '@default /' })),
    port: Opt(PortRef),
    tls: Opt(Tls),
    className: Opt(Type.String({ description: `IngressClass name. See ${K8S}/concepts/services-networking/ingress/#ingress-class` })),
    rateLimit: Opt(
      Obj(
        { rps: Int32({ minimum: 1 }), burst: Opt(Int32({ minimum: 1 })) },
        'Requests per second per client IP (ingress-nginx annotations).',
      ),
    ),
    gateway: Opt(
      Obj(
        { name: Name, namespace: Opt(Name), sectionName: Opt(Type.String()) },
        'Parent Gateway for the HTTPRoute. See https://gateway-api.sigs.k8s.io/api-types/httproute/',
      ),
    ),
    ingressController: Opt(
      Obj(
        { namespace: Name, podLabels: Opt(Type.Record(Type.String(), Type.String())) },
        'Where the ingress controller runs, for the NetworkPolicy allowing its traffic. @default namespace ingress-nginx.',
      ),
    ),
  },
  'How the service is reached: internal only, through an Ingress, or a Gateway API HTTPRoute.',
);

const Dependency = Type.Union(
  [
    Name,
    Obj({ service: Name, port: Opt(PortRef) }, 'A service this one calls, and on which port (@default its first port).'),
  ],
  { description: 'A service this one calls: becomes a NetworkPolicy egress/ingress edge and startup ordering.' },
);

const Volume = Obj(
  {
    name: Name,
    mountPath: Type.String({ pattern: '^/' }),
    size: Opt(Quantity),
    storageClass: Opt(Type.String()),
    accessModes: Opt(Type.Array(Type.Union([Type.Literal('ReadWriteOnce'), Type.Literal('ReadOnlyMany'), Type.Literal('ReadWriteMany'), Type.Literal('ReadWriteOncePod')]))),
    type: Opt(Type.Union([Type.Literal('persistent'), Type.Literal('emptyDir')], { description: '@default persistent' })),
  },
  `A volume. Persistent volumes make the service a StatefulSet with a PVC per replica. See ${K8S}/concepts/storage/persistent-volumes/`,
);

const Percent = Type.Union([Int32({ minimum: 0 }), Type.String({ pattern: '^[0-9]+%$' })]);
const CanaryStep = Type.Union([
  Obj({ setWeight: Int32({ minimum: 0, maximum: 100 }) }, 'Send this percent of traffic to the canary.'),
  Obj({ pause: Obj({ duration: Opt(Duration) }, 'Pause; without duration, until promoted.') }, 'Pause.'),
  Obj(
    {
      analysis: Obj(
        {
          interval: Opt({ ...Duration, description: 'Time between measurements. @default 1s' }),
          count: Opt(Int32({ minimum: 1, description: 'Passing measurements needed. @default 10' })),
          failureLimit: Opt(Int32({ minimum: 0, description: 'Failed measurements tolerated. @default 0' })),
        },
        'Check the SLOs (slo.successRate, slo.latencyP95Ms) on the canary\'s pods in Prometheus; a failure aborts at once, too little traffic is never a pass.',
      ),
    },
    'Analysis.',
  ),
  Obj(
    {
      setCanaryScale: Obj(
        {
          replicas: Opt(Int32({ minimum: 0, description: 'Exact canary replicas.' })),
          weight: Opt(Int32({ minimum: 0, maximum: 100, description: 'Canary replicas as a percentage of the stable replicas.' })),
          matchTrafficWeight: Opt(Type.Boolean({ description: 'Scale with the traffic weight again (the default).' })),
        },
        'Scale the canary independently of its traffic weight.',
      ),
    },
    'Canary scale.',
  ),
  Obj(
    { setHeaderRoute: Obj({ name: Type.String({ minLength: 1, description: 'Header name.' }), value: Type.String({ description: 'Exact value.' }) }, 'Requests carrying this header go to the canary whatever the weight, so testers try a release before any user sees it (Gateway API header match, NGINX canary-by-header, Istio match).') },
    'Header route.',
  ),
]);
export const CanarySteps = Type.Array(CanaryStep, { minItems: 1 });

const OnProblem = (what: string) => Type.Union([Type.Literal('pause'), Type.Literal('abort')], { description: `${what} @default pause` });
/** One metric of the statistical judge (src/analysis canary-judge.ts has the same shape for the ServiceRollout). */
const JudgeMetric = Obj(
  {
    name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$' }),
    query: Type.String({
      minLength: 1,
      description: 'An instant PromQL query answering one number for one side: {{pods}} is the canary\'s pod regex, then the baseline\'s; {{namespace}}, {{service}} and {{interval}} (use it as the rate window) are filled in.',
    }),
    direction: Opt(Type.Union([Type.Literal('increase'), Type.Literal('decrease'), Type.Literal('either')], { description: 'Which change fails the metric. @default either (as Kayenta)' })),
    effectSize: Opt(
      Obj(
        {
          allowedIncrease: Opt(Type.Number({ minimum: 1, description: 'A significant increase fails only from this ratio of canary to baseline up, e.g. 1.1. @default 1' })),
          allowedDecrease: Opt(Type.Number({ minimum: 0, maximum: 1, description: 'A significant decrease fails only from this ratio down, e.g. 0.9. @default 1' })),
        },
        'How large a significant difference must be to fail the metric.',
      ),
    ),
    weight: Opt(Type.Number({ minimum: 0, description: "The metric's share of the score. @default 1" })),
    critical: Opt(Type.Boolean({ description: 'Not passing fails the whole judgement, whatever the score. @default false' })),
    minSamples: Opt(Int32({ minimum: 1, description: 'Fewer samples on a side makes the metric NoData (never a pass). @default 5' })),
    nanStrategy: Opt(Type.Union([Type.Literal('remove'), Type.Literal('replace')], { description: 'Missing samples: removed, or read as 0. @default remove' })),
  },
  'A metric the judge compares between canary and baseline.',
);
export const CanaryJudge = Obj(
  {
    baseline: Opt(Type.Boolean({ description: 'Start a baseline (the stable version at the canary\'s scale, started with the canary) to compare with; false compares with the stable pods. @default true' })),
    startingStep: Opt(Int32({ minimum: 0, description: 'Sample once the steps before this one (0-based) are done; the steps from it on wait for the verdict. @default the step after the first setWeight above 0' })),
    interval: Opt({ ...Duration, description: 'One sample per metric and side per interval (at least two Prometheus scrape intervals). @default 1m' }),
    count: Opt(Int32({ minimum: 1, maximum: 100, description: 'Intervals sampled before the judgement. @default 10' })),
    initialDelay: Opt({ ...Duration, description: 'Wait this long after both sides are ready. @default 0s' }),
    confidenceLevel: Opt(Type.Number({ minimum: 0.5, maximum: 0.999, description: 'Of the Mann-Whitney U test. @default 0.95' })),
    scoreThresholds: Opt(
      Obj(
        {
          pass: Type.Number({ minimum: 0, maximum: 100, description: 'A score at or above this passes.' }),
          marginal: Type.Number({ minimum: 0, maximum: 100, description: 'At or above this (below pass) is Marginal; below it fails.' }),
        },
        'Score thresholds, as Kayenta\'s. @default {pass: 95, marginal: 75}',
      ),
    ),
    onMarginal: Opt(OnProblem('A Marginal verdict: pause (`slipway rollout promote` goes on) or abort.')),
    onError: Opt(OnProblem('Queries failing beyond consecutiveErrorLimit intervals in a row: pause or abort.')),
    consecutiveErrorLimit: Opt(Int32({ minimum: 0, description: 'Failed intervals in a row tolerated. @default 4' })),
    metrics: Opt(Type.Array(JudgeMetric, { minItems: 1, maxItems: 16, description: "@default the p95 latency (increase fails, 10% tolerated) and the 5xx error rate (increase fails) of each side's pods per interval, from the service's `metrics.names`/`metrics.labels`" })),
  },
  "The statistical judge (after Kayenta's NetflixACAJudge): per-interval samples of the canary and a baseline compared per metric with a Mann-Whitney U test, combined into a score; Pass goes on, Marginal pauses, Fail aborts (docs/rollout.md#the-statistical-judge).",
);
export const BlueGreen = Obj(
  {
    autoPromote: Opt(Type.Boolean({ description: '@default false' })),
    autoPromotionSeconds: Opt(Int32({ minimum: 0, description: 'With autoPromote: how long the new version must be ready behind the preview Service before it is promoted. @default 0' })),
    scaleDownDelaySeconds: Opt(Int32({ minimum: 0, description: 'How long the previous version keeps its pods after promotion; `slipway rollout undo` within it only switches the Service back. @default 30' })),
  },
  'Blue-green settings.',
);
/** Who executes a strategy, said once for the schema text (see src/appspec/strategy.ts). */
const PROGRESSIVE =
  'Declared here, kept on the rendered Deployment as its slipway.dev/strategy* annotations. canary: `slipway deploy` hands the service to the slipway controller as a ServiceRollout, which runs the steps (docs/rollout.md). blueGreen: `slipway deploy` hands the service and its Service to the controller, which runs the new version behind a `<service>-preview` Service and switches the Service on promotion (docs/rollout.md).';
/** `strategy.verification` of a rolling service (src/appspec/verification.ts has the defaults and the workload annotation). */
export const VerificationSettings = Obj(
  {
    duration: Opt({ ...Duration, description: 'The longest verification may take. It ends as soon as every SLO passed `count` measurements, or at once when one fails; whatever has not passed by then (too little traffic, Prometheus unreachable) fails it. @default 2m' }),
    interval: Opt({ ...Duration, description: 'Time between measurements. @default 1s' }),
    count: Opt(Int32({ minimum: 1, description: 'Passing measurements each SLO needs. @default 5' })),
    failureLimit: Opt(Int32({ minimum: 0, description: 'Failed measurements tolerated per SLO; one more fails the release. @default 0' })),
  },
  'Post-deploy verification settings.',
);
const Strategy = Obj(
  {
    type: Opt(
      Type.Union([Type.Literal('rolling'), Type.Literal('canary'), Type.Literal('blueGreen')], {
        description: `@default rolling. rolling: a Kubernetes RollingUpdate. canary, blueGreen: ${PROGRESSIVE}`,
      }),
    ),
    maxSurge: Opt(Percent),
    maxUnavailable: Opt(Percent),
    progressDeadlineSeconds: Opt(Int32({ minimum: 1, description: '@default 600' })),
    canary: Opt(
      Obj(
        {
          steps: CanarySteps,
          judge: Opt(CanaryJudge),
          trafficRouting: Opt(Type.Literal('istio', { description: "Route the canary's traffic with Istio (a VirtualService weighting DestinationRule subsets). Default: the service's HTTPRoute (Gateway API) or nginx Ingress, else the replica ratio." })),
        },
        `Canary steps, in order. ${PROGRESSIVE}`,
      ),
    ),
    blueGreen: Opt(BlueGreen),
    verification: Opt(
      Type.Union([Type.Boolean(), VerificationSettings], {
        description:
          'rolling only: after `slipway deploy` rolled out new pods and they are healthy, check slo.successRate and slo.latencyP95Ms on the new pods in Prometheus; a failure rolls the release back (docs/deploy.md#verification). On by default for a service with those SLOs; false turns it off; an object tunes it.',
      }),
    ),
    analysis: Opt(
      Type.Boolean({
        description:
          "Gate canary and blue-green releases on the service's SLOs (slo.successRate, slo.latencyP95Ms) in Prometheus with no further configuration: a canary without analysis steps gets background analysis from the moment its first step with traffic is done until promotion (never promoted without a passing measurement), a blue-green service pre-promotion analysis of the preview and post-promotion analysis after the switch (which switches back on failure). A failure aborts. false turns this off. @default true",
      }),
    ),
  },
  `Rollout strategy. @default rolling with maxSurge 25%, maxUnavailable 0. See ${K8S}/concepts/workloads/controllers/deployment/#strategy`,
);

const Slo = Obj(
  {
    successRate: Opt(Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Target percent of non-5xx responses, e.g. 99.9.' })),
    latencyP95Ms: Opt(Type.Number({ exclusiveMinimum: 0, description: 'Target 95th percentile latency in milliseconds.' })),
    availability: Opt(Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Target percent of time with at least one ready pod.' })),
  },
  'Service level objectives: drive PrometheusRule alerts and canary analysis.',
);

const PromMetricName = Type.String({ pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' });
const PromLabelName = Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' });
export const MetricNames = Obj(
  {
    requests: Opt({ ...PromMetricName, description: 'Request counter with a status-code label. @default http_requests_total' }),
    latency: Opt({ ...PromMetricName, description: 'Latency histogram in seconds, without the _bucket suffix. @default http_request_duration_seconds' }),
  },
  'The series canary analysis queries for the SLOs, when the service names them differently.',
);
export const MetricLabels = Obj(
  {
    code: Opt({ ...PromLabelName, description: 'The HTTP status code label. @default code' }),
    namespace: Opt({ ...PromLabelName, description: 'The namespace label. @default namespace' }),
    pod: Opt({ ...PromLabelName, description: 'The pod name label (canary analysis selects the canary pods by it). @default pod' }),
  },
  'The labels canary analysis selects on, when the service\'s series carry other names.',
);

const Metrics = Obj(
  {
    path: Opt(Type.String({ pattern: '^/', description: '@default /metrics' })),
    port: Opt(PortRef),
    interval: Opt(Duration),
    names: Opt(MetricNames),
    labels: Opt(MetricLabels),
  },
  'Where Prometheus scrapes the service (ServiceMonitor), and the names of its series that canary analysis queries.',
);

const Labels = Type.Record(Type.String(), Type.String());

/**
 * The sysctls the Pod Security Standards allow (baseline, and so restricted): namespaced and safe.
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline
 */
export const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
] as const;
const SafeSysctl = Type.String({
  pattern: `^(${SAFE_SYSCTLS.map((n) => n.replaceAll('.', '\\.')).join('|')})$`,
  description: `A sysctl Pod Security allows: ${SAFE_SYSCTLS.join(', ')}.`,
});

/** Annotation prefix of a per-object lint opt-out, `ignore-check.slipway.dev/<rule>: "<reason>"` (what `ignoreChecks` renders). */
export const IGNORE_CHECK_PREFIX = 'ignore-check.slipway.dev/';

/**
 * Lint checks waived for this workload, each with the reason (rendered as the
 * `ignore-check.slipway.dev/<rule>` annotations `slipway lint` honours): a deliberate choice the
 * linter cannot see, such as one replica of a single-instance database.
 */
const IgnoreChecks = Type.Record(
  Type.String({ pattern: '^([A-Z]+[0-9]{3}|[a-z0-9]+(-[a-z0-9]+)*)$', description: 'A lint rule id (REL006) or name (single-replica).' }),
  Type.String({ minLength: 1, description: 'Why the check does not apply here (reviewed like code).' }),
  { ...Closed, description: 'Lint checks waived for this workload, rule id → reason. Rendered as ignore-check.slipway.dev/<rule> annotations on the workload (docs/lint.md).' },
);

/** Fields shared by services, jobs and cronjobs: one container pod. */
const PodFields = {
  image: ImageRef,
  command: Opt(Type.Array(Type.String(), { description: 'Overrides the image ENTRYPOINT.' })),
  args: Opt(Type.Array(Type.String(), { description: 'Overrides the image CMD.' })),
  workingDir: Opt(Type.String()),
  env: Opt(
    Type.Record(Type.String({ pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$' }), EnvValue, {
      description: 'Environment variables by name.',
      additionalProperties: false,
    }),
  ),
  envFrom: Opt(
    Type.Array(
      Type.Union([Obj({ configMap: Name }, 'All keys of a ConfigMap.'), Obj({ secret: Name }, 'All keys of a Secret (never rendered).')]),
    ),
  ),
  config: Opt(Type.Array(ConfigFile, { description: 'Config files mounted into the container.' })),
  resources: Opt(Resources),
  nodeSelector: Opt(Labels),
  tolerations: Opt(
    Type.Array(
      Obj(
        {
          key: Opt(Type.String()),
          operator: Opt(Type.Union([Type.Literal('Exists'), Type.Literal('Equal')])),
          value: Opt(Type.String()),
          effect: Opt(Type.Union([Type.Literal('NoSchedule'), Type.Literal('PreferNoSchedule'), Type.Literal('NoExecute')])),
        },
        `A toleration. See ${K8S}/concepts/scheduling-eviction/taint-and-toleration/`,
      ),
    ),
  ),
  securityContext: Opt(
    Obj(
      {
        runAsUser: Opt(Int64({ minimum: 1, description: '@default 10001 (restricted forbids root)' })),
        runAsGroup: Opt(Int64({ minimum: 1, description: '@default 10001' })),
        fsGroup: Opt(Int64({ minimum: 1, description: '@default 10001' })),
        readOnlyRootFilesystem: Opt(Type.Boolean({ description: '@default true' })),
        addCapabilities: Opt(
          Type.Array(Type.Literal('NET_BIND_SERVICE'), { description: 'The only capability Pod Security restricted allows adding.' }),
        ),
        sysctls: Opt(
          Type.Record(SafeSysctl, Type.String({ minLength: 1 }), {
            ...Closed,
            description: `Namespaced sysctls of the pod, only those Pod Security allows (e.g. net.ipv4.ip_unprivileged_port_start: "0" lets a non-root server bind port 80). See ${K8S}/tasks/administer-cluster/sysctl-cluster/`,
          }),
        ),
      },
      `Security settings; always within Pod Security restricted. See ${K8S}/concepts/security/pod-security-standards/#restricted`,
    ),
  ),
  serviceAccount: Opt(
    Obj(
      {
        automountToken: Opt(Type.Boolean({ description: '@default false' })),
        annotations: Opt(Labels),
      },
      `The service's own ServiceAccount. See ${K8S}/concepts/security/service-accounts/`,
    ),
  ),
  labels: Opt(Labels),
  annotations: Opt(Type.Record(Type.String(), Type.String(), { description: 'Pod annotations.' })),
  ignoreChecks: Opt(IgnoreChecks),
};

/** How CI builds a workload's image (`slipway ci github`); `--image-tag` tags it with the commit at render. */
const Build = Obj(
  { context: Type.String({ description: 'Build context directory, relative to slipway.yaml.' }), dockerfile: Opt(Type.String({ description: '@default Dockerfile' })) },
  'How CI builds the image.',
);

export const Service = Obj(
  {
    ...PodFields,
    ports: Opt(Type.Array(Port)),
    probes: Opt(Probes),
    replicas: Opt(Int32({ minimum: 0, description: '@default 1 (ignored when autoscaling is set)' })),
    autoscaling: Opt(Autoscaling),
    expose: Opt(Exposure),
    dependsOn: Opt(Type.Array(Dependency)),
    egress: Opt(
      Type.Array(
        Obj(
          { cidr: Type.String(), ports: Opt(Type.Array(Int32({ minimum: 1, maximum: 65535 }))) },
          'Allowed egress outside the app (a managed database, an external API).',
        ),
      ),
    ),
    volumes: Opt(Type.Array(Volume)),
    strategy: Opt(Strategy),
    slo: Opt(Slo),
    metrics: Opt(Metrics),
    terminationGracePeriodSeconds: Opt(Int64({ minimum: 0, description: '@default 30' })),
    preStopSleepSeconds: Opt(Int64({ minimum: 0, description: 'Sleep before SIGTERM so endpoints drain. @default 5' })),
    build: Opt(Build),
    test: Opt(
      Obj(
        { command: Type.String({ description: 'Shell command CI runs for this service.' }), workingDir: Opt(Type.String()), image: Opt(Type.String()) },
        'How CI tests the service.',
      ),
    ),
  },
  'A long-running service: a Deployment (or a StatefulSet when it has persistent volumes) with its Service.',
);

const JobFields = {
  ...PodFields,
  build: Opt(Build),
  backoffLimit: Opt(Int32({ minimum: 0, description: '@default 3' })),
  activeDeadlineSeconds: Opt(Int64({ minimum: 1 })),
  ttlSecondsAfterFinished: Opt(Int32({ minimum: 0, description: '@default 3600' })),
  dependsOn: Opt(Type.Array(Dependency)),
};
export const Job = Obj(
  {
    ...JobFields,
    hook: Opt(Type.Union([Type.Literal('pre-deploy'), Type.Literal('post-deploy')], { description: 'Run before or after the services roll out (e.g. migrations).' })),
  },
  `A run-to-completion Job. See ${K8S}/concepts/workloads/controllers/job/`,
);
export const CronJob = Obj(
  {
    ...JobFields,
    schedule: Type.String({ minLength: 1, description: 'Cron schedule: five fields, e.g. "0 2 * * *", or a macro such as @daily.' }),
    timeZone: Opt(Type.String()),
    concurrencyPolicy: Opt(Type.Union([Type.Literal('Allow'), Type.Literal('Forbid'), Type.Literal('Replace')], { description: '@default Forbid' })),
    suspend: Opt(Type.Boolean()),
  },
  `A CronJob. See ${K8S}/concepts/workloads/controllers/cron-jobs/`,
);

const ConfigMapSpec = Obj(
  {
    data: Opt(
      Type.Record(Type.String({ pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 }), Type.String(), {
        ...Closed,
        description: 'Keys: letters, digits, "-", "_" and "." (what Kubernetes accepts as ConfigMap keys).',
      }),
    ),
    envFile: Opt(Type.String({ description: 'A dotenv file relative to slipway.yaml; its keys become the data.' })),
    external: Opt(
      Type.Boolean({
        description: 'The ConfigMap exists already (made by someone else): slipway only references it. @default false',
      }),
    ),
  },
  `A ConfigMap the app owns (or, with external: true, one it only references). See ${K8S}/concepts/configuration/configmap/`,
);
const SecretRef = Obj(
  {
    keys: Opt(Type.Array(Type.String({ minLength: 1 }), { description: 'Keys the app expects in the Secret.' })),
    description: Opt(Type.String()),
  },
  'A Secret the app needs. slipway never renders secret values: create it with your secret manager; slipway references it.',
);

/** The fields every environment may override (a deep partial of the base). */
const EnvironmentOverlay = Obj(
  {
    namespace: Opt(Name),
    services: Opt(Type.Record(Name, Type.Unknown({ description: 'Overrides for this service: any Service field.' }), Closed)),
    jobs: Opt(Type.Record(Name, Type.Unknown({ description: 'Overrides for this job: any Job field.' }), Closed)),
    cronJobs: Opt(Type.Record(Name, Type.Unknown({ description: 'Overrides for this cron job: any CronJob field.' }), Closed)),
    configMaps: Opt(Type.Record(Name, Type.Unknown(), Closed)),
    labels: Opt(Labels),
  },
  'Overrides for one environment. Maps merge key by key, lists and scalars replace, null removes.',
);

export const AppSpec = Obj(
  {
    $schema: Opt(Type.String()),
    app: Name,
    namespace: Opt(Type.Union([Name], { description: '@default the app name' })),
    labels: Opt(Labels),
    services: Type.Record(Name, Service, { ...Closed, description: 'Long-running services by name.' }),
    jobs: Opt(Type.Record(Name, Job, Closed)),
    cronJobs: Opt(Type.Record(Name, CronJob, Closed)),
    configMaps: Opt(Type.Record(Name, ConfigMapSpec, Closed)),
    secrets: Opt(Type.Record(Name, SecretRef, Closed)),
    environments: Opt(Type.Record(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }), EnvironmentOverlay, Closed)),
  },
  'A slipway application: services, jobs and their environments.',
);

export type AppSpec = Static<typeof AppSpec>;
export type ServiceSpec = Static<typeof Service>;
export type JobSpec = Static<typeof Job>;
export type CronJobSpec = Static<typeof CronJob>;
export type PortSpec = Static<typeof Port>;
export type EnvValueSpec = Static<typeof EnvValue>;
export type ProbeSpec = Static<typeof Probe>;
export type ResourcesSpec = Static<typeof Resources>;
export type AutoscalingSpec = Static<typeof Autoscaling>;
export type ExposureSpec = Static<typeof Exposure>;
export type DependencySpec = Static<typeof Dependency>;
export type VolumeSpec = Static<typeof Volume>;
export type StrategySpec = Static<typeof Strategy>;
export type CanaryStepSpec = Static<typeof CanaryStep>;

export type ImageSpec = Static<typeof ImageRef>;
