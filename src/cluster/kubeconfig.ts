/**
 * kubeconfig documents for the cluster's users (admin, controller-manager, scheduler, kwok),
 * and the merge into (and removal from) a user's kubeconfig. Pure: user-kubeconfig.ts reads and
 * writes the files.
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

const OPT_OUT = 'fix or move it, or run `slipway cluster up --no-merge-kubeconfig` and use `slipway cluster kubeconfig`';

function asNamedList(v: unknown, field: string, file: string): Named[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((e): e is Named => typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string')) {
    throw inputError(`${file}: "${field}" is not a list of named entries`, {
      cause: v,
      path: field,
      expected: 'a list of objects with a "name"',
      hint: OPT_OUT,
    });
  }
  return v;
}

/**
 * Parses a user's kubeconfig text (absent or blank: an empty config). Anything that is not a
 * kubeconfig is refused, so a caller never writes back a file it did not understand.
 */
export function parseKubeconfig(text: string | undefined, file: string): KubeconfigDoc {
  let base: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = parse(text);
    } catch (e) {
      throw inputError(`${file} is not valid YAML`, { cause: e, hint: OPT_OUT });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw inputError(`${file} is not a kubeconfig`, { cause: parsed, expected: 'a mapping with clusters, users, contexts', hint: OPT_OUT });
    }
    base = parsed as Record<string, unknown>;
    const kind = base['kind'];
    if (kind !== undefined && kind !== null && kind !== 'Config') {
      throw inputError(`${file} is not a kubeconfig (kind: ${JSON.stringify(kind)})`, { cause: kind, path: 'kind', expected: 'kind: Config', hint: OPT_OUT });
    }
  }
  return {
    ...base,
    apiVersion: 'v1',
    kind: 'Config',
    clusters: asNamedList(base['clusters'], 'clusters', file),
    users: asNamedList(base['users'], 'users', file),
    contexts: asNamedList(base['contexts'], 'contexts', file),
  };
}

/**
 * Merges `ours` (one cluster/user/context) into an existing kubeconfig text, replacing entries
 * of the same name and keeping everything else. `current-context` is switched to ours, as
 * `kind`/`k3d`/`minikube` do: after `cluster up`, kubectl talks to the new cluster.
 */
export function mergeKubeconfig(existingText: string | undefined, ours: KubeconfigDoc, file: string): KubeconfigDoc {
  const base = parseKubeconfig(existingText, file);
  let { clusters, users, contexts } = base;
  for (const c of ours.clusters) clusters = upsert(clusters, c);
  for (const u of ours.users) users = upsert(users, u);
  for (const c of ours.contexts) contexts = upsert(contexts, c);
  const merged: KubeconfigDoc = { ...base, clusters, users, contexts };
  if (ours['current-context'] !== undefined) merged['current-context'] = ours['current-context'];
  return merged;
}

/** Whether `doc` holds a cluster, user or context named `name`. */
export function hasEntries(doc: KubeconfigDoc, name: string): boolean {
  return [doc.clusters, doc.users, doc.contexts].some((l) => l.some((e) => e.name === name));
}

/**
 * Removes one cluster/user/context triple (`cluster down --delete`); unsets `current-context`
 * when it was ours, as `kind delete cluster` does, rather than pointing kubectl at another cluster.
 */
export function removeFromKubeconfig(doc: KubeconfigDoc, name: string): KubeconfigDoc {
  const keep = (l: Named[]): Named[] => l.filter((e) => e.name !== name);
  const out: KubeconfigDoc = { ...doc, clusters: keep(doc.clusters), users: keep(doc.users), contexts: keep(doc.contexts) };
  if (out['current-context'] === name) delete out['current-context'];
  return out;
}
