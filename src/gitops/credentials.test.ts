import { describe, expect, it } from 'vitest';
import type { SlipwayError } from '../errors/index.ts';
import { credentialsOf, isSsh } from './credentials.ts';

const b64 = (o: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

describe('credentialsOf', () => {
  it.each([
    ['https token', 'https://h/r.git', { password: 's3cret-value' }, { kind: 'https', username: 'x-access-token', password: 's3cret-value' }],
    ['https token key and username', 'https://h/r.git', { token: 's3cret-value', username: 'bot' }, { kind: 'https', username: 'bot', password: 's3cret-value' }],
    ['ssh', 'git@github.com:a/b.git', { sshPrivateKey: 'KEY', knownHosts: 'github.com ssh-ed25519 AAAA' }, { kind: 'ssh', privateKey: 'KEY', knownHosts: 'github.com ssh-ed25519 AAAA' }],
  ])('%s', (_, url, data, want) => expect(credentialsOf(b64(data), url, 'ns/s')).toEqual(want));

  it.each([
    ['ssh without knownHosts (host keys are always verified)', 'ssh://h/r', { sshPrivateKey: 's3cret-value' }, 'input', /no knownHosts/],
    ['ssh without a key', 'ssh://h/r', { password: 's3cret-value' }, 'input', /no sshPrivateKey/],
    ['https without a password', 'https://h/r', { username: 'bot' }, 'input', /no password/],
    ['credentials over plain http', 'http://h/r', { password: 's3cret-value' }, 'unsupported', /never sent over plain http/],
  ])('%s', (_, url, data, kind, message) => {
    let err: SlipwayError | undefined;
    try {
      credentialsOf(b64(data), url, 'ns/s');
    } catch (e) {
      err = e as SlipwayError;
    }
    expect(err?.kind).toBe(kind);
    expect(err?.format()).toMatch(message);
    expect(err?.format()).not.toContain('s3cret-value');
  });

  it.each([
    ['git@github.com:a/b.git', true],
    ['ssh://git@h/r', true],
    ['https://h/r', false],
    ['file:///srv/git/r', false],
  ])('isSsh(%s)', (url, want) => expect(isSsh(url)).toBe(want));
});
