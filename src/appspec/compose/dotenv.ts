/**
 * `.env` and `env_file` files the way docker compose reads them (compose-go's dotenv format), with
 * the same interpolation as the compose file itself:
 * - `KEY=value`, `export KEY=value`, `KEY: value`; blank lines and `#` comment lines;
 * - unquoted values end at the line end, an inline comment starts at ` #`, trailing space is cut;
 * - `'single quoted'` values are literal (may span lines; `\'` is a quote);
 * - `"double quoted"` values may span lines and take the escapes \n \r \t \\ \" \$ …;
 * - unquoted and double-quoted values are interpolated (`${VAR}`, `${VAR:-default}` with nested
 *   defaults, `${VAR:?err}`, `$$` for a literal `$`, …), variables coming from the caller first
 *   (the shell and the project's `.env`), then from keys earlier in the same file;
 * - a line with only `KEY` takes the variable's value, and is left out when there is none.
 * @see https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/#env-file-syntax
 * @see https://github.com/compose-spec/compose-go/tree/main/dotenv
 */
import { setOwn } from '../../manifest/index.ts';
import { interpolate } from './interpolate.ts';

interface DotenvEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line of the key. */
  readonly line: number;
  /** Variables the value used, in order (set or not). */
  readonly variables: readonly string[];
  /** Variables that were unset without a default (they became ""). */
  readonly unset: readonly string[];
  /** `${VAR:?message}` failures. */
  readonly required: readonly { readonly name: string; readonly message: string }[];
  /** Interpolation changed the value (a variable, or `$$`). */
  readonly interpolated: boolean;
  /** A bare `KEY` line that took its value from the variables. */
  readonly inherited: boolean;
}

interface DotenvProblem {
  readonly line: number;
  readonly message: string;
}

export interface ParsedDotenv {
  readonly entries: readonly DotenvEntry[];
  readonly problems: readonly DotenvProblem[];
}

const KEY_CHAR = /[\p{L}\p{N}_.\-[\]]/u;

/** The variables a value refers to (`$VAR`, `${VAR…}`), `$$` excluded. */
function referencedVariables(text: string): string[] {
  const out: string[] = [];
  const re = /\$(\$|\{([_a-zA-Z][_a-zA-Z0-9]*)|([_a-zA-Z][_a-zA-Z0-9]*))/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const name = m[2] ?? m[3];
    if (name !== undefined) out.push(name);
  }
  return out;
}

/** Double-quote escapes; `\$` becomes `$$` so that interpolation leaves a literal `$`. */
function unescapeDouble(s: string): string {
  const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', $: '$$' };
  return s.replace(/\\([nrtabfv\\"$])/g, (_m, c: string) => map[c] ?? c);
}

/** A cursor over the text, counting lines. */
class Cursor {
  i = 0;
  line = 1;
  readonly src: string;
  constructor(src: string) {
    this.src = src;
  }
  get done(): boolean {
    return this.i >= this.src.length;
  }
  get ch(): string {
    return this.src.charAt(this.i);
  }
  /** To the start of the next line. */
  skipLine(): void {
    const nl = this.src.indexOf('\n', this.i);
    this.i = nl < 0 ? this.src.length : nl + 1;
    this.line++;
  }
  skipBlanks(): void {
    while (this.ch === ' ' || this.ch === '\t') this.i++;
  }
  /** Blank lines, leading whitespace and comment lines before the next statement. */
  toStatement(): void {
    while (!this.done) {
      if (this.ch === '\n') {
        this.i++;
        this.line++;
      } else if (/\s/.test(this.ch)) this.i++;
      else if (this.ch === '#') this.skipLine();
      else return;
    }
  }
}

/** `export KEY=`, `KEY:`, or a bare `KEY` at the line end; the separator is left at the cursor. */
function readKey(c: Cursor): string {
  const exp = /^export[ \t]+/.exec(c.src.slice(c.i, c.i + 16));
  if (exp) c.i += exp[0].length;
  let key = '';
  while (!c.done && KEY_CHAR.test(c.ch)) key += c.src.charAt(c.i++);
  c.skipBlanks();
  return key;
}

/** A quoted value from its opening quote; undefined when it is not closed. Escaped quotes are the quote. */
function readQuoted(c: Cursor, q: string): string | undefined {
  let body = '';
  for (let j = c.i + 1; j < c.src.length; j++) {
    const ch = c.src.charAt(j);
    if (ch === '\\' && j + 1 < c.src.length) {
      // Other escapes are kept for unescapeDouble (single quotes keep them as written).
      const next = c.src.charAt(j + 1);
      body += next === q ? (q === '"' ? '\\"' : "'") : `\\${next}`;
      if (next === '\n') c.line++;
      j++;
    } else if (ch === q) {
      // The rest of the line after the closing quote (a comment) is ignored.
      const nl = c.src.indexOf('\n', j + 1);
      c.i = nl < 0 ? c.src.length : nl;
      return body;
    } else {
      if (ch === '\n') c.line++;
      body += ch;
    }
  }
  c.i = c.src.length;
  return undefined;
}

/** An unquoted value: to the line end, an inline comment (` #`) and trailing space cut. */
function readUnquoted(c: Cursor): string {
  const nl = c.src.indexOf('\n', c.i);
  const end = nl < 0 ? c.src.length : nl;
  let v = c.src.slice(c.i, end);
  const hash = v.indexOf(' #');
  if (hash >= 0) v = v.slice(0, hash);
  c.i = end;
  return v.replace(/\s+$/, '');
}

/** Parses a dotenv text; `lookup` gives the variables (the shell and the project `.env`). */
export function parseDotenvFile(text: string, lookup: Readonly<Record<string, string>>): ParsedDotenv {
  const entries: DotenvEntry[] = [];
  const problems: DotenvProblem[] = [];
  // The variables values see: the caller's first, then keys set earlier in this file.
  const merged: Record<string, string> = { ...lookup };
  const define = (key: string, value: string): void => {
    if (!Object.hasOwn(lookup, key)) setOwn(merged, key, value);
  };
  const c = new Cursor(text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'));
  for (c.toStatement(); !c.done; c.toStatement()) {
    const line = c.line;
    const key = readKey(c);
    const sep = c.ch;
    if (key === '' || (sep !== '=' && sep !== ':' && sep !== '\n' && sep !== '')) {
      problems.push({ line, message: key === '' ? `unexpected character ${JSON.stringify(c.ch)} where a variable name starts` : `unexpected character ${JSON.stringify(sep)} in variable name ${key}` });
      c.skipLine();
      continue;
    }
    if (sep === '\n' || sep === '') {
      // `KEY` alone: the value of the variable, when there is one.
      const v = Object.hasOwn(lookup, key) ? lookup[key] : undefined;
      if (v !== undefined) {
        define(key, v);
        entries.push({ key, value: v, line, variables: [key], unset: [], required: [], interpolated: true, inherited: true });
      }
      continue;
    }
    c.i++;
    c.skipBlanks();
    const q = c.ch === '"' || c.ch === "'" ? c.ch : '';
    const body = q === '' ? readUnquoted(c) : readQuoted(c, q);
    if (body === undefined) {
      problems.push({ line, message: `unterminated quoted value of ${key}` });
      continue;
    }
    if (q === "'") {
      define(key, body);
      entries.push({ key, value: body, line, variables: [], unset: [], required: [], interpolated: false, inherited: false });
      continue;
    }
    const raw = q === '"' ? unescapeDouble(body) : body;
    const r = interpolate(raw, merged);
    define(key, r.value);
    entries.push({ key, value: r.value, line, variables: referencedVariables(raw), unset: r.unset, required: r.required, interpolated: r.value !== raw, inherited: false });
  }
  return { entries, problems };
}

/** The last value of each key (later lines win, as in compose). */
export function dotenvValues(parsed: ParsedDotenv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of parsed.entries) setOwn(out, e.key, e.value);
  return out;
}
