/**
 * ci.yml: on pull requests and pushes to main. slipway lint of every environment's rendered
 * manifests, the services' own tests, gitleaks, trivy (fs + IaC) and Semgrep, each uploading SARIF
 * to code scanning; trivy also gates on HIGH/CRITICAL.
 */
import type { AppSpec } from '../appspec/index.ts';
import { TOOLS } from './actions.ts';
import type { Job, Workflow } from './model.ts';
import { fromRoot, type ResolvedOptions } from './options.ts';
import { checkout, installSlipway, RUNNER, setupGo, uploadSarif } from './steps.ts';

const READ = { contents: 'read' } as const;
const SARIF = { contents: 'read', 'security-events': 'write' } as const;

export function ciWorkflow(spec: AppSpec, o: ResolvedOptions): Workflow {
  return {
    name: 'ci',
    on: { pull_request: {}, push: { branches: ['main'] } },
    permissions: {},
    // A newer push supersedes the running checks of the same branch or PR.
    concurrency: { group: 'ci-${{ github.workflow }}-${{ github.ref }}', 'cancel-in-progress': true },
    jobs: {
      'slipway-lint': lintJob(o),
      ...testJobs(spec, o),
      gitleaks: gitleaksJob(),
      trivy: trivyJob(),
      semgrep: semgrepJob(),
    },
  };
}

function lintJob(o: ResolvedOptions): Job {
  return {
    name: 'slipway lint (${{ matrix.environment }})',
    'runs-on': RUNNER,
    permissions: SARIF,
    strategy: { 'fail-fast': false, matrix: { environment: [...o.environments] } },
    'timeout-minutes': 15,
    steps: [
      checkout(),
      ...installSlipway(o),
      {
        name: 'Render manifests',
        run: 'mkdir -p rendered\nslipway render "$SPEC_DIR" --env "$ENVIRONMENT" --no-lint > "rendered/$ENVIRONMENT.yaml"',
        env: { SPEC_DIR: o.specDir, ENVIRONMENT: '${{ matrix.environment }}' },
      },
      {
        name: 'Lint manifests',
        run: 'slipway lint "rendered/$ENVIRONMENT.yaml" -o sarif > slipway-lint.sarif',
        env: { ENVIRONMENT: '${{ matrix.environment }}' },
      },
      uploadSarif('slipway-lint.sarif', 'slipway-lint-${{ matrix.environment }}'),
    ],
  };
}

function testJobs(spec: AppSpec, o: ResolvedOptions): Record<string, Job> {
  const jobs: Record<string, Job> = {};
  for (const [name, svc] of Object.entries(spec.services).sort(([a], [b]) => a.localeCompare(b))) {
    if (svc.test === undefined) continue;
    const dir = fromRoot(o, svc.test.workingDir ?? svc.build?.context ?? '.');
    jobs[`test-${name}`] = {
      name: `test ${name}`,
      'runs-on': RUNNER,
      permissions: READ,
      ...(svc.test.image !== undefined ? { container: { image: svc.test.image } } : {}),
      'timeout-minutes': 30,
      steps: [checkout(), { name: `Test ${name}`, run: svc.test.command, 'working-directory': dir, shell: 'sh' }],
    };
  }
  return jobs;
}

function gitleaksJob(): Job {
  return {
    name: 'secret scan (gitleaks)',
    'runs-on': RUNNER,
    permissions: SARIF,
    'timeout-minutes': 15,
    steps: [
      // Full history: a secret removed in a later commit is still leaked.
      checkout({ 'fetch-depth': 0 }),
      setupGo(),
      {
        name: 'Install gitleaks',
        // go install verifies the module against the Go checksum database; no licence needed.
        run: 'go install "$GITLEAKS_MODULE"\necho "$(go env GOPATH)/bin" >> "$GITHUB_PATH"',
        env: { GITLEAKS_MODULE: TOOLS.gitleaks },
      },
      { name: 'Scan for secrets', run: 'gitleaks git --redact --exit-code 1 --report-format sarif --report-path gitleaks.sarif .' },
      uploadSarif('gitleaks.sarif', 'gitleaks'),
    ],
  };
}

function trivyJob(): Job {
  return {
    name: 'vulnerability and IaC scan (trivy)',
    'runs-on': RUNNER,
    permissions: SARIF,
    'timeout-minutes': 30,
    steps: [
      checkout(),
      setupGo(),
      {
        name: 'Install trivy',
        // Built from source at a pre-incident version (GHSA-69fq-xp46-6x23) rather than through
        // aquasecurity/trivy-action, whose tags were force-pushed to malicious commits.
        run: 'go install "$TRIVY_MODULE"\necho "$(go env GOPATH)/bin" >> "$GITHUB_PATH"',
        env: { TRIVY_MODULE: TOOLS.trivy },
      },
      {
        name: 'Scan (SARIF)',
        run: [
          'trivy fs --scanners vuln,secret,misconfig --format sarif --output trivy-fs.sarif .',
          'trivy config --format sarif --output trivy-config.sarif .',
        ].join('\n'),
      },
      uploadSarif('trivy-fs.sarif', 'trivy-fs'),
      uploadSarif('trivy-config.sarif', 'trivy-config'),
      {
        name: 'Gate on HIGH and CRITICAL',
        run: [
          'trivy fs --scanners vuln,secret,misconfig --severity HIGH,CRITICAL --exit-code 1 --format table .',
          'trivy config --severity HIGH,CRITICAL --exit-code 1 --format table .',
        ].join('\n'),
      },
    ],
  };
}

function semgrepJob(): Job {
  return {
    name: 'static analysis (semgrep)',
    'runs-on': RUNNER,
    permissions: SARIF,
    'timeout-minutes': 30,
    steps: [
      checkout(),
      {
        name: 'Semgrep',
        // Run through the official image; no token is passed into the container.
        run: [
          'docker run --rm --user "$(id -u):$(id -g)" -e HOME=/tmp -v "$PWD:/src" -w /src "$SEMGREP_IMAGE" \\',
          '  semgrep scan --config p/default --metrics=off --error --sarif --output semgrep.sarif',
        ].join('\n'),
        env: { SEMGREP_IMAGE: TOOLS.semgrepImage },
      },
      uploadSarif('semgrep.sarif', 'semgrep'),
    ],
  };
}
