/**
 * Issue 13, "Proof": every project of the compose corpus (test/compose-corpus/*, written for these
 * tests) goes through `slipway import compose` as a user runs it, and then:
 * - the import exits 0 and reports no error;
 * - every environment it scaffolds (dev, staging, prod) renders (`slipway render --all-envs`, lint
 *   gate included) and lints with no error and no warning, except the warnings the import report
 *   already gave for images that cannot run under Pod Security restricted (SEC026);
 * - every reference an environment value makes to another service (`db:3306`, `DB_HOST=db`,
 *   `redis://cache:6379/0`, `http://api:8080`) has NetworkPolicies allowing that connection, both
 *   the caller's egress and the target's ingress, on the port the value names;
 * - no planted secret value (`PLANTED-…`) appears in slipway.yaml, the report, or the rendered
 *   manifests of any environment.
 * test/integration/compose-corpus.test.ts deploys a representative subset to the local cluster.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { environmentNames, loadSpec, type AppSpec } from '../../src/appspec/index.ts';
import { loadCompose } from '../../src/appspec/compose/load.ts';
import { dotenvValues, parseDotenvFile } from '../../src/appspec/compose/dotenv.ts';
import { dnsName } from '../../src/appspec/compose/context.ts';
import { knownImageRepositories } from '../../src/appspec/compose/images.ts';
import { lintObjects } from '../../src/lint/index.ts';
import { isRecord, stringifyManifests, type KubeObject } from '../../src/manifest/index.ts';
import { renderApp } from '../../src/render/index.ts';
import { corpusNames, CORPUS_DIR, dotenvOf, importProject, plantedValues, slipway, type ImportedProject } from './corpus.ts';

const NAMES = corpusNames();

/**
 * Checks known to fail today, each with why: `it.fails` runs them and fails as soon as they pass,
 * so a fix cannot land without removing its entry.
 */
const PENDING: Readonly<Record<string, { readonly check: 'import'; readonly why: string }>> = {
};

interface Rendered {
  readonly spec: AppSpec;
  readonly envs: ReadonlyMap<string, KubeObject[]>;
}

function renderAllEnvs(p: ImportedProject): Rendered {
  const envFiles: Record<string, string> = {};
  const spec = loadSpec(readFileSync(p.specFile, 'utf8'), p.specFile, { readFile: (rel) => (envFiles[rel] = readFileSync(join(p.dir, rel), 'utf8')) });
  const envs = new Map(environmentNames(spec).map((env) => [env, renderApp(spec, env, { envFiles }).objects] as const));
  return { spec, envs };
}

// --- The reference oracle: which other services a compose service's environment names. ---

/** Default ports of URL schemes a value may leave the port out of. */
const SCHEME_PORTS: Readonly<Record<string, number>> = {
  http: 80,
  https: 443,
  postgres: 5432,
  postgresql: 5432,
  'postgresql+psycopg2': 5432,
  'db+postgresql': 5432,
  'jdbc:postgresql': 5432,
  mysql: 3306,
  'jdbc:mysql': 3306,
  redis: 6379,
  amqp: 5672,
  mongodb: 27017,
  nats: 4222,
  mqtt: 1883,
};
/** Names of settings whose bare value is a host name (`DB_HOST=db`); elsewhere a bare word is just a word (`MYSQL_DATABASE=orders`). */
const HOST_KEY = /HOST|SERVER|ADDR|BROKER|ENDPOINT|URL|URI|DSN|BOOTSTRAP|LOCATION/i;

interface Reference {
  readonly from: string;
  readonly key: string;
  readonly to: string;
  /** The port the value names (or its scheme implies); undefined: any port of the target. */
  readonly port: number | undefined;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function referencesIn(from: string, key: string, value: string, names: readonly string[]): Reference[] {
  const out: Reference[] = [];
  for (const to of names) {
    if (to === from) continue;
    const host = escapeRe(to);
    // scheme://[user[:pass]@]host[:port]
    const url = new RegExp(`([a-z][a-z0-9+.:-]*)://(?:[^@/\\s]*@)?${host}(?::(\\d{1,5}))?(?=$|[/?#,;\\s])`, 'gi');
    for (const m of value.matchAll(url)) out.push({ from, key, to, port: m[2] !== undefined ? Number(m[2]) : SCHEME_PORTS[(m[1] ?? '').toLowerCase()] });
    // host:port (alone, or in a list such as kafka:9092,kafka2:9092)
    const hostPort = new RegExp(`(?:^|[,\\s@])${host}:(\\d{1,5})(?=$|[,\\s/])`, 'g');
    for (const m of value.matchAll(hostPort)) out.push({ from, key, to, port: Number(m[1]) });
    if (value === to && HOST_KEY.test(key)) out.push({ from, key, to, port: undefined });
  }
  return out;
}

function envFileNames(v: unknown): string[] {
  const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return items.map((i: unknown) => (isRecord(i) ? String(i['path']) : String(i)));
}

/** Every reference from one compose service to another in the (interpolated) environment and env files. */
function references(name: string): Reference[] {
  const dir = join(CORPUS_DIR, name);
  const vars = dotenvOf(dir);
  const { data } = loadCompose(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'), 'docker-compose.yml', vars);
  const services = isRecord(data['services']) ? data['services'] : {};
  const active = Object.entries(services).filter(([, s]) => isRecord(s) && s['profiles'] === undefined);
  const names = active.map(([n]) => n);
  const out: Reference[] = [];
  for (const [svcName, svc] of active) {
    if (!isRecord(svc)) continue;
    const env: [string, string][] = [];
    for (const file of envFileNames(svc['env_file'])) {
      // Values interpolated from the project's variables, as compose does.
      for (const [k, v] of Object.entries(dotenvValues(parseDotenvFile(readFileSync(join(dir, file), 'utf8'), vars)))) env.push([k, v]);
    }
    const e = svc['environment'];
    if (Array.isArray(e)) for (const item of e) env.push([String(item).split('=')[0] ?? '', String(item).split(/=(.*)/s)[1] ?? '']);
    else if (isRecord(e)) for (const [k, v] of Object.entries(e)) env.push([k, typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '']);
    for (const [k, v] of env) out.push(...referencesIn(svcName, k, v, names));
  }
  return out;
}

// --- NetworkPolicy evaluation (matchLabels selectors, which is what slipway renders) ---

type Labels = Readonly<Record<string, string>>;
const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function matches(selector: unknown, labels: Labels): boolean {
  const ml = rec(rec(selector)['matchLabels']);
  return Object.entries(ml).every(([k, v]) => labels[k] === v);
}

function podLabels(objects: readonly KubeObject[], name: string): Labels | undefined {
  const w = objects.find((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind) && o.metadata.name === name);
  const spec = rec(w?.['spec']);
  const template = w?.kind === 'CronJob' ? rec(rec(rec(spec['jobTemplate'])['spec'])['template']) : rec(spec['template']);
  const labels = rec(rec(template['metadata'])['labels']);
  return w === undefined ? undefined : Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, typeof v === 'string' ? v : '']));
}

/** The container ports behind Service `name`'s port `port` (every port when undefined). */
function containerPorts(objects: readonly KubeObject[], name: string, port: number | undefined): number[] | undefined {
  const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === name);
  if (svc === undefined) return undefined;
  const ports = list(rec(svc['spec'])['ports']).map(rec).filter((p) => port === undefined || p['port'] === port);
  const w = objects.find((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name === name);
  const containers = list(rec(rec(rec(w?.['spec'])['template'])['spec'])['containers']).map(rec);
  const byName = new Map(containers.flatMap((c) => list(c['ports']).map(rec)).map((p) => [String(p['name']), Number(p['containerPort'])]));
  return ports.map((p) => (typeof p['targetPort'] === 'number' ? p['targetPort'] : (byName.get(String(p['targetPort'])) ?? Number.NaN)));
}

function allows(rule: Record<string, unknown>, peerKey: 'to' | 'from', peer: Labels, port: number): boolean {
  const peers = list(rule[peerKey]);
  const peerOk = peers.length === 0 || peers.some((p) => rec(p)['namespaceSelector'] === undefined && matches(rec(p)['podSelector'], peer));
  const ports = list(rule['ports']).map(rec);
  const portOk = ports.length === 0 || ports.some((p) => p['port'] === port);
  return peerOk && portOk;
}

/** Is TCP from pods `a` to pods `b` on container port `port` allowed, on both sides? */
function connectionAllowed(objects: readonly KubeObject[], a: Labels, b: Labels, port: number): boolean {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => rec(o['spec']));
  const egress = policies.some((p) => list(p['policyTypes']).includes('Egress') && matches(p['podSelector'], a) && list(p['egress']).some((r) => allows(rec(r), 'to', b, port)));
  const ingress = policies.some((p) => list(p['policyTypes']).includes('Ingress') && matches(p['podSelector'], b) && list(p['ingress']).some((r) => allows(rec(r), 'from', a, port)));
  return egress && ingress;
}

describe('compose corpus', () => {
  it('has at least 40 projects', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(40);
  });

  describe.each(NAMES)('%s', (name) => {
    let project: ImportedProject;
    let rendered: Rendered;
    beforeAll(async () => {
      project = await importProject(name);
      rendered = renderAllEnvs(project);
    });

    const importCheck = PENDING[name]?.check === 'import' ? it.fails : it;
    importCheck(`imports with exit 0 and no error in the report${PENDING[name] ? ` (pending: ${PENDING[name].why})` : ''}`, () => {
      const errors = project.run.err.split('\n').filter((l) => / error: /.test(l));
      expect(errors, errors.join('\n')).toEqual([]);
      expect(project.run.code).toBe(0);
    });

    it('renders every environment (dev, staging, prod) through `slipway render`, lint gate included', async () => {
      expect(environmentNames(rendered.spec)).toEqual(['dev', 'staging', 'prod']);
      const r = await slipway('render', project.specFile, '--all-envs', '-o', join(project.dir, 'out'));
      expect(r.err.split('\n').filter((l) => /error/.test(l))).toEqual([]);
      expect(r.code).toBe(0);
    });

    it('lints clean in every environment: no error, no warning but the ones the import announced', () => {
      const cannotRun = /cannot run under Pod Security restricted/.test(project.run.err);
      for (const [env, objects] of rendered.envs) {
        const findings = lintObjects(objects).findings.filter((f) => f.severity !== 'info');
        const unexpected = findings.filter((f) => !(cannotRun && f.ruleId === 'SEC026' && /cannot run under Pod Security restricted/.test(f.message)));
        const lines = unexpected.map((f) => `${env}: ${f.ruleId} ${f.object.kind}/${f.object.name ?? ''}: ${f.message}`);
        expect(lines, lines.join('\n')).toEqual([]);
      }
    });

    it('allows every connection the environment values name (NetworkPolicy egress and ingress, on that port)', () => {
      const missing: string[] = [];
      for (const ref of references(name)) {
        for (const [env, objects] of rendered.envs) {
          // Kubernetes names are DNS labels: compose's `bookstack_db` is the workload `bookstack-db`.
          const a = podLabels(objects, dnsName(ref.from));
          const b = podLabels(objects, dnsName(ref.to));
          const ports = containerPorts(objects, dnsName(ref.to), ref.port);
          const what = `${env}: ${ref.from} → ${ref.to}${ref.port !== undefined ? `:${ref.port}` : ''} (${ref.key})`;
          if (a === undefined || b === undefined) missing.push(`${what}: no workload`);
          else if (ports === undefined || ports.length === 0) missing.push(`${what}: the Service does not expose it`);
          else if (!ports.some((p) => connectionAllowed(objects, a, b, p))) missing.push(`${what}: blocked`);
        }
      }
      expect(missing, missing.join('\n')).toEqual([]);
    });

    it('writes no planted secret value to slipway.yaml, the report or any rendered environment', () => {
      const planted = plantedValues(join(CORPUS_DIR, name));
      const outputs: [string, string][] = [
        ['slipway.yaml', readFileSync(project.specFile, 'utf8')],
        ['the import report', project.run.err],
        ...[...rendered.envs].map(([env, objects]): [string, string] => [`render --env ${env}`, stringifyManifests(objects)]),
      ];
      const leaks = outputs.flatMap(([where, text]) => planted.filter((v) => text.includes(v)).map((v) => `${v} in ${where}`));
      expect(leaks, leaks.join('\n')).toEqual([]);
    });
  });
});

describe('docs/import-compose.md', () => {
  it('lists every image of the known-images table', () => {
    const doc = readFileSync(join(CORPUS_DIR, '../../docs/import-compose.md'), 'utf8');
    const table = doc.slice(doc.indexOf('| image | uid:gid'), doc.indexOf('## Environments'));
    const missing = knownImageRepositories().filter((r) => !r.includes('.') && !table.includes(`\`${r}\``) && !table.includes(`\`${r.split('/')[0] ?? ''}/*\``));
    expect(missing).toEqual([]);
  });
});

describe('the reference oracle', () => {
  it.each([
    { value: 'db:3306', key: 'WORDPRESS_DB_HOST', want: [{ to: 'db', port: 3306 }] },
    { value: 'db', key: 'DB_HOST', want: [{ to: 'db', port: undefined }] },
    { value: 'redis://cache:6379/0', key: 'REDIS_URL', want: [{ to: 'cache', port: 6379 }] },
    { value: 'http://api:8080', key: 'API', want: [{ to: 'api', port: 8080 }] },
    { value: 'postgres://u:p@db/app', key: 'DATABASE_URL', want: [{ to: 'db', port: 5432 }] },
    { value: 'jdbc:postgresql://db:5432/x', key: 'JDBC', want: [{ to: 'db', port: 5432 }] },
    { value: 'cache:11211', key: 'MEMCACHED_SERVERS', want: [{ to: 'cache', port: 11211 }] },
    { value: 'db', key: 'MYSQL_DATABASE', want: [] },
    { value: 'https://api.example.com', key: 'URL', want: [] },
    { value: 'http://dbx:80', key: 'URL', want: [] },
  ])('$key=$value', ({ value, key, want }) => {
    expect(referencesIn('web', key, value, ['web', 'db', 'cache', 'api']).map(({ to, port }) => ({ to, port }))).toEqual(want);
  });
});
