import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CRDS_SCRIPT, crdsSource, readCrds, resolveCrdsDirs, selectCrds } from './addons.ts';

const crd = (group: string, kind: string): Record<string, unknown> => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.${group}` },
  spec: { group, names: { kind, plural: `${kind.toLowerCase()}s` }, scope: 'Namespaced', versions: [] },
});
const yaml = (...docs: Record<string, unknown>[]): string => docs.map((d) => JSON.stringify(d)).join('\n---\n');
const names = (objs: readonly { metadata: { name?: string } }[]): (string | undefined)[] => objs.map((o) => o.metadata.name);

const temps: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'slipway-crds-'));
  temps.push(d);
  return d;
};
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('crdsSource', () => {
  it.each([
    { flags: undefined, env: {}, want: { kind: 'script' } },
    { flags: [], env: { SLIPWAY_CRDS_DIR: '' }, want: { kind: 'script' } },
    { flags: [''], env: { SLIPWAY_CRDS_DIR: '::' }, want: { kind: 'script' } },
    { flags: undefined, env: { SLIPWAY_CRDS_DIR: '/a' }, want: { kind: 'explicit', dirs: ['/a'] } },
    { flags: undefined, env: { SLIPWAY_CRDS_DIR: '/a::/b:' }, want: { kind: 'explicit', dirs: ['/a', '/b'] } },
    // --crds-dir wins over the environment.
    { flags: ['/x', '/y'], env: { SLIPWAY_CRDS_DIR: '/a' }, want: { kind: 'explicit', dirs: ['/x', '/y'] } },
  ])('$flags with $env → $want', ({ flags, env, want }) => {
    expect(crdsSource(flags, env)).toEqual(want);
  });
});

describe('selectCrds', () => {
  it.each([
    { doc: crd('gateway.networking.k8s.io', 'HTTPRoute'), kept: true },
    { doc: crd('networking.istio.io', 'VirtualService'), kept: true },
    { doc: crd('networking.istio.io', 'DestinationRule'), kept: true },
    { doc: crd('networking.istio.io', 'Gateway'), kept: false },
    { doc: crd('networking.istio.io', 'EnvoyFilter'), kept: false },
    { doc: crd('security.istio.io', 'AuthorizationPolicy'), kept: false },
    { doc: crd('slipway.dev', 'ServiceRollout'), kept: true },
    { doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, kept: false },
    { doc: null, kept: false },
  ])('$doc.spec.group $doc.spec.names.kind kept: $kept', ({ doc, kept }) => {
    expect(selectCrds([doc])).toHaveLength(kept ? 1 : 0);
  });
});

describe('readCrds', () => {
  it('reads every CRD in the YAML files directly inside each folder, nothing below them', () => {
    const a = tempDir();
    const b = tempDir();
    writeFileSync(join(a, 'routes.yaml'), yaml(crd('gateway.networking.k8s.io', 'HTTPRoute'), crd('gateway.networking.k8s.io', 'Gateway')));
    writeFileSync(join(a, 'notes.txt'), yaml(crd('example.com', 'Ignored')));
    mkdirSync(join(a, 'old@v0.1.0'));
    writeFileSync(join(a, 'old@v0.1.0', 'stale.yaml'), yaml(crd('example.com', 'Stale')));
    writeFileSync(join(b, 'istio.yaml'), yaml(crd('networking.istio.io', 'VirtualService'), crd('networking.istio.io', 'Sidecar')));
    expect(names(readCrds([a, b]))).toEqual(['httproutes.gateway.networking.k8s.io', 'gateways.gateway.networking.k8s.io', 'virtualservices.networking.istio.io']);
  });

  it('a folder that cannot be read is an input error naming it', () => {
    const missing = join(tempDir(), 'nope');
    expect(() => readCrds([missing])).toThrow(expect.objectContaining({ kind: 'input', message: expect.stringContaining(missing) as unknown }));
  });
});

describe('scripts/fetch-crds.sh', () => {
  const pinned = (v: string): string => {
    const m = new RegExp(`^${v}="(v[^"]+)"`, 'm').exec(readFileSync(CRDS_SCRIPT, 'utf8'));
    if (!m?.[1]) throw new Error(`${v} not in ${CRDS_SCRIPT}`);
    return m[1];
  };
  const run = (env: Record<string, string>): string[] =>
    execFileSync(CRDS_SCRIPT, [], { env: { PATH: process.env['PATH'] ?? '', HOME: tempDir(), ...env }, encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '');

  it('prints the cached folder of each pinned module version, never the cache root or another version', () => {
    const cache = tempDir();
    const gateway = join(cache, 'crds', 'sigs.k8s.io', `gateway-api@${pinned('GATEWAY_API_VERSION')}`);
    const istio = join(cache, 'crds', 'istio.io', `api@${pinned('ISTIO_API_VERSION')}`);
    const stale = join(cache, 'crds', 'sigs.k8s.io', 'gateway-api@v0.0.1');
    for (const [dir, doc] of [
      [gateway, crd('gateway.networking.k8s.io', 'HTTPRoute')],
      [istio, crd('networking.istio.io', 'VirtualService')],
      [stale, crd('gateway.networking.k8s.io', 'StaleRoute')],
    ] as const) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'crd.yaml'), yaml(doc));
      writeFileSync(join(dir, '.complete'), '');
    }
    const dirs = run({ SLIPWAY_CACHE: cache });
    expect(dirs).toEqual([gateway, istio]);
    expect(names(readCrds(dirs))).toEqual(['httproutes.gateway.networking.k8s.io', 'virtualservices.networking.istio.io']);
  });

  it('SLIPWAY_CRDS_DIR (colon-separated) is printed one folder a line, and resolveCrdsDirs takes it as is', async () => {
    expect(run({ SLIPWAY_CRDS_DIR: '/a:/b' })).toEqual(['/a', '/b']);
    expect(await resolveCrdsDirs(undefined, { SLIPWAY_CRDS_DIR: '/a:/b' })).toEqual(['/a', '/b']);
  });
});
