/**
 * deploy.yml: after a successful build of main, deploy to the first environment and smoke-check
 * it with `slipway status`; then promote environment by environment, production through a GitHub
 * Environment whose required reviewers approve the run. Failures notify a webhook.
 */
import { usesRef } from './actions.ts';
import type { Job, Permissions, Step, Workflow } from './model.ts';
import { githubEnvironment, type Cloud, type ResolvedOptions } from './options.ts';
import { checkout, installSlipway, RUNNER } from './steps.ts';

/** The commit being deployed: the one the build ran on, or the dispatched ref. */
const REVISION = '${{ github.event.workflow_run.head_sha || github.sha }}';

export function deployWorkflow(o: ResolvedOptions, hasBuild: boolean): Workflow {
  const jobs: Record<string, Job> = {};
  const ids: string[] = [];
  o.environments.forEach((env, i) => {
    const id = `deploy-${env}`;
    const previous = ids[i - 1];
    jobs[id] = deployJob({ env, o, needs: previous, hasBuild });
    ids.push(id);
  });
  jobs['notify-failure'] = notifyJob(ids);
  return {
    name: 'deploy',
    on: hasBuild
      ? { workflow_run: { workflows: ['build'], types: ['completed'], branches: ['main'] }, workflow_dispatch: {} }
      : { push: { branches: ['main'] }, workflow_dispatch: {} },
    permissions: {},
    // One deploy at a time, queued in order; a running deploy is never cancelled half-way.
    concurrency: { group: 'deploy-${{ github.repository }}', 'cancel-in-progress': false },
    jobs,
  };
}

function cloudPermissions(cloud: Cloud): Permissions {
  // id-token: write only where OIDC federation is used; a KUBECONFIG secret needs no token.
  return cloud === 'none' ? { contents: 'read' } : { contents: 'read', 'id-token': 'write' };
}

interface DeployJobInput {
  readonly env: string;
  readonly o: ResolvedOptions;
  readonly needs: string | undefined;
  readonly hasBuild: boolean;
}

/**
 * The same `slipway deploy` in every environment: a service's rollout strategy travels with the
 * spec (rendered onto its workload, see src/appspec/strategy.ts), so no flag selects it here.
 */
function deployJob({ env, o, needs, hasBuild }: DeployJobInput): Job {
  // Only main deploys (a manual dispatch from another branch does not), and only after a green build.
  const gate = hasBuild
    ? "github.ref == 'refs/heads/main' && (github.event_name == 'workflow_dispatch' || github.event.workflow_run.conclusion == 'success')"
    : "github.ref == 'refs/heads/main'";
  return {
    name: `deploy ${env}`,
    'runs-on': RUNNER,
    ...(needs !== undefined ? { needs: [needs] } : {}),
    ...(needs === undefined ? { if: gate } : {}),
    permissions: cloudPermissions(o.cloud),
    // Environment-scoped vars and secrets (cluster names, role ARNs, KUBECONFIG) live on the GitHub
    // Environment; production's required reviewers approve before this job starts.
    environment: { name: githubEnvironment(env) },
    'timeout-minutes': 30,
    env: { SPEC_DIR: o.specDir, ENVIRONMENT: env, REVISION },
    steps: [
      checkout({ ref: REVISION }),
      ...installSlipway(o),
      ...clusterAccess(o.cloud),
      // The images build.yml pushed for this commit carry the tag sha-<commit> (docker/metadata-action type=sha,format=long).
      { name: `Deploy to ${env}`, run: `slipway deploy "$SPEC_DIR" --env "$ENVIRONMENT"${hasBuild ? ' --image-tag "sha-${REVISION}"' : ''} --wait` },
      { name: 'Smoke check', run: 'slipway status "$SPEC_DIR" --env "$ENVIRONMENT"' },
      {
        name: 'Job summary',
        if: '${{ always() }}',
        run: [
          '{',
          '  echo "### Deploy to ${ENVIRONMENT}: ${JOB_STATUS}"',
          '  echo ""',
          '  echo "Revision: \\`${REVISION}\\`"',
          '} >> "$GITHUB_STEP_SUMMARY"',
        ].join('\n'),
        env: { JOB_STATUS: '${{ job.status }}' },
      },
    ],
  };
}

/** Steps that leave a kubeconfig for the target cluster in $KUBECONFIG. */
function clusterAccess(cloud: Cloud): Step[] {
  switch (cloud) {
    case 'aws':
      return [
        {
          name: 'AWS credentials (OIDC)',
          uses: usesRef('awsCredentials'),
          with: { 'role-to-assume': '${{ vars.AWS_ROLE_ARN }}', 'aws-region': '${{ vars.AWS_REGION }}', 'role-session-name': 'slipway-deploy' },
        },
        {
          name: 'EKS kubeconfig',
          run: 'aws eks update-kubeconfig --name "$EKS_CLUSTER" --region "$AWS_REGION" --kubeconfig "$RUNNER_TEMP/kubeconfig"\necho "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"',
          env: { EKS_CLUSTER: '${{ vars.EKS_CLUSTER }}', AWS_REGION: '${{ vars.AWS_REGION }}' },
        },
      ];
    case 'gcp':
      return [
        {
          name: 'Google Cloud credentials (OIDC)',
          uses: usesRef('gcpAuth'),
          with: { workload_identity_provider: '${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}', service_account: '${{ vars.GCP_SERVICE_ACCOUNT }}' },
        },
        {
          // A shell step rather than google-github-actions/get-gke-credentials: no commit SHA for
          // that action could be verified.
          name: 'GKE kubeconfig',
          run: [
            'sudo apt-get install -y --no-install-recommends google-cloud-cli-gke-gcloud-auth-plugin',
            'export KUBECONFIG="$RUNNER_TEMP/kubeconfig"',
            'gcloud container clusters get-credentials "$GKE_CLUSTER" --location "$GKE_LOCATION" --project "$GCP_PROJECT"',
            'echo "KUBECONFIG=$KUBECONFIG" >> "$GITHUB_ENV"',
          ].join('\n'),
          env: { GKE_CLUSTER: '${{ vars.GKE_CLUSTER }}', GKE_LOCATION: '${{ vars.GKE_LOCATION }}', GCP_PROJECT: '${{ vars.GCP_PROJECT }}' },
        },
      ];
    case 'azure':
      return [
        {
          name: 'Azure login (OIDC)',
          uses: usesRef('azureLogin'),
          with: { 'client-id': '${{ vars.AZURE_CLIENT_ID }}', 'tenant-id': '${{ vars.AZURE_TENANT_ID }}', 'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}' },
        },
        {
          name: 'AKS kubeconfig',
          uses: usesRef('aksSetContext'),
          with: { 'resource-group': '${{ vars.AKS_RESOURCE_GROUP }}', 'cluster-name': '${{ vars.AKS_CLUSTER }}' },
        },
      ];
    case 'none':
      return [
        {
          name: 'Kubeconfig from secret',
          // Written with umask 077 and passed through env: the secret never appears in the script.
          run: 'umask 077\nprintf \'%s\\n\' "$KUBECONFIG_DATA" > "$RUNNER_TEMP/kubeconfig"\necho "KUBECONFIG=$RUNNER_TEMP/kubeconfig" >> "$GITHUB_ENV"',
          env: { KUBECONFIG_DATA: '${{ secrets.KUBECONFIG }}' },
        },
      ];
  }
}

function notifyJob(needs: readonly string[]): Job {
  return {
    name: 'notify on failure',
    'runs-on': RUNNER,
    needs: [...needs],
    if: '${{ failure() }}',
    permissions: {},
    'timeout-minutes': 5,
    steps: [
      {
        name: 'Notify',
        // Webhook URLs are secrets: they reach curl through env and are never echoed.
        run: [
          'text="Deploy of ${REPOSITORY}@${REVISION} failed: ${RUN_URL}"',
          'if [ -n "$SLACK_WEBHOOK_URL" ]; then',
          '  jq -n --arg text "$text" \'{text: $text}\' | curl -fsS -X POST -H "Content-Type: application/json" --data @- "$SLACK_WEBHOOK_URL"',
          'elif [ -n "$NOTIFY_WEBHOOK_URL" ]; then',
          '  jq -n --arg text "$text" --arg revision "$REVISION" \'{text: $text, revision: $revision, status: "failure"}\' | curl -fsS -X POST -H "Content-Type: application/json" --data @- "$NOTIFY_WEBHOOK_URL"',
          'else',
          '  echo "::warning::deploy failed and neither SLACK_WEBHOOK_URL nor NOTIFY_WEBHOOK_URL is set"',
          'fi',
        ].join('\n'),
        env: {
          SLACK_WEBHOOK_URL: '${{ secrets.SLACK_WEBHOOK_URL }}',
          NOTIFY_WEBHOOK_URL: '${{ secrets.NOTIFY_WEBHOOK_URL }}',
          REPOSITORY: '${{ github.repository }}',
          REVISION,
          RUN_URL: '${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}',
        },
      },
    ],
  };
}
