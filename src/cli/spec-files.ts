/**
 * Reading a slipway spec from disk for any command: find `slipway.yaml` (or `slipway.yml`) in a
 * directory or take the file given, read it and the dotenv files it refers to, and validate it
 * with spec's loadSpec. Positions name the file as the user gave it (relative paths stay relative),
 * so editors and CI logs can jump to them.
 */
import { statSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { inputError } from '../errors/index.ts';
import { loadSpec, type AppSpec } from '../appspec/index.ts';
import { projectRoot, readInputFile, referenceReader } from '../files/index.ts';

import { SPEC_FILE_NAMES } from './spec-file-names.ts';

export interface SpecFiles {
  /** The spec file, as shown in messages (relative to the working directory when inside it). */
  readonly file: string;
  /** The directory of the spec: relative paths in it (envFile, build.context) are relative to this. */
  readonly dir: string;
  readonly text: string;
  /**
   * The validated spec (base, or the environment's effective spec when `env` was given). ConfigMap
   * `envFile`s are already inlined into `data`.
   */
  readonly spec: AppSpec;
  /** Contents of every `envFile`, by the path written in the spec (for renderers that want them). */
  readonly envFiles: Readonly<Record<string, string>>;
}

/** Where the spec is: `target` itself when it is a file, else `target/slipway.yaml` (or .yml). */
export function findSpecFile(target = '.'): string {
  let st;
  try {
    st = statSync(target);
  } catch (e) {
    throw inputError(`cannot read ${target}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      expected: 'a slipway.yaml file or a directory containing one',
    });
  }
  // Anything but a directory is the spec itself (a FIFO or a device is then refused by the read).
  if (!st.isDirectory()) return target;
  for (const name of SPEC_FILE_NAMES) {
    const candidate = join(target, name);
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile() === true) return candidate;
  }
  throw inputError(`no slipway.yaml in ${target}`, {
    cause: target,
    expected: 'a slipway.yaml file or a directory containing one',
    hint: 'pass the spec file or its directory, or create one with `slipway import compose docker-compose.yml`',
  });
}

/** A path for messages: relative to the working directory when it is inside it. */
function displayPath(p: string): string {
  const rel = relative(process.cwd(), resolve(p));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

export interface ReadSpecOptions {
  /** Resolve this environment. @default the base spec */
  readonly env?: string | undefined;
}

/** Finds, reads and validates the spec at `target` (file or directory). Throws InputErrors on problems. */
export function readSpecFiles(target = '.', opts: ReadSpecOptions = {}): SpecFiles {
  const path = findSpecFile(target);
  const file = displayPath(path);
  const dir = dirname(path);
  // A regular file within SLIPWAY_MAX_INPUT_BYTES; input errors otherwise.
  const text = readInputFile(path, { shown: file });
  const envFiles: Record<string, string> = {};
  // envFiles must stay inside the spec's directory (or SLIPWAY_PROJECT_ROOT), symlinks resolved.
  const read = referenceReader({ base: dir, root: projectRoot(dir), relativeTo: 'slipway.yaml' });
  const readFile = (rel: string): string => {
    const content = read(rel);
    envFiles[rel] = content;
    return content;
  };
  const spec = loadSpec(text, file, { readFile, ...(opts.env !== undefined ? { env: opts.env } : {}) });
  return { file, dir, text, spec, envFiles };
}
