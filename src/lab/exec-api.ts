/** Running commands on lab hosts and in lab containers (the public API). */
import { hostExec } from './host.js';
import { requireState } from './state.js';
import { containerExecIn, currentContainers } from './verify.js';

export { hostExec };

export interface LabExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** Run argv inside a lab container: its network namespace (--no-lxd) or `lxc exec` on its host. */
export async function containerExec(
  name: string,
  argv: string[],
  opts: { timeoutMs?: number } = {},
): Promise<LabExecResult> {
  const s = await requireState();
  // LXD containers can move between hosts: find where each one is now.
  const list = s.options.lxd ? await currentContainers(s) : s.containers;
  const c = list.find((x) => x.name === name);
  if (!c)
    throw new Error(`no lab container ${name} (containers: ${s.containers.map((x) => x.name).join(', ')})`);
  const r = await containerExecIn(s, c, argv, opts.timeoutMs);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}
