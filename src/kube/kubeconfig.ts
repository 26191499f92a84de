/**
 * Kubeconfig → what the transport needs (server, TLS material, auth headers, context namespace).
 *
 * @kubernetes/client-node takes ~0.4 s to import (its generated API comes with KubeConfig), which
 * is more than the engine of a no-op deploy of 1,000 objects. So the common shapes are read here
 * directly, and everything else is delegated to client-node, loaded only then:
 *  - read here: one kubeconfig file (--kubeconfig, a single-path $KUBECONFIG, or ~/.kube/config);
 *    clusters with server, certificate-authority(-data), insecure-skip-tls-verify,
 *    tls-server-name; users with client-certificate(-data)/client-key(-data), token, or
 *    username+password — what `slipway cluster up`, kind, k3d, minikube and CI service accounts write;
 *    proxy-url (http/https proxies; the transport connects through it);
 *  - delegated: exec and auth-provider plugins (EKS, GKE, AKS, OIDC), token-file, impersonation,
 *    several files in $KUBECONFIG, in-cluster configuration, any key not listed above,
 *    plain http without insecure-skip-tls-verify (which client-node refuses), and any file this
 *    reader finds malformed: client-node then reports it in its own words.
 * The result is the same either way; kubeconfig.test.ts compares the two paths.
 *
 * Credentials can expire inside a long-running process (exec-plugin tokens live ~15 minutes,
 * projected ServiceAccount tokens rotate). A target resolved through client-node therefore
 * carries {@link ResolvedTarget.reauth}, which asks client-node again (it re-runs an exec plugin
 * once its `expirationTimestamp` passed, and re-reads token files); on a 401 the transport
 * resolves the whole target again, which re-runs the plugin whatever it claimed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { RequestOptions } from 'node:https';
import { parse } from 'yaml';
import { clusterUnavailable, inputError, isSlipwayError } from '../errors/index.ts';
import { isRecord } from '../manifest/index.ts';

/** Where to find the cluster: the kubectl flags of the same names. */
export interface KubeTarget {
  /**
   * Path of the kubeconfig file.
   * @default $KUBECONFIG, else ~/.kube/config
   * @see https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
   */
  readonly kubeconfig?: string | undefined;
  /**
   * Context name inside the kubeconfig.
   * @default the kubeconfig's current-context
   */
  readonly context?: string | undefined;
}

/** TLS options for an https.Agent. */
interface TlsOptions {
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  readonly rejectUnauthorized?: boolean | undefined;
  readonly servername?: string | undefined;
}

export interface ResolvedTarget {
  readonly server: string;
  readonly contextName: string;
  /** The context's namespace, if it sets one. */
  readonly namespace: string | undefined;
  readonly tls: TlsOptions;
  /** Authorization (Bearer or Basic) and any other headers every request carries. */
  readonly headers: Readonly<Record<string, string>>;
  /** The cluster's `proxy-url`, if it sets one. */
  readonly proxyUrl?: string | undefined;
  /**
   * Present when the credentials can change while the process runs (anything client-node
   * resolves: exec and auth-provider plugins, token files): returns the current ones, cheaply
   * when nothing expired.
   */
  readonly reauth?: (() => Promise<Credentials>) | undefined;
  /** The kubeconfig user gets its credentials from a plugin (they expire): which kind. */
  readonly plugin?: 'exec' | 'auth-provider' | undefined;
}

/** What authenticates a request: headers, and a client certificate when the credential is one. */
export interface Credentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
}

type Rec = Record<string, unknown>;

const TOP_KEYS = new Set(['apiVersion', 'kind', 'clusters', 'contexts', 'users', 'current-context', 'preferences', 'extensions']);
const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'proxy-url', 'extensions']);
const USER_KEYS = new Set(['token', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'username', 'password']);
const CONTEXT_KEYS = new Set(['cluster', 'user', 'namespace', 'extensions']);

/** Thrown inside the light reader for "not a shape read here": the caller delegates to client-node. */
class Delegate extends Error {
  constructor() {
    super('delegated to @kubernetes/client-node');
  }
}

function onlyKeys(v: unknown, allowed: ReadonlySet<string>): Rec {
  if (!isRecord(v) || Object.keys(v).some((k) => !allowed.has(k))) throw new Delegate();
  return v;
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Delegate();
  return v;
}

/** The `name`d entry of a named list (`clusters`, `users`, `contexts`), or undefined; duplicates are delegated. */
function named(list: unknown, name: string | undefined, field: string, allowed: ReadonlySet<string>): Rec | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw new Delegate();
  const hits = list.filter((e) => isRecord(e) && e['name'] === name);
  if (hits.length > 1) throw new Delegate();
  const hit = hits[0] as Rec | undefined;
  return hit ? onlyKeys(hit[field] ?? {}, allowed) : undefined;
}

/** Relative paths in a kubeconfig are relative to the file (kubectl and client-node agree). */
function fileOrData(dir: string, file: unknown, data: unknown): Buffer | undefined {
  const f = str(file);
  if (f) return readFileSync(isAbsolute(f) ? f : join(dir, f));
  const d = str(data);
  return d ? Buffer.from(d, 'base64') : undefined;
}

/** Every context name in the file, for the "no context" error. */
function contextNames(doc: Rec): string[] {
  const list = Array.isArray(doc['contexts']) ? (doc['contexts'] as unknown[]) : [];
  return list.map((c) => (isRecord(c) && typeof c['name'] === 'string' ? c['name'] : '')).filter(Boolean);
}

function noContext(name: string, names: readonly string[]): Error {
  return inputError(`no context "${name}" in kubeconfig`, { cause: undefined, expected: `one of: ${names.join(', ') || '(none)'}` });
}

function userPart(dir: string, user: Rec | undefined): { tls: TlsOptions; headers: Record<string, string> } {
  if (!user) return { tls: {}, headers: {} };
  const headers: Record<string, string> = {};
  const token = str(user['token']);
  if (token) headers['Authorization'] = `Bearer ${token}`;
  const username = str(user['username']);
  const password = str(user['password']);
  if (username && password === undefined) throw new Delegate();
  // Basic after Bearer: with both set, the username wins, as it always did through client-node's opts.auth.
  if (username) headers['Authorization'] = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  return { tls: { cert: fileOrData(dir, user['client-certificate'], user['client-certificate-data']), key: fileOrData(dir, user['client-key'], user['client-key-data']) }, headers };
}

/** The light reader; undefined when the file is a shape it leaves to client-node. */
export function readKubeconfigFile(file: string, context: string | undefined): ResolvedTarget | undefined {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  try {
    const top = onlyKeys(doc, TOP_KEYS);
    const contextName = context ?? str(top['current-context']) ?? '';
    const ctx = named(top['contexts'], contextName, 'context', CONTEXT_KEYS);
    if (!ctx) {
      if (context !== undefined) throw noContext(context, contextNames(top));
      return undefined;
    }
    const clusterName = str(ctx['cluster']);
    const cluster = named(top['clusters'], clusterName, 'cluster', CLUSTER_KEYS);
    const server = str(cluster?.['server']);
    if (!cluster || !server) return undefined;
    const userName = str(ctx['user']);
    const user = userName ? named(top['users'], userName, 'user', USER_KEYS) : undefined;
    if (userName && !user) return undefined;
    const dir = dirname(file);
    const u = userPart(dir, user);
    const insecure = cluster['insecure-skip-tls-verify'];
    if (insecure !== undefined && typeof insecure !== 'boolean') throw new Delegate();
    // client-node refuses plain http unless TLS verification is off explicitly; let it say so.
    if (!server.startsWith('https:') && insecure !== true) throw new Delegate();
    // Without a user, client-node applies no TLS options at all; do the same.
    const tls: TlsOptions = user
      ? { ...u.tls, ca: fileOrData(dir, cluster['certificate-authority'], cluster['certificate-authority-data']), servername: str(cluster['tls-server-name']), ...(insecure ? { rejectUnauthorized: false } : {}) }
      : {};
    const proxyUrl = str(cluster['proxy-url']) || undefined;
    return { server: server.replace(/\/$/, ''), contextName, namespace: str(ctx['namespace']) || undefined, tls, headers: u.headers, ...(proxyUrl ? { proxyUrl } : {}) };
  } catch (e) {
    // A missing context is an answer; anything else unexpected (a CA file that cannot be read, say) is client-node's to report.
    if (isSlipwayError(e)) throw e;
    return undefined;
  }
}

/** The single file a target reads, or undefined when client-node must decide ($KUBECONFIG with several paths, no file at all). */
export function kubeconfigFile(t: KubeTarget, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (t.kubeconfig) return t.kubeconfig;
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.length > 0) return fromEnv.length === 1 ? fromEnv[0] : undefined;
  const home = env['HOME'];
  const def = home ? join(home, '.kube', 'config') : join(homedir(), '.kube', 'config');
  return existsSync(def) ? def : undefined;
}

/** Through @kubernetes/client-node: every auth plugin and loading rule it implements. */
export async function resolveWithClientNode(t: KubeTarget): Promise<ResolvedTarget> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (t.kubeconfig) kc.loadFromFile(t.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw inputError(`cannot read kubeconfig ${t.kubeconfig ?? '(default)'}: ${(e as Error).message}`, {
      cause: e,
      hint: 'pass --kubeconfig <file>, set $KUBECONFIG, or run `slipway cluster up`',
    });
  }
  if (t.context) {
    if (!kc.getContextObject(t.context)) throw noContext(t.context, kc.getContexts().map((c) => c.name));
    kc.setCurrentContext(t.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw inputError('kubeconfig has no cluster for the current context', { cause: undefined });
  const contextName = kc.getCurrentContext();
  const buf = (v: unknown): Buffer | undefined => (Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v) : undefined);
  const credentials = async (): Promise<Credentials & { opts: RequestOptions }> => {
    const opts: RequestOptions = {};
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (e) {
      throw clusterUnavailable(`kubeconfig context "${contextName}": cannot get credentials: ${e instanceof Error ? e.message.trim() : String(e)}`, {
        cause: e,
        hint: 'check the exec plugin or token file the kubeconfig user names (run it by hand to see its error)',
      });
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (typeof opts.auth === 'string') headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return { headers, cert: buf(opts.cert), key: buf(opts.key), opts };
  };
  const first = await credentials();
  const proxyUrl = cluster.proxyUrl || undefined;
  const user = kc.getCurrentUser();
  const plugin = user?.exec ? 'exec' : user?.authProvider ? 'auth-provider' : undefined;
  return {
    server: cluster.server,
    contextName,
    namespace: kc.getContextObject(contextName)?.namespace,
    tls: { ca: buf(first.opts.ca), cert: first.cert, key: first.key, rejectUnauthorized: first.opts.rejectUnauthorized, servername: first.opts.servername },
    headers: first.headers,
    ...(proxyUrl ? { proxyUrl } : {}),
    ...(plugin ? { plugin } : {}),
    reauth: credentials,
  };
}

/** True inside a pod with a ServiceAccount token: client-node then uses the in-cluster configuration. */
function inCluster(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env['KUBERNETES_SERVICE_HOST']) && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
}

/**
 * Nothing to connect with: no --kubeconfig, no $KUBECONFIG, no ~/.kube/config, not in a pod.
 * client-node would silently fall back to http://localhost:8080 and fail with a TLS message.
 */
function noKubeconfig(env: NodeJS.ProcessEnv): Error {
  const home = env['HOME'] ?? homedir();
  return inputError(`no kubeconfig: $KUBECONFIG is not set and ${join(home, '.kube', 'config')} does not exist`, {
    cause: undefined,
    expected: 'a kubeconfig that names the cluster to use',
    hint: 'start a local cluster with `slipway cluster up` (it adds its context to ~/.kube/config), or pass --kubeconfig <file> [--context <name>], or set KUBECONFIG',
  });
}

/** Server, TLS and auth for `t`: the light reader when it covers the file, client-node otherwise. */
export async function resolveTarget(t: KubeTarget, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedTarget> {
  const file = kubeconfigFile(t, env);
  if (file === undefined && !t.kubeconfig && !(env['KUBECONFIG'] ?? '').split(delimiter).some(Boolean) && !inCluster(env)) throw noKubeconfig(env);
  // A file that cannot be read falls through to client-node, which reports it as before.
  return (file !== undefined ? readKubeconfigFile(file, t.context) : undefined) ?? resolveWithClientNode(t);
}
