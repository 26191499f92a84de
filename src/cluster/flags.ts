/**
 * Command lines of the control plane processes. Pure, so the exact flags are unit-tested and
 * reviewable in one place. Everything binds to 127.0.0.1 on ports chosen per cluster, so two
 * clusters (a user's and the integration tests') never collide.
 */
import type { ClusterLayout, ClusterPorts, Component } from './layout.ts';
import { SERVICE_CIDR, type Pki } from './certs.ts';

export const LOCALHOST = '127.0.0.1';

/** Annotation kwok selects the nodes it manages by (`--manage-nodes-with-annotation-selector`). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_ANNOTATION_VALUE = 'fake';

export interface FlagInput {
  readonly layout: ClusterLayout;
  readonly ports: ClusterPorts;
  readonly pki: Pki;
  /** Config file for kwok: its Stages (stages.ts kwokConfigYaml), so neither built-in stages nor `~/.kwok/kwok.yaml` apply. */
  readonly kwokConfig: string;
}

function etcdArgs({ layout, ports }: FlagInput): string[] {
  const client = `http://${LOCALHOST}:${ports.etcdClient}`;
  const peer = `http://${LOCALHOST}:${ports.etcdPeer}`;
  return [
    '--name=slipway',
    `--data-dir=${layout.etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=slipway=${peer}`,
    '--initial-cluster-state=new',
    // A throwaway dev store: 2 GiB is plenty and bounds disk use; skipping fsync makes writes
    // (and so start-up) much faster on slow disks, at the price of durability we do not need.
    '--quota-backend-bytes=2147483648',
    '--unsafe-no-fsync=true',
    '--snapshot-count=10000',
    '--log-level=warn',
  ];
}

function apiserverArgs({ ports, pki }: FlagInput): string[] {
  return [
    `--etcd-servers=http://${LOCALHOST}:${ports.etcdClient}`,
    `--bind-address=${LOCALHOST}`,
    `--advertise-address=${LOCALHOST}`,
    `--secure-port=${ports.apiserver}`,
    `--tls-cert-file=${pki.cert('apiserver')}`,
    `--tls-private-key-file=${pki.key('apiserver')}`,
    `--client-ca-file=${pki.caCert}`,
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--authorization-mode=Node,RBAC',
    // Privileged pods must be admissible at all so that Pod Security admission (on by default)
    // is what rejects them in restricted namespaces, as on a real cluster.
    '--allow-privileged=true',
    // The `kubernetes` Service cannot have a loopback endpoint; nothing in-cluster can reach
    // this apiserver anyway (kwok pods run nowhere), so do not reconcile it.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
    '--v=1',
  ];
}

/** Flags both controller-manager and scheduler take: own kubeconfig, delegated authn/z, no leader election. */
function componentCommon(kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    `--bind-address=${LOCALHOST}`,
    `--secure-port=${port}`,
    // One replica: leader election would only add seconds to every start.
    '--leader-elect=false',
    '--profiling=false',
    '--v=1',
  ];
}

function controllerManagerArgs({ layout, ports, pki }: FlagInput): string[] {
  return [
    ...componentCommon(layout.componentKubeconfig('kube-controller-manager'), ports.controllerManager),
    `--cert-dir=${layout.runDir}/kube-controller-manager`,
    `--root-ca-file=${pki.caCert}`,
    `--service-account-private-key-file=${pki.saKey}`,
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // Each controller acts as its own ServiceAccount (system:controller:*), as on kubeadm clusters:
    // the controller-manager's own identity may not, e.g., untaint nodes.
    '--use-service-account-credentials=true',
    // Dynamic PersistentVolumes for the default StorageClass (see stages.ts defaultStorageClass).
    '--enable-hostpath-provisioner=true',
    // No metrics pipeline here: the HPA controller would only mark every HPA failed. kwok
    // simulates HPAs with metrics at target instead (stages.ts autoscalerStages).
    '--controllers=*,-horizontal-pod-autoscaler-controller',
  ];
}

function schedulerArgs({ layout, ports }: FlagInput): string[] {
  return [...componentCommon(layout.componentKubeconfig('kube-scheduler'), ports.scheduler), `--cert-dir=${layout.runDir}/kube-scheduler`];
}

function kwokArgs({ layout, ports, kwokConfig }: FlagInput): string[] {
  return [
    `--config=${kwokConfig}`,
    `--kubeconfig=${layout.componentKubeconfig('kwok')}`,
    // Only nodes slipway created; a user who adds a real node keeps it out of kwok's hands.
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=${KWOK_NODE_ANNOTATION_VALUE}`,
    `--server-address=${LOCALHOST}:${ports.kwok}`,
    '--node-lease-duration-seconds=40',
    '--cidr=10.244.0.0/16',
    `--node-ip=${LOCALHOST}`,
  ];
}

/** Argument vector of each component. */
export function componentArgs(input: FlagInput): Record<Component, string[]> {
  return {
    etcd: etcdArgs(input),
    'kube-apiserver': apiserverArgs(input),
    'kube-controller-manager': controllerManagerArgs(input),
    'kube-scheduler': schedulerArgs(input),
    kwok: kwokArgs(input),
  };
}
