import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeIo } from './io.ts';

describe('colour only on a TTY', () => {
  afterEach(() => vi.unstubAllEnvs());
  it.each<[string, boolean | undefined, Record<string, string>, boolean]>([
    ['a pipe (isTTY undefined), even with FORCE_COLOR', undefined, { FORCE_COLOR: '1', CI: '' }, false],
    ['a TTY', true, { CI: '', NO_COLOR: '' }, true],
    ['a TTY under CI=true', true, { CI: 'true' }, false],
    ['a TTY with NO_COLOR', true, { NO_COLOR: '1', CI: '' }, false],
  ])('%s', (_n, tty, env, coloured) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const out = Object.assign(new PassThrough(), { isTTY: tty }) as unknown as NodeJS.WriteStream;
    const io = makeIo(out, out);
    expect(io.isTTY).toBe(coloured);
    expect(io.color.bold('x') !== 'x').toBe(coloured);
  });
});
