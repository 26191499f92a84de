/**
 * The one table of third-party GitHub Actions the generated workflows use, each pinned to a full
 * 40-hex commit SHA. Tags are mutable (an attacker with push rights can move them, as happened to
 * aquasecurity/trivy-action in March 2026, GHSA-69fq-xp46-6x23); a commit SHA is not.
 *
 * Every SHA here was taken from public workflow files and cross-checked against at least one other
 * independent file showing the same SHA for the same tag (see `source`). `slipway ci pin`
 * re-resolves the tags through the GitHub REST API and rewrites this table.
 *
 * Deliberately NOT used, because no SHA could be verified from public sources, or because a tool
 * is safer installed another way:
 * - google-github-actions/get-gke-credentials: no verifiable SHA found; a `gcloud container
 *   clusters get-credentials` shell step is used instead.
 * - aquasecurity/trivy-action and aquasecurity/setup-trivy: tags were force-pushed to malicious
 *   commits (GHSA-69fq-xp46-6x23). Trivy is built with `go install` at the pre-incident v0.69.3,
 *   which the Go checksum database verifies (v0.69.4 was the malicious release).
 * - gitleaks/gitleaks-action: needs a licence for organisations; gitleaks is built with `go install`.
 */

export interface PinnedAction {
  /** `owner/repo` (the tag/ref lives on this repository). */
  readonly repo: string;
  /** Full 40-hex commit SHA the tag pointed to when verified. */
  readonly sha: string;
  /** The release tag, e.g. `v5.0.0`; written as the `# v…` comment after the SHA. */
  readonly tag: string;
  /** Where the SHA ↔ tag pairing was read, and how it was cross-checked. */
  readonly source: string;
}

// slipway-ci-pin: begin table (rewritten by `slipway ci pin`; keep one entry per line)
export const ACTIONS = {
  checkout: { repo: 'actions/checkout', sha: '08c6903cd8c0fde910a37f88322edcfb5dd907a8', tag: 'v5.0.0', source: 'argoproj/argo-cd .github/workflows/image-reuse.yaml @03cfc1ca35221f9393dc85f5a6cdb63d97d86ce5; same SHA with "# v5.0.0" in 9 further independent workflow files' },
  setupNode: { repo: 'actions/setup-node', sha: 'a0853c24544627f65ddf259abe73b1d18a591444', tag: 'v5.0.0', source: 'GitHub runner logs (Sept 2025, 5 runs): "Download action repository actions/setup-node@v5 (SHA:a0853c24…)" while v5.0.0 was the only v5 release; 10 files pin it as "# v5" / "# v5.0.0", none disagree' },
  setupGo: { repo: 'actions/setup-go', sha: '44694675825211faa026b3c33043df3e48a5fa00', tag: 'v6.0.0', source: 'argoproj/argo-cd .github/workflows/image-reuse.yaml @03cfc1ca35221f9393dc85f5a6cdb63d97d86ce5; 5 other files label it v6.0.0' },
  codeqlUploadSarif: { repo: 'github/codeql-action', sha: 'ff0a06e83cb2de871e5a09832bc6a81e7276941f', tag: 'v3.28.18', source: 'code search: 10 files pin upload-sarif/init at this SHA as "# v3.28.18" (one notes it is the commit, not the annotated tag object); github/codeql-action CHANGELOG compare link starts at this SHA' },
  setupBuildx: { repo: 'docker/setup-buildx-action', sha: 'e468171a9de216ec08956ac3ada2f0791b6bd435', tag: 'v3.11.1', source: 'argoproj/argo-cd .github/workflows/image-reuse.yaml @03cfc1ca35221f9393dc85f5a6cdb63d97d86ce5; a GitHub runner log (2025-10-01) resolved setup-buildx-action@v3 to this SHA; 5 files label it v3.11.1' },
  login: { repo: 'docker/login-action', sha: '5e57cd118135c172c3672efd75eb46360885c0ef', tag: 'v3.6.0', source: 'argoproj/argo-cd .github/workflows/image-reuse.yaml @03cfc1ca35221f9393dc85f5a6cdb63d97d86ce5; 5 other files label it v3.6.0' },
  metadata: { repo: 'docker/metadata-action', sha: '902fa8ec7d6ecbf8d84d538b9b233a880e428804', tag: 'v5.7.0', source: 'code search: 10 independent workflow files pin this SHA as "# v5.7.0" (one as "# v5"); none disagree' },
  buildPush: { repo: 'docker/build-push-action', sha: '263435318d21b8e681c14492fe198d362a7d2c83', tag: 'v6.18.0', source: 'argoproj/argo-cd .github/workflows/image-reuse.yaml @03cfc1ca35221f9393dc85f5a6cdb63d97d86ce5; 5 other files label it v6.18.0' },
  cosignInstaller: { repo: 'sigstore/cosign-installer', sha: 'd7543c93d881b35a8faa02e8e3605f69b7a1ce62', tag: 'v3.10.0', source: 'argoproj/argo-cd .github/workflows/image-reuse.yaml @03cfc1ca35221f9393dc85f5a6cdb63d97d86ce5; a pin table elsewhere lists "cosign-installer | v3.10.0 | d7543c93…"' },
  awsCredentials: { repo: 'aws-actions/configure-aws-credentials', sha: 'ececac1a45f3b08a01d2dd070d28d111c5fe6722', tag: 'v4.1.0', source: 'code search: 10 independent workflow files pin this SHA as "# v4.1.0"; none disagree' },
  gcpAuth: { repo: 'google-github-actions/auth', sha: '71f986410dfbc7added4569d411d040a91dc6935', tag: 'v2.1.8', source: 'code search: 6 files pin this SHA as "# v2.1.8" (one outlier comment says v2.1.3)' },
  azureLogin: { repo: 'azure/login', sha: 'a457da9ea143d694b1b9c7c869ebb04ebe844ef5', tag: 'v2.3.0', source: 'code search: 6 files pin this SHA as "# v2.3.0" (one generated plan says v2.2.0; the majority and the newest agree on v2.3.0)' },
  aksSetContext: { repo: 'azure/aks-set-context', sha: 'c7eb093e5a5d47caa333f64974d5fd1cd4bf069d', tag: 'v4.0.3', source: 'code search: 3 independent files pin this SHA as "# v4.0.3"' },
} as const satisfies Record<string, PinnedAction>;
// slipway-ci-pin: end table

export type ActionId = keyof typeof ACTIONS;

/** `owner/repo[/path]@sha` for a `uses:`; the `# tag` comment is added when the YAML is written. */
export function usesRef(id: ActionId, subPath = ''): string {
  const a: PinnedAction = ACTIONS[id];
  return `${a.repo}${subPath}@${a.sha}`;
}

/** The tag for a pinned SHA, so the writer can add `# vX.Y.Z` after each `uses:`. */
export function tagForSha(sha: string): string | undefined {
  return Object.values(ACTIONS).find((a: PinnedAction) => a.sha === sha)?.tag;
}

/**
 * Tools installed by the workflows without a marketplace action. Versions pinned; `go install`
 * downloads are verified against the Go checksum database (sum.golang.org).
 */
export const TOOLS = {
  /** Pre-incident release; v0.69.4 was the malicious build (GHSA-69fq-xp46-6x23). */
  trivy: 'github.com/aquasecurity/trivy/cmd/trivy@v0.69.3',
  gitleaks: 'github.com/zricethezav/gitleaks/v8@v8.30.1',
  /**
   * Semgrep's container image, pinned by version tag: no digest for it could be verified from
   * public sources here, so it is not pinned by digest (documented in the report).
   */
  semgrepImage: 'semgrep/semgrep:1.172.0',
  /** Go toolchain for the `go install` steps (trivy v0.69.3 needs Go ≥ 1.25). */
  goVersion: '1.25.x',
  /** Node for running slipway itself. */
  nodeVersion: '24',
} as const;
