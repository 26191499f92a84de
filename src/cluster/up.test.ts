import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planUp } from './up.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-up-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const target = () => ({ name: 't', dataDir: join(dir, 'data'), homeDir: join(dir, 'home'), env: { KUBECONFIG: join(dir, 'kubeconfig') } });

describe('planUp and the user kubeconfig', () => {
  it('the API merges nothing by default (tests and scripts never touch a user kubeconfig)', () => {
    const plan = planUp(target());
    expect(plan.steps.map((s) => s.title).filter((t) => /merge/i.test(t))).toEqual([]);
  });

  it.each([
    { what: '$KUBECONFIG', env: (d: string) => ({ KUBECONFIG: join(d, 'kubeconfig') }), file: 'kubeconfig' },
    { what: '~/.kube/config when KUBECONFIG is unset', env: () => ({}), file: 'home/.kube/config' },
  ])('mergeKubeconfig: true ends with a merge into $what', ({ env, file }) => {
    const plan = planUp({ ...target(), env: env(dir), mergeKubeconfig: true });
    expect(plan.steps.at(-1)?.title).toBe(`Merge context slipway-t into ${join(dir, file)}`);
  });

  it('refuses a malformed kubeconfig before preparing or starting anything', async () => {
    writeFileSync(join(dir, 'kubeconfig'), 'a: [1,');
    const plan = planUp({ ...target(), mergeKubeconfig: true });
    const prepare = plan.steps.find((s) => s.title.startsWith('Prepare'));
    await expect(prepare?.run(() => undefined)).rejects.toMatchObject({ kind: 'input', message: expect.stringContaining(join(dir, 'kubeconfig')) as unknown });
    expect(existsSync(join(dir, 'data'))).toBe(false);
    expect(readFileSync(join(dir, 'kubeconfig'), 'utf8')).toBe('a: [1,');
  });
});
