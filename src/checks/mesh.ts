/** mesh.*: every host reaches every other host across the overlay (active, harmless pings). */

import { MESH_OVERLAY_PING, MESH_PING, meshPeers, PMTU } from '../facts/host/mesh.js';
import { type HostFacts, overloadNote } from '../facts/host-facts.js';
import { overlayAddressUsable } from '../facts/overlay-address.js';
import type { PingResult } from '../facts/types.js';
import type { Inventory } from '../inventory/types.js';
import type { Metrics, Subject } from '../model.js';
import { type CheckDef, factsOf, fail, hostSpec, type JudgeContext, pass, skip, warn } from './check.js';
import { localCause } from './overlay-peers.js';
import { pingMetrics, sectionEvidence } from './util.js';

function describe(r: PingResult): string {
  const rtt =
    r.rttAvgMs !== undefined ? `, rtt min/avg/max ${r.rttMinMs}/${r.rttAvgMs}/${r.rttMaxMs} ms` : '';
  return `${r.sent} sent, ${r.received} received, ${r.lossPercent}% loss${rtt}${r.error ? ` (${r.error})` : ''}`;
}

const VPN_PORT: Record<string, string> = { peervpn: '7000/udp', tinc: '655/tcp+udp', vxlan: '4789/udp' };

/** Fixes for a host that every pair touching it fails with, while nothing on it says why. */
function cutOffFix(host: string | null, inv: Inventory): string[] {
  const { bridge, overlay } = inv.cluster;
  const port = VPN_PORT[overlay.type] ?? 'the VPN port';
  if (host === null) {
    return [
      `# no host reaches any other: check that the underlay carries the VPN (${port}) between all hosts`,
      `ip -d link show ${overlay.interface}; bridge link show   # on each host: up, and a port of ${bridge}?`,
    ];
  }
  return [
    `ip -d link show ${overlay.interface}; bridge link show   # on ${host}: up, and a port of ${bridge}?`,
    `ip neigh show dev ${bridge}   # on ${host}: do the other bridges' MACs appear?`,
    `# from another host: is ${host}'s VPN port (${port}) reachable on the underlay (firewall)?`,
  ];
}

function mtuFix(host: string | null, inv: Inventory): string[] {
  const ov = inv.cluster.overlay.interface;
  const where = host ? ` on ${host}` : ' on every host';
  return [
    `ip link show ${ov}   #${where}: is its MTU below 1500?`,
    `ip link set ${ov} mtu 1500   #${where}; the underlay must carry the VPN overhead on top`,
  ];
}

function pingVerdict(
  ctx: JudgeContext,
  f: HostFacts,
  s: Subject,
  target: string,
  what: string,
  section = MESH_PING,
) {
  if (!f.mesh) {
    const r = f.raw[section];
    return {
      status: 'error' as const,
      summary: `${s.host} could not run its pings${r?.timedOut ? ' (timed out)' : ''}`,
      evidence: [sectionEvidence(f, section)],
    };
  }
  const r = f.mesh.find((m) => m.target === target);
  const notes = [`${f.meshTool ?? 'ping'} from ${s.host}`];
  if (r?.confirmRound)
    notes.push(
      r.confirmRound.lostAgain
        ? `loss confirmed by a second round (${r.confirmRound.received}/${r.confirmRound.sent} replies)`
        : `a second round got ${r.confirmRound.received}/${r.confirmRound.sent} replies`,
    );
  const busy = overloadNote(f);
  if (busy && r && r.received < r.sent) notes.push(busy);
  const ev = [sectionEvidence(f, section, { note: notes.join('; ') })];
  if (!r) return { status: 'error' as const, summary: `no ping result for ${target}`, evidence: ev };
  const metrics = pingMetrics(r);
  if (r.received === 0) {
    // Name the cause when one end's own facts show it; the check that found it carries the fix.
    const cause = localCause(ctx, s.peer ?? '') ?? localCause(ctx, s.host ?? '');
    return fail(
      `${s.host} cannot reach ${s.peer}'s ${what} ${target}: ${describe(r)}${cause ? `; ${cause.text}` : ''}`,
      {
        expected: '0% loss',
        actual: describe(r),
        evidence: ev,
        metrics,
        ...(cause ? { cause: cause.ref } : {}),
        hint: {
          why: cause
            ? `Containers on these two hosts cannot talk because ${cause.text}.`
            : 'Containers on these two hosts cannot talk. Usual causes: the peer’s VPN is down (overlay.peers), a route is missing (routes.*), or a firewall on the underlay.',
          fix: [
            cause
              ? `lxdcheck explain ${cause.ref.check}`
              : `lxdcheck explain overlay.peers   # and look at routes.* on ${s.host} and ${s.peer}`,
          ],
        },
      },
    );
  }
  if (r.received < r.sent) {
    return warn(`${s.host} reaches ${s.peer}'s ${what} ${target} with loss: ${describe(r)}`, {
      expected: '0% loss',
      actual: describe(r),
      evidence: ev,
      metrics,
      hint: { why: 'Packet loss across the overlay: congested underlay, a flapping peer or an MTU problem.' },
    });
  }
  return pass(`${target}: ${describe(r)}`, { metrics });
}

export const meshBridge: CheckDef = {
  id: 'mesh.bridge',
  diagnosis: { needs: ['l2', 'address'], pattern: { breaks: ['l2'], fix: cutOffFix } },
  scope: 'pair',
  needs: ['ssh.reachable@host'],
  title: (s, inv) => `${s.host} pings ${s.peer}'s bridge ${hostSpec(inv, s.peer).bridgeAddress}`,
  proves: 'Frames cross the overlay between these two hosts, bridge to bridge.',
  whyItFails: 'A tap not on its bridge, a VPN peer down, a missing route, or a firewall on the underlay.',
  howToFix:
    'Look at overlay.member, overlay.peers and routes.* for both hosts; the failing one names the fix.',
  judge(s, ctx) {
    return pingVerdict(ctx, factsOf(ctx, s.host), s, hostSpec(ctx.inventory, s.peer).bridgeAddress, 'bridge');
  },
};

export const meshOverlay: CheckDef = {
  id: 'mesh.overlay',
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
  diagnosis: { needs: ['l2'], pattern: { breaks: ['l2'], fix: cutOffFix } },
  scope: 'pair',
  needs: ['ssh.reachable@host'],
  title: (s, inv) =>
    `${s.host} pings ${s.peer}'s overlay address ${hostSpec(inv, s.peer).overlayAddress ?? ''}`,
  proves: 'The overlay addresses answer (only where they are not on an enslaved tap, where they cannot).',
  whyItFails: 'The VPN link between the two hosts is down, or the route to the overlay subnet is missing.',
  howToFix: 'Look at overlay.peers and routes.overlay on both hosts.',
  subjects(ctx) {
    // Both ends matter: an enslaved tap on the sender gets the ARP replies on its bridge, not the tap.
    const hosts = ctx.inventory.hosts
      .map((h) => h.name)
      .filter((h) => overlayAddressUsable(ctx.inventory, ctx.hosts, h));
    const usable = new Set(hosts);
    return hosts.flatMap((a) =>
      meshPeers(ctx.inventory, a)
        .filter((b) => usable.has(b.name))
        .map((b) => ({ host: a, peer: b.name })),
    );
  },
  judge(s, ctx) {
    const target = hostSpec(ctx.inventory, s.peer).overlayAddress;
    if (!target) return skip('no overlay address in the inventory');
    return pingVerdict(ctx, factsOf(ctx, s.host), s, target, 'overlay address', MESH_OVERLAY_PING);
  },
};

export const meshPmtu: CheckDef = {
  id: 'mesh.pmtu',
  diagnosis: { needs: ['l2', 'address', 'mtu'], pattern: { breaks: ['mtu'], fix: mtuFix } },
  scope: 'pair',
  needs: ['mesh.bridge'],
  title: (s) => `full-size 1500-byte frames pass from ${s.host} to ${s.peer} with don't-fragment set`,
  proves: 'The overlay carries full Ethernet frames end to end (no silent MTU black hole).',
  whyItFails:
    'The tap’s MTU is below 1500, or the underlay cannot carry the VPN’s overhead on top of 1500 bytes.',
  howToFix:
    'Raise the tap MTU to 1500 and the underlay MTU by the VPN overhead, or lower every container’s MTU to the largest size that passes.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const target = hostSpec(ctx.inventory, s.peer).bridgeAddress;
    const r = f.pmtu?.find((p) => p.target === target);
    const ev = [sectionEvidence(f, PMTU, { note: `ping -M do -s <mtu-28> ${target}` })];
    if (!r) return { status: 'error', summary: `no path-MTU probe result for ${target}`, evidence: ev };
    const largest = r.largestOk;
    const metrics: Metrics = { mtu: r.fullOk ? 1500 : (largest ?? 0) };
    if (r.fullOk) return pass(`1500-byte frames reach ${target}`, { metrics });
    if (largest !== undefined && largest !== null) metrics['largestMtu'] = largest;
    if (r.cachedMtu !== undefined) metrics['cachedMtu'] = r.cachedMtu;
    const ov = ctx.inventory.cluster.overlay.interface;
    const br = ctx.inventory.cluster.bridge;
    const localMtu = f.links?.find((l) => l.ifname === br)?.mtu ?? 1500;
    if (r.cachedMtu !== undefined && r.cachedMtu < localMtu) {
      // The kernel refuses locally: it learned a smaller path MTU from an ICMP "fragmentation needed".
      return fail(
        `${s.host} has a cached path MTU of ${r.cachedMtu} towards ${s.peer} (${target})${r.cacheExpiresSeconds !== undefined ? `, expiring in ${r.cacheExpiresSeconds} s` : ''}: full-size packets are refused before they leave`,
        {
          expected: `no cached MTU below ${localMtu}`,
          metrics,
          actual: `ip route get ${target}: ${r.routeGet?.replace(/\s+/g, ' ').trim() ?? ''}`,
          evidence: [
            sectionEvidence(f, PMTU, {
              excerpt: r.routeGet ?? '',
              note: `largest passing MTU ${largest ?? 'none'}`,
            }),
          ],
          hint: {
            why: 'Something on the path sent an ICMP "fragmentation needed" with a small MTU — tinc does this while its own path-MTU discovery is still probing, e.g. right after it restarted — and the kernel believes it for ten minutes.',
            fix: [
              `ip route flush cache   # on ${s.host}, once the overlay has settled`,
              `ip route get ${target}   # should show no 'mtu' any more`,
            ],
          },
        },
      );
    }
    return fail(
      `1500-byte frames from ${s.host} to ${s.peer} are dropped; largest that passes: ${largest ?? 'none of the probed sizes'}`,
      {
        expected: 'MTU 1500 end to end',
        metrics,
        actual: `largest passing MTU ${largest ?? 'none'}${r.fullError ? ` (${r.fullError})` : ''}`,
        evidence: ev,
        hint: {
          why: 'Small packets pass and large ones vanish: SSH logins work, but scp, TLS and migrations hang.',
          fix: [
            `ip link set ${ov} mtu 1500   # on both hosts, if the tap is lower`,
            largest
              ? `# or set every container's eth0 MTU to ${largest}`
              : '# check the underlay MTU carries the VPN overhead',
          ],
        },
      },
    );
  },
};
