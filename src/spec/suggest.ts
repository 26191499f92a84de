import { distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo (`replicaz` →
 * `replicas`, `DependsOn` → `dependsOn`); `undefined` otherwise, so that hints never suggest
 * something unrelated.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  // A third of the length (at least 2) catches one or two slips without matching unrelated words.
  const limit = Math.max(2, Math.floor(best.length / 3));
  return bestDistance <= limit && bestDistance < Math.max(word.length, best.length) ? best : undefined;
}

/** `did you mean \`x\`?` or `undefined`. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closestMatch(word, candidates);
  return match === undefined ? undefined : `did you mean \`${match}\`?`;
}
