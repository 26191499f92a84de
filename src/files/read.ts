/**
 * Reading files slipway did not write, as untrusted input: a spec, a compose file or manifests
 * may come from a repository slipway does not control (the GitOps controller renders them inside
 * a process that holds cluster credentials).
 *
 * - Only regular files are read. A FIFO, a character device (/dev/zero, /dev/urandom), a socket or
 *   a directory is refused at once: the file is opened with O_NONBLOCK (opening a FIFO does not
 *   wait for a writer) and checked with fstat before a byte is read.
 * - Every read is bounded: {@link readLimits}. Files whose size the kernel does not know
 *   (/proc/…, size 0) are bounded too, because the read loop counts what it gets.
 * - A file referenced from a spec or compose file must resolve, after symlinks, inside the project
 *   root: {@link referenceReader}. Absolute paths, `..` escapes and symlinks pointing out are
 *   refused.
 *
 * Errors are input errors (exit 2) with what was expected and a hint. {@link readInputFile} and
 * {@link readStdin} say "cannot read <file>: <reason>". {@link referenceReader}'s errors carry the
 * reason only ("it does not exist"), and a missing file is a `not-found` error, so that callers
 * that tolerate missing files (compose's optional env files) can tell it apart: the pure core
 * names the reference and adds its position (file:line:col), which only it knows.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import { isAbsolute, posix, relative, resolve, sep, win32 } from 'node:path';
import { inputError, isSlipwayError, notFound, type SlipwayError } from '../errors/index.ts';

const MiB = 1024 * 1024;

/** Upper bounds on what one read may return, in bytes. */
export interface ReadLimits {
  /** A file a spec or compose file refers to (envFile, env_file, configs.file, .env, --env-file). */
  readonly referencedBytes: number;
  /** A file named on the command line or read from stdin (slipway.yaml, a compose file, manifests). */
  readonly inputBytes: number;
}

export const DEFAULT_LIMITS: ReadLimits = { referencedBytes: MiB, inputBytes: 64 * MiB };

/** The environment variables that override {@link DEFAULT_LIMITS}. */
const LIMIT_VARS = { referencedBytes: 'SLIPWAY_MAX_FILE_BYTES', inputBytes: 'SLIPWAY_MAX_INPUT_BYTES' } as const;

/** The project root override: file references may resolve anywhere below it (a monorepo's root). */
const PROJECT_ROOT_VAR = 'SLIPWAY_PROJECT_ROOT';

function limitFrom(env: NodeJS.ProcessEnv, key: keyof ReadLimits): number {
  const name = LIMIT_VARS[key];
  const raw = env[name];
  if (raw === undefined || raw === '') return DEFAULT_LIMITS[key];
  const n = /^[0-9]+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw inputError(`${name}=${raw} is not a byte count`, {
      cause: raw,
      expected: 'a positive whole number of bytes, e.g. 1048576',
      hint: `unset ${name} for the default (${DEFAULT_LIMITS[key]} bytes)`,
    });
  }
  return n;
}

/** The limits in force: {@link DEFAULT_LIMITS}, overridden by SLIPWAY_MAX_FILE_BYTES and SLIPWAY_MAX_INPUT_BYTES. */
export function readLimits(env: NodeJS.ProcessEnv = process.env): ReadLimits {
  return { referencedBytes: limitFrom(env, 'referencedBytes'), inputBytes: limitFrom(env, 'inputBytes') };
}

/** What a non-regular file is, for messages. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

interface Bound {
  readonly maxBytes: number;
  /** The variable that raises the bound, for the hint. */
  readonly limitVar: string;
}

function tooLarge(bound: Bound, cause: unknown): SlipwayError {
  return inputError(`it is larger than ${bound.maxBytes} bytes`, {
    cause,
    expected: `a file of at most ${bound.maxBytes} bytes`,
    hint: `set ${bound.limitVar} to a larger byte count if the file is legitimate (docs/spec.md, "Reading files")`,
  });
}

function notRegular(st: Stats): SlipwayError {
  return inputError(`it is ${kindOf(st)}, not a regular file`, {
    cause: st,
    expected: 'a regular file',
    hint: 'slipway reads only regular files (never devices, pipes or sockets); put the content in a file',
  });
}

function openFailure(e: unknown): SlipwayError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return notFound('it does not exist', { cause: e, expected: 'an existing file', hint: 'check the path' });
  }
  // ENXIO: a socket; ELOOP: a symlink where none may be (O_NOFOLLOW); EACCES: permissions.
  const why = code === 'ENXIO' ? 'it is a socket or a device without a reader' : code === 'ELOOP' ? 'it is a symbolic link' : (code ?? (e as Error).message);
  return inputError(why, { cause: e, expected: 'a readable regular file', hint: 'check the path and its permissions' });
}

const CHUNK = MiB;

/** Reads an open descriptor to EOF, refusing more than `bound.maxBytes`. */
function readBounded(fd: number, bound: Bound, sizeHint: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(sizeHint, 4096), bound.maxBytes + 1));
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      // A non-blocking pipe on stdin with nothing yet: wait a little and try again.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      throw inputError((e as Error).message, { cause: e, expected: 'a readable regular file', hint: 'check the file' });
    }
    if (n === 0) break;
    total += n;
    if (total > bound.maxBytes) throw tooLarge(bound, total);
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks, total);
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** Opens `path` without blocking, checks it is a regular file within the bound, and reads it. */
function readRegular(path: string, bound: Bound, extraFlags = 0): string {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS | extraFlags);
  } catch (e) {
    throw openFailure(e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(st);
    if (st.size > bound.maxBytes) throw tooLarge(bound, st.size);
    return readBounded(fd, bound, st.size + 1).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export interface ReadInputOptions {
  /** The path as messages show it. @default path */
  readonly shown?: string;
  /** Which bound applies: a main input (slipway.yaml, manifests) or a referenced file (an --env-file). @default 'input' */
  readonly as?: 'input' | 'referenced';
  /** @default readLimits() */
  readonly limits?: ReadLimits;
}

function boundFor(o: ReadInputOptions): Bound {
  const limits = o.limits ?? readLimits();
  const key = o.as === 'referenced' ? 'referencedBytes' : 'inputBytes';
  return { maxBytes: limits[key], limitVar: LIMIT_VARS[key] };
}

/**
 * Reads a file the user named (on the command line): a regular file only, within the bound; no
 * confinement (the user chose it). Throws input errors (exit 2), a missing file included.
 */
export function readInputFile(path: string, o: ReadInputOptions = {}): string {
  const bound = boundFor(o);
  return asInputError(o.shown ?? path, () => readRegular(path, bound));
}

/** Reads stdin to EOF within the input bound. A device other than a terminal (`< /dev/zero`) is refused. */
export function readStdin(o: ReadInputOptions = {}): string {
  const bound = boundFor(o);
  return asInputError(o.shown ?? '<stdin>', () => {
    const st = fstatSync(0);
    if ((st.isCharacterDevice() && !isatty(0)) || st.isBlockDevice() || st.isDirectory()) throw notRegular(st);
    return readBounded(0, bound, st.isFile() ? st.size + 1 : CHUNK).toString('utf8');
  });
}

/** A file the user named is input: every failure (a missing file too) is an input error, "cannot read …". */
function asInputError(shown: string, read: () => string): string {
  try {
    return read();
  } catch (e) {
    if (!isSlipwayError(e)) throw e;
    throw inputError(`cannot read ${shown}: ${e.message}`, { cause: e, ...(e.expected !== undefined ? { expected: e.expected } : {}), ...(e.hint !== undefined ? { hint: e.hint } : {}) });
  }
}

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function realDir(dir: string, what: string): string {
  try {
    return realpathSync(dir);
  } catch (e) {
    throw inputError(`cannot resolve ${what} ${dir}: ${(e as Error).message}`, { cause: e, expected: 'an existing directory', hint: 'check the path' });
  }
}

/**
 * The project root for a spec or compose file in `dir`: `dir` itself, or SLIPWAY_PROJECT_ROOT when
 * set (it must contain `dir`): a monorepo where deploy/slipway.yaml shares ../config/app.env.
 */
export function projectRoot(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[PROJECT_ROOT_VAR];
  if (override === undefined || override === '') return dir;
  const root = realDir(resolve(override), PROJECT_ROOT_VAR);
  if (!inside(root, realDir(dir, 'the directory'))) {
    throw inputError(`${PROJECT_ROOT_VAR}=${override} does not contain ${dir}`, {
      cause: override,
      expected: `${PROJECT_ROOT_VAR} to be a directory that contains the spec or compose file`,
      hint: `set ${PROJECT_ROOT_VAR} to the repository root, or unset it to use the file's own directory`,
    });
  }
  return root;
}

export interface ReferenceReaderOptions {
  /** Paths in the file are relative to this directory (the spec's or compose file's). */
  readonly base: string;
  /** References must resolve inside this directory, after symlinks. @default base (see {@link projectRoot}) */
  readonly root?: string;
  /** What the references are relative to, for messages. @default 'the spec' */
  readonly relativeTo?: string;
  /** @default readLimits() */
  readonly limits?: ReadLimits;
}

/**
 * A `readFile` callback for the pure core: reads a file a spec or compose file references, by the
 * path as written there. The path must be relative, stay inside the root without `..` escapes, and
 * resolve (symlinks followed) to a regular file inside the root, within the referenced-file bound.
 * Throws input errors (exit 2; the caller adds the position), or `not-found` when it is missing.
 */
export function referenceReader(o: ReferenceReaderOptions): (ref: string) => string {
  const relativeTo = o.relativeTo ?? 'the spec';
  const bound: Bound = { maxBytes: (o.limits ?? readLimits()).referencedBytes, limitVar: LIMIT_VARS.referencedBytes };
  const rootGiven = resolve(o.root ?? o.base);
  // Resolved on first use, so that both sides of every comparison are real paths.
  let real: { base: string; root: string } | undefined;
  const expected = `a relative path to a file inside the project root ${rootGiven}`;
  const refuse = (ref: string, why: string, hint: string): SlipwayError =>
    inputError(why, { cause: ref, expected, hint });
  return (ref: string): string => {
    if (ref.includes('\0')) throw refuse(ref, 'the path contains a NUL byte', 'write a plain relative path');
    if (isAbsolute(ref) || posix.isAbsolute(ref) || win32.isAbsolute(ref)) {
      throw refuse(ref, `absolute paths are refused: a file reference stays inside the project root ${rootGiven}`, `copy the file into the project and refer to it relative to ${relativeTo}`);
    }
    real ??= { base: realDir(resolve(o.base), 'the directory'), root: realDir(rootGiven, 'the project root') };
    const lexical = resolve(real.base, ref);
    if (!inside(real.root, lexical)) {
      throw refuse(ref, `it leaves the project root ${rootGiven} through ..`, `copy the file into the project and refer to it relative to ${relativeTo}`);
    }
    let target: string;
    try {
      target = realpathSync(lexical);
    } catch (e) {
      throw openFailure(e);
    }
    if (!inside(real.root, target)) {
      throw refuse(ref, `it resolves through a symbolic link to ${target}, outside the project root ${rootGiven}`, 'replace the link with a copy of the file, or point it at a file inside the project');
    }
    try {
      // O_NOFOLLOW: the resolved path must still be the file checked (no link swapped in since).
      return readRegular(target, bound, constants.O_NOFOLLOW ?? 0);
    } catch (e) {
      if (isSlipwayError(e)) throw e;
      throw inputError((e as Error).message, { cause: e, expected, hint: 'check the file' });
    }
  };
}
