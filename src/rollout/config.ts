/**
 * Config rolls with the release: the ConfigMaps and Secrets a canary or blue-green service's pods
 * reference are versioned by content, so a new version mounts its own config while the stable
 * one keeps the old (Argo Rollouts leaves this to the user: argo-rollouts#958, #1297).
 *
 * At deploy time ({@link versionConfig}) each referenced ConfigMap or Secret that the deploy itself
 * carries gets an immutable copy `<name>-<hash>` (the hash covers the content and the rollout, so
 * two services never share a copy), and the pod template points at the copies. A change of the
 * content alone therefore changes the template, which starts a release. The template lists its
 * copies in an annotation; the controller deletes the copies no live version references any more
 * (after a promotion, a rollback, a superseded canary), by name: it never reads a Secret.
 */
import { canonicalJson, isRecord as isRec, omit, type KubeObject } from '../manifest/index.ts';
import type { KubeClient } from '../kube/index.ts';
import { CONFIG_OF_LABEL } from '../appspec/index.ts';
import { templateHash } from './run.ts';

/** On a pod template: the versioned copies it references, as canonical JSON `["ConfigMap/x-1a2b…"]`. */
const VERSIONED_CONFIG_ANNOTATION = 'slipway.dev/versioned-config';

type Kind = 'ConfigMap' | 'Secret';
type Rec = Record<string, unknown>;
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? v.filter(isRec) : []);

/** Every place a pod spec names a ConfigMap or Secret: the object holding the name, its key, and the kind. */
function* references(podSpec: Rec): Generator<{ holder: Rec; key: string; kind: Kind }> {
  for (const c of [...arr(podSpec['containers']), ...arr(podSpec['initContainers'])]) {
    for (const e of arr(c['envFrom'])) {
      if (isRec(e['configMapRef'])) yield { holder: e['configMapRef'], key: 'name', kind: 'ConfigMap' };
      if (isRec(e['secretRef'])) yield { holder: e['secretRef'], key: 'name', kind: 'Secret' };
    }
    for (const e of arr(c['env'])) {
      const from = e['valueFrom'];
      if (!isRec(from)) continue;
      if (isRec(from['configMapKeyRef'])) yield { holder: from['configMapKeyRef'], key: 'name', kind: 'ConfigMap' };
      if (isRec(from['secretKeyRef'])) yield { holder: from['secretKeyRef'], key: 'name', kind: 'Secret' };
    }
  }
  for (const v of arr(podSpec['volumes'])) {
    if (isRec(v['configMap'])) yield { holder: v['configMap'], key: 'name', kind: 'ConfigMap' };
    if (isRec(v['secret'])) yield { holder: v['secret'], key: 'secretName', kind: 'Secret' };
    const projected = v['projected'];
    for (const s of isRec(projected) ? arr(projected['sources']) : []) {
      if (isRec(s['configMap'])) yield { holder: s['configMap'], key: 'name', kind: 'ConfigMap' };
      if (isRec(s['secret'])) yield { holder: s['secret'], key: 'name', kind: 'Secret' };
    }
  }
}

/**
 * The pod template with every ConfigMap/Secret that `objects` carries replaced by a versioned copy,
 * and the copies. References to objects the deploy does not carry (a Secret made by
 * `kubectl create secret`) are left as they are.
 */
export function versionConfig(rollout: string, template: unknown, objects: readonly KubeObject[]): { template: unknown; copies: KubeObject[] } {
  const t = structuredClone(template) as Rec;
  const podSpec = t['spec'];
  if (!isRec(podSpec)) return { template, copies: [] };
  const copies = new Map<string, KubeObject>();
  for (const ref of references(podSpec)) {
    const name = ref.holder[ref.key];
    if (typeof name !== 'string') continue;
    const source = objects.find((o) => o.kind === ref.kind && o.metadata.name === name);
    if (!source) continue;
    const { metadata } = source;
    const content = omit(source, ['apiVersion', 'kind', 'metadata']);
    const copyName = `${name}-${templateHash({ rollout, kind: ref.kind, content })}`;
    ref.holder[ref.key] = copyName;
    copies.set(`${ref.kind}/${copyName}`, {
      ...content,
      apiVersion: 'v1',
      kind: ref.kind,
      metadata: {
        name: copyName,
        ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
        labels: { ...metadata.labels, [CONFIG_OF_LABEL]: rollout },
        annotations: { 'slipway.dev/config-source': name },
      },
      immutable: true,
    });
  }
  if (copies.size === 0) return { template, copies: [] };
  const meta = isRec(t['metadata']) ? t['metadata'] : {};
  const annotations = isRec(meta['annotations']) ? meta['annotations'] : {};
  t['metadata'] = { ...meta, annotations: { ...annotations, [VERSIONED_CONFIG_ANNOTATION]: canonicalJson([...copies.keys()].sort()) } };
  return { template: t, copies: [...copies.values()] };
}

/** The versioned copies a pod template references (`Kind/name`). */
export function versionedConfigOf(template: unknown): string[] {
  const text = isRec(template) && isRec(template['metadata']) && isRec(template['metadata']['annotations']) ? template['metadata']['annotations'][VERSIONED_CONFIG_ANNOTATION] : undefined;
  if (typeof text !== 'string') return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && /^(ConfigMap|Secret)\/[a-z0-9.-]+$/.test(x)) : [];
  } catch {
    return [];
  }
}

/** Copies `drop` references that none of `keep` does. */
export function unusedConfig(drop: readonly unknown[], keep: readonly unknown[]): string[] {
  const kept = new Set(keep.flatMap(versionedConfigOf));
  return [...new Set(drop.flatMap(versionedConfigOf))].filter((c) => !kept.has(c)).sort();
}

/** Deletes versioned copies by name (a copy already gone is fine). */
export async function deleteConfig(client: KubeClient, namespace: string, refs: readonly string[], signal?: AbortSignal): Promise<void> {
  for (const ref of refs) {
    const [kind = '', name = ''] = ref.split('/');
    await client.delete({ apiVersion: 'v1', kind, namespace, name }, signal ? { signal } : {});
  }
}
