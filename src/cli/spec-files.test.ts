import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputErrors, SlipwayError } from '../errors/index.ts';
import { environmentNames, normalizeImage } from '../appspec/index.ts';
import { findSpecFile, readSpecFiles } from './spec-files.ts';

const EXAMPLES = ['examples/streaming-analytics', 'examples/code-review'];

describe('example apps', () => {
  it.each(EXAMPLES)('%s loads and declares dev, staging and prod', (dir) => {
    const { spec, file } = readSpecFiles(dir);
    expect(file).toBe(`${dir}/slipway.yaml`);
    expect(environmentNames(spec)).toEqual(['dev', 'staging', 'prod']);
  });

  it.each(EXAMPLES.flatMap((dir) => ['dev', 'staging', 'prod'].map((env) => [dir, env] as const)))('%s resolves for %s', (dir, env) => {
    const { spec } = readSpecFiles(dir, { env });
    expect(spec.environments).toBeUndefined();
    expect(spec.namespace).toBe(`${spec.app}-${env}`);
    // Images are pinned by tag or digest, never latest.
    const workloads = [...Object.values(spec.services), ...Object.values(spec.jobs ?? {}), ...Object.values(spec.cronJobs ?? {})];
    for (const w of workloads) {
      const img = normalizeImage(w.image);
      expect(img.tag !== undefined || img.digest !== undefined, JSON.stringify(w.image)).toBe(true);
      expect(img.tag).not.toBe('latest');
    }
  });

  it('environments really differ (replicas, hosts, tags)', () => {
    const dev = readSpecFiles('examples/code-review', { env: 'dev' }).spec;
    const prod = readSpecFiles('examples/code-review', { env: 'prod' }).spec;
    expect(dev.services['auth-service']?.autoscaling).toBeUndefined();
    expect(prod.services['auth-service']?.autoscaling?.min).toBe(3);
    expect(dev.services['auth-service']?.expose?.host).toBe('api.dev.coderev.example.com');
    expect(prod.services['auth-service']?.expose?.host).toBe('api.coderev.example.com');
    expect(dev.services['analysis-service']?.strategy).toEqual({ type: 'rolling' });
    expect(prod.services['analysis-service']?.strategy?.type).toBe('canary');
    expect(normalizeImage(dev.services['frontend']?.image ?? '').tag).toBe('2.8.0-dev.1');
    expect(dev.services['ai-orchestrator']?.nodeSelector).toBeUndefined();
    expect(prod.services['ai-orchestrator']?.nodeSelector).toEqual({ 'workload-type': 'compute' });
  });
});

describe('findSpecFile / readSpecFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-spec-'));
  writeFileSync(join(dir, 'slipway.yml'), 'app: a\nservices:\n  web: {image: "x:1"}\nconfigMaps:\n  cfg: {envFile: app.env}\n');
  writeFileSync(join(dir, 'app.env'), 'A=1\nB="two words"\n');

  it('finds slipway.yml in a directory and reads env files next to it', () => {
    expect(findSpecFile(dir)).toBe(join(dir, 'slipway.yml'));
    const r = readSpecFiles(dir);
    expect(r.envFiles).toEqual({ 'app.env': 'A=1\nB="two words"\n' });
    expect(r.spec.configMaps?.['cfg']).toEqual({ data: { A: '1', B: 'two words' } });
  });

  it.each([
    ['a missing path', join(dir, 'nope'), /cannot read/],
    ['a directory without a spec', tmpdir(), /no slipway.yaml in/],
  ])('rejects %s as input', (_name, target, message) => {
    let err: unknown;
    try {
      findSpecFile(target);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).kind).toBe('input');
    expect((err as SlipwayError).message).toMatch(message);
  });

  it('positions a missing env file at its envFile value', () => {
    const bad = mkdtempSync(join(tmpdir(), 'slipway-spec-'));
    writeFileSync(join(bad, 'slipway.yaml'), 'app: a\nservices:\n  web: {image: "x:1"}\nconfigMaps:\n  cfg: {envFile: missing.env}\n');
    let err: unknown;
    try {
      readSpecFiles(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputErrors);
    const [p] = (err as InputErrors).problems;
    expect(p?.message).toMatch(/cannot read envFile missing.env/);
    expect(`${p?.position?.line}:${p?.position?.col}`).toBe('5:18');
  });
});
