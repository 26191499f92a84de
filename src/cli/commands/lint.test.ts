import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listRules, type Finding } from '../../lint/index.ts';
import { memoryIo } from '../io.ts';
import { main } from '../main.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CORPUS = 'test/lint-corpus';

async function run(args: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(['node', 'slipway', 'lint', ...args], io);
    return { code, out: io.stdout(), err: io.stderr() };
  } finally {
    process.chdir(prev);
  }
}

async function lintJson(args: string[]): Promise<Finding[]> {
  const r = await run([...args, '-o', 'json', '--fail-on', 'never']);
  expect(r.code, r.err).toBe(0);
  return (JSON.parse(r.out) as { findings: Finding[] }).findings;
}

function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-lint-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const GOOD_CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\ndata: {k: v}\n';
const BAD_DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicass: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: "nginx:1.27"}]
`;

describe('slipway lint (cli)', () => {
  it.each([
    { name: 'clean file → 0', files: { 'a.yaml': GOOD_CM }, args: ['a.yaml'], code: 0 },
    { name: 'error finding → 1', files: { 'd.yaml': BAD_DEPLOY }, args: ['d.yaml'], code: 1 },
    { name: '--fail-on never → 0', files: { 'd.yaml': BAD_DEPLOY }, args: ['d.yaml', '--fail-on', 'never'], code: 0 },
    { name: 'warnings only, --fail-on warning → 1', files: { 'd.yaml': BAD_DEPLOY.replace('replicass', 'replicas') }, args: ['d.yaml', '--fail-on', 'warning'], code: 1 },
    { name: 'warnings only, default → 0', files: { 'd.yaml': BAD_DEPLOY.replace('replicass', 'replicas') }, args: ['d.yaml'], code: 0 },
    { name: 'missing file → 2', files: {}, args: ['nope.yaml'], code: 2 },
    { name: 'YAML syntax error → 2', files: { 'x.yaml': 'a: [1, 2\n' }, args: ['x.yaml'], code: 2 },
    { name: 'invalid config → 2', files: { 'a.yaml': GOOD_CM, '.slipway-lint.yaml': 'disable: [NOPE]\n' }, args: ['a.yaml'], code: 2 },
    { name: 'config re-grades to pass', files: { 'd.yaml': BAD_DEPLOY, 'c.yaml': 'rules: {schema-invalid: warning}\n' }, args: ['d.yaml', '--config', 'c.yaml'], code: 0 },
    { name: 'unknown --explain → 2', files: {}, args: ['--explain', 'NOPE'], code: 2 },
  ])('$name', async ({ files, args, code }) => {
    const r = await run(args, tmp(files));
    expect(r.code, r.out + r.err).toBe(code);
  });

  it('directories: recursive, non-Kubernetes YAML skipped with a note', async () => {
    const dir = tmp({ 'a.yaml': GOOD_CM, 'compose.yaml': 'services:\n  web: {image: nginx}\n', 'd.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'shop' } }) });
    const r = await run(['.', '-o', 'json'], dir);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { objects: number }).objects).toBe(2);
    expect(r.err).toContain('skipped compose.yaml');
  });

  it('--explain, --list', async () => {
    expect((await run(['--explain', 'host-network'])).out).toContain('SEC001 host-network');
    expect((await run(['--list'])).out.trim().split('\n')).toHaveLength(listRules().length);
  });

  it('-o sarif is SARIF 2.1.0 with positions', async () => {
    const r = await run(['d.yaml', '-o', 'sarif'], tmp({ 'd.yaml': BAD_DEPLOY }));
    const log = JSON.parse(r.out) as { version: string; runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    expect(log.version).toBe('2.1.0');
    const res = log.runs[0]?.results.find((x) => x.ruleId === 'SCH001');
    expect(res?.locations[0]?.physicalLocation).toMatchObject({ artifactLocation: { uri: 'd.yaml' }, region: { startLine: 5 } });
  });

  it('--crd validates custom resources; CRDs among the inputs are used too', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {type: integer}}}}}}}]
`;
    const cr = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: {size: big}\n';
    const dir = tmp({ 'crd.yaml': crd, 'cr.yaml': cr });
    const viaFlag = await run(['cr.yaml', '--crd', 'crd.yaml', '-o', 'json'], dir);
    expect(viaFlag.out).toContain('expected integer');
    const together = await run(['.', '-o', 'json'], dir);
    expect(together.out).toContain('expected integer');
    const without = await run(['cr.yaml', '-o', 'json'], dir);
    expect(without.out).toContain('SCH002');
  });

  it('stdin (-), through the real binary since the CLI reads fd 0', () => {
    const out = execFileSync(join(ROOT, 'bin/slipway'), ['lint', '-', '-o', 'json', '--fail-on', 'never'], { input: BAD_DEPLOY, encoding: 'utf8', cwd: ROOT });
    const f = (JSON.parse(out) as { findings: Finding[] }).findings.find((x) => x.ruleId === 'SCH001');
    expect(f?.position).toEqual({ file: '<stdin>', line: 5, col: 3 });
  });

  it('slipway.yaml is rendered and linted per environment, with no error findings', async () => {
    const r = await run(['examples/code-review', '-o', 'json']);
    expect(r.code, r.out.slice(0, 2000) + r.err).toBe(0);
    const findings = (JSON.parse(r.out) as { findings: Finding[] }).findings;
    expect(new Set(findings.map((f) => f.context))).toEqual(new Set(['env dev', 'env staging', 'env prod']));
  });

  const hasKubectl = (process.env['PATH'] ?? '').split(':').some((p) => existsSync(join(p, 'kubectl')));
  // kubectl is part of the machine (and of CI); elsewhere its absence skips rather than fails.
  it.skipIf(!hasKubectl && process.env['CI'] !== 'true')('--kustomize builds with kubectl kustomize', async () => {
    const dir = tmp({ 'kustomization.yaml': 'resources: [d.yaml]\nnamespace: shop\n', 'd.yaml': BAD_DEPLOY.replace('namespace: shop', 'namespace: x') });
    const findings = await lintJson(['-k', dir]);
    expect(findings.find((f) => f.ruleId === 'SCH001')?.position?.file).toBe(`kustomize:${dir}`);
  });
});

/** `# expect: ID, ID` comments in the corpus: file → line → rule ids. */
function expectations(): { file: string; line: number; rule: string }[] {
  const out: { file: string; line: number; rule: string }[] = [];
  for (const name of readdirSync(join(ROOT, CORPUS)).filter((n) => n.endsWith('.yaml'))) {
    readFileSync(join(ROOT, CORPUS, name), 'utf8')
      .split('\n')
      .forEach((l, i) => {
        const m = /#\s*expect:\s*(.+)$/.exec(l);
        for (const rule of m?.[1]?.split(',').map((s) => s.trim()) ?? []) out.push({ file: `${CORPUS}/${name}`, line: i + 1, rule });
      });
  }
  return out;
}

describe('conformance: test/lint-corpus', () => {
  const expected = expectations();

  it.each(expected)('$file:$line $rule', async ({ file, line, rule }) => {
    const findings = await corpusFindings();
    const at = findings.filter((f) => f.position?.file === file && f.position.line === line).map((f) => f.ruleId);
    expect(at).toContain(rule);
  });

  it('every error-severity finding in the corpus is an expected one (no noise at error)', async () => {
    const want = new Set(expected.map((e) => `${e.file}:${e.line}:${e.rule}`));
    const unexpected = (await corpusFindings()).filter((f) => f.severity === 'error' && !want.has(`${f.position?.file ?? ''}:${f.position?.line ?? 0}:${f.ruleId}`));
    expect(unexpected.map((f) => `${f.position?.file ?? ''}:${f.position?.line ?? 0} ${f.ruleId} ${f.message}`)).toEqual([]);
  });
});

let corpusCache: Promise<Finding[]> | undefined;
function corpusFindings(): Promise<Finding[]> {
  corpusCache ??= lintJson([CORPUS]);
  return corpusCache;
}
