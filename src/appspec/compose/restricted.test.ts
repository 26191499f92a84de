import { describe, expect, it } from 'vitest';
import { accountingProblems } from './accounting.ts';
import { importCompose } from './convert.ts';
import type { ComposeImportResult, ImportReportEntry } from './types.ts';

/** Issue 13, "Images that run under Pod Security restricted": the known-images table applied at import. */

function run(text: string): ComposeImportResult {
  return importCompose({ text, file: 'proj/docker-compose.yml' });
}

function at(v: unknown, path: string): unknown {
  let cur: unknown = v;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

interface Case {
  readonly name: string;
  readonly compose: string;
  readonly spec: Record<string, unknown>;
  readonly report?: readonly (Partial<Pick<ImportReportEntry, 'path' | 'severity'>> & { message: RegExp })[];
}

const CASES: readonly Case[] = [
  {
    name: 'postgres with a named volume: uid 999 + fsGroup, socket directory writable, PGDATA in a subdirectory, port from the table, one replica with the reason',
    compose: 'services:\n  db:\n    image: postgres:16.4\n    volumes: [pg:/var/lib/postgresql/data]\nvolumes:\n  pg: {}\n',
    spec: {
      'services.db.securityContext': { runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
      'services.db.ports': [{ name: 'postgres', port: 5432 }],
      'services.db.env': { PGDATA: '/var/lib/postgresql/data/pgdata' },
      'services.db.volumes': [
        { name: 'pg', mountPath: '/var/lib/postgresql/data' },
        { name: 'var-run-postgresql', mountPath: '/var/run/postgresql', type: 'emptyDir' },
      ],
      'services.db.probes': { readiness: { exec: { command: ['pg_isready', '-h', '127.0.0.1', '-p', '5432'] } }, liveness: { tcp: { port: 5432 } } },
      'services.db.ignoreChecks.REL006': expect.stringMatching(/PersistentVolumeClaim per replica/) as unknown,
    },
    report: [
      { path: 'services.db.image', severity: 'info', message: /runs as uid 999/ },
      { path: 'services.db.image', severity: 'info', message: /PGDATA=/ },
    ],
  },
  {
    name: 'postgres alpine without a volume: uid 70, the data directory an emptyDir, and a warning that its data is lost',
    compose: 'services:\n  db:\n    image: postgres:16-alpine\n',
    spec: {
      'services.db.securityContext.runAsUser': 70,
      'services.db.volumes': [
        { name: 'var-run-postgresql', mountPath: '/var/run/postgresql', type: 'emptyDir' },
        { name: 'var-lib-postgresql-data', mountPath: '/var/lib/postgresql/data', type: 'emptyDir' },
      ],
      'services.db.env': undefined,
    },
    report: [{ path: 'services.db.image', severity: 'warning', message: /data is lost when the pod is replaced/ }],
  },
  {
    name: 'nginx: uid 101, emptyDirs for /var/cache/nginx and /var/run, and the unprivileged-port sysctl for port 80',
    compose: 'services:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n',
    spec: {
      'services.web.securityContext': { runAsUser: 101, runAsGroup: 101, fsGroup: 101, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } },
      'services.web.volumes': [
        { name: 'var-cache-nginx', mountPath: '/var/cache/nginx', type: 'emptyDir' },
        { name: 'var-run', mountPath: '/var/run', type: 'emptyDir' },
      ],
      'services.web.probes': { readiness: { http: { path: '/', port: 80 } }, liveness: { tcp: { port: 80 } } },
    },
    report: [{ path: 'services.web.ports', severity: 'info', message: /below 1024/ }],
  },
  {
    name: 'what the compose file says wins: user, tmpfs over a writable path; the image\'s port 80 still gets the sysctl',
    compose: 'services:\n  web:\n    image: nginx:1.27\n    user: "2000:2000"\n    tmpfs: [/var/cache/nginx]\n    ports: ["8080"]\n',
    spec: {
      'services.web.securityContext': { runAsUser: 2000, runAsGroup: 2000, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } },
      'services.web.volumes': [
        { name: 'tmp-var-cache-nginx', mountPath: '/var/cache/nginx', type: 'emptyDir' },
        { name: 'var-run', mountPath: '/var/run', type: 'emptyDir' },
      ],
      'services.web.ports': [{ name: 'tcp-8080', port: 8080 }, { name: 'http', port: 80 }],
    },
    report: [{ path: 'services.web.image', severity: 'info', message: /runs as uid 2000 \(as the compose file says\); nginx documents uid 101/ }],
  },
  {
    name: 'rabbitmq publishing only its management port: AMQP 5672 is added, as the compose network reached it',
    compose: 'services:\n  mq:\n    image: rabbitmq:3.13-management\n    ports: ["15672:15672"]\n',
    spec: { 'services.mq.ports': [{ name: 'tcp-15672', port: 15672 }, { name: 'amqp', port: 5672 }] },
    report: [{ path: 'services.mq.image', severity: 'info', message: /also listens on 5672/ }],
  },
  {
    name: 'a healthcheck is readiness; the table gives the cheap liveness',
    compose: 'services:\n  cache:\n    image: redis:7.4\n    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]\n      interval: 5s\n',
    spec: {
      'services.cache.probes.readiness.exec': { command: ['redis-cli', 'ping'] },
      'services.cache.probes.liveness': { tcp: { port: 6379 }, periodSeconds: 5, failureThreshold: 3 },
    },
    report: [{ path: 'services.cache.healthcheck', severity: 'info', message: /liveness is a cheaper check \(TCP connect to port 6379\)/ }],
  },
  {
    name: 'memcached: one TCP check is both probes, and the spec says why (REL005)',
    compose: 'services:\n  cache:\n    image: memcached:1.6.31\n',
    spec: {
      'services.cache.securityContext.runAsUser': 11211,
      'services.cache.probes': { readiness: { tcp: { port: 11211 } }, liveness: { tcp: { port: 11211 } } },
      'services.cache.ignoreChecks.REL005': expect.stringMatching(/ships no client/) as unknown,
    },
  },
  {
    name: 'elasticsearch: writable root filesystem with the SEC020 waiver, and the memory it needs',
    compose: 'services:\n  es:\n    image: docker.elastic.co/elasticsearch/elasticsearch:8.15.1\n',
    spec: {
      'services.es.securityContext': { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, readOnlyRootFilesystem: false },
      'services.es.ignoreChecks.SEC020': expect.stringMatching(/keystore/) as unknown,
      'services.es.resources': { requests: { memory: '1Gi' }, limits: { memory: '2Gi' } },
    },
  },
  {
    name: 'an image that cannot run restricted: a warning on the service, with what to do',
    compose: 'services:\n  dind:\n    image: docker:27.2-dind\n',
    spec: { 'services.dind.securityContext': undefined },
    report: [{ path: 'services.dind.image', severity: 'warning', message: /cannot run under Pod Security restricted/ }],
  },
  {
    name: 'x-slipway overrides the table',
    compose: 'services:\n  db:\n    image: mysql:8.4\n    x-slipway:\n      securityContext: { runAsUser: 4242 }\n      probes: { liveness: false }\n',
    spec: { 'services.db.securityContext.runAsUser': 4242, 'services.db.probes.liveness': false },
  },
  {
    name: 'a Job with a database image is its client: no server paths, no probes',
    compose: 'services:\n  seed:\n    image: mongo:7.0\n    restart: "no"\n    command: ["mongoimport", "--uri", "mongodb://db/x"]\n',
    spec: { 'jobs.seed.securityContext.runAsUser': 999, 'jobs.seed.volumes': undefined, 'jobs.seed.probes': undefined },
  },
  {
    name: 'an image built from the compose file is not judged by its name',
    compose: 'services:\n  web:\n    image: nginx:dev-build\n    build: ./web\n',
    spec: { 'services.web.securityContext': undefined },
  },
];

describe('the known-images table at import', () => {
  it.each(CASES)('$name', (c) => {
    const r = run(c.compose);
    for (const [path, want] of Object.entries(c.spec)) expect(at(r.spec, path), path).toEqual(want);
    for (const { message, ...rest } of c.report ?? []) {
      expect(r.report, message.source).toContainEqual(expect.objectContaining({ ...rest, message: expect.stringMatching(message) as unknown }));
    }
    expect(accountingProblems(r)).toEqual([]);
  });
});
