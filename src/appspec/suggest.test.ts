import { describe, expect, it } from 'vitest';
import { closestMatch } from './suggest.ts';

describe('closestMatch', () => {
  const keys = ['replicas', 'dependsOn', 'image', 'ports', 'args', 'hook', 'host', 'key', 'http'];
  it.each([
    ['replicaz', 'replicas'],
    ['replica', 'replicas'],
    ['DependsOn', 'dependsOn'],
    ['depends_on', 'dependsOn'],
    ['imgae', 'image'],
    ['kee', 'key'],
    ['htp', 'http'],
    ['hots', 'host'],
    ['prots', 'ports'],
    ['hok', 'hook'],
    ['volumes', undefined],
    ['port', 'ports'],
    ['x', undefined],
    ['healthcheck', undefined],
  ])('%s → %s', (word, want) => {
    expect(closestMatch(word, keys)).toBe(want);
  });

  it('short words allow one slip only', () => {
    expect(closestMatch('heap', ['hook'])).toBeUndefined();
    expect(closestMatch('cgf', ['cfg'])).toBe('cfg');
  });
});
