/**
 * slipway's one error taxonomy. Engines throw (or return, when fanning out) these; only the
 * edges (`cli`, `server`) map a kind to an exit code (via {@link exitCodeFor}) or an HTTP
 * status. Every error carries a `cause`, so the root failure (an apiserver
 * response, an fs error, a YAML parse error) is never lost.
 */

/** Where in a user's file a problem is. Lines and columns are 1-based, as editors show them. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type ErrorKind =
  | 'input'
  | 'not-found'
  | 'conflict'
  | 'forbidden'
  | 'cluster-unavailable'
  | 'rollout-failed'
  | 'unsupported'
  | 'cancelled'
  | 'internal';

export interface SlipwayErrorOptions {
  /** The underlying failure; required so that the root cause is always kept. */
  readonly cause: unknown;
  /** Where in the user's input the problem is, when it comes from a file. */
  readonly position?: SourcePosition;
  /** Dotted path in the document, e.g. `services.api.ports[0].port`. */
  readonly path?: string;
  /** What was expected at that place. */
  readonly expected?: string;
  /** What the user can do about it. */
  readonly hint?: string;
}

export class SlipwayError extends Error {
  readonly kind: ErrorKind;
  readonly position: SourcePosition | undefined;
  readonly path: string | undefined;
  readonly expected: string | undefined;
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, options: SlipwayErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'SlipwayError';
    this.kind = kind;
    this.position = options.position;
    this.path = options.path;
    this.expected = options.expected;
    this.hint = options.hint;
  }

  /**
   * `file:line:col: message` plus expected/hint lines, the way compilers print problems. Each
   * line is cut at {@link MAX_PRINTED_LINE} characters: messages quote user input (a key, a
   * path 256 levels deep) and one problem must not print megabytes.
   */
  format(): string {
    const where = this.position ? `${this.position.file}:${this.position.line}:${this.position.col}: ` : '';
    const lines = [`${where}${this.message}`];
    if (this.path !== undefined) lines.push(`  at: ${this.path}`);
    if (this.expected !== undefined) lines.push(`  expected: ${this.expected}`);
    if (this.hint !== undefined) lines.push(`  hint: ${this.hint}`);
    return lines.map(clipLine).join('\n');
  }
}

/** Several input problems found in one pass; reported together so users fix them in one go. */
export class InputErrors extends SlipwayError {
  readonly problems: readonly SlipwayError[];
  constructor(problems: readonly SlipwayError[], cause?: unknown) {
    super('input', `${problems.length} problem(s) in input`, { cause });
    this.name = 'InputErrors';
    this.problems = problems;
  }
  /** Every problem, up to {@link MAX_PRINTED_PROBLEMS}; the rest are counted in a last line. */
  override format(): string {
    const { shown, hidden } = printedProblems(this.problems);
    const lines = shown.map((p) => p.format());
    if (hidden > 0) lines.push(moreProblemsLine(hidden));
    return lines.join('\n');
  }
}

/** Problems printed at most, per report; the rest are counted (`... and 12 more problems`). */
const MAX_PRINTED_PROBLEMS = 100;
/** Characters printed at most per line of a problem. */
const MAX_PRINTED_LINE = 1000;

/** The problems to print and how many are left out: output stays bounded whatever the input. */
export function printedProblems(problems: readonly SlipwayError[]): { readonly shown: readonly SlipwayError[]; readonly hidden: number } {
  return { shown: problems.slice(0, MAX_PRINTED_PROBLEMS), hidden: Math.max(0, problems.length - MAX_PRINTED_PROBLEMS) };
}

export function moreProblemsLine(hidden: number): string {
  return `... and ${hidden} more problem${hidden === 1 ? '' : 's'} (fix these first; -o json lists all where the command has it)`;
}

function clipLine(line: string): string {
  return line.length > MAX_PRINTED_LINE ? `${line.slice(0, MAX_PRINTED_LINE - 3)}...` : line;
}

type Opts = SlipwayErrorOptions;
export const inputError = (message: string, o: Opts): SlipwayError => new SlipwayError('input', message, o);
export const notFound = (message: string, o: Opts): SlipwayError => new SlipwayError('not-found', message, o);
export const conflict = (message: string, o: Opts): SlipwayError => new SlipwayError('conflict', message, o);
/** The credentials work but lack a permission (RBAC): not bad input, and not fixed by retrying. */
export const forbidden = (message: string, o: Opts): SlipwayError => new SlipwayError('forbidden', message, o);
export const clusterUnavailable = (message: string, o: Opts): SlipwayError =>
  new SlipwayError('cluster-unavailable', message, o);
export const rolloutFailed = (message: string, o: Opts): SlipwayError => new SlipwayError('rollout-failed', message, o);
export const unsupported = (message: string, o: Opts): SlipwayError => new SlipwayError('unsupported', message, o);
/** The caller aborted the operation (an AbortSignal: Ctrl-C in the CLI, a controller shutting down). */
export const cancelled = (message: string, o: Opts): SlipwayError => new SlipwayError('cancelled', message, o);
export const internal = (message: string, o: Opts): SlipwayError => new SlipwayError('internal', message, o);

export function isSlipwayError(e: unknown): e is SlipwayError {
  return e instanceof SlipwayError;
}

/**
 * Exit codes documented in the README: 0 ok, 1 findings or a failed operation, 2 bad input or usage,
 * 130 cancelled (interrupted, like a shell's 128 + SIGINT).
 */
export function exitCodeFor(e: unknown): 1 | 2 | 130 {
  if (isSlipwayError(e) && (e.kind === 'input' || e.kind === 'unsupported')) return 2;
  if (isSlipwayError(e) && e.kind === 'cancelled') return 130;
  return 1;
}

/** Result of one item in a fan-out (many objects, many clusters): failures are data, not throws. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SlipwayError };
