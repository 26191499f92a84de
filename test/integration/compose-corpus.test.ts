/**
 * Issue 13, "Proof": a compose project imported by `slipway import compose` deploys Healthy to the
 * local cluster, in a Pod Security *restricted* namespace, through the real CLI path (`slipway
 * deploy --wait`: render, lint, server-side dry-run, staged apply, health wait).
 *
 * Every project of test/compose-corpus, each in one environment. First a representative set, with
 * what each must have created, chosen so that every environment tier and every shape of imported
 * workload is deployed at least once: StatefulSets with their claims (databases from
 * the known-images table: uid, fsGroup, emptyDirs, the unprivileged-port sysctl), CI-built images
 * with `--image-tag`, env_file settings and Secrets, workers without ports, a run-to-completion Job,
 * a DNS server on TCP and UDP, staging replicas with PodDisruptionBudgets, prod
 * HorizontalPodAutoscalers, and NetworkPolicies from depends_on and from environment values.
 * Then every other project, dev, staging and prod in turn (all of them × 3 environments would take
 * too long for one file). Every project is imported, rendered and linted in every environment by
 * test/compose-corpus/corpus.test.ts.
 *
 * The Secrets the import report asks for are created first (values made up here), as a user runs
 * the report's `kubectl create secret` commands before the first deploy.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { V1Secret } from '@kubernetes/client-node';
import { loadSpec } from '../../src/appspec/index.ts';
import { corpusNames, importProject, type ImportedProject } from '../compose-corpus/corpus.ts';
import { main, memoryIo } from '../../src/cli/index.ts';
import { useNamespace, withNamespace, type TestNamespace } from './harness.ts';

type Env = 'dev' | 'staging' | 'prod';

interface Case {
  readonly project: string;
  readonly env: Env;
  /** Kinds the deploy must have created. */
  readonly kinds: readonly string[];
  /** The project builds images in CI: they must run with the commit's tag (--image-tag). */
  readonly built: boolean;
}

const CASES: readonly Case[] = [
  { project: 'wordpress-mysql', env: 'prod', kinds: ['StatefulSet', 'NetworkPolicy'], built: false },
  { project: 'django-celery', env: 'staging', kinds: ['Deployment', 'StatefulSet', 'PodDisruptionBudget'], built: true },
  { project: 'voting-app', env: 'dev', kinds: ['Deployment', 'StatefulSet'], built: true },
  { project: 'paperless', env: 'prod', kinds: ['Deployment', 'StatefulSet', 'HorizontalPodAutoscaler'], built: false },
  { project: 'coredns', env: 'prod', kinds: ['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'], built: false },
  { project: 'rails-sidekiq', env: 'staging', kinds: ['Deployment', 'Job', 'StatefulSet', 'PodDisruptionBudget'], built: true },
  { project: 'api-gateway-microservices', env: 'prod', kinds: ['Deployment', 'StatefulSet', 'HorizontalPodAutoscaler'], built: false },
];

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

async function slipway(ns: TestNamespace, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', ...args, '--kubeconfig', ns.kubeconfigPath, '-n', ns.name], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** The environment renders into the test's namespace instead of `<app>-<env>`, so runs never collide. */
function intoNamespace(p: ImportedProject, env: string, namespace: string): void {
  const doc = parseDocument(readFileSync(p.specFile, 'utf8'));
  doc.setIn(['environments', env, 'namespace'], namespace);
  writeFileSync(p.specFile, doc.toString());
}

/** Creates every Secret the spec references (`secrets:`), each key with a made-up value. */
async function createSecrets(ns: TestNamespace, p: ImportedProject): Promise<string[]> {
  const spec = loadSpec(readFileSync(p.specFile, 'utf8'), p.specFile, { readFile: (rel) => readFileSync(`${p.dir}/${rel}`, 'utf8') });
  const names: string[] = [];
  for (const [name, s] of Object.entries(spec.secrets ?? {})) {
    const stringData = Object.fromEntries((s.keys ?? ['value']).map((k) => [k, `test-${name}-${k}`.toLowerCase()]));
    await ns.core.createNamespacedSecret({ namespace: ns.name, body: Object.assign(new V1Secret(), { metadata: { name }, stringData }) });
    names.push(name);
  }
  return names;
}

interface StatusJson {
  health: string;
  objects: { id: { kind: string; name: string }; health: { status: string; message?: string } }[];
}

/** Imports `project`, deploys its environment `env` into `ns` and checks what every deploy must show. */
async function deployAndCheck(ns: TestNamespace, project: string, env: Env, expected: { kinds: readonly string[]; built?: boolean }): Promise<void> {
  const p = await importProject(project);
  tempDirs.push(p.dir);
  expect(p.run.code, p.run.err).toBe(0);
  intoNamespace(p, env, ns.name);
  await createSecrets(ns, p);
  const built = expected.built ?? buildsImages(p);

  const deployed = await slipway(ns, 'deploy', p.specFile, '--env', env, '--image-tag', 'sha-0123456789abcdef0123456789abcdef01234567', '--wait', '--timeout', '180s');
  expect(deployed.code, `${deployed.out}\n${deployed.err}`).toBe(0);

  const status = await slipway(ns, 'status', p.specFile, '--env', env, '-o', 'json');
  expect(status.code, status.err).toBe(0);
  const s = JSON.parse(status.out) as StatusJson;
  expect(s.objects.filter((o) => o.health.status !== 'Healthy').map((o) => `${o.id.kind}/${o.id.name}: ${o.health.status} ${o.health.message ?? ''}`)).toEqual([]);
  expect(s.health).toBe('Healthy');
  const deployedKinds = new Set(s.objects.map((o) => o.id.kind));
  for (const k of expected.kinds) expect([...deployedKinds], k).toContain(k);

  // Admitted under Pod Security restricted (enforced on the namespace), every pod non-root.
  const namespace = await ns.core.readNamespace({ name: ns.name });
  expect(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  const pods = (await ns.core.listNamespacedPod({ namespace: ns.name })).items;
  expect(pods.length).toBeGreaterThan(0);
  for (const pod of pods) expect(pod.spec?.securityContext?.runAsNonRoot, pod.metadata?.name).toBe(true);
  // The images CI built carry the commit's tag; the others keep theirs.
  const images = pods.flatMap((pod) => (pod.spec?.containers ?? []).map((c) => c.image ?? ''));
  expect(images.some((i) => i.endsWith(':sha-0123456789abcdef0123456789abcdef01234567'))).toBe(built);
  expect(images.filter((i) => i.endsWith(':dev'))).toEqual([]);
}

/** Whether the imported spec builds an image in CI for a workload that runs pods on deploy (a service or a Job; a CronJob waits for its schedule). */
function buildsImages(p: ImportedProject): boolean {
  const spec = loadSpec(readFileSync(p.specFile, 'utf8'), p.specFile, { readFile: (rel) => readFileSync(`${p.dir}/${rel}`, 'utf8') });
  return [...Object.values(spec.services), ...Object.values(spec.jobs ?? {})].some((w) => w.build !== undefined);
}

describe.each(CASES)('compose project $project, env $env', ({ project, env, kinds, built }) => {
  const ns = useNamespace(`cc-${project.slice(0, 14)}-${env}`);

  it('imports, then deploys with --wait into a restricted namespace and `slipway status` reports Healthy', { timeout: 240_000 }, async () => {
    await deployAndCheck(ns(), project, env, { kinds, built });
  });
});

/**
 * Every other project of the corpus, each in one environment (dev, staging, prod in turn), so that
 * each of the corpus's projects is proven to deploy Healthy under restricted. Concurrent (vitest's
 * maxConcurrency, 5): each deploy mostly waits for the cluster.
 */
const ENVS: readonly Env[] = ['dev', 'staging', 'prod'];
const REST = corpusNames()
  .filter((name) => !CASES.some((c) => c.project === name))
  .map((project, i) => ({ project, env: ENVS[i % ENVS.length] ?? 'dev' }));

describe('every other project of the corpus', () => {
  it.concurrent.each(REST)('$project deploys Healthy in $env, in a restricted namespace', { timeout: 300_000 }, async ({ project, env }) => {
    await withNamespace(`cc-${project.slice(0, 14)}-${env}`, (ns) => deployAndCheck(ns, project, env, { kinds: [] }));
  });
});
