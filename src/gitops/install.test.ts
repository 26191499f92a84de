import { describe, expect, it } from 'vitest';
import { installManifests as rolloutManifests } from '../rollout/index.ts';
import { AGGREGATE_LABEL, CACHE_MOUNT, DEPLOYER_ROLE, DEPLOYER_RULES, GITOPS_ROLE, GITOPS_RULES, SECRETS_ROLE, installManifests } from './install.ts';
import { slipwayAppCrd } from './types.ts';

describe('controller install with GitOps', () => {
  const all = installManifests({ image: 'img' });
  const named = (kind: string, name: string) => all.find((o) => o.kind === kind && o.metadata.name === name);

  it('--crds-only: both CRDs', () => {
    expect(installManifests({ image: 'img', crdsOnly: true }).map((o) => o.metadata.name)).toEqual(['servicerollouts.slipway.dev', 'slipwayapps.slipway.dev']);
  });

  it('--no-gitops: exactly progressive delivery\'s install', () => {
    expect(installManifests({ image: 'img', gitops: false })).toEqual(rolloutManifests({ image: 'img' }));
  });

  it('binds the GitOps role and the aggregated deployer role to the controller\'s ServiceAccount', () => {
    for (const role of [GITOPS_ROLE, DEPLOYER_ROLE]) {
      expect(named('ClusterRoleBinding', role)).toMatchObject({ roleRef: { kind: 'ClusterRole', name: role }, subjects: [{ kind: 'ServiceAccount', name: 'slipway-controller', namespace: 'slipway-system' }] });
    }
    // The aggregated role's rules are the aggregation controller's: not written by the install.
    const agg = named('ClusterRole', DEPLOYER_ROLE);
    expect(agg?.['rules']).toBeUndefined();
    expect(agg?.['aggregationRule']).toEqual({ clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_LABEL]: 'true' } }] });
    expect(named('ClusterRole', `${DEPLOYER_ROLE}-base`)?.metadata.labels?.[AGGREGATE_LABEL]).toBe('true');
    // Ordered: CRDs first, bindings after the ServiceAccount they name.
    const at = (kind: string, name: string): number => all.findIndex((o) => o.kind === kind && o.metadata.name === name);
    expect(at('ServiceAccount', 'slipway-controller')).toBeLessThan(at('ClusterRoleBinding', GITOPS_ROLE));
    expect(all.slice(0, 2).every((o) => o.kind === 'CustomResourceDefinition')).toBe(true);
  });

  it('least privilege: no RBAC objects, no pods/exec, no wildcard; the GitOps role reads no Secret list', () => {
    const rules = [...GITOPS_RULES, ...DEPLOYER_RULES];
    expect(rules.flatMap((r) => r.apiGroups)).not.toContain('rbac.authorization.k8s.io');
    expect(rules.flatMap((r) => [...r.resources, ...r.verbs, ...r.apiGroups])).not.toContain('*');
    expect(rules.flatMap((r) => r.resources)).not.toContain('pods/exec');
    expect(GITOPS_RULES.find((r) => r.resources.includes('secrets'))?.verbs).not.toContain('list');
  });

  it('Secrets are listed and watched only in the controller\'s namespace (registered clusters, webhook secrets), read-only', () => {
    const role = named('Role', SECRETS_ROLE);
    expect(role?.metadata.namespace).toBe('slipway-system');
    expect(role?.['rules']).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }]);
    expect(named('RoleBinding', SECRETS_ROLE)).toMatchObject({ metadata: { namespace: 'slipway-system' }, roleRef: { kind: 'Role', name: SECRETS_ROLE }, subjects: [{ kind: 'ServiceAccount', name: 'slipway-controller', namespace: 'slipway-system' }] });
    // The GitOps role itself lists no Secret anywhere.
    expect(GITOPS_RULES.filter((r) => r.resources.includes('secrets')).flatMap((r) => r.verbs)).not.toContain('watch');
  });

  it('the controller gets a git cache on an emptyDir (its root filesystem is read-only)', () => {
    const d = named('Deployment', 'slipway-controller') as unknown as { spec: { template: { spec: { containers: { args: string[]; volumeMounts: unknown[]; securityContext: { readOnlyRootFilesystem: boolean } }[]; volumes: unknown[] } } } };
    const c = d.spec.template.spec.containers[0]!;
    expect(c.args.slice(-2)).toEqual(['--gitops-cache-dir', `${CACHE_MOUNT}/gitops`]);
    expect(c.volumeMounts).toEqual([{ name: 'cache', mountPath: CACHE_MOUNT }]);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(d.spec.template.spec.volumes).toEqual([{ name: 'cache', emptyDir: { sizeLimit: '2Gi' } }]);
  });
});

describe('the SlipwayApp CRD', () => {
  const crd = slipwayAppCrd() as unknown as { spec: { names: { kind: string; shortNames: string[] }; scope: string; versions: { subresources: unknown; additionalPrinterColumns: { name: string; priority?: number }[]; schema: { openAPIV3Schema: unknown } }[] } };
  const v = crd.spec.versions[0]!;

  it('namespaced, a kind and short names that do not collide with Argo CD\'s Application (app, apps)', () => {
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.kind).toBe('SlipwayApp');
    expect(crd.spec.names.shortNames).not.toContain('app');
    expect(crd.spec.names.shortNames).not.toContain('apps');
  });

  it('status subresource; printer columns sync, health, revision, age', () => {
    expect(v.subresources).toEqual({ status: {} });
    expect(v.additionalPrinterColumns.filter((c) => c.priority === undefined).map((c) => c.name)).toEqual(['Sync', 'Health', 'Revision', 'Age']);
  });

  it('structural: no additionalProperties: false, no $id, every object typed', () => {
    const walk = (s: unknown, path: string): string[] => {
      if (Array.isArray(s)) return s.flatMap((x, i) => walk(x, `${path}[${i}]`));
      if (typeof s !== 'object' || s === null) return [];
      const o = s as Record<string, unknown>;
      const bad = [...('$id' in o ? [`${path}.$id`] : []), ...(o['additionalProperties'] === false ? [`${path}.additionalProperties`] : [])];
      return [...bad, ...Object.entries(o).flatMap(([k, x]) => walk(x, `${path}.${k}`))];
    };
    expect(walk(v.schema.openAPIV3Schema, '')).toEqual([]);
  });
});
