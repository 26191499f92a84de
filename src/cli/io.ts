import pc from 'picocolors';

type Colorize = (s: string) => string;
interface Colors {
  readonly red: Colorize;
  readonly green: Colorize;
  readonly yellow: Colorize;
  readonly bold: Colorize;
  readonly dim: Colorize;
  readonly cyan: Colorize;
}

/**
 * Output for commands. Colour only on a TTY (and never with NO_COLOR), so piped and CI output
 * stays plain. Commands set a non-zero exit code via `fail(1)` for findings without throwing.
 */
export interface Io {
  out(s: string): void;
  err(s: string): void;
  readonly color: Colors;
  readonly isTTY: boolean;
  /** The highest code set wins (130: interrupted). */
  setExitCode(code: 0 | 1 | 2 | 130): void;
  exitCode(): number;
}

export function makeIo(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Io {
  // Node leaves isTTY undefined on a pipe (its type says boolean), and picocolors'
  // createColors(undefined) falls back to its own detection (FORCE_COLOR…): make it a boolean.
  const isTTY = (stdout.isTTY as boolean | undefined) === true && !process.env['NO_COLOR'] && process.env['CI'] !== 'true';
  const c = pc.createColors(isTTY);
  let code = 0;
  // `slipway render | head` closes stdout early: that is the reader's choice, not an error.
  if (stdout.listenerCount('error') === 0) {
    stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(code);
      throw e;
    });
  }
  return {
    out: (s) => stdout.write(s),
    err: (s) => stderr.write(s),
    color: { red: c.red, green: c.green, yellow: c.yellow, bold: c.bold, dim: c.dim, cyan: c.cyan },
    isTTY,
    setExitCode: (n) => {
      code = Math.max(code, n);
    },
    exitCode: () => code,
  };
}

/** An Io that records output, for tests. */
export function memoryIo(): Io & { stdout: () => string; stderr: () => string } {
  let o = '';
  let e = '';
  let code = 0;
  const id = (s: string): string => s;
  return {
    out: (s) => {
      o += s;
    },
    err: (s) => {
      e += s;
    },
    color: { red: id, green: id, yellow: id, bold: id, dim: id, cyan: id },
    isTTY: false,
    setExitCode: (n) => {
      code = Math.max(code, n);
    },
    exitCode: () => code,
    stdout: () => o,
    stderr: () => e,
  };
}
