/**
 * `ports` (short and long syntax) and `expose` → container ports. Publishing to a host port has
 * no meaning in a cluster (clients inside it use the Service on the container port), so the host
 * side is noted, never silently dropped.
 * @see https://github.com/compose-spec/compose-spec/blob/main/05-services.md#ports
 */
import type { PortSpec } from '../schema.ts';
import { isRecord } from '../../manifest/index.ts';
import { str, type ImportContext } from './context.ts';
import type { Path } from './load.ts';

type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ParsedPort {
  readonly container: number[];
  readonly protocol: Protocol;
  readonly hostIp?: string;
  readonly published?: string;
}

/** `"127.0.0.1:8080-8081:80-81/udp"` → its parts; undefined when not a valid port spec. */
export function parseShortPort(spec: string | number): ParsedPort | undefined {
  let s = String(spec).trim();
  let protocol: Protocol = 'TCP';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const p = s.slice(slash + 1).toUpperCase();
    if (p !== 'TCP' && p !== 'UDP' && p !== 'SCTP') return undefined;
    protocol = p;
    s = s.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']:');
    if (close < 0) return undefined;
    hostIp = s.slice(1, close);
    s = s.slice(close + 2);
  }
  const parts = s.split(':');
  if (parts.length === 3 && hostIp === undefined) hostIp = parts.shift();
  if (parts.length > 2) return undefined;
  const containerPart = parts.at(-1) ?? '';
  const published = parts.length === 2 ? parts[0] : undefined;
  const container = expandRange(containerPart);
  if (!container) return undefined;
  return {
    container,
    protocol,
    ...(hostIp ? { hostIp } : {}),
    ...(published ? { published } : {}),
  };
}

function expandRange(s: string): number[] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || to < from || to - from > 1000) return undefined;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A port name Kubernetes accepts (IANA service name: ≤15 chars, lowercase, at least one letter). */
export function portName(name: string | undefined, port: number, protocol: Protocol): string {
  if (name !== undefined) {
    const n = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, 15).replace(/-+$/, '');
    if (/[a-z]/.test(n)) return n;
  }
  return `${protocol.toLowerCase()}-${port}`;
}

/** Collects ports, deduplicating by (port, protocol) so that `ports` and `expose` can overlap. */
export class PortSet {
  readonly ports: PortSpec[] = [];
  add(port: number, protocol: Protocol, extra: { name?: string | undefined; appProtocol?: string | undefined } = {}): void {
    if (this.ports.some((p) => p.port === port && (p.protocol ?? 'TCP') === protocol)) return;
    let name = portName(extra.name, port, protocol);
    if (this.ports.some((p) => p.name === name)) name = portName(undefined, port, protocol);
    this.ports.push({
      name,
      port,
      ...(protocol === 'TCP' ? {} : { protocol }),
      ...(extra.appProtocol === undefined ? {} : { appProtocol: extra.appProtocol }),
    });
  }
}

const PUBLISH_HINT =
  'inside the cluster, clients use the Service on the container port; for outside access set `x-slipway: { expose: { host: ... } }` (Ingress) or use `kubectl port-forward`';

export function convertPorts(ctx: ImportContext, path: Path, value: unknown, set: PortSet): void {
  if (!Array.isArray(value)) return;
  value.forEach((item: unknown, i) => {
    const p = [...path, i];
    if (isRecord(item)) {
      convertLongPort(ctx, p, item, set);
      return;
    }
    if (typeof item !== 'string' && typeof item !== 'number') return;
    const parsed = parseShortPort(item);
    if (!parsed) {
      ctx.drop(p, { severity: 'error', message: `cannot parse port "${String(item)}"`, hint: 'use [HOST:]CONTAINER[/PROTOCOL], e.g. "8080:80" or "53/udp"' });
      return;
    }
    for (const port of parsed.container) set.add(port, parsed.protocol);
    ctx.consume(p);
    if (parsed.published !== undefined || parsed.hostIp !== undefined) {
      const host = [parsed.hostIp, parsed.published].filter((x) => x !== undefined).join(':');
      ctx.note(p, {
        severity: 'info',
        message: `host publishing "${host}" has no cluster equivalent; the container port${parsed.container.length > 1 ? 's are' : ' is'} kept`,
        hint: PUBLISH_HINT,
      });
    }
  });
}

function convertLongPort(ctx: ImportContext, path: Path, item: Record<string, unknown>, set: PortSet): void {
  const target = Number(item['target']);
  const proto = str(item['protocol'] ?? 'tcp').toUpperCase();
  if (!Number.isInteger(target) || target < 1 || target > 65535 || (proto !== 'TCP' && proto !== 'UDP' && proto !== 'SCTP')) {
    ctx.drop(path, { severity: 'error', message: 'port needs a numeric `target` and a tcp/udp/sctp protocol', hint: 'e.g. { target: 80, published: "8080" }' });
    return;
  }
  const name = typeof item['name'] === 'string' ? item['name'] : undefined;
  const appProtocol = typeof item['app_protocol'] === 'string' ? item['app_protocol'] : undefined;
  set.add(target, proto, { name, appProtocol });
  for (const key of Object.keys(item)) {
    const kp = [...path, key];
    if (key === 'target' || key === 'protocol' || key === 'name' || key === 'app_protocol') ctx.consume(kp);
    else if (key === 'published') ctx.drop(kp, { severity: 'info', message: 'host port publishing has no cluster equivalent', hint: PUBLISH_HINT });
    else if (key === 'host_ip') ctx.drop(kp, { severity: 'info', message: 'host IP binding has no cluster equivalent', hint: PUBLISH_HINT });
    else if (key === 'mode') ctx.drop(kp, { severity: 'info', message: 'swarm port mode (host/ingress) does not apply: a Service load-balances over the pods' });
    else ctx.drop(kp, { severity: 'info', message: `port option "${key}" is not translated` });
  }
}

export function convertExpose(ctx: ImportContext, path: Path, value: unknown, set: PortSet): void {
  if (!Array.isArray(value)) return;
  value.forEach((item: unknown, i) => {
    const p = [...path, i];
    const parsed = typeof item === 'string' || typeof item === 'number' ? parseShortPort(item) : undefined;
    if (!parsed || parsed.published !== undefined || parsed.hostIp !== undefined) {
      ctx.drop(p, { severity: 'error', message: `cannot parse exposed port "${String(item)}"`, hint: 'use PORT[/PROTOCOL] or a range, e.g. "3000" or "8000-8002"' });
      return;
    }
    for (const port of parsed.container) set.add(port, parsed.protocol);
    ctx.consume(p);
  });
}
