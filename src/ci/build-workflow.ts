/**
 * build.yml: one matrix leg per service with a `build:` context. Buildx with the GitHub Actions
 * cache, SBOM and max-mode provenance attestations, push, then keyless cosign signing by digest.
 */
import type { AppSpec } from '../appspec/index.ts';
import { usesRef } from './actions.ts';
import type { Workflow } from './model.ts';
import { fromRoot, type ResolvedOptions } from './options.ts';
import { checkout, RUNNER } from './steps.ts';

interface BuildTarget {
  readonly service: string;
  readonly context: string;
  readonly dockerfile: string;
  readonly image: string;
}

function buildTargets(spec: AppSpec, o: ResolvedOptions): BuildTarget[] {
  // Services, Jobs (a migration built from the app's repository) and CronJobs alike.
  const workloads = [...Object.entries(spec.services), ...Object.entries(spec.jobs ?? {}), ...Object.entries(spec.cronJobs ?? {})];
  return workloads
    .filter(([, s]) => s.build !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, s]) => {
      const context = fromRoot(o, s.build?.context ?? '.');
      return {
        service,
        context,
        dockerfile: fromRoot(o, `${s.build?.context ?? '.'}/${s.build?.dockerfile ?? 'Dockerfile'}`),
        image: `${o.registry}/${spec.app}-${service}`,
      };
    });
}

export function buildWorkflow(spec: AppSpec, o: ResolvedOptions): Workflow | undefined {
  const targets = buildTargets(spec, o);
  if (targets.length === 0) return undefined;
  const ghcr = o.registry.startsWith('ghcr.io/');
  const registryHost = o.registry.split('/')[0] ?? o.registry;
  return {
    name: 'build',
    on: { push: { branches: ['main'], tags: ['v*'] }, workflow_dispatch: {} },
    permissions: {},
    // Superseded builds of a branch may be cancelled; the newest commit's images are what deploys.
    concurrency: { group: 'build-${{ github.ref }}', 'cancel-in-progress': true },
    jobs: {
      image: {
        name: 'image ${{ matrix.service }}',
        'runs-on': RUNNER,
        permissions: {
          contents: 'read',
          ...(ghcr ? { packages: 'write' as const } : {}),
          // Keyless signing: cosign exchanges the job's OIDC token for a Fulcio certificate.
          'id-token': 'write',
        },
        strategy: { 'fail-fast': false, matrix: { include: targets.map((t) => ({ ...t })) } },
        'timeout-minutes': 60,
        steps: [
          checkout(),
          { name: 'Set up Buildx', uses: usesRef('setupBuildx') },
          {
            name: 'Log in to the registry',
            uses: usesRef('login'),
            with: ghcr
              ? { registry: 'ghcr.io', username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' }
              : { registry: registryHost, username: '${{ secrets.REGISTRY_USERNAME }}', password: '${{ secrets.REGISTRY_PASSWORD }}' },
          },
          {
            name: 'Image metadata',
            id: 'meta',
            uses: usesRef('metadata'),
            with: {
              images: '${{ matrix.image }}',
              // Immutable git-SHA tags always; semver tags when a v* tag is pushed.
              tags: ['type=sha,format=long', 'type=ref,event=branch', 'type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}'].join('\n'),
            },
          },
          {
            name: 'Build and push',
            id: 'build',
            uses: usesRef('buildPush'),
            with: {
              context: '${{ matrix.context }}',
              file: '${{ matrix.dockerfile }}',
              push: true,
              tags: '${{ steps.meta.outputs.tags }}',
              labels: '${{ steps.meta.outputs.labels }}',
              'cache-from': 'type=gha,scope=${{ matrix.service }}',
              'cache-to': 'type=gha,mode=max,scope=${{ matrix.service }}',
              sbom: true,
              provenance: 'mode=max',
            },
          },
          { name: 'Install cosign', uses: usesRef('cosignInstaller') },
          {
            name: 'Sign the image (keyless)',
            // Sign the digest, never a tag: a tag can be moved to another image after signing.
            run: 'image="${IMAGE,,}"\ncosign sign --yes "${image}@${DIGEST}"',
            env: { IMAGE: '${{ matrix.image }}', DIGEST: '${{ steps.build.outputs.digest }}' },
          },
        ],
      },
    },
  };
}
