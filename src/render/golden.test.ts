/* eslint-disable no-restricted-imports, no-restricted-globals -- golden tests read the example specs and golden files, and rewrite them under UPDATE_GOLDEN=1 (process.env); the renderer under test stays pure */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringifyManifests } from '../manifest/index.ts';
import { loadSpec } from '../appspec/index.ts';
import { renderAll } from './index.ts';
import { podSpecOf, POD_KINDS, restrictedViolations, sharedNodes } from './testing.ts';

/**
 * Every example × environment rendered to plain YAML and compared byte for byte with
 * testdata/golden/<example>/<env>.yaml. `UPDATE_GOLDEN=1 vitest run src/render` rewrites them;
 * review the diff like code.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const goldenDir = fileURLToPath(new URL('./testdata/golden/', import.meta.url));
const update = process.env['UPDATE_GOLDEN'] === '1';

const examples = readdirSync(join(root, 'examples'))
  .filter((name) => existsSync(join(root, 'examples', name, 'slipway.yaml')))
  .sort();

function load(example: string): { spec: ReturnType<typeof loadSpec>; envFiles: Record<string, string> } {
  const dir = join(root, 'examples', example);
  const envFiles: Record<string, string> = {};
  const spec = loadSpec(readFileSync(join(dir, 'slipway.yaml'), 'utf8'), `examples/${example}/slipway.yaml`, {
    readFile: (p) => (envFiles[p] = readFileSync(join(dir, p), 'utf8')),
  });
  return { spec, envFiles };
}

const cases = examples.flatMap((example) => {
  const { spec, envFiles } = load(example);
  return [...renderAll(spec, { envFiles })].map(([env, result]) => ({ example, env, result }));
});

describe('golden renders of the examples', () => {
  it('finds the examples', () => {
    expect(examples).toEqual(expect.arrayContaining(['code-review', 'streaming-analytics']));
  });

  it.each(cases)('$example $env matches its golden file', ({ example, env, result }) => {
    const text = stringifyManifests(result.objects);
    const file = join(goldenDir, example, `${env}.yaml`);
    if (update) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    expect(existsSync(file), `${file} is missing: run UPDATE_GOLDEN=1 vitest run src/render`).toBe(true);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });

  it.each(cases)('$example/$env: every pod meets Pod Security restricted', ({ result }) => {
    const pods = result.objects.filter((o) => POD_KINDS.includes(o.kind));
    expect(pods.length).toBeGreaterThan(0);
    for (const o of pods) expect({ ref: `${o.kind}/${o.metadata.name ?? ''}`, violations: restrictedViolations(podSpecOf(o) ?? {}) }).toEqual({ ref: `${o.kind}/${o.metadata.name ?? ''}`, violations: [] });
  });

  it.each(cases)('$example/$env: no node is shared between two places', ({ result }) => {
    expect(sharedNodes(result.objects)).toEqual([]);
  });

  it.each(cases)('$example/$env: rendering is deterministic', ({ example, env, result }) => {
    const { spec, envFiles } = load(example);
    const again = renderAll(spec, { envFiles }).get(env);
    expect(stringifyManifests(again?.objects ?? [])).toBe(stringifyManifests(result.objects));
  });
});
