/**
 * Container image references: `[registry[:port]/]path[:tag][@algo:hex]`, the grammar Docker and
 * Kubernetes accept. Render and CI need the parts (retagging for an environment, pinning by
 * digest), and environment overlays merge images part by part, so the string form and the object
 * form of `image:` are interchangeable everywhere.
 * @see https://kubernetes.io/docs/concepts/containers/images/#image-names
 */
import { inputError } from '../errors/index.ts';
import type { ImageSpec } from './schema.ts';

/** An image reference split into its parts. */
export interface ImageParts {
  /** Registry host (optional) and path, e.g. `ghcr.io/acme/api`. */
  readonly repository: string;
  /** Tag, e.g. `1.4.2`. Absent means the registry's `latest`, which lint flags. */
  readonly tag?: string;
  /** Content digest, e.g. `sha256:…`. When set it decides what is pulled; the tag is informational. */
  readonly digest?: string;
  /** @default IfNotPresent @see https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy */
  readonly pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

// Path components are lowercase (the distribution spec); the first component may be a registry
// host with a port, which may contain uppercase letters.
const HOST = /^(localhost|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+([+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/**
 * Splits an image reference. Throws an `input` SlipwayError naming the bad part when the
 * reference is malformed (callers that have a source position attach it).
 */
export function parseImage(ref: string): ImageParts {
  const fail = (what: string, expected: string): never => {
    throw inputError(`invalid image reference "${ref}": ${what}`, {
      cause: ref,
      expected,
      hint: 'write repository:tag (e.g. ghcr.io/acme/api:1.4.2) or repository@sha256:<digest>',
    });
  };
  let rest = ref.trim();
  if (rest === '') fail('it is empty', 'an image reference');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`bad digest "${digest}"`, 'a digest like sha256:<64 hex digits>');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  // A colon before the last "/" belongs to a registry port (localhost:5000/app), not a tag.
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`bad tag "${tag}"`, 'a tag of letters, digits, "_", "." and "-" (at most 128, not starting with "." or "-")');
  }
  checkRepository(rest, fail);
  return { repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function checkRepository(repo: string, fail: (what: string, expected: string) => never): void {
  if (repo === '') fail('the repository is empty', 'a repository such as ghcr.io/acme/api');
  const parts = repo.split('/');
  const first = parts[0] ?? '';
  // Like Docker: the first component is a host only if it looks like one (has "." or ":" or is localhost).
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost && !HOST.test(first)) fail(`bad registry host "${first}"`, 'a host name with an optional :port');
  for (const part of hasHost ? parts.slice(1) : parts) {
    if (!PATH_COMPONENT.test(part)) {
      fail(`bad repository component "${part}"`, 'lowercase letters, digits and separators (".", "_", "__", "-") between them');
    }
  }
}

/** The reference string for the parts: `repository[:tag][@digest]`. */
export function imageString(img: ImageParts): string {
  return `${img.repository}${img.tag !== undefined ? `:${img.tag}` : ''}${img.digest !== undefined ? `@${img.digest}` : ''}`;
}

/** The object form of either spelling of `image:` (string or parts). */
export function normalizeImage(img: ImageSpec): ImageParts {
  if (typeof img === 'string') return parseImage(img);
  return {
    repository: img.repository,
    ...(img.tag !== undefined ? { tag: img.tag } : {}),
    ...(img.digest !== undefined ? { digest: img.digest } : {}),
    ...(img.pullPolicy !== undefined ? { pullPolicy: img.pullPolicy } : {}),
  };
}
