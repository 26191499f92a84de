/**
 * What the most used public images need to run under Pod Security *restricted* (non-root, no
 * added capabilities but NET_BIND_SERVICE, seccomp RuntimeDefault) with a read-only root
 * filesystem: the uid/gid they run as, the group that must own their volumes (fsGroup), the paths
 * they write to, the ports they listen on, a cheap liveness check, and whether they can run
 * restricted at all.
 *
 * Every fact comes from the image's own documentation (or its Dockerfile, which the documentation
 * points at); each entry names where, in `sources` and in a comment. `slipway import compose`
 * applies the table (./restricted.ts), and `slipway lint` checks hand-written manifests against it
 * (rule SEC026). An image that is not here is not judged: slipway runs it as uid 10001 with a
 * read-only root filesystem and /tmp writable.
 *
 * Kept deliberately small and documented: a wrong fact here breaks every import of that image. To
 * add an image, read its documentation's "running as a non-root / arbitrary user" and "read-only"
 * sections and its Dockerfile (USER, VOLUME, EXPOSE), and cite them.
 */
import type { ProbeSpec, ResourcesSpec } from '../schema.ts';

interface KnownPort {
  readonly name: string;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
}

/** One image's needs, as documented. */
export interface ImageProfile {
  /** Shown in messages, e.g. `postgres`. */
  readonly name: string;
  /** Whether the image can run under Pod Security restricted at all. */
  readonly restricted: boolean;
  /** The uid (and gid) the image's processes expect; fsGroup makes volumes writable for them. */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  readonly fsGroup?: number | undefined;
  /** Ports it listens on by default (EXPOSE and the documentation). */
  readonly ports: readonly KnownPort[];
  /** Directories it writes to outside its data directories (emptyDirs under a read-only root). */
  readonly writable: readonly string[];
  /** Its data directories (the Dockerfile's VOLUMEs): a named volume belongs there, else an emptyDir (what compose's anonymous volume was). */
  readonly data: readonly string[];
  /**
   * An environment variable that must point to a subdirectory when a volume is mounted at the data
   * directory itself (a fresh file system's `lost+found` makes `initdb` refuse it): PGDATA.
   */
  readonly dataSubdir?: { readonly env: string; readonly mount: string; readonly subdir: string } | undefined;
  /** A cheap "the process is alive" check (never one that depends on other services). */
  readonly liveness?: ProbeSpec | undefined;
  /** A "can serve" check, used when the compose file has no healthcheck. */
  readonly readiness?: ProbeSpec | undefined;
  /** When liveness and readiness can only be the same check: why that is safe here (REL005). */
  readonly sameCheck?: string | undefined;
  /** The image writes outside any path a volume can cover (its config directory…): the root filesystem stays writable. */
  readonly writableRoot?: string | undefined;
  /** Resources below which it does not start, when its documentation gives them. */
  readonly resources?: ResourcesSpec | undefined;
  /** What to know: for `restricted: false`, why; else a caveat. */
  readonly note?: string | undefined;
  /** What to do (for `restricted: false`: the alternative). */
  readonly hint?: string | undefined;
  /** Where each fact comes from. */
  readonly sources: readonly string[];
}

interface Entry {
  /** Repository names as written after normalisation (no `docker.io/`, no `library/`). */
  readonly repositories: readonly string[];
  readonly profile: ImageProfile;
  /** Tag-dependent differences (the alpine variant's uid, a version's data directory). */
  readonly variants?: readonly { readonly when: (tag: string) => boolean; readonly profile: Partial<ImageProfile> }[];
}

const tcp = (port: number): ProbeSpec => ({ tcp: { port } });
const http = (path: string, port: number): ProbeSpec => ({ http: { path, port } });
const exec = (...command: string[]): ProbeSpec => ({ exec: { command } });
/** Major version from a tag such as `16.3-alpine` or `8.0`; undefined for `alpine`, `lts`… */
function major(tag: string): number | undefined {
  const m = /^v?(\d+)/.exec(tag);
  return m ? Number(m[1]) : undefined;
}
const alpine = (tag: string): boolean => /(^|-)alpine/.test(tag);

const TABLE: readonly Entry[] = [
  // nginx. https://hub.docker.com/_/nginx: "User and group id" (uid=101(nginx) gid=101 since
  // 1.17.0), "Running nginx in read-only mode" (write access to /var/cache and /var/run), EXPOSE 80
  // (https://github.com/nginxinc/docker-nginx/blob/master/mainline/debian/Dockerfile). Port 80 as a
  // non-root user: the namespaced sysctl net.ipv4.ip_unprivileged_port_start, which Pod Security
  // allows (https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline).
  {
    repositories: ['nginx'],
    profile: {
      name: 'nginx',
      restricted: true,
      uid: 101,
      gid: 101,
      fsGroup: 101,
      ports: [{ name: 'http', port: 80 }],
      writable: ['/var/cache/nginx', '/var/run'],
      data: [],
      liveness: tcp(80),
      readiness: http('/', 80),
      note: 'nginx runs as uid 101 with /var/cache/nginx and /var/run writable; it binds port 80 through the net.ipv4.ip_unprivileged_port_start sysctl',
      hint: 'or use nginxinc/nginx-unprivileged (port 8080, writes only to /tmp)',
      sources: ['https://hub.docker.com/_/nginx', 'https://github.com/nginxinc/docker-nginx/blob/master/mainline/debian/Dockerfile'],
    },
  },
  // nginxinc/nginx-unprivileged. https://github.com/nginxinc/docker-nginx-unprivileged#readme:
  // listens on 8080, runs as uid 101 (gid 101), pid file and *_temp_path in /tmp.
  {
    repositories: ['nginxinc/nginx-unprivileged'],
    profile: {
      name: 'nginx-unprivileged',
      restricted: true,
      uid: 101,
      gid: 101,
      fsGroup: 101,
      ports: [{ name: 'http', port: 8080 }],
      writable: [],
      data: [],
      liveness: tcp(8080),
      readiness: http('/', 8080),
      sources: ['https://github.com/nginxinc/docker-nginx-unprivileged#readme'],
    },
  },
  // postgres. https://hub.docker.com/_/postgres: "Arbitrary --user Notes" (initdb needs the uid in
  // /etc/passwd: the image's postgres user, uid 999 on Debian, 70 on Alpine, per the Dockerfiles
  // https://github.com/docker-library/postgres/blob/master/17/bookworm/Dockerfile and
  // .../17/alpine3.21/Dockerfile), "PGDATA" (a mount point with lost+found needs a subdirectory),
  // VOLUME /var/lib/postgresql/data (18+: /var/lib/postgresql, PGDATA /var/lib/postgresql/18/docker),
  // the socket directory /var/run/postgresql. pg_isready: https://www.postgresql.org/docs/current/app-pg-isready.html
  {
    repositories: ['postgres'],
    profile: {
      name: 'postgres',
      restricted: true,
      uid: 999,
      gid: 999,
      fsGroup: 999,
      ports: [{ name: 'postgres', port: 5432 }],
      writable: ['/var/run/postgresql'],
      data: ['/var/lib/postgresql/data'],
      dataSubdir: { env: 'PGDATA', mount: '/var/lib/postgresql/data', subdir: 'pgdata' },
      liveness: tcp(5432),
      // Over TCP: during initdb the image's temporary server listens on the socket only, so the
      // pod is not ready until the real server is up.
      readiness: exec('pg_isready', '-h', '127.0.0.1', '-p', '5432'),
      sources: ['https://hub.docker.com/_/postgres', 'https://github.com/docker-library/postgres/blob/master/17/bookworm/Dockerfile', 'https://www.postgresql.org/docs/current/app-pg-isready.html'],
    },
    variants: [
      { when: alpine, profile: { uid: 70, gid: 70, fsGroup: 70 } },
      { when: (t) => (major(t) ?? 0) >= 18, profile: { data: ['/var/lib/postgresql'], dataSubdir: undefined } },
    ],
  },
  // mysql. https://hub.docker.com/_/mysql: "Running as an arbitrary user" (any --user but root),
  // data in /var/lib/mysql; the Dockerfile (https://github.com/docker-library/mysql/blob/master/8.4/Dockerfile.oracle)
  // creates mysql as uid/gid 999 and /var/run/mysqld and /var/lib/mysql-files owned by it; EXPOSE
  // 3306 33060. mysqladmin ping exits 0 when the server runs, even on "access denied"
  // (https://dev.mysql.com/doc/refman/8.4/en/mysqladmin.html); the init server skips networking.
  {
    repositories: ['mysql'],
    profile: {
      name: 'mysql',
      restricted: true,
      uid: 999,
      gid: 999,
      fsGroup: 999,
      ports: [
        { name: 'mysql', port: 3306 },
        { name: 'mysqlx', port: 33060 },
      ],
      writable: ['/var/run/mysqld', '/var/lib/mysql-files'],
      data: ['/var/lib/mysql'],
      liveness: tcp(3306),
      readiness: exec('mysqladmin', 'ping', '-h', '127.0.0.1', '--silent'),
      sources: ['https://hub.docker.com/_/mysql', 'https://github.com/docker-library/mysql/blob/master/8.4/Dockerfile.oracle', 'https://dev.mysql.com/doc/refman/8.4/en/mysqladmin.html'],
    },
  },
  // mariadb. https://hub.docker.com/_/mariadb: "--user" supported, data /var/lib/mysql, socket
  // directory /run/mysqld; mysql user uid/gid 999 (https://github.com/MariaDB/mariadb-docker/blob/master/11.4/Dockerfile).
  // healthcheck.sh: https://mariadb.com/kb/en/using-healthcheck-sh/ (--connect: the TCP port
  // answers; --innodb_initialized with the healthcheck user the image creates).
  {
    repositories: ['mariadb'],
    profile: {
      name: 'mariadb',
      restricted: true,
      uid: 999,
      gid: 999,
      fsGroup: 999,
      ports: [{ name: 'mysql', port: 3306 }],
      writable: ['/run/mysqld'],
      data: ['/var/lib/mysql'],
      liveness: tcp(3306),
      readiness: exec('healthcheck.sh', '--connect', '--innodb_initialized'),
      sources: ['https://hub.docker.com/_/mariadb', 'https://github.com/MariaDB/mariadb-docker/blob/master/11.4/Dockerfile', 'https://mariadb.com/kb/en/using-healthcheck-sh/'],
    },
  },
  // redis. https://hub.docker.com/_/redis: data in /data (VOLUME, the working directory: RDB/AOF
  // files are written there, and a failing BGSAVE stops writes); the Dockerfile creates redis as
  // uid 999 (gid 999 on Debian, 1000 on Alpine): https://github.com/docker-library/redis/blob/master/7.4/debian/Dockerfile.
  // redis-cli: https://redis.io/docs/latest/develop/tools/cli/
  {
    repositories: ['redis'],
    profile: {
      name: 'redis',
      restricted: true,
      uid: 999,
      gid: 999,
      fsGroup: 999,
      ports: [{ name: 'redis', port: 6379 }],
      writable: [],
      data: ['/data'],
      liveness: tcp(6379),
      readiness: exec('redis-cli', 'ping'),
      sources: ['https://hub.docker.com/_/redis', 'https://github.com/docker-library/redis/blob/master/7.4/debian/Dockerfile', 'https://redis.io/docs/latest/develop/tools/cli/'],
    },
    variants: [{ when: alpine, profile: { gid: 1000, fsGroup: 1000 } }],
  },
  // valkey. https://hub.docker.com/r/valkey/valkey: the Redis-compatible fork, same layout (/data,
  // 6379, user valkey uid/gid 999: https://github.com/valkey-io/valkey-container/blob/mainline/Dockerfile.template).
  {
    repositories: ['valkey/valkey'],
    profile: {
      name: 'valkey',
      restricted: true,
      uid: 999,
      gid: 999,
      fsGroup: 999,
      ports: [{ name: 'redis', port: 6379 }],
      writable: [],
      data: ['/data'],
      liveness: tcp(6379),
      readiness: exec('valkey-cli', 'ping'),
      sources: ['https://hub.docker.com/r/valkey/valkey', 'https://github.com/valkey-io/valkey-container/blob/mainline/Dockerfile.template'],
    },
  },
  // mongo. https://hub.docker.com/_/mongo: "--user" works when the data directories are writable;
  // VOLUME /data/db /data/configdb, EXPOSE 27017, mongodb user uid/gid 999
  // (https://github.com/docker-library/mongo/blob/master/7.0/Dockerfile); mongod writes its socket
  // to /tmp. mongosh replaced the mongo shell in 6.0 (https://www.mongodb.com/docs/mongodb-shell/).
  {
    repositories: ['mongo'],
    profile: {
      name: 'mongo',
      restricted: true,
      uid: 999,
      gid: 999,
      fsGroup: 999,
      ports: [{ name: 'mongodb', port: 27017 }],
      writable: [],
      data: ['/data/db', '/data/configdb'],
      liveness: tcp(27017),
      readiness: exec('mongosh', '--quiet', '--eval', 'db.adminCommand("ping").ok'),
      sources: ['https://hub.docker.com/_/mongo', 'https://github.com/docker-library/mongo/blob/master/7.0/Dockerfile', 'https://www.mongodb.com/docs/mongodb-shell/'],
    },
    variants: [{ when: (t) => (major(t) ?? 99) < 6, profile: { readiness: exec('mongo', '--quiet', '--eval', 'db.adminCommand("ping").ok') } }],
  },
  // rabbitmq. https://hub.docker.com/_/rabbitmq: data (and the Erlang cookie) in /var/lib/rabbitmq,
  // EXPOSE 5672 (and 15672 in the -management tags), rabbitmq user uid/gid 999
  // (https://github.com/docker-library/rabbitmq/blob/master/4.0/ubuntu/Dockerfile). Health checks:
  // https://www.rabbitmq.com/docs/monitoring#health-checks (check_port_connectivity).
  {
    repositories: ['rabbitmq'],
    profile: {
      name: 'rabbitmq',
      restricted: true,
      uid: 999,
      gid: 999,
      fsGroup: 999,
      ports: [{ name: 'amqp', port: 5672 }],
      writable: [],
      data: ['/var/lib/rabbitmq'],
      liveness: tcp(5672),
      readiness: { ...exec('rabbitmq-diagnostics', '-q', 'check_port_connectivity'), timeoutSeconds: 10, periodSeconds: 30 },
      sources: ['https://hub.docker.com/_/rabbitmq', 'https://github.com/docker-library/rabbitmq/blob/master/4.0/ubuntu/Dockerfile', 'https://www.rabbitmq.com/docs/monitoring#health-checks'],
    },
    variants: [
      {
        when: (t) => t.includes('management'),
        profile: {
          ports: [
            { name: 'amqp', port: 5672 },
            { name: 'management', port: 15672 },
          ],
        },
      },
    ],
  },
  // wordpress (Apache variant). https://hub.docker.com/_/wordpress: "Running as an arbitrary user"
  // refers to https://hub.docker.com/_/php ("Running as an arbitrary user": for the Apache variants,
  // --sysctl net.ipv4.ip_unprivileged_port_start=0 and --user); www-data is uid 33 (82 on Alpine);
  // the entrypoint copies WordPress into /var/www/html (VOLUME); Apache's run and lock directories
  // are /var/run/apache2 and /var/lock/apache2 (APACHE_RUN_DIR, APACHE_LOCK_DIR in /etc/apache2/envvars).
  // The -fpm tags serve FastCGI on 9000 instead (https://github.com/docker-library/wordpress/blob/master/latest/php8.3/fpm/Dockerfile).
  {
    repositories: ['wordpress'],
    profile: {
      name: 'wordpress',
      restricted: true,
      uid: 33,
      gid: 33,
      fsGroup: 33,
      ports: [{ name: 'http', port: 80 }],
      writable: ['/var/run/apache2', '/var/lock/apache2'],
      data: ['/var/www/html'],
      liveness: tcp(80),
      readiness: http('/wp-login.php', 80),
      sources: ['https://hub.docker.com/_/wordpress', 'https://hub.docker.com/_/php', 'https://github.com/docker-library/wordpress/blob/master/latest/php8.3/apache/Dockerfile'],
    },
    variants: [
      { when: (t) => t.includes('fpm'), profile: { ports: [{ name: 'fastcgi', port: 9000 }], writable: [], liveness: tcp(9000), readiness: undefined, sameCheck: 'php-fpm speaks FastCGI, not HTTP: a TCP connect is the check, and it depends on no other service' } },
      { when: alpine, profile: { uid: 82, gid: 82, fsGroup: 82 } },
    ],
  },
  // httpd. https://hub.docker.com/_/httpd (EXPOSE 80; logs to stdout/stderr, pid file in
  // /usr/local/apache2/logs: https://github.com/docker-library/httpd/blob/master/2.4/Dockerfile).
  // A non-root Apache keeps its own uid: https://httpd.apache.org/docs/2.4/mod/mod_unixd.html#user.
  // Port 80 as non-root as for the php Apache variants (https://hub.docker.com/_/php).
  {
    repositories: ['httpd'],
    profile: {
      name: 'httpd',
      restricted: true,
      uid: 33,
      gid: 33,
      fsGroup: 33,
      ports: [{ name: 'http', port: 80 }],
      writable: ['/usr/local/apache2/logs'],
      data: [],
      liveness: tcp(80),
      readiness: http('/', 80),
      sources: ['https://hub.docker.com/_/httpd', 'https://github.com/docker-library/httpd/blob/master/2.4/Dockerfile', 'https://httpd.apache.org/docs/2.4/mod/mod_unixd.html#user'],
    },
  },
  // haproxy. https://hub.docker.com/_/haproxy: 2.4+ runs as USER haproxy (uid/gid 99 in
  // https://github.com/docker-library/haproxy/blob/master/3.0/Dockerfile) and needs
  // net.ipv4.ip_unprivileged_port_start=0 for ports below 1024; the configuration
  // (/usr/local/etc/haproxy/haproxy.cfg) decides the ports, so none is assumed.
  {
    repositories: ['haproxy', 'haproxytech/haproxy-debian', 'haproxytech/haproxy-alpine'],
    profile: {
      name: 'haproxy',
      restricted: true,
      uid: 99,
      gid: 99,
      fsGroup: 99,
      ports: [],
      writable: ['/var/lib/haproxy'],
      data: [],
      sources: ['https://hub.docker.com/_/haproxy', 'https://github.com/docker-library/haproxy/blob/master/3.0/Dockerfile'],
    },
  },
  // memcached. https://hub.docker.com/_/memcached: USER memcache, uid/gid 11211
  // (https://github.com/docker-library/memcached/blob/master/1/debian/Dockerfile), EXPOSE 11211,
  // writes nothing. The image has no client: a TCP connect is the only check.
  {
    repositories: ['memcached'],
    profile: {
      name: 'memcached',
      restricted: true,
      uid: 11211,
      gid: 11211,
      fsGroup: 11211,
      ports: [{ name: 'memcache', port: 11211 }],
      writable: [],
      data: [],
      liveness: tcp(11211),
      readiness: tcp(11211),
      sameCheck: 'memcached ships no client: a TCP connect is the only check, and it depends on no other service',
      sources: ['https://hub.docker.com/_/memcached', 'https://github.com/docker-library/memcached/blob/master/1/debian/Dockerfile'],
    },
  },
  // grafana. https://grafana.com/docs/grafana/latest/setup-grafana/installation/docker/ (runs as
  // uid 472, data in /var/lib/grafana, logs in /var/log/grafana per GF_PATHS_LOGS), port 3000,
  // health endpoint https://grafana.com/docs/grafana/latest/developers/http_api/other/#health-api
  // (it checks the database too: readiness, not liveness).
  {
    repositories: ['grafana/grafana', 'grafana/grafana-oss', 'grafana/grafana-enterprise'],
    profile: {
      name: 'grafana',
      restricted: true,
      uid: 472,
      gid: 472,
      fsGroup: 472,
      ports: [{ name: 'http', port: 3000 }],
      writable: ['/var/log/grafana'],
      data: ['/var/lib/grafana'],
      liveness: tcp(3000),
      readiness: http('/api/health', 3000),
      sources: ['https://grafana.com/docs/grafana/latest/setup-grafana/installation/docker/', 'https://grafana.com/docs/grafana/latest/developers/http_api/other/#health-api'],
    },
  },
  // prometheus. https://prometheus.io/docs/prometheus/latest/installation/#using-docker (data in
  // /prometheus, port 9090; the image runs as nobody, uid/gid 65534:
  // https://github.com/prometheus/prometheus/blob/main/Dockerfile), health and readiness endpoints
  // https://prometheus.io/docs/prometheus/latest/management_api/
  {
    repositories: ['prom/prometheus', 'quay.io/prometheus/prometheus'],
    profile: {
      name: 'prometheus',
      restricted: true,
      uid: 65534,
      gid: 65534,
      fsGroup: 65534,
      ports: [{ name: 'http', port: 9090 }],
      writable: [],
      data: ['/prometheus'],
      liveness: http('/-/healthy', 9090),
      readiness: http('/-/ready', 9090),
      sources: ['https://prometheus.io/docs/prometheus/latest/installation/#using-docker', 'https://github.com/prometheus/prometheus/blob/main/Dockerfile', 'https://prometheus.io/docs/prometheus/latest/management_api/'],
    },
  },
  // elasticsearch. https://www.elastic.co/guide/en/elasticsearch/reference/current/docker.html:
  // runs as uid:gid 1000:0, data /usr/share/elasticsearch/data, logs .../logs, ports 9200 (HTTP)
  // and 9300 (transport), the examples give the container 1 GB (`-m 1GB`); on start the image writes
  // its keystore and, with security on, certificates into /usr/share/elasticsearch/config, so the
  // root filesystem stays writable. Production mode needs vm.max_map_count >= 262144 on the node,
  // which a pod cannot set (https://www.elastic.co/guide/en/elasticsearch/reference/current/vm-max-map-count.html).
  {
    repositories: ['elasticsearch', 'docker.elastic.co/elasticsearch/elasticsearch'],
    profile: {
      name: 'elasticsearch',
      restricted: true,
      uid: 1000,
      gid: 1000,
      fsGroup: 1000,
      ports: [
        { name: 'http', port: 9200 },
        { name: 'transport', port: 9300 },
      ],
      writable: ['/usr/share/elasticsearch/logs'],
      data: ['/usr/share/elasticsearch/data'],
      // Two listeners, two checks: the transport port for "alive", the HTTP port for "serving".
      liveness: tcp(9300),
      readiness: tcp(9200),
      writableRoot: 'Elasticsearch writes its keystore and TLS certificates into /usr/share/elasticsearch/config on start (elastic.co docker docs)',
      resources: { requests: { memory: '1Gi' }, limits: { memory: '2Gi' } },
      note: 'Elasticsearch needs vm.max_map_count >= 262144 on the node in production mode (discovery.type=single-node skips that check)',
      hint: 'set vm.max_map_count on the nodes (a DaemonSet or the node image), or node.store.allow_mmap=false; see https://www.elastic.co/guide/en/elasticsearch/reference/current/vm-max-map-count.html',
      sources: ['https://www.elastic.co/guide/en/elasticsearch/reference/current/docker.html', 'https://www.elastic.co/guide/en/elasticsearch/reference/current/vm-max-map-count.html'],
    },
  },
  // jenkins. https://github.com/jenkinsci/docker#readme: runs as jenkins uid/gid 1000, data in
  // /var/jenkins_home (VOLUME), ports 8080 (web) and 50000 (inbound agents).
  {
    repositories: ['jenkins/jenkins'],
    profile: {
      name: 'jenkins',
      restricted: true,
      uid: 1000,
      gid: 1000,
      fsGroup: 1000,
      ports: [
        { name: 'http', port: 8080 },
        { name: 'agent', port: 50000 },
      ],
      writable: [],
      data: ['/var/jenkins_home'],
      liveness: tcp(8080),
      readiness: http('/login', 8080),
      sources: ['https://github.com/jenkinsci/docker#readme'],
    },
  },
  // ghost. https://hub.docker.com/_/ghost: content in /var/lib/ghost/content (VOLUME), port 2368,
  // Ghost runs as the node user, uid/gid 1000 (https://github.com/docker-library/ghost/blob/master/5/debian/Dockerfile).
  {
    repositories: ['ghost'],
    profile: {
      name: 'ghost',
      restricted: true,
      uid: 1000,
      gid: 1000,
      fsGroup: 1000,
      ports: [{ name: 'http', port: 2368 }],
      writable: [],
      data: ['/var/lib/ghost/content'],
      liveness: tcp(2368),
      readiness: http('/', 2368),
      sources: ['https://hub.docker.com/_/ghost', 'https://github.com/docker-library/ghost/blob/master/5/debian/Dockerfile'],
    },
  },
  // eclipse-mosquitto. https://hub.docker.com/_/eclipse-mosquitto: /mosquitto/data and
  // /mosquitto/log, port 1883, mosquitto user uid/gid 1883
  // (https://github.com/eclipse/mosquitto/blob/master/docker/2.0/Dockerfile).
  {
    repositories: ['eclipse-mosquitto'],
    profile: {
      name: 'mosquitto',
      restricted: true,
      uid: 1883,
      gid: 1883,
      fsGroup: 1883,
      ports: [{ name: 'mqtt', port: 1883 }],
      writable: ['/mosquitto/log'],
      data: ['/mosquitto/data'],
      liveness: tcp(1883),
      readiness: tcp(1883),
      sameCheck: 'an MQTT broker answers TCP connects only when it serves: the check depends on no other service',
      sources: ['https://hub.docker.com/_/eclipse-mosquitto', 'https://github.com/eclipse/mosquitto/blob/master/docker/2.0/Dockerfile'],
    },
  },
  // influxdb 2. https://hub.docker.com/_/influxdb: data /var/lib/influxdb2, configuration written
  // to /etc/influxdb2 by the automated setup, port 8086, user influxdb uid/gid 1000
  // (https://github.com/influxdata/influxdata-docker/blob/master/influxdb/2.7/Dockerfile); /health
  // and /ready: https://docs.influxdata.com/influxdb/v2/api/
  {
    repositories: ['influxdb'],
    profile: {
      name: 'influxdb',
      restricted: true,
      uid: 1000,
      gid: 1000,
      fsGroup: 1000,
      ports: [{ name: 'http', port: 8086 }],
      writable: ['/etc/influxdb2'],
      data: ['/var/lib/influxdb2'],
      liveness: http('/health', 8086),
      readiness: http('/ready', 8086),
      sources: ['https://hub.docker.com/_/influxdb', 'https://github.com/influxdata/influxdata-docker/blob/master/influxdb/2.7/Dockerfile', 'https://docs.influxdata.com/influxdb/v2/api/'],
    },
  },
  // node-red. https://nodered.org/docs/getting-started/docker: runs as node-red uid 1000, data in
  // /data, port 1880.
  {
    repositories: ['nodered/node-red'],
    profile: {
      name: 'node-red',
      restricted: true,
      uid: 1000,
      gid: 1000,
      fsGroup: 1000,
      ports: [{ name: 'http', port: 1880 }],
      writable: [],
      data: ['/data'],
      liveness: tcp(1880),
      readiness: http('/', 1880),
      sources: ['https://nodered.org/docs/getting-started/docker'],
    },
  },
  // coredns. https://github.com/coredns/coredns/blob/master/Dockerfile: a distroless image running
  // as nonroot (uid/gid 65532), DNS on 53 over UDP and TCP; no shell or client, so TCP is the check.
  {
    repositories: ['coredns/coredns', 'registry.k8s.io/coredns/coredns'],
    profile: {
      name: 'coredns',
      restricted: true,
      uid: 65532,
      gid: 65532,
      fsGroup: 65532,
      ports: [
        { name: 'dns-tcp', port: 53 },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ],
      writable: [],
      data: [],
      liveness: tcp(53),
      readiness: tcp(53),
      sameCheck: 'the image has no shell or client: a TCP connect to the DNS port is the check, and it depends on no other service',
      sources: ['https://github.com/coredns/coredns/blob/master/Dockerfile'],
    },
  },
  // Images that cannot run restricted.
  // pihole/pihole. https://github.com/pi-hole/docker-pi-hole#readme: the container starts as root
  // (its init drops privileges for FTL) and asks for NET_ADMIN (DHCP), SYS_NICE and SYS_TIME.
  {
    repositories: ['pihole/pihole'],
    profile: {
      name: 'pi-hole',
      restricted: false,
      ports: [
        { name: 'dns-tcp', port: 53 },
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'http', port: 80 },
      ],
      writable: [],
      data: ['/etc/pihole'],
      note: 'Pi-hole starts as root and asks for NET_ADMIN, SYS_NICE and SYS_TIME (docker-pi-hole README): Pod Security restricted forbids all of that, so the pod will not start',
      hint: 'run it in a namespace at the privileged level with a hand-written securityContext (slipway renders restricted only), or outside the cluster; for DNS inside a cluster, CoreDNS runs restricted',
      sources: ['https://github.com/pi-hole/docker-pi-hole#readme'],
    },
  },
  // docker (Docker-in-Docker). https://hub.docker.com/_/docker: "--privileged is required".
  {
    repositories: ['docker'],
    profile: {
      name: 'docker-in-docker',
      restricted: false,
      ports: [{ name: 'docker', port: 2376 }],
      writable: [],
      data: ['/var/lib/docker'],
      note: 'Docker-in-Docker needs --privileged (hub.docker.com/_/docker), which Pod Security restricted forbids',
      hint: 'build images in CI (`slipway ci github` builds with buildx), or with a rootless builder such as BuildKit rootless or kaniko',
      sources: ['https://hub.docker.com/_/docker'],
    },
    variants: [{ when: (t) => !t.includes('dind'), profile: { ports: [] } }],
  },
  // portainer, watchtower: they manage the Docker engine through /var/run/docker.sock, a host
  // socket (https://docs.portainer.io/start/install-ce/server/docker/linux,
  // https://containrrr.dev/watchtower/), which a restricted pod cannot mount.
  {
    repositories: ['portainer/portainer-ce', 'portainer/portainer-ee', 'portainer/portainer', 'containrrr/watchtower'],
    profile: {
      name: 'docker-socket tool',
      restricted: false,
      ports: [],
      writable: [],
      data: [],
      note: 'it manages the Docker engine through /var/run/docker.sock on the host; Pod Security restricted forbids hostPath volumes, and a cluster has no Docker engine to manage',
      hint: 'leave it out: in a cluster, Kubernetes (and `slipway deploy`) manages the containers',
      sources: ['https://docs.portainer.io/start/install-ce/server/docker/linux', 'https://containrrr.dev/watchtower/'],
    },
  },
  // gitlab/gitlab-ce: the Omnibus image runs its services as root
  // (https://docs.gitlab.com/install/docker/); GitLab's own Kubernetes install is the Helm chart
  // (https://docs.gitlab.com/charts/).
  {
    repositories: ['gitlab/gitlab-ce', 'gitlab/gitlab-ee'],
    profile: {
      name: 'gitlab omnibus',
      restricted: false,
      ports: [
        { name: 'http', port: 80 },
        { name: 'https', port: 443 },
        { name: 'ssh', port: 22 },
      ],
      writable: [],
      data: ['/etc/gitlab', '/var/log/gitlab', '/var/opt/gitlab'],
      note: 'the Omnibus image runs GitLab\'s services as root (docs.gitlab.com/install/docker/), which Pod Security restricted forbids',
      hint: 'install GitLab with its Helm chart (docs.gitlab.com/charts/), built for Kubernetes',
      sources: ['https://docs.gitlab.com/install/docker/', 'https://docs.gitlab.com/charts/'],
    },
  },
];

/** Registries and prefixes that name the Docker Hub official images. */
const HUB_PREFIXES = ['docker.io/library/', 'index.docker.io/library/', 'registry-1.docker.io/library/', 'public.ecr.aws/docker/library/', 'mirror.gcr.io/library/', 'docker.io/', 'index.docker.io/', 'registry-1.docker.io/', 'mirror.gcr.io/', 'library/'];

/** `docker.io/library/postgres:16-alpine@sha256:…` → `{ repository: 'postgres', tag: '16-alpine' }`. */
export function imageName(image: string): { readonly repository: string; readonly tag: string } {
  const noDigest = image.split('@', 1)[0] ?? image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  let repository = (colon > slash ? noDigest.slice(0, colon) : noDigest).toLowerCase();
  const tag = colon > slash ? noDigest.slice(colon + 1) : '';
  for (const p of HUB_PREFIXES) {
    if (repository.startsWith(p)) {
      repository = repository.slice(p.length);
      break;
    }
  }
  return { repository, tag };
}

const BY_REPOSITORY: ReadonlyMap<string, Entry> = new Map(TABLE.flatMap((e) => e.repositories.map((r) => [r, e] as const)));

/** What the table knows about `image` (its tag's variant applied), or undefined. */
export function knownImage(image: string): ImageProfile | undefined {
  const { repository, tag } = imageName(image);
  const entry = BY_REPOSITORY.get(repository);
  if (entry === undefined) return undefined;
  let profile: ImageProfile = entry.profile;
  for (const v of entry.variants ?? []) if (v.when(tag.toLowerCase())) profile = { ...profile, ...v.profile };
  return profile;
}

/** The ports `image` listens on by default (numbers, each once), or [] when the table does not know it. */
export function knownImagePorts(image: string): number[] {
  return [...new Set((knownImage(image)?.ports ?? []).map((p) => p.port))];
}

/** Every repository the table knows, for documentation and tests. */
export function knownImageRepositories(): string[] {
  return TABLE.flatMap((e) => [...e.repositories]);
}
