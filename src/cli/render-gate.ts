/**
 * One set of rules, checked in one place, for `render`, `validate` and `import compose`: a spec
 * passes when every environment renders and the rendered objects have no error-level lint finding
 * (with the `.slipway-lint.yaml` render uses). Each finding is reported where slipway.yaml writes
 * what caused it (`services.api.env.DB_PASSWORD`, `configMaps.app.data.PG_PASS`), with the
 * rendered object it was found in, so that "validate passes" means "render passes", and an
 * import that exits 0 has written a spec that renders in every environment.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { inputError, InputErrors, isSlipwayError, type SlipwayError } from '../errors/index.ts';
import { projectRoot, readInputFile, referenceReader } from '../files/index.ts';
import { lintObjects, parseLintConfig, type Finding, type LintConfig } from '../lint/index.ts';
import { parseYamlValue, type KubeObject } from '../manifest/index.ts';
import { formatSpecPath, inEnvironment, locateInEnvironment, parseFormattedPath, type AppSpec } from '../appspec/index.ts';
import { renderApp, type RenderResult } from '../render/index.ts';

const LINT_CONFIG_NAMES = ['.slipway-lint.yaml', '.slipway-lint.yml'];

/**
 * `.slipway-lint.yaml` next to the spec, else in the working directory; none means defaults. The one
 * next to the spec comes with the spec (a repository slipway may not control): it is a file
 * reference like an envFile, confined to the project root (a link to /proc/self/environ is refused,
 * and its content never reaches an error message).
 */
export function lintConfigFor(specDir: string): LintConfig {
  const exists = (p: string): boolean => statSync(p, { throwIfNoEntry: false }) !== undefined;
  const besideSpec = LINT_CONFIG_NAMES.find((n) => exists(join(specDir, n)));
  if (besideSpec !== undefined) {
    const file = join(specDir, besideSpec);
    const read = referenceReader({ base: specDir, root: projectRoot(specDir), relativeTo: 'slipway.yaml' });
    let text: string;
    try {
      text = read(besideSpec);
    } catch (e) {
      if (!isSlipwayError(e)) throw e;
      throw inputError(`cannot read ${file}: ${e.message}`, {
        cause: e,
        position: { file, line: 1, col: 1 },
        ...(e.expected !== undefined ? { expected: e.expected } : {}),
        ...(e.hint !== undefined ? { hint: e.hint } : {}),
      });
    }
    return parseLintConfig(parseYamlValue(text, file), file);
  }
  const file = LINT_CONFIG_NAMES.find(exists);
  return file === undefined ? {} : parseLintConfig(parseYamlValue(readInputFile(file), file), file);
}

/** Error-level findings of the lint gate. */
function gateFindings(objects: readonly KubeObject[], config: LintConfig): Finding[] {
  // Only error-level rules run: the gate stops on errors, and warning rules are most of the work.
  const result = lintObjects(objects, { config, minSeverity: 'error' });
  return result.counts.error === 0 ? [] : result.findings.filter((x) => x.severity === 'error');
}

function at(o: unknown, path: readonly (string | number)[]): unknown {
  let cur = o;
  for (const seg of path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string | number, unknown>)[seg] : undefined;
  return cur;
}

/**
 * The spec paths that may have caused a finding, most precise first: the env var of the service,
 * the ConfigMap key, the image; then the service (or ConfigMap) the object comes from.
 */
function specPaths(r: RenderResult, f: Finding, object: KubeObject): string[] {
  const origin = r.origins.get(object) ?? 'app';
  const base = parseFormattedPath(origin) ?? ['app'];
  const out: (readonly (string | number)[])[] = [];
  const i = f.path.indexOf('env');
  const j = f.path[i + 1];
  if (i >= 0 && typeof j === 'number') {
    const name = at(object, [...f.path.slice(0, i + 2), 'name']);
    if (typeof name === 'string') out.push([...base, 'env', name]);
  }
  if (f.path.at(-1) === 'image') out.push([...base, 'image']);
  if (object.kind === 'ConfigMap' && f.path[0] === 'data' && typeof f.path[1] === 'string') {
    if (base[0] === 'configMaps') out.push([...base, 'data', f.path[1]], [...base, 'envFile']);
    else out.push([...base, 'config']);
  }
  out.push(base);
  return out.map((p) => formatSpecPath(p));
}

/** Lint findings as input problems at their place in the spec (in the environment's overlay when it writes it). */
function findingProblems(spec: AppSpec, r: RenderResult, findings: readonly Finding[]): SlipwayError[] {
  const byRef = new Map(r.objects.map((o) => [`${o.kind}/${o.metadata.name ?? ''}`, o]));
  return findings.map((f) => {
    const ref = `${f.object.kind}/${f.object.name ?? ''}`;
    const object = byRef.get(ref);
    const message = `${f.ruleId} ${f.ruleName}: ${f.message} (rendered ${ref}, field ${formatSpecPath(f.path)})`;
    const more = { expected: `no error-level lint finding (slipway lint --explain ${f.ruleId})`, hint: `${f.hint}; or re-grade ${f.ruleId} in .slipway-lint.yaml` };
    const candidates = object === undefined ? ['app'] : specPaths(r, f, object);
    let located: SlipwayError | undefined;
    for (const path of candidates) {
      const [p] = locateInEnvironment(spec, r.env, [inputError(message, { cause: f, path, ...more })]);
      if (p?.position !== undefined) {
        located = p;
        break;
      }
    }
    return located ?? inputError(message, { cause: f, path: candidates[0] ?? 'app', ...more });
  });
}

export interface EnvironmentsCheck {
  readonly results: RenderResult[];
  /** Render input problems and lint-gate findings, each saying its environment when there are several. */
  readonly problems: SlipwayError[];
}

/**
 * Problems of several environments, each once: one written in the base (a literal secret every
 * environment renders) says which environments it breaks, instead of repeating itself per environment.
 */
function perEnvironment(found: readonly { env: string; p: SlipwayError }[], envs: readonly string[]): SlipwayError[] {
  if (envs.length === 1) return found.map((x) => x.p);
  const groups = new Map<string, { p: SlipwayError; envs: string[] }>();
  for (const { env, p } of found) {
    const key = `${p.position ? `${p.position.file}:${p.position.line}:${p.position.col}` : (p.path ?? '')}|${p.message}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { p, envs: [env] });
    else g.envs.push(env);
  }
  return [...groups.values()].map(({ p, envs: where }) => {
    if (where.length === 1) return inEnvironment(p, where[0] ?? '');
    if (where.length === envs.length) return p;
    return inputError(`${p.message} (environments ${where.join(', ')})`, {
      cause: p,
      ...(p.position ? { position: p.position } : {}),
      ...(p.path !== undefined ? { path: p.path } : {}),
      ...(p.expected !== undefined ? { expected: p.expected } : {}),
      ...(p.hint !== undefined ? { hint: p.hint } : {}),
    });
  });
}

/** Renders each environment and applies the lint gate (skipped with `lint: false`, as `render --no-lint` does). */
export function checkEnvironments(spec: AppSpec, envs: readonly string[], o: { envFiles?: Readonly<Record<string, string>>; imageTag?: string | undefined; config: LintConfig; lint?: boolean }): EnvironmentsCheck {
  const results: RenderResult[] = [];
  const found: { env: string; p: SlipwayError }[] = [];
  const problems: SlipwayError[] = [];
  for (const env of envs) {
    let r: RenderResult;
    try {
      r = renderApp(spec, env, { ...(o.envFiles !== undefined ? { envFiles: o.envFiles } : {}), imageTag: o.imageTag });
    } catch (e) {
      if (!(e instanceof InputErrors)) throw e;
      // An unknown environment is the same problem whichever environment was asked for.
      if (e.problems.some((p) => p.message.startsWith('unknown environment'))) problems.push(...e.problems);
      else found.push(...e.problems.map((p) => ({ env, p })));
      continue;
    }
    results.push(r);
    if (o.lint !== false) found.push(...findingProblems(spec, r, gateFindings(r.objects, o.config)).map((p) => ({ env, p })));
  }
  return { results, problems: [...problems, ...perEnvironment(found, envs)] };
}

/** The lint gate of rendered environments: its problems, each once (see {@link perEnvironment}). */
export function gateProblems(spec: AppSpec, results: readonly RenderResult[], config: LintConfig): SlipwayError[] {
  const found = results.flatMap((r) => findingProblems(spec, r, gateFindings(r.objects, config)).map((p) => ({ env: r.env, p })));
  return perEnvironment(found, results.map((r) => r.env));
}
