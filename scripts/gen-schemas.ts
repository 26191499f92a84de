/**
 * Regenerates src/lint/schemas/k8s.json — the offline Kubernetes schema `slipway lint` validates
 * against — from the OpenAPI v3 document served by a real v1.34 kube-apiserver.
 *
 *   node scripts/gen-schemas.ts            (builds/uses the control plane from scripts/build-kube.sh)
 *   SLIPWAY_KUBE_BIN=/dir node scripts/gen-schemas.ts
 *   node scripts/gen-schemas.ts --crds-only   (only src/lint/schemas/crds.yaml → crds.json)
 *
 * It starts a throwaway etcd + kube-apiserver on free loopback ports in a temp dir (anonymous,
 * AlwaysAllow: nothing but this script talks to it), fetches /openapi/v3 for the group/versions
 * an app deploys, keeps only the definitions reachable from the kinds we validate, and writes
 * them compactly with $refs kept (ajv resolves them). Why a real apiserver rather than a
 * published swagger.json: the schema is exactly what v1.34 serves, enums and all.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { QUANTITY_PATTERN } from '../src/manifest/quantity.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'src/lint/schemas/k8s.json');

/** Group/versions fetched, and (optionally) the only kinds kept from each. */
const GROUP_VERSIONS: readonly { path: string; kinds?: readonly string[] }[] = [
  { path: 'api/v1', kinds: ['Pod', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount', 'PersistentVolumeClaim', 'PersistentVolume', 'Namespace', 'LimitRange', 'ResourceQuota', 'Endpoints', 'ReplicationController'] },
  { path: 'apis/apps/v1', kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'] },
  { path: 'apis/batch/v1', kinds: ['Job', 'CronJob'] },
  { path: 'apis/autoscaling/v1', kinds: ['HorizontalPodAutoscaler'] },
  { path: 'apis/autoscaling/v2', kinds: ['HorizontalPodAutoscaler'] },
  { path: 'apis/policy/v1', kinds: ['PodDisruptionBudget'] },
  { path: 'apis/networking.k8s.io/v1', kinds: ['Ingress', 'IngressClass', 'NetworkPolicy'] },
  { path: 'apis/rbac.authorization.k8s.io/v1', kinds: ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'] },
  { path: 'apis/scheduling.k8s.io/v1', kinds: ['PriorityClass'] },
  { path: 'apis/storage.k8s.io/v1', kinds: ['StorageClass'] },
  { path: 'apis/apiextensions.k8s.io/v1', kinds: ['CustomResourceDefinition'] },
  { path: 'apis/discovery.k8s.io/v1', kinds: ['EndpointSlice'] },
];
/** Formats worth checking offline; the rest (int32, int64, double) add nothing over `type`. */
const KEEP_FORMATS = new Set(['byte', 'date-time']);
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    const req = request({ host: '127.0.0.1', port, path, headers, rejectUnauthorized: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitReady(port: number, procs: readonly ChildProcess[]): Promise<void> {
  let last = 'not listening';
  for (let i = 0; i < 240; i++) {
    if (procs.some((p) => p.exitCode !== null)) throw new Error('etcd or kube-apiserver exited early; see the log above');
    try {
      const r = await get(port, '/readyz?verbose');
      if (r.status === 200) return;
      last = `${r.status}: ${r.body.split('\n').filter((l) => l.startsWith('[-]')).join(', ') || r.body.slice(0, 300)}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`kube-apiserver did not become ready in 120s (last /readyz: ${last})`);
}

function start(bin: string, args: readonly string[], log: string): ChildProcess {
  const p = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  p.stderr?.on('data', (c: Buffer) => {
    tail = (tail + c.toString()).slice(-4000);
  });
  p.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`${log} exited ${code}:\n${tail}\n`);
  });
  return p;
}

async function fetchOpenApi(binDir: string): Promise<{ gvs: Map<string, Obj>; version: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-schemas-'));
  const procs: ChildProcess[] = [];
  try {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'tokens.csv'), `${TOKEN},gen-schemas,gen-schemas,"system:masters"\n`);
    const [client, peer, secure] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${client}`;
    procs.push(
      start(join(binDir, 'etcd'), [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=default=http://127.0.0.1:${peer}`,
        '--log-level=warn',
      ], 'etcd'),
    );
    procs.push(
      start(join(binDir, 'kube-apiserver'), [
        `--etcd-servers=${etcdUrl}`,
        `--secure-port=${secure}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--cert-dir=${join(dir, 'certs')}`,
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=AlwaysAllow',
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
      ], 'kube-apiserver'),
    );
    await waitReady(secure, procs);
    const version = (JSON.parse((await get(secure, '/version')).body) as { gitVersion: string }).gitVersion;
    const index = JSON.parse((await get(secure, '/openapi/v3')).body) as { paths: Record<string, { serverRelativeURL: string }> };
    const gvs = new Map<string, Obj>();
    for (const gv of GROUP_VERSIONS) {
      const entry = index.paths[gv.path];
      if (!entry) throw new Error(`apiserver does not serve ${gv.path}`);
      gvs.set(gv.path, JSON.parse((await get(secure, entry.serverRelativeURL)).body) as Obj);
    }
    return { gvs, version };
  } finally {
    for (const p of procs.reverse()) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A throwaway static token: the apiserver lives for seconds, on loopback, in a temp dir. */
const TOKEN = randomBytes(16).toString('hex');

const refName = (ref: string): string => ref.replace('#/components/schemas/', '');

/** Shrinks one OpenAPI schema node to what validation needs and closes objects to unknown fields. */
function compact(node: Json, refs: Set<string>): Json {
  if (Array.isArray(node)) return node.map((n) => compact(n, refs));
  if (!isObj(node)) return node;
  const ref = node['$ref'];
  if (typeof ref === 'string') {
    refs.add(refName(ref));
    return { $ref: `#/definitions/${refName(ref)}` };
  }
  // v3 wraps a $ref in allOf to attach description/default to it.
  const allOf = node['allOf'];
  if (Array.isArray(allOf) && allOf.length === 1 && isObj(allOf[0]) && typeof allOf[0]['$ref'] === 'string') {
    return compact(allOf[0], refs);
  }
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'description' || k === 'default' || k.startsWith('x-kubernetes-') || k === 'example') continue;
    if (k === 'format' && !(typeof v === 'string' && KEEP_FORMATS.has(v))) continue;
    if (k === 'properties' && isObj(v)) {
      const props: Obj = {};
      for (const [pk, pv] of Object.entries(v)) props[pk] = compact(pv, refs);
      out[k] = props;
      continue;
    }
    out[k] = compact(v, refs);
  }
  if (node['x-kubernetes-int-or-string'] === true) return { type: ['integer', 'string'] };
  // Unknown fields are errors (the apiserver's strict field validation rejects them too).
  if (isObj(out['properties']) && out['additionalProperties'] === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    out['additionalProperties'] = false;
  }
  return out;
}

function build(gvs: Map<string, Obj>): { definitions: Obj; kinds: Obj } {
  const all = new Map<string, Obj>();
  const kinds: Obj = {};
  for (const [path, doc] of gvs) {
    const schemas = isObj(doc['components']) && isObj(doc['components']['schemas']) ? doc['components']['schemas'] : {};
    const wanted = GROUP_VERSIONS.find((g) => g.path === path)?.kinds;
    for (const [name, schema] of Object.entries(schemas)) {
      if (!isObj(schema)) continue;
      all.set(name, schema);
      const gvk = schema['x-kubernetes-group-version-kind'];
      if (!Array.isArray(gvk)) continue;
      for (const g of gvk) {
        if (!isObj(g)) continue;
        const kind = JSON.stringify(g['kind']).replace(/"/g, '');
        const version = JSON.stringify(g['version']).replace(/"/g, '');
        const group = typeof g['group'] === 'string' ? g['group'] : '';
        const apiVersion = group ? `${group}/${version}` : version;
        if (wanted && !wanted.includes(kind)) continue;
        if (path.replace(/^apis?\//, '') !== apiVersion) continue;
        kinds[`${apiVersion}/${kind}`] = name;
      }
    }
  }
  const definitions: Obj = {};
  const queue = Object.values(kinds).map(String);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const name = queue.pop() ?? '';
    if (seen.has(name)) continue;
    seen.add(name);
    if (name === QUANTITY) {
      definitions[name] = { type: ['string', 'number'], pattern: QUANTITY_PATTERN };
      continue;
    }
    if (name === INT_OR_STRING) {
      definitions[name] = { type: ['integer', 'string'] };
      continue;
    }
    const schema = all.get(name);
    if (!schema) throw new Error(`dangling $ref ${name}`);
    const refs = new Set<string>();
    definitions[name] = compact(schema, refs);
    queue.push(...refs);
  }
  const sorted: Obj = {};
  for (const k of Object.keys(definitions).sort()) sorted[k] = definitions[k] ?? null;
  return { definitions: sorted, kinds };
}

/** crds.yaml (hand-written, reviewed) → crds.json (what the pure lint engine imports). */
function writeCrds(): void {
  const src = join(ROOT, 'src/lint/schemas/crds.yaml');
  const crds = parseAllDocuments(readFileSync(src, 'utf8')).map((d) => d.toJS() as unknown);
  writeFileSync(join(ROOT, 'src/lint/schemas/crds.json'), `${JSON.stringify(crds)}\n`);
  process.stdout.write(`wrote src/lint/schemas/crds.json: ${crds.length} CRDs\n`);
}

async function main(): Promise<void> {
  writeCrds();
  if (process.argv.includes('--crds-only')) return;
  const binDir = process.env['SLIPWAY_KUBE_BIN'] ?? execFileSync(join(ROOT, 'scripts/build-kube.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const { gvs, version } = await fetchOpenApi(binDir);
  const { definitions, kinds } = build(gvs);
  const out = { $id: 'k8s', kubernetesVersion: version, generatedBy: 'scripts/gen-schemas.ts', kinds, definitions };
  writeFileSync(OUT, `${JSON.stringify(out)}\n`);
  process.stdout.write(`wrote ${OUT}: ${Object.keys(kinds).length} kinds, ${Object.keys(definitions).length} definitions (${version})\n`);
}

await main();
