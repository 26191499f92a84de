/**
 * vitest globalSetup of the `integration` project: ONE local control plane per test run, under
 * a temp data dir on its own free ports (it never touches a user's `slipway cluster`), torn
 * down at the end. Tests get its kubeconfig via `inject('kubeconfig')` or
 * `SLIPWAY_TEST_KUBECONFIG` (see harness.ts).
 *
 *   SLIPWAY_TEST_KUBECONFIG=<path>  use that running cluster instead of starting one
 *   SLIPWAY_TEST_KEEP=1             leave the cluster running after the run (prints its kubeconfig)
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { clusterDown, clusterUp } from '../../src/cluster/index.ts';
import { CONTROLLER_NAMESPACE } from '../../src/rollout/index.ts';
import { installManifests } from '../../src/gitops/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the run's cluster. */
    kubeconfig: string;
    /** Data dir of the run's cluster ('' when an external cluster is used). */
    clusterDataDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env['SLIPWAY_TEST_KUBECONFIG'];
  if (external !== undefined && external !== '') {
    project.provide('kubeconfig', external);
    project.provide('clusterDataDir', '');
    return () => Promise.resolve();
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'slipway-it-'));
  const t0 = Date.now();
  // Like `slipway cluster up`: the third-party and slipway CRDs, a slipway controller, Prometheus.
  const objects = [...installManifests({ image: 'unused', crdsOnly: true }), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: CONTROLLER_NAMESPACE } }];
  const controller = { command: [process.execPath, '--disable-warning=ExperimentalWarning', join(import.meta.dirname, '..', '..', 'bin', 'slipway.js')] };
  // And Prometheus with the workload metrics simulator; its URL is in the state (`prometheusUrl`).
  const prometheus = { node: [process.execPath, '--disable-warning=ExperimentalWarning'] };
  const up = await clusterUp({ name: 'it', dataDir, nodes: 3, objects, controller, prometheus }, (step, line) => {
    if (process.env['SLIPWAY_DEBUG']) process.stderr.write(`[cluster] ${step}: ${line}\n`);
  });
  process.stderr.write(`[integration] control plane ${up.serverVersion} up in ${((Date.now() - t0) / 1000).toFixed(1)}s at ${up.server} (${dataDir})\n`);
  process.env['SLIPWAY_TEST_KUBECONFIG'] = up.kubeconfig;
  project.provide('kubeconfig', up.kubeconfig);
  project.provide('clusterDataDir', dataDir);
  return async () => {
    if (process.env['SLIPWAY_TEST_KEEP'] === '1') {
      process.stderr.write(`[integration] kept running: export KUBECONFIG=${up.kubeconfig}; stop: slipway cluster down --data-dir ${dataDir} --name it --delete\n`);
      return;
    }
    await clusterDown({ name: 'it', dataDir, delete: true });
  };
}
