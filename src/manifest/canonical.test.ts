import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.ts';

describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: { d: [{ z: 1, y: 2 }], c: 'x' } }, '{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}'],
    [[3, 'a', null, true], '[3,"a",null,true]'],
    [{ a: undefined, b: 1 }, '{"b":1}'],
    ['é"\n', '"é\\"\\n"'],
  ])('%j → %s', (v, want) => {
    expect(canonicalJson(v)).toBe(want);
    expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
  });
});

it('drops undefined values, as JSON does', () => {
  expect(canonicalJson({ b: 1, a: [{ d: undefined, c: 2 }] })).toBe('{"a":[{"c":2}],"b":1}');
});
