/**
 * Unit conversions from compose (Docker/Go conventions) to Kubernetes.
 *
 * - Durations: Go duration strings (`1m30s`, `1.5s`, `500ms`, `2h`) → whole seconds, rounded up
 *   (Kubernetes probe and grace-period fields are integer seconds; rounding down could turn a
 *   timeout into 0).
 * - CPUs: a decimal number of CPUs (`"0.5"`, `1.25`) → millicores (`500m`, `1250m`), or a whole
 *   number (`"2"`) when exact. @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#meaning-of-cpu
 * - Memory: Docker byte sizes are binary (`512m` and `512M` both mean 512·1024² bytes), so they map
 *   to Kubernetes binary suffixes: `512M` → `512Mi`, `1g` → `1Gi`, `1536k` → `1536Ki`; a plain
 *   number of bytes becomes the largest exact binary unit. @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#meaning-of-memory
 */

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds in a Go duration string, or undefined when it is not one. Plain numbers are seconds. */
export function durationSeconds(v: string | number): number | undefined {
  if (typeof v === 'number') return v >= 0 ? v : undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? 1);
    consumed = re.lastIndex;
  }
  return consumed === s.length && s.length > 0 ? total : undefined;
}

/** Whole seconds, rounded up, at least `min`. */
export function ceilSeconds(seconds: number, min = 0): number {
  return Math.max(min, Math.ceil(seconds - 1e-9));
}

/** `"0.5"` → `"500m"`, `2` → `"2"`. Undefined when not a non-negative number. */
export function cpuQuantity(v: string | number): string | undefined {
  const n = typeof v === 'number' ? v : Number(v.trim());
  if (!Number.isFinite(n) || n < 0 || (typeof v === 'string' && v.trim() === '')) return undefined;
  const milli = Math.round(n * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

const MEM_UNITS: Record<string, number> = { '': 0, b: 0, k: 1, kb: 1, m: 2, mb: 2, g: 3, gb: 3, t: 4, tb: 4, p: 5, pb: 5 };
const K8S_BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];

/** `"512M"` → `"512Mi"`, `"1.5g"` → `"1536Mi"`, `1073741824` → `"1Gi"`. Undefined when not a size. */
export function memoryQuantity(v: string | number): string | undefined {
  let bytes: number;
  if (typeof v === 'number') {
    bytes = v;
  } else {
    const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(v.trim());
    if (!m) return undefined;
    const unit = MEM_UNITS[(m[2] ?? '').toLowerCase()];
    if (unit === undefined) return undefined;
    bytes = Number(m[1]) * 1024 ** unit;
  }
  if (!Number.isFinite(bytes) || bytes < 0) return undefined;
  bytes = Math.round(bytes);
  let exp = 0;
  while (exp < K8S_BINARY.length - 1 && bytes !== 0 && bytes % 1024 ** (exp + 1) === 0) exp++;
  return `${bytes / 1024 ** exp}${K8S_BINARY[exp] ?? ''}`;
}
