/**
 * A release of several services is one unit (no peer does this: argo-rollouts#2088, flagger#1700).
 *
 * When one `slipway deploy` changes several canary or blue-green services, each ServiceRollout
 * carries `spec.release`: the release id, every member, and the members it depends on. The
 * controller then:
 *  - starts a member's canary only once the members it depends on are promoted in this release
 *    (dependencies first); a dependency that aborted aborts it before it starts;
 *  - when a member aborts, rolls back the members this release already promoted, in reverse order:
 *    a member rolls back once no member depending on it is still promoted;
 *  - keeps what a rollback needs (the previous stable template, and the config it mounts) until
 *    every member is promoted: then the release is complete.
 * Members wake each other through the controller's watch on ServiceRollouts (rolloutReconciler);
 * the decisions read the informer's cache, which those very events keep current.
 */
import { templateHash, type Run } from './run.ts';
import type { ServiceRollout } from './types.ts';

export type Member = Pick<ServiceRollout, 'metadata' | 'spec' | 'status'>;

/** The member's desired revision. */
const desiredOf = (m: Member): string => templateHash(m.spec.template);

/** Promoted in its release: stable runs the desired template and it is healthy. */
const promotedIn = (m: Member, id: string): boolean => m.spec.release?.id === id && m.status?.stableRevision === desiredOf(m) && m.status.phase === 'Healthy';

/** Aborted (or rolled back) in its release: its desired revision is the aborted one. */
const abortedIn = (m: Member, id: string): boolean => m.spec.release?.id === id && m.status?.abortedRevision === desiredOf(m);

export type Gate = { readonly go: true } | { readonly wait: string } | { readonly abort: string };

/** Whether `self` may start its canary: every member it depends on is promoted in this release. */
export function startGate(self: Member, lookup: (name: string) => Member | undefined): Gate {
  const rel = self.spec.release;
  if (!rel) return { go: true };
  for (const name of rel.after) {
    const dep = lookup(name);
    if (dep && abortedIn(dep, rel.id)) return { abort: `release ${rel.id}: ${name}, which this service depends on, aborted` };
    if (!dep || !promotedIn(dep, rel.id)) return { wait: `release ${rel.id}: waiting for ${name} (a dependency in the same release) to be promoted first` };
  }
  return { go: true };
}

/**
 * For a member promoted in its release: `rollback` (with why) when another member aborted and no
 * member depending on this one is still promoted; `complete` when every member is promoted;
 * otherwise `hold`.
 */
export function releaseVerdict(self: Member, members: readonly Member[]): { readonly rollback: string } | { readonly complete: true } | { readonly hold: true } {
  const rel = self.spec.release;
  if (!rel) return { complete: true };
  const others = members.filter((m) => m.metadata.name !== self.metadata.name && m.spec.release?.id === rel.id);
  const failed = others.find((m) => abortedIn(m, rel.id));
  if (failed) {
    const dependents = others.filter((m) => (m.spec.release?.after ?? []).includes(self.metadata.name ?? ''));
    const stillPromoted = dependents.filter((m) => promotedIn(m, rel.id));
    return stillPromoted.length === 0 ? { rollback: `release ${rel.id}: ${failed.metadata.name ?? '?'} aborted` } : { hold: true };
  }
  // Complete once every member of the release (as the spec lists them) is promoted.
  const byName = new Map(others.map((m) => [m.metadata.name ?? '', m]));
  const all = rel.members.filter((n) => n !== self.metadata.name).every((n) => {
    const m = byName.get(n);
    return m !== undefined && promotedIn(m, rel.id);
  });
  return all ? { complete: true } : { hold: true };
}

/**
 * The start gate for the rollout `r` reconciles, with its wait recorded in the status: `abort`
 * (with why) for the caller to abort its own way, `waiting`, or undefined when it may start.
 * Members are read from the controller's informer cache.
 */
export async function gateStart(r: Run): Promise<{ readonly abort: string } | 'waiting' | undefined> {
  const gate = startGate(r.ro, (name) => r.ctx.informers.informer(r.primary).get(name, r.ns) as unknown as Member | undefined);
  if ('abort' in gate) return gate;
  if ('go' in gate) return undefined;
  if (r.st.message !== gate.wait) await r.writeStatus({ phase: 'Progressing', message: gate.wait });
  return 'waiting';
}
