import { describe, expect, it } from 'vitest';
import { hostRefs, publishedPorts } from './connections.ts';

describe('hostRefs: the hosts an env value names', () => {
  it.each([
    ['db:3306', [{ host: 'db', port: 3306, scheme: undefined }]],
    ['db', [{ host: 'db', port: undefined, scheme: undefined }]],
    ['redis://cache:6379/0', [{ host: 'cache', port: 6379, scheme: 'redis' }]],
    ['http://api:8080', [{ host: 'api', port: 8080, scheme: 'http' }]],
    ['http://api/v1/', [{ host: 'api', port: undefined, scheme: 'http' }]],
    ['mysql://root:secret@db/app', [{ host: 'db', port: undefined, scheme: 'mysql' }]],
    ['postgresql+psycopg2://app:pw@pg:5432/app', [{ host: 'pg', port: 5432, scheme: 'postgresql' }]],
    ['jdbc:postgresql://pg/app', [{ host: 'pg', port: undefined, scheme: 'postgresql' }]],
    ['mongodb://u:p@m1,m2:27018/db?replicaSet=rs', [{ host: 'm1', port: undefined, scheme: 'mongodb' }, { host: 'm2', port: 27018, scheme: 'mongodb' }]],
    ['kafka1:9092,kafka2:9092', [{ host: 'kafka1', port: 9092, scheme: undefined }, { host: 'kafka2', port: 9092, scheme: undefined }]],
    ['/var/lib/data', []],
    ['--verbose', []],
    ['http://[::1]:80', []],
    ['host:99999', []],
  ])('%s', (value, want) => {
    expect(hostRefs(value)).toEqual(want);
  });
});

describe('publishedPorts', () => {
  it('maps host ports to container ports (single ports only)', () => {
    expect([...publishedPorts(['5433:5432', '127.0.0.1:8080:80', '9000-9001:9000-9001', '53/udp', 3000])]).toEqual([
      [5433, 5432],
      [8080, 80],
    ]);
  });
});
