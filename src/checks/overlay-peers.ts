import { MESH_PING } from '../facts/host/mesh.js';
import { OVERLAY_LOG } from '../facts/host/overlay/common.js';
import { OVERLAY_DUMP } from '../facts/host/overlay/tinc.js';
import { OVERLAY_FDB } from '../facts/host/overlay/vxlan.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { Inventory } from '../inventory/types.js';
import type { Evidence, ResultRef } from '../model.js';
import { type CheckDef, factsOf, fail, type JudgeContext, pass, type Verdict, warn } from './check.js';
import { daemonProcesses } from './overlay.js';
import { peervpnExcessVerdict, peervpnPeersVerdict } from './peervpn.js';
import {
  bridgePorts,
  ipv4Of,
  link,
  otherHosts,
  sectionEvidence,
  unreadable,
  vpnRestartCommand,
} from './util.js';

/** Which other hosts this host cannot ping on their bridge address (the second signal for peer checks). */
export function unreachablePeersByPing(f: HostFacts, inv: Inventory, host: string): string[] | null {
  if (!f.mesh) return null;
  const out: string[] = [];
  for (const o of otherHosts(inv, host)) {
    const r = f.mesh.find((m) => m.target === o.bridgeAddress);
    if (r && r.received === 0) out.push(o.name);
  }
  return out;
}

/** A fault found on one host, and the check whose result carries it. */
export interface LocalCause {
  text: string;
  ref: ResultRef;
}

/**
 * A fault on a host itself that explains why pings to (or from) it fail
 * while its VPN link is fine: its tap is off its bridge, its bridge is
 * missing or down, or the bridge lacks its address. null when none is
 * known (or the host could not be read).
 */
export function localCause(ctx: JudgeContext, host: string): LocalCause | null {
  const f = ctx.hosts.get(host);
  const inv = ctx.inventory;
  if (!f?.reachable || !f.links) return null;
  const { bridge, overlay } = inv.cluster;
  const on = { host };
  const br = link(f, bridge);
  if (!br) return { text: `${host} has no ${bridge}`, ref: { check: 'bridge.exists', subject: on } };
  if (!br.up) return { text: `${bridge} is down on ${host}`, ref: { check: 'bridge.exists', subject: on } };
  const ports = bridgePorts(f, bridge);
  if (ports && link(f, overlay.interface) && !ports.includes(overlay.interface)) {
    return {
      text: `${overlay.interface} is not a port of ${bridge} on ${host}`,
      ref: { check: 'overlay.member', subject: on },
    };
  }
  const want = inv.hosts.find((h) => h.name === host)?.bridgeAddress;
  if (want && f.addresses && !ipv4Of(f, bridge).some((a) => a.local === want)) {
    return {
      text: `${bridge} on ${host} does not hold ${want}`,
      ref: { check: 'bridge.address', subject: on },
    };
  }
  // Another bridge answering ARP for this host's address steals its replies.
  const thief = inv.hosts.find((h) => {
    const other = ctx.hosts.get(h.name);
    return h.name !== host && other?.addresses && ipv4Of(other, bridge).some((a) => a.local === want);
  });
  if (want && thief) {
    return {
      text: `${want} is also held by ${thief.name}`,
      ref: { check: 'bridge.unique-address', subject: {} },
    };
  }
  return null;
}

/**
 * The data the diagnosis reads, added to a verdict judged elsewhere (peervpn's
 * states): the peers it is about, the count, and whether this host itself is
 * cut off (it reaches none of the others).
 */
function withPeerData(v: Verdict, f: HostFacts, inv: Inventory, pingDown: string[]): Verdict {
  if (v.status === 'pass' || v.status === 'skip') return v;
  const expected = inv.hosts.length - 1;
  const count = f.peervpn?.log?.peerCount ?? f.overlayPeers?.connectedCount ?? null;
  const isolated = expected > 0 && (pingDown.length === expected || (count === 0 && pingDown.length > 0));
  return {
    ...v,
    ...(count !== null ? { metrics: { peersConnected: count, peersExpected: expected } } : {}),
    ...(isolated ? { breaks: ['l2' as const] } : { involves: pingDown }),
  };
}

/** Map names/addresses the VPN reports to inventory host names where possible. */
function hostNameFor(inv: Inventory, key: string): string {
  const h = inv.hosts.find(
    (x) => x.name === key || x.ssh.hostname === key || x.overlayAddress === key || x.bridgeAddress === key,
  );
  return h?.name ?? key;
}

export const overlayPeers: CheckDef = {
  id: 'overlay.peers',
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
  diagnosis: { needs: ['l2'], rank: 50 },
  scope: 'host',
  readsOtherHosts: true,
  needs: ['overlay.exists'],
  title: (_s, inv) =>
    `the ${inv.cluster.overlay.type} daemon is connected to all ${inv.hosts.length - 1} other hosts`,
  proves: 'The VPN reports a connection to every other host, and pings across the bridge agree.',
  whyItFails:
    'A peer’s daemon is down, a firewall blocks the VPN port, initpeers/ConnectTo is wrong, or keys/psk differ.',
  howToFix:
    'Start the VPN on the missing peer; check the VPN port (peervpn 7000/udp, tinc 655) between the hosts.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const inv = ctx.inventory;
    const expected = inv.hosts.length - 1;
    const state = f.overlayPeers;
    const pingDown = unreachablePeersByPing(f, inv, s.host ?? '') ?? [];
    const section =
      inv.cluster.overlay.type === 'tinc'
        ? OVERLAY_DUMP
        : inv.cluster.overlay.type === 'vxlan'
          ? OVERLAY_FDB
          : OVERLAY_LOG;
    const isPeervpn = inv.cluster.overlay.type === 'peervpn';
    if (isPeervpn) {
      // Stopped, starting, a stale log, or peers lost to a psk / networkname or a stopped peer.
      const logEvidence = f.raw[section] ? [sectionEvidence(f, section, { excerpt: state?.excerpt })] : [];
      const v = peervpnPeersVerdict(ctx, s.host ?? '', pingDown, [
        ...logEvidence,
        ...(f.mesh ? [sectionEvidence(f, MESH_PING)] : []),
      ]);
      if (v) return withPeerData(v, f, inv, pingDown);
    }
    if (!state || state.connectedCount === null) {
      if (inv.cluster.overlay.type !== 'vxlan' && daemonProcesses(f, inv).length === 0 && f.processes) {
        return fail(`the ${inv.cluster.overlay.type} daemon is not running on ${s.host}: no peers`, {
          expected: `${expected} peers`,
          actual: '0 (no daemon)',
          evidence: [sectionEvidence(f, section)],
          hint: { fix: [vpnRestartCommand(inv)] },
        });
      }
      return unreadable(f, section, 'the VPN peer state');
    }
    const evidence: Evidence[] = [sectionEvidence(f, section, { excerpt: state.excerpt })];
    if (f.mesh) evidence.push(sectionEvidence(f, MESH_PING));
    const missing = state.disconnected.map((d) => hostNameFor(inv, d));
    const lag =
      state.ageSeconds !== undefined && state.ageSeconds > 0
        ? ` (reported ${state.ageSeconds}s of uptime before the log ends)`
        : '';
    const metrics = { peersConnected: state.connectedCount, peersExpected: expected };
    const known = (names: string[]) => names.filter((n) => inv.hosts.some((h) => h.name === n));
    if (state.connectedCount < expected) {
      const names = missing.length > 0 ? missing : pingDown;
      return fail(
        `${s.host}: ${state.connectedCount} of ${expected} peers connected${names.length ? `; missing: ${names.join(', ')}` : ''}`,
        {
          expected: `${expected} peers`,
          actual: `${state.connectedCount} peers (${state.source})${lag}`,
          evidence,
          metrics,
          // A host that reaches no peer at all is cut off itself; otherwise this result is about the missing ones.
          ...(state.connectedCount === 0 ? { breaks: ['l2' as const] } : { involves: known(names) }),
          hint: {
            why: 'Containers on a missing peer are unreachable from this host.',
            fix: names.map((n) => `on ${n}: ${vpnRestartCommand(inv) || `check the overlay device`}`),
          },
        },
      );
    }
    // Second signal: the log can say a peer is up long after it died (peervpn takes ~110 s to notice).
    // Pings that fail for a reason local to one end (its tap off its bridge, say) do not blame the VPN link.
    const own = localCause(ctx, s.host ?? '');
    const explained = pingDown.map((n) => ({ n, cause: own ?? localCause(ctx, n) }));
    const unexplained = explained.filter((e) => e.cause === null).map((e) => e.n);
    if (pingDown.length > 0 && unexplained.length === 0) {
      return pass(
        `${state.connectedCount} of ${expected} peers connected (${state.source}); pings to ${pingDown.join(', ')} fail because ${[...new Set(explained.map((e) => e.cause?.text))].join('; ')}`,
        { evidence, metrics },
      );
    }
    if (unexplained.length > 0) {
      return fail(
        `${s.host}: the VPN reports ${state.connectedCount} peers, but ${unexplained.join(', ')} ${unexplained.length === 1 ? 'does' : 'do'} not answer pings across the bridge`,
        {
          expected: `${expected} peers that answer`,
          actual: `${state.connectedCount} reported (${state.source})${lag}; no reply from ${unexplained.join(', ')}`,
          evidence,
          metrics,
          involves: known(unexplained),
          hint: {
            why: 'The VPN’s count lags (peervpn notices a dead peer only after ~100 s) or the peer is connected but its tap is not on its bridge.',
            fix: unexplained.map(
              (n) =>
                `on ${n}: ${vpnRestartCommand(inv) || 'ip link show ' + inv.cluster.overlay.interface}   # if its VPN daemon died: the VPN's own count lags`,
            ),
          },
        },
      );
    }
    if (state.connectedCount > expected && isPeervpn) {
      // Sessions, not peers: a restarted peer counts twice for ~100 s.
      return peervpnExcessVerdict(ctx, s.host ?? '', evidence);
    }
    if (state.connectedCount > expected) {
      return warn(
        `${s.host}: ${state.connectedCount} peers connected, but the inventory lists only ${expected} other hosts`,
        {
          evidence,
          hint: {
            why: 'A host outside the inventory is on the L2 (a forgotten node?): lxdcheck does not check it.',
          },
        },
      );
    }
    return pass(
      `${state.connectedCount} of ${expected} peers connected (${state.source}), and they answer pings`,
      { metrics },
    );
  },
};
