/**
 * Loading `slipway.yaml`: YAML with positions → schema validation → semantic checks → every
 * environment resolved once, so that all problems (base and overlays) are reported in one pass.
 * Pure: files the spec refers to (ConfigMap `envFile`s) are read through a callback the caller
 * supplies (the CLI reads them from disk).
 */
import { parseEnv } from 'node:util';
import { inputError, InputErrors, isSlipwayError, type SlipwayError } from '../errors/index.ts';
import { configKeyProblem } from '../manifest/index.ts';
import { environmentNames, rememberSource, resolveEnvironment } from './environments.ts';
import type { AppSpec } from './schema.ts';
import { semanticProblems } from './semantic.ts';
import { formatPath, parseSource, type SourceMap } from './source.ts';
import { schemaProblems } from './validate.ts';

export interface LoadSpecOptions {
  /**
   * Check only this environment and return its effective spec (see resolveEnvironment) instead
   * of the base.
   * @default every environment is checked and the base spec, with `environments`, is returned
   */
  readonly env?: string;
  /**
   * Reads a file the spec refers to (a ConfigMap `envFile`), given the path as written in the
   * spec (relative to the spec's directory). When given, each `envFile` is parsed as dotenv and
   * inlined into the ConfigMap's `data` (explicit `data` keys win) and `envFile` is dropped, so
   * later steps see plain data. Throwing is reported as a problem at the `envFile` value.
   * @default envFile entries are kept as they are
   */
  readonly readFile?: (path: string) => string;
}

/**
 * Parses and validates a spec. Throws {@link InputErrors} with every problem found (each with
 * file:line:col, the spec path, what was expected and a hint); returns the spec otherwise.
 */
export function loadSpec(text: string, file: string, opts: LoadSpecOptions = {}): AppSpec {
  const { value, source } = parseSource(text, file);
  if (value === null || value === undefined) {
    throw new InputErrors([
      inputError('the spec is empty', {
        cause: value,
        position: { file, line: 1, col: 1 },
        expected: 'a mapping with app: and services:',
        hint: 'run `slipway schema` for the format, or start from examples/code-review/slipway.yaml',
      }),
    ]);
  }
  return checkedSpec(value, source, opts);
}

/** Positions of nothing: for a spec that exists only as data. */
function nowhere(file: string): SourceMap {
  return { file, positionOf: () => undefined, depthOf: () => 0, sourceText: () => undefined };
}

/**
 * {@link loadSpec} for a spec built as data rather than read from YAML (what `slipway import
 * compose` is about to write): the same checks, in the same order, but without positions, so no
 * YAML parse. Meant as a fast path: when it throws, load the written text with loadSpec for the
 * problems' file:line:col. `value` is modified (envFiles inlined), as loadSpec's parsed value is.
 */
export function loadSpecValue(value: unknown, file: string, opts: LoadSpecOptions = {}): AppSpec {
  if (value === null || typeof value !== 'object') throw new InputErrors([inputError('the spec is empty', { cause: value, expected: 'a mapping with app: and services:' })]);
  return checkedSpec(value, undefined, { ...opts, file });
}

/** Schema, semantic rules, envFiles, every environment (or `opts.env`): what loadSpec checks after parsing. */
function checkedSpec(value: unknown, source: SourceMap | undefined, opts: LoadSpecOptions & { file?: string }): AppSpec {
  const locator = source ?? nowhere(opts.file ?? '<data>');
  const schema = schemaProblems(value, locator);
  if (schema.length > 0) throw new InputErrors(schema, schema[0]);
  const spec = value as AppSpec;
  const problems = semanticProblems(spec, locator);
  if (opts.readFile !== undefined) problems.push(...inlineEnvFiles(spec, locator, opts.readFile));
  if (source !== undefined) rememberSource(spec, source);
  if (problems.length > 0) throw new InputErrors(problems, problems[0]);
  // Overlays are only meaningful on a valid base. Without `env`, every environment is checked, so
  // `validate` catches a broken prod overlay while someone works on dev; with `env`, that one.
  const names = environmentNames(spec);
  const envs = opts.env !== undefined ? [opts.env] : spec.environments !== undefined ? names : [];
  let effective: AppSpec | undefined;
  for (const env of envs) {
    try {
      const resolved = resolveEnvironment(spec, env);
      if (env === opts.env) effective = resolved;
    } catch (e) {
      problems.push(...problemsFrom(e).map((p) => (names.includes(env) ? inEnvironment(p, env) : p)));
    }
  }
  if (problems.length > 0) throw new InputErrors(problems, problems[0]);
  return effective ?? spec;
}

/** Says which environment a problem of an effective spec belongs to (the position may be in the base). */
export function inEnvironment(p: SlipwayError, env: string): SlipwayError {
  // Problems written inside the overlay already say where they are (environments.<env>.…).
  if (p.message.includes(`environment ${env}`) || p.path?.startsWith(`environments.${env}.`) === true) return p;
  return inputError(`${p.message} (environment ${env})`, {
    cause: p,
    ...(p.position ? { position: p.position } : {}),
    ...(p.path !== undefined ? { path: p.path } : {}),
    ...(p.expected !== undefined ? { expected: p.expected } : {}),
    ...(p.hint !== undefined ? { hint: p.hint } : {}),
  });
}

function problemsFrom(e: unknown): SlipwayError[] {
  if (e instanceof InputErrors) return [...e.problems];
  if (isSlipwayError(e)) return [e];
  throw e;
}

function inlineEnvFiles(spec: AppSpec, source: SourceMap, readFile: (path: string) => string): SlipwayError[] {
  const problems: SlipwayError[] = [];
  for (const [name, cm] of Object.entries(spec.configMaps ?? {})) {
    if (cm.envFile === undefined) continue;
    const path = ['configMaps', name, 'envFile'];
    let text: string;
    try {
      text = readFile(cm.envFile);
    } catch (e) {
      // The reader's errors say what was refused and why (outside the project, not a regular file,
      // too large); the position is the envFile value.
      const position = source.positionOf(path, 'value');
      const known = isSlipwayError(e) ? e : undefined;
      problems.push(
        inputError(`cannot read envFile ${cm.envFile}: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
          path: formatPath(path),
          ...(position ? { position } : {}),
          expected: known?.expected ?? 'a dotenv file (KEY=value lines), relative to slipway.yaml',
          hint: known?.hint ?? 'check the path; it is relative to slipway.yaml',
        }),
      );
      continue;
    }
    const parsed = dotenv(text);
    const badKey = Object.keys(parsed).map((k) => configKeyProblem(k)).find((x) => x !== undefined);
    if (badKey !== undefined) {
      const position = source.positionOf(path, 'value');
      problems.push(
        inputError(`envFile ${cm.envFile}: ${badKey.message}`, {
          cause: badKey.message,
          path: formatPath(path),
          ...(position ? { position } : {}),
          expected: `variable names that are ConfigMap keys: ${badKey.expected}`,
          hint: 'rename the variable in the env file',
        }),
      );
      continue;
    }
    const inlined = { ...cm, data: { ...parsed, ...cm.data } };
    delete inlined.envFile;
    spec.configMaps = { ...spec.configMaps, [name]: inlined };
  }
  return problems;
}

/** KEY=VALUE lines, `#` comments, quoted values: Node's own dotenv parser (the same one render uses). */
export function dotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseEnv(text))) if (v !== undefined) out[k] = v;
  return out;
}
