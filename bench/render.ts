/**
 * Render benchmark (issue 2), peers measured in the same run on the same machine:
 *
 * 1. render: a generated 500-service spec → YAML manifests, `renderApp` + `stringifyManifests`
 *    in-process, against a cdk8s (cdk8s-plus-33) app synthesizing the equivalent objects per
 *    service (Deployment, Service, HPA, PDB, NetworkPolicy, ConfigMap) with `synthYaml()`.
 *    Both in-process, no file I/O; median of several runs after a warm-up.
 * 2. import: a generated 500-service docker-compose file, end to end as CLI processes:
 *    `./bin/slipway import compose` vs `kompose convert` (installed by scripts/install-go-tools.sh);
 *    plus `importCompose` in-process, to tell the engine from CLI start-up and output.
 *
 * Run: node bench/render.ts [--services 500] [--runs 5] [--append]
 * --append adds the results to bench/RESULTS.md (render section).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiObject, App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { stringifyManifests } from '../src/manifest/index.ts';
import { renderApp } from '../src/render/index.ts';
import { DEFAULT_ENVIRONMENT, importCompose, type AppSpec, type ServiceSpec } from '../src/appspec/index.ts';

const { values: args } = parseArgs({
  options: { services: { type: 'string', default: '500' }, runs: { type: 'string', default: '5' }, append: { type: 'boolean', default: false } },
});
const N = Number(args.services);
const RUNS = Number(args.runs);
const root = resolve(import.meta.dirname, '..');

const name = (i: number): string => `svc-${String(i).padStart(3, '0')}`;

/** N services; each calls the previous one, so each also gets NetworkPolicy edges. */
function generateSpec(n: number): AppSpec {
  const services: Record<string, ServiceSpec> = {};
  for (let i = 0; i < n; i++) {
    services[name(i)] = {
      image: `ghcr.io/acme/${name(i)}:1.0.${i}`,
      ports: [{ name: 'http', port: 8080, servicePort: 80 }],
      env: { LOG_LEVEL: 'info', PEER: i > 0 ? `http://${name(i - 1)}` : 'none' },
      config: [{ path: '/etc/app/app.conf', content: `name = ${name(i)}\nworkers = 4\n` }],
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      autoscaling: { min: 2, max: 6, cpu: 70 },
      ...(i > 0 ? { dependsOn: [name(i - 1)] } : {}),
    };
  }
  return { app: 'bench', namespace: 'bench', services };
}

function slipwayRender(spec: AppSpec, yaml: boolean): { yaml: string; objects: number } {
  const { objects } = renderApp(spec, DEFAULT_ENVIRONMENT);
  return { yaml: yaml ? stringifyManifests(objects) : '', objects: objects.length };
}

/** The same objects per service, written the cdk8s way. `yaml: false`: objects only (chart.toJson). */
function cdk8sRender(n: number, yaml: boolean): { yaml: string; objects: number } {
  const app = new App();
  const chart = new Chart(app, 'bench', { namespace: 'bench', disableResourceNameHashes: true });
  let previous: kplus.Deployment | undefined;
  for (let i = 0; i < n; i++) {
    const id = name(i);
    const config = new kplus.ConfigMap(chart, `${id}-config`, { data: { 'app.conf': `name = ${id}\nworkers = 4\n` } });
    const deployment = new kplus.Deployment(chart, id, {
      containers: [
        {
          name: id,
          image: `ghcr.io/acme/${id}:1.0.${i}`,
          portNumber: 8080,
          envVariables: { LOG_LEVEL: kplus.EnvValue.fromValue('info'), PEER: kplus.EnvValue.fromValue(i > 0 ? `http://${name(i - 1)}` : 'none') },
          resources: {
            cpu: { request: kplus.Cpu.millis(100) },
            memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
          },
          volumeMounts: [{ path: '/etc/app', volume: kplus.Volume.fromConfigMap(chart, `${id}-volume`, config as unknown as kplus.IConfigMap) }],
        },
      ],
    });
    deployment.exposeViaService({ name: id, ports: [{ port: 80, targetPort: 8080 }] });
    new kplus.HorizontalPodAutoscaler(chart, `${id}-hpa`, {
      target: deployment,
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70))],
    });
    new ApiObject(chart, `${id}-pdb`, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: id },
      spec: { maxUnavailable: 1, selector: { matchLabels: deployment.matchLabels } },
    });
    if (previous) deployment.connections.allowTo(previous, { ports: [kplus.NetworkPolicyPort.tcp(8080)] });
    previous = deployment;
  }
  if (!yaml) {
    const objects = chart.toJson();
    return { yaml: '', objects: objects.length };
  }
  const text = app.synthYaml();
  return { yaml: text, objects: text.split(/^---$/m).filter((d) => d.trim() !== '').length };
}

interface Timing {
  readonly label: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly objects: number;
  readonly bytes: number;
}

function time(label: string, fn: () => { yaml: string; objects: number }): Timing {
  let last = fn(); // warm-up: JIT and module initialisation are not what is compared
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    last = fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { label, medianMs: samples[Math.floor(samples.length / 2)] ?? 0, minMs: samples[0] ?? 0, objects: last.objects, bytes: last.yaml.length };
}

function generateCompose(n: number): string {
  const lines = ['name: bench', 'services:'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  ${name(i)}:`,
      `    image: ghcr.io/acme/${name(i)}:1.0.${i}`,
      '    ports: ["8080:8080"]',
      '    environment:',
      '      LOG_LEVEL: info',
      `      PEER: http://${i > 0 ? name(i - 1) : 'none'}:8080`,
      '    deploy:',
      '      replicas: 2',
      '      resources: { limits: { memory: 256M }, reservations: { cpus: "0.1", memory: 128M } }',
    );
    if (i > 0) lines.push(`    depends_on: [${name(i - 1)}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** Wall time of a whole CLI process, median of RUNS after one warm-up (disk cache). */
function timeProcess(label: string, cmd: string, argv: readonly string[]): Timing {
  const once = (): number => {
    const t0 = performance.now();
    execFileSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
    return performance.now() - t0;
  };
  once();
  const samples = Array.from({ length: RUNS }, once).sort((a, b) => a - b);
  return { label, medianMs: samples[Math.floor(samples.length / 2)] ?? 0, minMs: samples[0] ?? 0, objects: 0, bytes: 0 };
}

const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;
const ratio = (a: Timing, b: Timing): string => `${(b.medianMs / a.medianMs).toFixed(1)}×`;

const spec = generateSpec(N);
// Objects only (the engines themselves), then objects serialised to YAML (what users get).
const slipObjects = time(`slipway renderApp → objects, ${N} services`, () => slipwayRender(spec, false));
const cdkObjects = time(`cdk8s-plus-33 chart.toJson() → objects, ${N} services`, () => cdk8sRender(N, false));
const slipYaml = time(`slipway renderApp + stringifyManifests → YAML, ${N} services`, () => slipwayRender(spec, true));
const cdkYaml = time(`cdk8s-plus-33 app.synthYaml() → YAML, ${N} services`, () => cdk8sRender(N, true));
const rows = [slipObjects, cdkObjects, slipYaml, cdkYaml];
const lines: string[] = [
  `| what | median | min | objects | YAML bytes |`,
  `|---|---|---|---|---|`,
  ...rows.map((r) => `| ${r.label} | ${fmt(r.medianMs)} | ${fmt(r.minMs)} | ${r.objects} | ${r.bytes} |`),
  '',
  `render to objects: slipway is **${ratio(slipObjects, cdkObjects)}** as fast as cdk8s (goal ≥ 10×); absolute ${fmt(slipObjects.medianMs)} (goal < 1 s).`,
  `render to YAML: slipway is **${ratio(slipYaml, cdkYaml)}** as fast as cdk8s; absolute ${fmt(slipYaml.medianMs)} (goal < 1 s).`,
];

const kompose = join(process.env['SLIPWAY_CACHE'] ?? join(homedir(), '.cache', 'slipway'), 'tools', 'bin', 'kompose');
if (existsSync(kompose)) {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
  try {
    const compose = join(dir, 'docker-compose.yml');
    writeFileSync(compose, generateCompose(N));
    const text = generateCompose(N);
    const inProcess = time(`slipway importCompose (in-process engine only), ${N} services`, () => {
      importCompose({ text, file: compose });
      return { yaml: '', objects: 0 };
    });
    const imp = timeProcess(`slipway import compose (CLI process), ${N} services`, join(root, 'bin/slipway'), ['import', 'compose', compose, '-o', join(dir, 'slipway.yaml'), '--force']);
    const kom = timeProcess(`kompose convert (CLI process), ${N} services`, kompose, ['convert', '-f', compose, '-o', join(dir, 'kompose-out'), '--with-kompose-annotation=false']);
    lines.push(
      '',
      `| what | median | min |`,
      `|---|---|---|`,
      ...[inProcess, imp, kom].map((r) => `| ${r.label} | ${fmt(r.medianMs)} | ${fmt(r.minMs)} |`),
      '',
      `import: slipway is **${ratio(imp, kom)}** as fast as kompose (goal ≥ 2×); absolute ${fmt(imp.medianMs)} (goal < 1 s).`,
    );
    if (!existsSync(join(dir, 'slipway.yaml'))) lines.push('', 'WARNING: slipway import wrote no output.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  lines.push('', `import: kompose not installed (${kompose}); run scripts/install-go-tools.sh kompose.`);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const machine = `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const load = loadavg().map((l) => l.toFixed(1)).join(' ');
const report = [
  `### render — ${new Date().toISOString()}`,
  '',
  `Command: \`node bench/render.ts --services ${N} --runs ${RUNS}${args.append ? ' --append' : ''}\``,
  `Machine: ${machine}; load average at the end: ${load} (the machine is shared: compare ratios, not absolutes)`,
  '',
  ...lines,
  '',
].join('\n');
process.stdout.write(`${report}\n`);

if (args.append) {
  const file = join(root, 'bench', 'RESULTS.md');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\nOne section per benchmark; newest run last.\n';
  const heading = '## render (bench/render.ts)';
  const next = previous.includes(heading) ? insertIntoSection(previous, heading, report) : `${previous.trimEnd()}\n\n${heading}\n\n${report}`;
  writeFileSync(file, `${next.trimEnd()}\n`);
}

/** Appends `report` at the end of the `heading` section, keeping other sections as they are. */
function insertIntoSection(text: string, heading: string, report: string): string {
  const start = text.indexOf(heading);
  const nextSection = text.indexOf('\n## ', start + heading.length);
  const end = nextSection < 0 ? text.length : nextSection;
  return `${text.slice(0, end).trimEnd()}\n\n${report}\n${text.slice(end)}`;
}
