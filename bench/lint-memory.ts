/**
 * Peak memory of `slipway lint` on many minimal Pods (issue 14, item 5: 40,000 Pods peaked at
 * 1.6 GB; goal: under 300 MB for 10,000 objects), against kube-score on the same file.
 *
 *   node bench/lint-memory.ts                      10,000 Pods, text/json/sarif, prints a table
 *   node bench/lint-memory.ts --pods 40000 --append   also appends the table to bench/RESULTS.md
 *   node bench/lint-memory.ts --root /tmp/old-checkout   measure another checkout's bin/slipway
 *
 * Each Pod is the smallest valid one (one container, an image, no securityContext), so every
 * object draws ~13 findings: the input is 1 MB, the text report 20 MB, the SARIF report 100 MB.
 * Each command runs as its own process under GNU time (`/usr/bin/time -v`), whose "Maximum
 * resident set size" is the number reported; output goes to /dev/null. The machine is shared:
 * runs repeat (`--runs`, default 3) and the lowest peak is reported, as in the other benches.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    pods: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    root: { type: 'string', default: join(import.meta.dirname, '..') },
    append: { type: 'boolean', default: false },
  },
});
const PODS = Number(args.pods);
const RUNS = Number(args.runs);
const ROOT = args.root;
const TIME = '/usr/bin/time';

function pods(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p${i}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n---\n`;
  return s;
}

interface Peak {
  readonly mb: number;
  readonly seconds: number;
}

/** Peak RSS (MB) and wall time of one process, the lowest of {@link RUNS} runs. */
function peak(cmd: string, argv: readonly string[]): Peak {
  let best: Peak | undefined;
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(TIME, ['-v', cmd, ...argv], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
    if (kb === undefined || wall === null) throw new Error(`${cmd} ${argv.join(' ')}: no measurement (exit ${String(r.status)}):\n${r.stderr.slice(-2000)}`);
    // The tools exit 1 for findings; anything else means the run did not lint the file.
    const exit = /Exit status: (\d+)/.exec(r.stderr)?.[1];
    if (exit !== undefined && exit !== '0' && exit !== '1') throw new Error(`${cmd} ${argv.join(' ')} exited ${exit}:\n${r.stderr.slice(-2000)}`);
    const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
    const run = { mb: Math.round(Number(kb) / 1024), seconds };
    if (best === undefined || run.mb < best.mb) best = run;
  }
  if (best === undefined) throw new Error('--runs must be at least 1');
  return best;
}

function kubeScoreBin(): string | undefined {
  const dir = join(process.env['SLIPWAY_CACHE'] ?? join(process.env['HOME'] ?? '', '.cache/slipway'), 'tools/bin');
  return [join(dir, 'kube-score'), ...(process.env['PATH'] ?? '').split(':').map((p) => join(p, 'kube-score'))].find((c) => existsSync(c));
}

if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure peak RSS`);
const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-lint-memory-'));
try {
  const file = join(dir, 'pods.yaml');
  const text = pods(PODS);
  writeFileSync(file, text);
  const bin = join(ROOT, 'bin', 'slipway');
  const rows: [string, Peak][] = [];
  for (const format of ['text', 'json', 'sarif']) rows.push([`slipway lint -o ${format}`, peak(bin, ['lint', file, '-o', format, '--fail-on', 'never'])]);
  const ks = kubeScoreBin();
  if (ks !== undefined) rows.push(['kube-score score -o json --all-default-optional', peak(ks, ['score', '-o', 'json', '--all-default-optional', file])]);
  const table = [`| command | peak RSS (MB) | seconds |`, `| --- | --- | --- |`, ...rows.map(([name, p]) => `| ${name} | ${p.mb} | ${p.seconds.toFixed(2)} |`)].join('\n');
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const header = `${PODS} minimal Pods, ${(text.length / 1e6).toFixed(1)} MB; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average at the end ${load}; lowest of ${RUNS}; checkout ${ROOT}`;
  process.stdout.write(`${header}\n\n${table}\n`);
  if (args.append) {
    appendFileSync(
      join(import.meta.dirname, 'RESULTS.md'),
      `\n### lint memory — ${new Date().toISOString()}\n\nCommand: \`node bench/lint-memory.ts --pods ${PODS} --runs ${RUNS}${args.root === join(import.meta.dirname, '..') ? '' : ` --root ${ROOT}`} --append\`\n${header}\n\n${table}\n`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
