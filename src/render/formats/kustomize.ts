import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { internal } from '../../errors/index.ts';
import { stringifyYaml, type KubeObject } from '../../manifest/index.ts';
import {
  deepEqual,
  groupByIdentity,
  groupOf,
  isNamespaced,
  sortedFiles,
  uniqueStems,
  versionOf,
  type FormatFiles,
  type FormatInput,
  type IdentityGroup,
} from './common.ts';

const KUSTOMIZATION_HEADER = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' };

/**
 * Kustomize layout: `base/` holds the objects rendered without an environment, one file each;
 * `overlays/<env>/` turns them into exactly that environment's render:
 *
 * - `namespace:` when every namespaced object of the environment lives in one namespace that
 *   differs from the base (kustomize then rewrites `metadata.namespace`, nothing else we rely on);
 * - objects only in the environment are added as `resources/…` files;
 * - objects only in the base are removed with a `$patch: delete` strategic-merge patch;
 * - field differences become JSON 6902 patches (computed, then checked by applying them), because
 *   those are exact where strategic merge on lists is not.
 *
 * Labels are never touched through kustomize (no `commonLabels`/`labels:`): the renderer owns them.
 * `kubectl kustomize overlays/<env>` yields the same objects as `slipway render --env <env>`; the
 * conformance suite proves it with the real kustomize.
 * @see https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/
 */
export function toKustomize(input: FormatInput): FormatFiles {
  const groups = groupByIdentity(input);
  const stems = uniqueStems(groups);
  const files: [string, string][] = [];

  const baseResources: string[] = [];
  for (const g of groups) {
    if (!g.base) continue;
    const file = `${stemFor(stems, g)}.yaml`;
    baseResources.push(file);
    files.push([`base/${file}`, stringifyYaml(g.base)]);
  }
  files.push(['base/kustomization.yaml', stringifyYaml({ ...KUSTOMIZATION_HEADER, resources: [...baseResources].sort() })]);

  for (const env of input.environments.keys()) files.push(...overlayFiles(env, groups, stems, input));
  return sortedFiles(files);
}

function stemFor(stems: ReadonlyMap<string, string>, g: IdentityGroup): string {
  const stem = stems.get(g.id);
  if (stem === undefined) throw internal(`no file name for ${g.id}`, { cause: g.id });
  return stem;
}

/** The single namespace all namespaced objects share, or undefined when they do not share one. */
function commonNamespace(objects: readonly KubeObject[]): string | undefined {
  const namespaces = new Set(objects.filter(isNamespaced).map((o) => o.metadata.namespace ?? ''));
  if (namespaces.size !== 1) return undefined;
  const [only] = namespaces;
  return only === '' ? undefined : only;
}

interface PatchEntry {
  readonly path: string;
  readonly target?: Record<string, string>;
}

function overlayFiles(env: string, groups: readonly IdentityGroup[], stems: ReadonlyMap<string, string>, input: FormatInput): [string, string][] {
  const dir = `overlays/${env}`;
  const envObjects = input.environments.get(env) ?? [];
  const envNs = commonNamespace(envObjects);
  // Only rely on kustomize's namespace rewrite when the base agrees on one namespace as well;
  // otherwise namespace changes are ordinary JSON patches.
  const baseNs = commonNamespace(input.base);
  const setNamespace = envNs !== undefined && baseNs !== undefined && envNs !== baseNs ? envNs : undefined;

  const files: [string, string][] = [];
  const resources: string[] = [];
  const patches: PatchEntry[] = [];
  for (const g of groups) {
    const stem = stemFor(stems, g);
    const target = g.envs.get(env);
    if (g.base && !target) {
      patches.push({ path: `patches/delete-${stem}.yaml` });
      files.push([`${dir}/patches/delete-${stem}.yaml`, stringifyYaml(deletePatch(g.base))]);
    } else if (!g.base && target) {
      resources.push(`resources/${stem}.yaml`);
      files.push([`${dir}/resources/${stem}.yaml`, stringifyYaml(target)]);
    } else if (g.base && target) {
      const ops = jsonPatchFor(g.base, target, setNamespace);
      if (ops.length === 0) continue;
      patches.push({ path: `patches/${stem}.yaml`, target: targetOf(g.base) });
      files.push([`${dir}/patches/${stem}.yaml`, stringifyYaml(ops)]);
    }
  }
  const kustomization: Record<string, unknown> = { ...KUSTOMIZATION_HEADER };
  if (setNamespace !== undefined) kustomization['namespace'] = setNamespace;
  kustomization['resources'] = ['../../base', ...resources.sort()];
  if (patches.length > 0) kustomization['patches'] = patches.sort((a, b) => (a.path < b.path ? -1 : 1));
  files.push([`${dir}/kustomization.yaml`, stringifyYaml(kustomization)]);
  return files;
}

/** Selects exactly one base object. Patches run before the namespace rewrite, so the base namespace is right. */
function targetOf(o: KubeObject): Record<string, string> {
  const t: Record<string, string> = {};
  const group = groupOf(o.apiVersion);
  if (group !== '') t['group'] = group;
  t['version'] = versionOf(o.apiVersion);
  t['kind'] = o.kind;
  t['name'] = o.metadata.name ?? '';
  if (o.metadata.namespace !== undefined) t['namespace'] = o.metadata.namespace;
  return t;
}

function deletePatch(o: KubeObject): Record<string, unknown> {
  const metadata: Record<string, string> = { name: o.metadata.name ?? '' };
  if (o.metadata.namespace !== undefined) metadata['namespace'] = o.metadata.namespace;
  return { $patch: 'delete', apiVersion: o.apiVersion, kind: o.kind, metadata };
}

/**
 * The JSON patch turning `base` into `target`, given that kustomize will afterwards set
 * `metadata.namespace` to `setNamespace` on namespaced objects. Verified by applying it: a wrong
 * patch is a bug here, and must not reach a user's overlay.
 */
function jsonPatchFor(base: KubeObject, target: KubeObject, setNamespace: string | undefined): Operation[] {
  const want = structuredClone(target);
  if (setNamespace !== undefined && isNamespaced(want)) {
    // kustomize rewrites the namespace after patches: patch towards the base namespace.
    if (base.metadata.namespace === undefined) delete want.metadata.namespace;
    else want.metadata.namespace = base.metadata.namespace;
  }
  const ops = fastJsonPatch.compare(base, want);
  const applied = fastJsonPatch.applyPatch(structuredClone(base), structuredClone(ops), true, false).newDocument;
  if (!deepEqual(applied, want)) {
    throw internal(`kustomize: computed patch for ${base.kind}/${base.metadata.name ?? ''} does not reproduce the environment`, {
      cause: ops,
    });
  }
  return ops;
}
