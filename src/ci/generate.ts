import type { AppSpec } from '../appspec/index.ts';
import { buildWorkflow } from './build-workflow.ts';
import { ciWorkflow } from './ci-workflow.ts';
import { deployWorkflow } from './deploy-workflow.ts';
import { resolveOptions, type CiOptions, type ResolvedOptions } from './options.ts';
import { withHeader, workflowYaml } from './write.ts';

/**
 * The GitHub Actions workflows for an app: file name (under .github/workflows/) → content.
 * Pure and deterministic: the same spec and options give byte-identical files.
 */
export function generateGithubWorkflows(spec: AppSpec, options: CiOptions): Map<string, string> {
  const o = resolveOptions(spec, options);
  const files = new Map<string, string>();
  files.set('ci.yml', withHeader(workflowYaml(ciWorkflow(spec, o)), ciNotes(o)));
  const build = buildWorkflow(spec, o);
  if (build !== undefined) files.set('build.yml', withHeader(workflowYaml(build), buildNotes(o)));
  files.set('deploy.yml', withHeader(workflowYaml(deployWorkflow(o, build !== undefined)), deployNotes(o)));
  return files;
}

function ciNotes(o: ResolvedOptions): string[] {
  return [
    `Checks for every environment (${o.environments.join(', ')}): slipway lint, the services' tests, gitleaks,`,
    'trivy (filesystem + IaC) and Semgrep. Findings are uploaded to code scanning (Security tab).',
    'Make the jobs required status checks in the branch protection of main.',
  ];
}

function buildNotes(o: ResolvedOptions): string[] {
  return [
    `Images are pushed to ${o.registry} with git-SHA (and, on v* tags, semver) tags,`,
    'with SBOM and provenance attestations, and signed keylessly with cosign (Sigstore). Verify with:',
    '  cosign verify <image>@<digest> --certificate-identity-regexp "^https://github.com/<owner>/<repo>/" \\',
    '    --certificate-oidc-issuer https://token.actions.githubusercontent.com',
    ...(o.registry.startsWith('ghcr.io/') ? [] : ['Set the REGISTRY_USERNAME and REGISTRY_PASSWORD secrets for the registry.']),
  ];
}

function deployNotes(o: ResolvedOptions): string[] {
  const access: Record<typeof o.cloud, string[]> = {
    none: ['Cluster access: an Environment secret KUBECONFIG per environment (a kubeconfig with a deploy-scoped ServiceAccount).'],
    aws: ['Cluster access: OIDC to AWS. Environment variables AWS_ROLE_ARN, AWS_REGION, EKS_CLUSTER; the role trusts', 'token.actions.githubusercontent.com with sub "repo:<owner>/<repo>:environment:<name>".'],
    gcp: ['Cluster access: OIDC to Google Cloud (Workload Identity Federation). Environment variables', 'GCP_WORKLOAD_IDENTITY_PROVIDER, GCP_SERVICE_ACCOUNT, GCP_PROJECT, GKE_CLUSTER, GKE_LOCATION.'],
    azure: ['Cluster access: OIDC to Azure (federated credential on an app registration). Environment variables', 'AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID, AKS_RESOURCE_GROUP, AKS_CLUSTER.'],
  };
  return [
    `Deploys ${o.environments.join(' -> ')} after a successful build of main.`,
    'Repository settings -> Environments: create one Environment per target. For "production", add',
    'required reviewers (and restrict deployment branches to main): the production job waits for approval.',
    ...access[o.cloud],
    'Failure notifications: secret SLACK_WEBHOOK_URL (Slack incoming webhook) or NOTIFY_WEBHOOK_URL (generic JSON POST).',
  ];
}
