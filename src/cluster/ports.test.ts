import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { assignPorts, freePorts, portIsFree } from './ports.ts';
import { PORT_KEYS } from './layout.ts';

describe('freePorts', () => {
  it.each([1, 6, 12])('returns %i distinct bindable ports', async (n) => {
    const ports = await freePorts(n);
    expect(ports).toHaveLength(n);
    expect(new Set(ports).size).toBe(n);
    expect(await Promise.all(ports.map((p) => portIsFree(p)))).toEqual(ports.map(() => true));
  });

  it('portIsFree is false for a port in use', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const addr = srv.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    try {
      expect(await portIsFree(port)).toBe(false);
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});

describe('assignPorts', () => {
  it('maps ports to roles in a fixed order', () => {
    expect(assignPorts([1, 2, 3, 4, 5, 6])).toEqual({ etcdClient: 1, etcdPeer: 2, apiserver: 3, controllerManager: 4, scheduler: 5, kwok: 6 });
  });
  it.each([[[]], [[1, 2, 3]]])('rejects too few ports %j', (ports) => {
    expect(() => assignPorts(ports)).toThrow(`need ${PORT_KEYS.length} ports`);
  });
});
