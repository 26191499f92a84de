/**
 * Kubernetes resource quantities ("500m", "1Gi", "1e3"), parsed to a number of base units so
 * requests and limits can be compared.
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
export const QUANTITY_PATTERN = '^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\\d+)?$';
const RE = new RegExp(QUANTITY_PATTERN);

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value in base units, or undefined when `q` is not a valid quantity. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return undefined;
  const m = RE.exec(q);
  if (!m) return undefined;
  const suffix = m[3] ?? '';
  const n = Number(q.slice(0, q.length - suffix.length));
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  const mult = SUFFIX[suffix];
  return mult === undefined ? undefined : n * mult;
}
