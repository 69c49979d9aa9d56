/** One lab operation at a time on this machine: the PID lock of util/pid-lock.ts. */
import { pidLockHolder, releasePidLock, waitForPidLock } from '../util/pid-lock.js';
import { LOCK_FILE } from './constants.js';

/**
 * Run fn holding `path` (default: the lab's operation lock); waits up to timeoutMs for another holder.
 * Reentrant: an operation that runs another inside it does not wait for itself.
 */
export async function withLock<T>(fn: () => Promise<T>, timeoutMs = 600_000, path = LOCK_FILE): Promise<T> {
  const reentrant = pidLockHolder(path) === process.pid;
  if (!reentrant && !(await waitForPidLock(path, timeoutMs))) {
    throw new Error(`another lab operation holds ${path}`);
  }
  try {
    return await fn();
  } finally {
    if (!reentrant) releasePidLock(path);
  }
}
