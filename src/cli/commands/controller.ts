/** `slipway controller run|install`: the progressive-delivery controller, as a local process or in-cluster. */
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { inputError } from '../../errors/index.ts';
import { stringifyManifests } from '../../manifest/index.ts';
import type { KubeClient } from '../../kube/index.ts';
import { CONTROLLER_NAMESPACE, GROUP, startController } from '../../rollout/index.ts';
import { GitOpsReconciler, PLURAL as APPS_PLURAL, installManifests, webhookRoutes } from '../../gitops/index.ts';
import type { Io } from '../io.ts';
import { VERSION } from '../version.ts';
import { connect, outputOption, prometheusUrlOf } from './deploy.ts';

interface ConnFlags {
  context?: string;
  kubeconfig?: string;
}

/** `host:port` → parts; port 0 picks a free one. */
export function parseAddr(v: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535) throw inputError(`--metrics-addr ${v}: expected host:port`, { cause: v, expected: 'host:port, e.g. 127.0.0.1:8090 (port 0: any free port)' });
  return { host: m[1] || '0.0.0.0', port };
}

/**
 * Why GitOps cannot run here, or undefined when it can: the SlipwayApp CRD must be served (a
 * ServiceAccount that may not read CRDs assumes it is) and this identity must be allowed to list
 * SlipwayApps (an install with --no-gitops does not grant it).
 */
async function gitopsUnavailable(client: KubeClient, namespace: string | undefined): Promise<string | undefined> {
  const forbidden = (e: unknown): 'forbidden' => {
    if ((e as { kind?: string }).kind === 'forbidden') return 'forbidden';
    throw e;
  };
  const crd = await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `${APPS_PLURAL}.${GROUP}` }).catch(forbidden);
  if (crd === undefined) return 'the SlipwayApp CRD is not installed (`slipway controller install --crds-only` installs it)';
  // One page of one object tells whether listing is allowed; following the continue tokens read
  // every SlipwayApp one request at a time (1,000 of the 1,002 LIST slipwayapps of a cold start with
  // 1,000 apps).
  const list = await client.listAll({ apiVersion: `${GROUP}/v1alpha1`, kind: 'SlipwayApp', namespace }, { limit: 1, pages: 1 }).catch(forbidden);
  if (list === 'forbidden') return 'this identity may not list SlipwayApps (installed with --no-gitops?)';
  return undefined;
}

/** `--gitops-cache-dir`, else $SLIPWAY_GITOPS_CACHE_DIR, else ~/.cache/slipway/gitops. */
function cacheDirOf(v: string | undefined): string {
  return v ?? process.env['SLIPWAY_GITOPS_CACHE_DIR'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'slipway', 'gitops');
}

export function registerController(program: Command, io: Io): void {
  const ctl = program.command('controller').description('the slipway controller: runs canary releases (ServiceRollouts) and GitOps apps (SlipwayApps) from the cluster');
  ctl
    .command('run')
    .description('run the controller as a long-running process (leader election makes several replicas safe)')
    .option('--context <name>', 'kubeconfig context (default: current context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('-n, --namespace <ns>', 'watch only this namespace')
    .option('-A, --all-namespaces', 'watch every namespace (the default)')
    .option('--lease-namespace <ns>', 'namespace of the leader-election Lease', CONTROLLER_NAMESPACE)
    .option('--instance <id>', 'act only on ServiceRollouts labelled slipway.dev/controller-instance=<id> (own Lease); without it, only unlabelled ones')
    .option('--lease-duration <seconds>', 'leader-election lease duration', (v) => Number(v), 15)
    .option('--id <identity>', 'this replica in the Lease and in Events (default: <hostname>_<pid>)')
    .option('--metrics-addr <host:port>', '/healthz, /readyz, /metrics (port 0: any free port, printed at start)', '127.0.0.1:8090')
    .option('--log-level <level>', 'trace|debug|info|warn|error', 'info')
    .option('--prometheus-url <url>', 'the Prometheus analysis queries when a metric names no address (default: $SLIPWAY_PROMETHEUS_URL)')
    .option('--no-gitops', 'do not reconcile SlipwayApps (GitOps): progressive delivery only')
    .option('--gitops-cache-dir <dir>', 'git cache: bare repositories and checkouts (default: $SLIPWAY_GITOPS_CACHE_DIR, else ~/.cache/slipway/gitops)')
    .option('--gitops-workers <n>', 'SlipwayApps reconciled at once', (v) => Number(v), 8)
    .addHelpText(
      'after',
      `
Logs are JSON lines (pino) on stdout, with the object's namespace and name on every line.
SIGTERM or Ctrl-C: the writes in flight finish, the Lease is released, exit 0.

Examples:
  slipway controller run                                  every namespace, metrics on 127.0.0.1:8090
  slipway controller run -n shop --metrics-addr :0        one namespace, any free port
  slipway controller run --context prod --id laptop-1
  slipway controller run --prometheus-url http://prometheus.monitoring:9090   canary analysis (SLO checks) against it
  slipway controller run --no-gitops                      canary releases only, no SlipwayApps`,
    )
    .action(async (f: ConnFlags & { namespace?: string; allNamespaces?: boolean; leaseNamespace: string; instance?: string; leaseDuration: number; id?: string; metricsAddr: string; logLevel: string; prometheusUrl?: string; gitops: boolean; gitopsCacheDir?: string; gitopsWorkers: number }) => {
      if (!Number.isInteger(f.gitopsWorkers) || f.gitopsWorkers < 1) throw inputError(`--gitops-workers ${String(f.gitopsWorkers)}: expected a positive integer`, { cause: f.gitopsWorkers });
      if (f.namespace && f.allNamespaces) throw inputError('-n and --all-namespaces exclude each other', { cause: undefined, expected: 'one of them' });
      const { host, port } = parseAddr(f.metricsAddr);
      const prometheusUrl = prometheusUrlOf(f.prometheusUrl ?? process.env['SLIPWAY_PROMETHEUS_URL']);
      const { pino } = await import('pino');
      const identity = f.id ?? `${hostname()}_${process.pid}`;
      const logger = pino({ level: f.logLevel, base: { controller: 'slipway', identity } });
      const client = await connect(f);
      const ac = new AbortController();
      const stop = (sig: NodeJS.Signals): void => {
        logger.info({ signal: sig }, 'stopping: finishing writes in flight, releasing the lease');
        ac.abort();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const lease = f.leaseDuration;
        if (!Number.isInteger(lease) || lease < 2) throw inputError(`--lease-duration ${String(lease)}: expected whole seconds ≥ 2`, { cause: lease });
        const timing = { leaseDurationSeconds: lease, renewDeadlineSeconds: Math.max(1, Math.floor((lease * 2) / 3)), retryPeriodSeconds: Math.max(1, Math.floor(lease / 7)) };
        // GitOps runs in the same process, on the same client, informers and Lease, when its CRD is served.
        const why = f.gitops ? await gitopsUnavailable(client, f.namespace) : 'off (--no-gitops)';
        const gitops = why === undefined ? new GitOpsReconciler({ namespace: f.namespace, instance: f.instance, cacheDir: cacheDirOf(f.gitopsCacheDir), workers: f.gitopsWorkers, clusterSecretsNamespace: f.leaseNamespace }) : undefined;
        if (f.gitops && why !== undefined) logger.warn(`GitOps is off: ${why}`);
        const running = await startController({ client, namespace: f.namespace, leaseNamespace: f.leaseNamespace, instance: f.instance, identity, port, host, logger, prometheusUrl, ...timing, ...(gitops ? { reconcilers: [gitops], routes: [webhookRoutes({ namespace: f.leaseNamespace, refresh: (push) => gitops.refresh(push) })] } : {}) }, ac.signal);
        logger.info({ url: running.url, namespace: f.namespace ?? '(all)', version: VERSION, prometheusUrl: prometheusUrl ?? '(none: analysis metrics need their own address)', gitops: gitops !== undefined }, 'controller started');
        io.err(`slipway controller ${identity}: serving ${running.url ?? '(no endpoints)'}/healthz /readyz /metrics\n`);
        try {
          await running.done;
        } finally {
          gitops?.close();
        }
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        client.close();
      }
    });

  ctl
    .command('install')
    .description('install the CRDs (ServiceRollout, SlipwayApp), and the controller as a Deployment with least-privilege RBAC, into a cluster')
    .option('--context <name>', 'kubeconfig context (default: current context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--image <ref>', 'controller image (built from the repo Dockerfile)', `ghcr.io/slipway-dev/slipway:${VERSION}`)
    .option('--crds-only', 'only the CustomResourceDefinitions (for a controller run as a local process)')
    .option('--no-gitops', 'without GitOps: no SlipwayApp CRD, no GitOps RBAC (the controller may then read no Secret)')
    .option('--dry-run', 'print the manifests instead of applying them')
    .addOption(outputOption(['text', 'yaml', 'json']))
    .addHelpText(
      'after',
      `
Examples:
  slipway controller install                          CRDs + slipway-system (2 replicas, PDB, RBAC)
  slipway controller install --crds-only              then: slipway controller run
  slipway controller install --no-gitops              progressive delivery only (no Secret access)
  slipway controller install --dry-run -o yaml > controller.yaml`,
    )
    .action(async (f: ConnFlags & { image: string; crdsOnly?: boolean; dryRun?: boolean; output: string; gitops: boolean }) => {
      const objects = installManifests({ image: f.image, crdsOnly: f.crdsOnly ?? false, gitops: f.gitops });
      if (f.dryRun) {
        io.out(f.output === 'json' ? `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n` : stringifyManifests(objects));
        return;
      }
      const client = await connect(f);
      try {
        for (const o of objects) {
          await client.apply(o, { force: true });
          io.err(`  applied ${o.kind}/${o.metadata.name ?? ''}\n`);
          // Wait for the CRD to be served before anything that might use it.
          if (o.kind === 'CustomResourceDefinition') client.mapper.invalidate();
        }
        io.out(`installed ${objects.length} object(s)${f.crdsOnly ? ' (CRDs only)' : ` into ${CONTROLLER_NAMESPACE}`}\n`);
      } finally {
        client.close();
      }
    });
}
