/** How the migration scenario moves its probe from A to B: the destination, then live, stateless or cold. */
import { parseLxcList } from '../../facts/parsers/lxc.js';
import type { Evidence, Hint } from '../../model.js';
import { checkAborted, evidence, type Migration, run } from './context.js';
import { containerInfo } from './observe.js';

export interface MoveOutcome {
  ok: boolean;
  method?: string;
  ms: number;
  reason?: string;
  evidence: Evidence[];
  hint?: Hint;
}

/**
 * Where `lxc move` sends the probe: a real LXD cluster moves with --target; standalone daemons need a
 * remote on A that points at B (a failed outcome when there is none).
 */
async function destination(m: Migration): Promise<{ dest: string[] } | MoveOutcome> {
  const { src, dst, lxc, name } = m;
  const list = await run(m, src, [lxc, 'list', name, '--format', 'json']);
  const clustered = list.exitCode === 0 && parseLxcList(list.stdout)[0]?.location !== undefined;
  if (clustered) return { dest: ['--target', dst.name] };
  const remotes = await run(m, src, [lxc, 'remote', 'list', '--format', 'json']);
  let remote: string | undefined;
  try {
    const doc = JSON.parse(remotes.stdout) as Record<string, { Addr?: string }>;
    const hostsOfB = [dst.name, dst.ssh.hostname, dst.bridgeAddress];
    remote = Object.entries(doc).find(
      ([rname, r]) =>
        hostsOfB.includes(rname) ||
        hostsOfB.some((x) => (r.Addr ?? '').includes(`//${x}:`) || (r.Addr ?? '').endsWith(`//${x}`)),
    )?.[0];
  } catch {
    remote = undefined;
  }
  if (!remote) {
    return {
      ok: false,
      ms: 0,
      reason: `no LXD remote on ${src.name} points at ${dst.name}`,
      evidence: [evidence(src, [lxc, 'remote', 'list'], remotes)],
      hint: {
        fix: [
          `on ${src.name}: ${lxc} remote add ${dst.name} https://${dst.ssh.hostname}:8443   # with a trust token from ${dst.name}`,
        ],
      },
    };
  }
  return { dest: [`${remote}:${name}`] };
}

/** Try live (when CRIU is on both ends), then stateless, then cold; make sure the probe runs on B. */
export async function moveContainer(m: Migration): Promise<MoveOutcome> {
  const { src, dst, lxc, name } = m;
  const t0 = Date.now();
  const evidenceList: Evidence[] = [];
  const where = await destination(m);
  if (!('dest' in where)) return where;
  const { dest } = where;
  // Live migration needs CRIU on both ends; without it LXD fails part-way, so do not try.
  const criu = await Promise.all([src, dst].map((h) => run(m, h, ['sh', '-c', 'command -v criu'], 10_000)));
  const live = criu.every((r) => r.exitCode === 0);
  if (!live)
    evidenceList.push({
      note: `live migration not attempted: criu is not installed on ${[src, dst]
        .filter((_, i) => criu[i]?.exitCode !== 0)
        .map((h) => h.name)
        .join(' and ')}`,
    });
  const attempts: { method: string; steps: string[][] }[] = [
    ...(live ? [{ method: 'live migration (CRIU)', steps: [[lxc, 'move', name, ...dest]] }] : []),
    { method: 'stateless move (stop, copy, start)', steps: [[lxc, 'move', name, ...dest, '--stateless']] },
    {
      method: 'cold move (stop, move, start)',
      steps: [
        [lxc, 'stop', name],
        [lxc, 'move', name, ...dest],
      ],
    },
  ];
  for (const at of attempts) {
    let ok = true;
    for (const step of at.steps) {
      const r = await run(m, src, step, 240_000);
      evidenceList.push(evidence(src, step, r));
      if (r.exitCode !== 0) {
        ok = false;
        break;
      }
    }
    checkAborted(m);
    if (ok) {
      // Make sure it runs on B (a cold move leaves it stopped).
      const c = await containerInfo(m, dst);
      if (c && !c.running) {
        const r = await run(m, dst, [lxc, 'start', name], 120_000);
        evidenceList.push(evidence(dst, [lxc, 'start', name], r));
      }
      return { ok: true, method: at.method, ms: Date.now() - t0, evidence: evidenceList };
    }
    // A failed live attempt may leave the container stopped on A; later attempts handle that.
  }
  return { ok: false, ms: Date.now() - t0, reason: 'every move method failed', evidence: evidenceList };
}
