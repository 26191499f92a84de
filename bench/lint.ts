/**
 * Lint throughput: 10,000 objects, slipway vs kube-score, in one run on the same files.
 *
 *   node bench/lint.ts            (appends a row to bench/RESULTS.md)
 *   OBJECTS=2000 node bench/lint.ts
 *
 * Both tools read the same directory of YAML files from disk and run all their checks (slipway:
 * every rule + schema validation; kube-score: `score --all-default-optional`, JSON out). slipway
 * is timed twice: the CLI end to end (process start, read, parse, lint, JSON out — what
 * kube-score's number also includes) and in-process (parse + lint; best of 3 in one process, so
 * schemas are compiled and the code is warm), with lintObjects alone on already-parsed input as a
 * separate row.
 *
 * kube-score (v1.20.0) comes from scripts/install-go-tools.sh. It decodes objects into the
 * Kubernetes Go types and gives up on the first value that does not decode (e.g. a `64MB`
 * quantity), so the corpus has only defects it can read; the run checks that kube-score scored
 * every object. (kube-linter, the earlier peer, cannot be installed: the Go module proxy refuses
 * golang.stackrox.io/kube-linter.) When kube-score is absent nothing is estimated: the row says
 * "absent" and there is no ratio.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintObjects } from '../src/lint/index.ts';
import { parseManifests } from '../src/manifest/index.ts';

const ROOT = join(import.meta.dirname, '..');
/** Printed and recorded with every run that lacks kube-score. */
const KUBE_SCORE_ABSENT = 'absent: not on PATH or in the slipway tools cache; run scripts/install-go-tools.sh';
const TOTAL = Number(process.env['OBJECTS'] ?? 10_000);
const PER_APP = 5; // Deployment, Service, PDB, HPA, NetworkPolicy

function app(i: number): string {
  const ns = `team-${i % 100}`;
  const name = `svc-${i}`;
  // Every 7th app has problems, so findings are produced and reported like in real use. Only
  // problems kube-score can decode: a memory limit below the request, not an invalid quantity.
  const bad = i % 7 === 0;
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      serviceAccountName: ${name}
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: ${name}}}}]
      containers:
        - name: app
          image: ${bad ? 'nginx:latest' : `registry.example.com/${name}:1.${i}.0`}
          ports: [{name: http, containerPort: 8080}]
          env: [{name: LOG_LEVEL, value: info}${bad ? ', {name: API_TOKEN, value: abc123}' : ''}]
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: ${bad ? '64Mi' : '256Mi'}}}
          livenessProbe: {httpGet: {path: /livez, port: http}}
          readinessProbe: {httpGet: {path: /readyz, port: http}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}${bad ? ', privileged: true' : ''}}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ${name}, namespace: ${ns}}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: ${name}}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ${name}, namespace: ${ns}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${name}}
  minReplicas: 2
  maxReplicas: 6
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {app: ${name}}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 8080}]}]
`;
}

function kubeScoreBin(): string | undefined {
  const dir = join(process.env['SLIPWAY_CACHE'] ?? join(process.env['HOME'] ?? '', '.cache/slipway'), 'tools/bin');
  return [join(dir, 'kube-score'), ...(process.env['PATH'] ?? '').split(':').map((p) => join(p, 'kube-score'))].find((c) => existsSync(c));
}

/** The module version `go install` built (kube-score itself reports "development" then). */
function goModuleVersion(bin: string): string {
  const r = spawnSync('go', ['version', '-m', bin], { encoding: 'utf8' });
  return /^\tmod\t\S+\t(v\S+)/m.exec(r.stdout)?.[1] ?? 'unknown version';
}

function runKubeScore(bin: string, dir: string, files: readonly string[], objects: number): void {
  const r = spawnSync(bin, ['score', '-o', 'json', '--all-default-optional', ...files], { cwd: dir, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  // Exit 1 means "critical findings"; anything else means it did not score the files.
  if (r.status !== 0 && r.status !== 1) throw new Error(`kube-score failed (${String(r.status)}): ${r.stderr}`);
  const scored = (JSON.parse(r.stdout) as unknown[] | null)?.length ?? 0;
  if (scored !== objects) throw new Error(`kube-score scored ${scored} objects, expected ${objects}`);
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

/** Best of `n` runs: the machine is shared, the minimum is the least disturbed measurement. */
function best(n: number, fn: () => void): number {
  return Math.min(...Array.from({ length: n }, () => time(fn)));
}

const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-lint-'));
try {
  const apps = Math.ceil(TOTAL / PER_APP);
  const files: string[] = [];
  // 100 apps per file, like a rendered output directory.
  for (let f = 0; f * 100 < apps; f++) {
    const docs: string[] = [];
    for (let i = f * 100; i < Math.min(apps, (f + 1) * 100); i++) docs.push(app(i));
    const file = join(dir, `apps-${f}.yaml`);
    writeFileSync(file, docs.join('---\n'));
    files.push(file);
  }
  const objects = apps * PER_APP;

  let findings = 0;
  const inProcess = best(3, () => {
    const docs = files.flatMap((f) => parseManifests(readFileSync(f, 'utf8'), f));
    findings = lintObjects(docs).findings.length;
  });
  // Where the in-process time goes: lint alone on input parsed once (YAML parsing is src/manifest's).
  const parsed = files.flatMap((f) => parseManifests(readFileSync(f, 'utf8'), f));
  const lintOnly = best(3, () => {
    lintObjects(parsed);
  });
  const cli = best(3, () => {
    const r = spawnSync(join(ROOT, 'bin/slipway'), ['lint', dir, '-o', 'json', '--fail-on', 'never'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`slipway lint failed: ${r.stderr}`);
  });

  const ks = kubeScoreBin();
  let ksTime: number | undefined;
  let ksVersion = 'absent';
  if (ks !== undefined) {
    ksVersion = goModuleVersion(ks);
    ksTime = best(3, () => {
      runKubeScore(ks, dir, files, objects);
    });
  }

  const rate = (s: number): string => `${Math.round(objects / s).toLocaleString('en-US')} obj/s`;
  const lines = [
    `objects: ${objects} (${files.length} files, ${findings} findings)`,
    `slipway in-process (parse+lint): ${inProcess.toFixed(2)} s, ${rate(inProcess)}`,
    `  of which lintObjects alone:    ${lintOnly.toFixed(2)} s, ${rate(lintOnly)}`,
    `slipway CLI end to end:          ${cli.toFixed(2)} s, ${rate(cli)}`,
    ksTime !== undefined ? `kube-score ${ksVersion}:        ${ksTime.toFixed(2)} s, ${rate(ksTime)}` : `kube-score: ${KUBE_SCORE_ABSENT}; no ratio`,
    ...(ksTime !== undefined ? [`ratio slipway CLI / kube-score throughput: ${(ksTime / cli).toFixed(2)}x (goal ≥ 1)`] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const results = join(ROOT, 'bench/RESULTS.md');
  if (!existsSync(results)) writeFileSync(results, '# Benchmark results\n');
  const ratio = ksTime !== undefined ? `${(ksTime / cli).toFixed(2)}x` : `n/a (kube-score ${KUBE_SCORE_ABSENT})`;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  appendFileSync(
    results,
    `\n## lint — ${new Date().toISOString().slice(0, 10)}\n\nCommand: \`OBJECTS=${TOTAL} node bench/lint.ts\` (${cpus().length} cores, shared machine, load average at the end ${load}; best of 3)\n\n` +
      `| tool | seconds | objects/s |\n| --- | --- | --- |\n` +
      `| slipway lint (CLI, all rules + schema) | ${cli.toFixed(2)} | ${Math.round(objects / cli)} |\n` +
      `| slipway lintObjects (in-process parse+lint) | ${inProcess.toFixed(2)} | ${Math.round(objects / inProcess)} |\n` +
      `| of which lintObjects alone (parsed input) | ${lintOnly.toFixed(2)} | ${Math.round(objects / lintOnly)} |\n` +
      `| kube-score ${ksVersion} (score --all-default-optional, CLI) | ${ksTime?.toFixed(2) ?? '—'} | ${ksTime !== undefined ? Math.round(objects / ksTime) : '—'} |\n\n` +
      `${objects} objects, ${findings} slipway findings. Throughput ratio slipway CLI/kube-score: ${ratio}.\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
