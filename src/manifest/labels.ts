/**
 * Kubernetes' own syntax for label keys, label values and annotation keys, as the apiserver checks
 * them (apimachinery `IsQualifiedName`, `IsValidLabelValue`). The spec checks labels and annotations
 * where they are written, and lint checks them in any manifest: what slipway renders, the apiserver
 * accepts.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/#syntax-and-character-set
 */

/** A name segment: at most 63 characters, alphanumeric at both ends, `-`, `_`, `.` inside. */
const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** A DNS-1123 subdomain: lowercase alphanumeric labels joined by dots. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NAME_MAX = 63;
const PREFIX_MAX = 253;

/** A syntax problem: what is wrong, and what Kubernetes expects instead. */
export interface SyntaxProblem {
  readonly message: string;
  readonly expected: string;
}

const KEY_EXPECTED =
  'an optional DNS subdomain prefix and "/", then a name of at most 63 characters: letters, digits, "-", "_", "." inside, alphanumeric at both ends (e.g. app.kubernetes.io/name, team)';
const VALUE_EXPECTED = 'at most 63 characters: letters, digits, "-", "_", "." inside, alphanumeric at both ends (or empty)';

/** A label or annotation key (`[prefix/]name`); undefined when Kubernetes accepts it. */
export function qualifiedNameProblem(key: string, what: 'label' | 'annotation'): SyntaxProblem | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const bad = (why: string): SyntaxProblem => ({ message: `invalid ${what} key ${JSON.stringify(key)}: ${why}`, expected: KEY_EXPECTED });
  if (prefix !== undefined) {
    if (prefix === '') return bad('the prefix before "/" is empty');
    if (prefix.length > PREFIX_MAX) return bad(`the prefix is longer than ${PREFIX_MAX} characters`);
    if (!DNS_SUBDOMAIN.test(prefix)) return bad('the prefix is not a DNS subdomain (lowercase letters, digits, "-" and ".")');
  }
  if (name === '') return bad('the name is empty');
  if (name.length > NAME_MAX) return bad(`the name is longer than ${NAME_MAX} characters`);
  if (!NAME_PART.test(name)) return bad(name.includes('/') ? 'it has more than one "/"' : 'the name has characters Kubernetes does not allow, or does not start and end alphanumeric');
  return undefined;
}

/** A label value; undefined when Kubernetes accepts it. */
export function labelValueProblem(value: string): SyntaxProblem | undefined {
  if (value === '') return undefined;
  const bad = (why: string): SyntaxProblem => ({ message: `invalid label value ${JSON.stringify(value)}: ${why}`, expected: VALUE_EXPECTED });
  if (value.length > NAME_MAX) return bad(`longer than ${NAME_MAX} characters`);
  if (!NAME_PART.test(value)) return bad('it has characters Kubernetes does not allow, or does not start and end alphanumeric');
  return undefined;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MAX = 253;
const CONFIG_KEY_EXPECTED = 'at most 253 characters: letters, digits, "-", "_" and "."; not "." or "..", nor starting with ".."';

/**
 * A key of a ConfigMap's `data`/`binaryData` or a Secret's `data`/`stringData` (apimachinery
 * `IsConfigMapKey`: each key becomes a file name when the object is mounted); undefined when
 * Kubernetes accepts it.
 */
export function configKeyProblem(key: string): SyntaxProblem | undefined {
  const bad = (why: string): SyntaxProblem => ({ message: `invalid data key ${JSON.stringify(key)}: ${why}`, expected: CONFIG_KEY_EXPECTED });
  if (key === '') return bad('it is empty');
  if (key.length > CONFIG_KEY_MAX) return bad(`longer than ${CONFIG_KEY_MAX} characters`);
  if (!CONFIG_KEY.test(key)) return bad('it has characters Kubernetes does not allow');
  if (key === '.' || key === '..' || key.startsWith('..')) return bad('it is "." or "..", or starts with ".." (it names a file in a mounted volume)');
  return undefined;
}
