/**
 * Shared state and helpers of one render: the resolved spec, the namespace, the standard labels,
 * and a place to collect warnings and input problems (reported together, never the first only).
 */
import { inputError, type SlipwayError } from '../errors/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import type { AppSpec, ImageSpec } from '../appspec/index.ts';

const MANAGED_BY = 'slipway';
/** Annotation marking Jobs the deploy engine runs before/after rolling out services. */
export const HOOK_ANNOTATION = 'slipway.dev/hook';
/** Pod annotation with the sha256 of the ConfigMaps a pod reads: a config change rolls the pods. */
export const CHECKSUM_ANNOTATION = 'checksum/config';

export type Component = 'app' | 'service' | 'job' | 'cronjob' | 'config' | 'network' | 'monitoring';

export interface RenderContext {
  readonly spec: AppSpec;
  readonly env: string;
  readonly namespace: string;
  /** `<app>-<env>`: what tells two installs of the same app apart. */
  readonly instance: string;
  readonly warnings: string[];
  readonly problems: SlipwayError[];
  /** The spec path each rendered object comes from, so a problem with an object can name its place. */
  readonly origins: Map<KubeObject, string>;
}

export function warn(ctx: RenderContext, message: string): void {
  ctx.warnings.push(message);
}

/**
 * Records an input problem at a spec path (`services.api.volumes[0].name`); rendering continues so
 * all problems are reported at once. renderApp gives each its file:line:col from the path. Like
 * every bad-input problem, it says what was expected and what to do.
 */
export function problem(ctx: RenderContext, path: string, message: string, more: { readonly expected: string; readonly hint: string }): void {
  ctx.problems.push(inputError(message, { cause: message, path, expected: more.expected, hint: more.hint }));
}

/** Records where `objects` come from in the spec (see {@link RenderContext.origins}); returns them. */
export function from(ctx: RenderContext, path: string, objects: readonly KubeObject[]): KubeObject[] {
  for (const o of objects) if (!ctx.origins.has(o)) ctx.origins.set(o, path);
  return [...objects];
}

/**
 * The only labels a selector uses: immutable for the life of a workload (a Deployment's selector
 * cannot change), so never the version.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
 */
export function selectorLabels(ctx: RenderContext, name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': ctx.instance };
}

/** The recommended `app.kubernetes.io/*` labels plus the app's own labels (which never override ours). */
export function standardLabels(
  ctx: RenderContext,
  o: { readonly name: string; readonly component: Component; readonly version?: string | undefined; readonly extra?: Readonly<Record<string, string>> | undefined },
): Record<string, string> {
  const ours: Record<string, string> = {
    ...selectorLabels(ctx, o.name),
    'app.kubernetes.io/component': o.component,
    'app.kubernetes.io/part-of': ctx.spec.app,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
  if (o.version !== undefined) ours['app.kubernetes.io/version'] = o.version;
  return { ...stringValues(ctx.spec.labels), ...stringValues(o.extra), ...ours };
}

/**
 * Label, annotation and selector values must be strings. The schema says so, but a spec that
 * skipped validation (or a YAML `1.0`) could carry a number: never let it reach the apiserver as one.
 */
export function stringValues(m: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k] = typeof v === 'string' ? v : String(v);
  return out;
}

export function meta(
  ctx: RenderContext,
  o: { readonly name: string; readonly labels: Record<string, string>; readonly annotations?: Record<string, string> | undefined },
): KubeObject['metadata'] {
  // Copies: builders reuse one label map for several objects, and no two objects may share a
  // node (a YAML anchor would appear, and editing one object would edit the other).
  const m: KubeObject['metadata'] = { name: o.name, namespace: ctx.namespace, labels: { ...o.labels } };
  if (o.annotations && Object.keys(o.annotations).length > 0) m.annotations = { ...o.annotations };
  return m;
}

/** A parsed image reference. */
export interface ImageParts {
  /** What goes into `image:`. */
  readonly ref: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  readonly pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
}

/**
 * `repo:tag`, `repo@sha256:…` or the long form. The tag is what follows the last `:` after the
 * last `/` (so `registry:5000/app` has no tag).
 * Pull policy: `Always` for `latest`/untagged (a moving tag must be re-pulled), otherwise
 * `IfNotPresent`. @see https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy
 */
export function parseImageRef(image: ImageSpec): ImageParts {
  if (typeof image !== 'string') {
    const ref = image.repository + (image.tag !== undefined ? `:${image.tag}` : '') + (image.digest !== undefined ? `@${image.digest}` : '');
    return { ref, tag: image.tag, digest: image.digest, pullPolicy: image.pullPolicy ?? defaultPullPolicy(image.tag, image.digest) };
  }
  const [nameTag = image, digest] = image.split('@', 2);
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  const tag = colon > slash ? nameTag.slice(colon + 1) : undefined;
  return { ref: image, tag, digest, pullPolicy: defaultPullPolicy(tag, digest) };
}

function defaultPullPolicy(tag: string | undefined, digest: string | undefined): ImageParts['pullPolicy'] {
  if (digest !== undefined) return 'IfNotPresent';
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * `app.kubernetes.io/version` from the image: the tag, else the digest's first 12 hex digits. Made
 * a valid label value (≤ 63 chars of `[A-Za-z0-9._-]`, alphanumeric at both ends).
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 */
export function versionLabel(img: ImageParts): string | undefined {
  const raw = img.tag ?? (img.digest !== undefined ? img.digest.replace(/^sha256:/, '').slice(0, 12) : undefined);
  if (raw === undefined) return undefined;
  const v = raw.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return v === '' ? undefined : v;
}

/** Kubernetes quantities may be YAML numbers in the spec; objects always carry strings. */
export function quantity(q: string | number): string {
  return typeof q === 'number' ? String(q) : q;
}
