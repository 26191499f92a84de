import { Document, isScalar, parse, visit } from 'yaml';
import type { KubeObject } from './types.ts';

/**
 * Deterministic YAML for Kubernetes objects: documents separated by `---`, keys in the order the
 * renderer built them, no line folding.
 *
 * Why the extra quoting: Kubernetes decodes YAML with a YAML 1.1-flavoured parser, where `on`,
 * `yes`, `n`, `12:30` (sexagesimal) and `0o12` are not strings. A plain scalar is quoted whenever
 * either YAML 1.1 or YAML 1.2 core would read it as anything other than the same string.
 */
export function stringifyYaml(value: unknown): string {
  const doc = new Document(value, { version: '1.1' });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && node.type !== 'BLOCK_LITERAL' && misreadable(node.value)) {
        node.type = 'QUOTE_DOUBLE';
      }
    },
  });
  // Quote keys the same way (e.g. a label key `on`).
  visit(doc, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string' && misreadable(pair.key.value)) {
        pair.key.type = 'QUOTE_DOUBLE';
      }
    },
  });
  return doc.toString({ lineWidth: 0, minContentWidth: 0 });
}

function misreadable(s: string): boolean {
  if (s.includes('\n')) return false;
  for (const version of ['1.1', '1.2'] as const) {
    try {
      if (parse(s, { version }) !== s) return true;
    } catch {
      return true;
    }
  }
  return false;
}

export function stringifyManifests(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringifyYaml(o)).join('---\n');
}
