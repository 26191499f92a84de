import { describe, expect, it } from 'vitest';
import { isRecord, omit } from './record.ts';

describe('isRecord', () => {
  it.each([
    { v: {}, want: true },
    { v: { a: 1 }, want: true },
    { v: Object.create(null) as unknown, want: true },
    { v: [], want: false },
    { v: [1], want: false },
    { v: null, want: false },
    { v: undefined, want: false },
    { v: 'x', want: false },
    { v: 0, want: false },
    { v: true, want: false },
  ])('$v → $want', ({ v, want }) => {
    expect(isRecord(v)).toBe(want);
  });
});

describe('omit', () => {
  it.each([
    { o: { a: 1, b: 2 }, drop: ['a'], want: { b: 2 } },
    { o: { a: 1 }, drop: [], want: { a: 1 } },
    { o: { a: 1 }, drop: ['x'], want: { a: 1 } },
    { o: {}, drop: ['a'], want: {} },
  ])('$o without $drop → $want', ({ o, drop, want }) => {
    expect(omit(o, drop)).toEqual(want);
  });
});
