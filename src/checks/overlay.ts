/** overlay.*: the L2 VPN device, its daemon, its place in the bridge, and its peers. */

import { unitsOfInterest } from '../facts/host/services.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { Inventory } from '../inventory/types.js';
import type { Evidence, ResultRef } from '../model.js';
import {
  type CheckDef,
  factsOf,
  fail,
  hostSpec,
  type JudgeContext,
  pass,
  skip,
  type Verdict,
  warn,
} from './check.js';
import { peervpnExcessVerdict, peervpnPeersVerdict, peervpnRunState } from './peervpn.js';
import {
  bridgePorts,
  ipv4Of,
  link,
  otherHosts,
  plural,
  sectionEvidence,
  unreadable,
  vpnRestartCommand,
} from './util.js';

const DAEMON: Record<string, string | null> = { peervpn: 'peervpn', tinc: 'tincd', vxlan: null };

export const overlayExists: CheckDef = {
  id: 'overlay.exists',
  diagnosis: {
    breaks: ['l2'],
    rank: 30,
    explains: [
      'overlay.member',
      'overlay.address',
      'overlay.peers',
      'routes.overlay',
      'bridge.mtu',
      'service-order.*',
    ],
  },
  scope: 'host',
  needs: ['ssh.reachable'],
  title: (_s, inv) => `${inv.cluster.overlay.interface} (${inv.cluster.overlay.type}) is present and up`,
  proves: 'The VPN’s L2 device exists, is the right kind (tap for peervpn/tinc, vxlan for VXLAN) and is up.',
  whyItFails: 'The VPN daemon is not running, failed to open its tap device, or the device was brought down.',
  howToFix: 'Restart the VPN daemon (systemctl restart peervpn / tinc@NET) and read its log.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const { interface: iface, type } = ctx.inventory.cluster.overlay;
    if (!f.links) return unreadable(f, 'links', 'the network links');
    const l = link(f, iface);
    const restart = vpnRestartCommand(ctx.inventory);
    if (!l) {
      return fail(`${iface} does not exist on ${s.host}`, {
        expected: `a ${type === 'vxlan' ? 'vxlan' : 'tap'} device named ${iface}`,
        actual: `links: ${f.links.map((x) => x.ifname).join(', ')}`,
        evidence: [sectionEvidence(f, 'links', { excerpt: f.links.map((x) => x.ifname).join(', ') })],
        hint: {
          why: 'Without the overlay device this host is cut off from the other hosts’ containers.',
          fix:
            type === 'vxlan'
              ? [
                  `ip link add ${iface} type vxlan id <VNI> dstport 4789 local <underlay ip> dev <underlay dev>`,
                ]
              : [restart],
        },
      });
    }
    const wantKind = type === 'vxlan' ? 'vxlan' : 'tun';
    if (l.kind !== undefined && l.kind !== wantKind) {
      return fail(
        `${iface} on ${s.host} is a ${l.kind} device, expected ${wantKind === 'tun' ? 'a tap' : 'vxlan'}`,
        {
          evidence: [sectionEvidence(f, 'links', { excerpt: `${iface}: kind ${l.kind}` })],
        },
      );
    }
    if (wantKind === 'tun' && l.tunType && l.tunType !== 'tap') {
      return fail(`${iface} on ${s.host} is a layer-3 tun device; the overlay must be a layer-2 tap`, {
        hint: { why: 'A tun device carries IP packets, not Ethernet frames: it cannot be a bridge port.' },
      });
    }
    if (!l.up) {
      return fail(`${iface} is down on ${s.host}`, {
        expected: 'UP',
        actual: `flags ${l.flags.join(',')}`,
        evidence: [
          sectionEvidence(f, 'links', { excerpt: `${iface}: <${l.flags.join(',')}> state ${l.operstate}` }),
        ],
        hint: { fix: [`ip link set ${iface} up`] },
      });
    }
    return pass(
      `${iface} is a ${type === 'vxlan' ? `vxlan (id ${l.vxlan?.id ?? '?'})` : 'tap'} device, up, mtu ${l.mtu}`,
    );
  },
};

/** Service-order evidence: why the tap is not on the bridge (used by overlay.member and service-order.*). */
export function serviceOrderEvidence(f: HostFacts): Evidence[] {
  const out: Evidence[] = [];
  if (f.vpnLog && (f.vpnLog.bridgeMissing || f.vpnLog.upcmdErrors.length > 0)) {
    out.push(
      sectionEvidence(f, 'overlay-log', {
        excerpt: f.vpnLog.upcmdErrors.join('\n') || 'bridge does not exist',
        note: 'the VPN’s up-script failed when it tried to add the tap to the bridge',
      }),
    );
  }
  return out;
}

export const overlayMember: CheckDef = {
  id: 'overlay.member',
  diagnosis: { breaks: ['l2'], rank: 40 },
  scope: 'host',
  needs: ['bridge.exists', 'overlay.exists'],
  title: (_s, inv) => `${inv.cluster.overlay.interface} is a port of ${inv.cluster.bridge}`,
  proves: 'Frames from this host’s containers can leave through the VPN: the tap is enslaved to the bridge.',
  whyItFails:
    'Most often service order after a reboot: the VPN’s upcmd `brctl addif lxdbr0 peervpn0` ran before the bridge existed and is never retried. Also a manual `brctl delif`, or LXD recreating the bridge.',
  howToFix:
    'Now: `ip link set peervpn0 master lxdbr0`. For good: order the VPN after the bridge (systemd drop-in) or use LXD’s bridge.external_interfaces.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const { bridge, overlay } = ctx.inventory.cluster;
    const ports = bridgePorts(f, bridge);
    if (!ports) return unreadable(f, 'brif', `${bridge}'s ports`);
    const sources: string[] = [`sysfs brif: ${ports.join(' ') || '(none)'}`];
    const evidence: Evidence[] = [sectionEvidence(f, 'brif', { excerpt: ports.join('\n') || '(no ports)' })];
    const master = link(f, overlay.interface)?.master;
    sources.push(`ip link: ${overlay.interface} master ${master ?? '(none)'}`);
    if (f.brctl) {
      const b = f.brctl.find((x) => x.name === bridge);
      sources.push(`brctl show: ${b ? b.interfaces.join(' ') || '(no interfaces)' : `${bridge} not listed`}`);
      evidence.push(sectionEvidence(f, 'brctl'));
    } else if (f.brctlMissing) {
      evidence.push({
        host: f.host,
        note: 'brctl is not installed; membership read from /sys/class/net and ip link instead',
      });
    }
    const member = ports.includes(overlay.interface) || master === bridge;
    if (member) {
      const otherMaster = master && master !== bridge ? ` (but ip link says master ${master})` : '';
      return pass(`${overlay.interface} is a port of ${bridge}${otherMaster}`);
    }
    evidence.push(...serviceOrderEvidence(f));
    const why = f.vpnLog?.bridgeMissing
      ? 'The VPN started before the bridge existed (its log says the bridge did not exist when the up-script ran): the post-reboot service-order failure.'
      : 'Frames from this host’s containers never reach the VPN, so containers on other hosts are unreachable, even though the VPN may report its peers as connected.';
    return fail(`${overlay.interface} is not a port of ${bridge} on ${s.host}`, {
      expected: `${overlay.interface} in ${bridge}'s ports`,
      actual: sources.join('; '),
      evidence,
      hint: {
        why,
        fix: [
          `ip link set ${overlay.interface} master ${bridge}   # or: brctl addif ${bridge} ${overlay.interface}`,
          'then make it survive reboots: see `lxdcheck explain service-order.vpn-after-bridge`',
        ],
      },
    });
  },
};

export const overlayAddress: CheckDef = {
  id: 'overlay.address',
  diagnosis: { rank: 90, explains: ['routes.overlay'] },
  scope: 'host',
  needs: ['overlay.exists'],
  title: (s, inv) => {
    const a = hostSpec(inv, s.host).overlayAddress;
    return a
      ? `${inv.cluster.overlay.interface} holds ${a}`
      : `${inv.cluster.overlay.interface} address (none in the inventory)`;
  },
  proves: 'The overlay device holds the overlay address the inventory gives it.',
  whyItFails: 'The VPN’s ifconfig4 / tinc-up did not run or was changed.',
  howToFix:
    'Set ifconfig4 (peervpn) or fix tinc-up, then restart the VPN; or drop overlayAddress from the inventory if it is not used.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const inv = ctx.inventory;
    const iface = inv.cluster.overlay.interface;
    const want = hostSpec(inv, s.host).overlayAddress;
    if (!want) return skip('the inventory gives this host no overlayAddress');
    if (!f.addresses) return unreadable(f, 'addrs', 'the addresses');
    const have = ipv4Of(f, iface);
    const shown = have.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'no IPv4 address';
    if (!have.some((a) => a.local === want)) {
      const prefix = inv.cluster.overlay.subnet?.split('/')[1] ?? '24';
      return fail(`${iface} on ${s.host} does not hold ${want}: it has ${shown}`, {
        expected: want,
        actual: shown,
        evidence: [sectionEvidence(f, 'addrs', { excerpt: `${iface}: ${shown}` })],
        hint: { fix: [`ip addr add ${want}/${prefix} dev ${iface}`] },
      });
    }
    return pass(`${iface} holds ${want}`);
  },
};

/**
 * An IPv4 address on a bridge port answers nobody: ARP replies for it arrive
 * on the bridge, not the port. Operators copy this from the original write-up.
 */
export const overlayPortAddresses: CheckDef = {
  id: 'overlay.port-address',
  scope: 'cluster',
  title: (_s, inv) =>
    `no host relies on an address on ${inv.cluster.overlay.interface} while it is a bridge port`,
  proves: 'Host-to-host traffic uses the bridge addresses, not addresses on the enslaved VPN device.',
  whyItFails:
    'peervpn’s ifconfig4 (or tinc-up) puts an address on the tap, and the tap is then added to the bridge: that address becomes unreachable from the other hosts.',
  howToFix:
    'Use the bridge addresses (172.16.0.N) between hosts; remove ifconfig4 or accept that 10.99.0.N only works locally.',
  judge(_s, ctx) {
    const inv = ctx.inventory;
    const { interface: iface } = inv.cluster.overlay;
    const affected: string[] = [];
    for (const h of inv.hosts) {
      const f = ctx.hosts.get(h.name);
      if (!f?.reachable) continue;
      const ports = bridgePorts(f, inv.cluster.bridge) ?? [];
      const addrs = ipv4Of(f, iface);
      if (ports.includes(iface) && addrs.length > 0)
        affected.push(`${h.name} (${addrs.map((a) => a.local).join(', ')})`);
    }
    if (affected.length === 0) return pass(`no IPv4 address sits on an enslaved ${iface}`);
    return warn(
      `${iface} is a bridge port and still has an IPv4 address on ${plural(affected.length, 'host')}: ${affected.join(', ')}; those addresses are unreachable from other hosts`,
      {
        expected: `no IPv4 address on ${iface} while it is in ${inv.cluster.bridge}`,
        actual: affected.join(', '),
        hint: {
          why: 'ARP replies for an address on a bridge port arrive on the bridge, so pings to it from other hosts fail. lxdcheck pings the bridge addresses instead (mesh.bridge).',
          fix: [
            `# use ${inv.cluster.bridge} addresses between hosts; optionally remove ifconfig4 from peervpn.conf`,
          ],
        },
      },
    );
  },
};

function daemonProcesses(f: HostFacts, inv: Inventory) {
  const name = DAEMON[inv.cluster.overlay.type];
  if (!name || !f.processes) return [];
  return f.processes.filter((p) => p.comm === name || p.args.split(/\s+/)[0]?.endsWith(`/${name}`));
}

export const overlayDaemon: CheckDef = {
  id: 'overlay.daemon',
  diagnosis: {
    breaks: ['l2'],
    rank: 20,
    explains: [
      'overlay.exists',
      'overlay.member',
      'overlay.address',
      'overlay.peers',
      'routes.overlay',
      'service-order.*',
    ],
  },
  scope: 'host',
  needs: ['ssh.reachable'],
  title: (_s, inv) => `the ${inv.cluster.overlay.type} daemon is running`,
  proves:
    'The VPN daemon process runs (and, under systemd, its unit is active and enabled so it starts at boot).',
  whyItFails: 'It crashed, was stopped, failed to start (bad config), or is not enabled at boot.',
  howToFix: 'systemctl enable --now peervpn (or tinc@NET); read its log.',
  judge(s, ctx) {
    const f = factsOf(ctx, s.host);
    const inv = ctx.inventory;
    const type = inv.cluster.overlay.type;
    if (type === 'vxlan') return skip('kernel VXLAN has no daemon');
    if (!f.processes) return unreadable(f, 'ps', 'the process list');
    const procs = daemonProcesses(f, inv);
    const unitName = unitsOfInterest(inv)[0];
    const unit = f.units && unitName ? f.units.get(unitName) : undefined;
    const unitNote = unit
      ? `${unitName}: ${unit['ActiveState'] ?? '?'}/${unit['SubState'] ?? '?'}, ${unit['UnitFileState'] ?? '?'}`
      : undefined;
    const evidence = [
      sectionEvidence(f, 'ps', {
        excerpt: procs.map((p) => `${p.pid} ${p.args}`).join('\n') || '(no process)',
      }),
    ];
    if (unitNote) evidence.push(sectionEvidence(f, 'systemd', { excerpt: unitNote }));
    const pv = type === 'peervpn' ? peervpnRunState(f, inv) : null;
    if (procs.length === 0) {
      const how = pv?.kind === 'stopped' ? `: ${pv.how}` : '';
      return fail(`no ${DAEMON[type]} process on ${s.host}${how}`, {
        expected: `a running ${DAEMON[type]}`,
        actual: unitNote ?? 'not in the process list',
        evidence: [
          ...evidence,
          ...(f.vpnLog ? [sectionEvidence(f, 'overlay-log', { excerpt: f.vpnLog.excerpt })] : []),
        ],
        hint: {
          why: 'Without the daemon this host’s bridge is an island.',
          fix: [
            vpnRestartCommand(inv),
            type === 'tinc' ? `tincd -n ${inv.cluster.overlay.network ?? 'lxd'}` : '',
          ].filter(Boolean),
        },
      });
    }
    if (pv?.kind === 'stale-log') {
      return warn(
        `${DAEMON[type]} runs on ${s.host}, but the log lxdcheck read ends in a shutdown (\`exit.\`): it is not the running daemon's log`,
        {
          evidence: [...evidence, sectionEvidence(f, 'overlay-log', { excerpt: f.vpnLog?.excerpt })],
          hint: { fix: ['set overlay.logFile (or overlay.unit) in the inventory to where this daemon logs'] },
        },
      );
    }
    if (
      unit?.['UnitFileState'] &&
      !['enabled', 'static', 'indirect', 'generated'].includes(unit['UnitFileState'])
    ) {
      return warn(
        `${DAEMON[type]} runs on ${s.host}, but ${unitName} is ${unit['UnitFileState']}: it will not start at boot`,
        {
          evidence,
          hint: { fix: [`systemctl enable ${unitName}`] },
        },
      );
    }
    const age = pv?.kind === 'running' && pv.ageSeconds !== null ? `, up ${pv.ageSeconds} s` : '';
    return pass(
      `${DAEMON[type]} runs (pid ${procs.map((p) => p.pid).join(', ')}${age})${unitNote ? `; ${unitNote}` : ''}`,
    );
  },
};

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
        ? 'overlay-dump'
        : inv.cluster.overlay.type === 'vxlan'
          ? 'overlay-fdb'
          : 'overlay-log';
    const isPeervpn = inv.cluster.overlay.type === 'peervpn';
    if (isPeervpn) {
      // Stopped, starting, a stale log, or peers lost to a psk / networkname or a stopped peer.
      const logEvidence = f.raw[section] ? [sectionEvidence(f, section, { excerpt: state?.excerpt })] : [];
      const v = peervpnPeersVerdict(ctx, s.host ?? '', pingDown, [
        ...logEvidence,
        ...(f.mesh ? [sectionEvidence(f, 'mesh-ping')] : []),
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
    if (f.mesh) evidence.push(sectionEvidence(f, 'mesh-ping'));
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
