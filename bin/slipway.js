#!/usr/bin/env node
// Entry for `slipway` installed from npm (runs the compiled dist/) and for a source checkout
// (Node >= 22.18 strips TypeScript types natively, so no build step is needed there).
import { existsSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Caches compiled code on disk (os.tmpdir()/node-compile-cache): start-up is ~3x faster after the first run.
enableCompileCache?.();

const dist = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const src = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const entry = existsSync(dist) ? dist : src;
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv);
