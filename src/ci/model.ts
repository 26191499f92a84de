/**
 * The subset of the GitHub Actions workflow syntax slipway generates, typed so the builders cannot
 * produce a misspelled key. Serialised by `write.ts`.
 * @see https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions
 */

type Scalar = string | number | boolean;

/** `permissions:` values. `{}` (no permission at all) is the workflow-level default here. */
export type Permissions = Readonly<Record<string, 'read' | 'write' | 'none'>>;

export interface Step {
  readonly name: string;
  readonly id?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly with?: Readonly<Record<string, Scalar>>;
  readonly run?: string;
  /** Untrusted or secret values reach scripts only through here, never as `${{ }}` inside `run:`. */
  readonly env?: Readonly<Record<string, string>>;
  readonly shell?: string;
  readonly 'working-directory'?: string;
  readonly 'continue-on-error'?: boolean;
}

export interface Job {
  readonly name: string;
  readonly 'runs-on': string;
  readonly needs?: readonly string[];
  readonly if?: string;
  /** Always set per job: what this job needs and nothing more. */
  readonly permissions: Permissions;
  readonly environment?: { readonly name: string; readonly url?: string };
  readonly concurrency?: { readonly group: string; readonly 'cancel-in-progress': boolean };
  readonly strategy?: { readonly 'fail-fast': boolean; readonly matrix: Readonly<Record<string, unknown>> };
  readonly container?: { readonly image: string };
  readonly 'timeout-minutes': number;
  readonly env?: Readonly<Record<string, string>>;
  readonly defaults?: { readonly run: { readonly 'working-directory'?: string; readonly shell?: string } };
  readonly steps: readonly Step[];
}

export interface Workflow {
  readonly name: string;
  readonly on: Readonly<Record<string, unknown>>;
  readonly permissions: Permissions;
  readonly concurrency?: { readonly group: string; readonly 'cancel-in-progress': boolean };
  readonly env?: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, Job>>;
}
