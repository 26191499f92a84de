import type { AppSpec } from '../schema.ts';

/** How bad a report entry is. */
export type ReportSeverity = 'info' | 'warning' | 'error';

/**
 * One line of the import report: a compose key slipway could not translate (`converted: false`),
 * or translated with a caveat the user should know about (`converted: true`).
 *
 * The report is accurate by construction: every input key is either consumed (converted) or listed
 * with `converted: false`, never both (see `compose.test.ts`, "accounting").
 */
export interface ImportReportEntry {
  readonly severity: ReportSeverity;
  /** Dotted key path in the compose file, e.g. `services.app.ports[0]`. */
  readonly path: string;
  /** The compose service the key belongs to, when it belongs to one. */
  readonly service?: string;
  /** True when the key was translated (the entry is a caveat); false when it was dropped. */
  readonly converted: boolean;
  /** Why the key could not be translated, or what changed in translation. */
  readonly message: string;
  /** What to do about it. */
  readonly hint?: string;
  /** Where the key is, when known. */
  readonly position?: { readonly file: string; readonly line: number; readonly col: number };
}

export interface ComposeImportInput {
  /** The compose file's text. */
  readonly text: string;
  /** Its path as the user gave it (for positions in messages). */
  readonly file: string;
  /**
   * Reads a file the compose file references (env_file, configs.*.file), by its path as written
   * there (after interpolation); `undefined` when it does not exist, which the import reports.
   * Throwing a SlipwayError refuses the file (outside the project, not a regular file, too large):
   * the import then fails with an input error at the reference, its message the error's reason.
   * The importer stays pure: the caller does the I/O, as with loadSpec's `readFile`. It is never
   * asked for secret files: slipway does not handle secret values.
   * @default every referenced file is missing
   */
  readonly readFile?: (path: string) => string | undefined;
  /**
   * Variables for `${VAR}` interpolation from the shell; they win over `dotenv`, as in compose.
   * @default {}
   */
  readonly variables?: Readonly<Record<string, string>>;
  /**
   * The project's `.env` (or `--env-file`): parsed and interpolated as compose does (dotenv.ts),
   * then overridden by `variables`. Its problems are positioned in `file`.
   */
  readonly dotenv?: { readonly file: string; readonly text: string };
  /** Active profiles (`-p`); services with `profiles:` are imported only when one is active. @default [] */
  readonly profiles?: readonly string[];
  /** The app name when the compose file has no top-level `name`. @default the compose file's directory name */
  readonly projectName?: string;
  /**
   * Prefix that turns a path relative to the compose file into one relative to the written
   * slipway.yaml (`envFile:` entries), e.g. `../compose/`. @default '' (same directory)
   */
  readonly pathPrefix?: string;
  /**
   * Environments to scaffold under `environments:`, each with the overlay its tier implies
   * (dev, staging, prod: see scaffold.ts), e.g. `['dev', 'staging', 'prod']`. @default none
   */
  readonly environments?: readonly string[];
  /** One environment to scaffold (when `environments` is not given), e.g. `dev`. */
  readonly envName?: string;
}

export interface ComposeImportResult {
  readonly spec: AppSpec;
  readonly report: readonly ImportReportEntry[];
  /** Key paths that were translated; with the report's paths they cover every input key. */
  readonly consumed: readonly string[];
  /** Every key path of the (interpolated) input, for auditing the accounting. */
  readonly inputKeys: readonly string[];
}
