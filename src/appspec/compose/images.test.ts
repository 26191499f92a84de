import { describe, expect, it } from 'vitest';
import { imageName, knownImage, knownImagePorts, knownImageRepositories } from './images.ts';

describe('imageName: Docker Hub spellings of one image are one image', () => {
  it.each([
    ['postgres:16', 'postgres', '16'],
    ['docker.io/library/postgres:16-alpine', 'postgres', '16-alpine'],
    ['index.docker.io/library/redis:7.4@sha256:abc', 'redis', '7.4'],
    ['library/nginx', 'nginx', ''],
    ['public.ecr.aws/docker/library/mysql:8.4', 'mysql', '8.4'],
    ['docker.io/grafana/grafana:11.2.0', 'grafana/grafana', '11.2.0'],
    ['registry:5000/team/app:1.0', 'registry:5000/team/app', '1.0'],
    ['Quay.IO/Prometheus/Prometheus:v2.54.1', 'quay.io/prometheus/prometheus', 'v2.54.1'],
  ])('%s', (image, repository, tag) => {
    expect(imageName(image)).toEqual({ repository, tag });
  });
});

describe('knownImage: the documented needs, with the tag variant applied', () => {
  it.each([
    { image: 'postgres:16.4', want: { uid: 999, fsGroup: 999, data: ['/var/lib/postgresql/data'], writable: ['/var/run/postgresql'] } },
    { image: 'postgres:16-alpine', want: { uid: 70, gid: 70, fsGroup: 70 } },
    { image: 'postgres:18.0', want: { uid: 999, data: ['/var/lib/postgresql'], dataSubdir: undefined } },
    { image: 'nginx:1.27-alpine', want: { uid: 101, writable: ['/var/cache/nginx', '/var/run'], ports: [{ name: 'http', port: 80 }] } },
    { image: 'redis:7.4-alpine', want: { uid: 999, gid: 1000, data: ['/data'] } },
    { image: 'rabbitmq:3.13-management', want: { ports: [{ name: 'amqp', port: 5672 }, { name: 'management', port: 15672 }] } },
    { image: 'wordpress:6.6-php8.3-fpm-alpine', want: { uid: 82, ports: [{ name: 'fastcgi', port: 9000 }], writable: [] } },
    { image: 'mongo:5.0', want: { readiness: { exec: { command: ['mongo', '--quiet', '--eval', 'db.adminCommand("ping").ok'] } } } },
    { image: 'docker.elastic.co/elasticsearch/elasticsearch:8.15.1', want: { uid: 1000, writableRoot: expect.stringMatching(/keystore/) as unknown } },
    { image: 'docker:27.2-dind', want: { restricted: false, ports: [{ name: 'docker', port: 2376 }] } },
    { image: 'pihole/pihole:2024.07.0', want: { restricted: false } },
  ])('$image', ({ image, want }) => {
    expect(knownImage(image)).toMatchObject(want);
  });

  it.each(['ghcr.io/acme/web:1.0', 'python:3.12', 'node:20', 'nginxinc/nginx-unprivileged-fork:1'])('%s is not in the table', (image) => {
    expect(knownImage(image)).toBeUndefined();
    expect(knownImagePorts(image)).toEqual([]);
  });

  it('knownImagePorts: each port once (DNS on TCP and UDP is one number)', () => {
    expect(knownImagePorts('coredns/coredns:1.11.1')).toEqual([53]);
    expect(knownImagePorts('mysql:8.4')).toEqual([3306, 33060]);
  });
});

describe('every entry of the table', () => {
  const entries = knownImageRepositories().map((repository) => ({ repository, profile: knownImage(`${repository}:1`) }));

  it('covers the images issue 13 names', () => {
    for (const r of ['nginx', 'postgres', 'mysql', 'mariadb', 'redis', 'mongo', 'rabbitmq', 'wordpress', 'grafana/grafana', 'elasticsearch']) expect(knownImageRepositories()).toContain(r);
  });

  it.each(entries)('$repository: cites its documentation, and says why and what to do when it cannot run restricted', ({ profile }) => {
    expect(profile).toBeDefined();
    if (profile === undefined) return;
    expect(profile.sources.length).toBeGreaterThan(0);
    for (const s of profile.sources) expect(s).toMatch(/^https:\/\//);
    if (!profile.restricted) {
      expect(profile.note).toMatch(/./);
      expect(profile.hint).toMatch(/./);
    } else {
      expect(profile.uid).toBeGreaterThan(0);
    }
  });

  it.each(entries)('$repository: its probes name its own ports, and liveness differs from readiness unless it says why', ({ profile }) => {
    if (profile === undefined) return;
    const ports = profile.ports.map((p) => p.port);
    for (const p of [profile.liveness, profile.readiness]) {
      const port = p?.tcp?.port ?? p?.http?.port;
      if (port !== undefined) expect(ports).toContain(port);
    }
    if (profile.liveness !== undefined && JSON.stringify(profile.liveness) === JSON.stringify(profile.readiness)) expect(profile.sameCheck).toMatch(/./);
  });
});
