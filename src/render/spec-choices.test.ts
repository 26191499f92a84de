import { describe, expect, it } from 'vitest';
import { InputErrors } from '../errors/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import { loadSpec, type AppSpec, type ServiceSpec } from '../appspec/index.ts';
import { renderApp } from './index.ts';
import { get, podSpecOf, restrictedViolations } from './testing.ts';

/** Issue 13: what a spec states deliberately (lint waivers, safe sysctls) and the tag CI built. */

function app(svc: Partial<ServiceSpec>, extra: Partial<AppSpec> = {}): AppSpec {
  return { app: 'demo', services: { web: { image: 'ghcr.io/acme/web:1.0.0', ports: [{ name: 'http', port: 80 }], ...svc } }, ...extra };
}

function workload(objects: readonly KubeObject[], kind = 'Deployment', name = 'web'): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`${kind}/${name} not rendered`);
  return o;
}

describe('ignoreChecks: lint waivers the spec states', () => {
  it.each([
    { kind: 'Deployment', spec: app({ ignoreChecks: { REL006: 'one replica by design' } }) },
    { kind: 'StatefulSet', spec: app({ ignoreChecks: { REL006: 'single-instance database' }, volumes: [{ name: 'data', mountPath: '/data' }] }) },
    { kind: 'Job', spec: { app: 'demo', services: {}, jobs: { web: { image: 'x:1', ignoreChecks: { REL006: 'why' } } } } satisfies AppSpec },
    { kind: 'CronJob', spec: { app: 'demo', services: {}, cronJobs: { web: { image: 'x:1', schedule: '@daily', ignoreChecks: { REL006: 'why' } } } } satisfies AppSpec },
  ])('become ignore-check.slipway.dev annotations on the $kind', ({ kind, spec }) => {
    const w = workload(renderApp(spec, 'default').objects, kind);
    expect(Object.entries(w.metadata.annotations ?? {}).filter(([k]) => k.startsWith('ignore-check.slipway.dev/'))).toHaveLength(1);
  });

  it('keep the annotations render adds itself (a canary strategy)', () => {
    const w = workload(renderApp(app({ ignoreChecks: { SEC020: 'writes its config' }, strategy: { type: 'canary', canary: { steps: [{ setWeight: 50 }] } } }), 'default').objects);
    expect(w.metadata.annotations).toMatchObject({ 'ignore-check.slipway.dev/SEC020': 'writes its config', 'slipway.dev/strategy': 'canary' });
  });

  it('merge per environment: the overlay adds a waiver to the base ones', () => {
    const text = 'app: demo\nservices:\n  web:\n    image: ghcr.io/acme/web:1.0.0\n    ports: [{ name: http, port: 80 }]\n    ignoreChecks: { SEC020: base }\nenvironments:\n  dev:\n    services:\n      web:\n        ignoreChecks: { REL006: dev runs one }\n';
    const w = workload(renderApp(loadSpec(text, 'slipway.yaml'), 'dev').objects);
    expect(w.metadata.annotations).toEqual({ 'ignore-check.slipway.dev/SEC020': 'base', 'ignore-check.slipway.dev/REL006': 'dev runs one' });
  });

  it.each([
    ['an empty reason', 'app: demo\nservices:\n  web:\n    image: x:1\n    ignoreChecks: { REL006: "" }\n'],
    ['a key that is no rule id or name', 'app: demo\nservices:\n  web:\n    image: x:1\n    ignoreChecks: { "rel 6": why }\n'],
  ])('refuse %s (the spec does not validate)', (_what, text) => {
    expect(() => loadSpec(text, 'slipway.yaml')).toThrow(InputErrors);
  });
});

describe('securityContext.sysctls: only what Pod Security allows', () => {
  it('renders the pod sysctl, and the pod still meets restricted', () => {
    const w = workload(renderApp(app({ securityContext: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } } }), 'default').objects);
    const pod = podSpecOf(w);
    expect(get(pod, 'securityContext', 'sysctls')).toEqual([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
    expect(restrictedViolations(pod ?? {})).toEqual([]);
  });

  it.each(['kernel.msgmax', 'net.core.somaxconn', 'vm.max_map_count'])('refuses %s (not in the safe set)', (name) => {
    const text = `app: demo\nservices:\n  web:\n    image: x:1\n    securityContext:\n      sysctls: { ${name}: "1" }\n`;
    expect(() => loadSpec(text, 'slipway.yaml')).toThrow(InputErrors);
  });
});

describe('imageTag: the tag CI built this commit with', () => {
  const spec = (): AppSpec => ({
    app: 'demo',
    services: {
      web: { image: 'ghcr.io/acme/web:dev', build: { context: 'web' }, ports: [{ name: 'http', port: 8080 }] },
      pinned: { image: { repository: 'ghcr.io/acme/api', tag: 'dev', digest: `sha256:${'a'.repeat(64)}`, pullPolicy: 'Always' }, build: { context: 'api' } },
      db: { image: 'postgres:16.4', ports: [{ name: 'pg', port: 5432 }] },
    },
    jobs: { migrate: { image: 'ghcr.io/acme/migrate:dev', build: { context: '.' } }, seed: { image: 'busybox:1.36' } },
    cronJobs: { report: { image: 'ghcr.io/acme/report:dev', build: { context: 'report' }, schedule: '@daily' } },
  });
  const image = (objects: readonly KubeObject[], name: string): unknown => get(podSpecOf(workload(objects, 'Deployment', name)), 'containers', 0, 'image');

  it('replaces the tag (and the stale digest) of every service CI builds, and only those', () => {
    const { objects } = renderApp(spec(), 'default', { imageTag: 'sha-0123456789abcdef0123456789abcdef01234567' });
    expect(image(objects, 'web')).toBe('ghcr.io/acme/web:sha-0123456789abcdef0123456789abcdef01234567');
    expect(image(objects, 'pinned')).toBe('ghcr.io/acme/api:sha-0123456789abcdef0123456789abcdef01234567');
    expect(get(podSpecOf(workload(objects, 'Deployment', 'pinned')), 'containers', 0, 'imagePullPolicy')).toBe('Always');
    expect(image(objects, 'db')).toBe('postgres:16.4');
  });

  it.each([
    { kind: 'Job', name: 'migrate', want: 'ghcr.io/acme/migrate:sha-0123456789abcdef0123456789abcdef01234567' },
    { kind: 'Job', name: 'seed', want: 'busybox:1.36' },
    { kind: 'CronJob', name: 'report', want: 'ghcr.io/acme/report:sha-0123456789abcdef0123456789abcdef01234567' },
  ])('tags the $kind $name CI builds the same way (or leaves it): $want', ({ kind, name, want }) => {
    const { objects } = renderApp(spec(), 'default', { imageTag: 'sha-0123456789abcdef0123456789abcdef01234567' });
    expect(JSON.stringify(objects.find((o) => o.kind === kind && o.metadata.name?.endsWith(name) === true))).toContain(`"image":"${want}"`);
  });

  it('without it, the spec tags stay', () => {
    expect(image(renderApp(spec(), 'default').objects, 'web')).toBe('ghcr.io/acme/web:dev');
  });

  it.each(['', '-leading-dash', 'has space', 'a'.repeat(129)])('refuses the tag %j', (tag) => {
    let caught: unknown;
    try {
      renderApp(spec(), 'default', { imageTag: tag });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputErrors);
    expect((caught as InputErrors).problems.map((p) => p.message)).toEqual([`invalid image tag "${tag}"`]);
  });
});
