/**
 * Repository credentials from the Secret that `spec.source.secretRef` names, in the app's own
 * namespace (an app can use only credentials its namespace holds). https: `password` (or
 * `token`) and optionally `username`; ssh: `sshPrivateKey` and `knownHosts`. Values are never
 * put in a message: errors name the Secret and the keys, nothing else.
 */
import { inputError, notFound, unsupported } from '../errors/index.ts';
import type { KubeClient } from '../kube/index.ts';
import type { GitCredentials } from './git.ts';
import type { SlipwayApp } from './types.ts';

const decode = (v: unknown): string | undefined => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined);

export const isSsh = (url: string): boolean => /^ssh:\/\//i.test(url) || /^[^/:@]+@[^:/]+:/.test(url);

/** The credentials of `data` (a Secret's base64 data) for `url`; `where` names the Secret in messages. */
export function credentialsOf(data: Record<string, unknown>, url: string, where: string): GitCredentials {
  const get = (k: string): string | undefined => decode(data[k]);
  if (isSsh(url)) {
    const privateKey = get('sshPrivateKey');
    const knownHosts = get('knownHosts');
    if (!privateKey) throw inputError(`Secret ${where} has no sshPrivateKey for the ssh repository`, { cause: undefined, expected: 'keys sshPrivateKey and knownHosts', hint: 'kubectl create secret generic <name> --from-file=sshPrivateKey=id_ed25519 --from-file=knownHosts=known_hosts' });
    if (!knownHosts) throw inputError(`Secret ${where} has no knownHosts: ssh host keys are always verified`, { cause: undefined, expected: 'a knownHosts key (`ssh-keyscan <host>` output, checked out of band)', hint: 'add it with --from-file=knownHosts=known_hosts' });
    return { kind: 'ssh', privateKey, knownHosts };
  }
  if (/^http:\/\//i.test(url)) throw unsupported(`credentials are never sent over plain http (${where})`, { cause: undefined, hint: 'use an https:// repoURL' });
  const password = get('password') ?? get('token');
  if (!password) throw inputError(`Secret ${where} has no password (or token) for the https repository`, { cause: undefined, expected: 'keys password (a token with read access) and optionally username', hint: 'kubectl create secret generic <name> --from-literal=username=x-access-token --from-file=password=token.txt' });
  return { kind: 'https', username: get('username') ?? 'x-access-token', password };
}

export async function credentialsFor(client: KubeClient, app: SlipwayApp, signal?: AbortSignal): Promise<GitCredentials | undefined> {
  const ref = app.spec.source.secretRef;
  if (!ref) return undefined;
  const ns = app.metadata.namespace ?? 'default';
  const secret = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: ref.name }, signal ? { signal } : {});
  if (!secret) throw notFound(`Secret ${ns}/${ref.name} (spec.source.secretRef) does not exist`, { cause: undefined, hint: `create it in namespace ${ns}: docs/gitops.md, "Private repositories"` });
  return credentialsOf((secret['data'] ?? {}) as Record<string, unknown>, app.spec.source.repoURL, `${ns}/${ref.name}`);
}
