import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inputError } from '../errors/index.ts';

/** What a failed write means to a user, by error code. */
const WHY: Readonly<Record<string, string>> = {
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent of it is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ENAMETOOLONG: 'the path is too long',
  EEXIST: 'a parent of it is a file, not a directory',
};

/**
 * Writes an output file the user named (`-o`), creating the directories above it. Any failure is
 * bad input (exit 2) that names the path and why, never a raw `ENOENT: …, open '…'`.
 */
export function writeOutputFile(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError(`cannot write ${path}: ${(code !== undefined ? WHY[code] : undefined) ?? (code ?? String(e))}`, {
      cause: e,
      expected: 'a path where a file can be written',
      hint: 'choose another output path with -o, or fix the directory and its permissions',
    });
  }
}
