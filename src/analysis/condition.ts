/**
 * CEL conditions over a measurement's `result` (`result >= 0.99`), with a maintained CEL library
 * (@marcbachmann/cel-js). A condition is parsed and type-checked once (and cached by its text); a
 * condition that does not parse, or is not a bool, is an input error naming the field.
 */
import { Environment } from '@marcbachmann/cel-js';
import { inputError } from '../errors/index.ts';
import type { MeasurementPhaseT, MetricT } from './types.ts';

const env = new Environment({ limits: { maxAstNodes: 1000, maxDepth: 50, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 16 } }).registerVariable('result', 'dyn');

type Compiled = (vars: { result: unknown }) => unknown;
const cache = new Map<string, Compiled>();

/** A condition, parsed and checked once; an input error at `path` when it is not a valid bool CEL expression. */
function compileCondition(expr: string, path: string): Compiled {
  const known = cache.get(expr);
  if (known) return known;
  const bad = (cause: unknown, why: string) =>
    inputError(`${path}: ${why}`, { cause, path, expected: 'a CEL expression over `result` that is a bool, e.g. `result >= 0.99` or `result < 500`', hint: 'CEL: https://github.com/google/cel-spec/blob/master/doc/langdef.md' });
  let fn: ReturnType<typeof env.parse>;
  try {
    fn = env.parse(expr);
  } catch (e) {
    throw bad(e, `condition ${JSON.stringify(expr)} does not parse: ${e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e)}`);
  }
  const checked = fn.check();
  if (!checked.valid) throw bad(checked.error, `condition ${JSON.stringify(expr)} is not well typed: ${checked.error?.message.split('\n')[0] ?? ''}`);
  if (checked.type !== 'bool' && checked.type !== 'dyn') throw bad(checked.type, `condition ${JSON.stringify(expr)} is a ${checked.type}, not a bool`);
  const compiled: Compiled = (vars) => fn(vars);
  if (cache.size > 1000) cache.delete(cache.keys().next().value ?? '');
  cache.set(expr, compiled);
  return compiled;
}

/** A metric's conditions, compiled; `path` is the metric's place in its document (e.g. `spec.strategy.canary.analysis.metrics[0]`). */
export interface Conditions {
  readonly success: Compiled | undefined;
  readonly failure: Compiled | undefined;
}

export function compileConditions(metric: Pick<MetricT, 'successCondition' | 'failureCondition'>, path: string): Conditions {
  return {
    success: metric.successCondition !== undefined ? compileCondition(metric.successCondition, `${path}.successCondition`) : undefined,
    failure: metric.failureCondition !== undefined ? compileCondition(metric.failureCondition, `${path}.failureCondition`) : undefined,
  };
}

/** CEL wants ints as bigint and doubles as number: whole JSON numbers stay doubles, so `result > 1` and `result > 1.0` both work. */
function asCel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asCel);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, asCel(x)]));
}

function truth(c: Compiled, result: unknown, which: string): boolean {
  const v = c({ result: asCel(result) });
  if (typeof v !== 'boolean') throw new Error(`${which} condition gave ${typeof v}, not a bool`);
  return v;
}

/**
 * The phase of a measurement with value `result` (Argo Rollouts' rules): a failure condition
 * that holds fails it; a success condition that holds passes it; with both given and neither
 * holding it is Inconclusive; with one given, the other outcome. Without conditions a boolean
 * result decides (a Job's exit status). A condition that cannot be evaluated (a list compared
 * with a number) is an Error, never a pass.
 */
export function judge(c: Conditions, result: unknown): { readonly phase: MeasurementPhaseT; readonly message?: string } {
  try {
    if (c.failure && truth(c.failure, result, 'failure')) return { phase: 'Failed', message: 'failure condition met' };
    if (c.success) return truth(c.success, result, 'success') ? { phase: 'Successful' } : c.failure ? { phase: 'Inconclusive', message: 'neither condition met' } : { phase: 'Failed', message: 'success condition not met' };
    if (c.failure) return { phase: 'Successful' };
    if (typeof result === 'boolean') return result ? { phase: 'Successful' } : { phase: 'Failed', message: 'result is false' };
    return { phase: 'Error', message: 'no successCondition or failureCondition, and the result is not a bool' };
  } catch (e) {
    return { phase: 'Error', message: `condition: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}` };
  }
}
