/**
 * Rules the engine itself reports (schema validation, opt-out hygiene); listed here so that
 * `--list`, `--explain`, config and SARIF treat them like every other rule.
 */
import { IGNORE_CHECK_PREFIX } from '../../appspec/index.ts';
import { K8S_DOCS, type Rule } from '../context.ts';

const noop = (): void => undefined;

export const SCHEMA_INVALID = 'SCH001';
export const SCHEMA_UNKNOWN = 'SCH002';
export const NAME_MISSING = 'SCH003';
export const IGNORE_NO_REASON = 'CFG001';
export const IGNORE_UNKNOWN_RULE = 'CFG002';
/** Annotation prefix for per-object opt-outs: `ignore-check.slipway.dev/<rule-id>: "<reason>"`. */
export const IGNORE_PREFIX = IGNORE_CHECK_PREFIX;

export const metaRules: readonly Rule[] = [
  {
    id: SCHEMA_INVALID,
    name: 'schema-invalid',
    category: 'schema',
    severity: 'error',
    kinds: [],
    summary: 'Objects must match the Kubernetes v1.34 OpenAPI schema (or their CRD schema).',
    why: 'Unknown fields (typos like replicass) are dropped or rejected by the apiserver, wrong types and bad quantities fail the apply: the deploy you think you made is not the one that runs.',
    fix: 'Fix the field named in the message; `kubectl explain <kind>.<field>` shows the schema.',
    url: `${K8S_DOCS}/reference/kubernetes-api/`,
    check: noop,
  },
  {
    id: SCHEMA_UNKNOWN,
    name: 'schema-not-validated',
    category: 'schema',
    severity: 'warning',
    kinds: [],
    summary: 'Objects whose kind has no known schema are reported as not validated.',
    why: 'A kind slipway has no schema for (a CRD, or a typo in apiVersion/kind) cannot be checked; it is never passed silently.',
    fix: 'Pass the CustomResourceDefinition with --crd <file>, or fix apiVersion/kind.',
    url: `${K8S_DOCS}/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/`,
    check: noop,
  },
  {
    id: NAME_MISSING,
    name: 'name-missing',
    category: 'schema',
    severity: 'error',
    kinds: [],
    summary: 'Every object needs metadata.name.',
    why: 'The apiserver rejects an object without a name (generateName is not supported by apply).',
    fix: 'Set metadata.name.',
    url: `${K8S_DOCS}/concepts/overview/working-with-objects/names/`,
    check: noop,
  },
  {
    id: IGNORE_NO_REASON,
    name: 'ignore-without-reason',
    category: 'config',
    severity: 'warning',
    kinds: [],
    summary: `An opt-out annotation (${IGNORE_PREFIX}<rule>) must give a reason.`,
    why: 'An unexplained exception cannot be reviewed or revisited; the reason is the audit trail.',
    fix: `Write why the rule does not apply: ${IGNORE_PREFIX}SEC020: "writes to /tmp only, tracked in ISSUE-123".`,
    url: `${K8S_DOCS}/concepts/overview/working-with-objects/annotations/`,
    check: noop,
  },
  {
    id: IGNORE_UNKNOWN_RULE,
    name: 'ignore-unknown-rule',
    category: 'config',
    severity: 'warning',
    kinds: [],
    summary: 'An opt-out annotation must name an existing rule id or name.',
    why: 'A misspelled rule id ignores nothing, so the finding it was meant to silence stays — or a typo hides that.',
    fix: 'Use an id or name from `slipway lint --list`.',
    url: `${K8S_DOCS}/concepts/overview/working-with-objects/annotations/`,
    check: noop,
  },
];
