/**
 * One conformance suite for every output format: for each spec (every examples/*\/slipway.yaml as
 * it is, and src/render/formats/testdata/everything.yaml exercising every feature)
 * and each of its environments, the objects a format yields through its real toolchain must be
 * deeply equal, order-insensitively by identity, to the plain render.
 *
 * - plain: the rendered YAML parsed back;
 * - kustomize: files written to a temp dir, `kubectl kustomize <dir>/overlays/<env>`;
 * - helm: chart written to a temp dir, `helm template <app> <dir> -f <dir>/values-<env>.yaml`.
 *
 * Without helm or kubectl the affected formats are skipped locally and fail under CI=true.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { objectKey, parseManifests, stringifyManifests, type KubeObject } from '../../src/manifest/index.ts';
import { formatInputFor, toHelmChart, toKustomize, type FormatInput } from '../../src/render/formats/index.ts';
import { loadSpec } from '../../src/appspec/index.ts';
import { helmTool, kustomizeTool, run, writeTree, type Tool } from './toolchains.ts';

const root = resolve(import.meta.dirname, '../..');
const ci = process.env['CI'] === 'true';

function specFiles(): string[] {
  const examples = join(root, 'examples');
  const fromExamples = existsSync(examples)
    ? readdirSync(examples)
        .map((d) => join(examples, d, 'slipway.yaml'))
        .filter((p) => existsSync(p))
    : [];
  return [...fromExamples.sort(), join(root, 'src/render/formats/testdata/everything.yaml')];
}

function load(file: string): FormatInput {
  const spec = loadSpec(readFileSync(file, 'utf8'), relative(root, file), {
    readFile: (p) => readFileSync(resolve(dirname(file), p), 'utf8'),
  });
  return formatInputFor(spec);
}

/** Objects keyed by identity; the key order is irrelevant to toEqual, which is the point. */
function byIdentity(objects: readonly KubeObject[]): Record<string, KubeObject> {
  const out: Record<string, KubeObject> = {};
  for (const o of objects) {
    const k = objectKey(o);
    if (Object.hasOwn(out, k)) throw new Error(`duplicate object ${k}`);
    out[k] = o;
  }
  return out;
}

const parse = (text: string, file: string): KubeObject[] => parseManifests(text, file).map((m) => m.object);

interface Format {
  readonly name: string;
  readonly tool: Tool | undefined;
  /** Objects the format yields for `env`, through its real toolchain. */
  produce(input: FormatInput, env: string, dir: () => string): KubeObject[];
  files(input: FormatInput): ReadonlyMap<string, string>;
}

const formats: Format[] = [
  {
    name: 'plain',
    tool: undefined,
    files: () => new Map(),
    produce: (input, env) => parse(stringifyManifests(input.environments.get(env) ?? []), `${env}.yaml`),
  },
  {
    name: 'kustomize',
    tool: kustomizeTool(),
    files: toKustomize,
    produce(_input, env, dir) {
      const argv = kustomizeTool().argv ?? [];
      return parse(run(argv, [join(dir(), 'overlays', env)]), `kustomize:${env}`);
    },
  },
  {
    name: 'helm',
    tool: helmTool(),
    files: toHelmChart,
    produce(input, env, dir) {
      const argv = helmTool().argv ?? [];
      return parse(run(argv, ['template', input.app, dir(), '-f', join(dir(), `values-${env}.yaml`)]), `helm:${env}`);
    },
  },
];

const loaded = specFiles().map((file) => {
  try {
    return { spec: relative(root, file), input: load(file), error: undefined };
  } catch (e) {
    return { spec: relative(root, file), input: undefined, error: e };
  }
});
const cases = loaded.flatMap(({ spec, input }) => (input ? [...input.environments.keys()].map((env) => ({ spec, env, input })) : []));

describe('conformance specs', () => {
  it.each(loaded)('$spec loads and renders', ({ error }) => {
    expect(error).toBeUndefined();
  });
});

describe.each(formats)('format $name', (format) => {
  const missing = format.tool !== undefined && format.tool.argv === undefined;
  it.runIf(missing && ci)(`${format.tool?.name ?? ''} is installed (required under CI)`, () => {
    expect.fail(`${format.tool?.name ?? ''} not found: run scripts/install-go-tools.sh (and install kubectl)`);
  });
  const trees = new Map<FormatInput, string>();
  const dirFor = (input: FormatInput) => (): string => {
    let d = trees.get(input);
    if (d === undefined) {
      d = writeTree(format.files(input), format.name);
      trees.set(input, d);
    }
    return d;
  };
  // Negative control: the comparison goes through the real tool and notices a wrong output.
  const tamperFile = format.name === 'kustomize' ? 'overlays/dev/kustomization.yaml' : 'values-dev.yaml';
  const synthetic = cases.find((c) => c.spec.endsWith('everything.yaml') && c.env === 'dev');
  it.skipIf(missing || format.tool === undefined || synthetic === undefined)(`a tampered ${tamperFile} is detected`, () => {
    const { input, env } = synthetic ?? { input: undefined, env: 'dev' };
    if (!input) return;
    const files = new Map(format.files(input));
    const original = files.get(tamperFile) ?? '';
    expect(original).toContain('namespace: every-dev');
    files.set(tamperFile, original.replace('namespace: every-dev', 'namespace: tampered'));
    const dir = writeTree(files, `${format.name}-tampered`);
    const actual = byIdentity(format.produce(input, env, () => dir));
    expect(actual).not.toEqual(byIdentity(input.environments.get(env) ?? []));
  });
  it.skipIf(missing).each(cases)('$spec [$env] equals the plain render', ({ input, env }) => {
    const expected = byIdentity(input.environments.get(env) ?? []);
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    const actual = byIdentity(format.produce(input, env, dirFor(input)));
    expect(actual).toEqual(expected);
  });
});

describe('helm chart hygiene', () => {
  const helm = helmTool();
  it.skipIf(helm.argv === undefined).each(cases)('helm lint --strict passes for $spec [$env]', ({ input, env }) => {
    const dir = writeTree(toHelmChart(input), 'helm-lint');
    const out = run(helm.argv ?? [], ['lint', '--strict', dir, '-f', join(dir, `values-${env}.yaml`)]);
    expect(out).toContain('0 chart(s) failed');
  });
});
