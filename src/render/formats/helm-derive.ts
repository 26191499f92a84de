/**
 * Strings that differ between environments only by the environment's namespace, instance
 * (`<app>-<env>`) or name — a PromQL expression with `namespace="shop-prod"`, a dashboard title —
 * are written as `printf` over those three values instead of one opaque value per string.
 */

export type TokenName = 'namespace' | 'instance' | 'environment';
export const TOKEN_NAMES: readonly TokenName[] = ['namespace', 'instance', 'environment'];

export type Tokens = Partial<Record<TokenName, string>>;
export type Segment = { readonly literal: string } | { readonly token: TokenName };

/**
 * Splits the strings of all variants into literal text and tokens, scanning them side by side:
 * a token is taken only where every variant has its own value of it, so the result reproduces
 * every variant exactly (`every` inside `everything` is not mistaken for the namespace `every`).
 * Undefined when some variant cannot be reproduced or no token occurs.
 */
export function deriveSegments(values: ReadonlyMap<string, string>, tokens: ReadonlyMap<string, Tokens>): Segment[] | undefined {
  const variants = [...values.keys()];
  const str = (v: string): string => values.get(v) ?? '';
  const pos = new Map(variants.map((v) => [v, 0]));
  const usable = TOKEN_NAMES.filter((t) => variants.every((v) => (tokens.get(v)?.[t] ?? '') !== ''));
  const segments: Segment[] = [];
  let literal = '';
  let usedToken = false;
  const done = (): boolean => variants.every((v) => (pos.get(v) ?? 0) >= str(v).length);
  while (!done()) {
    const token = usable
      .filter((t) => variants.every((v) => str(v).startsWith(tokens.get(v)?.[t] ?? '', pos.get(v) ?? 0)))
      .sort((a, b) => (tokens.get(variants[0] ?? '')?.[b]?.length ?? 0) - (tokens.get(variants[0] ?? '')?.[a]?.length ?? 0))[0];
    if (token !== undefined) {
      if (literal !== '') segments.push({ literal });
      literal = '';
      segments.push({ token });
      usedToken = true;
      for (const v of variants) pos.set(v, (pos.get(v) ?? 0) + (tokens.get(v)?.[token]?.length ?? 0));
      continue;
    }
    const first = variants[0] ?? '';
    const ch = str(first)[pos.get(first) ?? 0];
    if (ch === undefined || !variants.every((v) => str(v)[pos.get(v) ?? 0] === ch)) return undefined;
    literal += ch;
    for (const v of variants) pos.set(v, (pos.get(v) ?? 0) + 1);
  }
  if (literal !== '') segments.push({ literal });
  return usedToken ? segments : undefined;
}

/** The template expression for derived segments, quoted for YAML. */
export function derivedExpr(segments: readonly Segment[], ref: (t: TokenName) => string): string {
  const only = segments[0];
  if (segments.length === 1 && only !== undefined && 'token' in only) return `{{ ${ref(only.token)} | quote }}`;
  const used = TOKEN_NAMES.filter((t) => segments.some((s) => 'token' in s && s.token === t));
  // Explicit argument indexes: each value can be used several times.
  const format = segments.map((s) => ('token' in s ? `%[${used.indexOf(s.token) + 1}]s` : s.literal.replaceAll('%', '%%'))).join('');
  return `{{ printf ${JSON.stringify(format)} ${used.map(ref).join(' ')} | quote }}`;
}
