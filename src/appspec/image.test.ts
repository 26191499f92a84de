import { describe, expect, it } from 'vitest';
import { imageString, normalizeImage, parseImage } from './index.ts';
import { SlipwayError } from '../errors/index.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImage', () => {
  it.each([
    ['nginx', { repository: 'nginx' }],
    ['nginx:1.27', { repository: 'nginx', tag: '1.27' }],
    ['redis:7.4.1', { repository: 'redis', tag: '7.4.1' }],
    ['ghcr.io/acme/api:1.4.2', { repository: 'ghcr.io/acme/api', tag: '1.4.2' }],
    ['localhost:5000/app', { repository: 'localhost:5000/app' }],
    ['localhost:5000/app:dev', { repository: 'localhost:5000/app', tag: 'dev' }],
    ['registry.example.com:8443/team/svc:2.0.0-rc.1', { repository: 'registry.example.com:8443/team/svc', tag: '2.0.0-rc.1' }],
    [`ghcr.io/acme/api@${DIGEST}`, { repository: 'ghcr.io/acme/api', digest: DIGEST }],
    [`ghcr.io/acme/api:1.0@${DIGEST}`, { repository: 'ghcr.io/acme/api', tag: '1.0', digest: DIGEST }],
    ['apache/kafka:3.8.0', { repository: 'apache/kafka', tag: '3.8.0' }],
  ])('%s', (ref, parts) => {
    expect(parseImage(ref)).toEqual(parts);
    expect(imageString(parseImage(ref))).toBe(ref);
  });

  it.each([
    ['', /empty/],
    ['Foo/bar:1', /bad repository component "Foo"/],
    ['ghcr.io/acme/api:', /bad tag ""/],
    ['ghcr.io/acme/api:-x', /bad tag "-x"/],
    ['ghcr.io/acme/api@sha256:xyz', /bad digest/],
    ['ghcr.io//api:1', /bad repository component ""/],
    ['bad_host.io:x/app', /bad registry host/],
  ])('rejects %j', (ref, message) => {
    let err: unknown;
    try {
      parseImage(ref);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).kind).toBe('input');
    expect((err as SlipwayError).message).toMatch(message);
    expect((err as SlipwayError).hint).toMatch(/repository:tag/);
  });
});

describe('normalizeImage', () => {
  it.each([
    ['ghcr.io/a/b:1', { repository: 'ghcr.io/a/b', tag: '1' }],
    [{ repository: 'ghcr.io/a/b', tag: '2', pullPolicy: 'Always' as const }, { repository: 'ghcr.io/a/b', tag: '2', pullPolicy: 'Always' }],
    [{ repository: 'ghcr.io/a/b', digest: DIGEST }, { repository: 'ghcr.io/a/b', digest: DIGEST }],
  ])('%j', (spec, parts) => {
    expect(normalizeImage(spec)).toEqual(parts);
  });
});
