/**
 * Faults: each is a real change to the running lab, recorded in the state so
 * that heal can undo it. labBreak says what it did; labHeal undoes everything
 * and proves the lab healthy again. What each fault is and how it is applied
 * and undone lives in its own file under faults/ (the registry: faults/index.ts).
 */

import { renewContainer, restartPeervpn } from './faults/common.js';
import { FAULT_NAMES, FAULTS, type FaultName, isFaultName } from './faults/index.js';
import { withLock } from './lock.js';
import { requeryMulticast } from './multicast.js';
import { startTincd, stopDaemon } from './services.js';
import { settleOverlay } from './settle.js';
import { findHost, type LabState, requireState, writeLabState } from './state.js';
import { currentContainers, inDhcpRange, verifyLab, verifyUntilHealthy } from './verify.js';

/** Restart every host's VPN daemon (tincd or the peervpn stand-in), one host after the other, and settle. */
export async function restartOverlay(s: LabState, log: (line: string) => void): Promise<void> {
  for (const h of s.hosts) {
    if (s.options.overlay === 'peervpn') await restartPeervpn(h);
    else if (s.options.overlay === 'tinc') {
      await stopDaemon(h, h.daemons.tincd);
      h.daemons.tincd = await startTincd(h);
    }
  }
  await writeLabState(s);
  await settleOverlay(s, log);
}

/**
 * The bounded fallback of up and heal: a tinc mesh (also under the peervpn stand-in) that came up with
 * one pair not forwarding works after its daemons restart. Twice at most: once in CI and once in the
 * demo one pair still did not forward after the first restart of every daemon. Each round is bounded
 * by verifyUntilHealthy's 45 s. Returns what is still wrong.
 */
export async function restartUntilHealthy(
  s: LabState,
  problems: string[],
  log: (line: string) => void,
  what: string,
): Promise<string[]> {
  let left = problems;
  for (let round = 1; round <= 2 && left.length > 0 && s.options.overlay !== 'vxlan'; round++) {
    log(`lab: ${what} (${left.join('; ')}); restarting the overlay's daemons (round ${round} of 2)`);
    await restartOverlay(s, log);
    left = await verifyUntilHealthy(s);
  }
  return left;
}

export async function labBreak(fault: FaultName, opts: { host?: string } = {}): Promise<string> {
  if (!isFaultName(fault)) throw new Error(`unknown fault ${fault}; known: ${FAULT_NAMES.join(', ')}`);
  return withLock(async () => {
    const s = await requireState();
    if (s.phase !== 'ready')
      throw new Error('the lab is not ready (half-built?): run `lxdcheck lab up` again');
    const def = FAULTS[fault];
    const hostName = opts.host ?? def.host;
    const h = s.hosts.find((x) => x.name === hostName);
    if (!h) {
      throw new Error(
        `fault ${fault} targets ${hostName}, which this lab does not have (hosts: ${s.hosts.map((x) => x.name).join(', ')}); pass --host`,
      );
    }
    if (s.faults.some((f) => f.name === fault))
      throw new Error(`fault ${fault} is already applied; heal first`);
    if (def.overlay && s.options.overlay !== def.overlay)
      throw new Error(`${fault} needs the ${def.overlay} overlay (lxdcheck lab up --overlay ${def.overlay})`);
    if (def.needsLxd && !s.options.lxd)
      throw new Error(`${fault} needs the lab's LXD (lxdcheck lab up without --no-lxd)`);
    const { detail, data } = await def.apply(s, h);
    s.faults.push({ name: fault, host: h.name, at: new Date().toISOString(), detail, data });
    await writeLabState(s);
    return `${fault} on ${h.name}: ${detail}`;
  });
}

export async function labHeal(log: (line: string) => void): Promise<void> {
  await withLock(() => healInner(log));
}

/** Undo every applied fault (newest first), then repair container leases and verify. */
export async function healInner(log: (line: string) => void): Promise<void> {
  const s = await requireState();
  const faults = [...s.faults].reverse();
  for (const f of faults) {
    const h = findHost(s, f.host);
    // A state file from another lxdcheck version may name a fault this one does not know.
    if (!isFaultName(f.name))
      throw new Error(`lab state names an unknown fault "${f.name}": \`lxdcheck lab down\` and up again`);
    await FAULTS[f.name].undo(s, h, f);
    s.faults = s.faults.filter((x) => x !== f);
    await writeLabState(s);
    log(`lab: healed ${f.name} on ${f.host}`);
  }
  // A restarted tinc poisons route caches with low path MTUs until its own discovery settles.
  if (faults.length > 0) await settleOverlay(s, log);
  // Leases handed out while broken (a rogue server, no server) are renewed from the one dnsmasq.
  let problems = await verifyLab(s);
  if (problems.length > 0) {
    for (const c of await currentContainers(s)) {
      const stale = !inDhcpRange(c.address) || problems.some((p) => p.includes(`${c.name}.lxd`));
      if (stale) {
        log(`lab: renewing ${c.name}'s lease (${c.address ?? 'none'})`);
        await renewContainer(s, c);
      }
    }
    await writeLabState(s);
    problems = await verifyLab(s);
  }
  // A restarted VPN or a re-added address can take a few seconds to carry traffic again.
  if (problems.length > 0) problems = await verifyUntilHealthy(s, 20_000);
  // Seen on a loaded machine: after one peer's tincd restarted, another peer's daemon kept a state
  // in which it did not forward to it for minutes. Restarting every tincd clears it, as it would
  // for an operator; bounded like everything else.
  problems = await restartUntilHealthy(s, problems, log, 'still unhealthy');
  // A healed fault may have re-created an overlay port: the querier asks at once (src/lab/multicast.ts).
  if (problems.length === 0) problems = await requeryMulticast(s);
  if (problems.length > 0) throw new Error(`lab still unhealthy after heal: ${problems.join('; ')}`);
  if (faults.length === 0) log('lab: no faults applied; lab is healthy');
  else log('lab: healthy');
}
