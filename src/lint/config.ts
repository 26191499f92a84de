/**
 * `.slipway-lint.yaml`: turn rules off or re-grade them.
 *
 *   disable: [SEC022, image-not-digest]
 *   rules:
 *     REL006: error      # re-grade
 *     NET006: off        # same as disable
 */
import { inputError } from '../errors/index.ts';
import type { Rule } from './context.ts';
import { ALL_RULES } from './rules/index.ts';
import type { LintConfig, RuleMeta, Severity } from './types.ts';
import { isRecord } from '../manifest/index.ts';
import { arr } from './util.ts';

const LEVELS = new Set(['error', 'warning', 'info', 'off']);

export function findRule(idOrName: string): Rule | undefined {
  const key = idOrName.trim();
  return ALL_RULES.find((r) => r.id === key.toUpperCase() || r.name === key.toLowerCase());
}

function unknownRule(name: string, file: string, path: string): Error {
  return inputError(`${file}: unknown rule "${name}"`, {
    cause: name,
    path,
    expected: 'a rule id (SEC001) or name (host-network)',
    hint: 'run `slipway lint --list` for all rules',
  });
}

/** Validates a parsed config document (from YAML) into a {@link LintConfig}. Throws an input error. */
export function parseLintConfig(value: unknown, file: string): LintConfig {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw inputError(`${file}: lint config must be a mapping`, { cause: value, expected: 'keys disable and/or rules', hint: 'see `slipway lint --help`' });
  const extra = Object.keys(value).filter((k) => k !== 'disable' && k !== 'rules');
  if (extra.length > 0) throw inputError(`${file}: unknown key "${extra[0] ?? ''}"`, { cause: value, path: extra[0] ?? '', expected: 'disable or rules', hint: 'see `slipway lint --help`' });
  const disable: string[] = [];
  arr(value['disable']).forEach((d, i) => {
    if (typeof d !== 'string' || !findRule(d)) throw unknownRule(String(d), file, `disable[${i}]`);
    disable.push(d);
  });
  const rules: Record<string, Severity | 'off'> = {};
  const rv = value['rules'];
  if (rv !== undefined && !isRecord(rv)) throw inputError(`${file}: rules must be a mapping of rule → severity`, { cause: rv, path: 'rules', expected: 'e.g. SEC020: error', hint: 'severities: error, warning, info, off' });
  for (const [k, v] of Object.entries(rv ?? {})) {
    if (!findRule(k)) throw unknownRule(k, file, `rules.${k}`);
    // YAML 1.1 reads a bare `off` as false; accept it as meaning off.
    const level = v === false ? 'off' : v;
    if (typeof level !== 'string' || !LEVELS.has(level)) {
      throw inputError(`${file}: rules.${k}: invalid severity ${JSON.stringify(v)}`, { cause: v, path: `rules.${k}`, expected: 'error, warning, info or off', hint: 'quote "off" or write false' });
    }
    rules[k] = level as Severity | 'off';
  }
  return { disable, rules };
}

/** Rule id → severity in force (absent = off), after applying the config. */
export function effectiveSeverities(config: LintConfig): Map<string, Severity> {
  const out = new Map<string, Severity>(ALL_RULES.map((r) => [r.id, r.severity]));
  for (const d of config.disable ?? []) {
    const r = findRule(d);
    if (!r) throw unknownRule(d, 'config', 'disable');
    out.delete(r.id);
  }
  for (const [k, v] of Object.entries(config.rules ?? {})) {
    const r = findRule(k);
    if (!r) throw unknownRule(k, 'config', `rules.${k}`);
    if (v === 'off') out.delete(r.id);
    else out.set(r.id, v);
  }
  return out;
}

/** Rule metadata without the check function (what --list / SARIF / JSON show). */
export function ruleMeta(r: Rule, severity: Severity = r.severity): RuleMeta {
  return {
    id: r.id,
    name: r.name,
    category: r.category,
    severity,
    summary: r.summary,
    why: r.why,
    fix: r.fix,
    url: r.url,
    ...(r.kubeLinter !== undefined ? { kubeLinter: r.kubeLinter } : {}),
    ...(r.pss !== undefined ? { pss: r.pss } : {}),
  };
}
