/** Killing a command together with everything it started. */
import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * Every descendant of `pid` now, read from /proc (children of children included; processes in a
 * nested PID namespace are listed there under their PIDs here). Empty where /proc is not readable.
 */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: fields resume after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift() as number) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * SIGKILL `child` and everything it started, found in /proc at once (no `ps` to wait for): the
 * descendants first, so none is orphaned before it is found.
 */
export function killProcessTree(child: {
  readonly pid?: number | undefined;
  kill(signal: 'SIGKILL'): boolean;
}): void {
  if (child.pid === undefined) return;
  for (const pid of descendantsOf(child.pid).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    child.kill('SIGKILL');
  } catch {
    // already gone
  }
}
