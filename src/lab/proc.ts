/** Processes by PID, read from /proc: alive (a zombie counts as dead), namespace PIDs, kill and wait. */
import { readFile, readlink } from 'node:fs/promises';
import { pidAlive as isAlive } from '../util/pid-lock.js';
import { sleep } from './exec.js';

/** True when the process exists and is not a zombie (this machine's PID 1 reaps slowly). */
export async function pidAlive(pid: number | undefined): Promise<boolean> {
  return pid !== undefined && pid > 0 && isAlive(pid);
}

export async function pidNamespace(pid: number): Promise<string | null> {
  try {
    return await readlink(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
}

/** Direct children of a process (root-namespace PIDs). */
export async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * The root-namespace PID of the process that a host (whose init is `initPid`)
 * knows as `nsPid`: searched among the init's descendants (daemons are its
 * children once they daemonize). null when not found.
 */
export async function rootPidOf(initPid: number, nsPid: number): Promise<number | null> {
  if (nsPid === 1) return initPid;
  const queue = [initPid];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const ids = /^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
      if (ids.length >= 2 && ids[1] === nsPid) return pid;
    } catch {
      continue;
    }
    queue.push(...(await childrenOf(pid)));
  }
  return null;
}

/** SIGKILL every PID and wait (bounded) until each is gone or a zombie. */
export async function killAndWait(pids: readonly number[], timeoutMs = 5000): Promise<number[]> {
  const live = pids.filter((p) => p > 1);
  for (const p of live) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  let left = live;
  while (left.length > 0 && Date.now() < deadline) {
    const alive = await Promise.all(left.map(pidAlive));
    left = left.filter((_, i) => alive[i]);
    if (left.length > 0) await sleep(20);
  }
  return left;
}
