import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../manifest/index.ts';

/**
 * What every output format is built from: the plain render of the spec without an environment
 * overlay (the base) and of each environment. Formats only re-express these objects; they never
 * decide what an object looks like, so `plain` stays the single source of truth.
 */
export interface FormatInput {
  /** The app name: Helm chart name, kustomize file comments. */
  readonly app: string;
  /**
   * Objects rendered from the spec with no environment overlay. Becomes the kustomize `base/`
   * and Helm's `values.yaml` defaults. When the spec has no environments, this is the only render.
   */
  readonly base: readonly KubeObject[];
  /** Objects per environment, in declaration order (Map keeps it). */
  readonly environments: ReadonlyMap<string, readonly KubeObject[]>;
  /**
   * Version of the app, for Chart.yaml `appVersion`.
   * @default the tag of the first service image in the base, else "0.1.0"
   */
  readonly appVersion?: string;
  /**
   * Chart version (SemVer).
   * @default "0.1.0"
   */
  readonly chartVersion?: string;
}

/** Files of one output format, relative path → content. Paths use `/`, sorted. */
export type FormatFiles = Map<string, string>;

/**
 * How objects are matched across environments: group, kind and name, but not namespace, because
 * environments usually differ exactly in their namespace.
 */
export function identityOf(o: KubeObject): string {
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.name ?? ''}`;
}

export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
}

export function versionOf(apiVersion: string): string {
  return apiVersion.includes('/') ? (apiVersion.split('/')[1] ?? '') : apiVersion;
}

export const deepEqual = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a, b);

/** One object identity across base and environments. */
export interface IdentityGroup {
  readonly id: string;
  readonly base: KubeObject | undefined;
  readonly envs: ReadonlyMap<string, KubeObject>;
}

/** Groups objects by {@link identityOf}, in first-seen order (base first, then environments). */
export function groupByIdentity(input: FormatInput, identity: (o: KubeObject) => string = identityOf): IdentityGroup[] {
  const groups = new Map<string, { id: string; base: KubeObject | undefined; envs: Map<string, KubeObject> }>();
  const get = (o: KubeObject): { id: string; base: KubeObject | undefined; envs: Map<string, KubeObject> } => {
    const id = identity(o);
    let g = groups.get(id);
    if (!g) {
      g = { id, base: undefined, envs: new Map() };
      groups.set(id, g);
    }
    return g;
  };
  for (const o of input.base) get(o).base = o;
  for (const [env, objects] of input.environments) {
    for (const o of objects) get(o).envs.set(env, o);
  }
  return [...groups.values()];
}

/** `deployment-api` — a readable, file-system-safe stem; callers de-duplicate. */
function stemOf(o: KubeObject): string {
  return `${o.kind.toLowerCase()}-${(o.metadata.name ?? 'unnamed').replace(/[^a-zA-Z0-9._-]/g, '_')}`;
}

/** Assigns each identity a unique file stem (`deployment-api`, then `deployment-api-2` on a clash). */
export function uniqueStems(groups: readonly IdentityGroup[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const g of groups) {
    const sample = g.base ?? [...g.envs.values()][0];
    if (!sample) continue;
    let stem = stemOf(sample);
    for (let i = 2; used.has(stem); i++) stem = `${stemOf(sample)}-${i}`;
    used.add(stem);
    out.set(g.id, stem);
  }
  return out;
}

/**
 * Kinds kustomize and the apiserver treat as cluster-scoped (no namespace). Anything else,
 * including custom resources, is treated as namespaced, which is what kustomize does too.
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris
 */
const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'APIService',
  'PriorityClass',
  'RuntimeClass',
  'IngressClass',
  'GatewayClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ClusterIssuer',
]);

export function isNamespaced(o: KubeObject): boolean {
  return !CLUSTER_SCOPED_KINDS.has(o.kind);
}

/** Sorts a file map by path so output (and golden files) are deterministic. */
export function sortedFiles(entries: Iterable<readonly [string, string]>): FormatFiles {
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
