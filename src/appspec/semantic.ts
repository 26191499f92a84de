/**
 * Checks the schema cannot express: references between parts of the spec (dependsOn targets and
 * their ports, probe/expose/metrics port names, ConfigMap and Secret references), "exactly one of"
 * rules, and cross-field ranges. Only problems that are certainly wrong are reported; matters of
 * taste or risk (latest tags, secret-looking literals) are lint's.
 */
import { inputError, type SlipwayError } from '../errors/index.ts';
import { configKeyProblem, labelValueProblem, parseQuantity, qualifiedNameProblem } from '../manifest/index.ts';
import { parseImage } from './image.ts';
import type { AppSpec, EnvValueSpec, PortSpec, ProbeSpec, ServiceSpec, StrategySpec } from './schema.ts';
import { formatPath, type SpecPath } from './source.ts';
import { didYouMean } from './suggest.ts';
import { impossibleVerification } from './verification.ts';
import { sortByPosition, type Locator } from './validate.ts';

type Workload = AppSpec['jobs'] extends Record<string, infer J> | undefined ? J : never;
type Section = 'services' | 'jobs' | 'cronJobs';

interface Ctx {
  readonly spec: AppSpec;
  readonly problems: SlipwayError[];
  /** Every problem says what was expected and what to do: both are required. */
  report(path: SpecPath, message: string, o: { expected: string; hint: string; at?: 'key' | 'value' }): void;
}

/** Semantic problems of a schema-valid spec (empty when there are none). */
export function semanticProblems(spec: AppSpec, locator: Locator): SlipwayError[] {
  const problems: SlipwayError[] = [];
  const ctx: Ctx = {
    spec,
    problems,
    report(path, message, o) {
      const position = locator.positionOf(path, o.at ?? 'value');
      problems.push(
        inputError(message, {
          cause: message,
          path: formatPath(locator.writtenPath?.(path) ?? path),
          ...(position ? { position } : {}),
          expected: o.expected,
          hint: o.hint,
        }),
      );
    },
  };
  checkUniqueNames(ctx);
  checkConfigMaps(ctx);
  checkLabels(ctx, ['labels'], spec.labels, 'label');
  for (const [name, svc] of Object.entries(spec.services)) checkService(ctx, name, svc);
  for (const [name, job] of Object.entries(spec.jobs ?? {})) checkPod(ctx, ['jobs', name], job);
  for (const [name, cron] of Object.entries(spec.cronJobs ?? {})) {
    checkPod(ctx, ['cronJobs', name], cron);
    checkSchedule(ctx, ['cronJobs', name, 'schedule'], cron.schedule);
  }
  return sortByPosition(problems);
}

function checkUniqueNames(ctx: Ctx): void {
  const owner = new Map<string, Section>();
  for (const section of ['services', 'jobs', 'cronJobs'] as const) {
    for (const name of Object.keys(ctx.spec[section] ?? {})) {
      if (name.length > 63) {
        ctx.report([section, name], `name \`${name}\` is longer than 63 characters`, {
          at: 'key',
          expected: 'a DNS-1123 label of at most 63 characters (it names a Kubernetes Service)',
          hint: `shorten it to 63 characters or fewer, e.g. \`${name.slice(0, 63).replace(/-+$/, '')}\``,
        });
      }
      const first = owner.get(name);
      if (first === undefined) owner.set(name, section);
      else {
        ctx.report([section, name], `name \`${name}\` is used by ${first} and ${section}`, {
          at: 'key',
          expected: 'names unique across services, jobs and cronJobs (they name Kubernetes objects in one namespace)',
          hint: 'rename one of them',
        });
      }
    }
  }
}

function checkConfigMaps(ctx: Ctx): void {
  for (const [name, cm] of Object.entries(ctx.spec.configMaps ?? {})) {
    // The schema's pattern has the characters and the length; Kubernetes also refuses ".", ".." and "..x".
    for (const key of Object.keys(cm.data ?? {})) {
      const problem = configKeyProblem(key);
      if (problem !== undefined) ctx.report(['configMaps', name, 'data', key], problem.message, { at: 'key', expected: problem.expected, hint: 'rename the key: it names a file when the ConfigMap is mounted' });
    }
    const sources = [cm.data !== undefined, cm.envFile !== undefined].filter(Boolean).length;
    if (cm.external === true && sources > 0) {
      ctx.report(['configMaps', name], `external ConfigMap \`${name}\` cannot also have data or envFile`, {
        at: 'key',
        expected: 'either external: true, or data/envFile for a ConfigMap slipway creates',
        hint: 'remove `external: true` to have slipway create it from data/envFile, or remove data/envFile to use the existing one',
      });
    } else if (cm.external !== true && sources === 0) {
      ctx.report(['configMaps', name], `ConfigMap \`${name}\` has no content`, {
        at: 'key',
        expected: 'data, envFile, or external: true for one that exists already',
        hint: `add data: {KEY: value}, envFile: <a file next to slipway.yaml>, or external: true`,
      });
    }
  }
}

function checkService(ctx: Ctx, name: string, svc: ServiceSpec): void {
  const base = ['services', name];
  checkPod(ctx, base, svc);
  const ports = svc.ports ?? [];
  checkUnique(ctx, ports.map((p, i) => ({ value: p.name, path: [...base, 'ports', i, 'name'] })), 'port name');
  // Port and protocol: 53/TCP and 53/UDP on one Service is what kube-dns does, and Kubernetes allows it.
  checkUnique(ctx, ports.map((p, i) => ({ value: `${p.servicePort ?? p.port}/${p.protocol ?? 'TCP'}`, shown: `${p.servicePort ?? p.port}${p.protocol === undefined || p.protocol === 'TCP' ? '' : `/${p.protocol}`}`, path: [...base, 'ports', i] })), 'service port');
  for (const kind of ['readiness', 'liveness', 'startup'] as const) {
    const probe = svc.probes?.[kind];
    if (probe !== undefined && probe !== false) checkProbe(ctx, { path: [...base, 'probes', kind], probe, ports, kind });
  }
  const expose = svc.expose;
  if (expose?.port !== undefined) checkPortRef(ctx, { path: [...base, 'expose', 'port'], ref: expose.port, ports, owner: name, servicePort: true });
  else if (expose !== undefined && (expose.type ?? (expose.host ? 'ingress' : 'internal')) !== 'internal' && ports.length === 0) {
    ctx.report([...base, 'expose'], `service \`${name}\` is exposed but declares no ports`, {
      at: 'key',
      expected: 'ports: [...] on the service',
      hint: `declare the port it listens on (ports: [{name: http, port: 8080}]), or use type: internal`,
    });
  }
  if (expose !== undefined) checkExpose(ctx, [...base, 'expose'], expose);
  if (svc.metrics?.port !== undefined) checkPortRef(ctx, { path: [...base, 'metrics', 'port'], ref: svc.metrics.port, ports, owner: name, servicePort: false });
  const hpa = svc.autoscaling;
  if (hpa !== undefined && hpa.min > hpa.max) {
    ctx.report([...base, 'autoscaling', 'min'], `autoscaling min (${hpa.min}) is greater than max (${hpa.max})`, {
      expected: 'min ≤ max',
      hint: `lower min to at most ${hpa.max}, or raise max to at least ${hpa.min}`,
    });
  }
  checkLabels(ctx, [...base, 'expose', 'ingressController', 'podLabels'], expose?.ingressController?.podLabels, 'label');
  (hpa?.metrics ?? []).forEach((m, i) => {
    const [kind, selector] = 'pods' in m ? ['pods', m.pods.selector] : ['external', m.external.selector];
    checkLabels(ctx, [...base, 'autoscaling', 'metrics', i, kind, 'selector'], selector, 'label');
    if ('external' in m && (m.external.value === undefined) === (m.external.averageValue === undefined)) {
      ctx.report([...base, 'autoscaling', 'metrics', i, 'external'], 'external metric needs exactly one target', {
        at: 'key',
        expected: 'exactly one of value, averageValue',
        hint: 'give value (a total for the whole app) or averageValue (per pod), not both',
      });
    }
  });
  const volumes = svc.volumes ?? [];
  checkUnique(ctx, volumes.map((v, i) => ({ value: v.name, path: [...base, 'volumes', i, 'name'] })), 'volume name');
  checkUnique(ctx, volumes.map((v, i) => ({ value: v.mountPath, path: [...base, 'volumes', i, 'mountPath'] })), 'volume mountPath');
  if (svc.strategy !== undefined) checkStrategy(ctx, [...base, 'strategy'], svc);
}

interface PodLike {
  readonly image: ServiceSpec['image'];
  readonly env?: Record<string, EnvValueSpec>;
  readonly envFrom?: ServiceSpec['envFrom'];
  readonly config?: ServiceSpec['config'];
  readonly dependsOn?: ServiceSpec['dependsOn'];
  readonly labels?: ServiceSpec['labels'];
  readonly nodeSelector?: ServiceSpec['nodeSelector'];
  readonly annotations?: ServiceSpec['annotations'];
  readonly serviceAccount?: ServiceSpec['serviceAccount'];
  readonly resources?: ServiceSpec['resources'];
}

/** Checks shared by services, jobs and cron jobs. */
function checkPod(ctx: Ctx, base: SpecPath, pod: PodLike | Workload): void {
  checkImage(ctx, [...base, 'image'], pod.image);
  checkLabels(ctx, [...base, 'labels'], pod.labels, 'label');
  checkLabels(ctx, [...base, 'nodeSelector'], pod.nodeSelector, 'label');
  checkLabels(ctx, [...base, 'annotations'], pod.annotations, 'annotation');
  checkLabels(ctx, [...base, 'serviceAccount', 'annotations'], pod.serviceAccount?.annotations, 'annotation');
  checkResources(ctx, [...base, 'resources'], pod.resources);
  for (const [key, value] of Object.entries(pod.env ?? {})) checkEnvRef(ctx, [...base, 'env', key], value);
  (pod.envFrom ?? []).forEach((ref, i) => {
    if ('configMap' in ref) checkConfigMapRef(ctx, [...base, 'envFrom', i, 'configMap'], ref.configMap, undefined);
    else checkSecretRef(ctx, [...base, 'envFrom', i, 'secret'], ref.secret, undefined);
  });
  (pod.config ?? []).forEach((file, i) => {
    const path = [...base, 'config', i];
    const sources = (['content', 'configMap', 'secret'] as const).filter((k) => file[k] !== undefined);
    if (sources.length !== 1) {
      ctx.report(path, `config file ${file.path} has ${sources.length === 0 ? 'no source' : `several sources (${sources.join(', ')})`}`, {
        expected: 'exactly one of content, configMap, secret',
        hint: sources.length === 0 ? 'add content: (inline), configMap: <name> or secret: <name>' : `keep one of ${sources.join(', ')} and remove the other${sources.length > 2 ? 's' : ''}`,
      });
    }
    const key = file.key ?? file.path.split('/').pop() ?? '';
    if (file.configMap !== undefined) checkConfigMapRef(ctx, [...path, 'configMap'], file.configMap, key);
    if (file.secret !== undefined) checkSecretRef(ctx, [...path, 'secret'], file.secret, key);
  });
  (pod.dependsOn ?? []).forEach((dep, i) => checkDependency(ctx, [...base, 'dependsOn', i], dep));
}

function checkImage(ctx: Ctx, path: SpecPath, image: ServiceSpec['image']): void {
  if (typeof image !== 'string') return;
  try {
    parseImage(image);
  } catch (e) {
    const err = e as SlipwayError;
    ctx.report(path, err.message, {
      expected: err.expected ?? 'an image reference such as ghcr.io/acme/api:1.0',
      hint: err.hint ?? 'write [registry/]repository[:tag][@sha256:digest] in lowercase',
    });
  }
}

function checkEnvRef(ctx: Ctx, path: SpecPath, value: EnvValueSpec): void {
  if (typeof value !== 'object') return;
  if ('configMap' in value) checkConfigMapRef(ctx, [...path, 'configMap'], value.configMap, value.optional === true ? undefined : value.key);
  else if ('secret' in value) checkSecretRef(ctx, [...path, 'secret'], value.secret, value.optional === true ? undefined : value.key);
}

/** A referenced ConfigMap must be declared in `configMaps:` (owned, or `external: true`); an inline key must exist. */
function checkConfigMapRef(ctx: Ctx, path: SpecPath, name: string, key: string | undefined): void {
  const declared = ctx.spec.configMaps ?? {};
  const cm = declared[name];
  if (cm === undefined) {
    ctx.report(path, `ConfigMap \`${name}\` is not declared`, {
      expected: `a name from configMaps: ${Object.keys(declared).join(', ') || '(none declared)'}`,
      hint: didYouMean(name, Object.keys(declared)) ?? `declare it under configMaps: (use \`${name}: {external: true}\` if it exists already)`,
    });
    return;
  }
  // Only inline data is known here; envFile and external ConfigMaps are checked when read/deployed.
  if (key !== undefined && cm.data !== undefined && cm.envFile === undefined && !(key in cm.data)) {
    ctx.report(path, `ConfigMap \`${name}\` has no key \`${key}\``, {
      expected: `one of its keys: ${Object.keys(cm.data).join(', ')}`,
      hint: didYouMean(key, Object.keys(cm.data)) ?? 'add the key to its data, or mark the reference optional: true',
    });
  }
}

/** A referenced Secret must be declared in `secrets:`; when the declaration lists keys, the key must be one of them. */
function checkSecretRef(ctx: Ctx, path: SpecPath, name: string, key: string | undefined): void {
  const declared = ctx.spec.secrets ?? {};
  const secret = declared[name];
  if (secret === undefined) {
    ctx.report(path, `Secret \`${name}\` is not declared`, {
      expected: `a name from secrets: ${Object.keys(declared).join(', ') || '(none declared)'}`,
      hint: didYouMean(name, Object.keys(declared)) ?? `declare it under secrets: with the keys the app expects`,
    });
    return;
  }
  if (key !== undefined && secret.keys !== undefined && !secret.keys.includes(key)) {
    ctx.report(path, `Secret \`${name}\` does not declare key \`${key}\``, {
      expected: `one of its keys: ${secret.keys.join(', ')}`,
      hint: didYouMean(key, secret.keys) ?? `add \`${key}\` to secrets.${name}.keys`,
    });
  }
}

function checkDependency(ctx: Ctx, path: SpecPath, dep: NonNullable<ServiceSpec['dependsOn']>[number]): void {
  const target = typeof dep === 'string' ? dep : dep.service;
  const targetPath = typeof dep === 'string' ? path : [...path, 'service'];
  const svc = ctx.spec.services[target];
  if (svc === undefined) {
    const hint = didYouMean(target, Object.keys(ctx.spec.services));
    const isJob = target in (ctx.spec.jobs ?? {}) || target in (ctx.spec.cronJobs ?? {});
    ctx.report(targetPath, `dependsOn \`${target}\`: no such service`, {
      expected: `a service name: ${Object.keys(ctx.spec.services).join(', ')}`,
      hint: hint ?? (isJob ? 'only services can be depended on (jobs do not listen on ports)' : `add a service named \`${target}\`, or remove this entry`),
    });
    return;
  }
  const ports = svc.ports ?? [];
  if (typeof dep !== 'string' && dep.port !== undefined) {
    checkPortRef(ctx, { path: [...path, 'port'], ref: dep.port, ports, owner: target, servicePort: true });
  } else if (ports.length === 0) {
    ctx.report(targetPath, `dependsOn \`${target}\`: it declares no ports to connect to`, {
      expected: `ports: [...] on service ${target}`,
      hint: `declare the port ${target} listens on (services.${target}.ports: [{name: ..., port: ...}]), or remove this entry`,
    });
  }
}

interface PortRefCheck {
  readonly path: SpecPath;
  readonly ref: string | number;
  readonly ports: readonly PortSpec[];
  readonly owner: string;
  /** Numbers refer to the Service port (what clients connect to) rather than the container port. */
  readonly servicePort: boolean;
}

function checkPortRef(ctx: Ctx, c: PortRefCheck): void {
  const names = c.ports.map((p) => p.name);
  if (typeof c.ref === 'string') {
    if (names.includes(c.ref)) return;
    ctx.report(c.path, `port \`${c.ref}\` is not declared by ${c.owner}`, {
      expected: names.length > 0 ? `a port name of ${c.owner}: ${names.join(', ')}` : `${c.owner} to declare ports`,
      hint:
        didYouMean(c.ref, names) ??
        (names.length > 0 ? `use one of ${names.join(', ')}, or declare \`${c.ref}\` under services.${c.owner}.ports` : `declare it under services.${c.owner}.ports: [{name: ${c.ref}, port: ...}]`),
    });
    return;
  }
  if (!c.servicePort) return;
  const numbers = c.ports.flatMap((p) => [p.servicePort ?? p.port, p.port]);
  if (numbers.includes(c.ref)) return;
  ctx.report(c.path, `port ${c.ref} is not declared by ${c.owner}`, {
    expected: numbers.length > 0 ? `a port of ${c.owner}: ${[...new Set(numbers)].join(', ')} (or a name: ${names.join(', ')})` : `${c.owner} to declare ports`,
    hint: names.length > 0 ? `refer to the port by name (${names.join(', ')}), or declare ${c.ref} under services.${c.owner}.ports` : `declare it under services.${c.owner}.ports: [{name: ..., port: ${c.ref}}]`,
  });
}

interface ProbeCheck {
  readonly path: SpecPath;
  readonly probe: ProbeSpec;
  readonly ports: readonly PortSpec[];
  readonly kind: 'readiness' | 'liveness' | 'startup';
}

function checkProbe(ctx: Ctx, c: ProbeCheck): void {
  const handlers = (['http', 'tcp', 'exec', 'grpc'] as const).filter((h) => c.probe[h] !== undefined);
  if (handlers.length !== 1) {
    ctx.report(c.path, `${c.kind} probe has ${handlers.length === 0 ? 'no handler' : `several handlers (${handlers.join(', ')})`}`, {
      at: 'key',
      expected: 'exactly one of http, tcp, exec, grpc',
      hint: handlers.length === 0 ? 'add http: {path: /healthz, port: <name>}, tcp: {port: <name>}, exec: {command: [...]} or grpc: {port: <name>}' : `keep one of ${handlers.join(', ')}`,
    });
  }
  const owner = String(c.path[1]);
  if (c.probe.http !== undefined) checkPortRef(ctx, { path: [...c.path, 'http', 'port'], ref: c.probe.http.port, ports: c.ports, owner, servicePort: false });
  if (c.probe.tcp !== undefined) checkPortRef(ctx, { path: [...c.path, 'tcp', 'port'], ref: c.probe.tcp.port, ports: c.ports, owner, servicePort: false });
  if (c.kind !== 'readiness' && c.probe.successThreshold !== undefined && c.probe.successThreshold !== 1) {
    ctx.report([...c.path, 'successThreshold'], `${c.kind} probe successThreshold must be 1`, {
      expected: '1 (Kubernetes rejects other values for liveness and startup probes)',
      hint: 'remove successThreshold (it defaults to 1)',
    });
  }
}

function checkExpose(ctx: Ctx, path: SpecPath, expose: NonNullable<ServiceSpec['expose']>): void {
  const type = expose.type ?? (expose.host !== undefined ? 'ingress' : 'internal');
  if (type === 'internal') {
    const extra = (['host', 'tls', 'rateLimit', 'gateway', 'className'] as const).filter((k) => expose[k] !== undefined);
    if (extra.length > 0) {
      ctx.report([...path, extra[0] ?? 'type'], `\`${extra.join('`, `')}\` has no effect on an internal service`, {
        at: 'key',
        expected: 'type: ingress or type: gateway',
        hint: `set type: ingress (or gateway) to expose the service, or remove \`${extra.join('`, `')}\``,
      });
    }
    return;
  }
  if (expose.host === undefined) {
    ctx.report(path, `type ${type} needs a host`, { at: 'key', expected: 'host: the public host name', hint: 'add host: e.g. api.example.com, or use type: internal' });
  }
  if (type === 'gateway' && expose.gateway === undefined) {
    ctx.report(path, 'type gateway needs the parent Gateway', {
      at: 'key',
      expected: 'gateway: {name: ..., namespace: ...}',
      hint: 'name the Gateway the HTTPRoute attaches to: gateway: {name: <gateway>, namespace: <its namespace>}',
    });
  }
  if (type === 'gateway' && expose.rateLimit !== undefined) {
    ctx.report([...path, 'rateLimit'], 'rateLimit is applied through ingress-nginx annotations, which an HTTPRoute does not have', {
      at: 'key',
      expected: 'type: ingress, or rate limiting in the Gateway implementation',
      hint: 'remove rateLimit, or use type: ingress',
    });
  }
  if (type === 'ingress' && expose.gateway !== undefined) {
    ctx.report([...path, 'gateway'], '`gateway` is used only with type: gateway', {
      at: 'key',
      expected: 'type: gateway',
      hint: 'remove gateway, or set type: gateway',
    });
  }
}

function checkStrategy(ctx: Ctx, path: SpecPath, svc: ServiceSpec): void {
  const strategy = svc.strategy as StrategySpec;
  const type = strategy.type ?? 'rolling';
  if (strategy.canary !== undefined && type !== 'canary') {
    ctx.report([...path, 'canary'], `canary steps are given but the strategy type is ${type}`, {
      at: 'key',
      expected: 'type: canary',
      hint: 'set type: canary, or remove canary',
    });
  }
  if (strategy.blueGreen !== undefined && type !== 'blueGreen') {
    ctx.report([...path, 'blueGreen'], `blueGreen settings are given but the strategy type is ${type}`, {
      at: 'key',
      expected: 'type: blueGreen',
      hint: 'set type: blueGreen, or remove blueGreen',
    });
  }
  if (type === 'canary' && strategy.canary === undefined) {
    // The controller has nothing to execute without steps (and the workload annotation would be refused).
    ctx.report([...path, 'type'], 'strategy canary needs its steps', {
      at: 'value',
      expected: 'canary: {steps: [{setWeight: 20}, {pause: {duration: 1m}}, ...]}',
      hint: 'add canary.steps next to type, or use type: rolling',
    });
  }
  checkVerification(ctx, path, svc, type);
  if (strategy.canary?.judge !== undefined) checkJudge(ctx, [...path, 'canary', 'judge'], strategy.canary.judge, strategy.canary.steps);
  const hasSlo = svc.slo?.successRate !== undefined || svc.slo?.latencyP95Ms !== undefined;
  let weight = 0;
  (strategy.canary?.steps ?? []).forEach((step, i) => {
    const stepPath = [...path, 'canary', 'steps', i];
    if ('setWeight' in step) {
      if (step.setWeight < weight) {
        ctx.report([...stepPath, 'setWeight'], `canary weight goes down from ${weight} to ${step.setWeight}`, {
          expected: 'weights that only increase (a rollback is an abort, not a step)',
          hint: `set this step's weight to at least ${weight}, or remove the step`,
        });
      }
      weight = step.setWeight;
    } else if ('analysis' in step && strategy.analysis === false) {
      ctx.report(stepPath, 'an analysis step checks the SLOs, but strategy.analysis is false', {
        at: 'key',
        expected: 'analysis steps only with SLO analysis on (strategy.analysis absent or true)',
        hint: 'remove the analysis step, or strategy.analysis: false',
      });
    } else if ('analysis' in step && !hasSlo) {
      // availability alone is not measured per canary: the step would wait for ever.
      ctx.report(stepPath, 'an analysis step needs SLOs to check', {
        at: 'key',
        expected: `slo: {successRate: ..., latencyP95Ms: ...} on the service`,
        hint: 'add slo.successRate and/or slo.latencyP95Ms to the service, or remove the analysis step',
      });
    }
  });
  if (strategy.analysis === true && (type === 'canary' || type === 'blueGreen') && !hasSlo) {
    ctx.report([...path, 'analysis'], `strategy.analysis is true but the service has no SLOs to check`, {
      at: 'value',
      expected: `slo: {successRate: ..., latencyP95Ms: ...} on the service`,
      hint: 'add slo.successRate and/or slo.latencyP95Ms (availability is not measured per release), or remove strategy.analysis',
    });
  }
}

type JudgeSpec = NonNullable<NonNullable<StrategySpec['canary']>['judge']>;
type StepsSpec = NonNullable<StrategySpec['canary']>['steps'];

/** The judge's minSamples default (src/analysis judge.ts METRIC_DEFAULTS). */
const JUDGE_MIN_SAMPLES = 5;
const JUDGE_COUNT = 10;

/** `strategy.canary.judge`: settings that can reach a verdict, with canary pods to compare. */
function checkJudge(ctx: Ctx, path: SpecPath, judge: JudgeSpec, steps: StepsSpec): void {
  const t = judge.scoreThresholds;
  if (t !== undefined && t.marginal > t.pass) {
    ctx.report([...path, 'scoreThresholds', 'marginal'], `the marginal threshold ${t.marginal} is above the pass threshold ${t.pass}`, {
      expected: 'marginal ≤ pass (a score at or above pass passes, at or above marginal is Marginal, below fails)',
      hint: `lower marginal to at most ${t.pass}`,
    });
  }
  const count = judge.count ?? JUDGE_COUNT;
  const seen = new Set<string>();
  (judge.metrics ?? []).forEach((m, i) => {
    const mp = [...path, 'metrics', i];
    if (seen.has(m.name)) ctx.report([...mp, 'name'], `judge metric ${m.name} is defined twice`, { expected: 'unique metric names', hint: 'rename or remove one of them' });
    seen.add(m.name);
    if (!/\{\{\s*pods\s*\}\}/.test(m.query)) {
      ctx.report([...mp, 'query'], `judge metric ${m.name}: the query does not select pods with {{pods}}, so the canary and the baseline would get the same value`, {
        expected: 'a query over {{pods}}, e.g. ...{namespace="{{namespace}}",pod=~"{{pods}}"}[{{interval}}]',
        hint: 'add pod=~"{{pods}}" to the query\'s selector',
      });
    }
    const min = m.minSamples ?? JUDGE_MIN_SAMPLES;
    if (min > count) {
      ctx.report(m.minSamples !== undefined ? [...mp, 'minSamples'] : [...path, ...(judge.count !== undefined ? ['count'] : [])], `judge metric ${m.name} needs ${min} samples per side but the judge samples ${count} intervals: it could only be NoData`, {
        at: judge.count !== undefined || m.minSamples !== undefined ? 'value' : 'key',
        expected: `count ≥ minSamples (${min})`,
        hint: `set count to at least ${min}, or lower minSamples`,
      });
    }
  });
  if (judge.metrics === undefined && count < JUDGE_MIN_SAMPLES) {
    ctx.report([...path, 'count'], `the default judge metrics need ${JUDGE_MIN_SAMPLES} samples per side but the judge samples ${count} intervals: they could only be NoData`, {
      expected: `count ≥ ${JUDGE_MIN_SAMPLES}`,
      hint: `set count to at least ${JUDGE_MIN_SAMPLES}, or give metrics with a lower minSamples`,
    });
  }
  const firstTraffic = steps.findIndex((st) => ('setWeight' in st && st.setWeight > 0) || ('setCanaryScale' in st && ((st.setCanaryScale.replicas ?? 0) > 0 || (st.setCanaryScale.weight ?? 0) > 0)));
  const start = judge.startingStep ?? (firstTraffic >= 0 ? firstTraffic + 1 : steps.length);
  if (judge.startingStep !== undefined && judge.startingStep > steps.length) {
    ctx.report([...path, 'startingStep'], `startingStep ${judge.startingStep} is past the last step (${steps.length} steps)`, {
      expected: `0 to ${steps.length} (${steps.length}: after the last step, before promotion)`,
      hint: 'count steps from 0',
    });
  } else if (firstTraffic < 0 || firstTraffic >= start) {
    ctx.report(judge.startingStep !== undefined ? [...path, 'startingStep'] : path, 'the judge starts before any step gives the canary pods: there would be nothing to compare', {
      at: judge.startingStep !== undefined ? 'value' : 'key',
      expected: 'a setWeight above 0 (or a setCanaryScale) before the judge\'s starting step',
      hint: judge.startingStep !== undefined ? `set startingStep after the first step with canary traffic (${firstTraffic >= 0 ? firstTraffic + 1 : 'add one'})` : 'add a setWeight step above 0',
    });
  }
}

/** `strategy.verification`: rolling only, something to check, and settings that can pass. */
function checkVerification(ctx: Ctx, path: SpecPath, svc: ServiceSpec, type: string): void {
  const v = svc.strategy?.verification;
  if (v === undefined || v === false) return;
  const at = [...path, 'verification'];
  if (type !== 'rolling') {
    ctx.report(at, `verification is for rolling releases; a ${type} service is judged by the controller's analysis`, { at: 'key', expected: 'type: rolling', hint: type === 'canary' ? 'use analysis steps in canary.steps, or remove verification' : 'remove verification' });
  } else if (svc.slo?.successRate === undefined && svc.slo?.latencyP95Ms === undefined) {
    ctx.report(at, 'verification needs SLOs to check', { at: 'key', expected: 'slo: {successRate: ..., latencyP95Ms: ...} on the service', hint: 'add slo.successRate and/or slo.latencyP95Ms, or remove verification' });
  }
  const impossible = typeof v === 'object' ? impossibleVerification(v) : undefined;
  if (impossible !== undefined) ctx.report(at, `verification can never pass: ${impossible}`, { at: 'key', expected: '(count - 1) × interval within duration', hint: 'lower count or interval, or raise duration' });
}

function checkUnique(ctx: Ctx, items: { value: string | number; shown?: string; path: SpecPath }[], what: string): void {
  const seen = new Set<string | number>();
  for (const item of items) {
    if (seen.has(item.value)) ctx.report(item.path, `duplicate ${what} ${item.shown ?? JSON.stringify(item.value)}`, { expected: `each ${what} once`, hint: `change or remove the repeated ${what}` });
    seen.add(item.value);
  }
}

const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

function checkSchedule(ctx: Ctx, path: SpecPath, schedule: string): void {
  const s = schedule.trim();
  if (s.startsWith('@') ? CRON_MACROS.includes(s) : s.split(/\s+/).length === 5) return;
  ctx.report(path, `invalid cron schedule ${JSON.stringify(schedule)}`, {
    expected: 'five fields: minute hour day-of-month month day-of-week (e.g. "0 2 * * *"), or @hourly/@daily/@weekly/@monthly/@yearly',
    hint: s.startsWith('@') ? (didYouMean(s, CRON_MACROS) ?? `write one of ${CRON_MACROS.join(', ')}`) : `it has ${s === '' ? 0 : s.split(/\s+/).length} fields`,
  });
}

/**
 * Label keys and values, annotation keys: Kubernetes' own syntax, so that what validate accepts
 * the apiserver accepts (`"Bad Key!": "value with spaces"` would be rendered, then rejected).
 */
function checkLabels(ctx: Ctx, path: SpecPath, map: Readonly<Record<string, string>> | undefined, what: 'label' | 'annotation'): void {
  for (const [key, value] of Object.entries(map ?? {})) {
    const keyProblem = qualifiedNameProblem(key, what);
    if (keyProblem !== undefined) {
      const fixed = key.replace(/[^-A-Za-z0-9_./]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
      ctx.report([...path, key], keyProblem.message, {
        at: 'key',
        expected: keyProblem.expected,
        hint: fixed !== '' && fixed !== key && qualifiedNameProblem(fixed, what) === undefined ? `e.g. \`${fixed}\`` : `rename the ${what} key`,
      });
    }
    const valueProblem = what === 'label' && typeof value === 'string' ? labelValueProblem(value) : undefined;
    if (valueProblem !== undefined) {
      ctx.report([...path, key], valueProblem.message, {
        expected: valueProblem.expected,
        hint: value.length > 63 ? 'shorten it, or make it an annotation (annotation values are free text)' : 'replace spaces and other characters with "-", or make it an annotation (annotation values are free text)',
      });
    }
  }
}

const RESOURCES = ['cpu', 'memory', 'ephemeral-storage'] as const;

/** A request above its limit is refused by the apiserver: say so here, at the request. */
function checkResources(ctx: Ctx, path: SpecPath, resources: ServiceSpec['resources']): void {
  for (const kind of ['requests', 'limits'] as const) {
    for (const name of RESOURCES) {
      const q = resources?.[kind]?.[name];
      if (q === undefined || Number.isFinite(parseQuantity(q))) continue;
      // `"1e400"` matches the quantity syntax but is no number a node has (it compares as Infinity).
      ctx.report([...path, kind, name], `${kind}.${name} ${String(q)} is too large`, {
        expected: 'a Kubernetes quantity a node can have, e.g. 250m, 2, 512Mi, 10Gi',
        hint: 'use a unit suffix (Mi, Gi, Ti) instead of a large exponent',
      });
    }
  }
  for (const name of RESOURCES) {
    const request = resources?.requests?.[name];
    const limit = resources?.limits?.[name];
    if (request === undefined || limit === undefined) continue;
    const r = parseQuantity(request);
    const l = parseQuantity(limit);
    if (r === undefined || l === undefined || r <= l) continue;
    ctx.report([...path, 'requests', name], `${name} request ${String(request)} is above its limit ${String(limit)}`, {
      expected: `requests.${name} ≤ limits.${name} (Kubernetes rejects a request above the limit)`,
      hint: `lower the request or raise the limit to at least ${String(request)}`,
    });
  }
}
