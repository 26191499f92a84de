/**
 * ajv's standalone code generation, as an ES module: validators compiled ahead of time (by
 * scripts/gen-validators.ts) so that a CLI process does not pay ajv's compile time.
 *
 * ajv emits CommonJS `require(...)` for its runtime helpers and formats even with `code.esm`.
 * They stay `require` calls, through `createRequire`: rewriting them as `import`s would depend on
 * how each loader interops with CommonJS `default` (Node and Vite's disagree for ajv's helpers).
 * @see https://ajv.js.org/standalone.html
 */
import type { Ajv, ValidateFunction } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

export function standaloneEsm(ajv: Ajv, refsOrFunc: Record<string, string> | ValidateFunction, header: string): string {
  const code = standaloneCode.default(ajv, refsOrFunc).replace(/^"use strict";/, '');
  const prelude = code.includes('require(') ? ['import { createRequire } from "node:module";', 'const require = createRequire(import.meta.url);'] : [];
  return [`// ${header} Do not edit.`, ...prelude, code, ''].join('\n');
}
