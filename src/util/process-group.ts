/** Killing a command together with everything it started. */

/**
 * SIGKILL the process group led by `child` (spawned with `detached: true`, so
 * it leads its own group): a shell's children die with it. Falls back to the
 * child alone when the group is gone or was never made.
 */
export function killProcessGroup(child: {
  readonly pid?: number | undefined;
  kill(signal: 'SIGKILL'): boolean;
}): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
