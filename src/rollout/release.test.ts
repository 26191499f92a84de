import { describe, expect, it } from 'vitest';
import { releaseVerdict, startGate, type Member } from './release.ts';
import { templateHash } from './run.ts';
import { omit } from '../manifest/index.ts';

const T = (image: string): Record<string, unknown> => ({ spec: { containers: [{ name: 'main', image }] } });
const NEW = T('v2');
const OLD = T('v1');
type State = 'promoted' | 'aborted' | 'progressing' | 'stale';
/** A member in release `R` (or `stale`: still on another release's spec). */
const m = (name: string, state: State, after: string[] = [], members: string[] = ['db', 'cache', 'api']): Member => ({
  metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: NEW, strategy: { canary: { steps: [{ setWeight: 50 }] } }, release: { id: state === 'stale' ? 'OLD' : 'R', members, after } },
  status:
    state === 'promoted'
      ? { stableRevision: templateHash(NEW), phase: 'Healthy' }
      : state === 'aborted'
        ? { stableRevision: templateHash(OLD), abortedRevision: templateHash(NEW), phase: 'Degraded' }
        : { stableRevision: templateHash(OLD), phase: 'Progressing' },
});

describe('startGate: dependencies first', () => {
  it.each<[string, State | undefined, 'go' | 'wait' | 'abort']>([
    ['the dependency is promoted in this release', 'promoted', 'go'],
    ['the dependency is still in its canary', 'progressing', 'wait'],
    ['the dependency has not got this release yet', 'stale', 'wait'],
    ['the dependency does not exist yet', undefined, 'wait'],
    ['the dependency aborted', 'aborted', 'abort'],
  ])('%s → %s', (_n, dep, want) => {
    const g = startGate(m('api', 'progressing', ['db']), (n) => (n === 'db' && dep ? m('db', dep) : undefined));
    expect(Object.keys(g)[0]).toBe(want);
  });

  it('a rollout outside any release always goes', () => {
    const spec = omit(m('api', 'progressing').spec, ['release']) as Member['spec'];
    expect(startGate({ metadata: { name: 'api' }, spec }, () => undefined)).toEqual({ go: true });
  });
});

describe('releaseVerdict: roll back promoted members in reverse order', () => {
  // db <- cache <- api (api depends on cache, cache on db)
  it.each<[string, string, Member[], 'rollback' | 'complete' | 'hold']>([
    ['all promoted: complete', 'db', [m('cache', 'promoted', ['db']), m('api', 'promoted', ['cache'])], 'complete'],
    ['api still in its canary: hold', 'db', [m('cache', 'promoted', ['db']), m('api', 'progressing', ['cache'])], 'hold'],
    ['api aborted: cache (nothing promoted depends on it) rolls back', 'cache', [m('db', 'promoted'), m('api', 'aborted', ['cache'])], 'rollback'],
    ['api aborted but cache still promoted: db waits for cache', 'db', [m('cache', 'promoted', ['db']), m('api', 'aborted', ['cache'])], 'hold'],
    ['cache rolled back too: now db rolls back', 'db', [m('cache', 'aborted', ['db']), m('api', 'aborted', ['cache'])], 'rollback'],
    ['a member of another release that aborted does not count', 'db', [m('cache', 'stale', ['db']), m('api', 'promoted', ['cache'])], 'hold'],
  ])('%s', (_n, self, others, want) => {
    const me = others.length > 0 ? m(self, 'promoted', self === 'cache' ? ['db'] : []) : m(self, 'promoted');
    expect(Object.keys(releaseVerdict(me, [me, ...others]))[0]).toBe(want);
  });
});
