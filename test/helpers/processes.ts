/** Looking for processes a test started, to prove a kill really killed them. */
import { execFileSync } from 'node:child_process';

/** Pids whose command line contains `marker` (pgrep -f), excluding pgrep itself. */
export function pgrep(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Poll `cond` until it holds or `ms` passed; its last value. */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}
