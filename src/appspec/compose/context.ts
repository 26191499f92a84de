import type { SourcePosition } from '../../errors/index.ts';
import { isRecord } from '../../manifest/index.ts';
import { formatPath, type Path } from './load.ts';
import type { ImportReportEntry, ReportSeverity } from './types.ts';

/**
 * Accounting for one import: every key the converter reads is either consumed (translated) or
 * dropped (listed in the report as not translated). Notes are caveats on consumed keys.
 */
export class ImportContext {
  readonly consumed = new Set<string>();
  readonly report: ImportReportEntry[] = [];
  readonly positionOf: (path: Path) => SourcePosition;

  constructor(positionOf: (path: Path) => SourcePosition) {
    this.positionOf = positionOf;
  }

  consume(path: Path): void {
    this.consumed.add(formatPath(path));
  }

  /** The key was not translated. */
  drop(path: Path, entry: Omit<Entry, 'path'>): void {
    this.push(path, entry, false);
  }

  /** The key was translated with a caveat; the caller consumes it. */
  note(path: Path, entry: Omit<Entry, 'path'>): void {
    this.push(path, entry, true);
  }

  /** Consume and note in one go. */
  noteConsumed(path: Path, entry: Omit<Entry, 'path'>): void {
    this.consume(path);
    this.note(path, entry);
  }

  private push(path: Path, e: Omit<Entry, 'path'>, converted: boolean): void {
    const service = path[0] === 'services' && typeof path[1] === 'string' ? path[1] : undefined;
    this.report.push({
      severity: e.severity,
      path: formatPath(path),
      ...(service === undefined ? {} : { service }),
      converted,
      message: e.message,
      ...(e.hint === undefined ? {} : { hint: e.hint }),
      position: this.positionOf(path),
    });
  }
}

interface Entry {
  readonly severity: ReportSeverity;
  readonly message: string;
  readonly hint?: string | undefined;
}

/** Every key path of a value: mapping keys and sequence items, depth first. */
export function keyPaths(v: unknown, path: Path = []): string[] {
  const out: string[] = [];
  const visit = (x: unknown, p: Path): void => {
    if (Array.isArray(x)) {
      x.forEach((item: unknown, i) => {
        out.push(formatPath([...p, i]));
        visit(item, [...p, i]);
      });
    } else if (isRecord(x)) {
      for (const [k, item] of Object.entries(x)) {
        out.push(formatPath([...p, k]));
        visit(item, [...p, k]);
      }
    }
  };
  visit(v, path);
  return out;
}

/** A DNS-1123 label from a compose name: lowercase, `_` and `.` become `-`. */
export function dnsName(s: string, max = 63): string {
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return n === '' ? 'x' : n;
}

/** A value as text for messages and string fields: scalars as-is, structures as JSON. */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}
