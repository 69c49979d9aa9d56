/**
 * The bridge (the overlay's master on the hosts, else LXD's managed one or
 * the only bridge), each host's addresses and sudo, and the subnets.
 */
import {
  type Findings,
  type InferOptions,
  type InferredHost,
  type InferredOverlay,
  inNetwork,
  ipv4On,
  list,
  networkOf,
  type Sourced,
  tally,
} from './infer-common.js';
import type { HostOverlay } from './infer-overlay.js';
import type { Observation } from './observe.js';

/** The bridges a host has, and the masters its ports name. */
export function bridgesOf(o: Observation): Set<string> {
  return new Set([
    ...o.links.filter((l) => l.kind === 'bridge').map((l) => l.ifname),
    ...o.links.map((l) => l.master).filter((m): m is string => m !== undefined),
  ]);
}

export function inferBridge(
  f: Findings,
  opts: InferOptions,
  chosen: (HostOverlay | undefined)[],
  overlayIface: string | undefined,
): Sourced<string> | undefined {
  const { observations, undecided, notes, hostOf } = f;
  let bridge: Sourced<string> | undefined;
  if (opts.bridge) {
    const missing = observations
      .map((o, i) => (bridgesOf(o).has(opts.bridge!) ? '' : hostOf(i)))
      .filter(Boolean);
    bridge = { value: opts.bridge, from: '--bridge' };
    if (missing.length > 0) notes.push(`--bridge ${opts.bridge}: no such bridge on ${list(missing)}`);
  } else {
    const viaOverlay = observations.map((_, i) => {
      const c = chosen[i];
      return c && c.iface === overlayIface ? c.master : undefined;
    });
    const votes = tally(viaOverlay.filter((b): b is string => b !== undefined));
    if (votes.length > 0) {
      const v = votes[0]!;
      if (votes[1] && votes[1].count === v.count) {
        undecided.push({
          field: 'cluster.bridge',
          why: `${overlayIface} is a port of different bridges (${list(votes.map((x) => x.value))}); pass --bridge`,
        });
      } else {
        bridge = {
          value: v.value,
          from: `${overlayIface} is its port on ${v.count === observations.length ? 'every host' : `${v.count} of ${observations.length} hosts`}`,
        };
        if (votes.length > 1) {
          undecided.push({
            field: 'cluster.bridge',
            why: `taken by majority: ${overlayIface} is a port of ${list(votes.map((x) => `${x.value} on ${x.count}`))} hosts; pass --bridge to choose`,
          });
        } else if (v.count < observations.length) {
          // Some hosts do not show it: confirm rather than trust the others silently.
          const loose = observations.map((_, i) => (viaOverlay[i] ? '' : hostOf(i))).filter(Boolean);
          undecided.push({
            field: 'cluster.bridge',
            why: `taken from ${v.count} of ${observations.length} hosts: on ${list(loose)} ${overlayIface} is a port of no bridge (lxdcheck run will report that host)`,
          });
        }
      }
    } else {
      // No overlay port to go by: LXD's managed bridge, the lxd-bridge script's, or the only bridge.
      const evidence = observations.map((o) => {
        const managed = o.lxdNetworks.filter((n) => n.managed && n.type === 'bridge').map((n) => n.name);
        if (managed.length === 1)
          return { name: managed[0]!, from: `${o.lxdClient ?? 'lxc'} network list (managed)` };
        const legacy = o.lxdBridge?.values['LXD_BRIDGE'];
        if (legacy) return { name: legacy, from: '/etc/default/lxd-bridge LXD_BRIDGE' };
        const all = [...bridgesOf(o)];
        if (all.length === 1) return { name: all[0]!, from: 'the only bridge' };
        return undefined;
      });
      const v = tally(evidence.filter((e) => e !== undefined).map((e) => e.name));
      if (v.length === 1 || (v.length > 1 && v[0]!.count > v[1]!.count)) {
        const name = v[0]!.value;
        bridge = { value: name, from: evidence.find((e) => e?.name === name)!.from };
        if (v.length > 1)
          undecided.push({
            field: 'cluster.bridge',
            why: `taken by majority among ${list(v.map((x) => x.value))}; pass --bridge`,
          });
      } else {
        const all = [...new Set(observations.flatMap((o) => [...bridgesOf(o)]))];
        undecided.push({
          field: 'cluster.bridge',
          why:
            all.length === 0
              ? 'no host has a bridge'
              : `no overlay device is a bridge port and several bridges could be the cluster's (${list(all)}); pass --bridge`,
        });
      }
    }
  }
  return bridge;
}

/** Each host's addresses on the bridge and the overlay, its sudo, and the subnets they agree on. */
export function inferAddresses(
  f: Findings,
  names: Sourced<string>[],
  bridge: Sourced<string> | undefined,
  overlay: InferredOverlay | undefined,
  overlayIface: string | undefined,
): { hosts: InferredHost[]; subnet?: Sourced<string> } {
  const { observations, undecided, notes, hostOf } = f;
  const hosts: InferredHost[] = observations.map((o, i) => {
    const h: InferredHost = { target: o.target, name: names[i]!, sudo: sudoOf(o) };
    if (bridge) {
      const a = ipv4On(o, bridge.value);
      if (a.length > 0) {
        h.bridgeAddress = {
          value: a[0]!.local,
          from: `ip addr: ${bridge.value} ${a[0]!.local}/${a[0]!.prefixlen}`,
        };
        if (a.length > 1)
          notes.push(
            `${h.name.value}: ${bridge.value} has several IPv4 addresses; took the first, ${a[0]!.local}`,
          );
      } else {
        undecided.push({
          field: `hosts.${h.name.value}.bridgeAddress`,
          why: bridgesOf(o).has(bridge.value)
            ? `${bridge.value} has no IPv4 address on ${h.name.value}`
            : `${h.name.value} has no bridge ${bridge.value}`,
        });
      }
    }
    if (overlayIface) {
      const a = ipv4On(o, overlayIface);
      if (a.length > 0)
        h.overlayAddress = {
          value: a[0]!.local,
          from: `ip addr: ${overlayIface} ${a[0]!.local}/${a[0]!.prefixlen}`,
        };
    }
    if (!h.sudo.value && o.uid !== undefined && o.uid !== 0) {
      undecided.push({
        field: `hosts.${h.name.value}.sudo`,
        why: `logged in as uid ${o.uid} and \`sudo -n true\` fails: without root the gather cannot read every fact (ss -p, the VPN's config and log); allow passwordless sudo and set sudo: true`,
      });
    }
    return h;
  });

  let subnet: Sourced<string> | undefined;
  if (bridge) {
    const nets = observations.map((o) => {
      const a = ipv4On(o, bridge!.value)[0];
      return a ? networkOf(a.local, a.prefixlen) : undefined;
    });
    const v = tally(nets.filter((n): n is string => n !== undefined));
    if (v.length > 0 && !(v[1] && v[1].count === v[0]!.count)) {
      subnet = {
        value: v[0]!.value,
        from: `the network of ${bridge.value}'s address on ${v[0]!.count === observations.length ? 'every host' : `${v[0]!.count} hosts`}`,
      };
      if (v.length > 1) {
        undecided.push({
          field: 'cluster.subnet',
          why: `taken by majority; ${bridge.value} is in different networks: ${list(nets.map((n, i) => `${hostOf(i)} ${n ?? 'none'}`))}`,
        });
      }
    } else {
      undecided.push({
        field: 'cluster.subnet',
        why:
          v.length === 0
            ? `${bridge.value} has no IPv4 address on any host`
            : `${bridge.value} is in different networks and no majority: ${list(nets.map((n, i) => `${hostOf(i)} ${n ?? 'none'}`))}`,
      });
    }
    // An address outside the subnet would not load; leave it for a human.
    for (const h of hosts) {
      if (subnet && h.bridgeAddress && !inNetwork(h.bridgeAddress.value, subnet.value)) {
        undecided.push({
          field: `hosts.${h.name.value}.bridgeAddress`,
          why: `${h.bridgeAddress.value} is outside the cluster subnet ${subnet.value}`,
        });
        delete h.bridgeAddress;
      }
    }
  }

  if (overlay && overlayIface) {
    const nets = observations.map((o) => {
      const a = ipv4On(o, overlayIface!)[0];
      return a ? networkOf(a.local, a.prefixlen) : undefined;
    });
    const v = tally(nets.filter((n): n is string => n !== undefined));
    if (v.length > 0) {
      const net = v[0]!.value;
      overlay.subnet = { value: net, from: `the network of ${overlayIface}'s address` };
      if (v.length > 1)
        notes.push(
          `${overlayIface} addresses are in different networks (${list(v.map((x) => x.value))}); overlay.subnet is the majority's`,
        );
      for (const h of hosts)
        if (h.overlayAddress && !inNetwork(h.overlayAddress.value, net)) delete h.overlayAddress;
      if (hosts.some((h) => h.overlayAddress)) {
        notes.push(
          `${overlayIface} carries IPv4 addresses while it is a bridge port: they are not reachable from the other hosts (the bridges' addresses are what lxdcheck pings)`,
        );
      }
    }
  }
  return subnet ? { hosts, subnet } : { hosts };
}

function sudoOf(o: Observation): Sourced<boolean> {
  if (o.uid === 0) return { value: false, from: 'logged in as root' };
  if (o.sudoWorks) return { value: true, from: `uid ${o.uid}; sudo -n works` };
  return { value: false, from: o.uid === undefined ? 'uid unknown' : `uid ${o.uid}; sudo -n fails` };
}
