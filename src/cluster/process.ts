/**
 * Detached component processes: started so they outlive the CLI (own session, stdio to a log
 * file), tracked by pid files, stopped with SIGTERM then SIGKILL.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { writeFile, readFile, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { internal } from '../errors/index.ts';

export interface StartInput {
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly pidFile: string;
  readonly cwd: string;
}

/** Starts a detached process and records its pid; returns the pid. */
export async function startDetached(input: StartInput): Promise<number> {
  const fd = openSync(input.logFile, 'a');
  try {
    const child = spawn(input.binary, [...input.args], {
      cwd: input.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      // Proxies in the user's environment must not capture 127.0.0.1 traffic between components.
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid ?? 0));
    });
    child.unref();
    if (pid === 0) throw internal(`${basename(input.binary)} did not start`, { cause: input.binary });
    await writeFile(input.pidFile, `${pid}\n`);
    return pid;
  } catch (e) {
    throw internal(`could not start ${basename(input.binary)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

export async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(pidFile, 'utf8')).trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True if `pid` runs and (where /proc exists) is still the binary we started: pids are
 * recycled, and a stale pid file must not make `status` report a dead component as alive or
 * `down` signal a stranger's process.
 */
export function isAlive(pid: number, binaryName?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' && binaryName === undefined;
  }
  if (binaryName === undefined) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 is the state; a zombie has exited already.
    if (/\) Z /.test(stat)) return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return basename(cmdline) === binaryName;
  } catch {
    return true; // no /proc (macOS): the signal check is all we have
  }
}

export interface StopInput {
  readonly pid: number;
  readonly binaryName: string;
  /** @default 10000 */
  readonly graceMs?: number;
}

/** SIGTERM, wait up to the grace period, then SIGKILL. Returns how it ended. */
export async function stopProcess({ pid, binaryName, graceMs = 10_000 }: StopInput): Promise<'not-running' | 'terminated' | 'killed'> {
  if (!isAlive(pid, binaryName)) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!isAlive(pid, binaryName)) return 'terminated';
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'terminated';
  }
  for (let i = 0; i < 50 && isAlive(pid, binaryName); i++) await sleep(100);
  return 'killed';
}

export async function removePidFile(pidFile: string): Promise<void> {
  await rm(pidFile, { force: true });
}
