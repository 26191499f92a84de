/**
 * Time against the number of keys in one mapping, on the YAML path that keeps positions.
 *
 *   node bench/yaml.ts                 (sizes 10k, 20k, 40k, 80k)
 *   SIZES=1000,4000 RUNS=1 node bench/yaml.ts
 *
 * Three inputs per size n, each parsed in-process (best of RUNS, default 3, after one warm-up run):
 * - spec: a slipway.yaml whose one service has n `env` entries (`loadSpec`: parse, schema, semantics);
 * - configmap+anchor: a ConfigMap with n `data` keys and one anchor, which sends `parseManifests`
 *   down the `yaml` path (no anchor: the js-yaml fast path);
 * - configmap: the same without the anchor, for comparison.
 * Linear time shows as a constant µs/key column; a quadratic step as µs/key doubling with n.
 * A run that takes longer than LIMIT_S (default 60) seconds is cut short and reported as such.
 */
import { loadSpec } from '../src/appspec/index.ts';
import { parseManifests } from '../src/manifest/index.ts';

const SIZES = (process.env['SIZES'] ?? '10000,20000,40000,80000').split(',').map(Number);
const LIMIT_S = Number(process.env['LIMIT_S'] ?? 60);
const RUNS = Number(process.env['RUNS'] ?? 3);

function spec(n: number): string {
  const env = Array.from({ length: n }, (_, i) => `      VAR_${i}: value-${i}\n`).join('');
  return `app: bench\nservices:\n  api:\n    image: ghcr.io/acme/api:1.0\n    env:\n${env}`;
}

function configMap(n: number, anchor: boolean): string {
  const data = Array.from({ length: n }, (_, i) => `  key-${i}: value-${i}\n`).join('');
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  labels: ${anchor ? '&l ' : ''}{app: big}\ndata:\n${data}`;
}

/** Best of RUNS runs in ms, after one warm-up; undefined when a run exceeds LIMIT_S. */
function time(f: () => unknown): number | undefined {
  let best = Infinity;
  for (let i = 0; i <= RUNS; i++) {
    const start = performance.now();
    f();
    const ms = performance.now() - start;
    if (ms > LIMIT_S * 1000) return undefined;
    if (i > 0) best = Math.min(best, ms);
  }
  return best;
}

const cases: { name: string; make: (n: number) => string; run: (text: string) => unknown }[] = [
  { name: 'spec (loadSpec)', make: spec, run: (t) => loadSpec(t, 'slipway.yaml') },
  { name: 'configmap+anchor (parseManifests)', make: (n) => configMap(n, true), run: (t) => parseManifests(t, 'cm.yaml') },
  { name: 'configmap (parseManifests)', make: (n) => configMap(n, false), run: (t) => parseManifests(t, 'cm.yaml') },
];

console.log('| input | keys | ms | µs/key |');
console.log('|---|---:|---:|---:|');
for (const c of cases) {
  for (const n of SIZES) {
    const text = c.make(n);
    const ms = time(() => c.run(text));
    const cells = ms === undefined ? [`> ${LIMIT_S * 1000}`, '-'] : [ms.toFixed(0), ((ms * 1000) / n).toFixed(1)];
    console.log(`| ${c.name} | ${n.toLocaleString('en-US')} | ${cells.join(' | ')} |`);
    if (ms === undefined) break;
  }
}
