/**
 * The control plane's PKI: one CA, the apiserver's serving cert, a client cert per identity
 * (admin, controller-manager, scheduler, kwok) and the service-account signing key pair.
 *
 * Keys come from node:crypto (ECDSA P-256: fast to generate and accepted by every component);
 * X.509 signing needs a tool, and `openssl` is on every Linux/macOS dev box and CI image, so
 * certificates are made by `openssl req`/`openssl x509` with an explicit config, never the
 * system's openssl.cnf, so the result does not depend on the distribution's defaults.
 */
import { execFile } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unsupported, internal } from '../errors/index.ts';

const run = promisify(execFile);
const genKeyPair = promisify(generateKeyPair);

/** Service CIDR's first address: in-cluster clients reach the apiserver through it. */
const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const SERVICE_CIDR = '10.96.0.0/16';

/** One certificate to issue from the cluster CA. */
export interface CertSpec {
  /** File stem under the pki dir: `<name>.crt` / `<name>.key`. */
  readonly name: string;
  /** Subject CN: the user name the apiserver sees for client certs. */
  readonly commonName: string;
  /** Subject O: the groups the apiserver sees (e.g. `system:masters`). */
  readonly organization?: string;
  readonly usage: 'server' | 'client';
  readonly ipSans?: readonly string[];
  readonly dnsSans?: readonly string[];
}

/**
 * The certificates a cluster needs. Client identities follow the names the built-in RBAC
 * roles bind (`system:kube-controller-manager`, `system:kube-scheduler`).
 * @see https://kubernetes.io/docs/setup/best-practices/certificates/
 * @see https://kubernetes.io/docs/reference/access-authn-authz/rbac/#core-component-roles
 */
export function certSpecs(): readonly CertSpec[] {
  return [
    {
      name: 'apiserver',
      commonName: 'kube-apiserver',
      usage: 'server',
      ipSans: ['127.0.0.1', KUBERNETES_SERVICE_IP],
      dnsSans: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    },
    { name: 'admin', commonName: 'slipway-admin', organization: 'system:masters', usage: 'client' },
    { name: 'kube-controller-manager', commonName: 'system:kube-controller-manager', usage: 'client' },
    { name: 'kube-scheduler', commonName: 'system:kube-scheduler', usage: 'client' },
    // kwok patches node and pod status and creates leases for every simulated node; it is a
    // local test double, so it gets admin rights rather than a hand-maintained role.
    { name: 'kwok', commonName: 'kwok-controller', organization: 'system:masters', usage: 'client' },
  ];
}

/** OpenSSL `-subj` string. */
export function subjectOf(spec: Pick<CertSpec, 'commonName' | 'organization'>): string {
  return spec.organization !== undefined ? `/O=${spec.organization}/CN=${spec.commonName}` : `/CN=${spec.commonName}`;
}

/** The openssl config used for every `req`/`x509` call: CA extensions plus one section per leaf. */
function opensslConfig(): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    'CN = slipway',
    '[v3_ca]',
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n');
}

/** The `x509 -extfile` text for one leaf certificate. */
export function leafExtensions(spec: CertSpec): string {
  const sans = [...(spec.ipSans ?? []).map((ip) => `IP:${ip}`), ...(spec.dnsSans ?? []).map((d) => `DNS:${d}`)];
  const lines = [
    '[v3_leaf]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage = ${spec.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    'authorityKeyIdentifier = keyid',
  ];
  if (sans.length > 0) lines.push(`subjectAltName = ${sans.join(',')}`);
  return `${lines.join('\n')}\n`;
}

/** Paths of the generated PKI. */
export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly cert: (name: string) => string;
  readonly key: (name: string) => string;
  /** Service-account token signing key (private) and its public half. */
  readonly saKey: string;
  readonly saPub: string;
}

export function pkiPaths(dir: string): Pki {
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    cert: (n) => join(dir, `${n}.crt`),
    key: (n) => join(dir, `${n}.key`),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
  };
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw unsupported('openssl is not installed; it is needed to create the cluster certificates', {
        cause: e,
        hint: 'install it (Debian/Ubuntu: apt-get install openssl; macOS: it ships with the system)',
      });
    }
    const stderr = (e as { stderr?: string }).stderr ?? '';
    throw internal(`openssl ${args[0] ?? ''} failed: ${stderr.trim()}`, { cause: e });
  }
}

async function writeEcKey(path: string): Promise<void> {
  const { privateKey } = await genKeyPair('ec', { namedCurve: 'prime256v1' });
  await writeFile(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
}

const serial = (): string => `0x${randomBytes(16).toString('hex').replace(/^[89a-f]/, '1')}`;

/**
 * Creates the PKI under `dir` unless it exists already (a restarted cluster keeps its CA, so
 * kubeconfigs handed out earlier stay valid).
 */
export async function ensurePki(dir: string): Promise<Pki> {
  const pki = pkiPaths(dir);
  if (existsSync(pki.caCert) && existsSync(pki.saPub) && certSpecs().every((s) => existsSync(pki.cert(s.name)))) return pki;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const cnf = join(dir, 'openssl.cnf');
  await writeFile(cnf, opensslConfig());
  await writeEcKey(pki.caKey);
  await openssl(['req', '-x509', '-new', '-config', cnf, '-extensions', 'v3_ca', '-key', pki.caKey, '-subj', '/CN=slipway-ca', '-days', '3650', '-set_serial', serial(), '-out', pki.caCert]);
  await Promise.all(certSpecs().map((spec) => issueLeaf(pki, cnf, spec)));
  // Service-account tokens: RSA is what every token consumer supports.
  const sa = await genKeyPair('rsa', { modulusLength: 2048 });
  await writeFile(pki.saKey, sa.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  await writeFile(pki.saPub, sa.publicKey.export({ format: 'pem', type: 'spki' }));
  return pki;
}

async function issueLeaf(pki: Pki, cnf: string, spec: CertSpec): Promise<void> {
  const key = pki.key(spec.name);
  const csr = join(pki.dir, `${spec.name}.csr`);
  const ext = join(pki.dir, `${spec.name}.ext`);
  await writeEcKey(key);
  await writeFile(ext, leafExtensions(spec));
  await openssl(['req', '-new', '-config', cnf, '-key', key, '-subj', subjectOf(spec), '-out', csr]);
  await openssl(['x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey, '-set_serial', serial(), '-days', '365', '-extfile', ext, '-extensions', 'v3_leaf', '-out', pki.cert(spec.name)]);
}
