import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SlipwayError } from '../errors/index.ts';
import { renderSource, sourceDir } from './render.ts';

function checkout(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'slipway-render-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const SPEC = 'app: shop\nnamespace: shop\nservices:\n  web:\n    image: registry.example/web:1.0.0\n';
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\ndata: { a: "1" }\n';

describe('renderSource', () => {
  it('a slipway.yaml rendered for the env, manifests as they are', async () => {
    const root = checkout({ 'apps/shop/slipway.yaml': SPEC, 'k8s/c.yaml': CM });
    const spec = await renderSource(root, { path: 'apps/shop', env: 'default', app: 'shop' });
    expect(spec.format).toBe('slipway');
    expect(spec.namespace).toBe('shop');
    expect(spec.objects.map((o) => o.object.kind)).toContain('Deployment');
    const m = await renderSource(root, { path: 'k8s', env: 'default', app: 'c' });
    expect(m).toMatchObject({ format: 'manifests', progressive: false });
    expect(m.objects.map((o) => o.object.metadata.name)).toEqual(['c']);
  });

  it('errors name the file relative to the repository, with line and column', async () => {
    const root = checkout({ 'apps/shop/slipway.yaml': SPEC.replace('web:1.0.0', 'web:1.0.0\n    replicas: two'), 'k8s/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: [oops }\n' });
    for (const path of ['apps/shop', 'k8s']) {
      const e = (await renderSource(root, { path, env: 'default', app: 'x' }).catch((x: unknown) => x)) as SlipwayError;
      expect(e.kind).toBe('input');
      expect(e.format()).toMatch(new RegExp(`^${path}/(slipway|bad)\\.yaml:\\d+:\\d+: `));
      expect(e.format()).not.toContain(root);
    }
  });

  it.each([
    ['../outside', 'input', /leaves the repository/],
    ['/etc', 'input', /leaves the repository/],
    ['missing', 'not-found', /does not exist at this revision/],
  ])('path %s is refused', (path, kind, message) => {
    const root = checkout({ 'a.yaml': CM });
    expect(() => sourceDir(root, path)).toThrow(expect.objectContaining({ kind, message: expect.stringMatching(message) as unknown }));
  });
});
