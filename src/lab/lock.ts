/** One lab operation at a time on this machine: a directory lock holding the owner's PID. */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { LOCK_FILE } from './constants.js';
import { sleep } from './exec.js';
import { pidAlive } from './proc.js';

async function tryLock(path: string): Promise<boolean> {
  try {
    await mkdir(path);
    await writeFile(`${path}/pid`, String(process.pid));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    let owner = 0;
    try {
      owner = Number((await readFile(`${path}/pid`, 'utf8')).trim());
    } catch {
      // being written right now, or left empty by a crash
    }
    if (owner === process.pid) return true;
    if (owner && !(await pidAlive(owner))) {
      await rm(path, { recursive: true, force: true });
      return tryLock(path);
    }
    return false;
  }
}

/** Run fn holding `path` (default: the lab's operation lock); waits up to timeoutMs for another holder. */
export async function withLock<T>(fn: () => Promise<T>, timeoutMs = 600_000, path = LOCK_FILE): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let reentrant = false;
  for (;;) {
    try {
      if ((await readFile(`${path}/pid`, 'utf8')).trim() === String(process.pid)) reentrant = true;
    } catch {
      // not held
    }
    if (reentrant || (await tryLock(path))) break;
    if (Date.now() > deadline) throw new Error(`another lab operation holds ${path}`);
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    if (!reentrant) await rm(path, { recursive: true, force: true });
  }
}
