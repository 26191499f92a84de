/**
 * The compose corpus (issue 13): realistic docker-compose projects written for slipway's tests,
 * one directory each, with the files they reference (.env, env files, configs). Secret values in
 * them are planted as `PLANTED-…` so that a test can prove none reaches slipway.yaml, the report
 * or the rendered manifests.
 *
 * Shared by corpus.test.ts (import → render every environment → lint, network edges, planted
 * secrets) and test/integration/compose-corpus.test.ts (deploys to the local cluster).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { dotenvValues, parseDotenvFile } from '../../src/appspec/compose/dotenv.ts';
import { main, memoryIo } from '../../src/cli/index.ts';

export const CORPUS_DIR = import.meta.dirname;

/** Every project of the corpus (a directory with a docker-compose.yml). */
export function corpusNames(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((n) => statSync(join(CORPUS_DIR, n)).isDirectory() && statSync(join(CORPUS_DIR, n, 'docker-compose.yml'), { throwIfNoEntry: false })?.isFile() === true)
    .sort();
}

/** Every file of a project, recursively, as path (relative to it) → text. */
function projectFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** The secret values planted in a project's files. */
export function plantedValues(dir: string): string[] {
  const found = new Set<string>();
  for (const text of Object.values(projectFiles(dir))) for (const m of text.matchAll(/PLANTED-[A-Za-z0-9-]+/g)) found.add(m[0]);
  return [...found].sort();
}

/** The interpolation variables of a project: its .env (the corpus does not depend on the shell). */
export function dotenvOf(dir: string): Record<string, string> {
  const file = join(dir, '.env');
  return statSync(file, { throwIfNoEntry: false })?.isFile() === true ? dotenvValues(parseDotenvFile(readFileSync(file, 'utf8'), {})) : {};
}

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** The real CLI, in process. */
export async function slipway(...argv: string[]): Promise<CliRun> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', ...argv], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

export interface ImportedProject {
  readonly name: string;
  /** A private copy of the project, slipway.yaml written next to its compose file. */
  readonly dir: string;
  readonly specFile: string;
  readonly run: CliRun;
}

/** Copies a corpus project to a temporary directory and runs `slipway import compose` on it, as a user would. */
export async function importProject(name: string): Promise<ImportedProject> {
  const dir = mkdtempSync(join(tmpdir(), `slipway-corpus-${name}-`));
  cpSync(join(CORPUS_DIR, name), dir, { recursive: true });
  const specFile = join(dir, 'slipway.yaml');
  const run = await slipway('import', 'compose', join(dir, 'docker-compose.yml'), '-o', specFile);
  return { name, dir, specFile, run };
}
