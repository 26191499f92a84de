/**
 * REST mapping: which URL serves a given apiVersion+kind, and whether it is namespaced. Looked up
 * per group-version on first use and cached, because a deploy touches a handful of kinds.
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris
 */
import type { Transport } from './transport.ts';
import { parseStatus, statusError } from './errors.ts';

export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Plural resource name used in URLs, e.g. `deployments`. */
  readonly resource: string;
  readonly namespaced: boolean;
  /** Subresources it serves, e.g. `status`, `scale`. */
  readonly subresources: readonly string[];
}

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Path prefix of a group-version: `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
function groupVersionPath(apiVersion: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

export function resourcePath(info: ResourceInfo, o: { namespace?: string | undefined; name?: string | undefined }): string {
  const gv = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns = info.namespaced && o.namespace ? `/namespaces/${encodeURIComponent(o.namespace)}` : '';
  const name = o.name ? `/${encodeURIComponent(o.name)}` : '';
  return `${gv}${ns}/${info.resource}${name}`;
}

export class RestMapper {
  private readonly transport: Transport;
  private readonly cache = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** The resource serving `kind` in `apiVersion`, or undefined when the cluster does not serve it (e.g. a CRD not installed). */
  async lookup(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    let entry = this.cache.get(apiVersion);
    if (!entry) {
      entry = this.fetch(apiVersion);
      this.cache.set(apiVersion, entry);
      // A failed lookup must not poison the cache for the next attempt.
      entry.catch(() => this.cache.delete(apiVersion));
    }
    return (await entry)?.get(kind);
  }

  /** Forget cached mappings, e.g. after CRDs were created. */
  invalidate(): void {
    this.cache.clear();
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    const res = await this.transport.request({ method: 'GET', path: groupVersionPath(apiVersion) });
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw statusError(`discovery of ${apiVersion}`, parseStatus(res.status, res.body), res.body);
    const { group, version } = splitApiVersion(apiVersion);
    const resources = (res.body as ApiResourceList).resources ?? [];
    const subs = new Map<string, string[]>();
    for (const r of resources) {
      const [base, sub] = r.name.split('/');
      if (base !== undefined && sub !== undefined) subs.set(base, [...(subs.get(base) ?? []), sub]);
    }
    const out = new Map<string, ResourceInfo>();
    for (const r of resources) {
      if (r.name.includes('/')) continue; // subresources such as deployments/status, kept on their resource
      out.set(r.kind, { group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced, subresources: subs.get(r.name) ?? [] });
    }
    return out;
  }
}
