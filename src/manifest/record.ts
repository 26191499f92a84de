/**
 * The one "is this a JSON object?" guard, for every folder (manifest is the lowest layer all may
 * import): a non-null object that is not an array.
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `o` without the fields `drop` names (a shallow copy). */
export function omit(o: Readonly<Record<string, unknown>>, drop: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !drop.includes(k)));
}
