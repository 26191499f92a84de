import { describe, expect, it } from 'vitest';
import { dotenvValues, parseDotenvFile } from './dotenv.ts';

interface Case {
  readonly name: string;
  readonly text: string;
  readonly vars: Record<string, string>;
  readonly want: Record<string, string>;
}

describe('parseDotenvFile: compose env-file syntax and interpolation (issue 13 defect 6)', () => {
  it.each<Case>([
    { name: 'a variable from the caller', text: 'SITE_URL=https://${DOMAIN}\n', vars: { DOMAIN: 'example.org' }, want: { SITE_URL: 'https://example.org' } },
    { name: 'a default with a colon inside ${...}', text: 'DATA_PATH=${STORAGE:-/mnt/data}/web\n', vars: {}, want: { DATA_PATH: '/mnt/data/web' } },
    { name: 'the default is not used when set', text: 'DATA_PATH=${STORAGE:-/mnt/data}/web\n', vars: { STORAGE: '/srv' }, want: { DATA_PATH: '/srv/web' } },
    { name: 'nested defaults', text: 'X=${A:-${B:-deep}}\n', vars: {}, want: { X: 'deep' } },
    { name: '$$ is a literal $', text: 'PRICE=$$5\nRE=^a$$\n', vars: { '5': 'no' }, want: { PRICE: '$5', RE: '^a$' } },
    { name: 'earlier keys of the file', text: 'HOST=db\nURL=postgres://${HOST}:5432/app\n', vars: {}, want: { HOST: 'db', URL: 'postgres://db:5432/app' } },
    { name: 'the caller wins over the file', text: 'HOST=db\nURL=${HOST}\n', vars: { HOST: 'shell-db' }, want: { HOST: 'db', URL: 'shell-db' } },
    { name: 'single quotes are literal', text: "A='${DOMAIN} $$ \\n'\n", vars: { DOMAIN: 'x' }, want: { A: '${DOMAIN} $$ \\n' } },
    { name: 'double quotes: escapes, then interpolation; \\$ is a literal $', text: 'A="line1\\nline2 ${D} \\$D"\n', vars: { D: 'd' }, want: { A: 'line1\nline2 d $D' } },
    { name: 'multi-line double-quoted value', text: 'KEY="-----BEGIN-----\nabc\n-----END-----"\nNEXT=1\n', vars: {}, want: { KEY: '-----BEGIN-----\nabc\n-----END-----', NEXT: '1' } },
    { name: 'export prefix, yaml-style colon, comments', text: '# comment\nexport A=1\nB: 2\nC=3 # trailing\nD=a#b\n', vars: {}, want: { A: '1', B: '2', C: '3', D: 'a#b' } },
    { name: 'a bare key takes the variable, or is left out', text: 'FROM_SHELL\nMISSING\n', vars: { FROM_SHELL: 'yes' }, want: { FROM_SHELL: 'yes' } },
    { name: 'later lines win', text: 'A=1\nA=2\n', vars: {}, want: { A: '2' } },
    { name: 'CRLF and a BOM', text: '\uFEFFA=1\r\nB=2\r\n', vars: {}, want: { A: '1', B: '2' } },
    { name: 'keys like __proto__ are ordinary', text: '__proto__=x\nconstructor=${constructor}\n', vars: {}, want: { ['__proto__']: 'x', constructor: '' } },
  ])('$name', ({ text, vars, want }) => {
    const parsed = parseDotenvFile(text, vars);
    expect(parsed.problems).toEqual([]);
    expect(dotenvValues(parsed)).toStrictEqual(Object.fromEntries(Object.entries(want)));
  });

  it('reports unset variables and required ones, with their lines', () => {
    const parsed = parseDotenvFile('A=1\nB=${NOPE}\nC=${MUST:?set MUST}\n', {});
    expect(parsed.entries.map((e) => [e.key, e.line, e.unset, e.required.map((r) => r.message)])).toEqual([
      ['A', 1, [], []],
      ['B', 2, ['NOPE'], []],
      ['C', 3, [], ['set MUST']],
    ]);
  });

  it('says which values were interpolated and which variables they used', () => {
    const parsed = parseDotenvFile('PLAIN=a\nURL=https://${DOMAIN}\nLIT=$$x\n', { DOMAIN: 'x.org' });
    expect(parsed.entries.map((e) => [e.key, e.interpolated, e.variables])).toEqual([
      ['PLAIN', false, []],
      ['URL', true, ['DOMAIN']],
      ['LIT', true, []],
    ]);
  });

  it.each([
    ['A="never closed\n', /unterminated quoted value of A/],
    ['BAD KEY=1\n', /unexpected character "K" in variable name BAD|unexpected character/],
  ])('problems are positioned: %j', (text, message) => {
    const parsed = parseDotenvFile(text, {});
    expect(parsed.problems[0]?.message).toMatch(message);
    expect(parsed.problems[0]?.line).toBe(1);
  });
});
