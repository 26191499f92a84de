/**
 * Runs `f` (synchronous) with `process.env` swapped for a plain copy.
 *
 * Why: the `yaml` parser reads `process.env.LOG_TOKENS` for every token (and the composer
 * `LOG_STREAM` for every document), and each read of the real `process.env` is a call into
 * native code: on 3,000 Deployments that is ~30% of the parse. A plain object makes the reads
 * ordinary property lookups. `f` is synchronous, so no other code runs while the copy is in
 * place; the real object is restored even when `f` throws.
 *
 * The one use of `process` in the pure core (exempt from the layer rule below): it reads no
 * variable and the result of `f` does not depend on the swap, which only makes the parser faster.
 */
export function withPlainEnv<T>(f: () => T): T {
  /* eslint-disable no-restricted-globals -- swaps process.env for a plain copy and back; see above */
  const real = process.env;
  process.env = { ...real };
  try {
    return f();
  } finally {
    process.env = real;
  }
  /* eslint-enable no-restricted-globals */
}
