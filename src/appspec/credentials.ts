/**
 * What counts as a credential written in plain text: one rule for `slipway import compose` (which
 * moves such values to Secret references), for `slipway lint` (SEC023 on env, SEC027 on URLs with a
 * password, SEC028 on ConfigMap keys) and therefore for the lint gate of `render`, `validate` and
 * `import`. Pure string functions.
 *
 * Names are judged by substrings, not whole words: `WEBPASSWORD`, `PIHOLE_PW`, `AUTHENTIK_SECRET_KEY`
 * and `githubToken` are credentials. Names that *describe* a credential rather than hold it are not:
 * a trailing word such as `_TTL`, `_LENGTH`, `_ENABLED`, `_USER`, `_ID` (`AWS_ACCESS_KEY_ID`), and
 * `_FILE` / `_PATH` / `_DIR` when the value is a path (`POSTGRES_PASSWORD_FILE=/run/secrets/db`,
 * the Docker secrets convention). Values that cannot be a credential (empty, a boolean, a reference
 * to another variable such as `$(DB_PASSWORD)`) are not either.
 */

/** Substrings of a name (upper case, separators removed) that mean it holds a credential. */
const CREDENTIAL_PARTS = [
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'SECRET',
  'TOKEN',
  'CREDENTIAL',
  'APIKEY',
  'PRIVATEKEY',
  'ACCESSKEY',
  'AUTHKEY',
  'ENCRYPTIONKEY',
  'SIGNINGKEY',
  'MASTERKEY',
  'SESSIONKEY',
  'LICENSEKEY',
];
/** Whole words that mean a credential (as substrings they would match BYPASS, COMPASS, …). */
const CREDENTIAL_WORDS = new Set(['PASS', 'PW', 'PWD', 'SALT', 'CREDS']);
/** Words that contain a credential part but are not one (`MAX_TOKENS`, `TOKENIZERS_PARALLELISM`). */
const BENIGN_WORDS = new Set(['TOKENS', 'TOKENIZER', 'TOKENIZERS', 'PASSWORDLESS', 'SECRETARY']);
/** A last word that describes the credential (its policy, its owner, its size) instead of holding it. */
const DESCRIBING_SUFFIXES = new Set([
  'TTL',
  'EXPIRY',
  'EXPIRES',
  'EXPIRATION',
  'LIFETIME',
  'TIMEOUT',
  'LENGTH',
  'LEN',
  'MIN',
  'MAX',
  'SIZE',
  'COUNT',
  'HEADER',
  'URL',
  'URI',
  'ENABLED',
  'ENABLE',
  'DISABLED',
  'DISABLE',
  'REQUIRED',
  'USER',
  'USERNAME',
  'NAME',
  'ID',
  'TYPE',
  'MODE',
  'POLICY',
  'ALGORITHM',
  'ALGO',
  'METHOD',
  'PROVIDER',
  'HOST',
  'PORT',
  'PREFIX',
  'FORMAT',
  'VERSION',
]);
/** A last word naming where the credential is: a credential only when the value is not a path. */
const LOCATION_SUFFIXES = new Set(['FILE', 'FILENAME', 'PATH', 'DIR', 'DIRECTORY', 'LOCATION']);
/** `*_KEY` is a credential (APP_KEY, JWT_KEY, WORDPRESS_NONCE_KEY) unless the word before says otherwise. */
const BENIGN_KEY_OWNERS = new Set(['PUBLIC', 'PUBLISHABLE', 'SITE', 'PARTITION', 'SORT', 'PRIMARY', 'FOREIGN', 'ROUTING', 'CACHE', 'HASH', 'LOOKUP', 'OBJECT', 'S3', 'GROUP', 'INDEX', 'IDEMPOTENCY', 'SHORTCUT', 'HOT', 'MAP']);

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((w) => w !== '');
}

/** The words of `ws` hold a credential (no suffix rule applied). */
function holdsCredential(ws: readonly string[]): boolean {
  const kept = ws.filter((w) => !BENIGN_WORDS.has(w));
  const compact = kept.join('');
  if (CREDENTIAL_PARTS.some((p) => compact.includes(p))) return true;
  // PWD alone is the shell's working directory; DB_PWD is a password.
  if (kept.some((w, i) => CREDENTIAL_WORDS.has(w) && (w !== 'PWD' || i > 0))) return true;
  const last = kept.at(-1);
  const before = kept.at(-2);
  return (last === 'KEY' || last === 'KEYS') && (before === undefined || !BENIGN_KEY_OWNERS.has(before));
}

/**
 * Whether a variable (or ConfigMap key) of this name conventionally holds a credential, whatever
 * its value. `*_FILE` / `*_PATH` / `*_DIR` names count: only their value tells (see {@link isLiteralCredential}).
 */
export function isCredentialName(name: string): boolean {
  const ws = words(name);
  const last = ws.at(-1);
  if (last === undefined || DESCRIBING_SUFFIXES.has(last)) return false;
  return holdsCredential(LOCATION_SUFFIXES.has(last) ? ws.slice(0, -1) : ws);
}

/** `$(VAR)`, `${VAR}` or `$VAR` and nothing else: a reference to a value kept elsewhere. */
function isVariableReference(value: string): boolean {
  return /^\$(\([A-Za-z_][A-Za-z0-9_]*\)|\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(value.trim());
}

function looksLikePath(value: string): boolean {
  return /^(\/|\.\.?\/|~\/)/.test(value);
}

/**
 * Whether `value`, set under `name` (an env var or a ConfigMap key), is a credential written in
 * plain text: the name says credential, and the value is one (not empty, not a boolean, not a
 * reference to another variable, not the path of a mounted secret file under a `*_FILE` name).
 */
export function isLiteralCredential(name: string, value: string): boolean {
  if (!isCredentialName(name)) return false;
  const v = value.trim();
  if (v === '' || /^(true|false|yes|no|on|off)$/i.test(v) || isVariableReference(v)) return false;
  const last = words(name).at(-1) ?? '';
  return !(LOCATION_SUFFIXES.has(last) && looksLikePath(v));
}

/** A password found in the userinfo of a URL (`scheme://user:password@host`). */
export interface UrlPassword {
  /** Offset of the password in the text. */
  readonly start: number;
  readonly end: number;
  readonly password: string;
  /** The URL's scheme, e.g. `postgres`. */
  readonly scheme: string;
  readonly user: string;
}

/**
 * Passwords written into URLs (`mysql://root:secret@db/app`, `redis://:pw@cache:6379`), in any
 * text (an env value, a config file). A password that is a variable reference (`$(DB_PASSWORD)`,
 * `${DB_PASSWORD}`) or a mask (`***`) is not one.
 */
export function urlPasswords(text: string): UrlPassword[] {
  const out: UrlPassword[] = [];
  // userinfo = user ":" password "@": no `/`, `?`, `#`, `@` or whitespace inside (RFC 3986 §3.2.1).
  const re = /\b([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^\s/?#@:'"]*):([^\s/?#@'"]+)@/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const [whole, scheme = '', user = '', password = ''] = m;
    if (isVariableReference(password) || /^\*+$/.test(password)) continue;
    const start = m.index + whole.length - 1 - password.length;
    out.push({ start, end: start + password.length, password, scheme, user });
  }
  return out;
}
