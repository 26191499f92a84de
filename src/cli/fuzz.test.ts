/**
 * The fuzz suite (issue 14, "Proof"): the real CLI (`main` with an in-memory Io, as the command
 * tests run it) on mutated examples, specs, compose files and manifests, plus the issue's directed
 * cases. Every case must
 * - exit 0, 1 or 2 (the documented codes; 130 is only for Ctrl-C),
 * - finish within a time bound (SLIPWAY_FUZZ_TIMEOUT_MS per case, default 20 s) and a memory
 *   bound (the process that runs the cases: 1 GiB of heap, 1.5 GiB resident; past it the case fails),
 * - never print a JavaScript error (a JS error message or a stack frame) or a Node warning on
 *   stderr, and keep stderr under 256 KB;
 * - give a hint with every exit 2 (text output; SLIPWAY_FUZZ_STRICT=0 skips this check).
 * Whether validate, render and import agree with each other on a mutated input is not judged
 * here (see the validate/render tests); only that each command answers as documented.
 *
 * Cases run in a child process, one after another, so that a case that hangs or eats memory is
 * stopped (the process is killed and replaced) instead of stopping the test run.
 *
 *   vitest run --project unit src/cli/fuzz.test.ts                     the bounded run (make test)
 *   SLIPWAY_FUZZ_CASES=100000 vitest run --project unit src/cli/fuzz.test.ts   a long run
 *   SLIPWAY_FUZZ_SEED=7 ...                                             another seed (default 20261204)
 *   SLIPWAY_FUZZ_SEED=7 SLIPWAY_FUZZ_CASE=123 ...                       only case 123 of seed 7
 *
 * A failing case prints its seed, case number, command, what was mutated, the start of the input
 * and where the whole input was kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { caseSeed, damageBytes, mutateDocuments, mutateStructure, Rng } from './fuzz.test-util.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SEED = Number(process.env['SLIPWAY_FUZZ_SEED'] ?? 20261204);
const CASES = Number(process.env['SLIPWAY_FUZZ_CASES'] ?? 400);
const ONLY = process.env['SLIPWAY_FUZZ_CASE'] === undefined ? undefined : Number(process.env['SLIPWAY_FUZZ_CASE']);
const TIMEOUT_MS = Number(process.env['SLIPWAY_FUZZ_TIMEOUT_MS'] ?? 20_000);
/**
 * Also require a `hint:` with every exit 2 (text output): bad input says what to do. On by
 * default (every spec, render and lint problem has one); SLIPWAY_FUZZ_STRICT=0 turns it off.
 */
const STRICT = process.env['SLIPWAY_FUZZ_STRICT'] !== '0';
const HEAP_MB = 1024;
/** Resident memory of the process that runs the cases (heap, buffers and code). */
const RSS_MB = 1536;
const MAX_STDERR = 256 * 1024;

/** What must never reach a user: JavaScript's own messages, stack frames, Node's warnings. */
const JS_ERROR =
  /TypeError|ReferenceError|RangeError|SyntaxError|Cannot read propert|Cannot set propert|Cannot convert|Maximum call stack|is not a function|is not iterable|is not defined|is not a constructor|Invalid array length|Invalid string length|out of memory|Excessive alias count|Merge sources must be|stringified|parseAllDocuments|\[object Object\]|^\s+at \S.*:\d+:\d+\)?$|\(node:\d+\)|ERR_[A-Z_]{4,}|EISDIR|ENOENT|ENOTDIR|EACCES|ELOOP/m;

// ---------------------------------------------------------------- the corpus

interface Seed {
  readonly kind: 'spec' | 'compose' | 'manifests';
  readonly name: string;
  /** The directory copied into each case (the files a spec or compose file references). */
  readonly dir?: string;
  /** The file mutated, relative to the case directory. */
  readonly file: string;
  readonly text: string;
  /** A spec's environments. */
  readonly envs: readonly string[];
  /** Files the seed references, written next to it. */
  readonly extra?: Readonly<Record<string, string>>;
}

function spec(name: string, dir: string, file: string): Seed {
  const text = readFileSync(join(ROOT, dir, file), 'utf8');
  const envs = Object.keys((parse(text) as { environments?: Record<string, unknown> }).environments ?? {});
  return { kind: 'spec', name, dir, file, text, envs };
}

const COMPOSE_SNIPPETS: Record<string, string> = {
  'anchors-and-merge': 'x-base: &base\n  image: app:2.0\n  environment: &env\n    LOG: info\nservices:\n  a:\n    <<: *base\n  b:\n    <<: *base\n    environment:\n      <<: *env\n      EXTRA: "1"\n',
  'ports-env-health':
    'services:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80", "127.0.0.1:5353:53/udp", "9000-9001:9000-9001", 3000]\n    expose: ["80", "53/udp"]\n    environment:\n      - A=1\n      - B=x=y\n      - FROM_SHELL\n    healthcheck:\n      test: ["CMD", "curl", "-f", "http://localhost"]\n      interval: 10s\n    depends_on:\n      db: {condition: service_healthy}\n  db:\n    image: postgres:16\n    volumes: [data:/var/lib/postgresql/data]\nvolumes:\n  data: {}\n',
  'secrets-configs-files':
    'services:\n  api:\n    image: x:1\n    env_file: [.env.app]\n    secrets:\n      - db_pw\n      - source: api_key\n        target: api.key\n    configs:\n      - nginx_conf\n      - source: inline\n        target: /etc/inline.txt\nsecrets:\n  db_pw: {file: ./db.txt}\n  api_key: {environment: API_KEY}\nconfigs:\n  nginx_conf: {file: ./nginx.conf}\n  inline: {content: hello}\n',
  'extends-profiles': 'services:\n  base:\n    image: app:1\n    profiles: [tools]\n    environment: {A: "${TAG:-1.0}", B: "$$HOME"}\n  web:\n    extends: {service: base}\n    command: ["serve", "--port", "80"]\n    deploy: {replicas: 2, resources: {limits: {cpus: "0.5", memory: 1G}}}\n',
};

/** The files the compose snippets reference. */
const COMPOSE_FILES = { '.env.app': 'A=1\nB="two words"\n', 'db.txt': 'hunter2\n', 'nginx.conf': 'events {}\n', '.env': 'TAG=2.0\n' };

function corpus(): Seed[] {
  const seeds: Seed[] = [
    spec('code-review', 'examples/code-review', 'slipway.yaml'),
    spec('quant-finance', 'examples/quant-finance', 'slipway.yaml'),
    spec('streaming-analytics', 'examples/streaming-analytics', 'slipway.yaml'),
    spec('render shop', 'src/render/testdata', 'shop.yaml'),
    spec('formats everything', 'src/render/formats/testdata', 'everything.yaml'),
    spec('ci shop', 'src/ci/testdata', 'shop.yaml'),
    { kind: 'compose', name: 'quant-finance compose', dir: 'examples/quant-finance', file: 'docker-compose.yml', text: readFileSync(join(ROOT, 'examples/quant-finance/docker-compose.yml'), 'utf8'), envs: [] },
    ...Object.entries(COMPOSE_SNIPPETS).map(([name, text]): Seed => ({ kind: 'compose', name: `compose ${name}`, file: 'compose.yaml', text, envs: [], extra: COMPOSE_FILES })),
  ];
  for (const f of ['01-insecure-deployment.yaml', '02-wiring.yaml', '03-rbac.yaml', '04-scaling.yaml', '05-schema.yaml', '06-optouts.yaml']) {
    seeds.push({ kind: 'manifests', name: `lint-corpus ${f}`, file: f, text: readFileSync(join(ROOT, 'test/lint-corpus', f), 'utf8'), envs: [] });
  }
  return seeds;
}

// ---------------------------------------------------------------- cases

interface Case {
  readonly id: string;
  /** The seed's directory (copied into the case directory first), relative to the repository. */
  readonly dir?: string;
  /** Files written into the case directory (over the copied ones). */
  readonly files: Readonly<Record<string, Buffer | string>>;
  /** The command line; `{dir}` is the case directory. */
  readonly argv: readonly string[];
  readonly what: string;
  /** Exit codes accepted (default 0, 1, 2). */
  readonly codes?: readonly number[];
  /** A message stderr must have (directed cases). */
  readonly message?: RegExp;
}

function commandFor(rng: Rng, s: Seed): string[] {
  const file = `{dir}/${s.file}`;
  if (s.kind === 'compose') return rng.pick([['import', 'compose', file, '-o', '-'], ['import', 'compose', file, '-o', '{dir}/out/slipway.yaml'], ['import', 'compose', file, '-o', '-', '--strict', '--env-name', 'prod']]);
  if (s.kind === 'manifests') return ['lint', rng.chance(0.2) ? '{dir}' : file, ...rng.pick([[], ['-o', 'json'], ['-o', 'sarif'], ['--no-schema'], ['--fail-on', 'info']])];
  const env = s.envs.length > 0 ? rng.pick(s.envs) : 'dev';
  return rng.pick([
    ['validate', s.file === 'slipway.yaml' ? '{dir}' : file],
    ['validate', file, '--env', env, '-o', 'json'],
    ['render', file, '--env', env],
    ['render', file, '--all-envs'],
    ['render', file, '--env', env, '--format', rng.pick(['kustomize', 'helm']), '-o', '{dir}/out'],
    ['lint', file, '--env', env],
  ]);
}

/** Case `index` of the run seeded with `seed`: a seed input, mutated in structure and/or bytes, and a command. */
function randomCase(seeds: readonly Seed[], seed: number, index: number): Case {
  const cs = caseSeed(seed, index);
  const rng = new Rng(cs);
  const s = rng.pick(seeds);
  const what: string[] = [s.name];
  let text = s.text;
  let bytes: Buffer | undefined;
  const style = rng.int(10);
  if (style < 6) {
    const m = s.kind === 'manifests' ? mutateDocuments(rng, s.text) : mutateStructure(rng, s.text);
    if (m !== undefined) {
      text = m.text;
      what.push(...m.what);
    }
  }
  if (style >= 4) {
    const d = damageBytes(rng, text);
    bytes = d.bytes;
    what.push(d.what);
  }
  return { id: `seed ${seed} case ${index} (case seed ${cs})`, ...(s.dir !== undefined ? { dir: s.dir } : {}), files: { ...s.extra, [s.file]: bytes ?? text }, argv: commandFor(rng, s), what: what.join('; ') };
}

const SPEC = 'app: demo\nservices:\n  api:\n    image: ghcr.io/acme/api:1.0\n';
const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n';
const COMPOSE = 'services:\n  api:\n    image: ghcr.io/acme/api:1.0\n';

/** The issue's directed cases, in every command that reads the kind of file they break. */
function directedCases(): Case[] {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(10).fill(`*${'abcdefg'[i] ?? 'a'}`).join(', ')}]`)].join('\n');
  const yamlPayloads: { name: string; text: string; bad?: true }[] = [
    { name: 'alias bomb', text: `${bomb}\n`, bad: true },
    { name: 'one anchor used 1,001 times', text: `anchor: &v {a: 1}\nmany: [${Array(1001).fill('*v').join(', ')}]\n` },
    { name: 'self-referencing alias', text: 'x: &c [x, *c]\n', bad: true },
    { name: 'flow nesting of 775 levels', text: `x: ${'['.repeat(775)}${']'.repeat(775)}\n`, bad: true },
    { name: 'block nesting of 900 levels', text: `x:\n${Array.from({ length: 900 }, (_, i) => `${'  '.repeat(i + 1)}k:`).join('\n')}\n`, bad: true },
    { name: 'empty key', text: '"": 1\n' },
    { name: 'list as a key', text: '? [a, b]\n: 1\n', bad: true },
  ];
  const cases: Case[] = [];
  const add = (c: Omit<Case, 'id'>): void => {
    cases.push({ id: `directed ${cases.length}: ${c.what}`, ...c });
  };
  for (const p of yamlPayloads) {
    add({ files: { 'slipway.yaml': `${SPEC}${p.text}` }, argv: ['validate', '{dir}/slipway.yaml'], what: `validate: ${p.name}`, ...(p.bad ? { codes: [2] } : {}) });
    add({ files: { 'slipway.yaml': `${SPEC}${p.text}` }, argv: ['render', '{dir}/slipway.yaml'], what: `render: ${p.name}`, ...(p.bad ? { codes: [2] } : {}) });
    add({ files: { 'compose.yaml': `${COMPOSE}${p.text}` }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '-'], what: `import compose: ${p.name}`, ...(p.bad ? { codes: [2] } : {}) });
    add({ files: { 'm.yaml': `${MANIFEST}${p.text}` }, argv: ['lint', '{dir}/m.yaml'], what: `lint: ${p.name}`, ...(p.bad ? { codes: [2] } : {}) });
  }
  add({ files: { 'slipway.yaml': `${SPEC}x:\n  <<: 5\n` }, argv: ['validate', '{dir}/slipway.yaml'], what: 'merge key with a scalar', codes: [2] });
  add({ files: { 'compose.yaml': `${COMPOSE}x-a:\n  <<: 5\n` }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '-'], what: 'compose merge key with a scalar', codes: [2] });
  // lint: Lists
  add({ files: { 'm.yaml': 'apiVersion: v1\nkind: List\n' }, argv: ['lint', '{dir}/m.yaml'], what: 'List without items', codes: [2] });
  add({ files: { 'm.yaml': `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: List\n    items: []\n` }, argv: ['lint', '{dir}/m.yaml'], what: 'List inside a List', codes: [2] });
  add({ files: { 'm.yaml': 'apiVersion: v1\nkind: List\nitems: [1, "x", null, []]\n' }, argv: ['lint', '{dir}/m.yaml'], what: 'List items that are not objects', codes: [2] });
  add({ files: { 'm.yaml': `${MANIFEST}---\n${MANIFEST.replace('name: x', 'name: y')}`.replace(/\n/g, '\r') }, argv: ['lint', '{dir}/m.yaml', '-o', 'json'], what: 'lone CR line breaks (lint)', codes: [0, 1], message: /^$/ });
  add({ files: { 'slipway.yaml': SPEC.replace(/\n/g, '\r') }, argv: ['validate', '{dir}/slipway.yaml'], what: 'lone CR line breaks (validate)', codes: [0] });
  // Output and file references
  add({ files: { 'slipway.yaml': SPEC }, argv: ['render', '{dir}/slipway.yaml', '-o', '{dir}/no/such/dir/deeper', '--format', 'helm'], what: '-o into a missing directory' });
  add({ files: { 'compose.yaml': COMPOSE }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '{dir}/no/such/dir/slipway.yaml'], what: 'import -o into a missing directory', codes: [0] });
  add({ files: { 'compose.yaml': COMPOSE }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '{dir}/compose.yaml/slipway.yaml'], what: 'import -o under a file', codes: [2] });
  add({ files: { 'slipway.yaml': SPEC }, argv: ['render', '{dir}/slipway.yaml', '-o', '{dir}/slipway.yaml'], what: 'render -o into a file', codes: [2] });
  add({ files: { 'compose.yaml': `${COMPOSE}    env_file: [adir]\n`, 'adir/x': 'A=1\n' }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '-'], what: 'env_file that is a directory', codes: [2] });
  add({ files: { 'compose.yaml': COMPOSE }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '-', '--env-file', '{dir}/missing.env'], what: '--env-file missing', codes: [2] });
  for (const ref of ['/proc/self/environ', '../../../../../../etc/hostname', '/dev/zero', '/dev/urandom', '.']) {
    add({ files: { 'slipway.yaml': `${SPEC}configMaps:\n  settings: { envFile: "${ref}" }\n` }, argv: ['render', '{dir}/slipway.yaml'], what: `envFile ${ref}`, codes: [2] });
    add({ files: { 'compose.yaml': `${COMPOSE}    env_file: ["${ref}"]\n` }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '-'], what: `compose env_file ${ref}`, codes: [2] });
    add({ files: { 'compose.yaml': `${COMPOSE}    configs: [c]\nconfigs:\n  c: {file: "${ref}"}\n` }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '-'], what: `compose configs.file ${ref}` });
  }
  // Values past Kubernetes' limits: validate and render both refuse each, at its line (7, or 3 for db).
  for (const [field, value, message] of [
    ['replicas', '1e400', /:7:15: 1e400 is not a finite number/],
    ['replicas', '2147483648', /:7:15: 2147483648 is out of range/],
    ['terminationGracePeriodSeconds', '1e300', /:7:36: 1e300 is out of range/],
    ['resources', '{requests: {cpu: 1e400}}', /:7:33: 1e400 is not a finite number/],
    ['resources', '{requests: {memory: 2Gi}, limits: {memory: 1Gi}}', /:7:36: memory request 2Gi is above its limit 1Gi/],
    ['labels', '{"Bad Key!": "value with spaces"}', /:7:14: invalid label key "Bad Key!"/],
    ['dependsOn', '[db, db]', /:7:17: dependsOn `db`: it declares no ports/],
    ['image', '":1.0"', /:6:12: .*":1\.0"/],
    ['__proto__', '{x: 1}', /:7:5: unknown key `__proto__`/],
    ['constructor', '{x: 1}', /:7:5: unknown key `constructor`/],
  ] as const) {
    // `image` replaces the api's image (a second `image:` would be a duplicate key, another case).
    const api = field === 'image' ? `    image: ${value}\n` : `    image: ghcr.io/acme/api:1.0\n    ${field}: ${value}\n`;
    const text = `app: demo\nservices:\n  db:\n    image: postgres:16\n  api:\n${api}`;
    add({ files: { 'slipway.yaml': text }, argv: ['validate', '{dir}/slipway.yaml'], what: `validate ${field}: ${value}`, codes: [2], message });
    add({ files: { 'slipway.yaml': text }, argv: ['render', '{dir}/slipway.yaml'], what: `render ${field}: ${value}`, codes: [2], message });
  }
  // A repeated dependsOn on a service with ports renders one NetworkPolicy pair (no name clash).
  const dbWithPorts = 'app: demo\nservices:\n  db:\n    image: postgres:16\n    ports: [{name: pg, port: 5432}]\n  api:\n    image: ghcr.io/acme/api:1.0\n    dependsOn: [db, db]\n';
  add({ files: { 'slipway.yaml': dbWithPorts }, argv: ['render', '{dir}/slipway.yaml', '--no-lint'], what: 'render dependsOn: [db, db] with ports', codes: [0] });
  // An env file line that is no ConfigMap key (Node's dotenv accepts "my key=1").
  add({ files: { 'slipway.yaml': `${SPEC}configMaps:\n  settings: {envFile: s.env}\n`, 's.env': 'OK=1\nmy key=2\n' }, argv: ['render', '{dir}/slipway.yaml'], what: 'envFile variable "my key"', codes: [2], message: /:6:23: envFile s\.env: invalid data key "my key"/ });
  // Manifests slipway did not render: lint finds what the apiserver would refuse (exit 1, findings).
  for (const [what, doc] of [
    ['replicas 2147483648', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 2147483648, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: "x:1"}]}}}\n'],
    ['a Service port of 1e400', 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 1e400}]}\n'],
    ['a ConfigMap key with a space', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {"a b": c}\n'],
  ] as const) {
    add({ files: { 'm.yaml': doc }, argv: ['lint', '{dir}/m.yaml', '--no-schema'], what: `lint: ${what}`, codes: [1] });
  }
  add({ files: { 'compose.yaml': 'services:\n  api:\n    image: ":1.0"\n    __proto__: {x: 1}\n' }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '-'], what: 'import image ":1.0" and __proto__' });
  add({ files: { 'compose.yaml': 'services:\n  api:\n    image: x:1\n    constructor: {x: 1}\n' }, argv: ['import', 'compose', '{dir}/compose.yaml', '-o', '-'], what: 'import constructor key' });
  return cases;
}

// ---------------------------------------------------------------- running

interface Outcome {
  readonly code?: number;
  readonly thrown?: string;
  readonly ms: number;
  readonly out: string;
  readonly err: string;
  readonly errLength: number;
  readonly warnings: readonly string[];
}

/**
 * The child process: imports the CLI once, then runs each command line it is sent over IPC.
 * CommonJS text (`node -e`), so it needs no file of its own.
 */
const CHILD = `
const warnings = [];
process.emitWarning = (w) => { warnings.push(String(w instanceof Error ? w.message : w)); };
process.on('warning', (w) => warnings.push(String(w && w.message)));
const loaded = Promise.all([import(process.env.FUZZ_MAIN), import(process.env.FUZZ_IO)]);
process.on('message', async (argv) => {
  const [{ main }, { memoryIo }] = await loaded;
  const io = memoryIo();
  warnings.length = 0;
  const t0 = performance.now();
  let code, thrown;
  try { code = await main(['node', 'slipway', ...argv], io); } catch (e) { thrown = String((e && e.stack) || e); }
  const err = io.stderr();
  process.send({ code, thrown, ms: performance.now() - t0, out: io.stdout().slice(0, 2000), err: err.slice(0, ${MAX_STDERR}), errLength: err.length, warnings: [...warnings] });
});
`;

/** Resident memory of a process in MB (Linux); undefined where /proc is not there. */
function rssMb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Runs cases in one child process, replaced when a case kills it, hangs or grows past the memory
 * bound. A child process, not a worker thread: a read of /dev/zero grows memory outside the V8
 * heap, inside one native call, which neither a worker's heap limit nor terminate() stops; a
 * process is killed from outside (SIGKILL) however it is stuck.
 */
class Runner {
  private child: ChildProcess | undefined;

  private start(): ChildProcess {
    const c = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--max-semi-space-size=8', '-e', CHILD], {
      env: { ...process.env, NO_COLOR: '1', FUZZ_MAIN: new URL('./main.ts', import.meta.url).href, FUZZ_IO: new URL('./io.ts', import.meta.url).href },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    c.unref();
    return c;
  }

  /** Runs one command line; a timeout, the memory bound or a dead child is an outcome too. */
  run(argv: readonly string[]): Promise<Outcome> {
    const c = (this.child ??= this.start());
    let leaked = '';
    const onData = (d: Buffer): void => {
      leaked += d.toString('utf8');
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    const t0 = performance.now();
    return new Promise<Outcome>((resolve) => {
      const failed = (thrown: string): Outcome => ({ thrown, ms: performance.now() - t0, out: '', err: leaked, errLength: leaked.length, warnings: [] });
      const done = (o: Outcome, kill: boolean): void => {
        clearTimeout(timer);
        clearInterval(watch);
        c.off('message', onMessage);
        c.off('exit', onExit);
        c.stdout?.off('data', onData);
        c.stderr?.off('data', onData);
        if (kill) {
          this.child = undefined;
          c.kill('SIGKILL');
        }
        resolve(o);
      };
      const onMessage = (o: Outcome): void => {
        // Anything written to the real stdout/stderr (not through Io) reached the user too.
        done(leaked === '' ? o : { ...o, err: `${o.err}${leaked}`, errLength: o.errLength + leaked.length }, false);
      };
      const onExit = (code: number | null, signal: string | null): void => {
        done(failed(`the CLI process exited (${String(code ?? signal)})`), true);
      };
      const timer = setTimeout(() => {
        done(failed(`no answer within ${TIMEOUT_MS} ms`), true);
      }, TIMEOUT_MS);
      const watch = setInterval(() => {
        const mb = c.pid === undefined ? undefined : rssMb(c.pid);
        if (mb !== undefined && mb > RSS_MB) done(failed(`resident memory past ${RSS_MB} MB`), true);
      }, 20);
      c.on('message', onMessage);
      c.on('exit', onExit);
      c.send([...argv]);
    });
  }

  close(): void {
    this.child?.kill('SIGKILL');
  }
}

/** Why an outcome breaks the contract; undefined when it keeps it. */
function violation(c: Case, o: Outcome): string | undefined {
  if (o.thrown !== undefined) return o.thrown.split('\n').slice(0, 4).join(' | ');
  const codes = c.codes ?? [0, 1, 2];
  if (o.code === undefined || !codes.includes(o.code)) return `exit ${String(o.code)}, expected ${codes.join(' or ')}`;
  if (o.ms > TIMEOUT_MS) return `took ${Math.round(o.ms)} ms`;
  if (o.errLength > MAX_STDERR) return `stderr of ${o.errLength} bytes`;
  const js = JS_ERROR.exec(o.err);
  if (js !== null) return `JavaScript error on stderr: ${JSON.stringify(o.err.slice(Math.max(0, js.index - 200), js.index + 200))}`;
  if (o.warnings.length > 0) return `Node warning: ${o.warnings.join('; ')}`;
  if (STRICT && o.code === 2 && !c.argv.includes('json') && !/^ {2}hint: /m.test(o.err)) return `exit 2 without a hint: ${JSON.stringify(o.err.slice(0, 500))}`;
  if (c.message !== undefined && !c.message.test(o.err)) return `stderr does not match ${String(c.message)}: ${JSON.stringify(o.err.slice(0, 500))}`;
  return undefined;
}

let runner: Runner;
let runDir: string;

beforeAll(() => {
  runner = new Runner();
  runDir = mkdtempSync(join(tmpdir(), 'slipway-fuzz-'));
});

afterAll(() => {
  runner.close();
  // Kept only when a failing case left its files in it.
  if (readdirSync(runDir).length === 0) rmSync(runDir, { recursive: true, force: true });
});

/** Runs a case in a fresh directory; the directory is kept (and named in the report) when the case fails. */
async function runCase(c: Case, exits?: Map<string, number>): Promise<string | undefined> {
  const dir = join(runDir, c.id.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80));
  mkdirSync(dir, { recursive: true });
  if (c.dir !== undefined) cpSync(join(ROOT, c.dir), dir, { recursive: true, filter: (src) => !basename(src).startsWith('golden') });
  for (const [name, data] of Object.entries(c.files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  const argv = c.argv.map((a) => a.replaceAll('{dir}', dir));
  const o = await runner.run(argv);
  const command = c.argv[0] === 'import' ? 'import' : (c.argv[0] ?? '');
  const exit = `${command} ${o.code === undefined ? 'none' : String(o.code)}`;
  exits?.set(exit, (exits.get(exit) ?? 0) + 1);
  const why = violation(c, o);
  if (why === undefined) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const input = Object.entries(c.files)
    .map(([name, data]) => {
      const text = typeof data === 'string' ? data : data.toString('utf8');
      return `--- ${name} (${text.length} chars)${text.length > 1500 ? ', first 1500' : ''}:\n${text.slice(0, 1500)}`;
    })
    .join('\n');
  return [
    `${c.id}: ${why}`,
    `  command: slipway ${argv.join(' ')}`,
    `  input: ${c.what}`,
    `  files kept in ${dir}`,
    c.id.startsWith('seed') ? `  reproduce: SLIPWAY_FUZZ_SEED=${SEED} SLIPWAY_FUZZ_CASE=<case> vitest run --project unit src/cli/fuzz.test.ts` : `  reproduce: vitest run --project unit src/cli/fuzz.test.ts -t directed`,
    input.replace(/^/gm, '  | '),
  ].join('\n');
}

describe('fuzz: the CLI on hostile input answers as documented', () => {
  it('the PRNG and the mutations are a function of the seed', () => {
    const seeds = corpus();
    const a = Array.from({ length: 20 }, (_, i) => randomCase(seeds, SEED, i));
    const b = Array.from({ length: 20 }, (_, i) => randomCase(seeds, SEED, i));
    expect(a).toStrictEqual(b);
    expect(new Set(a.map((c) => c.what)).size).toBeGreaterThan(15);
    expect(new Rng(1).u32()).not.toBe(new Rng(2).u32());
  });

  it(
    "the issue's directed cases",
    async () => {
      const failures: string[] = [];
      for (const c of directedCases()) {
        const f = await runCase(c);
        if (f !== undefined) failures.push(f);
      }
      expect(failures, failures.join('\n\n')).toEqual([]);
    },
    10 * 60_000,
  );

  it(
    `${ONLY !== undefined ? `case ${ONLY}` : `${CASES} mutated inputs`} (seed ${SEED})`,
    async () => {
      const seeds = corpus();
      const failures: string[] = [];
      const indexes = ONLY !== undefined ? [ONLY] : Array.from({ length: CASES }, (_, i) => i);
      const exits = new Map<string, number>();
      for (const i of indexes) {
        const f = (await runCase(randomCase(seeds, SEED, i), exits))?.replace('SLIPWAY_FUZZ_CASE=<case>', `SLIPWAY_FUZZ_CASE=${i}`);
        if (f !== undefined) failures.push(f);
        // A long run reports as it goes: the first failures are worth reading before it ends.
        if (f !== undefined && CASES > 1000) process.stderr.write(`${f}\n\n`);
      }
      const summary = [...exits].sort().map(([k, n]) => `${k}: ${n}`);
      process.stdout.write(`fuzz exit codes (command code: cases): ${summary.join(', ')}; ${failures.length} failed\n`);
      expect(failures, failures.join('\n\n')).toEqual([]);
      // The mutations must reach past the first check: some inputs of every command are accepted,
      // some refused (a corpus that stopped loading would otherwise pass as "all exit 2").
      if (ONLY === undefined && CASES >= 200) {
        for (const command of ['validate', 'render', 'lint', 'import']) {
          expect(exits.get(`${command} 0`) ?? 0, summary.join(', ')).toBeGreaterThan(CASES / 100);
          expect(exits.get(`${command} 2`) ?? 0, summary.join(', ')).toBeGreaterThan(CASES / 100);
        }
      }
    },
    Math.max(120_000, (ONLY !== undefined ? 1 : CASES) * (TIMEOUT_MS + 1000)),
  );
});
