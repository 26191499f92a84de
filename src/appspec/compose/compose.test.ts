import { describe, expect, it } from 'vitest';
import { inputError, InputErrors, isSlipwayError } from '../../errors/index.ts';
import { accountingProblems } from './accounting.ts';
import { importCompose } from './convert.ts';
import { HANDLED_TOP_LEVEL } from './convert.ts';
import { composeSchema } from '../../../scripts/compose-schema.ts';
import { handledServiceKeys } from './service.ts';
import { UNSUPPORTED_SERVICE_KEYS, UNSUPPORTED_TOP_LEVEL } from './unsupported.ts';
import type { ComposeImportInput, ComposeImportResult, ImportReportEntry } from './types.ts';

const FILE = 'proj/docker-compose.yml';

/** A readFile over fixed contents. */
const reader =
  (files: Record<string, string>) =>
  (path: string): string | undefined =>
    files[path];

function run(text: string, extra: Partial<ComposeImportInput> = {}): ComposeImportResult {
  return importCompose({ text, file: FILE, ...extra });
}

/** Walks `a.b.c` into the spec (keys may not contain dots here). */
function at(v: unknown, path: string): unknown {
  let cur: unknown = v;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

type Expected = Partial<Pick<ImportReportEntry, 'path' | 'severity' | 'converted'>> & { message?: RegExp };

interface Case {
  name: string;
  compose: string;
  input?: Partial<ComposeImportInput>;
  /** Spec path → expected value (toEqual). */
  spec?: Record<string, unknown>;
  /** Report entries that must be present. */
  report?: Expected[];
  /** Paths that must NOT appear in the report. */
  notReported?: string[];
}

const svc = (body: string, extra = ''): string => `services:\n  web:\n    image: ghcr.io/acme/web:1.27\n${body.replace(/^/gm, '    ')}\n${extra}`;

const CASES: Case[] = [
  // --- ports / expose
  {
    name: 'ports short syntax: host:container, ip, udp, range',
    compose: svc('ports:\n  - "8080:80"\n  - "127.0.0.1:5353:53/udp"\n  - "9000-9001:9000-9001"\n  - 3000'),
    spec: {
      'services.web.ports': [
        { name: 'tcp-80', port: 80 },
        { name: 'udp-53', port: 53, protocol: 'UDP' },
        { name: 'tcp-9000', port: 9000 },
        { name: 'tcp-9001', port: 9001 },
        { name: 'tcp-3000', port: 3000 },
      ],
    },
    report: [{ path: 'services.web.ports[0]', severity: 'info', converted: true, message: /host publishing "8080"/ }, { path: 'services.web.ports[1]', message: /127\.0\.0\.1:5353/ }],
    notReported: ['services.web.ports[3]'],
  },
  {
    name: 'ports long syntax: target/name/app_protocol kept, published and host_ip reported',
    compose: svc('ports:\n  - target: 8080\n    published: "80"\n    host_ip: 0.0.0.0\n    protocol: tcp\n    name: web\n    app_protocol: http\n    mode: host'),
    spec: { 'services.web.ports': [{ name: 'web', port: 8080, appProtocol: 'http' }] },
    report: [
      { path: 'services.web.ports[0].published', converted: false },
      { path: 'services.web.ports[0].host_ip', converted: false },
      { path: 'services.web.ports[0].mode', converted: false },
    ],
  },
  {
    name: 'expose adds internal ports and dedupes with ports',
    compose: svc('ports: ["8080:80"]\nexpose: ["80", "9090", "53/udp"]'),
    spec: { 'services.web.ports': [{ name: 'tcp-80', port: 80 }, { name: 'tcp-9090', port: 9090 }, { name: 'udp-53', port: 53, protocol: 'UDP' }] },
  },
  // --- environment / env_file
  {
    name: 'environment map and list; bare name from variables; unset bare name reported',
    compose: svc('environment:\n  - A=1\n  - B=x=y\n  - FROM_SHELL\n  - MISSING'),
    input: { variables: { FROM_SHELL: 'hello' } },
    spec: { 'services.web.env': { A: '1', B: 'x=y', FROM_SHELL: 'hello' } },
    report: [{ path: 'services.web.environment[3]', severity: 'warning', converted: false }],
  },
  {
    name: 'environment map with numbers and booleans becomes strings',
    compose: svc('environment:\n  PORT: 8080\n  DEBUG: false\n  EMPTY: ""'),
    spec: { 'services.web.env': { PORT: '8080', DEBUG: 'false', EMPTY: '' } },
  },
  {
    name: 'credential-looking environment values move to a Secret reference',
    compose: svc('environment:\n  DB_PASSWORD: hunter2\n  DB_PASSWORD_FILE: /run/secrets/db'),
    spec: {
      'services.web.env': { DB_PASSWORD: { secret: 'web-env', key: 'DB_PASSWORD' }, DB_PASSWORD_FILE: '/run/secrets/db' },
      'secrets.web-env.keys': ['DB_PASSWORD'],
    },
    report: [{ path: 'services.web.environment.DB_PASSWORD', severity: 'warning', converted: true }],
  },
  {
    name: 'env_file → ConfigMap with envFile + envFrom (shared between services)',
    compose: `services:\n  a:\n    image: x:1\n    env_file: .env.app\n  b:\n    image: x:1\n    env_file:\n      - path: ./.env.app\n        required: true\n      - path: .env.local\n        required: false\n`,
    input: { readFile: reader({ '.env.app': 'A=1\nB=2\n', './.env.app': 'A=1\nB=2\n' }), pathPrefix: 'compose' },
    spec: {
      'configMaps.env-app': { envFile: 'compose/.env.app' },
      'services.a.envFrom': [{ configMap: 'env-app' }],
      'services.b.envFrom': [{ configMap: 'env-app' }],
    },
    report: [{ path: 'services.b.env_file[1]', severity: 'info', converted: false, message: /optional env file/ }],
  },
  {
    name: 'env_file out of render\'s reach from slipway.yaml (../) → its values inline, so that render works',
    compose: svc('env_file: .env.app'),
    input: { readFile: reader({ '.env.app': 'A=1\nB=2\n' }), pathPrefix: '../compose' },
    spec: { 'configMaps.env-app': { data: { A: '1', B: '2' } }, 'services.web.envFrom': [{ configMap: 'env-app' }] },
    report: [{ path: 'services.web.env_file', severity: 'info', converted: true, message: /inline \(data:\).*outside the compose file's directory/ }],
  },
  {
    name: 'missing required env_file is an error',
    compose: svc('env_file: [.env.nope]'),
    report: [{ path: 'services.web.env_file[0]', severity: 'error', converted: false }],
  },
  {
    name: 'env_file credential keys (by substring, URL passwords) → a Secret loaded with envFrom; the rest inline in the ConfigMap (issue 13 defect 4)',
    compose: svc('env_file: .env'),
    input: { readFile: reader({ '.env': 'PG_PASS=hunter2\nAUTHENTIK_SECRET_KEY=k3y-v4lue\nDB_URL=postgres://app:s3cret@db/app\nLOG=info\n' }), envName: 'dev' },
    spec: {
      'configMaps.env': { data: { LOG: 'info' } },
      'secrets.env-secret': { keys: ['PG_PASS', 'AUTHENTIK_SECRET_KEY', 'DB_URL'], description: 'credentials of .env, kept out of ConfigMap env' },
      'services.web.envFrom': [{ configMap: 'env' }, { secret: 'env-secret' }],
    },
    report: [
      { path: 'services.web.env_file', severity: 'warning', message: /create Secret "env-secret" \(keys PG_PASS, AUTHENTIK_SECRET_KEY, DB_URL\)/ },
      { path: 'services.web.env_file', severity: 'info', message: /DB_URL is a credential \(\.env: it is a URL with a password\)/ },
    ],
  },
  {
    name: 'env_file values are interpolated as compose does: ${DOMAIN}, ${STORAGE:-/mnt/data}, $$ (issue 13 defect 6)',
    compose: svc('env_file: .env.app'),
    input: { readFile: reader({ '.env.app': 'SITE_URL=https://${DOMAIN}\nDATA_PATH=${STORAGE:-/mnt/data}/web\nPRICE=$$5\n' }), variables: { DOMAIN: 'example.org' } },
    spec: { 'configMaps.env-app': { data: { SITE_URL: 'https://example.org', DATA_PATH: '/mnt/data/web', PRICE: '$5' } } },
    report: [{ path: 'services.web.env_file', severity: 'info', message: /inline \(data:\).*compose interpolates SITE_URL, DATA_PATH, PRICE from variables/ }],
  },
  // --- interpolation
  {
    name: 'interpolation: defaults, set values, $$ escape; unset reported',
    compose: svc('environment:\n  A: ${TAG:-1.0}\n  B: ${SET}\n  C: $$HOME\n  D: ${NOPE}\n  E: ${EMPTY-fallback}'),
    input: { variables: { SET: 'yes', EMPTY: '' } },
    spec: { 'services.web.env': { A: '1.0', B: 'yes', C: '$HOME', D: '', E: '' } },
    report: [{ path: 'services.web.environment.D', severity: 'warning', converted: true, message: /NOPE is not set/ }],
  },
  {
    name: 'required variable ${X:?msg} unset is an error',
    compose: svc('environment:\n  A: ${X:?X must be set}'),
    report: [{ path: 'services.web.environment.A', severity: 'error', message: /X must be set/ }],
  },
  // --- anchors / merge keys
  {
    name: 'YAML anchors, aliases and << merge keys',
    compose: `x-base: &base\n  image: app:2.0\n  environment: &env\n    LOG: info\nservices:\n  a:\n    <<: *base\n  b:\n    <<: *base\n    environment:\n      <<: *env\n      EXTRA: "1"\n`,
    spec: { 'services.a.image': 'app:2.0', 'services.a.env': { LOG: 'info' }, 'services.b.env': { LOG: 'info', EXTRA: '1' } },
    report: [{ path: 'x-base', converted: false, severity: 'info' }],
  },
  // --- secrets / configs
  {
    name: 'secrets → Secret reference + file mount (short and long syntax)',
    compose: svc('secrets:\n  - db_pw\n  - source: api_key\n    target: api.key\n    mode: 0400', 'secrets:\n  db_pw:\n    file: ./db.txt\n  api_key:\n    environment: API_KEY\n  unused:\n    file: ./u.txt\n'),
    spec: {
      'services.web.config': [
        { path: '/run/secrets/db_pw', secret: 'db-pw', key: 'db_pw' },
        { path: '/run/secrets/api.key', secret: 'api-key', key: 'api_key' },
      ],
      'secrets.db-pw': { keys: ['db_pw'], description: 'compose secret "db_pw"' },
    },
    report: [
      { path: 'services.web.secrets[1].mode', converted: false },
      { path: 'secrets.db_pw.file', converted: true, message: /never handles secret values/ },
      { path: 'secrets.unused', converted: false },
    ],
  },
  {
    name: 'configs → ConfigMap with the file content, mounted at target (default /NAME)',
    compose: svc('configs:\n  - nginx_conf\n  - source: inline\n    target: /etc/inline.txt', 'configs:\n  nginx_conf:\n    file: ./nginx.conf\n  inline:\n    content: hello\n'),
    input: { readFile: reader({ './nginx.conf': 'server {}\n' }) },
    spec: {
      'configMaps.nginx-conf': { data: { 'nginx.conf': 'server {}\n' } },
      'configMaps.inline': { data: { inline: 'hello' } },
      'services.web.config': [
        { path: '/nginx_conf', configMap: 'nginx-conf', key: 'nginx.conf' },
        { path: '/etc/inline.txt', configMap: 'inline', key: 'inline' },
      ],
    },
  },
  // --- volumes
  {
    name: 'named volume → persistent; bind mount reported; anonymous + tmpfs → emptyDir',
    compose: svc('volumes:\n  - data:/var/lib/data\n  - ./conf:/etc/conf:ro\n  - /cache\n  - type: tmpfs\n    target: /run\ntmpfs: /tmp', 'volumes:\n  data:\n'),
    spec: {
      'services.web.volumes': [
        { name: 'data', mountPath: '/var/lib/data' },
        { name: 'anon-cache', mountPath: '/cache', type: 'emptyDir' },
        { name: 'tmp-run', mountPath: '/run', type: 'emptyDir' },
        { name: 'tmp-tmp', mountPath: '/tmp', type: 'emptyDir' },
      ],
    },
    report: [{ path: 'services.web.volumes[1]', severity: 'warning', converted: false, message: /bind mount/ }],
  },
  {
    name: 'read-only named volume and external volume are reported',
    compose: svc('volumes:\n  - data:/d:ro', 'volumes:\n  data:\n    external: true\n'),
    report: [
      { path: 'services.web.volumes[0]', severity: 'warning', converted: true, message: /read-only/ },
      { path: 'volumes.data.external', severity: 'warning', converted: false },
    ],
  },
  {
    name: 'a volume shared by two services is flagged',
    compose: `services:\n  a:\n    image: x:1\n    volumes: [shared:/s]\n  b:\n    image: x:1\n    volumes: [shared:/s]\nvolumes:\n  shared: {}\n`,
    report: [{ path: 'volumes.shared', severity: 'warning', message: /each gets its own/ }],
  },
  // --- depends_on
  {
    name: 'depends_on short syntax → dependsOn on the first port; targets without ports reported',
    compose: `services:\n  web:\n    image: x:1\n    depends_on: [db, worker]\n  db:\n    image: postgres:16\n    expose: ["5432"]\n  worker:\n    image: x:1\n`,
    spec: { 'services.web.dependsOn': [{ service: 'db', port: 'tcp-5432' }] },
    report: [{ path: 'services.web.depends_on[1]', severity: 'warning', converted: false, message: /no ports/ }],
  },
  {
    name: 'depends_on long syntax: condition kept, restart reported, job dependency reported',
    compose: `services:\n  web:\n    image: x:1\n    depends_on:\n      db:\n        condition: service_healthy\n        restart: true\n      migrate:\n        condition: service_completed_successfully\n  db:\n    image: postgres:16\n    ports: ["5432:5432"]\n  migrate:\n    image: x:1\n    restart: "no"\n`,
    spec: { 'services.web.dependsOn': [{ service: 'db', port: 'tcp-5432' }], 'jobs.migrate.backoffLimit': 0 },
    report: [
      { path: 'services.web.depends_on.db.restart', converted: false },
      { path: 'services.web.depends_on.migrate', severity: 'warning', converted: false, message: /Job/ },
    ],
    notReported: ['services.web.depends_on.db.condition'],
  },
  // --- healthcheck
  {
    name: 'healthcheck CMD → exec readiness with compose timings; liveness a TCP connect at the same cadence (REL005)',
    compose: svc('ports: ["8080"]\nhealthcheck:\n  test: ["CMD", "curl", "-f", "http://localhost/"]\n  interval: 1m30s\n  timeout: 500ms\n  retries: 5'),
    spec: {
      'services.web.probes.readiness': { exec: { command: ['curl', '-f', 'http://localhost/'] }, periodSeconds: 90, timeoutSeconds: 1, failureThreshold: 5 },
      'services.web.probes.liveness': { tcp: { port: 8080 }, periodSeconds: 90, failureThreshold: 5 },
      'services.web.probes.startup': undefined,
      'services.web.ignoreChecks': undefined,
    },
    report: [
      { path: 'services.web.healthcheck.timeout', severity: 'info', converted: true, message: /rounded up/ },
      { path: 'services.web.healthcheck', severity: 'info', converted: true, message: /liveness is a cheaper check \(TCP connect to port 8080\)/ },
    ],
  },
  {
    name: 'healthcheck on a service without ports: readiness only, the missing liveness waived with the reason (REL001)',
    compose: svc('healthcheck:\n  test: ["CMD", "celery", "inspect", "ping"]'),
    spec: {
      'services.web.probes.readiness': { exec: { command: ['celery', 'inspect', 'ping'] }, periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 3 },
      'services.web.probes.liveness': undefined,
      'services.web.ignoreChecks.REL001': expect.stringMatching(/listens on no port/) as unknown,
    },
  },
  {
    name: 'no healthcheck, no port: the missing probes are waived with the reason (REL001, REL002)',
    compose: svc('command: ["worker"]'),
    spec: {
      'services.web.probes': undefined,
      'services.web.ignoreChecks.REL001': expect.stringMatching(/no healthcheck/) as unknown,
      'services.web.ignoreChecks.REL002': expect.stringMatching(/no port and has no healthcheck/) as unknown,
    },
  },
  {
    name: 'healthcheck CMD-SHELL and string form → sh -c; defaults 30s/30s/3',
    compose: svc('healthcheck:\n  test: pg_isready -U app'),
    spec: { 'services.web.probes.readiness': { exec: { command: ['sh', '-c', 'pg_isready -U app'] }, periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 3 } },
  },
  {
    name: 'healthcheck start_period → startup probe covering start_period + retries × interval',
    compose: svc('healthcheck:\n  test: ["CMD-SHELL", "check"]\n  interval: 10s\n  retries: 3\n  start_period: 40s\n  start_interval: 2s'),
    spec: { 'services.web.probes.startup': { exec: { command: ['sh', '-c', 'check'] }, periodSeconds: 2, timeoutSeconds: 30, failureThreshold: 35 } },
  },
  {
    name: 'healthcheck disable: true → no probes',
    compose: svc('healthcheck:\n  disable: true'),
    spec: { 'services.web.probes': undefined },
    report: [{ path: 'services.web.healthcheck', severity: 'info', converted: true }],
  },
  {
    name: 'healthcheck test NONE → no probes',
    compose: svc('healthcheck:\n  test: ["NONE"]\n  interval: 5s'),
    spec: { 'services.web.probes': undefined },
  },
  {
    name: 'healthcheck without test (tuning the image HEALTHCHECK) is reported',
    compose: svc('healthcheck:\n  interval: 5s'),
    report: [{ path: 'services.web.healthcheck.interval', severity: 'warning', converted: false }],
  },
  // --- deploy
  {
    name: 'deploy.replicas and resources: cpus → millicores, memory → binary units',
    compose: svc('deploy:\n  replicas: 3\n  resources:\n    limits: { cpus: "0.5", memory: 512M, pids: 100 }\n    reservations: { cpus: "2", memory: 1536k }'),
    spec: { 'services.web.replicas': 3, 'services.web.resources': { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '2', memory: '1536Ki' } } },
    report: [{ path: 'services.web.deploy.resources.limits.pids', converted: false }],
  },
  {
    name: 'legacy cpus / mem_limit / mem_reservation / scale',
    compose: svc('cpus: 1.25\nmem_limit: 1g\nmem_reservation: 268435456\nscale: 2'),
    spec: { 'services.web.resources': { limits: { cpu: '1250m', memory: '1Gi' }, requests: { memory: '256Mi' } }, 'services.web.replicas': 2 },
  },
  {
    name: 'update_config start-first → maxSurge',
    compose: svc('deploy:\n  update_config:\n    parallelism: 2\n    order: start-first\n    delay: 10s'),
    spec: { 'services.web.strategy': { type: 'rolling', maxSurge: 2, maxUnavailable: 0 } },
    report: [{ path: 'services.web.deploy.update_config.delay', converted: false }],
  },
  {
    name: 'update_config stop-first → maxUnavailable; parallelism 0 → 100%',
    compose: svc('deploy:\n  update_config:\n    parallelism: 0\n    order: stop-first'),
    spec: { 'services.web.strategy': { type: 'rolling', maxSurge: 0, maxUnavailable: '100%' } },
  },
  {
    name: 'placement node.labels constraint → nodeSelector; others reported; global mode reported',
    compose: svc('deploy:\n  mode: global\n  placement:\n    constraints: ["node.labels.zone == eu-1", "node.role == manager"]'),
    spec: { 'services.web.nodeSelector': { zone: 'eu-1' } },
    report: [
      { path: 'services.web.deploy.placement.constraints[1]', converted: false },
      { path: 'services.web.deploy.mode', severity: 'warning', converted: false },
    ],
  },
  // --- restart / kind
  {
    name: 'restart on-failure:N without ports → Job with backoffLimit N; ports on a Job (x-slipway kind) are reported',
    compose: svc('restart: on-failure:4', '  worker:\n    image: x:1\n    ports: ["80"]\n    x-slipway: { kind: job }\n'),
    spec: { 'jobs.web.backoffLimit': 4, 'services.web': undefined, 'jobs.worker.image': 'x:1' },
    report: [{ path: 'services.worker.ports', severity: 'warning', converted: false, message: /Job/ }],
  },
  {
    name: 'restart on-failure (or restart_policy) on a service with ports stays a service',
    compose: svc('restart: on-failure\nports: ["80"]', '  vote:\n    image: x:1\n    ports: ["5000:80"]\n    deploy:\n      restart_policy:\n        condition: on-failure\n        max_attempts: 3\n'),
    spec: { 'services.web.ports': [{ name: 'tcp-80', port: 80 }], 'services.vote.image': 'x:1', jobs: undefined },
    report: [
      { path: 'services.web.restart', severity: 'info', converted: true, message: /kept as a service/ },
      { path: 'services.vote.deploy.restart_policy.max_attempts', converted: false },
    ],
  },
  {
    name: 'restart always/unless-stopped stay services; x-slipway kind overrides restart: no',
    compose: `services:\n  a:\n    image: x:1\n    restart: always\n  b:\n    image: x:1\n    restart: "no"\n    x-slipway: { kind: service }\n`,
    spec: { 'services.a.image': 'x:1', 'services.b.image': 'x:1', jobs: undefined },
  },
  {
    name: 'x-slipway kind cronJob with a schedule → cronJobs',
    compose: svc('restart: "no"\nx-slipway:\n  kind: cronJob\n  schedule: "0 2 * * *"\n  concurrencyPolicy: Forbid'),
    spec: { 'cronJobs.web': { image: 'ghcr.io/acme/web:1.27', schedule: '0 2 * * *', concurrencyPolicy: 'Forbid' }, 'services.web': undefined, jobs: undefined },
  },
  // --- command / entrypoint
  {
    name: 'entrypoint → command, command → args; strings split with shell rules',
    compose: svc(`entrypoint: /bin/sh -c\ncommand: 'echo "hello world" && exit 0'`),
    spec: { 'services.web.command': ['/bin/sh', '-c'], 'services.web.args': ['echo', 'hello world', '&&', 'exit', '0'] },
  },
  {
    name: 'command list form is kept as is',
    compose: svc('command: ["npm", "run", "start -- --port 3000"]\nworking_dir: /app'),
    spec: { 'services.web.args': ['npm', 'run', 'start -- --port 3000'], 'services.web.workingDir': '/app' },
  },
  // --- security
  {
    name: 'user uid:gid → securityContext; read_only; NET_BIND_SERVICE kept, others reported',
    compose: svc('user: "1000:2000"\nread_only: true\ncap_add: [NET_BIND_SERVICE, SYS_ADMIN]\ncap_drop: [ALL]'),
    spec: { 'services.web.securityContext': { runAsUser: 1000, runAsGroup: 2000, readOnlyRootFilesystem: true, addCapabilities: ['NET_BIND_SERVICE'] } },
    report: [{ path: 'services.web.cap_add[1]', severity: 'warning', converted: false }],
    notReported: ['services.web.cap_drop[0]'],
  },
  {
    name: 'user root or a name is reported',
    compose: `services:\n  a:\n    image: x:1\n    user: root\n  b:\n    image: x:1\n    user: "0"\n`,
    spec: { 'services.a.securityContext': undefined },
    report: [
      { path: 'services.a.user', severity: 'warning', converted: false, message: /numeric uid/ },
      { path: 'services.b.user', severity: 'warning', converted: false, message: /root/ },
    ],
  },
  {
    name: 'stop_grace_period → terminationGracePeriodSeconds (rounded up)',
    compose: svc('stop_grace_period: 1m30.5s'),
    spec: { 'services.web.terminationGracePeriodSeconds': 91 },
  },
  // --- labels
  {
    name: 'labels: valid ones stay labels, free-text values become annotations',
    compose: svc('labels:\n  - "com.example.team=payments"\n  - "com.example.description=Web front end"'),
    spec: { 'services.web.labels': { 'com.example.team': 'payments' }, 'services.web.annotations': { 'com.example.description': 'Web front end' } },
  },
  // --- images
  {
    name: 'image without a tag is an error; :latest is a warning',
    compose: `services:\n  a:\n    image: redis\n  b:\n    image: ghcr.io/acme/api:latest\n`,
    spec: { 'services.a.image': 'redis' },
    report: [
      // A warning, as lint (SEC021) says: the spec renders, pulling :latest (issue 13 defect 5).
      { path: 'services.a.image', severity: 'warning', converted: true, message: /has no tag: it pulls the mutable :latest/ },
      { path: 'services.b.image', severity: 'warning', converted: true },
    ],
  },
  {
    name: 'a tag from an unset variable is no tag: a warning, plus the unset variable',
    compose: 'services:\n  a:\n    image: nginx:${NGINX_VERSION}\n',
    spec: { 'services.a.image': 'nginx' },
    report: [
      { path: 'services.a.image', severity: 'warning', converted: true, message: /no tag/ },
      { path: 'services.a.image', severity: 'warning', converted: true, message: /NGINX_VERSION is not set/ },
    ],
  },
  {
    name: 'x-slipway image pins an untagged image (no error)',
    compose: svc('', `  cache:\n    image: ghcr.io/acme/cache\n    x-slipway:\n      image: ghcr.io/acme/cache:7.4\n      replicas: 2\n`),
    spec: { 'services.cache.image': 'ghcr.io/acme/cache:7.4', 'services.cache.replicas': 2 },
    notReported: ['services.cache.image'],
  },
  {
    name: 'pull_policy → image.pullPolicy',
    compose: svc('pull_policy: always'),
    spec: { 'services.web.image': { repository: 'ghcr.io/acme/web', tag: '1.27', pullPolicy: 'Always' } },
  },
  {
    name: 'build → build context/dockerfile; image named after the service, tagged :dev (CI passes its commit with --image-tag)',
    compose: `services:\n  api:\n    build:\n      context: ./api\n      dockerfile: Dockerfile.prod\n      target: runtime\n`,
    spec: { 'services.api.build': { context: 'api', dockerfile: 'Dockerfile.prod' }, 'services.api.image': 'api:dev' },
    report: [{ path: 'services.api.build.target', converted: false }, { path: 'services.api.build', severity: 'info', converted: true, message: /named "api:dev"/ }],
  },
  {
    name: 'build with an untagged image → tagged :dev, not an error (SEC021 clean)',
    compose: `services:\n  api:\n    image: ghcr.io/acme/api\n    build: ./api\n`,
    spec: { 'services.api.image': 'ghcr.io/acme/api:dev' },
    report: [{ path: 'services.api.image', severity: 'info', converted: true, message: /tagged :dev/ }],
  },
  // --- x-slipway
  {
    name: 'x-slipway merges into the service: maps merge, lists replace, null removes',
    compose: svc('deploy:\n  replicas: 2\nhealthcheck:\n  test: ["CMD", "true"]\nx-slipway:\n  expose: { host: web.example.com }\n  autoscaling: { min: 2, max: 10, cpu: 70 }\n  probes:\n    liveness: null'),
    spec: {
      'services.web.expose': { host: 'web.example.com' },
      'services.web.autoscaling': { min: 2, max: 10, cpu: 70 },
      'services.web.probes.liveness': undefined,
      'services.web.probes.readiness': { exec: { command: ['true'] }, periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 3 },
    },
  },
  // --- profiles and names
  {
    name: 'profiles: inactive services are reported, active ones imported',
    compose: `services:\n  web:\n    image: x:1\n  debug:\n    image: x:1\n    profiles: [debug]\n  tools:\n    image: x:1\n    profiles: [tools]\n`,
    input: { profiles: ['tools'] },
    spec: { 'services.web.image': 'x:1', 'services.tools.image': 'x:1', 'services.debug': undefined },
    report: [{ path: 'services.debug', severity: 'info', converted: false }],
  },
  {
    name: 'top-level name → app; service names become DNS labels',
    compose: `name: My_Shop\nservices:\n  Web_Front:\n    image: x:1\n`,
    spec: { app: 'my-shop', 'services.web-front.image': 'x:1' },
    report: [{ path: 'services.Web_Front', severity: 'info', converted: true }],
  },
  {
    name: 'no top-level name → the project directory name',
    compose: svc(''),
    spec: { app: 'proj' },
  },
  {
    name: '--env-name adds one environment, scaffolded for its tier',
    compose: svc(''),
    input: { envName: 'staging' },
    spec: { 'environments.staging.namespace': 'proj-staging', 'environments.staging.services.web.replicas': 2, 'environments.dev': undefined },
  },
  {
    name: 'top-level x-slipway merges into the app',
    compose: `x-slipway:\n  namespace: shop-prod\n  labels: { team: payments }\n${svc('')}`,
    spec: { namespace: 'shop-prod', labels: { team: 'payments' } },
    notReported: ['x-slipway'],
  },
  {
    name: 'extends (same file): base keys merged, lists concatenated, maps merged, scalars replaced',
    compose: `services:\n  base:\n    image: app:1.0\n    command: ["serve"]\n    environment: [LOG=info, MODE=base]\n    ports: ["80"]\n    volumes: [data:/data, cache:/cache]\n  web:\n    extends: base\n    command: ["serve", "--web"]\n    environment:\n      MODE: web\n    ports: ["81"]\n    volumes: [other:/cache]\n  api:\n    extends:\n      service: web\n    image: app:2.0\nvolumes:\n  data: {}\n  cache: {}\n  other: {}\n`,
    spec: {
      'services.web.image': 'app:1.0',
      'services.web.args': ['serve', '--web'],
      'services.web.env': { LOG: 'info', MODE: 'web' },
      'services.web.ports': [{ name: 'tcp-80', port: 80 }, { name: 'tcp-81', port: 81 }],
      'services.web.volumes': [{ name: 'data', mountPath: '/data' }, { name: 'other', mountPath: '/cache' }],
      'services.api.image': 'app:2.0',
      'services.api.env': { LOG: 'info', MODE: 'web' },
    },
    notReported: ['services.web.extends', 'services.api.extends'],
  },
  {
    name: 'extends: unknown base, cycles and other files are errors',
    compose: `services:\n  a:\n    image: x:1\n    extends: nope\n  b:\n    image: x:1\n    extends: c\n  c:\n    image: x:1\n    extends: b\n`,
    report: [
      { path: 'services.a.extends', severity: 'error', converted: false, message: /unknown service "nope"/ },
      { path: 'services.c.extends', severity: 'error', converted: false, message: /cycle/ },
    ],
  },
  // --- unsupported keys are reported with reasons
  {
    name: 'unsupported service and top-level keys are reported, not dropped silently',
    compose: svc('container_name: web1\nprivileged: true\nnetworks: [front]\nlogging: { driver: syslog }\nextends: { service: base, file: other.yml }\nx-other: 1', 'networks:\n  front: {}\n'),
    report: [
      { path: 'services.web.container_name', severity: 'info', converted: false },
      { path: 'services.web.privileged', severity: 'warning', converted: false },
      { path: 'services.web.networks', converted: false },
      { path: 'services.web.logging', converted: false },
      { path: 'services.web.extends', severity: 'error', converted: false },
      { path: 'services.web.x-other', severity: 'info', converted: false },
      { path: 'networks', converted: false },
    ],
  },
];

describe('importCompose: each compose key', () => {
  it.each(CASES)('$name', (c) => {
    const r = run(c.compose, c.input);
    for (const [path, want] of Object.entries(c.spec ?? {})) expect(at(r.spec, path), path).toEqual(want);
    for (const want of c.report ?? []) {
      const { message, ...rest } = want;
      expect(r.report, JSON.stringify(want)).toContainEqual(expect.objectContaining({ ...rest, ...(message ? { message: expect.stringMatching(message) as unknown } : {}) }));
    }
    for (const p of c.notReported ?? []) expect(r.report.filter((e) => e.path === p)).toEqual([]);
  });

  it.each(CASES)('report is accurate (consumed ∩ reported = ∅, union covers every key): $name', (c) => {
    const r = run(c.compose, c.input);
    expect(accountingProblems(r)).toEqual([]);
    expect(r.inputKeys.length).toBeGreaterThan(0);
  });

  it('report entries carry file:line:col of the key', () => {
    const r = run(svc('privileged: true'));
    const e = r.report.find((x) => x.path === 'services.web.privileged');
    expect(e?.position).toEqual({ file: FILE, line: 4, col: 5 });
  });
});

describe('connections through env values get NetworkPolicy edges (issue 13 defect 1)', () => {
  const deps = (r: ComposeImportResult, svc: string): unknown => r.spec.services[svc]?.dependsOn;
  const inferred = (r: ComposeImportResult, path: string): boolean => r.report.some((e) => e.path === path && e.severity === 'info' && /inferred a connection/.test(e.message));

  it('host:port, bare host, URLs: the port from the value, the scheme or the target (known image included)', () => {
    const r = run(`services:
  wordpress:
    image: wordpress:6.6
    environment:
      WORDPRESS_DB_HOST: db:3306
  db:
    image: mysql:8.4
  worker:
    image: ghcr.io/acme/worker:1.0
    environment:
      - DB_HOST=pg
      - REDIS_URL=redis://cache:6379/0
      - API=http://api:8080
      - SEARCH=http://search
  pg:
    image: postgres:16
    ports: ["5432"]
  cache:
    image: ghcr.io/acme/cache:1.0
  api:
    image: ghcr.io/acme/api:1.0
    ports: ["80:8080"]
  search:
    image: ghcr.io/acme/search:1.0
`);
    expect(deps(r, 'wordpress')).toEqual([{ service: 'db', port: 'mysql' }]);
    expect(deps(r, 'worker')).toEqual([
      { service: 'pg', port: 'tcp-5432' },
      { service: 'cache', port: 'tcp-6379' },
      { service: 'api', port: 'tcp-8080' },
      { service: 'search', port: 'tcp-80' },
    ]);
    // A port nobody listed, but someone connects to: the target declares it (its Service needs it).
    expect(r.spec.services['cache']?.ports).toEqual([{ name: 'tcp-6379', port: 6379 }]);
    expect(r.spec.services['search']?.ports).toEqual([{ name: 'tcp-80', port: 80 }]);
    expect(r.report).toContainEqual(expect.objectContaining({ path: 'services.cache', severity: 'info', message: expect.stringMatching(/port 6379 added .*worker connects to cache:6379 \(REDIS_URL\)/) as unknown }));
    for (const p of ['services.wordpress.environment.WORDPRESS_DB_HOST', 'services.worker.environment[0]', 'services.worker.environment[1]', 'services.worker.environment[2]', 'services.worker.environment[3]']) expect(inferred(r, p), p).toBe(true);
    expect(accountingProblems(r)).toEqual([]);
  });

  it('a target whose port cannot be known: a warning naming the connection that will be blocked', () => {
    const r = run('services:\n  app:\n    image: x:1\n    environment:\n      QUEUE_HOST: mq\n  mq:\n    image: ghcr.io/acme/mq:1.0\n');
    expect(deps(r, 'app')).toBeUndefined();
    expect(r.report).toContainEqual(expect.objectContaining({ path: 'services.app.environment.QUEUE_HOST', severity: 'warning', message: expect.stringMatching(/connection from app to mq \(host "mq" in QUEUE_HOST\) will be blocked/) as unknown, hint: expect.stringMatching(/expose/) as unknown }));
  });

  it('env files count; values are never printed (a URL may hold a password); the same edge is not added twice', () => {
    const r = run('services:\n  app:\n    image: x:1\n    env_file: .env.app\n    depends_on: [db]\n  db:\n    image: postgres:16\n', { readFile: reader({ '.env.app': 'DATABASE_URL=postgres://app:planted-pw@db:5432/app\n' }) });
    expect(deps(r, 'app')).toEqual([{ service: 'db', port: 'postgres' }]);
    expect(JSON.stringify(r.report)).not.toContain('planted-pw');
  });

  it('a name only compose resolves (container_name, a name with "_") is a warning', () => {
    const r = run('services:\n  app:\n    image: x:1\n    environment: { DB_HOST: "my_db:5432" }\n  my_db:\n    image: postgres:16\n');
    expect(deps(r, 'app')).toEqual([{ service: 'my-db', port: 'postgres' }]);
    expect(r.report).toContainEqual(expect.objectContaining({ path: 'services.app.environment.DB_HOST', severity: 'warning', message: expect.stringMatching(/as "my_db", a name compose resolves .* its Service is "my-db"/) as unknown }));
  });

  it('values that only look like hosts are left alone (no port, no scheme, a key that does not name a host)', () => {
    const r = run('services:\n  app:\n    image: x:1\n    environment: { MODE: web, APP_ENV: worker }\n  web:\n    image: nginx:1.27\n  worker:\n    image: x:1\n    ports: ["9000"]\n');
    expect(deps(r, 'app')).toBeUndefined();
  });
});

describe('secret values never reach slipway.yaml (issue 13 defect 4)', () => {
  /** Every planted value must be absent from the spec and the report. */
  const noLeak = (r: ComposeImportResult, planted: readonly string[]): void => {
    const text = JSON.stringify(r.spec) + JSON.stringify(r.report);
    for (const v of planted) expect(text, `"${v}" leaked`).not.toContain(v);
  };

  it('a credential variable of .env interpolated into a name the old whole-word rule missed (WEBPASSWORD=${PIHOLE_PW})', () => {
    const r = run('services:\n  pihole:\n    image: pihole/pihole:2024.07.0\n    environment:\n      WEBPASSWORD: ${PIHOLE_PW}\n      TZ: Europe/Paris\n', { dotenv: { file: 'proj/.env', text: 'PIHOLE_PW=planted-pihole-pw\n' }, envName: 'dev' });
    expect(r.spec.services['pihole']?.env).toEqual({ WEBPASSWORD: { secret: 'pihole-env', key: 'WEBPASSWORD' }, TZ: 'Europe/Paris' });
    expect(r.spec.secrets?.['pihole-env']?.keys).toEqual(['WEBPASSWORD']);
    expect(r.report).toContainEqual(expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/create Secret "pihole-env"/) as unknown, hint: "kubectl create secret generic pihole-env -n proj-dev --from-literal=WEBPASSWORD='…'" }));
    noLeak(r, ['planted-pihole-pw']);
  });

  it('any value built from a credential variable goes to the Secret (a connection string)', () => {
    const r = run('services:\n  api:\n    image: x:1\n    environment:\n      - ConnectionStrings__Db=Server=db;User=sa;Password=${SA_PASSWORD}\n', { dotenv: { file: 'proj/.env', text: 'SA_PASSWORD=Planted!Sa9\n' } });
    expect(r.spec.services['api']?.env).toEqual({ ConnectionStrings__Db: { secret: 'api-env', key: 'ConnectionStrings__Db' } });
    noLeak(r, ['Planted!Sa9']);
  });

  it('a password in a URL: an env var from the Secret, and the URL reads it with $(VAR) (declared before it)', () => {
    const r = run('services:\n  app:\n    image: x:1\n    environment:\n      DATABASE_URL: mysql://root:planted-url-pw@db/app\n      REDIS_URL: redis://cache:6379/0\n');
    const env = r.spec.services['app']?.env ?? {};
    expect(Object.keys(env)).toEqual(['DATABASE_URL_PASSWORD', 'DATABASE_URL', 'REDIS_URL']);
    expect(env).toEqual({ DATABASE_URL_PASSWORD: { secret: 'app-env', key: 'DATABASE_URL_PASSWORD' }, DATABASE_URL: 'mysql://root:$(DATABASE_URL_PASSWORD)@db/app', REDIS_URL: 'redis://cache:6379/0' });
    noLeak(r, ['planted-url-pw']);
  });

  it('SECRET_PATH=pwndrop is a credential for import as it is for lint (one rule)', () => {
    const r = run(svc('environment: { SECRET_PATH: pwndrop, DATA_PATH: /data }'));
    expect(r.spec.services['web']?.env).toEqual({ SECRET_PATH: { secret: 'web-env', key: 'SECRET_PATH' }, DATA_PATH: '/data' });
  });

  it('a password moved to a Secret is not left in the healthcheck: the probe reads it from the environment', () => {
    const r = run('services:\n  db:\n    image: mysql:8.4\n    environment:\n      MYSQL_ROOT_PASSWORD: planted-root-pw\n    healthcheck:\n      test: ["CMD", "mysqladmin", "ping", "-h", "localhost", "-uroot", "-pplanted-root-pw"]\n');
    const probes = r.spec.services['db']?.probes;
    const cmd = ['sh', '-c', 'exec mysqladmin ping -h localhost -uroot -p"${MYSQL_ROOT_PASSWORD}"'];
    expect(probes?.readiness).toMatchObject({ exec: { command: cmd } });
    // Liveness is the cheap check of the known-images table (mysql: TCP 3306), not the healthcheck.
    expect(probes?.liveness).toMatchObject({ tcp: { port: 3306 } });
    expect(r.report).toContainEqual(expect.objectContaining({ path: 'services.db.healthcheck.test', severity: 'warning' }));
    noLeak(r, ['planted-root-pw']);
  });

  it('a CMD-SHELL healthcheck and a command with a credential variable: a Secret env var, "$VAR" in the probe, $(VAR) in args', () => {
    const compose = 'services:\n  cache:\n    image: redis:7.4\n    command: redis-server --requirepass ${REDIS_PASSWORD}\n    healthcheck:\n      test: ["CMD-SHELL", "redis-cli -a \'${REDIS_PASSWORD}\' ping | grep PONG"]\n';
    const r = run(compose, { variables: { REDIS_PASSWORD: 'planted-redis-pw' } });
    const svc = r.spec.services['cache'];
    expect(svc?.args).toEqual(['redis-server', '--requirepass', '$(REDIS_PASSWORD)']);
    expect(svc?.env).toEqual({ REDIS_PASSWORD: { secret: 'cache-env', key: 'REDIS_PASSWORD' } });
    expect(svc?.probes?.readiness).toMatchObject({ exec: { command: ['sh', '-c', 'redis-cli -a \'\'"${REDIS_PASSWORD}"\'\' ping | grep PONG'] } });
    noLeak(r, ['planted-redis-pw']);
  });

  it('a password another service holds, written in a command (a migration job): a Secret env var read as $(VAR)', () => {
    const r = run(`services:
  migrate:
    image: migrate/migrate:v4.17.1
    command: ["-path", "/migrations", "-database", "postgres://api:planted-mig-pw@postgres:5432/api?sslmode=disable", "up"]
    restart: on-failure:3
  postgres:
    image: postgres:16.4-alpine
    environment: { POSTGRES_USER: api, POSTGRES_PASSWORD: planted-mig-pw }
  curl:
    image: curlimages/curl:8.10.1
    command: ["curl", "-fsS", "https://admin:planted-curl-pw@example.com/hook"]
`);
    expect(r.spec.jobs?.['migrate']?.args).toEqual(['-path', '/migrations', '-database', 'postgres://api:$(POSTGRES_PASSWORD)@postgres:5432/api?sslmode=disable', 'up']);
    expect(r.spec.jobs?.['migrate']?.env).toEqual({ POSTGRES_PASSWORD: { secret: 'migrate-env', key: 'POSTGRES_PASSWORD' } });
    // A URL password no env value holds: a Secret env var named for what it is.
    expect(r.spec.services['curl']?.args).toEqual(['curl', '-fsS', 'https://admin:$(URL_PASSWORD)@example.com/hook']);
    expect(r.spec.secrets?.['curl-env']?.keys).toEqual(['URL_PASSWORD']);
    expect(r.report.filter((e) => e.severity === 'error')).toEqual([]);
    noLeak(r, ['planted-mig-pw', 'planted-curl-pw']);
  });

  it('a "password" that is public text anyway (postgres/postgres) is moved, the image and user name are kept, and the report says why', () => {
    const r = run('services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: postgres\n      POSTGRES_PASSWORD: postgres\n    healthcheck:\n      test: ["CMD", "pg_isready", "-U", "postgres"]\n');
    const db = r.spec.services['db'];
    expect(db?.image).toBe('postgres:16');
    expect(db?.env).toEqual({ POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: { secret: 'db-env', key: 'POSTGRES_PASSWORD' } });
    expect(db?.probes?.readiness).toMatchObject({ exec: { command: ['pg_isready', '-U', 'postgres'] } });
    expect(r.report).toContainEqual(expect.objectContaining({ path: 'services.db.environment.POSTGRES_PASSWORD', severity: 'warning', message: expect.stringMatching(/anyone can guess it/) as unknown }));
  });

  it('a credential that slips into another field (a label) is replaced and reported as an error', () => {
    const r = run('services:\n  app:\n    image: x:1\n    labels:\n      note: "pw is ${APP_TOKEN}"\n', { variables: { APP_TOKEN: 'planted-label-token' } });
    expect(r.spec.services['app']?.annotations?.['note'] ?? r.spec.services['app']?.labels?.['note']).toBe('pw is <secret APP_TOKEN>');
    expect(r.report).toContainEqual(expect.objectContaining({ path: 'services.app', severity: 'error', message: expect.stringMatching(/value of APP_TOKEN, a credential, would be written/) as unknown }));
    noLeak(r, ['planted-label-token']);
  });
});

describe('.env is read as compose reads it (issue 13 defect 6)', () => {
  it('variables inside .env are expanded, defaults with a colon included: no misleading "volume ${STORAGE"', () => {
    const r = run(svc('volumes: ["${DATA_PATH}:/data"]\nenvironment: { SITE_URL: "${SITE_URL}" }'), { dotenv: { file: 'proj/.env', text: 'DOMAIN=example.org\nSITE_URL=https://${DOMAIN}\nDATA_PATH=${STORAGE:-/mnt/data}/web\n' } });
    expect(r.spec.services['web']?.env).toEqual({ SITE_URL: 'https://example.org' });
    expect(r.report).toContainEqual(expect.objectContaining({ path: 'services.web.volumes[0]', message: expect.stringMatching(/bind mount of host path "\/mnt\/data\/web"/) as unknown }));
    expect(r.report.some((e) => e.message.includes('${STORAGE'))).toBe(false);
  });

  it('the shell wins over .env, and .env problems are positioned in .env', () => {
    const r = run('services:\n  web:\n    image: nginx:${TAG}\n', { dotenv: { file: 'proj/.env', text: 'TAG=1.25\nOTHER=${UNSET_ONE}\n' }, variables: { TAG: '1.27' } });
    expect(r.spec.services['web']?.image).toBe('nginx:1.27');
    expect(r.report).toContainEqual(expect.objectContaining({ severity: 'warning', position: { file: 'proj/.env', line: 2, col: 1 }, message: expect.stringMatching(/UNSET_ONE/) as unknown }));
    let err: unknown;
    try {
      run('services: {}\n', { dotenv: { file: 'proj/.env', text: 'X=1\nA="open\n' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputErrors);
    expect((err as InputErrors).problems.map((p) => [p.message, p.position])).toEqual([['unterminated quoted value of A', { file: 'proj/.env', line: 2, col: 1 }]]);
  });
});

describe('accountingProblems catches an inaccurate report', () => {
  const base = run(svc('ports: ["80:80"]'));
  it.each([
    { name: 'a key both consumed and dropped', r: { ...base, report: [...base.report, { severity: 'info' as const, path: 'services.web.ports[0]', converted: false, message: 'x' }] }, want: /translated but/ },
    { name: 'a key neither consumed nor reported', r: { ...base, consumed: base.consumed.filter((p) => p !== 'services.web.image') }, want: /services\.web\.image is neither/ },
    { name: 'a note on a dropped key', r: { ...base, report: [...base.report, { severity: 'info' as const, path: 'services.web.ports[0]', converted: false, message: 'x' }] }, want: /noted as translated|translated but/ },
  ])('$name', ({ r, want }) => {
    const problems = accountingProblems(r);
    expect(problems.join('\n')).toMatch(want);
  });
});

describe('invalid compose files', () => {
  const cases = [
    { name: 'unknown service key', text: 'services:\n  web:\n    image: x:1\n    portz: ["80"]\n', line: 4, col: 5, msg: /unknown key "portz"/, path: 'services.web.portz' },
    { name: 'wrong type', text: 'services:\n  web:\n    image: x:1\n    ports: 80\n', line: 4, col: 5, msg: /invalid value/, path: 'services.web.ports' },
    { name: 'healthcheck test of the wrong type', text: 'services:\n  web:\n    image: x:1\n    healthcheck:\n      test: 5\n', line: 5, col: 7, msg: /invalid value/, path: 'services.web.healthcheck.test' },
    { name: 'unknown top-level key', text: 'servces:\n  web: {}\n', line: 1, col: 1, msg: /unknown key "servces"/, path: 'servces' },
    { name: 'YAML syntax error', text: 'services:\n  web:\n    image: "x\n', line: 4, col: 1, msg: /./, path: undefined },
    { name: 'key from a merge source points at the anchor', text: 'x-a: &a\n  imag: x:1\nservices:\n  web:\n    <<: *a\n', line: 2, col: 3, msg: /unknown key "imag"/, path: 'services.web.imag' },
    { name: 'key from the second source of a merge list', text: 'x-a: &a\n  image: x:1\nx-b: &b\n  image: y:1\n  imag: y:1\nservices:\n  web:\n    <<: [*a, *b]\n', line: 5, col: 3, msg: /unknown key "imag"/, path: 'services.web.imag' },
    { name: 'key from a merge source listed through an alias of the list', text: 'x-a: &a\n  image: x:1\nx-b: &b\n  imag: y:1\nx-all: &all [*a, *b]\nservices:\n  web:\n    <<: *all\n', line: 4, col: 3, msg: /unknown key "imag"/, path: 'services.web.imag' },
    { name: 'key in a service that is an alias', text: 'x-a: &a\n  image: x:1\n  imag: x:1\nservices:\n  web: *a\n', line: 3, col: 3, msg: /unknown key "imag"/, path: 'services.web.imag' },
  ];
  it.each(cases)('$name → input error at file:line:col', ({ text, line, col, msg, path }) => {
    let caught: unknown;
    try {
      run(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputErrors);
    const first = (caught as InputErrors).problems[0];
    expect(first?.kind).toBe('input');
    expect(first?.position).toEqual({ file: FILE, line, col });
    expect(first?.message).toMatch(msg);
    expect(first?.path).toBe(path);
    expect(first?.hint).toBeTruthy();
  });

  it.each([
    ['services:\n  web:\n    image: x:1\n    portz: ["80"]\n', 'did you mean "ports"?'],
    ['services:\n  web:\n    image: x:1\n    healthcheck:\n      intervall: 5s\n', 'did you mean "interval"?'],
    ['servces:\n  web: {}\n', 'did you mean "services"?'],
    ['services:\n  web:\n    image: x:1\n    zzzzzz: 1\n', 'remove or rename "zzzzzz"; custom keys must start with "x-"'],
  ])('unknown key hint for %j: %s', (text, hint) => {
    let caught: unknown;
    try {
      run(text);
    } catch (e) {
      caught = e;
    }
    expect((caught as InputErrors).problems[0]?.hint).toBe(hint);
  });

  it('x-slipway that is not a valid slipway service field is an input error at its position', () => {
    let caught: unknown;
    try {
      run(svc('x-slipway:\n  replicas: lots'));
    } catch (e) {
      caught = e;
    }
    expect(isSlipwayError(caught)).toBe(true);
    const p = (caught as InputErrors).problems[0];
    expect(p?.path).toBe('services.web.x-slipway.replicas');
    expect(p?.position).toEqual({ file: FILE, line: 5, col: 7 });
  });

  it('top-level x-slipway with an invalid field is an input error at its position', () => {
    let caught: unknown;
    try {
      run(`x-slipway:\n  namespace: Not_A_Label\n${svc('')}`);
    } catch (e) {
      caught = e;
    }
    const p = (caught as InputErrors).problems[0];
    expect(p?.path).toBe('x-slipway.namespace');
    expect(p?.position).toEqual({ file: FILE, line: 2, col: 3 });
  });

  it('collects every schema problem in one pass', () => {
    let caught: unknown;
    try {
      run('services:\n  a:\n    image: x:1\n    foo: 1\n  b:\n    image: x:1\n    bar: 2\n');
    } catch (e) {
      caught = e;
    }
    expect((caught as InputErrors).problems.map((p) => p.path)).toEqual(['services.a.foo', 'services.b.bar']);
  });
});

describe('readFile: the files the importer asks the caller for', () => {
  it.each([
    { name: 'env files (all forms) and config files, interpolated', text: 'services:\n  a:\n    image: x:1\n    env_file: [.env.a, { path: "${DIR:-conf}/b.env" }]\n    configs: [c]\n  b:\n    image: x:1\n    env_file: .env.a\nconfigs:\n  c:\n    file: ./c.yaml\n', want: ['./c.yaml', '.env.a', 'conf/b.env'] },
    { name: 'secret files are never read', text: 'services:\n  a:\n    image: x:1\n    secrets: [s]\nsecrets:\n  s:\n    file: ./s.txt\n', want: [] },
    { name: 'invalid YAML reads nothing (the importer reports it)', text: 'services: [', want: [] },
  ])('$name', ({ text, want }) => {
    const asked = new Set<string>();
    try {
      run(text, { readFile: (p) => (asked.add(p), undefined) });
    } catch {
      // invalid input throws; what matters here is what was read before
    }
    expect([...asked].sort()).toEqual(want);
  });
});

describe('readFile refusals (outside the project, not a regular file) are input errors at the reference', () => {
  const refuse = (p: string): string | undefined => {
    if (p === 'ok.env') return 'A=1\n';
    if (p === 'missing.env') return undefined;
    throw inputError(`refused ${p}`, { cause: p, expected: 'a file inside the project', hint: 'copy it into the project' });
  };
  it.each([
    { name: 'env_file list item', text: 'services:\n  a:\n    image: x:1\n    env_file: [ok.env, /etc/hostname]\n', at: '4:24', path: 'services.a.env_file[1]', message: 'cannot read /etc/hostname: refused /etc/hostname' },
    { name: 'env_file long form', text: 'services:\n  a:\n    image: x:1\n    env_file:\n      - path: ../x.env\n', at: '5:9', path: 'services.a.env_file[0]', message: 'cannot read ../x.env: refused ../x.env' },
    { name: 'configs.file', text: 'services:\n  a:\n    image: x:1\n    configs: [c]\nconfigs:\n  c:\n    file: link.conf\n', at: '7:5', path: 'configs.c.file', message: 'cannot read link.conf: refused link.conf' },
  ])('$name', ({ text, at: pos, path, message }) => {
    let caught: unknown;
    try {
      run(text, { readFile: refuse });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputErrors);
    const [p] = (caught as InputErrors).problems;
    expect(`${p?.position?.line}:${p?.position?.col}`).toBe(pos);
    expect(p?.path).toBe(path);
    expect(p?.message).toBe(message);
    expect(p?.expected).toBe('a file inside the project');
    expect(p?.hint).toBe('copy it into the project');
  });
  it('a missing file stays a report entry, not an input error', () => {
    const r = run('services:\n  a:\n    image: x:1\n    env_file: [missing.env]\n', { readFile: refuse });
    expect(r.report.some((e) => e.path === 'services.a.env_file[0]' && e.severity === 'error')).toBe(true);
  });
  it('an envFile the written slipway.yaml reaches through ../ is inlined (render would refuse the reference)', () => {
    const r = run('services:\n  a:\n    image: x:1\n    env_file: ok.env\n', { readFile: refuse, pathPrefix: '../compose' });
    expect(r.spec.configMaps?.['ok-env']).toEqual({ data: { A: '1' } });
    expect(r.report.filter((e) => e.severity === 'warning')).toEqual([]);
    const beside = run('services:\n  a:\n    image: x:1\n    env_file: ok.env\n', { readFile: refuse });
    expect(beside.spec.configMaps?.['ok-env']).toEqual({ envFile: 'ok.env' });
  });
});

describe('every key of the compose-spec schema has a translation or a specific reason', () => {
  const schema = composeSchema() as { properties: Record<string, unknown>; definitions: { service: { properties: Record<string, unknown> } } };
  const serviceKeys = Object.keys(schema.definitions.service.properties);
  it('the schema is the current compose-spec (has name, models, provider, develop)', () => {
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'models', 'include']));
    expect(serviceKeys).toEqual(expect.arrayContaining(['provider', 'develop', 'post_start']));
  });
  it.each(serviceKeys)('service key %s', (key) => {
    expect(handledServiceKeys().includes(key) || key in UNSUPPORTED_SERVICE_KEYS).toBe(true);
  });
  it.each(Object.keys(schema.properties))('top-level key %s', (key) => {
    expect(['services', 'volumes', 'secrets', 'configs', ...HANDLED_TOP_LEVEL].includes(key) || key in UNSUPPORTED_TOP_LEVEL).toBe(true);
  });
});
