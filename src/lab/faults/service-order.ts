/** service-order: the post-reboot race, the VPN up before lxdbr0, so its up-script cannot bridge it. */
import { readFile } from 'node:fs/promises';
import { BRIDGE, OVERLAY_IF, PEERVPN_LOG, TINC_LOG, VXLAN_LOG } from '../constants.js';
import { must, run, waitFor } from '../exec.js';
import { createBridge } from '../host.js';
import { startPeervpn } from '../peervpn.js';
import { hostLogFile, startTincd, startVxlan, stopDaemon } from '../services.js';
import type { LabHost, LabState } from '../state.js';
import { addIf, restartPeervpn } from './common.js';
import { defineFault } from './types.js';

/** Bridge ports of lxdbr0 on a host, except peervpn0. */
async function containerPorts(h: LabHost): Promise<string[]> {
  const r = await run(['ip', '-n', h.netns, '-j', 'link', 'show', 'master', BRIDGE]);
  return (JSON.parse(r.stdout || '[]') as { ifname: string }[])
    .map((l) => l.ifname)
    .filter((n) => n !== OVERLAY_IF);
}

async function logTail(h: LabHost, file: string, from: number): Promise<string> {
  try {
    return (await readFile(hostLogFile(h, file), 'utf8')).slice(from);
  } catch {
    return '';
  }
}

async function logSize(h: LabHost, file: string): Promise<number> {
  try {
    return (await readFile(hostLogFile(h, file), 'utf8')).length;
  } catch {
    return 0;
  }
}

/** Where the overlay's daemon (or up-script) logs on a host. */
function overlayLog(s: LabState): string {
  return s.options.overlay === 'peervpn' ? PEERVPN_LOG : s.options.overlay === 'tinc' ? TINC_LOG : VXLAN_LOG;
}

export const serviceOrder = defineFault({
  name: 'service-order',
  summary:
    'post-reboot service order: the VPN starts before lxdbr0 exists, its up-script cannot add peervpn0 to the bridge; the bridge comes up later without it',
  whatYouSee:
    "peervpn0 missing from `brctl show` on that host, `bridge lxdbr0 does not exist!` in the VPN log, the host's bridge and containers unreachable from other hosts while the VPN itself reports its peers connected",
  host: 'lxd2',
  needsLxd: false,
  async apply(s, h) {
    const ports = await containerPorts(h);
    const log = overlayLog(s);
    const before = await logSize(h, log);
    const steps: string[] = [];
    if (s.options.overlay === 'peervpn') {
      const old = h.daemons.peervpn;
      await stopDaemon(h, old);
      steps.push(`stopped peervpn (pid ${old?.pid})`);
      await must(['ip', '-n', h.netns, 'link', 'del', BRIDGE]);
      steps.push(`deleted ${BRIDGE}`);
      h.daemons.peervpn = await startPeervpn(h);
      steps.push(`started peervpn (pid ${h.daemons.peervpn.pid})`);
    } else if (s.options.overlay === 'tinc') {
      const old = h.daemons.tincd;
      await stopDaemon(h, old);
      steps.push(`stopped tincd (pid ${old?.pid})`);
      await must(['ip', '-n', h.netns, 'link', 'del', BRIDGE]);
      steps.push(`deleted ${BRIDGE}`);
      h.daemons.tincd = await startTincd(h);
      steps.push(`started tincd (pid ${h.daemons.tincd.pid})`);
    } else {
      await must(['ip', '-n', h.netns, 'link', 'del', OVERLAY_IF]);
      await must(['ip', '-n', h.netns, 'link', 'del', BRIDGE]);
      steps.push(`deleted ${OVERLAY_IF} and ${BRIDGE}`);
      await startVxlan(h).catch(() => undefined); // its brctl fails, which is the point
      steps.push(`ran the VXLAN up-script`);
    }
    const trace = await waitFor(`${h.name}: the up-script's failure in ${log}`, 5000, async () => {
      const t = await logTail(h, log, before);
      return t.includes('does not exist') ? t : undefined;
    });
    const line = trace
      .split('\n')
      .find((l) => l.includes('does not exist'))
      ?.trim();
    steps.push(`its up-script logged "${line}"`);
    await createBridge(h.netns, h.index);
    for (const p of ports) await must(['ip', '-n', h.netns, 'link', 'set', p, 'master', BRIDGE]);
    steps.push(
      `re-created ${BRIDGE} ${h.bridgeAddress}/16 and re-attached ${ports.length} container port(s)`,
    );
    steps.push(`${OVERLAY_IF} is not a bridge port`);
    return { detail: steps.join('; ') };
  },
  // The durable fix, as an operator would do it: restart the VPN now that the bridge exists, so its
  // up-script runs again (a bare addif would leave the failed start in the daemon's current log).
  async undo(s, h) {
    if (s.options.overlay === 'peervpn') return restartPeervpn(h);
    if (s.options.overlay !== 'tinc') return addIf(h);
    await stopDaemon(h, h.daemons.tincd);
    h.daemons.tincd = await startTincd(h);
  },
});
