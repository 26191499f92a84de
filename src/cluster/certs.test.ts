import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certSpecs, ensurePki, leafExtensions, subjectOf, type Pki } from './certs.ts';

describe('cert specs (pure)', () => {
  it.each([
    [{ commonName: 'a' }, '/CN=a'],
    [{ commonName: 'u', organization: 'system:masters' }, '/O=system:masters/CN=u'],
  ])('subjectOf(%j) = %s', (spec, want) => {
    expect(subjectOf(spec)).toBe(want);
  });

  it.each([
    ['apiserver', /extendedKeyUsage = serverAuth/],
    ['apiserver', /subjectAltName = IP:127\.0\.0\.1,IP:10\.96\.0\.1,DNS:localhost,DNS:kubernetes/],
    ['admin', /extendedKeyUsage = clientAuth/],
    ['admin', /CA:FALSE/],
  ])('%s extensions match %s', (name, re) => {
    const spec = certSpecs().find((s) => s.name === name);
    expect(spec).toBeDefined();
    expect(leafExtensions(spec!)).toMatch(re);
  });

  it('client certs carry the identities RBAC binds', () => {
    const byName = Object.fromEntries(certSpecs().map((s) => [s.name, subjectOf(s)]));
    expect(byName).toMatchObject({
      admin: '/O=system:masters/CN=slipway-admin',
      'kube-controller-manager': '/CN=system:kube-controller-manager',
      'kube-scheduler': '/CN=system:kube-scheduler',
    });
  });
});

describe('ensurePki (runs openssl)', () => {
  let dir: string;
  let pki: Pki;
  let ca: X509Certificate;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-pki-'));
    pki = await ensurePki(join(dir, 'pki'));
    ca = new X509Certificate(await readFile(pki.caCert));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('CA is a CA', () => {
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=slipway-ca');
  });

  it.each(certSpecs().map((s) => [s.name, s] as const))('%s is signed by the CA, not a CA, with its key', async (_, spec) => {
    const cert = new X509Certificate(await readFile(pki.cert(spec.name)));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toContain(`CN=${spec.commonName}`);
    expect(cert.checkPrivateKey(createPrivateKey(await readFile(pki.key(spec.name))))).toBe(true);
    if (spec.usage === 'server') {
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert.checkHost('kubernetes.default.svc')).toBe('kubernetes.default.svc');
    }
  });

  it('is idempotent: a second call keeps the CA', async () => {
    await ensurePki(pki.dir);
    expect(new X509Certificate(await readFile(pki.caCert)).fingerprint256).toBe(ca.fingerprint256);
  });
});
