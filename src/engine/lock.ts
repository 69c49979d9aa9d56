/**
 * One run per inventory at a time, so two runs do not trample each other's
 * probes. The lock file holds the owner's pid; a lock whose owner is gone is
 * taken over.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class LockBusyError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockPathFor(inventoryFile: string, dir = tmpdir()): string {
  const h = createHash('sha256').update(inventoryFile).digest('hex').slice(0, 16);
  return join(dir, `lxdcheck-${h}.lock`);
}

/** Take the lock or throw LockBusyError naming the holder; returns a release function. */
export function acquireLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new LockBusyError(`another lxdcheck run (pid ${pid}) holds ${path} for this inventory`);
      }
      unlinkSync(path);
    }
  }
  throw new LockBusyError(`could not take ${path}`);
}
