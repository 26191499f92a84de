import type { ComposeImportResult } from './types.ts';

/** `p` is `anc` or lies below it (`anc.x`, `anc[0]`). */
function isUnder(p: string, anc: string): boolean {
  return p === anc || p.startsWith(`${anc}.`) || p.startsWith(`${anc}[`);
}

/**
 * Checks that the import report is accurate: no key is both translated and reported as not
 * translated (nor noted as translated while dropped), and every input key is accounted for
 * (consumed or reported, itself, through an ancestor, or through all of its children). Returns
 * the violations; empty means accurate. Quadratic: meant for tests and audits, not hot paths.
 */
export function accountingProblems(r: ComposeImportResult): string[] {
  const problems: string[] = [];
  const consumed = [...new Set(r.consumed)];
  const dropped = [...new Set(r.report.filter((e) => !e.converted).map((e) => e.path))];
  for (const c of consumed) {
    for (const d of dropped) if (isUnder(c, d) || isUnder(d, c)) problems.push(`${c} is translated but ${d} is reported as not translated`);
  }
  for (const n of r.report.filter((e) => e.converted)) {
    for (const d of dropped) if (isUnder(n.path, d)) problems.push(`${n.path} is noted as translated but ${d} is reported as not translated`);
  }
  const marked = [...consumed, ...dropped];
  const keys = r.inputKeys;
  const memo = new Map<string, boolean>();
  const covered = (k: string): boolean => {
    const hit = memo.get(k);
    if (hit !== undefined) return hit;
    let ok = marked.some((m) => isUnder(k, m));
    if (!ok) {
      const below = keys.filter((x) => x !== k && isUnder(x, k));
      // Direct children: below k with no other key of `below` between them and k.
      const children = below.filter((x) => !below.some((y) => y !== x && isUnder(x, y)));
      ok = children.length > 0 ? children.every(covered) : false;
    }
    memo.set(k, ok);
    return ok;
  };
  for (const k of keys) if (!covered(k)) problems.push(`${k} is neither translated nor reported`);
  return problems;
}
