/**
 * kubeconfig documents for the cluster's users (admin, controller-manager, scheduler, kwok),
 * and the merge into a user's `~/.kube/config`. Pure: callers read and write the files.
 * Certificates are embedded (`*-data`), so a kubeconfig stays valid wherever it is copied.
 * @see https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
 */
import { parse, stringify } from 'yaml';
import { inputError } from '../errors/index.ts';

export interface KubeconfigInput {
  /** Context, cluster and user entry name, e.g. `slipway-default`. */
  readonly name: string;
  /** e.g. `https://127.0.0.1:6443`. */
  readonly server: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

interface Named {
  readonly name: string;
  readonly [k: string]: unknown;
}

/** The kubeconfig shape as far as merging needs it; unknown fields are kept verbatim. */
export interface KubeconfigDoc {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  'current-context'?: string;
  [k: string]: unknown;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export function buildKubeconfig(input: KubeconfigInput): KubeconfigDoc {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: input.name, cluster: { server: input.server, 'certificate-authority-data': b64(input.caPem) } }],
    users: [{ name: input.name, user: { 'client-certificate-data': b64(input.certPem), 'client-key-data': b64(input.keyPem) } }],
    contexts: [{ name: input.name, context: { cluster: input.name, user: input.name } }],
    'current-context': input.name,
    preferences: {},
  };
}

export function kubeconfigYaml(doc: KubeconfigDoc): string {
  return stringify(doc, { lineWidth: 0 });
}

const upsert = (list: Named[], entry: Named): Named[] => {
  const i = list.findIndex((e) => e.name === entry.name);
  if (i < 0) return [...list, entry];
  const out = [...list];
  out[i] = entry;
  return out;
};

function asNamedList(v: unknown, field: string, file: string): Named[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((e): e is Named => typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string')) {
    throw inputError(`${file}: "${field}" is not a list of named entries`, {
      cause: v,
      path: field,
      expected: 'a list of objects with a "name"',
      hint: `fix or move ${file}, or run without --merge-kubeconfig and use KUBECONFIG`,
    });
  }
  return v;
}

/**
 * Merges `ours` (one cluster/user/context) into an existing kubeconfig text, replacing entries
 * of the same name and keeping everything else. `current-context` is switched to ours, as
 * `kind`/`minikube` do, because that is what a user who asked to merge expects.
 */
export function mergeKubeconfig(existingText: string | undefined, ours: KubeconfigDoc, file: string): KubeconfigDoc {
  let base: Record<string, unknown> = {};
  if (existingText !== undefined && existingText.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = parse(existingText);
    } catch (e) {
      throw inputError(`${file} is not valid YAML`, { cause: e, hint: 'fix it, or run without --merge-kubeconfig and use KUBECONFIG' });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw inputError(`${file} is not a kubeconfig`, { cause: parsed, expected: 'a mapping with clusters, users, contexts' });
    }
    base = parsed as Record<string, unknown>;
  }
  let clusters = asNamedList(base['clusters'], 'clusters', file);
  let users = asNamedList(base['users'], 'users', file);
  let contexts = asNamedList(base['contexts'], 'contexts', file);
  for (const c of ours.clusters) clusters = upsert(clusters, c);
  for (const u of ours.users) users = upsert(users, u);
  for (const c of ours.contexts) contexts = upsert(contexts, c);
  const merged: KubeconfigDoc = { ...base, apiVersion: 'v1', kind: 'Config', clusters, users, contexts };
  if (ours['current-context'] !== undefined) merged['current-context'] = ours['current-context'];
  return merged;
}

/** Removes one cluster/user/context triple (used by `down --delete --merge-kubeconfig`). */
export function removeFromKubeconfig(doc: KubeconfigDoc, name: string): KubeconfigDoc {
  const keep = (l: Named[]): Named[] => l.filter((e) => e.name !== name);
  const out: KubeconfigDoc = { ...doc, clusters: keep(doc.clusters), users: keep(doc.users), contexts: keep(doc.contexts) };
  if (out['current-context'] === name) delete out['current-context'];
  return out;
}
