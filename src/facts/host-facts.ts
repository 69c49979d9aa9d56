/**
 * HostFacts: the typed view of one host that every check reads. Built by a
 * pure function from the raw section outputs, so live runs, recordings and
 * tests all go through the same code.
 */
import type { GatherResult } from '../engine/gather.js';
import type { HostSpec, Inventory } from '../inventory/types.js';
import { type ContainerProbe, parseContainerProbe } from './containers.js';
import { type DhcpDiscovery, dhcpDiscoveryFacts } from './dhcp-discovery.js';
import { type DnsAnswer, parseDnsProbe } from './dns.js';
import { parseFanOut } from './fanout.js';
import {
  MULTICAST_CONFIRM_SECTION,
  type MulticastResult,
  parseMulticast,
  withMulticastConfirm,
} from './multicast.js';
import { parseBrctlShow } from './parsers/brctl.js';
import { parseLeases } from './parsers/dnsmasq.js';
import { parseIpAddrJson, parseIpLinkJson, parseIpRouteJson } from './parsers/ip.js';
import { parseLxcList, parseLxcNetworkShow } from './parsers/lxc.js';
import { parseLxdBridgeDefaults } from './parsers/lxdbridge.js';
import {
  type PeervpnLog,
  type PskFingerprint,
  parsePeervpnAges,
  parsePeervpnConfig,
  parsePeervpnLog,
  parsePskFingerprint,
  peervpnPeerState,
  peervpnStarts,
} from './parsers/peervpn.js';
import { parseFpingSummary, parsePing } from './parsers/ping.js';
import { findDnsmasqInstances, parseProcesses } from './parsers/ps.js';
import { parseSs } from './parsers/ss.js';
import { parseGrepH, parseLsLines } from './parsers/sysfs.js';
import { parseProcUptime, parseSystemctlShowMany } from './parsers/system.js';
import { parseTincLogEvents, parseTincNodes, tincPeerState } from './parsers/tinc.js';
import { type FdbEntry, parseBridgeFdb, vxlanPeerState } from './parsers/vxlan.js';
import { CONFIRM_MARK, PMTU_LADDER, withConfirmRound } from './sections.js';
import type {
  AddressInfo,
  BrctlBridge,
  ContainerInfo,
  DnsmasqInstance,
  Lease,
  LinkInfo,
  LxdBridgeDefaults,
  LxdNetworkConfig,
  OverlayPeerState,
  PeervpnConfig,
  PingResult,
  ProcessInfo,
  RawOutput,
  RouteInfo,
  SocketInfo,
} from './types.js';

/** Exit code a shell gives for a command it cannot find. */
export const NOT_FOUND = 127;

export interface PmtuResult {
  target: string;
  /** Full-size (1500) frames pass with don't-fragment set. */
  fullOk: boolean;
  /** Largest MTU of the ladder that passed, null when none did. */
  largestOk: number | null;
  /** First error line seen for the full-size probe (e.g. `message too long, mtu=1400`). */
  fullError?: string;
  /** A path MTU the kernel has cached for this target (`ip route get`: `cache expires Ns mtu N`). */
  cachedMtu?: number;
  cacheExpiresSeconds?: number;
  routeGet?: string;
}

export interface VpnLogFacts {
  /** The log mentions the bridge missing when the up-script ran (the service-order failure). */
  bridgeMissing: boolean;
  upcmdErrors: string[];
  excerpt: string;
}

/** What lxdcheck knows about the peervpn daemon on a host (overlay type peervpn only). */
export interface PeervpnFacts {
  /** The current instance's log (after the last `PeerVPN v` banner); null when unreadable. */
  log: PeervpnLog | null;
  /** Start banners in the log read: more than one means it restarted within the log's window. */
  starts: number;
  /** Running daemons with their age (ps etimes); null when that could not be read. */
  running: { pid: number; ageSeconds: number }[] | null;
  /** The keyed psk fingerprint of this run; null when none was taken (no run key, or a recording without it). */
  psk: PskFingerprint | null;
}

export interface HostFacts {
  host: string;
  reachable: boolean;
  connectError?: string;
  connectErrorKind?: string;
  execError?: string;
  raw: Record<string, RawOutput>;
  hostname: string | null;
  uptimeSeconds: number | null;
  links: LinkInfo[] | null;
  addresses: AddressInfo[] | null;
  routes: RouteInfo[] | null;
  /** Ports of the inventory bridge from sysfs; null when the bridge directory is absent or unreadable. */
  bridgePorts: string[] | null;
  /** `brctl show`; null when brctl is not installed or failed. */
  brctl: BrctlBridge[] | null;
  brctlMissing: boolean;
  /** sysfs values by path. */
  sysfs: Record<string, string>;
  processes: ProcessInfo[] | null;
  dnsmasq: DnsmasqInstance[];
  udpSockets: SocketInfo[] | null;
  overlayPeers: OverlayPeerState | null;
  vpnLog: VpnLogFacts | null;
  peervpnConfig: PeervpnConfig | null;
  peervpn: PeervpnFacts | null;
  /** systemd units by Id; null when systemd is not PID 1 here. */
  units: Map<string, Record<string, string>> | null;
  leases: { file: string; leases: Lease[] }[];
  lxdBridgeDefaults: LxdBridgeDefaults | null;
  lxdNetwork: LxdNetworkConfig | null;
  containers: ContainerInfo[] | null;
  mesh: PingResult[] | null;
  meshTool: 'fping' | 'ping' | null;
  pmtu: PmtuResult[] | null;
  /** The LXD client the host has (lxc or incus), when one answered. */
  lxdCommand: 'lxc' | 'incus' | null;
  /** What each running container on this host saw from the inside (stage two). */
  containerProbes: ContainerProbe[];
  /** This host's part of the multicast mesh (its own stage, the last), null when none ran. */
  multicast: MulticastResult | null;
  /** The one dnsmasq's log (DHCP host only, stage two), for duplicate names. */
  dnsmasqLog: string | null;
  /** Answers of the one dnsmasq to queries sent from this host (stage two). */
  dns: DnsAnswer[] | null;
  /** Every DHCP server that answered a DHCPDISCOVER sent on the bridge from here (stage two, one host). */
  dhcpDiscovery: DhcpDiscovery | null;
  /** The bridge's FDB, read after that discovery's window (its own stage, every host). */
  dhcpFdb: FdbEntry[] | null;
  /** /proc/loadavg and nproc at the end of stage one; null when unreadable (or an old bundle). */
  load: HostLoad | null;
}

export interface HostLoad {
  load1: number;
  load5: number;
  load15: number;
  cpus: number;
}

/** `cat /proc/loadavg && nproc`. */
export function parseLoad(text: string): HostLoad | null {
  const m = /^([\d.]+) ([\d.]+) ([\d.]+) \S+ \S+\s*\n\s*(\d+)\s*$/.exec(text.trim());
  if (!m) return null;
  const cpus = Number(m[4]);
  return cpus > 0 ? { load1: Number(m[1]), load5: Number(m[2]), load15: Number(m[3]), cpus } : null;
}

/** A host whose 1-minute load is at least twice its CPU count answers probes late: say so next to a failure. */
export function overloadNote(f: HostFacts): string | null {
  const l = f.load;
  if (!l || l.load1 < 2 * l.cpus) return null;
  return `${f.host} was overloaded during its probes (load ${l.load1} on ${l.cpus} CPU${l.cpus === 1 ? '' : 's'})`;
}

/** A section's stdout when it ran and succeeded (exit 0), else null. */
export function okOutput(raw: Record<string, RawOutput>, name: string): string | null {
  const r = raw[name];
  return r && r.exitCode === 0 ? r.stdout : null;
}

/** Split `==> path <==` headed output (several files concatenated). */
export function splitHeadedFiles(text: string): { file: string; content: string }[] {
  const out: { file: string; content: string }[] = [];
  const re = /^==> (.+) <==$/gm;
  const heads = [...text.matchAll(re)];
  heads.forEach((m, i) => {
    const start = (m.index ?? 0) + m[0].length + 1;
    const end = i + 1 < heads.length ? (heads[i + 1]?.index ?? text.length) : text.length;
    out.push({ file: m[1] ?? '', content: text.slice(start, end) });
  });
  return out;
}

/** Ping results of one ping section (fping's summary, or the iputils fan-out where fping is missing). */
function pingResults(r: RawOutput | undefined): { results: PingResult[]; tool: 'fping' | 'ping' } | null {
  if (!r || (r.exitCode === null && r.stdout === '' && r.stderr === '')) return null;
  if (r.stderr.includes('fping not found') || r.stdout.includes('##PING ')) {
    const blocks = parseFanOut(r.stdout).map((b) => ({ ...parsePing(b.output, b.key), target: b.key }));
    const first = blocks.filter((b) => !b.target.startsWith('confirm '));
    const again = blocks
      .filter((b) => b.target.startsWith('confirm '))
      .map((b) => ({ ...b, target: b.target.slice(8) }));
    return { results: withConfirmRound(first, again), tool: 'ping' };
  }
  // fping -q prints its summary on stderr; a second round for lossy targets follows the mark.
  const text = `${r.stderr}\n${r.stdout}`;
  const at = text.indexOf(`\n${CONFIRM_MARK}`);
  if (at === -1) return { results: parseFpingSummary(text), tool: 'fping' };
  return {
    results: withConfirmRound(parseFpingSummary(text.slice(0, at)), parseFpingSummary(text.slice(at + 1))),
    tool: 'fping',
  };
}

/** Bridge pings (stage one) and overlay-address pings (stage two, where they can answer), together. */
function meshFacts(raw: Record<string, RawOutput>): {
  mesh: PingResult[] | null;
  tool: 'fping' | 'ping' | null;
} {
  const bridges = pingResults(raw['mesh-ping']);
  const overlay = pingResults(raw['mesh-overlay-ping']);
  if (!bridges && !overlay) return { mesh: null, tool: null };
  return {
    mesh: [...(bridges?.results ?? []), ...(overlay?.results ?? [])],
    tool: bridges?.tool ?? overlay?.tool ?? null,
  };
}

function pmtuFacts(raw: Record<string, RawOutput>): PmtuResult[] | null {
  const r = raw['pmtu'];
  if (!r || r.stdout.trim() === '') return null;
  const byTarget = new Map<string, { mtu: number; ok: boolean; output: string }[]>();
  const routes = new Map<string, string>();
  for (const b of parseFanOut(r.stdout)) {
    const [target, mtu] = b.key.split(' ');
    if (!target || !mtu) continue;
    if (mtu === 'route') {
      routes.set(target, b.output);
      continue;
    }
    const list = byTarget.get(target) ?? [];
    list.push({ mtu: Number(mtu), ok: b.exitCode === 0, output: b.output });
    byTarget.set(target, list);
  }
  const full = PMTU_LADDER[0];
  return [...byTarget.entries()].map(([target, probes]) => {
    const fullProbe = probes.find((p) => p.mtu === full);
    const passing = probes.filter((p) => p.ok).map((p) => p.mtu);
    const fullError = fullProbe && !fullProbe.ok ? parsePing(fullProbe.output, target).error : undefined;
    const routeGet = routes.get(target);
    const cached = routeGet ? /\bmtu (\d+)/.exec(routeGet) : null;
    const expires = routeGet ? /expires (\d+)sec/.exec(routeGet) : null;
    return {
      target,
      fullOk: fullProbe?.ok ?? false,
      largestOk: passing.length > 0 ? Math.max(...passing) : null,
      ...(fullError ? { fullError } : {}),
      ...(routeGet !== undefined ? { routeGet } : {}),
      ...(cached ? { cachedMtu: Number(cached[1]) } : {}),
      ...(expires ? { cacheExpiresSeconds: Number(expires[1]) } : {}),
    };
  });
}

function overlayFacts(
  inv: Inventory,
  host: HostSpec,
  raw: Record<string, RawOutput>,
): {
  peers: OverlayPeerState | null;
  log: VpnLogFacts | null;
  config: PeervpnConfig | null;
  peervpn?: PeervpnFacts;
} {
  const type = inv.cluster.overlay.type;
  if (type === 'peervpn') {
    const fullLog = okOutput(raw, 'overlay-log');
    // Only the daemon's current life counts: an up-script error from an earlier start is history.
    const logText = fullLog !== null ? sinceLastStart(fullLog, /^PeerVPN v/m) : null;
    const conf = okOutput(raw, 'overlay-config');
    const log = logText !== null ? parsePeervpnLog(logText) : null;
    return {
      peers: logText !== null ? peervpnPeerState(logText) : null,
      log: log
        ? {
            bridgeMissing: log.bridgeMissing,
            upcmdErrors: log.upcmdErrors,
            excerpt: lastLines(logText ?? '', 15),
          }
        : null,
      config: conf !== null ? parsePeervpnConfig(conf) : null,
      peervpn: {
        log,
        starts: fullLog !== null ? peervpnStarts(fullLog) : 0,
        running: peervpnRunning(raw['overlay-age']),
        psk: raw['overlay-psk']
          ? parsePskFingerprint(
              raw['overlay-psk'].stdout,
              raw['overlay-psk'].exitCode,
              raw['overlay-psk'].stderr,
            )
          : null,
      },
    };
  }
  if (type === 'tinc') {
    const dump = raw['overlay-dump'];
    const nodes = dump && dump.exitCode === 0 ? parseTincNodes(dump.stdout) : null;
    const fullLog = okOutput(raw, 'overlay-log');
    const logText = fullLog !== null ? sinceLastStart(fullLog, /tincd \S+ .*starting/) : null;
    const events = logText !== null ? parseTincLogEvents(logText) : [];
    const upcmdErrors = events
      .filter((e) => e.kind === 'script-error' || /does not exist/.test(e.line))
      .map((e) => e.line);
    return {
      peers: nodes ? tincPeerState(nodes) : null,
      log:
        logText !== null
          ? {
              bridgeMissing: /bridge \S+ does not exist/.test(logText),
              upcmdErrors,
              excerpt: lastLines(logText, 15),
            }
          : null,
      config: null,
    };
  }
  const fdbText = okOutput(raw, 'overlay-fdb');
  // VXLAN floods to the other hosts' underlay addresses (the SSH address, for want of a better one).
  const remotes = inv.hosts.filter((h) => h.name !== host.name).map((h) => h.ssh.hostname);
  return {
    peers: fdbText !== null ? vxlanPeerState(parseBridgeFdb(fdbText), remotes) : null,
    log: null,
    config: null,
  };
}

/** `ps -C peervpn` exits 1 with no output when no such process runs; anything else unexpected is unknown. */
function peervpnRunning(r: RawOutput | undefined): PeervpnFacts['running'] {
  if (!r) return null;
  if (r.exitCode === 0) return parsePeervpnAges(r.stdout);
  if (r.exitCode === 1 && r.stdout.trim() === '' && r.stderr.trim() === '') return [];
  return null;
}

function lxdClient(r: RawOutput | undefined): 'lxc' | 'incus' | null {
  const m = /lxdcheck-client: (lxc|incus)/.exec(r?.stderr ?? '');
  return m ? (m[1] as 'lxc' | 'incus') : null;
}

/**
 * The part of a daemon log since its last start (the line matching `start`
 * and everything after); the whole text when no start line is in view.
 * Lines just before the start line that belong to the same start (an
 * up-script writing before the daemon logs "starting") are kept by taking
 * the start line's own timestamp block.
 */
export function sinceLastStart(text: string, start: RegExp): string {
  const lines = text.split('\n');
  let at = -1;
  lines.forEach((l, i) => {
    if (start.test(l)) at = i;
  });
  return at < 0 ? text : lines.slice(at).join('\n');
}

export function lastLines(text: string, n: number): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  return lines.slice(-n).join('\n');
}

export function buildHostFacts(inv: Inventory, host: HostSpec, g: GatherResult): HostFacts {
  const raw = g.raw;
  const json = <T>(name: string, parse: (t: string) => T): T | null => {
    const out = okOutput(raw, name);
    return out !== null ? parse(out) : null;
  };
  const brctlRaw = raw['brctl'];
  const processes = json('ps', parseProcesses);
  const overlay = overlayFacts(inv, host, raw);
  const { mesh, tool } = meshFacts(raw);
  const systemd = raw['systemd'];
  const units =
    systemd && systemd.exitCode === 0
      ? new Map(parseSystemctlShowMany(systemd.stdout).map((u) => [u['Id'] ?? '', u] as const))
      : null;
  const leasesRaw = raw['leases'];
  return {
    host: host.name,
    reachable: g.reachable,
    ...(g.connectError ? { connectError: g.connectError } : {}),
    ...(g.connectErrorKind ? { connectErrorKind: g.connectErrorKind } : {}),
    ...(g.execError ? { execError: g.execError } : {}),
    raw,
    hostname: okOutput(raw, 'hostname')?.trim() || null,
    uptimeSeconds: json('uptime', parseProcUptime),
    links: json('links', parseIpLinkJson),
    addresses: json('addrs', parseIpAddrJson),
    routes: json('routes', parseIpRouteJson),
    bridgePorts: json('brif', parseLsLines),
    brctl: brctlRaw?.exitCode === 0 ? parseBrctlShow(brctlRaw.stdout) : null,
    brctlMissing: brctlRaw?.exitCode === NOT_FOUND,
    sysfs: parseGrepH(raw['sysfs']?.stdout ?? ''),
    processes,
    dnsmasq: processes ? findDnsmasqInstances(processes) : [],
    udpSockets: json('ss-udp', (t) => parseSs(t, 'udp')),
    overlayPeers: overlay.peers,
    vpnLog: overlay.log,
    peervpnConfig: overlay.config,
    peervpn: overlay.peervpn ?? null,
    units,
    leases: leasesRaw
      ? splitHeadedFiles(leasesRaw.stdout).map((f) => ({ file: f.file, leases: parseLeases(f.content) }))
      : [],
    lxdBridgeDefaults: json('lxd-bridge-default', parseLxdBridgeDefaults),
    lxdNetwork: json('lxc-network', parseLxcNetworkShow),
    containers: json('lxc-list', parseLxcList),
    mesh,
    meshTool: tool,
    pmtu: pmtuFacts(raw),
    dns: json('dns-probe', parseDnsProbe),
    lxdCommand: lxdClient(raw['lxc-list']),
    containerProbes: Object.entries(raw)
      .filter(([name]) => name.startsWith('ct-'))
      .map(([name, r]) => parseContainerProbe(name, r))
      .filter((p): p is ContainerProbe => p !== null),
    dnsmasqLog: okOutput(raw, 'dnsmasq-log'),
    multicast: withMulticastConfirm(
      parseMulticast(raw['multicast']),
      parseMulticast(raw[MULTICAST_CONFIRM_SECTION]),
    ),
    load: json('load', parseLoad),
    dhcpDiscovery: dhcpDiscoveryFacts(raw['dhcp-discover']),
    dhcpFdb: json('dhcp-fdb', parseBridgeFdb),
  };
}
