/** overlay.*: the L2 VPN device, its daemon and its place in the bridge (its peers: overlay-peers.ts). */

import { BRCTL, BRIF } from '../facts/host/bridge.js';
import { ADDRS, LINKS } from '../facts/host/links.js';
import { OVERLAY_LOG } from '../facts/host/overlay/common.js';
import { PS } from '../facts/host/processes.js';
import { SYSTEMD, unitsOfInterest } from '../facts/host/services.js';
import type { HostFacts } from '../facts/host-facts.js';
import type { Inventory } from '../inventory/types.js';
import type { Evidence } from '../model.js';
import { plural } from '../util/plural.js';
import { type CheckDef, factsOf, fail, hostSpec, pass, skip, warn } from './check.js';
import { peervpnRunState } from './peervpn.js';
import { bridgePorts, ipv4Of, link, sectionEvidence, unreadable, vpnRestartCommand } from './util.js';

const DAEMON: Record<string, string | null> = { peervpn: 'peervpn', tinc: 'tincd', vxlan: null };

export const overlayExists: CheckDef = {
  id: 'overlay.exists',
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
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
    if (!f.links) return unreadable(f, LINKS, 'the network links');
    const l = link(f, iface);
    const restart = vpnRestartCommand(ctx.inventory);
    if (!l) {
      return fail(`${iface} does not exist on ${s.host}`, {
        expected: `a ${type === 'vxlan' ? 'vxlan' : 'tap'} device named ${iface}`,
        actual: `links: ${f.links.map((x) => x.ifname).join(', ')}`,
        evidence: [sectionEvidence(f, LINKS, { excerpt: f.links.map((x) => x.ifname).join(', ') })],
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
          evidence: [sectionEvidence(f, LINKS, { excerpt: `${iface}: kind ${l.kind}` })],
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
          sectionEvidence(f, LINKS, { excerpt: `${iface}: <${l.flags.join(',')}> state ${l.operstate}` }),
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
      sectionEvidence(f, OVERLAY_LOG, {
        excerpt: f.vpnLog.upcmdErrors.join('\n') || 'bridge does not exist',
        note: 'the VPN’s up-script failed when it tried to add the tap to the bridge',
      }),
    );
  }
  return out;
}

export const overlayMember: CheckDef = {
  id: 'overlay.member',
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
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
    if (!ports) return unreadable(f, BRIF, `${bridge}'s ports`);
    const sources: string[] = [`sysfs brif: ${ports.join(' ') || '(none)'}`];
    const evidence: Evidence[] = [sectionEvidence(f, BRIF, { excerpt: ports.join('\n') || '(no ports)' })];
    const master = link(f, overlay.interface)?.master;
    sources.push(`ip link: ${overlay.interface} master ${master ?? '(none)'}`);
    if (f.brctl) {
      const b = f.brctl.find((x) => x.name === bridge);
      sources.push(`brctl show: ${b ? b.interfaces.join(' ') || '(no interfaces)' : `${bridge} not listed`}`);
      evidence.push(sectionEvidence(f, BRCTL));
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
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
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
    if (!f.addresses) return unreadable(f, ADDRS, 'the addresses');
    const have = ipv4Of(f, iface);
    const shown = have.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'no IPv4 address';
    if (!have.some((a) => a.local === want)) {
      const prefix = inv.cluster.overlay.subnet?.split('/')[1] ?? '24';
      return fail(`${iface} on ${s.host} does not hold ${want}: it has ${shown}`, {
        expected: want,
        actual: shown,
        evidence: [sectionEvidence(f, ADDRS, { excerpt: `${iface}: ${shown}` })],
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
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
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

/** The overlay daemon's processes (none for VXLAN, which is in the kernel). */
export function daemonProcesses(f: HostFacts, inv: Inventory) {
  const name = DAEMON[inv.cluster.overlay.type];
  if (!name || !f.processes) return [];
  return f.processes.filter((p) => p.comm === name || p.args.split(/\s+/)[0]?.endsWith(`/${name}`));
}

export const overlayDaemon: CheckDef = {
  id: 'overlay.daemon',
  // Not on a Fan cluster: no L2 overlay there (check.ts judgeCheck).
  l2Overlay: true,
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
    if (!f.processes) return unreadable(f, PS, 'the process list');
    const procs = daemonProcesses(f, inv);
    const unitName = unitsOfInterest(inv)[0];
    const unit = f.units && unitName ? f.units.get(unitName) : undefined;
    const unitNote = unit
      ? `${unitName}: ${unit['ActiveState'] ?? '?'}/${unit['SubState'] ?? '?'}, ${unit['UnitFileState'] ?? '?'}`
      : undefined;
    const evidence = [
      sectionEvidence(f, PS, {
        excerpt: procs.map((p) => `${p.pid} ${p.args}`).join('\n') || '(no process)',
      }),
    ];
    if (unitNote) evidence.push(sectionEvidence(f, SYSTEMD, { excerpt: unitNote }));
    const pv = type === 'peervpn' ? peervpnRunState(f, inv) : null;
    if (procs.length === 0) {
      const how = pv?.kind === 'stopped' ? `: ${pv.how}` : '';
      return fail(`no ${DAEMON[type]} process on ${s.host}${how}`, {
        expected: `a running ${DAEMON[type]}`,
        actual: unitNote ?? 'not in the process list',
        evidence: [
          ...evidence,
          ...(f.vpnLog ? [sectionEvidence(f, OVERLAY_LOG, { excerpt: f.vpnLog.excerpt })] : []),
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
          evidence: [...evidence, sectionEvidence(f, OVERLAY_LOG, { excerpt: f.vpnLog?.excerpt })],
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
