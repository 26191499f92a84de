/**
 * Free-port allocation. Each cluster gets its own ports on 127.0.0.1, chosen by the kernel
 * (bind to port 0), so a test run's cluster never collides with a user's running one.
 */
import { createServer } from 'node:net';
import { PORT_KEYS, type ClusterPorts } from './layout.ts';
import { internal } from '../errors/index.ts';

/** One port the kernel says is free right now on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** True if `port` can be bound on `host` now (used to reuse a stopped cluster's ports). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * `count` distinct free ports. All listeners are held open until every port is chosen, so the
 * kernel cannot hand out the same port twice within one allocation.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const srv = createServer();
          srv.unref();
          srv.once('error', reject);
          srv.listen({ port: 0, host, exclusive: true }, () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  if (ports.some((p) => p === 0) || new Set(ports).size !== count) {
    throw internal('could not allocate distinct free ports', { cause: ports });
  }
  return ports;
}

/** Maps allocated ports to the cluster's port roles (pure). */
export function assignPorts(ports: readonly number[]): ClusterPorts {
  if (ports.length < PORT_KEYS.length) throw internal(`need ${PORT_KEYS.length} ports, got ${ports.length}`, { cause: ports });
  const at = (i: number): number => ports[i] ?? 0;
  return { etcdClient: at(0), etcdPeer: at(1), apiserver: at(2), controllerManager: at(3), scheduler: at(4), kwok: at(5) };
}

export async function allocateClusterPorts(): Promise<ClusterPorts> {
  return assignPorts(await freePorts(PORT_KEYS.length));
}
