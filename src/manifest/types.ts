/**
 * The shape slipway passes Kubernetes objects around in. Deliberately loose beyond the
 * identifying fields: objects come from users, renderers and the apiserver, and each engine
 * validates what it reads.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/
 */
interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A path into a document: map keys and sequence indexes, e.g. `['spec', 'template', 'spec', 'containers', 0, 'image']`. */
export type FieldPath = readonly (string | number)[];

export interface Position {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
}

/** One parsed document with a way back to where each field came from. */
export interface ParsedManifest {
  readonly object: KubeObject;
  readonly file: string;
  /** 0-based index of the document within its file. */
  readonly index: number;
  /**
   * Where a field is. For a missing field, the nearest existing ancestor, so that a "field X is
   * missing" finding still points into the right object.
   */
  positionOf(path: FieldPath): Position;
}

/** Group/kind/namespace/name: how objects are told apart. */
export function objectKey(o: KubeObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] ?? '' : '';
  return `${group}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}
