/**
 * `slipway cluster register|list-registered|unregister`: clusters the GitOps controller deploys
 * to besides its own (`spec.destination.cluster`), kept as labelled Secrets in its namespace, as
 * `argocd cluster add|list|rm` does. Credentials come from a kubeconfig context, never from flags,
 * and are never printed.
 */
import { Option, type Command } from 'commander';
import { notFound } from '../../errors/index.ts';
import { KubeClient, resolveTarget } from '../../kube/index.ts';
import { CONTROLLER_NAMESPACE } from '../../rollout/index.ts';
import { authOf, checkClusterName, clusterSecretOf, clusterSecretsQuery, registeredClusterOf, targetOf, type RegisteredCluster } from '../../gitops/index.ts';
import type { Io } from '../io.ts';
import { connect } from './deploy.ts';

interface ControllerFlags {
  controllerContext?: string;
  controllerKubeconfig?: string;
  namespace: string;
}

const addController = (c: Command): Command =>
  c
    .option('--controller-context <name>', "kubeconfig context of the controller's cluster, where the Secret is kept (default: current context)")
    .option('--controller-kubeconfig <file>', "kubeconfig of the controller's cluster (default: $KUBECONFIG or ~/.kube/config)")
    .option('-n, --namespace <ns>', "the controller's namespace (its --lease-namespace)", CONTROLLER_NAMESPACE);

async function withController<T>(f: ControllerFlags, work: (client: KubeClient) => Promise<T>): Promise<T> {
  const client = await connect({ ...(f.controllerContext ? { context: f.controllerContext } : {}), ...(f.controllerKubeconfig ? { kubeconfig: f.controllerKubeconfig } : {}) });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** A context name as a cluster name: lower-cased, anything else than [a-z0-9.-] as "-". */
function nameOfContext(context: string): string {
  return context
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

function age(ts: string | undefined): string {
  if (!ts) return '-';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd()).join('\n') + '\n';
}

export function registerClusterRegistry(cluster: Command, io: Io): void {
  addController(
    cluster
      .command('register <context>')
      .description('let the GitOps controller deploy to the cluster of a kubeconfig context (its credentials go to a Secret in the controller\'s namespace)')
      .option('--kubeconfig <file>', 'kubeconfig holding <context> (default: $KUBECONFIG or ~/.kube/config)')
      .option('--name <name>', 'the name SlipwayApps use in spec.destination.cluster (default: the context name)'),
  )
    .addHelpText(
      'after',
      `
The context's server, CA and credentials (a token, a client certificate, or a username and
password) are stored in the Secret cluster-<name>, labelled slipway.dev/secret-type=cluster, in
the controller's namespace; the controller sees it without a restart. Registering again updates
the Secret (a rotated token). A context whose user runs an exec or auth-provider plugin (EKS,
GKE, AKS, OIDC) is refused: register a ServiceAccount token instead (the hint says how). The
cluster is contacted first, with the stored credentials: nothing is written if it does not answer.

Examples:
  slipway cluster register prod-eu --name prod-eu
  slipway cluster register slipway-b --kubeconfig b.yaml --controller-context slipway-a
  slipway cluster list-registered
  slipway cluster unregister prod-eu`,
    )
    .action(async (context: string, f: ControllerFlags & { kubeconfig?: string; name?: string }) => {
      const name = f.name ?? nameOfContext(context);
      checkClusterName(name);
      const target = await resolveTarget({ kubeconfig: f.kubeconfig, context });
      const secret = clusterSecretOf({ name, namespace: f.namespace, target });
      // What the controller will use, checked before anything is written.
      const registered = registeredClusterOf({ ...secret, data: Object.fromEntries(Object.entries(secret['stringData'] as Record<string, string>).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) });
      const probe = KubeClient.ofTarget(targetOf(registered), { retry: { attempts: 2, baseDelayMs: 200, maxDelayMs: 500 }, requestTimeoutMs: 10_000 });
      let version: string;
      try {
        version = await probe.version({ signal: AbortSignal.timeout(15_000) });
      } finally {
        probe.close();
      }
      await withController(f, async (client) => {
        const before = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: f.namespace, name: secret.metadata.name ?? '' });
        await client.apply(secret, { force: true });
        io.out(`cluster "${name}" ${before ? 'updated' : 'registered'}: ${registered.server} (Kubernetes ${version}, ${authOf(registered.config)}) in Secret ${f.namespace}/${secret.metadata.name ?? ''}\n`);
      });
    });

  addController(cluster.command('list-registered').description('the clusters registered with the GitOps controller (no credentials shown)'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (f: ControllerFlags & { output: string }) => {
      await withController(f, async (client) => {
        const secrets = await client.list(clusterSecretsQuery(f.namespace));
        const rows = secrets.map((s) => {
          let c: RegisteredCluster | undefined;
          let problem: string | undefined;
          try {
            c = registeredClusterOf(s);
          } catch (e) {
            problem = e instanceof Error ? e.message : String(e);
          }
          return { name: c?.name ?? s.metadata.name ?? '', server: c?.server ?? '-', auth: c ? authOf(c.config) : '-', secret: s.metadata.name ?? '', created: typeof s.metadata.creationTimestamp === 'string' ? s.metadata.creationTimestamp : undefined, ...(problem ? { problem } : {}) };
        });
        rows.sort((a, b) => a.name.localeCompare(b.name));
        if (f.output === 'json') {
          io.out(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          io.err(`no clusters registered in ${f.namespace} (besides in-cluster)\n`);
          return;
        }
        io.out(table([['NAME', 'SERVER', 'AUTH', 'SECRET', 'AGE'], ...rows.map((r) => [r.name, r.server, r.problem ? 'invalid' : r.auth, r.secret, age(r.created)])]));
        for (const r of rows) if (r.problem) io.err(`warning: ${r.problem}\n`);
      });
    });

  addController(cluster.command('unregister <name>').description('delete a registered cluster\'s Secret (apps that deploy there become Unknown; what they deployed stays)')).action(async (name: string, f: ControllerFlags) => {
    await withController(f, async (client) => {
      const secrets = (await client.list(clusterSecretsQuery(f.namespace))).filter((s) => {
        try {
          return registeredClusterOf(s).name === name;
        } catch {
          return s.metadata.name === name;
        }
      });
      if (secrets.length === 0) throw notFound(`cluster "${name}" is not registered in ${f.namespace}`, { cause: name, hint: '`slipway cluster list-registered` lists them' });
      for (const s of secrets) await client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: f.namespace, name: s.metadata.name ?? '' });
      io.out(`cluster "${name}" unregistered (Secret ${secrets.map((s) => `${f.namespace}/${s.metadata.name ?? ''}`).join(', ')} deleted)\n`);
    });
  });
}
