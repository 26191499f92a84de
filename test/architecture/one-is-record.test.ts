/**
 * One `isRecord` guard (src/manifest/record.ts), not a copy per folder: no other source file
 * defines a guard narrowing `unknown` to `Record<string, unknown>`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
/** `function f(v: unknown): v is Record<string, unknown>` and the arrow form, any names (or a `Rec` alias). */
const GUARD = /\(\s*(\w+)\s*:\s*unknown\s*\)\s*:\s*\1\s+is\s+((Readonly<)?Record<string,\s*unknown>|Rec\b)/;
// Files allowed to keep their own guard (none).
const NOT_YET: string[] = [];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

it('only src/manifest/record.ts defines a Record<string, unknown> guard', () => {
  const copies = sources(join(root, 'src')).filter((f) => f !== 'src/manifest/record.ts' && GUARD.test(readFileSync(join(root, f), 'utf8')));
  expect(copies.sort()).toEqual(NOT_YET);
});
