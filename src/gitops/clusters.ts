/**
 * Registered clusters: where `spec.destination.cluster` leads when it is not `in-cluster`.
 *
 * As with Argo CD (`argocd cluster add` writes a Secret labelled
 * `argocd.argoproj.io/secret-type: cluster`), a cluster is a Secret in the controller's namespace,
 * labelled `slipway.dev/secret-type: cluster`, written by `slipway cluster register <context>`:
 *
 *   data:
 *     name: prod-eu                       # what destination.cluster names (default: the Secret's name)
 *     server: https://10.0.0.1:6443
 *     config: |                           # Argo CD's format
 *       {"bearerToken": "…",              # or "username"/"password", or a client certificate:
 *        "tlsClientConfig": {"caData": "<base64 PEM>", "certData": "…", "keyData": "…",
 *                            "serverName": "…", "insecure": false},
 *        "proxyUrl": "http://proxy:3128"}
 *
 * Only static credentials are stored: a kubeconfig user with an exec or auth-provider plugin (EKS,
 * GKE, AKS, OIDC) is refused with a hint to register a ServiceAccount token instead, because what
 * such a plugin returns expires within the hour and the plugin does not run in the controller.
 *
 * The controller reads these Secrets through an informer ({@link ClusterRegistry}): a Secret
 * added, rotated or deleted is seen without a restart, and the apps of that cluster are looked at
 * again. Each cluster gets its own client (short request timeout, few retries) and its own
 * informers (drift on the objects deployed there). A cluster that does not answer is marked down
 * after one probe (`GET /version`, bounded by a timeout) and probed again with backoff (2 s ×2 up
 * to 30 s) by the first of its apps that is due; meanwhile its apps are Unknown and nothing is
 * sent to it. Other clusters never wait on it.
 */
import type { Logger } from 'pino';
import { SlipwayError, clusterUnavailable, inputError, isSlipwayError, notFound, unsupported } from '../errors/index.ts';
import { InformerFactory, KubeClient, type KindQuery, type LiveObject, type ResolvedTarget, type SharedInformer } from '../kube/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import { IN_CLUSTER } from './types.ts';
import { SECRET_TYPE_LABEL } from './webhook-secrets.ts';

export const CLUSTER_SECRET_TYPE = 'cluster';

/** The Secrets that register clusters: labelled `slipway.dev/secret-type=cluster` in `namespace`. */
export function clusterSecretsQuery(namespace: string): KindQuery {
  return { apiVersion: 'v1', kind: 'Secret', namespace, labelSelector: `${SECRET_TYPE_LABEL}=${CLUSTER_SECRET_TYPE}` };
}

/** Argo CD's cluster `config`: what authenticates the controller to the cluster. */
export interface ClusterConfig {
  bearerToken?: string;
  username?: string;
  password?: string;
  tlsClientConfig?: { insecure?: boolean; caData?: string; certData?: string; keyData?: string; serverName?: string };
  proxyUrl?: string;
}

/** How a registered cluster authenticates, for listings (never the value). */
export type ClusterAuth = 'token' | 'client-certificate' | 'basic' | 'none';

export function authOf(c: ClusterConfig): ClusterAuth {
  if (c.bearerToken) return 'token';
  if (c.tlsClientConfig?.certData) return 'client-certificate';
  if (c.username) return 'basic';
  return 'none';
}

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A cluster name: what destination.cluster says, so a DNS subdomain (it also names the Secret). */
export function checkClusterName(name: string): void {
  if (name === IN_CLUSTER) throw inputError(`cluster name "${IN_CLUSTER}" is reserved for the controller's own cluster`, { cause: name, expected: 'another name', hint: 'pass --name <name>' });
  if (name.length > 245 || !DNS_NAME.test(name)) {
    throw inputError(`cluster name "${name}" is not a DNS subdomain`, { cause: name, expected: 'lower-case letters, digits, "-" and "." (at most 245 characters)', hint: 'pass --name <name>, e.g. --name prod-eu' });
  }
}

/** The name of the Secret that registers cluster `name`. */
export const clusterSecretName = (name: string): string => `cluster-${name}`;

/**
 * The Secret registering `target` (a kubeconfig context, resolved) as cluster `name`. Throws for
 * credentials a Secret cannot hold (a plugin's), and for a context with no credentials at all.
 */
export function clusterSecretOf(o: { readonly name: string; readonly namespace: string; readonly target: ResolvedTarget }): KubeObject {
  const { name, target: t } = o;
  checkClusterName(name);
  const context = `kubeconfig context "${t.contextName}"`;
  if (t.plugin) {
    throw unsupported(`${context} gets its credentials from an ${t.plugin} plugin: they expire, and the plugin does not run in the controller`, {
      cause: t.plugin,
      hint:
        'register a ServiceAccount token instead (what `argocd cluster add` creates): ' +
        `kubectl --context ${t.contextName} -n kube-system create serviceaccount slipway-manager && ` +
        `kubectl --context ${t.contextName} create clusterrolebinding slipway-manager --clusterrole=cluster-admin --serviceaccount=kube-system:slipway-manager (or a narrower role) && ` +
        `kubectl --context ${t.contextName} -n kube-system create token slipway-manager --duration=8760h; put that token in a kubeconfig user (kubectl config set-credentials) and register that context`,
    });
  }
  const config: ClusterConfig = {};
  const extra = Object.keys(t.headers).filter((h) => h.toLowerCase() !== 'authorization');
  if (extra.length > 0) throw unsupported(`${context} sends headers a registered cluster cannot carry (${extra.join(', ')})`, { cause: extra, hint: 'register a context with a token or a client certificate' });
  const auth = t.headers['Authorization'] ?? t.headers['authorization'];
  if (auth?.startsWith('Bearer ')) config.bearerToken = auth.slice('Bearer '.length);
  else if (auth?.startsWith('Basic ')) {
    const plain = Buffer.from(auth.slice('Basic '.length), 'base64').toString('utf8');
    const at = plain.indexOf(':');
    config.username = at < 0 ? plain : plain.slice(0, at);
    config.password = at < 0 ? '' : plain.slice(at + 1);
  } else if (auth !== undefined) throw unsupported(`${context}: unknown Authorization scheme`, { cause: undefined, hint: 'register a context with a token or a client certificate' });
  const tls: NonNullable<ClusterConfig['tlsClientConfig']> = {};
  if (t.tls.ca) tls.caData = t.tls.ca.toString('base64');
  if (t.tls.cert) tls.certData = t.tls.cert.toString('base64');
  if (t.tls.key) tls.keyData = t.tls.key.toString('base64');
  if (t.tls.servername) tls.serverName = t.tls.servername;
  if (t.tls.rejectUnauthorized === false) tls.insecure = true;
  if (Object.keys(tls).length > 0) config.tlsClientConfig = tls;
  if (t.proxyUrl) config.proxyUrl = t.proxyUrl;
  if (authOf(config) === 'none') {
    throw inputError(`${context} has no credentials (no token, client certificate or username)`, { cause: undefined, expected: 'a kubeconfig user with a token or a client certificate', hint: 'select a context whose user has credentials' });
  }
  if (tls.certData !== undefined && tls.keyData === undefined) throw inputError(`${context}: a client certificate without its key`, { cause: undefined, hint: 'add client-key(-data) to the kubeconfig user' });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: clusterSecretName(name), namespace: o.namespace, labels: { [SECRET_TYPE_LABEL]: CLUSTER_SECRET_TYPE, 'app.kubernetes.io/managed-by': 'slipway' } },
    type: 'Opaque',
    stringData: { name, server: t.server, config: JSON.stringify(config) },
  };
}

/** A registered cluster as its Secret says it: name, server, credentials; never printed whole. */
export interface RegisteredCluster {
  readonly name: string;
  readonly server: string;
  readonly secret: string;
  readonly config: ClusterConfig;
}

const decode = (data: Record<string, unknown>, k: string): string | undefined => {
  const v = data[k];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
};

/** The Secret's cluster; an input error (naming the Secret and the key, never a value) when it is not one. */
export function registeredClusterOf(s: LiveObject): RegisteredCluster {
  const where = `Secret ${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`;
  const data = (s['data'] ?? {}) as Record<string, unknown>;
  const name = decode(data, 'name')?.trim() || (s.metadata.name ?? '');
  const server = decode(data, 'server')?.trim() ?? '';
  const bad = (what: string, expected: string, cause?: unknown): SlipwayError =>
    inputError(`${where} (cluster "${name}"): ${what}`, { cause, expected, hint: 'register the cluster again: `slipway cluster register <context> --name <name>`' });
  let url: URL;
  try {
    url = new URL(server);
  } catch (e) {
    throw bad(server === '' ? 'no data.server' : 'data.server is not a URL', 'https://<host>:<port>', e);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad(`data.server: unsupported scheme ${url.protocol}`, 'https://<host>:<port>');
  const config = configOf(decode(data, 'config') ?? '{}', bad);
  if (url.protocol === 'http:' && config.tlsClientConfig?.insecure !== true) throw bad('data.server is plain http', 'https:// (or tlsClientConfig.insecure: true, for a test cluster)');
  if (authOf(config) === 'none') throw bad('no credentials in data.config', 'bearerToken, username/password, or tlsClientConfig.certData/keyData');
  return { name, server: server.replace(/\/$/, ''), secret: s.metadata.name ?? '', config };
}

/** Argo CD's cluster `config` JSON, checked; `bad` makes the error (naming the key, never a value). */
function configOf(raw: string, bad: (what: string, expected: string, cause?: unknown) => SlipwayError): ClusterConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    // The parser's message may quote the text: it is not passed on.
    throw bad('data.config is not JSON', 'Argo CD cluster config JSON: {"bearerToken": …, "tlsClientConfig": {…}}', e instanceof Error ? e.name : undefined);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('data.config is not a JSON object', '{"bearerToken": …, "tlsClientConfig": {…}}');
  const c = parsed as Record<string, unknown>;
  const str = (o: Record<string, unknown>, k: string, path: string): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw bad(`${path} is not a string`, 'a string');
    return v;
  };
  const config: ClusterConfig = {};
  const token = str(c, 'bearerToken', 'config.bearerToken');
  if (token) config.bearerToken = token;
  const username = str(c, 'username', 'config.username');
  if (username) config.username = username;
  const password = str(c, 'password', 'config.password');
  if (password !== undefined) config.password = password;
  const proxyUrl = str(c, 'proxyUrl', 'config.proxyUrl');
  if (proxyUrl) config.proxyUrl = proxyUrl;
  const tlsRaw = c['tlsClientConfig'];
  if (tlsRaw !== undefined && tlsRaw !== null) {
    if (typeof tlsRaw !== 'object' || Array.isArray(tlsRaw)) throw bad('config.tlsClientConfig is not an object', '{"caData": …, "certData": …, "keyData": …}');
    const t = tlsRaw as Record<string, unknown>;
    const tls: NonNullable<ClusterConfig['tlsClientConfig']> = {};
    for (const k of ['caData', 'certData', 'keyData', 'serverName'] as const) {
      const v = str(t, k, `config.tlsClientConfig.${k}`);
      if (v) tls[k] = v;
    }
    const insecure = t['insecure'];
    if (insecure !== undefined && typeof insecure !== 'boolean') throw bad('config.tlsClientConfig.insecure is not a boolean', 'true or false');
    if (insecure === true) tls.insecure = true;
    if ((tls.certData === undefined) !== (tls.keyData === undefined)) throw bad('config.tlsClientConfig: certData and keyData go together', 'both or neither');
    config.tlsClientConfig = tls;
  }
  return config;
}

/** What the transport needs to reach a registered cluster. */
export function targetOf(c: RegisteredCluster): ResolvedTarget {
  const tls = c.config.tlsClientConfig ?? {};
  const b = (v: string | undefined): Buffer | undefined => (v ? Buffer.from(v, 'base64') : undefined);
  const headers: Record<string, string> = {};
  if (c.config.bearerToken) headers['Authorization'] = `Bearer ${c.config.bearerToken}`;
  else if (c.config.username) headers['Authorization'] = `Basic ${Buffer.from(`${c.config.username}:${c.config.password ?? ''}`).toString('base64')}`;
  return {
    server: c.server,
    contextName: c.name,
    namespace: undefined,
    tls: { ca: b(tls.caData), cert: b(tls.certData), key: b(tls.keyData), ...(tls.insecure ? { rejectUnauthorized: false } : {}), ...(tls.serverName ? { servername: tls.serverName } : {}) },
    headers,
    ...(c.config.proxyUrl ? { proxyUrl: c.config.proxyUrl } : {}),
  };
}

/** A cluster apps deploy to: its client, and the informers that watch what they deployed there. */
export interface ClusterConnection {
  readonly name: string;
  readonly client: KubeClient;
  readonly informers: InformerFactory;
  /**
   * While the cluster does not answer: the error, and when it is probed again (due now: probed
   * before answering). Undefined when it answers. Absent for the controller's own cluster.
   */
  readonly unavailable?: (() => Promise<ClusterDown | undefined>) | undefined;
  /** A request to the cluster failed: probe it (one probe, shared); the outage when it is down. */
  readonly suspect?: ((e: unknown) => Promise<ClusterDown | undefined>) | undefined;
}

export interface ClusterDown {
  readonly error: SlipwayError;
  /** Consecutive failed probes. */
  readonly failures: number;
  /** When the cluster is probed again (ms since the epoch). */
  readonly retryAt: number;
}

/**
 * Where `spec.destination.cluster` leads. The controller's own cluster is `in-cluster`; a
 * {@link ClusterRegistry} resolves registered ones.
 */
export type ClusterResolver = (name: string, inCluster: ClusterConnection) => Promise<ClusterConnection>;

export const inClusterOnly: ClusterResolver = (name, inCluster) => {
  if (name === IN_CLUSTER) return Promise.resolve(inCluster);
  return Promise.reject(notFound(`cluster "${name}" is not registered with this controller`, { cause: name, hint: `use destination.cluster: ${IN_CLUSTER} (the controller's own cluster)` }));
};

/** An error that says the cluster did not answer (rather than refused what was asked). */
export function isUnreachable(e: unknown): boolean {
  if (isSlipwayError(e)) return e.kind === 'cluster-unavailable' || (e.kind === 'internal' && isUnreachable(e.cause));
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|UND_ERR_SOCKET|ABORT_ERR)$/.test(code);
}

export interface ClusterRegistryOptions {
  /** The controller's namespace, where the cluster Secrets are. */
  readonly namespace: string;
  /** The informer on {@link clusterSecretsQuery} of `namespace`, on the controller's own cluster. */
  readonly secrets: Pick<SharedInformer, 'list' | 'on' | 'hasSynced' | 'waitForSync'>;
  readonly log: Logger;
  /** A cluster's Secret changed, or the cluster went down or came back: look at its apps again. */
  readonly changed: (cluster: string) => void;
  /** After each probe: whether the cluster answered (a metric). */
  readonly up?: (cluster: string, up: boolean) => void;
  /** @default 5000 */
  readonly probeTimeoutMs?: number;
  /** Backoff between probes of a cluster that is down. @default { baseMs: 2000, maxMs: 30000 } */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** @default 15000 */
  readonly requestTimeoutMs?: number;
}

interface Conn {
  /** Secret name and resourceVersion it was made from: another version makes another connection. */
  readonly version: string;
  readonly connection: ClusterConnection;
  readonly stop: AbortController;
  down: ClusterDown | undefined;
  /** False until a probe got an answer: the first use probes (bounded), so a black-holed server costs seconds, not request timeouts. */
  answered: boolean;
  probing: Promise<ClusterDown | undefined> | undefined;
}

/** The registered clusters, from their Secrets (see the file comment). */
export class ClusterRegistry {
  private readonly o: ClusterRegistryOptions;
  private readonly secrets: ClusterRegistryOptions['secrets'];
  private readonly conns = new Map<string, Conn>();

  constructor(o: ClusterRegistryOptions) {
    this.o = o;
    this.secrets = o.secrets;
    const seen = (s: LiveObject): void => {
      const name = nameOf(s);
      try {
        registeredClusterOf(s);
      } catch (e) {
        // Which Secret and which key, never a value.
        o.log.warn({ cluster: name, err: e instanceof Error ? e.message : String(e) }, 'cluster Secret unusable');
      }
      this.drop(name, s);
      o.changed(name);
    };
    this.secrets.on({ add: seen, update: (s, old) => (s.metadata.resourceVersion !== old.metadata.resourceVersion ? seen(s) : undefined), delete: seen });
  }

  /** The cluster named `name` (the controller's own for `in-cluster`). */
  readonly resolve: ClusterResolver = async (name, inCluster) => {
    if (name === IN_CLUSTER) return inCluster;
    if (!this.secrets.hasSynced) await this.secrets.waitForSync(AbortSignal.timeout(10_000));
    if (!this.secrets.hasSynced) throw clusterUnavailable(`the cluster Secrets in ${this.o.namespace} have not been listed yet`, { cause: undefined, hint: 'the controller may read Secrets in its namespace (list, watch): `slipway controller install` grants it' });
    const hits = this.secrets.list().filter((s) => nameOf(s) === name);
    if (hits.length === 0) {
      throw notFound(`cluster "${name}" is not registered (no Secret labelled ${SECRET_TYPE_LABEL}=${CLUSTER_SECRET_TYPE} names it in ${this.o.namespace})`, {
        cause: name,
        hint: `register it: \`slipway cluster register <context> --name ${name}\`, or use destination.cluster: ${IN_CLUSTER}`,
      });
    }
    if (hits.length > 1) {
      throw inputError(`cluster "${name}" is registered twice (Secrets ${hits.map((s) => s.metadata.name ?? '').join(', ')})`, { cause: name, expected: 'one Secret per cluster name', hint: '`slipway cluster unregister` one of them, or delete the Secret' });
    }
    const secret = hits[0] as LiveObject;
    const version = versionOf(secret);
    const have = this.conns.get(name);
    if (have?.version === version) return have.connection;
    const registered = registeredClusterOf(secret);
    if (have) this.close(name);
    return this.open(registered, version).connection;
  };

  /** Stops every cluster's informers and closes its client. */
  close(name?: string): void {
    for (const [n, c] of this.conns) {
      if (name !== undefined && n !== name) continue;
      c.stop.abort();
      c.connection.client.close();
      this.conns.delete(n);
    }
  }

  /** The cluster's Secret changed: the next resolve makes a new connection from it. */
  private drop(name: string, s: LiveObject): void {
    const c = this.conns.get(name);
    if (c && c.version !== versionOf(s)) {
      this.o.log.info({ cluster: name }, 'cluster Secret changed: reconnecting');
      this.close(name);
    }
  }

  private open(r: RegisteredCluster, version: string): Conn {
    const client = KubeClient.ofTarget(targetOf(r), { retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 1000 }, requestTimeoutMs: this.o.requestTimeoutMs ?? 15_000, maxSockets: 16 });
    const informers = new InformerFactory(client, { backoffMaxMs: 30_000 });
    const stop = new AbortController();
    informers.start(stop.signal);
    const conn: Conn = {
      version,
      stop,
      down: undefined,
      answered: false,
      probing: undefined,
      connection: {
        name: r.name,
        client,
        informers,
        unavailable: async () => {
          const d = conn.down;
          if (!d) return conn.answered ? undefined : this.probe(conn);
          if (Date.now() < d.retryAt) return d;
          return this.probe(conn);
        },
        suspect: (e) => (conn.down && Date.now() < conn.down.retryAt ? Promise.resolve(conn.down) : isUnreachable(e) ? this.probe(conn) : Promise.resolve(conn.down)),
      },
    };
    this.conns.set(r.name, conn);
    this.o.log.info({ cluster: r.name, server: r.server, auth: authOf(r.config) }, 'cluster connected');
    return conn;
  }

  /** One `GET /version` (shared by concurrent callers): the cluster is up or down after it. */
  private probe(conn: Conn): Promise<ClusterDown | undefined> {
    conn.probing ??= (async () => {
      const name = conn.connection.name;
      const wasDown = conn.down;
      try {
        await conn.connection.client.version({ signal: AbortSignal.any([AbortSignal.timeout(this.o.probeTimeoutMs ?? 5000), conn.stop.signal]) });
        conn.down = undefined;
        conn.answered = true;
        this.o.up?.(name, true);
        if (wasDown) {
          this.o.log.info({ cluster: name, after: wasDown.failures }, 'cluster reachable again');
          this.o.changed(name);
        }
        return undefined;
      } catch (e) {
        const failures = (wasDown?.failures ?? 0) + 1;
        const { baseMs, maxMs } = this.o.backoff ?? { baseMs: 2000, maxMs: 30_000 };
        const wait = Math.min(maxMs, baseMs * 2 ** (failures - 1));
        const error = isSlipwayError(e) && e.kind !== 'cancelled' ? e : clusterUnavailable(`cluster "${name}" (${conn.connection.client.transport.server}) did not answer within ${((this.o.probeTimeoutMs ?? 5000) / 1000).toString()}s`, { cause: e });
        conn.down = { error, failures, retryAt: Date.now() + wait };
        this.o.up?.(name, false);
        if (!wasDown) {
          this.o.log.warn({ cluster: name, err: error.message, retryInMs: wait }, 'cluster unreachable');
          this.o.changed(name);
        }
        return conn.down;
      } finally {
        conn.probing = undefined;
      }
    })();
    return conn.probing;
  }
}

const versionOf = (s: LiveObject): string => {
  const rv = s.metadata.resourceVersion;
  return `${s.metadata.name ?? ''}@${typeof rv === 'string' ? rv : ''}`;
};

function nameOf(s: LiveObject): string {
  const data = (s['data'] ?? {}) as Record<string, unknown>;
  return decode(data, 'name')?.trim() || (s.metadata.name ?? '');
}
