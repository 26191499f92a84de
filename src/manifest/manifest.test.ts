import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseManifests, stringifyManifests, stringifyYaml, withPlainEnv } from './index.ts';
import { InputErrors } from '../errors/index.ts';

const twoDocs = `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
data:
  k: v
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:latest
`;

describe('parseManifests positions', () => {
  it.each([
    { doc: 0, path: ['data', 'k'], line: 6, col: 3 },
    { doc: 1, path: ['spec', 'template', 'spec', 'containers', 0, 'image'], line: 17, col: 11 },
    { doc: 1, path: ['spec', 'template', 'spec', 'containers', 0], line: 16, col: 11 },
    // missing field → nearest existing ancestor (the `spec` key of the pod template)
    { doc: 1, path: ['spec', 'template', 'spec', 'securityContext'], line: 14, col: 5 },
  ])('doc $doc $path → $line:$col', ({ doc, path, line, col }) => {
    const docs = parseManifests(twoDocs, 'm.yaml');
    expect(docs).toHaveLength(2);
    expect(docs[doc]?.positionOf(path)).toEqual({ file: 'm.yaml', line, col });
  });

  // Aliased content is reported where it is written (in the anchored node); `<<` is an ordinary
  // key in manifests (plain YAML 1.2, as kubectl reads them), so nothing is merged through it.
  const aliased = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: &l\n    app: web\nspec:\n  selector:\n    matchLabels: *l\n  template:\n    metadata:\n      <<: *l\n';
  it.each([
    { path: ['spec', 'selector', 'matchLabels', 'app'], line: 6, col: 5 },
    { path: ['spec', 'selector', 'matchLabels'], line: 9, col: 5 },
    { path: ['spec', 'template', 'metadata', 'app'], line: 11, col: 5 },
    { path: ['spec', 'template', 'metadata', '<<', 'app'], line: 6, col: 5 },
  ])('through aliases: $path → $line:$col', ({ path, line, col }) => {
    const docs = parseManifests(aliased, 'm.yaml');
    expect(docs[0]?.object['spec']).toEqual({ selector: { matchLabels: { app: 'web' } }, template: { metadata: { '<<': { app: 'web' } } } });
    expect(docs[0]?.positionOf(path)).toEqual({ file: 'm.yaml', line, col });
  });

  it.each([
    { name: 'syntax error', text: 'a: [1, 2\n', message: /./ },
    { name: 'not an object', text: '- 1\n- 2\n', message: /not a Kubernetes object/ },
    { name: 'missing kind', text: 'apiVersion: v1\nmetadata: {name: x}\n', message: /not a Kubernetes object/ },
  ])('rejects $name with a position', ({ text, message }) => {
    let caught: unknown;
    try {
      parseManifests(text, 'bad.yaml');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputErrors);
    const problems = (caught as InputErrors).problems;
    expect(problems[0]?.message).toMatch(message);
    expect(problems[0]?.position?.file).toBe('bad.yaml');
  });

  it('flattens List items and skips empty documents', () => {
    const text = '---\n---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: s}\n';
    const docs = parseManifests(text, 'l.yaml');
    expect(docs.map((d) => d.object.kind)).toEqual(['Service']);
    expect(docs[0]?.positionOf(['metadata', 'name'])).toMatchObject({ line: 8 });
  });
});

describe('stringifyYaml quoting', () => {
  it.each([
    ...['on', 'yes', 'No', 'y', 'Y', 'off', 'N', 'True', 'FALSE', 'Null', 'NULL', 'true', 'null', '~', ''],
    ...['12:30', '1:2:3', '190:20:30', '1:20.5', '0o12', '010', '09', '0', '-0', '+1', '1_000', '0b101', '1e3', '0x1F', '.5', '1.'],
    ...['.inf', '-.inf', '.NaN', '685.230_15e+03', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5'],
    ...['<<', '=', '- x', 'a: b', '#x', ' lead', 'trail ', '*a', '&a', '!x', '@x', '%x', '{a}', '[a]', 'tab\there'],
  ])(
    '%s stays a string under YAML 1.1 and 1.2',
    (s) => {
      // As a value, a list item and a key (e.g. a label named `on`).
      const value = { v: s, list: [s], [s]: 1 };
      const out = stringifyYaml(value);
      expect(out).toContain('"');
      expect(parse(out, { version: '1.1' })).toEqual(value);
      expect(parse(out, { version: '1.2' })).toEqual(value);
    },
  );
  it.each(['hello', 'nginx:1.25', 'a-b'])('%s is left plain', (s) => {
    expect(stringifyYaml({ v: s })).toBe(`v: ${s}\n`);
  });
  it.each([
    { name: 'multi-line strings become literal blocks', value: { s: 'a\nb\n' }, yaml: 's: |\n  a\n  b\n' },
    { name: 'without a final newline: strip chomping', value: { s: 'a\nb' }, yaml: 's: |-\n  a\n  b\n' },
    { name: 'undefined fields are dropped', value: { a: undefined, b: 1 }, yaml: 'b: 1\n' },
    { name: 'empty collections stay flow', value: { m: {}, l: [] }, yaml: 'm: {}\nl: []\n' },
    { name: 'sequences are indented under their key', value: { l: [{ a: 1, b: [2] }] }, yaml: 'l:\n  - a: 1\n    b:\n      - 2\n' },
    { name: 'long lines are not folded', value: { s: 'x '.repeat(100).trim() }, yaml: `s: ${'x '.repeat(100).trim()}\n` },
  ])('$name', ({ value, yaml }) => {
    expect(stringifyYaml(value)).toBe(yaml);
  });
  it('is deterministic and separates documents', () => {
    const objs = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { on: 'yes' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } },
    ];
    const a = stringifyManifests(objs);
    expect(a).toBe(stringifyManifests(objs));
    expect(a.split('---\n')).toHaveLength(2);
    expect(a).toContain('"on": "yes"');
  });
});

describe('withPlainEnv', () => {
  /* eslint-disable no-restricted-globals -- checks that withPlainEnv swaps and restores process.env */
  it.each([
    { name: 'returns the result', f: (): number => 42, throws: false },
    {
      name: 'restores process.env when f throws',
      f: (): number => {
        throw new Error('boom');
      },
      throws: true,
    },
  ])('$name and restores the real process.env', ({ f, throws }) => {
    const real = process.env;
    let seen: NodeJS.ProcessEnv | undefined;
    const run = (): number =>
      withPlainEnv(() => {
        seen = process.env;
        return f();
      });
    if (throws) expect(run).toThrow('boom');
    else expect(run()).toBe(42);
    expect(seen).not.toBe(real);
    expect(seen).toEqual({ ...real });
    expect(process.env).toBe(real);
  });
  /* eslint-enable no-restricted-globals */
});
