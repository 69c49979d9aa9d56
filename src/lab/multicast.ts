/**
 * The lab's IGMP querier (lxd1's bridge) and the router ports it teaches.
 *
 * A snooping bridge that has heard a querier forwards a local container's
 * group traffic only to ports with members and to its multicast router ports
 * (ports a query arrived on). Re-creating the overlay device (a VPN restart)
 * drops its router-port mark; until the next general query (up to 125 s) that
 * host's containers' multicast reaches no other host unless another host
 * happened to announce the group over the overlay. Seen in CI right after a
 * lab build that restarted its tinc daemons. A healthy lab must not carry
 * that state, so after every (re)start the querier asks again at once.
 */
import { parseMdbRouterPorts } from '../facts/parsers/bridge-mdb.js';
import { BRIDGE, OVERLAY_IF } from './constants.js';
import { pMap } from './exec.js';
import { execOn } from './host.js';
import type { LabHost, LabState } from './state.js';

async function isRouterPort(h: LabHost): Promise<boolean> {
  const r = await execOn(h, ['bridge', '-d', 'mdb', 'show', 'dev', BRIDGE], { timeoutMs: 5000 });
  return r.exitCode === 0 && parseMdbRouterPorts(r.stdout, BRIDGE).some((p) => p.port === OVERLAY_IF);
}

/**
 * Make the querier send a general query now (switching it off and on starts
 * its start-up queries) and wait, bounded, until every other host's overlay
 * port is a router port again. Returns the hosts where it is not.
 */
export async function requeryMulticast(state: LabState, timeoutMs = 5000): Promise<string[]> {
  const [querier, ...others] = state.hosts;
  if (!querier || others.length === 0) return [];
  const set = (v: '0' | '1') =>
    execOn(querier, ['ip', 'link', 'set', BRIDGE, 'type', 'bridge', 'mcast_querier', v], { timeoutMs: 5000 });
  await set('0');
  await set('1');
  const deadline = Date.now() + timeoutMs;
  let missing = others;
  while (missing.length > 0) {
    const ok = await pMap(missing, 16, isRouterPort);
    missing = missing.filter((_, i) => !ok[i]);
    if (missing.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return missing.map(
    (h) =>
      `${h.name}: ${OVERLAY_IF} is not a multicast router port of ${BRIDGE} (no IGMP query from ${querier.name} heard)`,
  );
}
