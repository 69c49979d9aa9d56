/**
 * The one PID lock: a directory made with mkdir (atomic: exactly one maker
 * wins) holding a `pid` file with the owner's process id. A lock whose owner
 * is gone is taken over. The directory form is shared with the shell's
 * `mkdir LOCK && echo $$ > LOCK/pid`, which the lab test lock is also taken
 * with outside node. Used for one run per inventory (engine/lock.ts), one lab
 * operation at a time (lab/lock.ts) and one lab test file at a time.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A lock without a pid yet is being written, unless it is older than this (its maker crashed). */
const UNWRITTEN_GRACE_MS = 10_000;

/** Whether a process with this pid runs (a zombie does not: it holds nothing any more). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: kill(0) is all we know
  }
}

/**
 * The pid in the lock, undefined when there is no lock or no pid in it yet.
 * A plain file holding a pid (the form engine/lock.ts once wrote) counts too.
 */
export function pidLockHolder(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${path}/pid`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') return undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export type PidLockAttempt = { ok: true } | { ok: false; holder: number | undefined };

/** Take the lock now, or say who holds it (holder undefined: its pid is still being written). */
export function tryPidLock(path: string): PidLockAttempt {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      mkdirSync(path, { mode: 0o700 });
      writeFileSync(`${path}/pid`, `${process.pid}\n`, { mode: 0o600 });
      return { ok: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = pidLockHolder(path);
    if (holder !== undefined && pidAlive(holder)) return { ok: false, holder };
    if (holder === undefined && !unwrittenTooLong(path)) return { ok: false, holder };
    // The holder is gone (or crashed before writing its pid): take the lock over.
    rmSync(path, { recursive: true, force: true });
  }
  return { ok: false, holder: pidLockHolder(path) };
}

function unwrittenTooLong(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > UNWRITTEN_GRACE_MS;
  } catch {
    return true; // gone meanwhile: free
  }
}

/** Give the lock back if this process holds it (never remove another's lock that took over ours). */
export function releasePidLock(path: string): void {
  if (pidLockHolder(path) === process.pid) rmSync(path, { recursive: true, force: true });
}

/** Take the lock, waiting for its holder up to timeoutMs; false when it is still held then. */
export async function waitForPidLock(path: string, timeoutMs: number, pollMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryPidLock(path).ok) return true;
    if (Date.now() > deadline) return false;
    await sleep(pollMs);
  }
}
