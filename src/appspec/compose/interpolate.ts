/**
 * Compose variable interpolation (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, `$$` for a literal
 * `$`), with nesting in the default/replacement part, as the compose spec describes.
 * @see https://github.com/compose-spec/compose-spec/blob/main/12-interpolation.md
 *
 * Unset variables do what compose does (become ""), but are returned so the importer can report
 * them instead of silently writing an empty value into the spec.
 */

export interface InterpolationResult {
  readonly value: string;
  /** Variables that were unset and had no default (value became ""). */
  readonly unset: readonly string[];
  /** `${VAR:?message}` / `${VAR?message}` failures: compose refuses to start with these. */
  readonly required: readonly { readonly name: string; readonly message: string }[];
  /** Variables whose value went into the result. */
  readonly used: readonly string[];
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

export function interpolate(text: string, vars: Readonly<Record<string, string>>): InterpolationResult {
  const unset: string[] = [];
  const required: { name: string; message: string }[] = [];
  const used: string[] = [];
  const value = expand(text, vars, { unset, required, used });
  return { value, unset, required, used };
}

interface Sink {
  unset: string[];
  required: { name: string; message: string }[];
  used: string[];
}

/** Own properties only: a variable named `constructor` is not Object.prototype's. */
function get(vars: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(vars, name) ? vars[name] : undefined;
}

function expand(text: string, vars: Readonly<Record<string, string>>, sink: Sink): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = matchingBrace(text, i + 2);
      if (end < 0) {
        // Unterminated: compose errors; keep the text so the schema/users see it.
        out += text.slice(i);
        break;
      }
      out += braced(text.slice(i + 2, end), vars, sink);
      i = end + 1;
    } else {
      const m = NAME.exec(text.slice(i + 1));
      if (m) {
        out += lookup(m[0], vars, sink);
        i += 1 + m[0].length;
      } else {
        out += '$';
        i++;
      }
    }
  }
  return out;
}

function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function lookup(name: string, vars: Readonly<Record<string, string>>, sink: Sink): string {
  const v = get(vars, name);
  if (v === undefined) {
    sink.unset.push(name);
    return '';
  }
  sink.used.push(name);
  return v;
}

function braced(body: string, vars: Readonly<Record<string, string>>, sink: Sink): string {
  const m = NAME.exec(body);
  if (!m) return '';
  const name = m[0];
  const rest = body.slice(name.length);
  const v = get(vars, name);
  const isSet = v !== undefined;
  const nonEmpty = isSet && v !== '';
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (op === undefined) return rest === '' ? lookup(name, vars, sink) : '';
  const arg = rest.slice(op.length);
  switch (op) {
    case ':-':
      return nonEmpty ? use(name, v, sink) : expand(arg, vars, sink);
    case '-':
      return isSet ? use(name, v, sink) : expand(arg, vars, sink);
    case ':?':
    case '?': {
      const ok = op === ':?' ? nonEmpty : isSet;
      if (ok) return use(name, v ?? '', sink);
      sink.required.push({ name, message: expand(arg, vars, sink) || `variable ${name} is required` });
      return '';
    }
    case ':+':
      return nonEmpty ? expand(arg, vars, sink) : '';
    default:
      return isSet ? expand(arg, vars, sink) : '';
  }
}

function use(name: string, v: string, sink: Sink): string {
  sink.used.push(name);
  return v;
}
