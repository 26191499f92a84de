/**
 * JSON Schema validation of the spec with ajv, turned into problems a person can act on: one
 * problem per location (ajv reports every branch of a union; we pick the branch the user
 * evidently meant), positioned at the offending key or value, with what was expected and a hint.
 */
import { Value } from '@sinclair/typebox/value';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { inputError, type SlipwayError, type SourcePosition } from '../errors/index.ts';
import { AppSpec, Service } from './schema.ts';
import { formatPath, type SpecPath } from './source.ts';
import { didYouMean } from './suggest.ts';

/** What validation needs to know about the source: where a path is, and its literal text. */
export interface Locator {
  positionOf(path: SpecPath, at?: 'key' | 'value'): SourcePosition | undefined;
  sourceText(path: SpecPath): string | undefined;
  /**
   * The path as written in the file, for messages: an environment's effective spec says
   * `services.api.replicas` where the file says `environments.dev.services.api.replicas`.
   * @default the path itself
   */
  writtenPath?(path: SpecPath): SpecPath;
}

type JsonSchema = Record<string, unknown>;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  // `verbose` keeps the failing (parent) schema on each error: descriptions and the list of
  // known keys for did-you-mean come from there.
  compiled ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(AppSpec);
  return compiled;
}

/** Validates `value` against the AppSpec schema; returns the problems (empty when valid). */
export function schemaProblems(value: unknown, locator: Locator): SlipwayError[] {
  // Fast path: TypeBox checks the same schema without compiling it (~1 ms vs ~400 ms of CPU for
  // ajv's compile), so a valid spec never pays for ajv. ajv, with its detailed errors, runs only
  // when there is something to report (and it has the last word if the two ever disagree).
  if (Value.Check(AppSpec, value)) return [];
  const validate = validator();
  if (validate(value)) return [];
  const errors = collapse([...(validate.errors ?? [])]);
  const seen = new Set<string>();
  const out: SlipwayError[] = [];
  for (const e of errors) {
    const problem = toProblem(e, locator);
    const key = `${problem.path ?? ''}\0${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return sortByPosition(out);
}

/** Problems in file order, so output reads top to bottom like the file. */
export function sortByPosition(problems: SlipwayError[]): SlipwayError[] {
  const key = (p: SlipwayError): [string, number, number] => [p.position?.file ?? '', p.position?.line ?? 0, p.position?.col ?? 0];
  return [...problems].sort((a, b) => {
    const [fa, la, ca] = key(a);
    const [fb, lb, cb] = key(b);
    return fa.localeCompare(fb) || la - lb || ca - cb;
  });
}

function isUnder(e: ErrorObject, union: ErrorObject): boolean {
  return (
    e !== union &&
    e.schemaPath.startsWith(`${union.schemaPath}/`) &&
    (e.instancePath === union.instancePath || e.instancePath.startsWith(`${union.instancePath}/`))
  );
}

/**
 * Replaces each failed `anyOf` and the errors of all its branches with the errors of the one
 * branch the value most resembles (or a single "expected one of" error when none fits).
 */
function collapse(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const outer = unions.filter((u) => !unions.some((o) => isUnder(u, o)));
  const consumed = new Set<ErrorObject>(outer);
  const out: ErrorObject[] = [];
  for (const union of outer) {
    const inside = errors.filter((e) => isUnder(e, union));
    for (const e of inside) consumed.add(e);
    out.push(...resolveUnion(union, inside));
  }
  return [...errors.filter((e) => !consumed.has(e)), ...out];
}

function resolveUnion(union: ErrorObject, inside: ErrorObject[]): ErrorObject[] {
  const branches = Array.isArray(union.schema) ? (union.schema as JsonSchema[]) : [];
  const value: unknown = union.data;
  if (branches.length > 0 && branches.every((b) => 'const' in b)) {
    return [{ ...union, keyword: 'enum', params: { allowedValues: branches.map((b) => b['const']) } }];
  }
  const fitting = branches.map((b, i) => ({ b, i })).filter(({ b }) => typeFits(b, value));
  if (fitting.length === 0) {
    return [{ ...union, keyword: 'type', params: { type: branches.map(describeType).filter(unique).join(' or ') } }];
  }
  const errorsOf = (i: number): ErrorObject[] => inside.filter((e) => e.schemaPath.startsWith(`${union.schemaPath}/${i}/`));
  const best = fitting
    .map(({ b, i }) => ({ i, overlap: keyOverlap(b, value), count: errorsOf(i).length }))
    .sort((x, y) => y.overlap - x.overlap || x.count - y.count || x.i - y.i)[0];
  return best === undefined ? [union] : collapse(errorsOf(best.i));
}

const unique = <T>(v: T, i: number, all: readonly T[]): boolean => all.indexOf(v) === i;

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeFits(schema: JsonSchema, value: unknown): boolean {
  if ('const' in schema) return jsonType(schema['const']) === jsonType(value);
  if (Array.isArray(schema['anyOf'])) return (schema['anyOf'] as JsonSchema[]).some((s) => typeFits(s, value));
  const t = schema['type'];
  if (typeof t !== 'string') return true;
  const actual = jsonType(value);
  return t === actual || (t === 'number' && actual === 'integer') || (t === 'integer' && actual === 'number');
}

function describeType(schema: JsonSchema): string {
  if ('const' in schema) return JSON.stringify(schema['const']);
  if (Array.isArray(schema['anyOf'])) return (schema['anyOf'] as JsonSchema[]).map(describeType).join(' or ');
  const t = schema['type'];
  return typeof t === 'string' ? (t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : `a ${t}`) : 'a value';
}

function keyOverlap(schema: JsonSchema, value: unknown): number {
  const props = schema['properties'];
  if (typeof value !== 'object' || value === null || typeof props !== 'object' || props === null) return 0;
  return Object.keys(value).filter((k) => k in props).length;
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function descriptionOf(schema: unknown): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const d = (schema as JsonSchema)['description'];
  return typeof d === 'string' ? d : undefined;
}

/** One ajv error as a positioned problem. */
function toProblem(e: ErrorObject, locator: Locator): SlipwayError {
  const path = pathOf(e.instancePath);
  const parent = (e.parentSchema ?? {}) as JsonSchema;
  const make = (message: string, o: { at: SpecPath; where: 'key' | 'value'; expected?: string; hint?: string }): SlipwayError => {
    const position = locator.positionOf(o.at, o.where);
    return inputError(message, {
      cause: e,
      ...(o.at.length > 0 ? { path: formatPath(locator.writtenPath?.(o.at) ?? o.at) } : {}),
      ...(position ? { position } : {}),
      ...(o.expected !== undefined ? { expected: o.expected } : {}),
      ...(o.hint !== undefined ? { hint: o.hint } : {}),
    });
  };
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return unknownKey(String(params['additionalProperty']), path, parent, make);
    case 'required': {
      const missing = String(params['missingProperty']);
      const props = (parent['properties'] ?? {}) as Record<string, unknown>;
      return make(`missing required key \`${missing}\``, {
        at: path,
        where: 'key',
        expected: `\`${missing}\`${descriptionOf(props[missing]) === undefined ? '' : `: ${descriptionOf(props[missing]) ?? ''}`}`,
        hint: `add \`${missing}:\` here`,
      });
    }
    case 'type':
      return wrongType(e, path, parent, locator, make);
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map((v) => String(v));
      const hint = (typeof e.data === 'string' ? didYouMean(e.data, allowed) : undefined) ?? `use one of: ${allowed.join(', ')}`;
      return make(`${JSON.stringify(e.data)} is not an allowed value`, {
        at: path,
        where: 'value',
        expected: `one of ${allowed.join(', ')}`,
        hint,
      });
    }
    case 'pattern': {
      const pattern = String(params['pattern']);
      const name = pattern === DNS_LABEL && typeof e.data === 'string' ? dnsLabelOf(e.data) : undefined;
      return make(`${JSON.stringify(e.data)} is not valid here`, {
        at: path,
        where: 'value',
        expected: descriptionOf(parent) ?? `a string matching ${pattern}`,
        hint: name !== undefined ? `use \`${name}\`` : `write it in the form expected (it must match ${pattern})`,
      });
    }
    default:
      return make(`value ${e.message ?? 'is invalid'}`, {
        at: path,
        where: 'value',
        expected: [e.message, descriptionOf(parent)].filter((s) => s !== undefined).join('; '),
        hint: limitHint(e),
      });
  }
}

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** `text` as a DNS-1123 label (lowercase, other characters as "-"), or undefined when nothing is left. */
function dnsLabelOf(text: string): string | undefined {
  const label = text
    .toLowerCase()
    .replace(/[^-a-z0-9]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' || label === text ? undefined : label;
}

/** What to do about a value past a schema limit (a range, a length, a count). */
function limitHint(e: ErrorObject): string {
  const limit = String((e.params as Record<string, unknown>)['limit']);
  switch (e.keyword) {
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return `use a number that ${e.message ?? `respects the limit ${limit}`}`;
    case 'maxLength':
      return `shorten it to at most ${limit} characters`;
    case 'minLength':
      return `write at least ${limit} character(s)`;
    case 'maxItems':
      return `list at most ${limit} item(s)`;
    case 'minItems':
      return `list at least ${limit} item(s)`;
    case 'maxProperties':
      return `give at most ${limit} key(s)`;
    case 'minProperties':
      return `give at least ${limit} key(s)`;
    default:
      return 'change the value to what is expected above';
  }
}

type Make = (message: string, o: { at: SpecPath; where: 'key' | 'value'; expected?: string; hint?: string }) => SlipwayError;

function unknownKey(key: string, path: SpecPath, parent: JsonSchema, make: Make): SlipwayError {
  const at = [...path, key];
  const patterns = parent['patternProperties'];
  if (typeof patterns === 'object' && patterns !== null) {
    // A record keyed by name (services, env vars): the key itself is malformed.
    const pattern = Object.keys(patterns)[0];
    const isNameKeyed = pattern === DNS_LABEL;
    const name = isNameKeyed ? dnsLabelOf(key) : undefined;
    return make(`invalid name \`${key}\``, {
      at,
      where: 'key',
      expected: isNameKeyed ? 'a DNS-1123 label: lowercase letters, digits and "-", starting and ending alphanumeric' : `a name matching ${pattern ?? '?'}`,
      hint: name !== undefined ? `use \`${name}\`` : 'rename it: lowercase letters, digits and "-", at most 63 characters',
    });
  }
  const known = Object.keys(parent['properties'] ?? {});
  // A service field in a job (ports, probes, expose…): say so rather than suggest a lookalike.
  const serviceOnly = known.includes('backoffLimit') && key in Service.properties;
  const hint = serviceOnly
    ? `\`${key}\` is a service field; jobs and cron jobs run to completion and do not have it`
    : (didYouMean(key, known) ?? (known.length > 0 ? `known keys here: ${known.join(', ')}` : 'remove this key'));
  return make(`unknown key \`${key}\``, {
    at,
    where: 'key',
    expected: known.length > 0 ? `one of ${known.join(', ')}` : 'no keys here',
    hint,
  });
}

/** How to write a value of each JSON Schema type (ajv joins several types with commas). */
const WRITE_A: Readonly<Record<string, string>> = {
  object: 'write `key: value` lines indented under this key, or {} for none',
  array: 'write `- item` lines indented under this key, or [a, b] ([] for none)',
  string: 'write text; quote it ("...") if YAML would read it as something else',
  integer: 'write a whole number without quotes, e.g. 3',
  number: 'write a number without quotes, e.g. 0.5',
  boolean: 'write true or false',
};

function wrongType(e: ErrorObject, path: SpecPath, parent: JsonSchema, locator: Locator, make: Make): SlipwayError {
  const wanted = String((e.params as Record<string, unknown>)['type']);
  const actual = jsonType(e.data);
  const text = locator.sourceText(path);
  const article = (t: string): string => (/^(a |an |")/.test(t) ? t : t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : t === 'null' ? 'nothing' : `a ${t}`);
  // YAML reads `tag: 1.10` as the number 1.1 and `on` as a string: quoting keeps what was written.
  const hint =
    wanted === 'string' && (actual === 'number' || actual === 'integer' || actual === 'boolean')
      ? `quote it: "${text ?? String(e.data)}"`
      : (wanted === 'integer' || wanted === 'number') && typeof e.data === 'string' && e.data.trim() !== '' && !Number.isNaN(Number(e.data))
        ? `remove the quotes: ${e.data.trim()}`
        : actual === 'null'
          ? `the value is empty: ${wanted === 'object' ? 'write {} for an empty mapping' : wanted === 'array' ? 'write [] for an empty list' : 'give one'}, or remove the key`
          : (WRITE_A[wanted] ?? `write ${article(wanted)} here`);
  const description = descriptionOf(parent);
  return make(`expected ${article(wanted)}, got ${article(actual)}`, {
    at: path,
    where: 'value',
    expected: description === undefined ? article(wanted) : `${article(wanted)}: ${description}`,
    hint,
  });
}
