/**
 * Finding the control plane binaries: `--bin-dir`, else `SLIPWAY_KUBE_BIN`, else whatever
 * `scripts/build-kube.sh` prints (it returns the cached dir at once, or builds from Go modules).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPONENTS, type Component } from './layout.ts';
import { inputError, unsupported, internal } from '../errors/index.ts';

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-kube.sh', import.meta.url));

/** The binaries that are missing or not executable in `dir`. */
function missingBinaries(dir: string): Component[] {
  return COMPONENTS.filter((c) => {
    try {
      accessSync(join(dir, c), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}

const HINT =
  'install Go >= 1.24 (https://go.dev/dl) and run `scripts/build-kube.sh` (it builds and caches them once), ' +
  'or pass --bin-dir / set SLIPWAY_KUBE_BIN to a folder holding: ' +
  COMPONENTS.join(', ');

export interface ResolveBinariesInput {
  readonly binDir?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Progress lines from the build script (a cold build takes minutes). */
  readonly onLine?: (line: string) => void;
}

export async function resolveBinaries(input: ResolveBinariesInput): Promise<string> {
  const explicit = input.binDir ?? input.env['SLIPWAY_KUBE_BIN'];
  if (explicit !== undefined && explicit !== '') {
    const missing = missingBinaries(explicit);
    if (missing.length > 0) {
      throw inputError(`${explicit} lacks ${missing.join(', ')}`, {
        cause: missing,
        expected: `executables ${COMPONENTS.join(', ')} in ${explicit}`,
        hint: HINT,
      });
    }
    return explicit;
  }
  const { code, stdout, stderr } = await runScript(BUILD_SCRIPT, { onLine: input.onLine });
  const dir = stdout.trim().split('\n').pop() ?? '';
  if (code === 0 && dir !== '' && missingBinaries(dir).length === 0) return dir;
  if (code === 2) {
    throw unsupported('no control plane binaries and no Go toolchain to build them', { cause: stderr, hint: HINT });
  }
  throw internal(`building the control plane binaries failed (exit ${code})`, {
    cause: stderr,
    hint: `run ${BUILD_SCRIPT} directly to see the full output; ${HINT}`,
  });
}

/** Runs one of the project's bash scripts: stdout collected, stderr collected and handed over line by line. */
export function runScript(script: string, o: { readonly onLine?: ((line: string) => void) | undefined; readonly env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const onLine = o.onLine;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      for (const l of c.split('\n')) if (l.trim() !== '') onLine?.(l.trim());
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
