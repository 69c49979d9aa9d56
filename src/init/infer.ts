/**
 * The inference rules of `lxdcheck init`: from what each host shows
 * (observe.ts) to the inventory's values, each with where it came from.
 * Pure, so every rule is tested on recorded host outputs.
 *
 * Principles: a value is set only when the evidence agrees (or a majority
 * agrees, which is said, and asks a human to confirm); conflicting or
 * missing evidence leaves the value unset with the reason, since a wrong
 * inventory produces wrong verdicts.
 */
import { ipv4ToLong, isIPv4 } from '../inventory/ip.js';
import type { OverlayType } from '../inventory/types.js';
import type { Observation } from './observe.js';

/** A value and the evidence it was taken from (written as a YAML comment). */
export interface Sourced<T> {
  value: T;
  from: string;
}

export interface InferredHost {
  target: string;
  name: Sourced<string>;
  bridgeAddress?: Sourced<string>;
  overlayAddress?: Sourced<string>;
  sudo: Sourced<boolean>;
}

export interface InferredOverlay {
  type: Sourced<OverlayType>;
  interface: Sourced<string>;
  subnet?: Sourced<string>;
  network?: Sourced<string>;
  logFile?: Sourced<string>;
  configFile?: Sourced<string>;
  unit?: Sourced<string>;
}

/** Something a human has to decide or confirm, by inventory field. */
export interface Undecided {
  field: string;
  why: string;
}

export interface Inference {
  hosts: InferredHost[];
  bridge?: Sourced<string>;
  subnet?: Sourced<string>;
  overlay?: InferredOverlay;
  dhcp?: Sourced<string>;
  domain?: Sourced<string>;
  dhcpRange?: Sourced<string>;
  lxd?: Sourced<'lxc' | 'incus'>;
  undecided: Undecided[];
  /** Worth knowing, nothing to decide (e.g. what `lxdcheck run` will report). */
  notes: string[];
}

export interface InferOptions {
  /** --bridge: the cluster bridge when several could be. */
  bridge?: string;
}

// ---------------------------------------------------------------- helpers

const HOST_NAME_RE = /^[a-z0-9][a-z0-9.-]*$/;

export function networkOf(ip: string, prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const n = (ipv4ToLong(ip) & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}/${prefix}`;
}

function inNetwork(ip: string, cidr: string): boolean {
  const [net, p] = cidr.split('/');
  return isIPv4(ip) && networkOf(ip, Number(p)) === `${net}/${p}`;
}

/** Values by how many hosts have them, most first (ties keep first-seen order). */
function tally<T extends string>(values: T[]): { value: T; count: number }[] {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count);
}

function list(items: string[]): string {
  return items.join(', ');
}

function ipv4On(o: Observation, ifname: string): { local: string; prefixlen: number }[] {
  return o.addrs.filter((a) => a.ifname === ifname && a.family === 'inet' && a.scope !== 'host');
}

/** A host's name: its hostname when valid, else the target's host part. */
function hostNames(obs: Observation[]): Sourced<string>[] {
  const used = new Set<string>();
  return obs.map((o) => {
    const short = (o.hostname ?? '').split('.')[0]!.toLowerCase();
    let name: string;
    let from: string;
    if (HOST_NAME_RE.test(short)) {
      name = short;
      from = `hostname on ${o.target}`;
    } else {
      const host = o.target.replace(/^.*@/, '').replace(/:\d+$/, '').replace(/[[\]]/g, '');
      name =
        host
          .toLowerCase()
          .replace(/[^a-z0-9.-]/g, '-')
          .replace(/^[^a-z0-9]+/, '') || 'host';
      from = `the SSH target (hostname ${o.hostname ? `"${o.hostname}" is not a valid name` : 'unknown'})`;
    }
    let unique = name;
    for (let i = 2; used.has(unique); i++) unique = `${name}-${i}`;
    used.add(unique);
    if (unique !== name) from += `; "${name}" was taken, so numbered`;
    return { value: unique, from };
  });
}

// ---------------------------------------------------------------- overlay per host

interface HostOverlay {
  type?: OverlayType;
  iface: string;
  /** The bridge it is a port of, if any. */
  master?: string;
  from: string;
  configFile?: string;
  network?: string;
  logFile?: Sourced<string>;
  unit?: string;
}

function argValue(args: string[], long: string, short?: string): string | undefined | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === long || (short && a === short)) {
      const next = args[i + 1];
      return next !== undefined && !next.startsWith('-') ? next : null;
    }
    if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
    if (short && a.startsWith(short) && a.length > short.length && !a.startsWith('--'))
      return a.slice(short.length);
  }
  return undefined;
}

function tincdProcesses(o: Observation) {
  return o.processes
    .filter((p) => p.comm === 'tincd' || /(^|\/)tincd$/.test(p.args.split(/\s+/)[0] ?? ''))
    .map((p) => {
      const args = p.args.split(/\s+/).slice(1);
      const net = argValue(args, '--net', '-n') ?? undefined;
      // --logfile without a value: tinc 1.0 writes /var/log/tinc.NET.log.
      const logfile = argValue(args, '--logfile');
      return { pid: p.pid, args: p.args, net: net ?? undefined, logfile };
    });
}

function peervpnProcesses(o: Observation) {
  return o.processes.filter(
    (p) => p.comm === 'peervpn' || /(^|\/)peervpn$/.test(p.args.split(/\s+/)[0] ?? ''),
  );
}

/** The unit of the VPN daemon, when systemd lists one that is active. */
function vpnUnit(o: Observation, type: OverlayType, network?: string): string | undefined {
  if (!o.units) return undefined;
  const active = o.units.filter((u) => u.active === 'active');
  if (type === 'tinc') {
    return (
      active.find((u) => network !== undefined && u.name === `tinc@${network}.service`)?.name ??
      active.find((u) => u.name.startsWith('tinc'))?.name
    );
  }
  if (type === 'peervpn') return active.find((u) => u.name.startsWith('peervpn'))?.name;
  return active.find((u) => u.name.startsWith('vxlan'))?.name;
}

/** Overlay devices this host shows, best evidence first (bridged ones before loose ones). */
function overlayCandidates(o: Observation): HostOverlay[] {
  const out: HostOverlay[] = [];
  const link = (name: string) => o.links.find((l) => l.ifname === name);
  for (const l of o.links.filter((x) => x.kind === 'vxlan')) {
    const c: HostOverlay = {
      type: 'vxlan',
      iface: l.ifname,
      from: `ip -d link: ${l.ifname} is a vxlan device`,
    };
    if (l.master) c.master = l.master;
    out.push(c);
  }
  const seen = new Set(out.map((c) => c.iface));
  for (const { path, config } of o.peervpnConfigs) {
    const iface = config.interface;
    if (!iface || seen.has(iface)) continue;
    seen.add(iface);
    const c: HostOverlay = {
      type: 'peervpn',
      iface,
      configFile: path,
      from: `${path} says interface ${iface}`,
    };
    const l = link(iface);
    if (l?.master) c.master = l.master;
    if (!l) c.from += ' (no such device now)';
    out.push(c);
  }
  const tincds = tincdProcesses(o);
  for (const t of o.tincConfigs) {
    const iface = t.interface ?? t.network;
    if (seen.has(iface)) continue;
    seen.add(iface);
    const c: HostOverlay = {
      type: 'tinc',
      iface,
      network: t.network,
      configFile: t.path,
      from: `${t.path} ${t.interface ? `says Interface = ${iface}` : `(no Interface: tincd names the device ${iface})`}`,
    };
    const l = link(iface);
    if (l?.master) c.master = l.master;
    if (!l) c.from += ' (no such device now)';
    const proc = tincds.find((p) => p.net === t.network);
    if (proc?.logfile !== undefined) {
      c.logFile =
        proc.logfile === null
          ? {
              value: `/var/log/tinc.${t.network}.log`,
              from: `tincd --logfile (pid ${proc.pid}) writes tinc 1.0's default`,
            }
          : { value: proc.logfile, from: `tincd --logfile (pid ${proc.pid})` };
    }
    out.push(c);
  }
  // A tap nothing configures: the running daemon says whose it is.
  for (const l of o.links.filter((x) => x.kind === 'tun' && x.tunType === 'tap' && !seen.has(x.ifname))) {
    const peervpn = peervpnProcesses(o);
    const type: OverlayType | undefined =
      peervpn.length > 0 ? 'peervpn' : tincds.length > 0 ? 'tinc' : undefined;
    const c: HostOverlay = {
      iface: l.ifname,
      from: `ip -d link: ${l.ifname} is a tap device${type ? ` and ${type === 'peervpn' ? 'peervpn' : 'tincd'} runs` : ''}`,
    };
    if (type) c.type = type;
    if (l.master) c.master = l.master;
    out.push(c);
  }
  for (const c of out) {
    if (c.type === 'peervpn' && !c.logFile) {
      const redirect = o.vpnStdout.find((v) => v.comm === 'peervpn' && /^\/(?!dev\/|proc\/)/.test(v.target));
      if (redirect)
        c.logFile = {
          value: redirect.target,
          from: `peervpn's stdout (pid ${redirect.pid}) goes to this file`,
        };
    }
    if (c.type) {
      const unit = vpnUnit(o, c.type, c.network);
      if (unit) c.unit = unit;
    }
  }
  // peervpn's argv names its config: one elsewhere than /etc/peervpn was not read.
  for (const p of peervpnProcesses(o)) {
    const conf = p.args.split(/\s+/)[1];
    if (conf?.startsWith('/') && !o.peervpnConfigs.some((c) => c.path === conf)) {
      for (const c of out.filter((x) => x.type === 'peervpn' && !x.configFile)) c.configFile = conf;
    }
  }
  // Bridged first: a device that is a port of a bridge is the overlay.
  return [...out.filter((c) => c.master), ...out.filter((c) => !c.master)];
}

// ---------------------------------------------------------------- the rules

export function infer(observations: Observation[], opts: InferOptions = {}): Inference {
  const undecided: Undecided[] = [];
  const notes: string[] = [];
  const names = hostNames(observations);
  const hostOf = (i: number) => names[i]!.value;

  // ---- overlay: per host, then the cluster's by agreement ----
  const perHost = observations.map((o) => overlayCandidates(o));
  const chosen = perHost.map((cands, i) => {
    const bridged = cands.filter((c) => c.master);
    if (bridged.length > 1) {
      notes.push(
        `${hostOf(i)}: several overlay devices are bridge ports (${list(bridged.map((c) => `${c.iface} in ${c.master}`))}); took ${bridged[0]!.iface}`,
      );
    }
    return cands[0];
  });
  const keyOf = (c: HostOverlay) => `${c.type ?? '?'} ${c.iface}`;
  const overlayVotes = tally(chosen.filter((c): c is HostOverlay => c !== undefined).map(keyOf));
  let overlay: InferredOverlay | undefined;
  let overlayIface: string | undefined;
  const top = overlayVotes[0];
  if (!top) {
    undecided.push({
      field: 'cluster.overlay',
      why: 'no host shows an overlay: no vxlan or tap device, no peervpn or tinc configuration (/etc/peervpn/*.conf, /etc/tinc/*/tinc.conf) and no such daemon running',
    });
  } else if (overlayVotes[1] && overlayVotes[1].count === top.count) {
    undecided.push({
      field: 'cluster.overlay',
      why: `the hosts disagree and no majority: ${list(
        chosen.map((c, i) => `${hostOf(i)} ${c ? keyOf(c) : 'none'}`),
      )}`,
    });
  } else {
    const agreeing = chosen.filter((c): c is HostOverlay => c !== undefined && keyOf(c) === top.value);
    const first = agreeing[0]!;
    overlayIface = first.iface;
    const others = chosen
      .map((c, i) => ({ c, host: hostOf(i) }))
      .filter(({ c }) => !c || keyOf(c) !== top.value);
    const majority = others.length > 0;
    if (majority) {
      undecided.push({
        field: 'cluster.overlay',
        why: `taken by majority (${top.count} of ${observations.length} hosts: ${first.type ?? '?'} on ${first.iface}); ${list(
          others.map(({ c, host }) => `${host} shows ${c ? keyOf(c) : 'no overlay'}`),
        )}`,
      });
    }
    if (!first.type) {
      undecided.push({
        field: 'cluster.overlay.type',
        why: `${first.iface} is a tap device but neither a peervpn nor a tinc configuration names it and no such daemon runs; write peervpn or tinc`,
      });
    } else {
      const hostsWith = agreeing.length === observations.length ? 'every host' : `${agreeing.length} hosts`;
      overlay = {
        type: { value: first.type, from: `${first.from} (${hostsWith})` },
        interface: {
          value: first.iface,
          from: agreeing.every((c) => c.master) ? `a port of the bridge on ${hostsWith}` : first.from,
        },
      };
      const same = <K extends 'network' | 'configFile' | 'unit'>(key: K): string | undefined => {
        const values = [...new Set(agreeing.map((c) => c[key]).filter((v) => v !== undefined))];
        return values.length === 1 ? values[0] : undefined;
      };
      const network = same('network');
      if (network && first.type === 'tinc')
        overlay.network = { value: network, from: `/etc/tinc/${network}/tinc.conf` };
      const configFile = same('configFile');
      if (configFile && first.type === 'peervpn')
        overlay.configFile = {
          value: configFile,
          from: first.from.startsWith(configFile) ? 'read on the hosts' : "peervpn's command line",
        };
      const unit = same('unit');
      if (unit) overlay.unit = { value: unit, from: 'systemctl list-units (active)' };
      const logs = tally(agreeing.map((c) => c.logFile?.value ?? ''));
      const log = agreeing.find((c) => c.logFile?.value === logs[0]?.value)?.logFile;
      if (log && logs.length === 1) overlay.logFile = log;
      else if (log)
        notes.push(
          `the VPN log differs between hosts (${list(logs.map((l) => l.value || 'none'))}); overlay.logFile left unset`,
        );
      if (first.type === 'peervpn' && !overlay.logFile && !overlay.unit) {
        notes.push(
          'peervpn logs to its stdout and neither a log file nor a systemd unit was found: set cluster.overlay.logFile (or unit) so the overlay checks can read its peer count',
        );
      }
    }
    for (const [i, c] of chosen.entries()) {
      if (c && keyOf(c) === top.value && !c.master) {
        notes.push(`${hostOf(i)}: ${c.iface} is not a port of any bridge (lxdcheck run will report it)`);
      }
    }
  }

  // ---- the bridge ----
  const bridgesOf = (o: Observation) =>
    new Set([
      ...o.links.filter((l) => l.kind === 'bridge').map((l) => l.ifname),
      ...o.links.map((l) => l.master).filter((m): m is string => m !== undefined),
    ]);
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

  // ---- addresses and the subnet ----
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

  // ---- DHCP, domain, range ----
  const servers = observations.flatMap((o, i) =>
    o.dnsmasq
      .filter((d) => d.servesDhcp && servesBridge(d, o, bridge?.value))
      .map((d) => ({ host: hostOf(i), d })),
  );
  let dhcp: Sourced<string> | undefined;
  let dhcpRange: Sourced<string> | undefined;
  let domain: Sourced<string> | undefined;
  const serverHosts = [...new Set(servers.map((s) => s.host))];
  if (serverHosts.length === 1) {
    const s = servers[0]!;
    dhcp = {
      value: s.host,
      from: `the only dnsmasq serving DHCP on ${bridge?.value ?? 'the bridge'} (pid ${s.d.pid})`,
    };
    const range = rangeOf(s.d.dhcpRanges, subnet?.value);
    if (range) dhcpRange = { value: range, from: `dnsmasq --dhcp-range on ${s.host}` };
    if (s.d.domain) domain = { value: s.d.domain, from: `dnsmasq --domain on ${s.host}` };
    if (servers.length > 1)
      notes.push(`${s.host} runs ${servers.length} dnsmasq serving DHCP on ${bridge?.value}`);
  } else if (serverHosts.length === 0) {
    // Something else may answer DHCP (UDP 67): name it, it is the likely answer.
    const listeners = observations.flatMap((o, i) =>
      o.udp
        .filter((s) => s.port === 67)
        .map(
          (s) =>
            `${hostOf(i)} (${s.processes.map((p) => p.name).join(',') || 'unknown process'} on ${s.local}${s.device ? `%${s.device}` : ''})`,
        ),
    );
    undecided.push({
      field: 'cluster.dhcp',
      why: `no dnsmasq serves DHCP on ${bridge?.value ?? 'the bridge'} on any host (none has a --dhcp-range in ps)${
        listeners.length > 0
          ? `; UDP 67 is open on ${list([...new Set(listeners)])}`
          : '; containers get no addresses, or the DHCP server is elsewhere'
      }`,
    });
  } else {
    undecided.push({
      field: 'cluster.dhcp',
      why: `${serverHosts.length} hosts run a dnsmasq serving DHCP on ${bridge?.value ?? 'the bridge'}: ${list(
        servers.map((s) => `${s.host} (pid ${s.d.pid}, ${s.d.dhcpRanges.join(' ')})`),
      )}; exactly one may (lxdcheck run will report the second)`,
    });
    const domains = [...new Set(servers.map((s) => s.d.domain).filter((d) => d !== undefined))];
    if (domains.length === 1)
      domain = { value: domains[0]!, from: `dnsmasq --domain on ${list(serverHosts)}` };
  }
  if (!domain) {
    const legacy = observations.map((o) => o.lxdBridge?.values['LXD_DOMAIN']).find((d) => d);
    const managed = observations
      .flatMap((o) => o.lxdNetworks.filter((n) => n.name === bridge?.value && n.managed))
      .map((n) => n.config['dns.domain'])
      .find((d) => d);
    if (legacy) domain = { value: legacy, from: '/etc/default/lxd-bridge LXD_DOMAIN' };
    else if (managed) domain = { value: managed, from: `the managed network's dns.domain` };
    else {
      const owner = observations.find((o) =>
        o.lxdNetworks.some((n) => n.name === bridge?.value && n.managed),
      );
      // LXD's default dns.domain is lxd, Incus's is incus.
      if (owner?.lxdClient === 'incus')
        domain = { value: 'incus', from: "Incus's default dns.domain (the managed network sets none)" };
      else if (owner)
        domain = { value: 'lxd', from: "LXD's default dns.domain (the managed network sets none)" };
    }
    if (!domain)
      notes.push('no DNS domain found (dnsmasq --domain, LXD_DOMAIN, dns.domain); the default lxd applies');
  }

  // ---- the daemon ----
  let lxd: Sourced<'lxc' | 'incus'> | undefined;
  const clients = tally(observations.map((o) => o.lxdClient).filter((c) => c !== undefined));
  const daemons = tally(observations.map((o) => o.daemon).filter((d) => d !== undefined));
  if (clients.length === 1) {
    const c = clients[0]!.value;
    lxd = {
      value: c,
      from: `${c} network list answers${daemons.length > 0 ? ` (${daemons[0]!.value} daemon running)` : ''}`,
    };
  } else if (clients.length > 1) {
    undecided.push({
      field: 'cluster.lxd',
      why: `hosts answer with different clients (${list(clients.map((c) => c.value))})`,
    });
  } else if (daemons.length > 0) {
    const d = daemons[0]!.value;
    lxd = {
      value: d === 'incus' ? 'incus' : 'lxc',
      from: `${d} daemon in ps (its client did not answer as this user)`,
    };
  } else {
    notes.push('no LXD or Incus daemon found: container checks will be skipped');
  }

  const out: Inference = { hosts, undecided, notes };
  if (bridge) out.bridge = bridge;
  if (subnet) out.subnet = subnet;
  if (overlay) out.overlay = overlay;
  if (dhcp) out.dhcp = dhcp;
  if (domain) out.domain = domain;
  if (dhcpRange) out.dhcpRange = dhcpRange;
  if (lxd) out.lxd = lxd;
  return out;
}

function sudoOf(o: Observation): Sourced<boolean> {
  if (o.uid === 0) return { value: false, from: 'logged in as root' };
  if (o.sudoWorks) return { value: true, from: `uid ${o.uid}; sudo -n works` };
  return { value: false, from: o.uid === undefined ? 'uid unknown' : `uid ${o.uid}; sudo -n fails` };
}

/** Whether this dnsmasq answers on the bridge: --interface names it, or it listens on the bridge's address, or it binds everything. */
function servesBridge(
  d: Observation['dnsmasq'][number],
  o: Observation,
  bridge: string | undefined,
): boolean {
  if (!bridge) return true;
  if (d.interfaces.includes(bridge)) return true;
  const mine = ipv4On(o, bridge).map((a) => a.local);
  if (d.listenAddresses.some((a) => mine.includes(a))) return true;
  return d.interfaces.length === 0 && d.listenAddresses.length === 0;
}

/** `first,last` from a --dhcp-range (`[tag:..,][set:..,]first,last[,mask][,lease]`). */
export function rangeOf(ranges: string[], subnet: string | undefined): string | undefined {
  for (const r of ranges) {
    const ips = r.split(',').filter((p) => isIPv4(p));
    const [first, last] = ips;
    if (!first || !last || (subnet && (!inNetwork(first, subnet) || !inNetwork(last, subnet)))) continue;
    return `${first},${last}`;
  }
  return undefined;
}
