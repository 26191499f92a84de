import { describe, expect, it } from 'vitest';
import { inputError, InputErrors, type SlipwayError } from '../errors/index.ts';
import { loadSpec, loadSpecValue } from './index.ts';
import { parse } from 'yaml';

/**
 * A small valid app; `extra` lines are added to service `api` starting at line 7 (indented
 * 4 spaces, so a key there is at column 5), `tail` lines at the end (line 14 onward when there
 * are no extra lines).
 */
function app(extra: string, tail = ''): string {
  const indent = (s: string, n: number): string => s.split('\n').filter((l) => l !== '').map((l) => ' '.repeat(n) + l).join('\n');
  const lines = [
    'app: shop',
    'services:',
    '  api:',
    '    image: ghcr.io/acme/api:1.0',
    '    ports:',
    '      - {name: http, port: 8080}',
    ...(extra ? [indent(extra, 4)] : []),
    '  redis:',
    '    image: redis:7.4',
    '    ports: [{name: redis, port: 6379}]',
    'secrets:',
    '  db: {keys: [url]}',
    'configMaps:',
    '  cfg: {data: {mode: fast}}',
  ];
  return `${lines.join('\n')}\n${tail}`;
}

function problems(text: string, readFile?: (path: string) => string): SlipwayError[] {
  try {
    loadSpec(text, 'slipway.yaml', readFile ? { readFile } : {});
  } catch (e) {
    if (e instanceof InputErrors) return [...e.problems];
    throw e;
  }
  return [];
}

interface Case {
  readonly name: string;
  readonly text: string;
  readonly message: RegExp;
  readonly at: `${number}:${number}`;
  readonly path?: string;
  readonly expected?: RegExp;
  readonly hint?: RegExp;
}

describe('loadSpec: valid input', () => {
  it('returns the spec and keeps environments', () => {
    const spec = loadSpec(app('replicas: 2', 'environments:\n  dev: {services: {api: {replicas: 1}}}\n'), 'slipway.yaml');
    expect(spec.services['api']?.replicas).toBe(2);
    expect(Object.keys(spec.environments ?? {})).toEqual(['dev']);
  });
  it('returns the effective spec with opts.env', () => {
    const spec = loadSpec(app('replicas: 2', 'environments:\n  dev: {services: {api: {replicas: 1}}}\n'), 'slipway.yaml', { env: 'dev' });
    expect(spec.services['api']?.replicas).toBe(1);
    expect(spec.environments).toBeUndefined();
  });
  it('inlines envFile through readFile, explicit data winning', () => {
    const text = app('').replace('cfg: {data: {mode: fast}}', 'cfg: {envFile: cfg.env, data: {mode: fast}}');
    const read: string[] = [];
    const spec = loadSpec(text, 'slipway.yaml', {
      readFile: (p) => {
        read.push(p);
        return 'mode=slow\n# comment\nLEVEL="debug"\n';
      },
    });
    expect(read).toEqual(['cfg.env']);
    expect(spec.configMaps?.['cfg']).toEqual({ data: { mode: 'fast', LEVEL: 'debug' } });
  });
  it('reports an unreadable envFile at its value', () => {
    const text = app('').replace('cfg: {data: {mode: fast}}', 'cfg: {envFile: missing.env}');
    const found = problems(text, () => {
      throw new Error('ENOENT: no such file');
    });
    expect(found.map((p) => `${p.position?.line}:${p.position?.col} ${p.message}`)).toEqual(['13:18 cannot read envFile missing.env: ENOENT: no such file']);
    expect(found[0]?.hint).toMatch(/relative to slipway\.yaml/);
  });
  it('a refusal by the reader (outside the project) keeps its reason, expected and hint, at the envFile value', () => {
    const text = app('').replace('cfg: {data: {mode: fast}}', 'cfg: {envFile: /proc/self/environ}');
    const found = problems(text, () => {
      throw inputError('absolute paths are refused', { cause: undefined, expected: 'a relative path inside the project', hint: 'copy the file into the project' });
    });
    expect(found.map((p) => `${p.position?.line}:${p.position?.col} ${p.message}`)).toEqual(['13:18 cannot read envFile /proc/self/environ: absolute paths are refused']);
    expect(found[0]?.expected).toBe('a relative path inside the project');
    expect(found[0]?.hint).toBe('copy the file into the project');
  });
  // Node's dotenv parser takes any text before "=" as a name; each becomes a ConfigMap key, which
  // Kubernetes refuses unless it is [-._a-zA-Z0-9]+ and not "." or "..".
  it.each([
    ['my key=1', 'invalid data key "my key": it has characters Kubernetes does not allow'],
    ['a/b=1', 'invalid data key "a/b": it has characters Kubernetes does not allow'],
    ['..=1', 'invalid data key "..": it is "." or "..", or starts with ".." (it names a file in a mounted volume)'],
  ])('an envFile line %j is refused at the envFile value', (line, message) => {
    const text = app('').replace('cfg: {data: {mode: fast}}', 'cfg: {envFile: cfg.env}');
    const found = problems(text, () => `OK=1\n${line}\n`);
    expect(found.map((p) => `${p.position?.line}:${p.position?.col} ${p.message}`)).toEqual([`13:18 envFile cfg.env: ${message}`]);
    expect(found[0]?.hint).toMatch(/rename the variable/);
  });
});

describe('loadSpec: schema problems are positioned, with expected and hint', () => {
  const cases: Case[] = [
    { name: 'unknown key with did-you-mean', text: app('replicaz: 3'), message: /unknown key `replicaz`/, at: '7:5', path: 'services.api.replicaz', hint: /did you mean `replicas`\?/ },
    { name: 'unknown key, case slip', text: app('DependsOn: [redis]'), message: /unknown key `DependsOn`/, at: '7:5', hint: /did you mean `dependsOn`\?/ },
    { name: 'unknown top-level key', text: app('', 'servics: {}\n'), message: /unknown key `servics`/, at: '14:1', path: 'servics', hint: /did you mean `services`\?/ },
    { name: 'wrong type', text: app('replicas: three'), message: /expected an integer, got a string/, at: '7:15', path: 'services.api.replicas', expected: /integer/, hint: /write a number in digits, without quo/ },
    { name: 'mapping where a list goes', text: app('args: {a: 1}'), message: /expected a list, got a mapping/, at: '7:11', hint: /write a list: \[a, b\] or lines startin/ },
    { name: 'enum without a lookalike', text: app('expose: {type: zzzzzzzz, host: a.example.com}'), message: /is not an allowed value/, at: '7:20', hint: /write one of internal, ingress, gateway/ },
    { name: 'pattern: name', text: app('').replace('{name: http, port: 8080}', '{name: Web_Port, port: 8080}'), message: /"Web_Port" is not valid/, at: '6:16', hint: /use `web-port`/ },
    { name: 'string too long', text: app(`envFrom: [{configMap: ${'a'.repeat(70)}}]`), message: /must NOT have more than 63 characters/, at: '7:27', hint: /slipway schema/ },
    { name: 'quoted number', text: app('replicas: "3"'), message: /expected an integer/, at: '7:15', hint: /remove the quotes: 3/ },
    { name: 'number where a string is expected keeps the written text', text: app('args: [--level, 1.10]'), message: /expected a string, got a number/, at: '7:21', path: 'services.api.args[1]', hint: /quote it: "1.10"/ },
    { name: 'enum with did-you-mean', text: app('expose: {type: ingres, host: a.example.com}'), message: /"ingres" is not an allowed value/, at: '7:20', path: 'services.api.expose.type', expected: /one of internal, ingress, gateway/, hint: /did you mean `ingress`\?/ },
    { name: 'pattern: quantity', text: app('resources: {requests: {cpu: 1 core}}'), message: /"1 core" is not valid/, at: '7:33', path: 'services.api.resources.requests.cpu', expected: /Kubernetes quantity/ },
    { name: 'range', text: app('autoscaling: {min: 0, max: 3}'), message: /0 is out of range/, at: '7:24', path: 'services.api.autoscaling.min', expected: /at least 1/, hint: /value at least 1/ },
    // Values render and the apiserver must accept: finite numbers, int32 where Kubernetes has int32.
    { name: 'replicas 1e400 (Infinity)', text: app('replicas: 1e400'), message: /1e400 is not a finite number/, at: '7:15', path: 'services.api.replicas', hint: /digits/ },
    { name: 'cpu 1e400 (Infinity)', text: app('resources: {requests: {cpu: 1e400}}'), message: /1e400 is not a finite number/, at: '7:33', path: 'services.api.resources.requests.cpu' },
    { name: 'env value .nan', text: app('env: {A: .nan}'), message: /\.nan is not a finite number/, at: '7:14', path: 'services.api.env.A' },
    { name: 'replicas over int32', text: app('replicas: 2147483648'), message: /2147483648 is out of range/, at: '7:15', expected: /at most 2147483647/, hint: /32-bit integer/ },
    { name: 'probe period over int32', text: app('probes: {readiness: {tcp: {port: http}, periodSeconds: 99999999999}}'), message: /out of range/, at: '7:60', hint: /32-bit/ },
    { name: 'terminationGracePeriodSeconds 1e300', text: app('terminationGracePeriodSeconds: 1e300'), message: /1e300 is out of range/, at: '7:36', expected: /at most 9007199254740991/, hint: /exponent form/ },
    { name: 'type error has a hint', text: app('replicas: [1]'), message: /expected an integer, got a list/, at: '7:15', hint: /number in digits/ },
    { name: 'mapping expected has a hint', text: app('resources: 5'), message: /expected a mapping, got an integer/, at: '7:16', hint: /write a mapping/ },
    { name: 'pattern problem has a hint', text: app('metrics: {interval: 15 s}'), message: /"15 s" is not valid/, at: '7:25', hint: /30s, 5m/ },
    // Empty keys: positioned, with a hint (and a ConfigMap data key Kubernetes would refuse is not rendered).
    { name: 'empty top-level key', text: app('', '"": 1\n'), message: /^empty key$/, at: '14:1', hint: /the key is empty/ },
    { name: 'empty key from a bare ":" line', text: app('', ': 1\n'), message: /^empty key$/, at: '14:1', hint: /name it, or remove the line/ },
    { name: 'empty service name', text: app('', 'jobs:\n  "": {image: "x:1"}\n'), message: /invalid name ``/, at: '15:3', hint: /give it a name/ },
    { name: 'empty env var name', text: app('env: {"": x}'), message: /invalid name ``/, at: '7:11', path: 'services.api.env[""]', hint: /give it a name/ },
    { name: 'empty ConfigMap data key', text: app('').replace('cfg: {data: {mode: fast}}', 'cfg: {data: {"": fast}}'), message: /invalid name ``/, at: '13:16', path: 'configMaps.cfg.data[""]', hint: /give it a name/ },
    { name: 'ConfigMap data key with a space', text: app('').replace('cfg: {data: {mode: fast}}', 'cfg: {data: {"my mode": fast}}'), message: /invalid name `my mode`/, at: '13:16', expected: /\[-\._a-zA-Z0-9\]/, hint: /use `my_mode`/ },
    { name: 'enum without a lookalike has a hint', text: app('expose: {type: zzz, host: a.example.com}'), message: /"zzz" is not an allowed value/, at: '7:20', hint: /write one of internal, ingress, gateway/ },
    { name: 'missing required key', text: 'app: shop\nservices:\n  api:\n    replicas: 1\n', message: /missing required key `image`/, at: '3:3', path: 'services.api', hint: /add `image:`/ },
    { name: 'service field in a job', text: app('', 'jobs:\n  seed: {image: "x:1", ports: [{name: a, port: 1}]}\n'), message: /unknown key `ports`/, at: '15:24', path: 'jobs.seed.ports', hint: /`ports` is a service field/ },
    { name: 'missing top-level key', text: 'app: shop\n', message: /missing required key `services`/, at: '1:1', hint: /add `services:` here/ },
    { name: 'not a mapping', text: '- a\n- b\n', message: /expected a mapping, got a list/, at: '1:1' },
    { name: 'invalid service name', text: app('', 'jobs:\n  Migrate_DB: {image: "x:1"}\n'), message: /invalid name `Migrate_DB`/, at: '15:3', path: 'jobs.Migrate_DB', hint: /use `migrate-db`/ },
    { name: 'union collapses to the branch meant (secret ref)', text: app('env: {DB: {secret: db, kee: url}}'), message: /unknown key `kee`/, at: '7:28', path: 'services.api.env.DB.kee', hint: /did you mean `key`\?/ },
    { name: 'union collapses to the branch meant (image parts)', text: app('').replace('image: ghcr.io/acme/api:1.0', 'image: {repository: ghcr.io/acme/api, tagg: "1"}'), message: /unknown key `tagg`/, at: '4:43', path: 'services.api.image.tagg', hint: /did you mean `tag`\?/ },
    { name: 'union with no fitting branch', text: app('dependsOn: [[redis]]'), message: /expected a string or a mapping, got a list/, at: '7:17', path: 'services.api.dependsOn[0]' },
    { name: 'empty value', text: app('probes:'), message: /expected a mapping, got nothing/, at: '7:5', hint: /the value is empty: write \{\} for an empty mapping, or remove the key/ },
    { name: 'empty list', text: app('args:'), message: /expected a list, got nothing/, at: '7:5', hint: /write \[\] for an empty list/ },
  ];
  it.each(cases)('$name', (c) => {
    const found = problems(c.text);
    const p = found.find((x) => c.message.test(x.message));
    expect(p, found.map((x) => x.format()).join('\n')).toBeDefined();
    expect(`${p?.position?.line}:${p?.position?.col}`).toBe(c.at);
    expect(p?.position?.file).toBe('slipway.yaml');
    if (c.path !== undefined) expect(p?.path).toBe(c.path);
    if (c.expected !== undefined) expect(p?.expected).toMatch(c.expected);
    if (c.hint !== undefined) expect(p?.hint).toMatch(c.hint);
    // Issue 14: schema type errors printed `expected:` but no `hint:`. Every problem has both.
    expect(p?.expected, 'expected').toMatch(/\S/);
    expect(p?.hint, 'hint').toMatch(/\S/);
  });

  it('reports one problem per location for a union (no branch noise)', () => {
    const found = problems(app('env: {DB: {secret: db, kee: url}}'));
    expect(found.map((p) => p.path)).toEqual(['services.api.env.DB', 'services.api.env.DB.kee']);
  });

  // Keys inherited through a `<<` merge key are reported where they are written (inside the
  // anchored mapping), not at the service that merges them.
  it.each([
    {
      name: 'unknown key from a merge source',
      text: 'app: shop\nservices:\n  api: &base\n    image: ghcr.io/acme/api:1.0\n    replicaz: 2\n  web:\n    <<: *base\n',
      path: 'services.web.replicaz',
      at: '5:5',
    },
    {
      name: 'wrong value from a merge source',
      text: 'app: shop\nservices:\n  api: &base\n    image: ghcr.io/acme/api:1.0\n    replicas: three\n  web:\n    <<: *base\n',
      path: 'services.web.replicas',
      at: '5:15',
    },
    {
      name: 'unknown key from the second source of a merge list',
      text: 'app: shop\nservices:\n  api: &a\n    image: ghcr.io/acme/api:1.0\n  job: &b\n    image: ghcr.io/acme/job:1.0\n    replicaz: 2\n  web:\n    <<: [*a, *b]\n',
      path: 'services.web.replicaz',
      at: '7:5',
    },
    {
      name: 'a key written in the merging mapping wins over the merged one',
      text: 'app: shop\nservices:\n  api: &base\n    image: ghcr.io/acme/api:1.0\n    replicas: 2\n  web:\n    <<: *base\n    replicas: three\n',
      path: 'services.web.replicas',
      at: '8:15',
    },
  ])('merge keys: $name', ({ text, path, at }) => {
    const found = problems(text);
    const p = found.find((x) => x.path === path);
    expect(p, found.map((x) => x.format()).join('\n')).toBeDefined();
    expect(`${p?.position?.line}:${p?.position?.col}`).toBe(at);
  });

  it('collects every problem in one pass, in file order', () => {
    const found = problems(app('replicaz: 3\nexpose: {type: ingres}'));
    expect(found.map((p) => `${p.position?.line}:${p.position?.col}`)).toEqual(['7:5', '8:20']);
  });

  it.each([
    ['duplicate key', 'app: a\napp: b\nservices: {}\n', '2:1', /unique|duplicate/i],
    ['tab indentation', 'app: a\n\tservices: {}\n', '2:1', /tabs/i],
    ['unclosed quote', 'app: a\nservices:\n  api:\n    image: "x:1\n', '5:1', /closing "quote/],
  ])('YAML syntax: %s', (_name, text, at, message) => {
    const found = problems(text);
    expect(found[0]?.message).toMatch(message);
    expect(`${found[0]?.position?.line}:${found[0]?.position?.col}`).toBe(at);
    expect(found[0]?.expected).toBe('valid YAML');
  });

  it('rejects an empty file', () => {
    expect(problems('# nothing\n')[0]?.message).toMatch(/empty/);
  });
});

describe('loadSpec: semantic problems are positioned, with expected and hint', () => {
  const cases: Case[] = [
    { name: 'dependsOn unknown service', text: app('dependsOn: [rediss]'), message: /dependsOn `rediss`: no such service/, at: '7:17', path: 'services.api.dependsOn[0]', hint: /did you mean `redis`\?/ },
    { name: 'dependsOn port not declared', text: app('dependsOn: [{service: redis, port: 6380}]'), message: /port 6380 is not declared by redis/, at: '7:40', expected: /6379/ },
    { name: 'dependsOn port name not declared', text: app('dependsOn: [{service: redis, port: resp}]'), message: /port `resp` is not declared by redis/, at: '7:40', expected: /redis/ },
    { name: 'dependsOn a job', text: app('', 'jobs:\n  seed: {image: "x:1", dependsOn: [api]}\n  other: {image: "x:1", dependsOn: [seed]}\n'), message: /dependsOn `seed`: no such service/, at: '16:37', hint: /only services/ },
    { name: 'probe port name', text: app('probes: {readiness: {http: {path: /healthz, port: htp}}}'), message: /port `htp` is not declared by api/, at: '7:55', path: 'services.api.probes.readiness.http.port', hint: /did you mean `http`\?/ },
    { name: 'probe with two handlers', text: app('probes:\n  liveness: {http: {path: /, port: http}, tcp: {port: http}}'), message: /liveness probe has several handlers \(http, tcp\)/, at: '8:7', expected: /exactly one of/ },
    { name: 'probe with no handler', text: app('probes:\n  readiness: {periodSeconds: 5}'), message: /readiness probe has no handler/, at: '8:7' },
    { name: 'liveness successThreshold', text: app('probes:\n  liveness: {tcp: {port: http}, successThreshold: 2}'), message: /successThreshold must be 1/, at: '8:55' },
    { name: 'expose port', text: app('expose: {host: a.example.com, port: 80}'), message: /port 80 is not declared by api/, at: '7:41' },
    { name: 'metrics port', text: app('metrics: {port: prom}'), message: /port `prom` is not declared by api/, at: '7:21' },
    { name: 'config file with two sources', text: app('config:\n  - {path: /etc/a.conf, content: x, configMap: cfg}'), message: /several sources \(content, configMap\)/, at: '8:9', expected: /exactly one of content, configMap, secret/ },
    { name: 'config file with no source', text: app('config:\n  - {path: /etc/a.conf}'), message: /no source/, at: '8:9' },
    { name: 'undeclared ConfigMap', text: app('envFrom: [{configMap: cgf}]'), message: /ConfigMap `cgf` is not declared/, at: '7:27', hint: /did you mean `cfg`\?/ },
    { name: 'missing ConfigMap key', text: app('env: {MODE: {configMap: cfg, key: mdoe}}'), message: /ConfigMap `cfg` has no key `mdoe`/, at: '7:29', hint: /did you mean `mode`\?/ },
    { name: 'undeclared Secret', text: app('env: {DB: {secret: dbs, key: url}}'), message: /Secret `dbs` is not declared/, at: '7:24', hint: /did you mean `db`\?/ },
    { name: 'undeclared Secret key', text: app('env: {DB: {secret: db, key: uri}}'), message: /Secret `db` does not declare key `uri`/, at: '7:24', hint: /did you mean `url`\?/ },
    { name: 'autoscaling min > max', text: app('autoscaling: {min: 5, max: 2}'), message: /min \(5\) is greater than max \(2\)/, at: '7:24', expected: /min ≤ max/ },
    { name: 'external metric target', text: app('autoscaling:\n  min: 1\n  max: 3\n  metrics: [{external: {name: lag}}]'), message: /exactly one target/, at: '10:18' },
    { name: 'canary steps with rolling', text: app('strategy: {type: rolling, canary: {steps: [{setWeight: 10}]}}'), message: /canary steps are given but the strategy type is rolling/, at: '7:31' },
    { name: 'canary without steps', text: app('strategy: {type: canary}'), message: /strategy canary needs its steps/, at: '7:22', expected: /canary: \{steps:/ },
    { name: 'canary weight goes down', text: app('strategy: {type: canary, canary: {steps: [{setWeight: 50}, {setWeight: 20}]}}'), message: /weight goes down from 50 to 20/, at: '7:76' },
    { name: 'canary analysis without SLOs', text: app('strategy:\n  type: canary\n  canary:\n    steps:\n      - analysis: {count: 3}'), message: /analysis step needs SLOs/, at: '11:13', expected: /slo:/ },
    { name: 'canary analysis with an SLO it cannot measure per canary (availability only)', text: app('slo: {availability: 99.9}\nstrategy:\n  type: canary\n  canary:\n    steps:\n      - analysis: {count: 3}'), message: /analysis step needs SLOs/, at: '12:13', expected: /successRate/ },
    { name: 'canary analysis step with SLO analysis turned off', text: app('slo: {successRate: 99}\nstrategy:\n  type: canary\n  analysis: false\n  canary:\n    steps:\n      - analysis: {count: 3}'), message: /analysis step checks the SLOs, but strategy.analysis is false/, at: '13:13', hint: /remove the analysis step/ },
    { name: 'SLO analysis asked for without SLOs', text: app('slo: {availability: 99.9}\nstrategy: {type: blueGreen, analysis: true}'), message: /strategy.analysis is true but the service has no SLOs/, at: '8:43', expected: /successRate/ },
    { name: 'judge with the marginal threshold above pass', text: app('strategy:\n  type: canary\n  canary:\n    steps: [{setWeight: 20}]\n    judge: {scoreThresholds: {pass: 70, marginal: 80}}'), message: /marginal threshold 80 is above the pass threshold 70/, at: '11:55', hint: /lower marginal/ },
    { name: 'judge metric whose query does not select pods', text: app('strategy:\n  type: canary\n  canary:\n    steps: [{setWeight: 20}]\n    judge:\n      metrics:\n        - {name: latency, query: "latency_p95"}'), message: /judge metric latency: the query does not select pods/, at: '13:38', expected: /\{\{pods\}\}/ },
    { name: 'judge metric defined twice', text: app('strategy:\n  type: canary\n  canary:\n    steps: [{setWeight: 20}]\n    judge:\n      metrics:\n        - {name: a, query: "x{pod=~\\"{{pods}}\\"}"}\n        - {name: a, query: "y{pod=~\\"{{pods}}\\"}"}'), message: /judge metric a is defined twice/, at: '14:22' },
    { name: 'judge sampling fewer intervals than a metric needs', text: app('strategy:\n  type: canary\n  canary:\n    steps: [{setWeight: 20}]\n    judge: {count: 3}'), message: /5 samples per side but the judge samples 3 intervals/, at: '11:24', hint: /count to at least 5/ },
    { name: 'judge before any canary traffic', text: app('strategy:\n  type: canary\n  canary:\n    steps: [{pause: {}}]\n    judge: {}'), message: /the judge starts before any step gives the canary pods/, at: '11:9', hint: /setWeight/ },
    { name: 'judge startingStep past the last step', text: app('strategy:\n  type: canary\n  canary:\n    steps: [{setWeight: 20}]\n    judge: {startingStep: 3}'), message: /startingStep 3 is past the last step/, at: '11:31' },
    { name: 'name too long', text: app('', `jobs:\n  ${'a'.repeat(64)}: {image: "x:1"}\n`), message: /longer than 63 characters/, at: '15:3' },
    { name: 'name used twice', text: app('', 'jobs:\n  redis: {image: "x:1"}\n'), message: /name `redis` is used by services and jobs/, at: '15:3', hint: /rename/ },
    { name: 'duplicate volume name', text: app('volumes:\n  - {name: data, mountPath: /a}\n  - {name: data, mountPath: /b}'), message: /duplicate volume name "data"/, at: '9:16' },
    { name: 'duplicate port name', text: app('').replace('      - {name: http, port: 8080}', '      - {name: http, port: 8080}\n      - {name: http, port: 9090}'), message: /duplicate port name "http"/, at: '7:16' },
    { name: 'malformed image', text: app('').replace('ghcr.io/acme/api:1.0', 'ghcr.io/Acme/api:1.0'), message: /bad repository component "Acme"/, at: '4:12', path: 'services.api.image' },
    { name: 'gateway without parent', text: app('expose: {type: gateway, host: a.example.com}'), message: /type gateway needs the parent Gateway/, at: '7:5' },
    { name: 'bad cron schedule', text: app('', 'cronJobs:\n  nightly: {image: "x:1", schedule: "0 2 * *"}\n'), message: /invalid cron schedule/, at: '15:37', hint: /4 fields/ },
    { name: 'external ConfigMap with data', text: app('').replace('cfg: {data: {mode: fast}}', 'cfg: {external: true, data: {mode: fast}}'), message: /external ConfigMap `cfg` cannot also have data/, at: '13:3' },
    // What validate accepts, the apiserver accepts: requests within limits, label and annotation syntax.
    { name: 'memory request above its limit', text: app('resources: {requests: {memory: 512Mi}, limits: {memory: 256Mi}}'), message: /memory request 512Mi is above its limit 256Mi/, at: '7:36', path: 'services.api.resources.requests.memory', hint: /raise the limit/ },
    { name: 'cpu request above its limit (number vs millicores)', text: app('resources: {requests: {cpu: 2}, limits: {cpu: 1500m}}'), message: /cpu request 2 is above its limit 1500m/, at: '7:33' },
    { name: 'quantity string that is no finite number', text: app('resources: {limits: {memory: "1e400"}}'), message: /limits\.memory 1e400 is too large/, at: '7:34', hint: /unit suffix/ },
    { name: 'label key with space and !', text: app('labels: {"Bad Key!": ok}'), message: /invalid label key "Bad Key!"/, at: '7:14', path: 'services.api.labels["Bad Key!"]', expected: /63 characters/, hint: /Bad-Key/ },
    { name: 'label value with spaces', text: app('labels: {team: "value with spaces"}'), message: /invalid label value "value with spaces"/, at: '7:20', path: 'services.api.labels.team', hint: /annotation/ },
    { name: 'label value too long', text: app(`labels: {team: ${'a'.repeat(64)}}`), message: /longer than 63 characters/, at: '7:20' },
    { name: 'label key with two slashes', text: app('labels: {a/b/c: x}'), message: /invalid label key "a\/b\/c": it has more than one "\/"/, at: '7:14' },
    { name: 'label key prefix not a DNS subdomain', text: app('labels: {Example.COM/team: x}'), message: /prefix is not a DNS subdomain/, at: '7:14' },
    { name: 'annotation key', text: app('annotations: {"Bad Key!": "value with spaces is fine"}'), message: /invalid annotation key "Bad Key!"/, at: '7:19', path: 'services.api.annotations["Bad Key!"]' },
    { name: 'nodeSelector value', text: app('nodeSelector: {disk: "fast ssd"}'), message: /invalid label value "fast ssd"/, at: '7:26' },
    { name: 'app labels', text: app('', 'labels: {"": x}\n'), message: /invalid label key "": the name is empty/, at: '14:10' },
    { name: 'ServiceAccount annotation key', text: app('serviceAccount: {annotations: {"x/": y}}'), message: /invalid annotation key "x\/"/, at: '7:36' },
    { name: 'ConfigMap data key ".." (the schema pattern allows it, Kubernetes does not)', text: app('').replace('cfg: {data: {mode: fast}}', 'cfg: {data: {"..": x, "..data": y, .env: z}}'), message: /invalid data key "\.\."/, at: '13:16', path: 'configMaps.cfg.data[".."]', hint: /rename the key/ },
    { name: 'ConfigMap data key "..data"', text: app('').replace('cfg: {data: {mode: fast}}', 'cfg: {data: {.env: z, "..data": y}}'), message: /invalid data key "\.\.data"/, at: '13:25' },
    { name: 'ConfigMap without content', text: app('').replace('cfg: {data: {mode: fast}}', 'cfg: {}'), message: /ConfigMap `cfg` has no content/, at: '13:3', expected: /external: true/, hint: /add data:/ },
    // Every semantic problem has a hint (these printed none before).
    { name: 'dependsOn a service without ports', text: app('', 'jobs:\n  seed: {image: "x:1", dependsOn: [db]}\n').replace('  redis:\n', '  db:\n    image: postgres:16\n  redis:\n'), message: /dependsOn `db`: it declares no ports/, at: '17:36', path: 'jobs.seed.dependsOn[0]', expected: /ports: \[\.\.\.\] on service db/, hint: /declare the port db listens on/ },
    { name: 'metrics port name not declared, no lookalike', text: app('metrics: {port: zzzz}'), message: /port `zzzz` is not declared by api/, at: '7:21', path: 'services.api.metrics.port', expected: /a port name of api: http/, hint: /use one of http, or declare `zzzz` under services\.api\.ports/ },
    { name: 'probe port on a service without ports', text: app('', 'jobs:\n  x: {image: "x:1"}\n').replace('    ports: [{name: redis, port: 6379}]\n', '    probes: {readiness: {tcp: {port: resp}}}\n'), message: /port `resp` is not declared by redis/, at: '9:38', expected: /redis to declare ports/, hint: /declare it under services\.redis\.ports/ },
    { name: 'dependsOn port number not declared', text: app('dependsOn: [{service: redis, port: 6380}]'), message: /port 6380 is not declared by redis/, at: '7:40', hint: /refer to the port by name \(redis\)/ },
    { name: 'dependsOn unknown service, no lookalike', text: app('dependsOn: [zzzzzz]'), message: /no such service/, at: '7:17', hint: /add a service named `zzzzzz`, or remove this entry/ },
    { name: 'exposed without ports', text: app('').replace('    ports: [{name: redis, port: 6379}]\n', '    expose: {host: r.example.com}\n'), message: /service `redis` is exposed but declares no ports/, at: '9:5', hint: /declare the port it listens on/ },
    { name: 'host on an internal service', text: app('expose: {type: internal, host: a.example.com}'), message: /`host` has no effect on an internal service/, at: '7:30', hint: /set type: ingress/ },
    { name: 'ingress without host', text: app('expose: {type: ingress}'), message: /type ingress needs a host/, at: '7:5', hint: /add host:/ },
    { name: 'rateLimit with a gateway', text: app('expose: {type: gateway, host: a.example.com, gateway: {name: g, namespace: n}, rateLimit: {rps: 5}}'), message: /rateLimit is applied through ingress-nginx/, at: '7:84', hint: /remove rateLimit/ },
    { name: 'gateway with type ingress', text: app('expose: {type: ingress, host: a.example.com, gateway: {name: g, namespace: n}}'), message: /`gateway` is used only with type: gateway/, at: '7:50', hint: /remove gateway/ },
    { name: 'blueGreen with rolling', text: app('strategy: {type: rolling, blueGreen: {}}'), message: /blueGreen settings are given but the strategy type is rolling/, at: '7:31', hint: /set type: blueGreen/ },
    { name: 'unknown cron macro without a lookalike', text: app('', 'cronJobs:\n  nightly: {image: "x:1", schedule: "@fortnightly"}\n'), message: /invalid cron schedule/, at: '15:37', hint: /write one of @yearly/ },
    { name: 'duplicate service port', text: app('').replace('      - {name: http, port: 8080}', '      - {name: http, port: 8080}\n      - {name: web, port: 8080}'), message: /duplicate service port 8080/, at: '7:9', hint: /change or remove the repeated service port/ },
  ];
  // A semantic problem without a position, what was expected, or a hint breaks the bad-input
  // contract: every case must have all three, whether or not it names a hint to match.
  it.each(cases)('$name', (c) => {
    const found = problems(c.text);
    const p = found.find((x) => c.message.test(x.message));
    expect(p, found.map((x) => x.format()).join('\n')).toBeDefined();
    expect(`${p?.position?.line}:${p?.position?.col}`).toBe(c.at);
    expect(p?.expected, 'expected').toMatch(/\S/);
    expect(p?.hint, 'hint').toMatch(/\S/);
    if (c.path !== undefined) expect(p?.path).toBe(c.path);
    if (c.expected !== undefined) expect(p?.expected).toMatch(c.expected);
    if (c.hint !== undefined) expect(p?.hint).toMatch(c.hint);
  });

  it('accepts one port number on TCP and UDP (kube-dns does it; issue 13 defect 2), refuses it twice on one protocol', () => {
    const both = app('').replace('      - {name: http, port: 8080}', '      - {name: dns-tcp, port: 53}\n      - {name: dns-udp, port: 53, protocol: UDP}');
    expect(problems(both).map((p) => p.format())).toEqual([]);
    const twice = app('').replace('      - {name: http, port: 8080}', '      - {name: dns-a, port: 53, protocol: UDP}\n      - {name: dns-b, port: 53, protocol: UDP}');
    expect(problems(twice).map((p) => p.message)).toContain('duplicate service port 53/UDP');
  });

  it('accepts references to an external ConfigMap and an optional key', () => {
    const text = app('env: {A: {configMap: ext, key: anything}, B: {configMap: cfg, key: nope, optional: true}}').replace(
      'cfg: {data: {mode: fast}}',
      'cfg: {data: {mode: fast}}\n  ext: {external: true}',
    );
    expect(problems(text)).toEqual([]);
  });

  it('accepts the label and annotation keys and values Kubernetes accepts', () => {
    const text = app('labels: {team: a.b_c-1, "example.com/tier": "", app.kubernetes.io/part-of: shop}\nannotations: {"example.com/note": "any text: spaces, !, and more", Z: ""}\nresources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: 0.5, memory: 1024Mi}}');
    expect(problems(text).map((p) => p.format())).toEqual([]);
  });
});

describe('loadSpecValue: the checks of loadSpec on a spec given as data', () => {
  const base = 'app: shop\nservices:\n  web:\n    image: nginx:1.27\n    ports: [8080]\n';
  it.each([
    { name: 'valid', text: base },
    { name: 'valid with environments', text: `${base}environments:\n  dev: {}\n  prod:\n    services:\n      web: { replicas: 3 }\n` },
    { name: 'schema problem', text: `${base}    replicaz: 2\n` },
    { name: 'semantic problem', text: `${base}    dependsOn: [db]\n` },
    { name: 'broken overlay', text: `${base}environments:\n  prod:\n    services:\n      api: { replicas: 3 }\n` },
    { name: 'envFile read through the callback', text: `${base}configMaps:\n  cfg:\n    envFile: app.env\n`, files: { 'app.env': 'A=1\n' } },
    { name: 'envFile that cannot be read', text: `${base}configMaps:\n  cfg:\n    envFile: missing.env\n` },
  ])('$name: the same verdict and the same spec as loadSpec, without positions', ({ text, files }) => {
    const readFile = (p: string): string => {
      const content = (files as Record<string, string> | undefined)?.[p];
      if (content === undefined) throw inputError(`cannot read ${p}`, { cause: p });
      return content;
    };
    const outcome = (f: () => unknown): { ok: unknown } | { messages: string[]; positioned: boolean } => {
      try {
        return { ok: f() };
      } catch (e) {
        if (!(e instanceof InputErrors)) throw e;
        return { messages: e.problems.map((p) => p.message).sort(), positioned: e.problems.some((p) => p.position !== undefined) };
      }
    };
    const fromText = outcome(() => loadSpec(text, 'slipway.yaml', { readFile }));
    const fromData = outcome(() => loadSpecValue(parse(text) as unknown, 'slipway.yaml', { readFile }));
    if ('ok' in fromText) expect(fromData).toEqual(fromText);
    else {
      expect(fromText.positioned).toBe(true);
      expect(fromData).toEqual({ messages: fromText.messages, positioned: false });
    }
  });
});
