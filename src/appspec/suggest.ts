import { distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo (`replicaz` →
 * `replicas`, `DependsOn` → `dependsOn`, `cgf` → `cfg`); `undefined` otherwise, so that hints never
 * suggest something unrelated.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestSlips = Infinity;
  for (const candidate of candidates) {
    const slips = slipsBetween(lower, candidate.toLowerCase());
    if (slips < bestSlips) {
      best = candidate;
      bestSlips = slips;
    }
  }
  if (best === undefined) return undefined;
  // A third of the length (at least 2) catches one or two slips without matching unrelated
  // words; short words allow one slip only (`host` is not a typo of `hook`).
  const limit = best.length <= 4 ? 1 : Math.max(2, Math.floor(best.length / 3));
  return bestSlips <= limit && bestSlips < Math.max(word.length, best.length) ? best : undefined;
}

/** Edit distance, counting two swapped letters (`hots`/`host`) as one slip rather than two. */
function slipsBetween(a: string, b: string): number {
  const d = distance(a, b);
  return d === 2 && a.length === b.length && letters(a) === letters(b) ? 1 : d;
}

/** The letters of a key, sorted (keys and names are ASCII: code units are letters). */
function letters(s: string): string {
  return Array.from({ length: s.length }, (_, i) => s.charAt(i))
    .sort()
    .join('');
}

/** `did you mean \`x\`?` or `undefined`. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closestMatch(word, candidates);
  return match === undefined ? undefined : `did you mean \`${match}\`?`;
}
