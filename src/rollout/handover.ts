/**
 * `slipway deploy` hands canary and blue-green services to the controller: a rendered Deployment
 * whose `slipway.dev/strategy` annotation says `canary` or `blueGreen` becomes a ServiceRollout
 * with the same name, template, replicas and strategy; an HPA that scaled the Deployment scales
 * the rollout instead.
 *  - canary: an HTTPRoute (or nginx Ingress) that sends the service's traffic becomes the
 *    rollout's routing (the controller then owns that route, so nothing else fights over its
 *    weights);
 *  - blue-green: the Service in front of the pods becomes the rollout's active Service (the
 *    controller owns it and its selector, and adds `<service>-preview`); routes keep pointing at
 *    it by name.
 *  - SLOs (`slipway.dev/strategy-analysis`) gate the release with no further configuration: a
 *    canary's analysis steps check them, or without such steps background analysis from the first
 *    step that sends the canary traffic until promotion; a blue-green's pre- and post-promotion
 *    analysis check them on the preview's, then the new active version's pods.
 */
import { DEPENDS_ON_ANNOTATION, parseStrategyAnnotations, type CanaryStepSpec, type WorkloadStrategy } from '../appspec/index.ts';
import { defaultJudgeMetrics, sloMetrics, type CanaryJudgeSettingsT } from '../analysis/index.ts';
import { durationMs, templateHash } from './run.ts';
import { inputError } from '../errors/index.ts';
import { checkStrategy } from '../sync/index.ts';
import { omit, type KubeObject } from '../manifest/index.ts';
import { versionConfig } from './config.ts';
import { API_VERSION, KIND, type BlueGreenT, type ServiceRollout, type ServiceRolloutSpecT, type StepT } from './types.ts';

export interface Desired {
  readonly object: KubeObject;
}

/** A spec canary step as a ServiceRollout step (`analysis` waits for a result: see docs/rollout.md). */
export function stepOf(s: CanaryStepSpec): StepT {
  if ('setWeight' in s) return { setWeight: s.setWeight };
  if ('pause' in s) return { pause: s.pause.duration !== undefined ? { duration: s.pause.duration } : {} };
  if ('setCanaryScale' in s) return { setCanaryScale: { ...s.setCanaryScale } };
  if ('setHeaderRoute' in s) return { setHeaderRoute: { ...s.setHeaderRoute } };
  return { analysis: { ...s.analysis } };
}

const labelsMatch = (selector: Record<string, string> | undefined, labels: Record<string, string>): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The objects to deploy, with every canary Deployment (and its route) handed to the controller. */
export function handOver<T extends Desired>(objects: readonly T[], make: (object: KubeObject, from: T) => T): T[] {
  const progressive = objects.filter((d) => d.object.kind === 'Deployment' && ['canary', 'blueGreen'].includes(d.object.metadata.annotations?.['slipway.dev/strategy'] ?? ''));
  if (progressive.length === 0) return [...objects];
  const replaced = new Map<T, T>();
  const dropped = new Set<T>();
  const added: T[] = [];
  const rollouts: { d: T; ro: ServiceRollout }[] = [];
  for (const d of progressive) {
    const { ro, takenOver } = rolloutOf(d.object, objects);
    // Config rolls with the release: the template mounts content-versioned copies (config.ts).
    const { template, copies } = versionConfig(ro.metadata.name ?? '', ro.spec.template, objects.map((o) => o.object));
    rollouts.push({ d, ro: { ...ro, spec: { ...ro.spec, template: template as Record<string, unknown> } } });
    for (const c of copies) added.push(make(c, d));
    if (takenOver) dropped.add(takenOver);
    // An HPA of the Deployment scales the rollout (its scale subresource), as HPAs scale Argo Rollouts.
    const name = ro.metadata.name ?? '';
    for (const h of objects) {
      const target = (h.object['spec'] as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef;
      if (h.object.kind === 'HorizontalPodAutoscaler' && target?.kind === 'Deployment' && target.name === name) {
        replaced.set(h, make({ ...h.object, spec: { ...(h.object['spec'] as Record<string, unknown>), scaleTargetRef: { apiVersion: API_VERSION, kind: KIND, name } } }, h));
      }
    }
  }
  const released = withRelease(rollouts.map((x) => x.ro));
  rollouts.forEach((x, i) => replaced.set(x.d, make(released[i] ?? x.ro, x.d)));
  return [...objects.filter((o) => !dropped.has(o)).map((o) => replaced.get(o) ?? o), ...added];
}

/**
 * Several progressive services in one deploy are one release (release.ts): each gets the release
 * id (a hash of every member's template, so the same deploy again is the same release), the
 * members, and the members its `slipway.dev/depends-on` names.
 */
function withRelease(ros: readonly ServiceRollout[]): ServiceRollout[] {
  if (ros.length < 2) return [...ros];
  const members = ros.map((ro) => ro.metadata.name ?? '').sort();
  const id = templateHash(ros.map((ro) => [ro.metadata.name, templateHash(ro.spec.template)]).sort());
  return ros.map((ro) => {
    const deps = (ro.metadata.annotations?.[DEPENDS_ON_ANNOTATION] ?? '').split(',').filter((n) => n !== '' && n !== ro.metadata.name && members.includes(n));
    return { ...ro, spec: { ...ro.spec, release: { id, members, after: deps.sort() } } };
  });
}

/** An HTTPRoute that sends traffic to `service`, and the Gateway API routing it becomes. */
type GatewayRouting = NonNullable<NonNullable<ServiceRolloutSpecT['trafficRouting']>['gatewayAPI']>;

function gatewayRoutingOf<T extends Desired>(objects: readonly T[], service: string | undefined): { route: T | undefined; gatewayAPI: GatewayRouting | undefined } {
  type RouteSpec = { parentRefs?: Record<string, unknown>[]; hostnames?: string[]; rules?: { backendRefs?: { name?: string; port?: number }[] }[] };
  const route = objects.find((o) => o.object.kind === 'HTTPRoute' && ((o.object['spec'] as RouteSpec | undefined)?.rules ?? []).some((r) => (r.backendRefs ?? []).some((b) => b.name === service)));
  const spec = route?.object['spec'] as RouteSpec | undefined;
  const port = spec?.rules?.flatMap((r) => r.backendRefs ?? []).find((b) => b.name === service)?.port;
  if (!route || !spec?.parentRefs || port === undefined) return { route: undefined, gatewayAPI: undefined };
  return { route, gatewayAPI: { parentRefs: spec.parentRefs, ...(spec.hostnames ? { hostnames: spec.hostnames } : {}), port } };
}

/** An Ingress of class nginx that sends traffic to `service`: its name and the port (the NGINX router adds a canary Ingress next to it). */
function nginxIngressOf(objects: readonly Desired[], service: string | undefined): { stableIngress: string; port: number } | undefined {
  type IngressSpec = { ingressClassName?: string; rules?: { http?: { paths?: { backend?: { service?: { name?: string; port?: { number?: number } } } }[] } }[] };
  for (const o of objects) {
    if (o.object.kind !== 'Ingress') continue;
    const spec = o.object['spec'] as IngressSpec | undefined;
    const cls = spec?.ingressClassName ?? o.object.metadata.annotations?.['kubernetes.io/ingress.class'];
    if (cls !== 'nginx') continue;
    const backend = (spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []).find((p) => p.backend?.service?.name === service)?.backend?.service;
    if (backend?.port?.number !== undefined) return { stableIngress: o.object.metadata.name ?? '', port: backend.port.number };
  }
  return undefined;
}

/** Istio routing (opt-in in slipway.yaml): the port of the Service in front of the pods. */
function istioRoutingOf(name: string, service: Desired | undefined): { port: number } {
  const port = ((service?.object['spec'] as { ports?: { port?: number }[] } | undefined)?.ports ?? [])[0]?.port;
  if (port === undefined) {
    throw inputError(`Deployment ${name}: Istio traffic routing needs a Service with a port in front of its pods`, {
      cause: service?.object.metadata.name,
      expected: 'a Service selecting the pods, with at least one port',
      hint: 'give the service a port (`ports:` in slipway.yaml); the VirtualService weights that port',
    });
  }
  return { port };
}

/** The rollout's metadata: the Deployment's name, namespace, labels, and what it depends on. */
function metadataOf(dep: KubeObject): KubeObject['metadata'] {
  const dependsOn = dep.metadata.annotations?.[DEPENDS_ON_ANNOTATION];
  return {
    name: dep.metadata.name ?? '',
    ...(dep.metadata.namespace ? { namespace: dep.metadata.namespace } : {}),
    ...(dep.metadata.labels ? { labels: dep.metadata.labels } : {}),
    ...(dependsOn ? { annotations: { [DEPENDS_ON_ANNOTATION]: dependsOn } } : {}),
  };
}

type Deadline = { progressDeadlineSeconds?: number };
type Handed<T> = { strategySpec: ServiceRolloutSpecT['strategy']; trafficRouting?: ServiceRolloutSpecT['trafficRouting']; takenOver: T | undefined };

/** Blue-green: the Service in front of the pods becomes the active Service. */
function blueGreenOf<T extends Desired>(name: string, strategy: Extract<WorkloadStrategy, { type: 'blueGreen' }>, service: T | undefined, podLabels: Record<string, string>, deadline: Deadline): Handed<T> {
  const serviceName = service?.object.metadata.name;
  if (!service || serviceName === undefined) {
    throw inputError(`Deployment ${name}: blue-green needs a Service that selects its pods`, {
      cause: podLabels,
      expected: `a Service whose selector matches ${JSON.stringify(podLabels)}`,
      hint: 'blue-green switches that Service from the old version to the new one; give the service a port (`ports:` in slipway.yaml) so render makes one',
    });
  }
  const serviceSpec = omit((service.object['spec'] ?? {}) as Record<string, unknown>, ['selector', 'clusterIP', 'clusterIPs']);
  return {
    strategySpec: {
      blueGreen: {
        activeService: serviceName,
        previewService: `${serviceName}-preview`,
        service: serviceSpec,
        autoPromote: strategy.autoPromote,
        scaleDownDelaySeconds: strategy.scaleDownDelaySeconds,
        ...(strategy.autoPromotionSeconds !== undefined ? { autoPromotionSeconds: strategy.autoPromotionSeconds } : {}),
        ...deadline,
        ...sloGates(strategy.analysis),
      },
    },
    takenOver: service,
  };
}

/** Canary: Istio when asked for, else the service's HTTPRoute (taken over) or nginx Ingress, else the replica ratio. */
function canaryOf<T extends Desired>(name: string, strategy: WorkloadStrategy, service: T | undefined, objects: readonly T[], deadline: Deadline): Handed<T> {
  const serviceName = service?.object.metadata.name;
  const steps = strategy.type === 'canary' ? strategy.steps.map(stepOf) : [];
  const istio = strategy.type === 'canary' && strategy.trafficRouting === 'istio' ? istioRoutingOf(name, service) : undefined;
  const { route, gatewayAPI } = istio ? { route: undefined, gatewayAPI: undefined } : gatewayRoutingOf(objects, serviceName);
  const nginx = istio || gatewayAPI ? undefined : nginxIngressOf(objects, serviceName);
  const trafficRouting = istio ? { istio } : gatewayAPI ? { gatewayAPI } : nginx ? { nginx } : undefined;
  const analysis = strategy.type === 'canary' ? canaryAnalysis(steps, strategy.analysis) : {};
  const judge = strategy.type === 'canary' && strategy.judge ? { judge: judgeSettings(strategy.judge) } : {};
  return { strategySpec: { canary: { steps, ...deadline, ...analysis, ...judge } }, ...(trafficRouting ? { trafficRouting } : {}), takenOver: gatewayAPI ? route : undefined };
}

type SloSpec = Parameters<typeof sloMetrics>[0];

/** slipway.yaml's `canary.judge` as the ServiceRollout's: its metrics, or the default ones over the service's series names. */
function judgeSettings(j: NonNullable<Extract<WorkloadStrategy, { type: 'canary' }>['judge']>): CanaryJudgeSettingsT {
  const { names, labels, metrics, ...settings } = j;
  return { ...settings, metrics: metrics ? [...metrics] : defaultJudgeMetrics({ names, labels }) };
}

/**
 * The service's SLOs on the canary's pods (zero configuration): its analysis steps check them
 * (explicit steps say where the canary is judged); without such steps, background analysis as
 * Argo Rollouts' (`startingStep`) from the moment the first step that sends the canary traffic is
 * done (its pods are ready and the route carries their share: measuring earlier would see no
 * traffic, and a pause on "no data" would then hold the very step that brings it) until
 * promotion, and never promoted without a passing measurement. A canary whose steps never send
 * it traffic has nothing to measure.
 */
function canaryAnalysis(steps: readonly StepT[], slo: SloSpec | undefined): { analysis?: NonNullable<NonNullable<ServiceRolloutSpecT['strategy']['canary']>['analysis']> } {
  const metrics = slo ? sloMetrics(slo) : [];
  if (metrics.length === 0) return {};
  if (steps.some((s) => s.analysis !== undefined)) return { analysis: { metrics } };
  const firstTraffic = steps.findIndex((s) => (s.setWeight ?? 0) > 0);
  return firstTraffic >= 0 ? { analysis: { metrics, startingStep: firstTraffic + 1 } } : {};
}

/** The service's SLOs gate a blue-green switch (on the preview's pods) and its outcome (on the new active pods, switching back on failure). */
function sloGates(slo: SloSpec | undefined): Partial<Pick<BlueGreenT, 'prePromotionAnalysis' | 'postPromotionAnalysis'>> {
  const metrics = slo ? sloMetrics(slo) : [];
  return metrics.length > 0 ? { prePromotionAnalysis: { metrics }, postPromotionAnalysis: { metrics } } : {};
}

/** The ServiceRollout for a canary or blue-green Deployment, and the object (route or Service) it takes over. */
function rolloutOf<T extends Desired>(dep: KubeObject, objects: readonly T[]): { ro: ServiceRollout; takenOver: T | undefined } {
  const name = dep.metadata.name ?? '';
  const spec = (dep['spec'] ?? {}) as { replicas?: number; progressDeadlineSeconds?: number; selector?: { matchLabels?: Record<string, string> }; template?: { metadata?: { labels?: Record<string, string> } } };
  const strategy = parseStrategyAnnotations(dep.metadata.annotations, { object: `Deployment ${name}` });
  const podLabels = spec.template?.metadata?.labels ?? {};
  // The Service in front of these pods.
  const service = objects.find((o) => o.object.kind === 'Service' && labelsMatch((o.object['spec'] as { selector?: Record<string, string> } | undefined)?.selector, podLabels));
  const deadline = spec.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: spec.progressDeadlineSeconds } : {};
  const { strategySpec, trafficRouting, takenOver } = strategy.type === 'blueGreen' ? blueGreenOf(name, strategy, service, podLabels, deadline) : canaryOf(name, strategy, service, objects, deadline);
  const ro: ServiceRollout = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: metadataOf(dep),
    spec: {
      ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
      selector: { matchLabels: spec.selector?.matchLabels ?? podLabels },
      template: spec.template ?? {},
      strategy: strategySpec,
      ...(trafficRouting ? { trafficRouting } : {}),
    },
  };
  return { ro, takenOver };
}

/**
 * How long the rollouts among `objects` plan to pause (timed pause steps, blue-green
 * autoPromotionSeconds), in sum: deploy --wait adds it to its default timeout, so following a
 * canary through a 15-minute pause does not time out (and roll back) in the middle of it.
 */
export function plannedPauseMs(objects: readonly KubeObject[]): number {
  let ms = 0;
  for (const o of objects) {
    if (o.kind !== KIND) continue;
    const strategy = (o as ServiceRollout).spec.strategy;
    for (const step of strategy.canary?.steps ?? []) if (step.pause?.duration !== undefined) ms += durationMs(step.pause.duration);
    if (strategy.blueGreen?.autoPromote) ms += (strategy.blueGreen.autoPromotionSeconds ?? 0) * 1000;
  }
  return ms;
}

export interface DeployPlan<T> {
  readonly objects: T[];
  /** Some service is canary or blue-green: it needs the ServiceRollout CRD and a controller. */
  readonly progressive: boolean;
  /** What the timed pauses of those services add to a health wait. */
  readonly pauseMs: number;
}

const PROGRESSIVE = ['canary', 'blueGreen'];

/**
 * What a deploy of an input applies, the same for `slipway deploy` and the GitOps controller:
 * strategies other than canary and blue-green checked by the engine, canary and blue-green
 * services handed to the controller as ServiceRollouts ({@link handOver}).
 */
export function deployPlan<T extends Desired>(objects: readonly T[], strategies: readonly string[], make: (object: KubeObject, from: T) => T): DeployPlan<T> {
  for (const s of strategies) if (!PROGRESSIVE.includes(s)) checkStrategy(s);
  const progressive = strategies.some((s) => PROGRESSIVE.includes(s));
  if (!progressive) return { objects: [...objects], progressive, pauseMs: 0 };
  const out = handOver(objects, make);
  return { objects: out, progressive, pauseMs: plannedPauseMs(out.map((o) => o.object)) };
}
