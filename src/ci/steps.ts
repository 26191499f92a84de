/** Steps shared by the generated workflows. */
import { TOOLS, usesRef } from './actions.ts';
import type { Step } from './model.ts';
import type { ResolvedOptions } from './options.ts';

export const RUNNER = 'ubuntu-24.04';

/**
 * Checkout without leaving the token in .git/config: later steps run third-party tools, and a
 * persisted token would let them push.
 */
export function checkout(extra: Readonly<Record<string, string | number | boolean>> = {}): Step {
  return { name: 'Check out', uses: usesRef('checkout'), with: { 'persist-credentials': false, ...extra } };
}

export function installSlipway(o: ResolvedOptions): Step[] {
  return [
    { name: 'Set up Node', uses: usesRef('setupNode'), with: { 'node-version': TOOLS.nodeVersion } },
    {
      name: 'Install slipway',
      // --ignore-scripts: no install-time code from the registry runs with the job's token.
      run: 'npm install --global --ignore-scripts "slipway@${SLIPWAY_VERSION}"\nslipway --version',
      env: { SLIPWAY_VERSION: o.slipwayVersion },
    },
  ];
}

export function setupGo(): Step {
  return { name: 'Set up Go', uses: usesRef('setupGo'), with: { 'go-version': TOOLS.goVersion, cache: false } };
}

/**
 * Upload a SARIF file to code scanning; runs even when the scanner step failed, so findings show.
 * Skipped on pull requests from forks: their token is read-only, so the upload could only fail
 * (the scan itself still runs and gates the PR).
 */
export function uploadSarif(file: string, category: string): Step {
  return {
    name: `Upload ${category} SARIF`,
    if: `\${{ !cancelled() && hashFiles('${file}') != '' && (github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository) }}`,
    uses: usesRef('codeqlUploadSarif', '/upload-sarif'),
    with: { sarif_file: file, category },
  };
}
