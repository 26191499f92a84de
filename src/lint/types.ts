import type { FieldPath, KubeObject, Position } from '../manifest/index.ts';

/** How bad a finding is. `error` fails `slipway lint` by default (see `--fail-on`). */
export type Severity = 'error' | 'warning' | 'info';

/** Severities from least to most severe, for `--fail-on` comparisons. */
const SEVERITY_ORDER: readonly Severity[] = ['info', 'warning', 'error'];

export function severityAtLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITY_ORDER.indexOf(s) >= SEVERITY_ORDER.indexOf(threshold);
}

type Category = 'security' | 'reliability' | 'efficiency' | 'networking' | 'rbac' | 'schema' | 'config';

/** What `--list` and `--explain` show, and what SARIF carries as rule metadata. */
export interface RuleMeta {
  /** Stable id, e.g. `SEC001`. Never renumbered: configs and opt-out annotations name it. */
  readonly id: string;
  /** Stable kebab-case name, accepted wherever an id is. */
  readonly name: string;
  readonly category: Category;
  /** Default severity; `.slipway-lint.yaml` may re-grade it. */
  readonly severity: Severity;
  /** One line: what the rule checks. */
  readonly summary: string;
  /** Why it matters. */
  readonly why: string;
  /** How to fix a finding. */
  readonly fix: string;
  /** Where to read more (Kubernetes docs when there is a page). */
  readonly url: string;
  /** The kube-linter check that covers the same ground, when there is one. */
  readonly kubeLinter?: string;
  /** Pod Security Standards level this control belongs to, when it is a PSS control. */
  readonly pss?: 'baseline' | 'restricted';
}

/** The object a finding is about (one object, shared by all its findings). */
export interface FindingObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name?: string;
  readonly namespace?: string;
}

export interface Finding {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly category: Category;
  readonly severity: Severity;
  readonly message: string;
  /** What to do about it. */
  readonly hint: string;
  readonly object: FindingObject;
  /** Path of the offending field inside the object. */
  readonly path: FieldPath;
  /** Source position of the offending field; absent for objects that did not come from a file. */
  readonly position?: Position;
  /** The file the object came from (for rendered objects: the spec file), when known. */
  readonly file?: string;
  /** Where the object came from beyond the file, e.g. `env prod` for a rendered spec. */
  readonly context?: string;
}

/**
 * One input document: a `ParsedManifest` from `parseManifests` (with positions), or a bare
 * `KubeObject` (e.g. render output, no positions).
 */
export interface LintDocument {
  readonly object: KubeObject;
  readonly file?: string;
  /** Shown with findings, e.g. `env prod` for objects rendered from a spec. */
  readonly context?: string;
  positionOf?(path: FieldPath): Position;
}

export type LintInput = LintDocument | KubeObject;

/** `.slipway-lint.yaml`, after validation. */
export interface LintConfig {
  /**
   * Rule ids or names turned off.
   * @default []
   */
  readonly disable?: readonly string[];
  /**
   * Rule id or name → new severity, or `off`.
   * @default {}
   */
  readonly rules?: Readonly<Record<string, Severity | 'off'>>;
}

/** A CustomResourceDefinition whose schema validates custom objects (from `--crd`). */
export interface CrdSchemaSource {
  readonly object: KubeObject;
  readonly file?: string;
}

export interface LintOptions {
  /**
   * Config (disable / re-grade rules).
   * @default {}
   */
  readonly config?: LintConfig;
  /**
   * Validate objects against the bundled Kubernetes v1.34 OpenAPI schema (and CRDs).
   * @default true
   */
  readonly schema?: boolean;
  /**
   * Run only the rules whose severity in force is at least this one (a gate that stops on errors
   * needs no warning rules; they are the bulk of the work).
   * @default 'info' (every rule)
   */
  readonly minSeverity?: Severity;
  /**
   * Extra CustomResourceDefinitions to validate custom resources with.
   * @default []
   * @see https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
   */
  readonly crds?: readonly CrdSchemaSource[];
}

export interface LintResult {
  /** Sorted by file, line, column, rule id. */
  readonly findings: readonly Finding[];
  readonly counts: Readonly<Record<Severity, number>>;
  /** How many objects were linted. */
  readonly objects: number;
  /** The rules that ran, with the severity in force. */
  readonly rules: readonly RuleMeta[];
}
