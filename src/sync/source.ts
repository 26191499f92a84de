/**
 * Where desired objects come from: a slipway spec (rendered for an environment), plain manifests
 * (a file or a directory of YAML/JSON, like `kubectl apply -f`), or a kustomization (`kubectl
 * kustomize`). {@link loadInput} is the one entry for all three, for the CLI and for controllers.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseManifests } from '../manifest/index.ts';
import { parseStrategyAnnotations } from '../appspec/index.ts';
import { InputErrors, inputError, unsupported, type SlipwayError } from '../errors/index.ts';
import { projectRoot, readInputFile, referenceReader } from '../files/index.ts';
import type { DesiredObject } from './types.ts';

const run = promisify(execFile);

export interface LoadedApp {
  /** App name: --app, else the spec's name, else the directory/file base name. */
  readonly app: string;
  readonly objects: readonly DesiredObject[];
  /** Strategies declared by the input (deduplicated); the engine refuses any it does not implement. */
  readonly strategies: readonly string[];
  /** What was loaded, for messages. */
  readonly source: string;
}

export interface LoadOptions {
  /** File or directory. @default '.' */
  readonly path?: string | undefined;
  /** Kustomization directory; rendered with `kubectl kustomize`. */
  readonly kustomize?: string | undefined;
  readonly app?: string | undefined;
  /**
   * Files a spec references (envFile) must resolve inside this directory, symlinks resolved (the
   * repository root for GitOps). @default the spec's directory, or $SLIPWAY_PROJECT_ROOT
   */
  readonly root?: string | undefined;
  /**
   * Files are named relative to this directory in messages and positions (a repository checkout:
   * `apps/shop/slipway.yaml:12:5`, not the cache path). @default the working directory
   */
  readonly displayRoot?: string | undefined;
}

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);
const SPEC_NAMES = new Set(['slipway.yaml', 'slipway.yml']);

function dnsName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '') || 'app';
}

/**
 * The strategies the objects declare (deduplicated; `rolling` when none), read through the one
 * definition in src/appspec/strategy.ts: the same annotations render writes on a spec's workloads
 * and a person may write on plain manifests. A malformed declaration is an input error at its annotation.
 */
function strategiesOf(objects: readonly DesiredObject[]): string[] {
  const s = new Set<string>();
  for (const { object, positionOf } of objects) {
    const src = {
      object: `${object.kind} ${object.metadata.name ?? ''}`.trim(),
      ...(positionOf ? { positionOf: (key: string) => positionOf(['metadata', 'annotations', key]) } : {}),
    };
    const { type } = parseStrategyAnnotations(object.metadata.annotations, src);
    if (type !== 'rolling') s.add(type);
  }
  return [...s];
}

/** A path for messages: relative to `displayRoot` (or the working directory) when it is inside it (editors and CI logs jump to it). */
function displayPath(p: string, displayRoot?: string): string {
  const rel = relative(displayRoot ?? process.cwd(), p);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

function parseAll(files: readonly { file: string; text: string }[]): DesiredObject[] {
  const problems: SlipwayError[] = [];
  const out: DesiredObject[] = [];
  for (const f of files) {
    try {
      for (const m of parseManifests(f.text, f.file)) out.push({ object: m.object, positionOf: (p) => m.positionOf(p) });
    } catch (e) {
      if (e instanceof InputErrors) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length > 0) throw new InputErrors(problems, problems[0]);
  return out;
}

async function kustomize(dir: string): Promise<string> {
  try {
    const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; code?: string; message: string };
    if (err.code === 'ENOENT') throw unsupported('--kustomize needs kubectl on PATH', { cause: e, hint: 'install kubectl, or render with `kustomize build` and pass the output file' });
    throw inputError(`kubectl kustomize ${dir} failed: ${(err.stderr ?? err.message).trim()}`, { cause: e });
  }
}

/** Loads desired objects from manifests or a kustomization (a spec goes through {@link loadInput}). */
export async function loadManifests(o: LoadOptions): Promise<LoadedApp> {
  if (o.kustomize) {
    const dir = resolve(o.kustomize);
    const objects = parseAll([{ file: `${displayPath(dir, o.displayRoot)} (kustomize)`, text: await kustomize(dir) }]);
    return { app: o.app ?? dnsName(basename(dir)), objects, strategies: strategiesOf(objects), source: `kustomize ${o.kustomize}` };
  }
  const path = resolve(o.path ?? '.');
  const st = await stat(path).catch((e: unknown) => {
    throw inputError(`cannot read ${o.path ?? '.'}: ${(e as Error).message}`, { cause: e, expected: 'a slipway.yaml, a manifest file, or a directory of manifests' });
  });
  const files = st.isDirectory()
    ? (await readdir(path)).filter((f) => MANIFEST_EXT.has(extname(f)) && !SPEC_NAMES.has(f)).sort().map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw inputError(`no manifests in ${o.path ?? '.'}`, { cause: undefined, expected: '*.yaml, *.yml or *.json files' });
  // Regular files only, each within SLIPWAY_MAX_INPUT_BYTES (a FIFO named x.yaml must not hang a deploy).
  const texts = files.map((file) => {
    const shown = o.displayRoot === undefined ? file : displayPath(file, o.displayRoot);
    return { file: shown, text: readInputFile(file, { shown }) };
  });
  const objects = parseAll(texts);
  const base = st.isDirectory() ? basename(path) : basename(path, extname(path));
  return { app: o.app ?? dnsName(base), objects, strategies: strategiesOf(objects), source: o.path ?? '.' };
}

/** Is `path` (or `path/slipway.yaml`) a slipway spec rather than manifests? */
export async function findSpec(path: string | undefined): Promise<string | undefined> {
  const p = resolve(path ?? '.');
  const st = await stat(p).catch(() => undefined);
  if (!st) return undefined;
  if (st.isFile()) return SPEC_NAMES.has(basename(p)) ? p : undefined;
  for (const name of SPEC_NAMES) {
    const candidate = join(p, name);
    if (await stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
  }
  return undefined;
}

export interface Input extends LoadedApp {
  /** The namespace the spec renders into, when the input is a spec. */
  readonly namespace?: string;
}

export interface InputOptions extends LoadOptions {
  /** The environment a spec is rendered for. */
  readonly env: string;
  /** The tag of the images CI built (render's `imageTag`). @default the spec's tags */
  readonly imageTag?: string | undefined;
}

/** Reads, validates and renders the spec at `file` for `env`; `envFile`s are read relative to the spec. */
async function loadSpecInput(file: string, o: InputOptions): Promise<Input> {
  // Loaded only for a spec: the spec and render modules take ~0.1-0.2 s to import, which a
  // deploy of plain manifests (the common CI case) should not pay.
  const [{ loadSpec }, { renderApp }] = await Promise.all([import('../appspec/index.ts'), import('../render/index.ts')]);
  const shown = displayPath(file, o.displayRoot);
  const text = readInputFile(file, { shown });
  const envFiles: Record<string, string> = {};
  const dir = dirname(file);
  const read = referenceReader({ base: dir, root: o.root ?? projectRoot(dir), relativeTo: 'slipway.yaml' });
  const readEnvFile = (rel: string): string => {
    const content = read(rel);
    envFiles[rel] = content;
    return content;
  };
  const spec = loadSpec(text, shown, { readFile: readEnvFile });
  const r = renderApp(spec, o.env, { envFiles, imageTag: o.imageTag });
  const objects = r.objects.map((object) => ({ object }));
  return { app: o.app ?? spec.app, objects, strategies: strategiesOf(objects), source: shown, namespace: r.namespace };
}

/**
 * The objects to deploy, from a spec (`path` is a slipway.yaml or a directory holding one;
 * rendered for `env`), manifests (a file or a directory) or a kustomization (`kustomize`).
 */
export async function loadInput(o: InputOptions): Promise<Input> {
  if (!o.kustomize) {
    const spec = await findSpec(o.path);
    if (spec) return loadSpecInput(spec, o);
  }
  return loadManifests(o);
}
