/** killProcessTree finds a command's whole tree in /proc and kills it at once, grandchildren included. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { descendantsOf, killProcessTree } from '../../src/util/process-group.js';

const dead = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return 'ZX'.includes(stat.slice(stat.lastIndexOf(')') + 2)[0] ?? '');
  } catch {
    return true;
  }
};

test('a shell with a forked child and a grandchild: all found, all killed', async (t) => {
  const child = spawn('sh', ['-c', 'sleep 60 & sh -c "sleep 61 & wait" & wait'], { stdio: 'ignore' });
  const pid = child.pid ?? 0;
  let found: number[] = [];
  for (let i = 0; i < 40 && found.length < 3; i++) {
    await new Promise((r) => setTimeout(r, 25));
    found = descendantsOf(pid);
  }
  // sleep 60, the inner sh, and its sleep 61 (the inner sh's own fork may still be on its way).
  t.true(found.length >= 3, `descendants: ${found.join(' ')}`);
  t.teardown(() => {
    for (const p of found) if (!dead(p)) process.kill(p, 'SIGKILL');
  });
  killProcessTree(child);
  for (let i = 0; i < 20 && !found.every(dead); i++) await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(
    found.filter((p) => !dead(p)),
    [],
  );
  t.deepEqual(descendantsOf(999_999_999), []);
});
