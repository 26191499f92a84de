/**
 * Environments: named overlays (dev, staging, prod) merged onto the base spec. The merge rules
 * (documented in docs/spec.md):
 *  - maps merge key by key, recursively;
 *  - lists and scalars replace;
 *  - `null` removes a key (or a whole service);
 *  - `image` is normalized to `{repository, tag, digest}` on both sides first, so an overlay may
 *    say `image: {tag: "2.0"}` or `image: repo:2.0`; an overlay that sets a tag without a digest
 *    drops the base digest (otherwise the new tag would be silently ignored for pulling);
 *  - an overlay may not introduce a service, job, cron job or ConfigMap the base lacks (a typo
 *    would otherwise create a half-defined workload).
 * The result is validated again (schema and semantics); problems point into the overlay when the
 * offending value came from it.
 */
import { inputError, InputErrors, type SlipwayError, type SourcePosition } from '../errors/index.ts';
import { normalizeImage } from './image.ts';
import type { AppSpec, ImageSpec } from './schema.ts';
import { semanticProblems } from './semantic.ts';
import type { SourceMap, SpecPath } from './source.ts';
import { formatPath, parseFormattedPath } from './source.ts';
import { didYouMean } from './suggest.ts';
import { schemaProblems, type Locator } from './validate.ts';

/** The environment an app without `environments:` has. */
export const DEFAULT_ENVIRONMENT = 'default';

/** Where each loaded spec came from, so that later steps (overlays) can still name positions. */
const sources = new WeakMap<AppSpec, SourceMap>();

/** Remembers the source of a spec returned by loadSpec. */
export function rememberSource(spec: AppSpec, source: SourceMap): void {
  sources.set(spec, source);
}

/** The environment names of the spec, in file order; `['default']` when it declares none. */
export function environmentNames(spec: AppSpec): string[] {
  const names = Object.keys(spec.environments ?? {});
  return names.length > 0 ? names : [DEFAULT_ENVIRONMENT];
}

type Json = unknown;
type JsonMap = Record<string, Json>;
const isMap = (v: Json): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

const WORKLOAD_SECTIONS = ['services', 'jobs', 'cronJobs'] as const;
const NAMED_SECTIONS = [...WORKLOAD_SECTIONS, 'configMaps'] as const;

/**
 * The effective spec for one environment: the base with that environment's overlay merged in and
 * `environments` removed. Throws {@link InputErrors} (all problems at once) when the environment is
 * unknown or the merged result is invalid.
 */
export function resolveEnvironment(spec: AppSpec, env: string): AppSpec {
  const names = environmentNames(spec);
  const source = sources.get(spec);
  if (!names.includes(env)) {
    const hint = didYouMean(env, names);
    throw new InputErrors([
      inputError(`unknown environment \`${env}\``, {
        cause: env,
        expected: `one of: ${names.join(', ')}`,
        hint: hint ?? (spec.environments === undefined ? 'this app declares no environments: use --env default or add environments:' : `use one of: ${names.join(', ')}`),
        ...(spec.environments !== undefined ? { path: 'environments' } : {}),
        ...positioned(source?.positionOf(['environments'], 'key')),
      }),
    ]);
  }
  const { environments, ...base } = spec;
  const overlay = environments?.[env];
  if (overlay === undefined) return structuredClone(base);
  const locator = overlayLocator(source, env);
  const problems = unknownTargets(base, overlay, env, source);
  if (problems.length > 0) throw new InputErrors(problems, problems[0]);
  const merged = mergeOverlay(base, overlay, problems, locator);
  if (problems.length === 0) problems.push(...schemaProblems(merged, locator));
  if (problems.length === 0) problems.push(...semanticProblems(merged as unknown as AppSpec, locator));
  if (problems.length > 0) throw new InputErrors(problems, problems[0]);
  return merged as unknown as AppSpec;
}

const positioned = (p: SourcePosition | undefined): { position?: SourcePosition } => (p ? { position: p } : {});

/**
 * Positions problems found later in an environment's effective spec (render's: two objects with
 * one name, a reserved volume name…), which carry a spec path but no position: each gets the
 * file:line:col where that path is written (in the overlay when the overlay writes it), and its
 * path as written. Problems with a position, or without a path in the spec, are kept as they are.
 */
export function locateInEnvironment(spec: AppSpec, env: string, problems: readonly SlipwayError[]): SlipwayError[] {
  const source = sources.get(spec);
  if (source === undefined) return [...problems];
  const locator: Locator = spec.environments?.[env] !== undefined ? overlayLocator(source, env) : source;
  return problems.map((p) => {
    const path = p.position === undefined && p.path !== undefined ? parseFormattedPath(p.path) : undefined;
    if (path === undefined || path.length === 0) return p;
    // A scalar is pointed at where its value is; a mapping or list where its key is.
    const position = locator.positionOf(path, locator.sourceText(path) !== undefined ? 'value' : 'key');
    if (position === undefined) return p;
    return inputError(p.message, {
      cause: p,
      position,
      path: formatPath(locator.writtenPath?.(path) ?? path),
      ...(p.expected !== undefined ? { expected: p.expected } : {}),
      ...(p.hint !== undefined ? { hint: p.hint } : {}),
    });
  });
}

/** Overlay entries for services (jobs, …) the base does not have. */
function unknownTargets(base: JsonMap, overlay: JsonMap, env: string, source: SourceMap | undefined): SlipwayError[] {
  const problems: SlipwayError[] = [];
  for (const section of NAMED_SECTIONS) {
    const known = Object.keys(isMap(base[section]) ? base[section] : {});
    const over = overlay[section];
    if (!isMap(over)) continue;
    for (const name of Object.keys(over)) {
      if (known.includes(name)) continue;
      const path = ['environments', env, section, name];
      problems.push(
        inputError(`environment ${env} overrides \`${name}\`, which is not in the base ${section}`, {
          cause: name,
          path: formatPath(path),
          expected: known.length > 0 ? `one of the base ${section}: ${known.join(', ')}` : `no ${section} (the base declares none)`,
          hint: didYouMean(name, known) ?? `declare \`${name}\` under the top-level ${section}: first; environments only change what exists`,
          ...positioned(source?.positionOf(path, 'key')),
        }),
      );
    }
  }
  return problems;
}

/** Deep merge by the rules above. `null` removes; maps merge; everything else replaces. */
export function mergeValues(base: Json, over: Json): Json {
  if (!isMap(base) || !isMap(over)) return structuredClone(over);
  return mergeInto(structuredClone(base), over);
}

/**
 * Merges `over` into `out`, which the caller owns (a clone): the base is cloned once, not again at
 * every level (cloning per level was a third of resolving a 500-service environment).
 */
function mergeInto(out: JsonMap, over: JsonMap): JsonMap {
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    if (value === null) Reflect.deleteProperty(out, key);
    else out[key] = isMap(current) && isMap(value) ? mergeInto(current, value) : structuredClone(value);
  }
  return out;
}

function mergeOverlay(base: JsonMap, overlay: JsonMap, problems: SlipwayError[], locator: Locator): JsonMap {
  const over = structuredClone(overlay);
  // Images merge part by part: normalize both sides before the generic merge.
  for (const section of WORKLOAD_SECTIONS) {
    const overSection = over[section];
    const baseSection = base[section];
    if (!isMap(overSection) || !isMap(baseSection)) continue;
    for (const [name, workload] of Object.entries(overSection)) {
      const baseWorkload = baseSection[name];
      if (!isMap(workload) || !isMap(baseWorkload) || workload['image'] === undefined || workload['image'] === null) continue;
      const path = [section, name, 'image'];
      const merged = mergeImage(baseWorkload['image'] as ImageSpec, workload['image'], { problems, locator, path });
      if (merged !== undefined) workload['image'] = merged;
    }
  }
  return mergeValues(base, over) as JsonMap;
}

interface ImageMergeCtx {
  readonly problems: SlipwayError[];
  readonly locator: Locator;
  readonly path: SpecPath;
}

function mergeImage(base: ImageSpec, over: Json, ctx: ImageMergeCtx): Json {
  let overParts: JsonMap;
  if (typeof over === 'string') {
    try {
      overParts = { ...normalizeImage(over) };
    } catch (e) {
      const err = e as SlipwayError;
      ctx.problems.push(
        inputError(err.message, {
          cause: err,
          path: formatPath(ctx.locator.writtenPath?.(ctx.path) ?? ctx.path),
          ...(err.expected ? { expected: err.expected } : {}),
          ...(err.hint ? { hint: err.hint } : {}),
          ...positioned(ctx.locator.positionOf(ctx.path, 'value')),
        }),
      );
      return undefined;
    }
  } else if (isMap(over)) {
    overParts = over;
  } else {
    return over; // Not an image at all: let schema validation report it at the overlay's position.
  }
  const baseParts: JsonMap = { ...normalizeImage(base) };
  // A new tag without a digest means "run this tag": the base digest would silently win otherwise.
  if (overParts['tag'] !== undefined && overParts['digest'] === undefined) delete baseParts['digest'];
  if (typeof over === 'string' && overParts['tag'] === undefined && overParts['digest'] !== undefined) delete baseParts['tag'];
  return mergeValues(baseParts, overParts);
}

/**
 * Positions for problems in the merged spec: the overlay's when the offending path (or more of it)
 * is written in the overlay, otherwise the base's.
 */
function overlayLocator(source: SourceMap | undefined, env: string): Locator {
  if (source === undefined) return { positionOf: () => undefined, sourceText: () => undefined };
  const inOverlay = (path: SpecPath): SpecPath => ['environments', env, ...path];
  const fromOverlay = (path: SpecPath): boolean => {
    const overlayDepth = source.depthOf(inOverlay(path)) - 2;
    const baseDepth = source.depthOf(path);
    if (overlayDepth === path.length) return true;
    if (baseDepth === path.length) return false;
    return overlayDepth > 0 && overlayDepth >= baseDepth;
  };
  return {
    positionOf: (path, at) => (fromOverlay(path) ? source.positionOf(inOverlay(path), at) : source.positionOf(path, at)),
    sourceText: (path) => (fromOverlay(path) ? source.sourceText(inOverlay(path)) : source.sourceText(path)),
    writtenPath: (path) => (fromOverlay(path) ? inOverlay(path) : path),
  };
}

