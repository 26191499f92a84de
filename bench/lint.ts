/**
 * Lint throughput: 10,000 objects, slipway vs kube-linter, in one run on the same files.
 *
 *   node bench/lint.ts            (appends a row to bench/RESULTS.md)
 *   OBJECTS=2000 node bench/lint.ts
 *
 * Both tools read the same directory of YAML files from disk and run all their checks (slipway:
 * every rule + schema validation; kube-linter: --add-all-built-in). slipway is timed twice: the
 * CLI end to end (process start, read, parse, lint, JSON out — what kube-linter's number also
 * includes) and in-process (parse + lint; best of 3 in one process, so schemas are compiled and
 * the code is warm), with lintObjects alone on already-parsed input as a separate row.
 *
 * kube-linter comes from scripts/install-go-tools.sh, which cannot install it on the machines
 * this has run on so far: the Go module proxy answers 403 Forbidden for
 * golang.stackrox.io/kube-linter (checked with
 * `curl -w '%{http_code}' https://proxy.golang.org/golang.stackrox.io/kube-linter/@v/list`).
 * When it is absent nothing is estimated or borrowed from elsewhere: the row says "absent" and
 * why, there is no ratio, and slipway's numbers can only be read against the spec's goal.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintObjects } from '../src/lint/index.ts';
import { parseManifests } from '../src/manifest/index.ts';

const ROOT = join(import.meta.dirname, '..');
/** Why kube-linter is usually missing; printed and recorded with every run that lacks it. */
const KUBE_LINTER_ABSENT =
  'absent: not on PATH or in the slipway tools cache; scripts/install-go-tools.sh cannot install it because the Go module proxy answers 403 for golang.stackrox.io/kube-linter';
const TOTAL = Number(process.env['OBJECTS'] ?? 10_000);
const PER_APP = 5; // Deployment, Service, PDB, HPA, NetworkPolicy

function app(i: number): string {
  const ns = `team-${i % 100}`;
  const name = `svc-${i}`;
  // Every 7th app has problems, so findings are produced and reported like in real use.
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
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: ${bad ? '64MB' : '256Mi'}}}
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

function kubeLinterBin(): string | undefined {
  const dir = join(process.env['SLIPWAY_CACHE'] ?? join(process.env['HOME'] ?? '', '.cache/slipway'), 'tools/bin');
  return [join(dir, 'kube-linter'), ...(process.env['PATH'] ?? '').split(':').map((p) => join(p, 'kube-linter'))].find((c) => existsSync(c));
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

  const kl = kubeLinterBin();
  let klTime: number | undefined;
  let klVersion = 'absent';
  if (kl !== undefined) {
    klVersion = execFileSync(kl, ['version'], { encoding: 'utf8' }).trim();
    klTime = best(3, () => {
      spawnSync(kl, ['lint', '--add-all-built-in', '--format', 'json', dir], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    });
  }

  const rate = (s: number): string => `${Math.round(objects / s).toLocaleString('en-US')} obj/s`;
  const lines = [
    `objects: ${objects} (${files.length} files, ${findings} findings)`,
    `slipway in-process (parse+lint): ${inProcess.toFixed(2)} s, ${rate(inProcess)}`,
    `  of which lintObjects alone:    ${lintOnly.toFixed(2)} s, ${rate(lintOnly)}`,
    `slipway CLI end to end:          ${cli.toFixed(2)} s, ${rate(cli)}`,
    klTime !== undefined ? `kube-linter ${klVersion}:        ${klTime.toFixed(2)} s, ${rate(klTime)}` : `kube-linter: ${KUBE_LINTER_ABSENT}; no ratio`,
    ...(klTime !== undefined ? [`ratio slipway CLI / kube-linter throughput: ${(klTime / cli).toFixed(2)}x (goal ≥ 1)`] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const results = join(ROOT, 'bench/RESULTS.md');
  if (!existsSync(results)) writeFileSync(results, '# Benchmark results\n');
  const ratio = klTime !== undefined ? `${(klTime / cli).toFixed(2)}x` : `n/a (kube-linter ${KUBE_LINTER_ABSENT})`;
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
      `| kube-linter ${klVersion} (--add-all-built-in) | ${klTime?.toFixed(2) ?? '—'} | ${klTime !== undefined ? Math.round(objects / klTime) : '—'} |\n\n` +
      `${objects} objects, ${findings} findings. Throughput ratio slipway/kube-linter: ${ratio}.\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
