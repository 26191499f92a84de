import type { FieldPath } from '../manifest/index.ts';
import { effectiveSeverities, findRule, ruleMeta } from './config.ts';
import { LintContext, toLintObject, type LintObject, type Rule } from './context.ts';
import { ALL_RULES, IGNORE_NO_REASON, IGNORE_PREFIX, IGNORE_UNKNOWN_RULE, isRemovedApi, NAME_MISSING, SCHEMA_INVALID, SCHEMA_UNKNOWN } from './rules/index.ts';
import { schemaSet } from './schema.ts';
import { severityAtLeast, type Finding, type FindingObject, type LintDocument, type LintInput, type LintOptions, type LintResult, type Severity } from './types.ts';

function isDocument(d: LintInput): d is LintDocument {
  return typeof (d as { object?: unknown }).object === 'object' && typeof (d as { kind?: unknown }).kind !== 'string';
}

/** Rule ids an object opts out of, and findings about malformed opt-outs. */
function optOuts(o: LintObject): { ignored: Set<string>; problems: { ruleId: string; path: FieldPath; message: string; hint: string }[] } {
  const ignored = new Set<string>();
  const problems: { ruleId: string; path: FieldPath; message: string; hint: string }[] = [];
  const ann = o.object.metadata.annotations;
  if (typeof ann !== 'object') return { ignored, problems };
  for (const [key, value] of Object.entries(ann)) {
    if (!key.startsWith(IGNORE_PREFIX)) continue;
    const name = key.slice(IGNORE_PREFIX.length);
    const rule = findRule(name);
    const path = ['metadata', 'annotations', key];
    if (!rule) {
      problems.push({ ruleId: IGNORE_UNKNOWN_RULE, path, message: `opt-out names unknown rule "${name}"`, hint: 'use an id or name from `slipway lint --list`' });
      continue;
    }
    ignored.add(rule.id);
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push({ ruleId: IGNORE_NO_REASON, path, message: `opt-out of ${rule.id} (${rule.name}) gives no reason`, hint: `write the reason as the value: ${key}: "why this does not apply"` });
    }
  }
  return { ignored, problems };
}

/** A finding with its sort key, computed once instead of in every comparison. */
interface Keyed {
  readonly f: Finding;
  readonly file: string;
  readonly context: string;
  readonly line: number;
  readonly col: number;
  readonly rest: string;
}

function sortKey(f: Finding): Keyed {
  return {
    f,
    file: f.file ?? '',
    context: f.context ?? '',
    line: f.position?.line ?? 0,
    col: f.position?.col ?? 0,
    rest: `${f.object.kind}/${f.object.namespace ?? ''}/${f.object.name ?? ''}\u0000${f.path.join('.')}\u0000${f.ruleId}`,
  };
}

/** Stable order: by file, source context (environment), position, object, field, rule. */
function compareKeys(a: Keyed, b: Keyed): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.context !== b.context) return a.context < b.context ? -1 : 1;
  const d = a.line - b.line || a.col - b.col;
  if (d !== 0) return d;
  return a.rest < b.rest ? -1 : a.rest > b.rest ? 1 : 0;
}

/** Sorts stably (ties keep emission order, which tests and users rely on). */
function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map(sortKey)
    .sort(compareKeys)
    .map((k) => k.f);
}

const RULES_BY_ID = new Map(ALL_RULES.map((r) => [r.id, r]));

/**
 * Lints Kubernetes objects: policy rules plus offline schema validation. Pure: takes parsed
 * documents (`parseManifests` output, with positions) or bare objects (render output), returns
 * findings as data and never throws on odd input (only on an invalid config or CRD).
 */
export function lintObjects(docs: readonly LintInput[], options: LintOptions = {}): LintResult {
  const severities = effectiveSeverities(options.config ?? {});
  const min = options.minSeverity ?? 'info';
  for (const [id, sev] of severities) if (!severityAtLeast(sev, min)) severities.delete(id);
  const objects = docs.map((d) => (isDocument(d) ? toLintObject(d.object, { file: d.file, context: d.context, positionOf: d.positionOf?.bind(d) }) : toLintObject(d)));
  const ctx = new LintContext(objects);
  const active = ALL_RULES.filter((r) => severities.has(r.id) && (r.kinds === '*' || r.kinds.length > 0));
  const byKind = new Map<string, Rule[]>();
  const rulesFor = (kind: string): Rule[] => {
    let list = byKind.get(kind);
    if (!list) {
      list = active.filter((r) => r.kinds === '*' || r.kinds.includes(kind));
      byKind.set(kind, list);
    }
    return list;
  };
  const schemas = options.schema === false ? undefined : schemaSet(options.crds ?? []);
  const findings: Finding[] = [];

  for (const o of objects) {
    const { ignored, problems } = optOuts(o);
    // One per object, shared by its findings (10,000 objects give ~130,000 findings).
    let object: FindingObject | undefined;
    const emit = (ruleId: string, path: FieldPath, message: string, hint: string): void => {
      const severity = severities.get(ruleId);
      const rule = RULES_BY_ID.get(ruleId);
      if (severity === undefined || rule === undefined || ignored.has(ruleId)) return;
      object ??= findingObject(o);
      findings.push(makeFinding({ o, object, rule, severity, path, message, hint }));
    };
    for (const p of problems) emit(p.ruleId, p.path, p.message, p.hint);
    if (o.name === '' && typeof o.object.metadata.generateName !== 'string') emit(NAME_MISSING, ['metadata', 'name'], `${o.kind} has no metadata.name`, 'set metadata.name');
    for (const rule of rulesFor(o.kind)) {
      try {
        rule.check(o, (path, message, hint) => emit(rule.id, path, message, hint ?? rule.fix), ctx);
      } catch (e) {
        // A rule bug must not hide other findings: report it as data against this object.
        emit(rule.id, [], `rule ${rule.id} failed on this object: ${e instanceof Error ? e.message : String(e)}`, 'please report this bug');
      }
    }
    if (schemas) {
      const issues = schemas.validate(o.object);
      if (issues === undefined) {
        if (!isRemovedApi(o.apiVersion, o.kind)) {
          emit(SCHEMA_UNKNOWN, ['kind'], `${o.apiVersion} ${o.kind} not validated: no schema for this kind`, 'pass its CustomResourceDefinition with --crd <file>, or check apiVersion/kind');
        }
      } else {
        for (const i of issues) emit(SCHEMA_INVALID, i.path, i.message, i.hint);
      }
    }
  }
  const sorted = sortFindings(findings);
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of sorted) counts[f.severity]++;
  const rules = ALL_RULES.filter((r) => severities.has(r.id)).map((r) => ruleMeta(r, severities.get(r.id)));
  return { findings: sorted, counts, objects: objects.length, rules };
}

function findingObject(o: LintObject): FindingObject {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.name !== '' ? { name: o.name } : {}),
    ...(o.namespace !== '' ? { namespace: o.namespace } : {}),
  };
}

function makeFinding(a: { o: LintObject; object: FindingObject; rule: Rule; severity: Severity; path: FieldPath; message: string; hint: string }): Finding {
  const { o, rule } = a;
  const position = o.positionOf?.(a.path);
  return {
    ruleId: rule.id,
    ruleName: rule.name,
    category: rule.category,
    severity: a.severity,
    message: a.message,
    hint: a.hint,
    object: a.object,
    path: a.path,
    ...(position !== undefined ? { position } : {}),
    ...(position !== undefined ? { file: position.file } : o.file !== undefined ? { file: o.file } : {}),
    ...(o.context !== undefined ? { context: o.context } : {}),
  };
}

/** Combines the results of several runs (e.g. one per rendered environment) into one. */
export function mergeResults(results: readonly LintResult[]): LintResult {
  const findings = results.flatMap((r) => r.findings);
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  const rules = results[0]?.rules ?? [];
  return { findings, counts, objects: results.reduce((n, r) => n + r.objects, 0), rules };
}
