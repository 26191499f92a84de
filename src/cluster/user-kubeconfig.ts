/**
 * The user's kubeconfig: `cluster up` merges its context there and makes it current, and
 * `cluster down --delete` takes it out again, as kind, k3d and minikube do, so plain `kubectl` and
 * `slipway` reach the new cluster without `export KUBECONFIG=...`.
 *
 * Which file: kubectl's rule for new entries (kind follows it too): `$KUBECONFIG` alone when it
 * names one file; with several, the first that exists, else the last; unset, `~/.kube/config`.
 * Every write holds `<file>.lock` (the lock kubectl and client-go take), replaces the file
 * atomically (temp file + rename, through a symlink to its target), keeps the file's mode (0600
 * for a new file) and never touches another cluster's, user's or context's entry. A file that is
 * not a kubeconfig is refused before anything is written.
 * @see https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/#merging-kubeconfig-files
 */
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, open, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { conflict, inputError } from '../errors/index.ts';
import { hasEntries, kubeconfigYaml, mergeKubeconfig, parseKubeconfig, removeFromKubeconfig, type KubeconfigDoc } from './kubeconfig.ts';

/** Mode of a kubeconfig slipway creates: it holds a client key. */
const KUBECONFIG_MODE = 0o600;

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The file `cluster up` merges into (see the module comment for the rule). */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const paths = [...new Set((env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p !== ''))];
  const [first] = paths;
  if (first === undefined) return join(home, '.kube', 'config');
  if (paths.length === 1) return first;
  return paths.find(isFile) ?? paths[paths.length - 1] ?? first;
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw inputError(`cannot read ${file}: ${(e as Error).message}`, { cause: e, hint: 'fix its permissions, or run `slipway cluster up --no-merge-kubeconfig`' });
  }
}

/** Refuses early (before a cluster starts) a file that a later merge would refuse. */
export async function checkUserKubeconfig(file: string): Promise<void> {
  parseKubeconfig(await readIfExists(file), file);
}

const LOCK_WAIT_MS = 5_000;

/** `<file>.lock`, created exclusively as client-go does, so slipway and kubectl never write the file at once. */
async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  await mkdir(dirname(file), { recursive: true, mode: 0o755 });
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await open(lock, 'wx', 0o600)).close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw inputError(`cannot lock ${file}: ${(e as Error).message}`, { cause: e });
      if (Date.now() > deadline) {
        throw conflict(`${file} is locked by another writer (${lock} exists)`, {
          cause: e,
          hint: `if no kubectl or slipway is writing it, remove ${lock} and run again`,
        });
      }
      await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

/** Temp file next to the target, then rename: a reader sees the old or the new file, never half of one. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const target = existsSync(file) ? await realpath(file) : file;
  const mode = existsSync(target) ? (await stat(target)).mode & 0o777 : KUBECONFIG_MODE;
  const tmp = join(dirname(target), `.${basename(target)}.slipway-${process.pid}.tmp`);
  try {
    const h = await open(tmp, 'wx', mode);
    try {
      await h.writeFile(text);
      await h.sync();
    } finally {
      await h.close();
    }
    await chmod(tmp, mode); // open's mode is filtered by the umask
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw inputError(`cannot write ${file}: ${(e as Error).message}`, { cause: e, hint: 'fix its permissions, or run `slipway cluster up --no-merge-kubeconfig`' });
  }
}

/** Merges `ours` into `file` and makes its context current. Resolves whether the file changed. */
export async function mergeIntoUserKubeconfig(file: string, ours: KubeconfigDoc): Promise<boolean> {
  return withLock(file, async () => {
    const existing = await readIfExists(file);
    const text = kubeconfigYaml(mergeKubeconfig(existing, ours, file));
    if (text === existing) return false;
    await writeAtomic(file, text);
    return true;
  });
}

/** Removes the cluster, user and context named `name` from `file` (unsetting current-context if it was ours). Resolves whether anything was removed. */
export async function removeFromUserKubeconfig(file: string, name: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  return withLock(file, async () => {
    const doc = parseKubeconfig(await readIfExists(file), file);
    if (!hasEntries(doc, name) && doc['current-context'] !== name) return false;
    await writeAtomic(file, kubeconfigYaml(removeFromKubeconfig(doc, name)));
    return true;
  });
}
