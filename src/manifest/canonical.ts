/**
 * Canonical JSON: keys sorted, undefined dropped, no spaces. The same value always gives the same
 * text, so a re-render is never a diff (strategy annotations), digests are stable (inventory), and
 * a pod template has one content hash (rollout revisions).
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
