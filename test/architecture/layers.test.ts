/**
 * The architecture rules of eslint.config.js (LAYERS and the pure core), checked by linting small
 * snippets as if they sat in a given folder, through ESLint's API with the real config. Each
 * violation must be reported by the rule named; each clean snippet must pass. Type-aware linting
 * is switched off for the snippets (they are not files of the TypeScript project); the rules under
 * test are syntactic.
 */
import { ESLint, type Linter } from 'eslint';
import { join } from 'node:path';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const ARCHITECTURE_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax', 'no-restricted-globals', 'no-restricted-properties']);

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root, overrideConfig: [tseslint.configs.disableTypeChecked] });
});

/** The architecture rules that fire on `code` placed at `file` (e.g. src/lint/snippet.ts). */
async function architectureFindings(file: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  if (result === undefined) throw new Error(`no lint result for ${file}`);
  const fatal = result.messages.filter((m) => m.fatal === true);
  expect(fatal, 'the snippet parses').toEqual([]);
  return result.messages.filter((m) => m.ruleId !== null && ARCHITECTURE_RULES.has(m.ruleId));
}

describe('layer and pure-core rules report violations', () => {
  it.each([
    // The pure core (manifest, appspec, render, lint, ci) does no I/O.
    { folder: 'lint', code: "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;", rule: 'no-restricted-imports', says: 'pure core' },
    { folder: 'render', code: "import * as fs from 'fs/promises';\nexport const f = fs;", rule: 'no-restricted-imports', says: 'pure core' },
    { folder: 'ci', code: "import { execFileSync } from 'node:child_process';\nexport const f = execFileSync;", rule: 'no-restricted-imports', says: 'pure core' },
    { folder: 'appspec', code: "import { createRequire } from 'node:module';\nexport const r = createRequire('/');", rule: 'no-restricted-imports', says: 'pure core' },
    { folder: 'render', code: "import { homedir } from 'node:os';\nexport const h = homedir();", rule: 'no-restricted-imports', says: 'pure core' },
    { folder: 'manifest', code: "import os from 'os';\nexport const h = os.hostname();", rule: 'no-restricted-imports', says: 'pure core' },
    { folder: 'lint', code: "import { env } from 'node:process';\nexport const e = env;", rule: 'no-restricted-imports', says: 'pure core' },
    { folder: 'ci', code: "export { argv } from 'node:process';", rule: 'no-restricted-imports', says: 'pure core' },
    { folder: 'manifest', code: "export const home = process.env['HOME'];", rule: 'no-restricted-globals', says: 'pure core' },
    { folder: 'render', code: 'export const cwd = process.cwd();', rule: 'no-restricted-globals', says: 'pure core' },
    { folder: 'lint', code: 'export const p = globalThis.process;', rule: 'no-restricted-properties', says: 'pure core' },
    { folder: 'ci', code: "export const r = await fetch('https://example.com');", rule: 'no-restricted-globals', says: 'pure core' },
    { folder: 'appspec', code: "export const m: unknown = require('./data.json');", rule: 'no-restricted-globals', says: 'pure core' },
    { folder: 'appspec', code: "export const m = await import('./other.ts');", rule: 'no-restricted-syntax', says: 'dynamic import' },
    { folder: 'lint', code: "const name = 'x';\nexport const m: unknown = await import(name);", rule: 'no-restricted-syntax', says: 'dynamic import' },
    // Import direction and one public entry per folder.
    { folder: 'lint', code: "import { x } from '../kube/index.ts';\nexport const y = x;", rule: 'no-restricted-imports', says: 'LAYERS' },
    { folder: 'lint', code: "import { x } from '../appspec/load.ts';\nexport const y = x;", rule: 'no-restricted-imports', says: 'LAYERS' },
    { folder: 'manifest', code: "import { x } from '../appspec/index.ts';\nexport const y = x;", rule: 'no-restricted-imports', says: 'LAYERS' },
    { folder: 'errors', code: "export * from '../manifest/index.ts';", rule: 'no-restricted-imports', says: 'LAYERS' },
    { folder: 'render', code: "export type { X } from '../lint/index.ts';", rule: 'no-restricted-imports', says: 'LAYERS' },
    // ... also through dynamic import() and require() outside the pure core.
    { folder: 'kube', code: "export const m = await import('../cli/index.ts');", rule: 'no-restricted-syntax', says: 'LAYERS' },
    { folder: 'kube', code: "export const m = await import('../manifest/parse.ts');", rule: 'no-restricted-syntax', says: 'LAYERS' },
    { folder: 'sync', code: "export const m = await import('../../src/server/index.ts');", rule: 'no-restricted-syntax', says: 'LAYERS' },
    {
      folder: 'cluster',
      code: "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const m: unknown = require('../sync/index.ts');",
      rule: 'no-restricted-syntax',
      says: 'LAYERS',
    },
  ])('$folder: $code', async ({ folder, code, rule, says }) => {
    const found = await architectureFindings(`src/${folder}/snippet.ts`, code);
    expect(found.map((m) => m.ruleId)).toEqual([rule]);
    expect(found[0]?.message).toContain(says);
  });
});

describe('layer and pure-core rules accept allowed code', () => {
  it.each([
    { folder: 'lint', code: "import { parseManifests } from '../manifest/index.ts';\nimport { join } from 'node:path';\nimport { createHash } from 'node:crypto';\nexport const f = [parseManifests, join, createHash];" },
    { folder: 'render', code: "import { isDeepStrictEqual } from 'node:util';\nimport type { AppSpec } from '../appspec/index.ts';\nexport const f = isDeepStrictEqual;\nexport type A = AppSpec;" },
    // A local binding named like a restricted global is not the global.
    { folder: 'lint', code: 'const process = (n: number): number => n + 1;\nexport const y = process(1);' },
    { folder: 'ci', code: 'export function run(fetch: (u: string) => Promise<string>): Promise<string> {\n  return fetch("https://example.com");\n}' },
    // Outside the pure core: I/O and ambient state are fine, dynamic imports within the layers too.
    { folder: 'kube', code: "import { readFileSync } from 'node:fs';\nexport const home = process.env['HOME'];\nexport const f = readFileSync;" },
    { folder: 'kube', code: "export const m = await import('../manifest/index.ts');" },
    { folder: 'cli', code: "export const m = await import('../kube/index.ts');\nexport const n = await import('./commands/index.ts');" },
    {
      folder: 'cluster',
      code: "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const m: unknown = require('../kube/index.ts');",
    },
  ])('$folder: $code', async ({ folder, code }) => {
    expect(await architectureFindings(`src/${folder}/snippet.ts`, code)).toEqual([]);
  });
});
