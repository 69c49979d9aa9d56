/**
 * The overlay: what each host shows (vxlan devices, peervpn and tinc
 * configurations, taps a running daemon owns, their units and logs), then
 * the one the cluster runs, by agreement of the hosts.
 */
import type { OverlayType } from '../inventory/types.js';
import { type Findings, type InferredOverlay, list, type Sourced, tally } from './infer-common.js';
import type { Observation } from './observe.js';

// ---------------------------------------------------------------- overlay per host

export interface HostOverlay {
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

// ---------------------------------------------------------------- the cluster's

export interface OverlayChoice {
  /** Each host's best candidate. */
  chosen: (HostOverlay | undefined)[];
  overlay?: InferredOverlay;
  /** The device most hosts agree on (also when its type is unknown). */
  overlayIface?: string;
}

/** Each host's candidates, then the cluster's overlay by agreement. */
export function inferOverlay(f: Findings): OverlayChoice {
  const { observations, undecided, notes, hostOf } = f;
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
  const out: OverlayChoice = { chosen };
  if (overlay) out.overlay = overlay;
  if (overlayIface !== undefined) out.overlayIface = overlayIface;
  return out;
}
