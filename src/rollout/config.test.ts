import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../manifest/index.ts';
import { unusedConfig, versionConfig, versionedConfigOf } from './config.ts';

const cm = (name: string, data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop', labels: { app: 'api' } }, data });
const secret = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop' }, type: 'Opaque', data: { token: 'c2VjcmV0' } });
const template = (spec: Record<string, unknown>): Record<string, unknown> => ({ metadata: { labels: { app: 'api' } }, spec });

describe('versionConfig: the config a release mounts is versioned by content', () => {
  const settings = cm('settings', { LOG_LEVEL: 'info' });
  const spec = {
    containers: [{ name: 'api', envFrom: [{ configMapRef: { name: 'settings' } }, { secretRef: { name: 'api-token' } }], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LOG_LEVEL' } } }] }],
    volumes: [{ name: 'a', configMap: { name: 'settings' } }, { name: 'b', secret: { secretName: 'api-token' } }, { name: 'c', projected: { sources: [{ configMap: { name: 'settings' } }] } }, { name: 'd', configMap: { name: 'external' } }],
  };

  it('every reference to a carried ConfigMap or Secret points at one immutable copy per object; others stay', () => {
    const { template: t, copies } = versionConfig('api', template(spec), [settings, secret('api-token')]);
    const cmName = copies.find((c) => c.kind === 'ConfigMap')?.metadata.name ?? '';
    const secretName = copies.find((c) => c.kind === 'Secret')?.metadata.name ?? '';
    expect(cmName).toMatch(/^settings-[0-9a-f]{10}$/);
    expect(secretName).toMatch(/^api-token-[0-9a-f]{10}$/);
    expect(copies).toHaveLength(2);
    const names = (paths: string[]): unknown[] => paths.map((p) => p.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], t));
    expect(names(['spec.containers.0.envFrom.0.configMapRef.name', 'spec.containers.0.env.0.valueFrom.configMapKeyRef.name', 'spec.volumes.0.configMap.name', 'spec.volumes.2.projected.sources.0.configMap.name'])).toEqual([cmName, cmName, cmName, cmName]);
    expect(names(['spec.containers.0.envFrom.1.secretRef.name', 'spec.volumes.1.secret.secretName'])).toEqual([secretName, secretName]);
    expect(names(['spec.volumes.3.configMap.name'])).toEqual(['external']);
    const copy = copies.find((c) => c.kind === 'ConfigMap');
    expect(copy).toMatchObject({ immutable: true, data: { LOG_LEVEL: 'info' }, metadata: { namespace: 'shop', labels: { app: 'api', 'slipway.dev/config-of': 'api' }, annotations: { 'slipway.dev/config-source': 'settings' } } });
    expect(copies.find((c) => c.kind === 'Secret')).toMatchObject({ type: 'Opaque', data: { token: 'c2VjcmV0' }, immutable: true });
    expect(versionedConfigOf(t)).toEqual([`ConfigMap/${cmName}`, `Secret/${secretName}`]);
    // The input is not changed.
    expect(spec.volumes[0]?.configMap?.name).toBe('settings');
  });

  it.each<[string, KubeObject, string, boolean]>([
    ['the same content and rollout: the same copy', cm('settings', { LOG_LEVEL: 'info' }), 'api', true],
    ['changed content: a new copy (so the template changes and a release starts)', cm('settings', { LOG_LEVEL: 'debug' }), 'api', false],
    ['another rollout: its own copy (never shared, so one never deletes the other\'s)', cm('settings', { LOG_LEVEL: 'info' }), 'web', false],
  ])('%s', (_n, changed, rollout, same) => {
    const a = versionConfig('api', template(spec), [settings]);
    const b = versionConfig(rollout, template(spec), [changed]);
    expect(a.copies[0]?.metadata.name === b.copies[0]?.metadata.name).toBe(same);
  });

  it('a template that references nothing the deploy carries is returned as it is', () => {
    const t = template(spec);
    expect(versionConfig('api', t, [])).toEqual({ template: t, copies: [] });
  });
});

describe('unusedConfig', () => {
  const t = (...refs: string[]): unknown => ({ metadata: { annotations: { 'slipway.dev/versioned-config': JSON.stringify(refs) } } });
  it.each<[string, unknown[], unknown[], string[]]>([
    ['what only the dropped version mounts', [t('ConfigMap/a-1', 'Secret/s-1')], [t('ConfigMap/a-2', 'Secret/s-1')], ['ConfigMap/a-1']],
    ['nothing when the kept version mounts the same', [t('ConfigMap/a-1')], [t('ConfigMap/a-1')], []],
    ['no annotation: nothing', [{}], [t('ConfigMap/a-1')], []],
    ['a malformed annotation is ignored, never deletes', [{ metadata: { annotations: { 'slipway.dev/versioned-config': '{not json' } } }], [], []],
    ['names that are not Kind/name are ignored', [t('Deployment/x', 'ConfigMap/../x')], [], []],
  ])('%s', (_n, drop, keep, want) => {
    expect(unusedConfig(drop, keep)).toEqual(want);
  });
});
