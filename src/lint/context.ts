import type { FieldPath, KubeObject, Position } from '../manifest/index.ts';
import type { RuleMeta } from './types.ts';
import { arr, rec, str, strMap, type Rec } from './util.ts';

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

export function podTemplateOf(o: KubeObject): PodTemplate | undefined {
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

export function containersOf(pod: PodTemplate, include: 'all' | 'app' = 'all'): ContainerRef[] {
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

/** The whole set being linted, indexed for cross-object rules. */
export class LintContext {
  readonly objects: readonly LintObject[];
  private readonly byKind = new Map<string, LintObject[]>();
  /** kind → namespace → objects: cross-object rules look up by namespace for every object. */
  private readonly byKindNs = new Map<string, Map<string, LintObject[]>>();
  private readonly workloadsByNs = new Map<string, LintObject[]>();

  constructor(objects: readonly LintObject[]) {
    this.objects = objects;
    for (const o of objects) {
      push(this.byKind, o.kind, o);
      let ns = this.byKindNs.get(o.kind);
      if (!ns) {
        ns = new Map();
        this.byKindNs.set(o.kind, ns);
      }
      push(ns, o.namespace, o);
      if (o.pod !== undefined) push(this.workloadsByNs, o.namespace, o);
    }
  }

  ofKind(kind: string): readonly LintObject[] {
    return this.byKind.get(kind) ?? [];
  }

  /** Objects of `kind` in the same namespace as `o`. */
  inNamespace(kind: string, namespace: string): readonly LintObject[] {
    return this.byKindNs.get(kind)?.get(namespace) ?? [];
  }

  /** All objects with a pod template in a namespace. */
  workloadsIn(namespace: string): readonly LintObject[] {
    return this.workloadsByNs.get(namespace) ?? [];
  }

  find(kind: string, namespace: string, name: string): LintObject | undefined {
    return this.inNamespace(kind, namespace).find((x) => x.name === name);
  }
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
