/**
 * The slipway controller process: the Manager of src/controller running the ServiceRollout
 * reconciler, after checking that the CRD is installed and the Lease namespace exists.
 */
import { Manager, heldByOther, type ManagerOptions, type Reconciler, type RunningManager } from '../controller/index.ts';
import { isSlipwayError, notFound } from '../errors/index.ts';
import type { KubeClient } from '../kube/index.ts';
import type { Logger } from 'pino';
import { CONTROLLER_NAMESPACE, LEASE_NAME } from './install.ts';
import { rolloutReconciler } from './reconcile.ts';
import { GROUP, PLURAL } from './types.ts';

export interface ControllerOptions {
  readonly client: KubeClient;
  /** Watch one namespace; undefined: all. */
  readonly namespace?: string | undefined;
  readonly leaseNamespace: string;
  readonly identity: string;
  /** Act only on rollouts labelled slipway.dev/controller-instance=<instance>; its own Lease. */
  readonly instance?: string | undefined;
  readonly port?: number | undefined;
  readonly host?: string;
  readonly logger?: Logger;
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineSeconds?: number;
  readonly retryPeriodSeconds?: number;
  /** The Prometheus analysis queries when a metric names no address. */
  readonly prometheusUrl?: string | undefined;
  /** More reconcilers in the same process, on the same client, informers and Lease (GitOps). */
  readonly reconcilers?: readonly Reconciler[];
  /** More endpoints on the metrics port (the GitOps webhook receivers). */
  readonly routes?: ManagerOptions['routes'];
}

export async function startController(o: ControllerOptions, signal: AbortSignal): Promise<RunningManager> {
  // Checks that turn a confusing failure into a clear one; a ServiceAccount without the
  // permission to read CRDs or namespaces (least privilege) skips them.
  const canSkip = (e: unknown): undefined | 'unknown' => {
    if (isSlipwayError(e) && e.kind === 'forbidden') return 'unknown';
    throw e;
  };
  const crd = await o.client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `${PLURAL}.${GROUP}` }).catch(canSkip);
  if (!crd) {
    throw notFound(`the ServiceRollout CRD (${PLURAL}.${GROUP}) is not installed in this cluster`, { cause: undefined, hint: 'run `slipway controller install --crds-only` (or `slipway controller install` for the in-cluster controller)' });
  }
  const ns = await o.client.get({ apiVersion: 'v1', kind: 'Namespace', name: o.leaseNamespace }).catch(canSkip);
  if (!ns) {
    throw notFound(`lease namespace "${o.leaseNamespace}" does not exist`, { cause: undefined, hint: `create it (\`kubectl create namespace ${o.leaseNamespace}\`) or run \`slipway controller install\`` });
  }
  const m = new Manager({
    client: o.client,
    reconcilers: [rolloutReconciler({ namespace: o.namespace, instance: o.instance, prometheusUrl: o.prometheusUrl }), ...(o.reconcilers ?? [])],
    identity: o.identity,
    leaseNamespace: o.leaseNamespace,
    leaseName: o.instance ? `${LEASE_NAME}-${o.instance}` : LEASE_NAME,
    ...(o.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: o.leaseDurationSeconds } : {}),
    ...(o.renewDeadlineSeconds !== undefined ? { renewDeadlineSeconds: o.renewDeadlineSeconds } : {}),
    ...(o.retryPeriodSeconds !== undefined ? { retryPeriodSeconds: o.retryPeriodSeconds } : {}),
    port: o.port,
    ...(o.routes ? { routes: o.routes } : {}),
    ...(o.host ? { host: o.host } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  return m.start(signal);
}

/** Whether this cluster can run canaries: the CRD is served and a controller holds the Lease (and who). */
export async function controllerPresence(client: KubeClient, leaseNamespace = CONTROLLER_NAMESPACE): Promise<{ readonly crd: boolean; readonly leader: string | undefined }> {
  const crd = (await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `${PLURAL}.${GROUP}` })) !== undefined;
  const lease = await client.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: leaseNamespace, name: LEASE_NAME }).catch(() => undefined);
  const spec = (lease?.['spec'] ?? {}) as { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
  // Held by anyone (identity ''), by the elector's own rule; a Lease without a duration counts as the default 15 s.
  const fresh = spec.renewTime !== undefined && heldByOther({ ...spec, leaseDurationSeconds: spec.leaseDurationSeconds ?? 15 }, '', Date.now());
  return { crd, leader: fresh ? spec.holderIdentity : undefined };
}
