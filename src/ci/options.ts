import { posix } from 'node:path';
import { inputError } from '../errors/index.ts';
import type { AppSpec } from '../appspec/index.ts';

export const CLOUDS = ['aws', 'gcp', 'azure', 'none'] as const;
export type Cloud = (typeof CLOUDS)[number];

/** What `slipway ci github` was asked for. */
export interface CiOptions {
  /**
   * Registry the images are pushed to.
   * @default `ghcr.io/${{ github.repository_owner }}`
   * @see https://docs.github.com/en/packages/working-with-a-github-packages-registry/working-with-the-container-registry
   */
  readonly registry?: string;
  /**
   * How deploy jobs reach the cluster: OIDC federation to a cloud, or a `KUBECONFIG` secret.
   * @default none
   * @see https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
   */
  readonly cloud?: Cloud;
  /**
   * Environments in promotion order; the first deploys on every push to main, the others after it,
   * through GitHub Environments (`prod`/`production` maps to the `production` Environment).
   * @default the spec's `environments` keys, else `staging, prod`
   */
  readonly environments?: readonly string[];
  /**
   * Directory of slipway.yaml relative to the repository root (workflows run from the root).
   * @default .
   */
  readonly specDir?: string;
  /** slipway version the workflows install (`npm install -g slipway@<version>`). */
  readonly slipwayVersion: string;
}

/** Options with defaults applied and checked. */
export interface ResolvedOptions {
  readonly registry: string;
  readonly cloud: Cloud;
  readonly environments: readonly string[];
  readonly specDir: string;
  readonly slipwayVersion: string;
}

const ENV_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// A registry is host[:port][/path]; no scheme, no tag. `${{ … }}` is allowed for the owner part.
const REGISTRY = /^[a-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._${}\s-]+)*$/;

export function resolveOptions(spec: AppSpec, o: CiOptions): ResolvedOptions {
  const environments = o.environments ?? defaultEnvironments(spec);
  if (environments.length === 0) {
    throw inputError('no environments to deploy to', { cause: environments, expected: 'at least one environment', hint: 'pass --environments staging,prod' });
  }
  for (const e of environments) {
    if (!ENV_NAME.test(e)) {
      throw inputError(`invalid environment name "${e}"`, { cause: e, expected: 'a DNS-1123 label (lowercase letters, digits, -)', hint: 'e.g. --environments staging,prod' });
    }
  }
  if (new Set(environments).size !== environments.length) {
    throw inputError(`environment listed twice in "${environments.join(',')}"`, { cause: environments, expected: 'distinct names' });
  }
  const registry = o.registry ?? 'ghcr.io/${{ github.repository_owner }}';
  if (!REGISTRY.test(registry) || registry.endsWith('/')) {
    throw inputError(`invalid registry "${registry}"`, { cause: registry, expected: 'host[/path] without scheme or tag', hint: 'e.g. --registry ghcr.io/acme' });
  }
  const specDir = posix.normalize(o.specDir ?? '.');
  if (specDir.startsWith('..') || posix.isAbsolute(specDir)) {
    throw inputError(`slipway.yaml must be inside the repository, got "${specDir}"`, { cause: specDir, expected: 'a relative path under the repository root' });
  }
  return { registry, cloud: o.cloud ?? 'none', environments, specDir, slipwayVersion: o.slipwayVersion };
}

function defaultEnvironments(spec: AppSpec): readonly string[] {
  const declared = Object.keys(spec.environments ?? {});
  if (declared.length === 0) return ['staging', 'prod'];
  // Promotion order: anything dev-like first, production last; the rest keep the spec's order.
  const rank = (e: string): number => (/^(dev|development|test|qa)$/.test(e) ? 0 : /^(prod|production)$/.test(e) ? 2 : 1);
  return [...declared].sort((a, b) => rank(a) - rank(b));
}

/** The GitHub Environment a slipway environment deploys through. */
export function githubEnvironment(env: string): string {
  return env === 'prod' || env === 'production' ? 'production' : env;
}

/** A path relative to the spec, as seen from the repository root. */
export function fromRoot(o: ResolvedOptions, p: string): string {
  return posix.normalize(posix.join(o.specDir, p));
}
