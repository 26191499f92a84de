import type { FieldPath, KubeObject, Position } from '../manifest/index.ts';
import type { RuleMeta } from './types.ts';
import { arr, get, mapSelectorMatches, rec, selectorMatches, str, strMap, type Rec } from './util.ts';

/** One object being linted, with its way back to the source. */
export interface LintObject {
  readonly object: KubeObject;
  readonly kind: string;
  readonly apiVersion: string;
  /** Namespace as written; `''` when unset (the objects then share the namespace they are applied to). */
  readonly namespace: string;
  readonly name: string;
  readonly file: string | undefined;
  readonly context: string | undefined;
  readonly positionOf: ((path: FieldPath) => Position) | undefined;
  /** Lazily computed pod template, when the kind has one. */
  readonly pod: PodTemplate | undefined;
}

/** A pod spec inside a workload, with paths to report against. */
export interface PodTemplate {
  readonly spec: Rec;
  readonly specPath: FieldPath;
  readonly metaPath: FieldPath;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface ContainerRef {
  readonly c: Rec;
  readonly path: FieldPath;
  readonly name: string;
  readonly kind: 'containers' | 'initContainers' | 'ephemeralContainers';
}

const TEMPLATE_PATHS: Readonly<Record<string, FieldPath>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** Kinds that run long-lived replicated pods (probes, PDBs, anti-affinity make sense for them). */
export const SERVING_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

function podTemplateOf(o: KubeObject): PodTemplate | undefined {
  if (o.kind === 'Pod') {
    return {
      spec: rec(o['spec']),
      specPath: ['spec'],
      metaPath: ['metadata'],
      labels: strMap(o.metadata.labels),
      annotations: strMap(o.metadata.annotations),
    };
  }
  const base = TEMPLATE_PATHS[o.kind];
  if (base === undefined) return undefined;
  let tmpl: unknown = o;
  for (const seg of base) tmpl = rec(tmpl)[seg];
  const meta = rec(rec(tmpl)['metadata']);
  return {
    spec: rec(rec(tmpl)['spec']),
    specPath: [...base, 'spec'],
    metaPath: [...base, 'metadata'],
    labels: strMap(meta['labels']),
    annotations: strMap(meta['annotations']),
  };
}

/**
 * Containers per pod template, computed once: some twenty rules walk the containers of every
 * workload, and rebuilding the list (with its paths) for each was a visible share of lint time.
 * Keyed by the template object (rules never modify the objects they lint), so it lives exactly as long
 * as the objects being linted.
 */
const containerLists = new WeakMap<PodTemplate, { all?: readonly ContainerRef[]; app?: readonly ContainerRef[] }>();

export function containersOf(pod: PodTemplate, include: 'all' | 'app' = 'all'): readonly ContainerRef[] {
  let lists = containerLists.get(pod);
  if (!lists) {
    lists = {};
    containerLists.set(pod, lists);
  }
  return (lists[include] ??= listContainers(pod, include));
}

function listContainers(pod: PodTemplate, include: 'all' | 'app'): readonly ContainerRef[] {
  const kinds = include === 'all' ? (['initContainers', 'containers', 'ephemeralContainers'] as const) : (['containers'] as const);
  const out: ContainerRef[] = [];
  for (const kind of kinds) {
    arr(pod.spec[kind]).forEach((c, i) => {
      out.push({ c: rec(c), path: [...pod.specPath, kind, i], name: str(rec(c)['name']) ?? `#${i}`, kind });
    });
  }
  return out;
}

export function toLintObject(object: KubeObject, src: { file?: string | undefined; context?: string | undefined; positionOf?: ((p: FieldPath) => Position) | undefined } = {}): LintObject {
  const { file, context, positionOf } = src;
  return {
    context,
    object,
    kind: object.kind,
    apiVersion: object.apiVersion,
    namespace: typeof object.metadata.namespace === 'string' ? object.metadata.namespace : '',
    name: typeof object.metadata.name === 'string' ? object.metadata.name : '',
    file,
    positionOf,
    pod: podTemplateOf(object),
  };
}

/** An object with the labels a selector is matched against (pod template or metadata labels). */
interface Labeled {
  readonly o: LintObject;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Objects by label key and value. A selector's matchLabels can only match objects carrying each
 * of those labels, so the shortest such list is a small superset of the matches: cross-object
 * rules filter it instead of scanning every object in the namespace for every selector, which
 * was quadratic in the namespace size (10,000 objects in one namespace took seconds).
 */
class LabelIndex {
  private readonly all: readonly Labeled[];
  private readonly byLabel = new Map<string, Map<string, Labeled[]>>();

  constructor(all: readonly Labeled[]) {
    this.all = all;
    for (const x of all) {
      for (const [k, v] of Object.entries(x.labels)) {
        let values = this.byLabel.get(k);
        if (!values) {
          values = new Map();
          this.byLabel.set(k, values);
        }
        const list = values.get(v);
        if (list) list.push(x);
        else values.set(v, [x]);
      }
    }
  }

  /** A superset of the objects whose labels include all of `required`, in input order. */
  candidates(required: Readonly<Record<string, string>>): readonly Labeled[] {
    let best = this.all;
    for (const [k, v] of Object.entries(required)) {
      const list = this.byLabel.get(k)?.get(v) ?? [];
      if (list.length < best.length) best = list;
      if (best.length === 0) break;
    }
    return best;
  }
}

/**
 * LabelSelectors of some objects, bucketed by their first matchLabels entry: a selector
 * requiring `k: v` can only match label sets containing `k: v`, so a label set is checked only
 * against the selectors in its own labels' buckets plus those without matchLabels.
 */
class SelectorIndex {
  private readonly unkeyed: unknown[] = [];
  private readonly byLabel = new Map<string, Map<string, unknown[]>>();

  constructor(selectors: readonly unknown[]) {
    for (const sel of selectors) {
      const first = Object.entries(strMap(rec(sel)['matchLabels']))[0];
      if (first === undefined) {
        this.unkeyed.push(sel);
        continue;
      }
      const [k, v] = first;
      let values = this.byLabel.get(k);
      if (!values) {
        values = new Map();
        this.byLabel.set(k, values);
      }
      const list = values.get(v);
      if (list) list.push(sel);
      else values.set(v, [sel]);
    }
  }

  /** Does any of the selectors match `labels`? */
  anyMatches(labels: Readonly<Record<string, string>>): boolean {
    if (this.unkeyed.some((s) => selectorMatches(s, labels))) return true;
    for (const [k, v] of Object.entries(labels)) {
      if (this.byLabel.get(k)?.get(v)?.some((s) => selectorMatches(s, labels)) === true) return true;
    }
    return false;
  }
}

const NO_OBJECTS: readonly LintObject[] = [];

/**
 * The whole set being linted, indexed for cross-object rules. Every lookup answers exactly what
 * a scan over the objects in input order would (same objects, same order); the indexes are
 * built on first use, so a run without the rule that needs one does not pay for it.
 */
export class LintContext {
  readonly objects: readonly LintObject[];
  private readonly byKind = new Map<string, LintObject[]>();
  /** kind → namespace → objects: cross-object rules look up by namespace for every object. */
  private readonly byKindNs = new Map<string, Map<string, LintObject[]>>();
  /** kind → namespace → name → the first object with that name (what a `find` would return). */
  private readonly byName = new Map<string, Map<string, Map<string, LintObject>>>();
  private readonly workloadsByNs = new Map<string, LintObject[]>();
  /** namespace → kind → name → HorizontalPodAutoscalers whose scaleTargetRef names it. */
  private hpaTargets: Map<string, Map<string, Map<string, LintObject[]>>> | undefined;
  private readonly workloadLabels = new Map<string, LabelIndex>();
  private serviceLabels: LabelIndex | undefined;
  /** kind → namespace → selector field → index of those selectors. */
  private readonly selectors = new Map<string, Map<string, Map<string, SelectorIndex>>>();

  constructor(objects: readonly LintObject[]) {
    this.objects = objects;
    for (const o of objects) {
      push(this.byKind, o.kind, o);
      push(nested(this.byKindNs, o.kind), o.namespace, o);
      const names = nested(nested(this.byName, o.kind), o.namespace);
      if (!names.has(o.name)) names.set(o.name, o);
      if (o.pod !== undefined) push(this.workloadsByNs, o.namespace, o);
    }
  }

  ofKind(kind: string): readonly LintObject[] {
    return this.byKind.get(kind) ?? NO_OBJECTS;
  }

  /** Objects of `kind` in the same namespace as `o`. */
  inNamespace(kind: string, namespace: string): readonly LintObject[] {
    return this.byKindNs.get(kind)?.get(namespace) ?? NO_OBJECTS;
  }

  /** All objects with a pod template in a namespace. */
  workloadsIn(namespace: string): readonly LintObject[] {
    return this.workloadsByNs.get(namespace) ?? NO_OBJECTS;
  }

  find(kind: string, namespace: string, name: string): LintObject | undefined {
    return this.byName.get(kind)?.get(namespace)?.get(name);
  }

  /** HorizontalPodAutoscalers in `o`'s namespace whose scaleTargetRef is `o` (kind and name). */
  hpasFor(o: LintObject): readonly LintObject[] {
    this.hpaTargets ??= this.indexHpaTargets();
    return this.hpaTargets.get(o.namespace)?.get(o.kind)?.get(o.name) ?? NO_OBJECTS;
  }

  private indexHpaTargets(): Map<string, Map<string, Map<string, LintObject[]>>> {
    const out = new Map<string, Map<string, Map<string, LintObject[]>>>();
    for (const h of this.ofKind('HorizontalPodAutoscaler')) {
      const ref = rec(get(h.object, ['spec', 'scaleTargetRef']));
      const kind = ref['kind'];
      const name = ref['name'];
      // Only strings can equal an object's kind and name.
      if (typeof kind === 'string' && typeof name === 'string') push(nested(nested(out, h.namespace), kind), name, h);
    }
    return out;
  }

  /** Workloads in a namespace whose pod labels a LabelSelector (matchLabels + matchExpressions) matches. */
  workloadsMatching(namespace: string, selector: unknown): LintObject[] {
    return this.workloadIndex(namespace)
      .candidates(strMap(rec(selector)['matchLabels']))
      .filter((x) => selectorMatches(selector, x.labels))
      .map((x) => x.o);
  }

  /** Workloads in a namespace whose pod labels a plain map selector (Service style) matches. */
  workloadsMatchingMap(namespace: string, selector: Readonly<Record<string, string>>): LintObject[] {
    return this.workloadIndex(namespace)
      .candidates(selector)
      .filter((x) => mapSelectorMatches(selector, x.labels))
      .map((x) => x.o);
  }

  private workloadIndex(namespace: string): LabelIndex {
    let index = this.workloadLabels.get(namespace);
    if (!index) {
      index = new LabelIndex(this.workloadsIn(namespace).flatMap((o) => (o.pod ? [{ o, labels: o.pod.labels }] : [])));
      this.workloadLabels.set(namespace, index);
    }
    return index;
  }

  /** Services in any namespace whose metadata labels a LabelSelector matches. */
  servicesMatching(selector: unknown): LintObject[] {
    this.serviceLabels ??= new LabelIndex(this.ofKind('Service').map((o) => ({ o, labels: strMap(o.object.metadata.labels) })));
    return this.serviceLabels
      .candidates(strMap(rec(selector)['matchLabels']))
      .filter((x) => selectorMatches(selector, x.labels))
      .map((x) => x.o);
  }

  /** Does the LabelSelector at `field` of some object of `kind` in `namespace` match `labels`? */
  anySelects(kind: string, namespace: string, field: FieldPath, labels: Readonly<Record<string, string>>): boolean {
    const byField = nested(nested(this.selectors, kind), namespace);
    const key = field.join('.');
    let index = byField.get(key);
    if (!index) {
      index = new SelectorIndex(this.inNamespace(kind, namespace).map((o) => get(o.object, field)));
      byField.set(key, index);
    }
    return index.anyMatches(labels);
  }
}

function nested<K, V>(m: Map<K, Map<string, V>>, k: K): Map<string, V> {
  let inner = m.get(k);
  if (!inner) {
    inner = new Map();
    m.set(k, inner);
  }
  return inner;
}

function push<K>(m: Map<K, LintObject[]>, k: K, o: LintObject): void {
  const list = m.get(k);
  if (list) list.push(o);
  else m.set(k, [o]);
}

export type Report = (path: FieldPath, message: string, hint?: string) => void;

/** A rule: metadata plus a check that reports through `report`. Checks never throw on odd input. */
export interface Rule extends RuleMeta {
  /** Kinds the rule looks at; `'*'` for all. Lets the engine skip objects cheaply. */
  readonly kinds: readonly string[] | '*';
  check(o: LintObject, report: Report, ctx: LintContext): void;
}

export const K8S_DOCS = 'https://kubernetes.io/docs';
export const PSS_URL = `${K8S_DOCS}/concepts/security/pod-security-standards/`;
