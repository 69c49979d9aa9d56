/**
 * One run per inventory at a time, so two runs do not trample each other's
 * probes: a PID lock (util/pid-lock.ts) named after the inventory file.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releasePidLock, tryPidLock } from '../util/pid-lock.js';

export class LockBusyError extends Error {}

export function lockPathFor(inventoryFile: string, dir = tmpdir()): string {
  const h = createHash('sha256').update(inventoryFile).digest('hex').slice(0, 16);
  return join(dir, `lxdcheck-${h}.lock`);
}

/** Take the lock or throw LockBusyError naming the holder; returns a release function. */
export function acquireLock(path: string): () => void {
  const got = tryPidLock(path);
  if (!got.ok) {
    const who =
      got.holder === undefined ? 'another lxdcheck run' : `another lxdcheck run (pid ${got.holder})`;
    throw new LockBusyError(`${who} holds ${path} for this inventory`);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    releasePidLock(path);
  };
}
