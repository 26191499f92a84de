import type { ReportSeverity } from './types.ts';

interface Why {
  readonly severity: ReportSeverity;
  readonly message: string;
  readonly hint?: string;
}

const flat: Why = { severity: 'info', message: 'all pods share one flat network; slipway derives NetworkPolicies from dependsOn', hint: 'reach other services by their name' };
const host: Why = { severity: 'warning', message: 'host-level setting: Pod Security restricted forbids it', hint: 'drop it, or run this component outside slipway' };
const tuning: Why = { severity: 'info', message: 'kernel/cgroup tuning is not expressible in slipway', hint: 'set resources via deploy.resources' };

/**
 * Service keys slipway does not translate, with why and what to do. Anything not here and not
 * handled in service.ts gets a generic "not translated" warning, so nothing is silently lost.
 */
export const UNSUPPORTED_SERVICE_KEYS: Readonly<Record<string, Why>> = {
  container_name: { severity: 'info', message: 'pod names are generated; the service name is the stable DNS name', hint: 'refer to the service by its name' },
  hostname: { severity: 'info', message: 'pods get their hostname from the pod name', hint: 'refer to the service by its name' },
  domainname: { severity: 'info', message: 'pods get their domain from the cluster DNS' },
  networks: flat,
  network_mode: { severity: 'warning', message: 'network_mode has no equivalent: every pod has its own network namespace', hint: 'put sidecar-style containers in separate services' },
  links: { severity: 'info', message: 'links are not needed: services resolve each other by name', hint: 'list the dependency under depends_on for a NetworkPolicy edge' },
  external_links: flat,
  extra_hosts: { severity: 'warning', message: 'extra_hosts (hostAliases) is not supported by slipway', hint: 'use DNS names, or an ExternalName Service' },
  dns: { severity: 'info', message: 'pods use the cluster DNS' },
  dns_opt: { severity: 'info', message: 'pods use the cluster DNS' },
  dns_search: { severity: 'info', message: 'pods use the cluster DNS' },
  mac_address: { severity: 'info', message: 'MAC addresses are assigned by the cluster network' },
  logging: { severity: 'info', message: 'container stdout/stderr is collected by the cluster; log drivers do not apply', hint: 'ship logs with your cluster log agent' },
  privileged: host,
  pid: host,
  ipc: host,
  uts: host,
  userns_mode: host,
  cgroup: host,
  cgroup_parent: host,
  devices: host,
  device_cgroup_rules: host,
  security_opt: { severity: 'warning', message: 'security_opt is not translated: slipway applies the restricted seccomp/AppArmor defaults' },
  sysctls: host,
  ulimits: tuning,
  oom_kill_disable: tuning,
  oom_score_adj: tuning,
  mem_swappiness: tuning,
  memswap_limit: tuning,
  shm_size: { severity: 'warning', message: 'shm_size is not translated', hint: 'mount an emptyDir at /dev/shm via x-slipway volumes: [{ name: shm, mountPath: /dev/shm, type: emptyDir }]' },
  cpu_count: tuning,
  cpu_percent: tuning,
  cpu_shares: tuning,
  cpu_period: tuning,
  cpu_quota: tuning,
  cpu_rt_period: tuning,
  cpu_rt_runtime: tuning,
  cpuset: tuning,
  blkio_config: tuning,
  pids_limit: tuning,
  storage_opt: tuning,
  init: { severity: 'info', message: 'no init process is injected', hint: 'use an image with tini/dumb-init if the app spawns children' },
  tty: { severity: 'info', message: 'tty is not needed for services' },
  stdin_open: { severity: 'info', message: 'stdin is not attached to services' },
  stop_signal: { severity: 'warning', message: 'Kubernetes always sends SIGTERM', hint: 'make the app stop on SIGTERM (or set STOPSIGNAL in the image)' },
  platform: { severity: 'info', message: 'the node architecture is chosen by the scheduler', hint: 'publish a multi-arch image, or pin with nodeSelector kubernetes.io/arch' },
  runtime: { severity: 'warning', message: 'runtime (RuntimeClass) is not supported by slipway' },
  isolation: { severity: 'info', message: 'isolation is a Windows container setting' },
  gpus: { severity: 'warning', message: 'GPUs are not translated', hint: 'request nvidia.com/gpu in a rendered-manifest patch' },
  group_add: { severity: 'warning', message: 'supplementary groups are not supported; slipway sets fsGroup', hint: 'use x-slipway securityContext.fsGroup' },
  volumes_from: { severity: 'warning', message: 'volumes_from has no equivalent across pods', hint: 'share data through a service, or mount the same ConfigMap' },
  credential_spec: { severity: 'info', message: 'credential_spec is a Windows container setting' },
  develop: { severity: 'info', message: 'develop (watch) is a local development feature' },
  attach: { severity: 'info', message: 'attach is a local CLI setting' },
  post_start: { severity: 'warning', message: 'lifecycle hooks are not supported by slipway', hint: 'run the step in the entrypoint' },
  pre_stop: { severity: 'warning', message: 'lifecycle hooks are not supported by slipway; it adds its own preStop sleep for draining', hint: 'run the step on SIGTERM in the app' },
  provider: { severity: 'error', message: 'provider services are created by a compose plugin', hint: 'create the resource outside slipway and pass its address via env' },
  models: { severity: 'warning', message: 'AI models are not supported by slipway' },
  use_api_socket: { severity: 'warning', message: 'the Docker API socket is not available in a cluster' },
  label_file: { severity: 'warning', message: 'label_file is not read', hint: 'put the labels under labels:' },
  pull_refresh_after: { severity: 'info', message: 'pull refresh timing is controlled by imagePullPolicy' },
};

export const UNSUPPORTED_TOP_LEVEL: Readonly<Record<string, Why>> = {
  networks: flat,
  include: { severity: 'error', message: 'include is not resolved by the importer', hint: 'flatten the files first: `docker compose config > flat.yml`' },
  models: { severity: 'warning', message: 'AI models are not supported by slipway' },
};
