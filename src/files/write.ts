/**
 * Writing what a command produces (`render -o`, `import compose -o`). Missing parent directories
 * are created, as `render -o out/` always did and as `helm template --output-dir` and
 * `kustomize build -o` do; anything that still stops the write (a parent that is a file, no
 * permission, a read-only file system) is bad input naming the path, never a raw ENOENT/ENOTDIR.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inputError } from '../errors/index.ts';

const WHY: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ENAMETOOLONG: 'the path is too long',
};

/** Writes `content` to `path`, creating its directory first. Throws an input error naming the path. */
export function writeOutputFile(path: string, content: string, flag = '-o'): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw inputError(`cannot write ${path}: ${WHY[code] ?? (e instanceof Error ? e.message : String(e))}`, {
      cause: e,
      expected: `a path ${flag} can write to (its directory is created when missing)`,
      hint: `check ${flag} ${path}: ${code === 'EISDIR' ? 'name a file inside that directory' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'choose a writable location' : 'every part before the file name must be a directory or not exist yet'}`,
    });
  }
}
