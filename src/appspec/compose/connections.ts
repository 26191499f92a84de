/**
 * Connections between services that compose never declares: real apps reach each other through
 * environment variables (`WORDPRESS_DB_HOST: db:3306`, `DB_HOST=db`, `REDIS_URL=redis://cache:6379/0`,
 * `API=http://api:8080`), and compose's flat network lets them. slipway renders default-deny
 * NetworkPolicies and allows only `dependsOn` edges, so the importer infers those edges, with the
 * port from the value (or the URL scheme's default port), else from the target's ports, and
 * reports each as inferred. A target that must listen on a port its compose file never lists gets
 * the port (its Service needs it too). When no port can be known, the report says loudly which
 * connection will be blocked.
 */
import type { PortSpec } from '../schema.ts';
import { isRecord } from '../../manifest/index.ts';
import { str } from './context.ts';
import type { Path } from './load.ts';
import { parseShortPort, PortSet } from './ports.ts';

/** The port a client uses for a URL scheme when the URL names none. */
const SCHEME_PORTS: Readonly<Record<string, number>> = {
  http: 80,
  ws: 80,
  https: 443,
  wss: 443,
  grpc: 443,
  postgres: 5432,
  postgresql: 5432,
  mysql: 3306,
  mariadb: 3306,
  redis: 6379,
  rediss: 6379,
  mongodb: 27017,
  amqp: 5672,
  amqps: 5671,
  nats: 4222,
  memcached: 11211,
  kafka: 9092,
  mqtt: 1883,
  ldap: 389,
  ldaps: 636,
  smtp: 25,
  ftp: 21,
  elasticsearch: 9200,
  clickhouse: 8123,
  influxdb: 8086,
  sqlserver: 1433,
  mssql: 1433,
  cassandra: 9042,
};

/** Env var names whose bare value (no port, no scheme) is a host name. */
const HOST_KEY = /HOST|ADDR|SERVER|ENDPOINT|BROKER|UPSTREAM|BACKEND|URL|URI|DSN|NODES|PEERS|SEEDS|SERVICE|CONNECT|PROXY|CLUSTER/i;

/** A service as the inference sees it. */
export interface ConnectionTarget {
  readonly compose: string;
  readonly sid: string;
  readonly kind: 'service' | 'job' | 'cronJob';
  /** Its ports as the conversion will write them (compose ports/expose, else the known-images table's). */
  readonly ports: readonly PortSpec[];
  /** `x-slipway: { ports }` sets them: the importer adds none. */
  readonly fixedPorts: boolean;
  /** Host port → container port, from `ports: ["5433:5432"]`. */
  readonly published: ReadonlyMap<number, number>;
  /** Other names compose resolves to it (container_name, hostname, network aliases, link aliases). */
  readonly aliases: readonly string[];
}

/** One env value of a caller. */
export interface EnvSource {
  readonly key: string;
  readonly value: string;
  /** Where it is written: the environment entry, or the env_file reference. */
  readonly path: Path;
}

interface InferredEdge {
  readonly target: string;
  /** The host as written in the value. */
  readonly host: string;
  readonly port: PortSpec;
  readonly source: EnvSource;
  /** How the port was found, for the report. */
  readonly how: string;
  /** The host as written, when it is not the name the target has in the cluster. */
  readonly alias?: string | undefined;
}

interface BlockedConnection {
  readonly target: string;
  readonly host: string;
  readonly source: EnvSource;
  readonly why: string;
  readonly hint: string;
}

export interface Connections {
  /** By caller (compose name). */
  readonly edges: ReadonlyMap<string, readonly InferredEdge[]>;
  readonly blocked: ReadonlyMap<string, readonly BlockedConnection[]>;
  /** Ports a target must listen on that its compose file never lists, by target: with who needs them. */
  readonly extraPorts: ReadonlyMap<string, readonly { readonly port: PortSpec; readonly because: string }[]>;
  /** The full port list of each target that gets extra ports (its own first, in order, then the extra ones). */
  readonly portsOf: ReadonlyMap<string, readonly PortSpec[]>;
}

interface HostRef {
  readonly host: string;
  readonly port: number | undefined;
  readonly scheme: string | undefined;
}

/** The host references in an env value: URLs (several hosts in one, as MongoDB writes them), `host:port`, bare hosts. */
export function hostRefs(value: string): HostRef[] {
  const out: HostRef[] = [];
  if (value.length > 4096) return out;
  // The scheme of a multi-host URL (mongodb://a:27017,b:27017/db) carries over to its next hosts.
  let carry: string | undefined;
  for (const raw of value.split(/[\s,;]+/)) {
    let token = raw.replace(/^jdbc:/i, '');
    let scheme = carry;
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(token);
    if (m) {
      // `postgresql+psycopg2://` is postgresql to the server.
      scheme = (m[1] ?? '').toLowerCase().split('+')[0];
      token = token.slice(m[0].length);
      const end = token.search(/[/?#]/);
      const at = token.lastIndexOf('@', end < 0 ? token.length : end);
      if (at >= 0) token = token.slice(at + 1);
    }
    const hostPort = token.split(/[/?#]/, 1)[0] ?? '';
    carry = scheme !== undefined && hostPort === token ? scheme : undefined;
    const hp = /^([A-Za-z0-9_][A-Za-z0-9_.-]*)(?::(\d{1,5}))?$/.exec(hostPort);
    if (!hp) continue;
    const port = hp[2] === undefined ? undefined : Number(hp[2]);
    if (port !== undefined && (port < 1 || port > 65535)) continue;
    out.push({ host: hp[1] ?? '', port, scheme });
  }
  return out;
}

/** The names compose resolves to a service besides its own. */
export function aliasesOf(svc: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of ['container_name', 'hostname']) if (typeof svc[k] === 'string' && svc[k] !== '') out.push(svc[k]);
  const nets = svc['networks'];
  if (isRecord(nets)) for (const n of Object.values(nets)) if (isRecord(n) && Array.isArray(n['aliases'])) out.push(...n['aliases'].map(str));
  return out;
}

/** `ports: ["5433:5432"]` → 5433 → 5432 (a client inside the network never uses the host port, but files do). */
export function publishedPorts(ports: unknown): Map<number, number> {
  const out = new Map<number, number>();
  if (!Array.isArray(ports)) return out;
  for (const p of ports) {
    const parsed = typeof p === 'string' || typeof p === 'number' ? parseShortPort(p) : undefined;
    const pub = parsed?.published === undefined ? undefined : /^\d+$/.exec(parsed.published)?.[0];
    if (parsed !== undefined && pub !== undefined && parsed.container.length === 1 && parsed.container[0] !== undefined) out.set(Number(pub), parsed.container[0]);
  }
  return out;
}

type Resolution = { readonly ports: readonly PortSpec[]; readonly how: string } | { readonly add: number; readonly how: string } | { readonly blocked: string; readonly hint: string };

function resolvePort(t: ConnectionTarget, ref: HostRef, source: EnvSource): Resolution {
  const tcp = t.ports.filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  const find = (n: number): PortSpec | undefined => tcp.find((p) => p.port === n || p.servicePort === n);
  const wanted = ref.port ?? (ref.scheme === undefined ? undefined : SCHEME_PORTS[ref.scheme]);
  const from = ref.port !== undefined ? `port ${ref.port} from the value` : `port ${String(wanted)}, the ${ref.scheme ?? ''}:// default`;
  if (wanted !== undefined) {
    const hit = find(wanted);
    if (hit) return { ports: [hit], how: from };
    const inside = ref.port === undefined ? undefined : t.published.get(ref.port);
    const viaPublished = inside === undefined ? undefined : find(inside);
    if (viaPublished) return { ports: [viaPublished], how: `${ref.port ?? ''} is the port ${t.compose} publishes on the host; inside the network it listens on ${viaPublished.port}` };
    if (t.fixedPorts) {
      return { blocked: `${t.compose} listens on ${tcp.map((p) => p.port).join(', ') || 'no port'} (x-slipway ports), not ${wanted}`, hint: `add port ${wanted} to ${t.compose}'s x-slipway ports, or fix ${source.key}` };
    }
    return { add: wanted, how: from };
  }
  if (tcp.length > 0) return { ports: tcp, how: `the port${tcp.length > 1 ? 's' : ''} ${t.compose} declares` };
  return {
    blocked: `${t.compose} declares no ports and its image is not in the known-images table, so no port can be allowed (and it gets no Service to resolve)`,
    hint: `give ${t.compose} the port it listens on (expose: ["PORT"]), or write the port into ${source.key} (host:port)`,
  };
}

/** Who a host name is: its own names win over other services' aliases. */
function hostIndex(targets: ReadonlyMap<string, ConnectionTarget>): Map<string, { target: ConnectionTarget; alias: string | undefined }> {
  const byHost = new Map<string, { target: ConnectionTarget; alias: string | undefined }>();
  for (const t of targets.values()) {
    for (const a of t.aliases) if (!byHost.has(a.toLowerCase())) byHost.set(a.toLowerCase(), { target: t, alias: a });
  }
  for (const t of targets.values()) {
    byHost.set(t.compose.toLowerCase(), { target: t, alias: t.compose === t.sid ? undefined : t.compose });
    byHost.set(t.sid, { target: t, alias: undefined });
  }
  return byHost;
}

function push<T>(m: Map<string, T[]>, key: string, item: T, same: (a: T) => boolean): void {
  const list = m.get(key) ?? [];
  if (!list.some(same)) list.push(item);
  m.set(key, list);
}

/**
 * Infers the connections every caller's env values make to other services. `targets` are the
 * imported services by compose name; `envOf` gives a caller's env values (environment and env files).
 */
export function inferConnections(targets: ReadonlyMap<string, ConnectionTarget>, envOf: (caller: string) => readonly EnvSource[]): Connections {
  const byHost = hostIndex(targets);
  const edges = new Map<string, InferredEdge[]>();
  const blocked = new Map<string, BlockedConnection[]>();
  const extra = new Map<string, { port: PortSpec; because: string }[]>();
  const planned = new Map<string, PortSet>();
  /** Adds a port to a target's planned list; the port as it will be written. */
  const addPort = (t: ConnectionTarget, port: number, because: string): PortSpec | undefined => {
    let set = planned.get(t.compose);
    if (set === undefined) {
      set = new PortSet();
      for (const p of t.ports) set.add(p.port, p.protocol ?? 'TCP', { name: p.name, appProtocol: p.appProtocol });
      planned.set(t.compose, set);
    }
    const before = set.ports.length;
    set.add(port, 'TCP');
    const added = set.ports.find((p) => p.port === port && (p.protocol ?? 'TCP') === 'TCP');
    if (added !== undefined && set.ports.length > before) push(extra, t.compose, { port: added, because }, () => false);
    return added;
  };
  for (const caller of targets.keys()) {
    for (const source of envOf(caller)) {
      for (const ref of hostRefs(source.value)) {
        const hit = byHost.get(ref.host.toLowerCase());
        if (hit === undefined || hit.target.compose === caller || hit.target.kind !== 'service') continue;
        if (ref.port === undefined && ref.scheme === undefined && !HOST_KEY.test(source.key)) continue;
        const t = hit.target;
        const r = resolvePort(t, ref, source);
        if ('blocked' in r) {
          push(blocked, caller, { target: t.compose, host: ref.host, source, why: r.blocked, hint: r.hint }, (b) => b.target === t.compose && b.source.key === source.key);
          continue;
        }
        const added = 'add' in r ? addPort(t, r.add, `${caller} connects to ${ref.host}:${r.add} (${source.key})`) : undefined;
        const ports = 'ports' in r ? r.ports : added === undefined ? [] : [added];
        for (const port of ports) {
          push(edges, caller, { target: t.compose, host: ref.host, port, source, how: r.how, alias: hit.alias === undefined ? undefined : ref.host }, (e) => e.target === t.compose && e.port.port === port.port);
        }
      }
    }
  }
  const portsOf = new Map([...extra.keys()].map((t) => [t, planned.get(t)?.ports ?? []]));
  return { edges, blocked, extraPorts: extra, portsOf };
}
