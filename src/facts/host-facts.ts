/**
 * HostFacts: the typed view of one host that every check reads, and the few
 * helpers every feature reads raw outputs with. Types only flow in here (from
 * types.ts and the parsers): the features (host/*.ts, containers.ts, …) import
 * it, and facts/build.ts assembles a HostFacts from their parsers, so no
 * feature and this file import each other.
 */
import type { MdbRouterPort } from './parsers/bridge-mdb.js';
import type { DhcpAck } from './parsers/dnsmasq.js';
import type { PeervpnLog, PskFingerprint } from './parsers/peervpn.js';
import type { FdbEntry } from './parsers/vxlan.js';
import type {
  AddressInfo,
  BrctlBridge,
  ContainerInfo,
  ContainerProbe,
  DaemonJudgement,
  DhcpDiscovery,
  DnsAnswer,
  DnsmasqInstance,
  Lease,
  LinkInfo,
  LxdBridgeDefaults,
  LxdNetworkConfig,
  MulticastResult,
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
  /** The bridge's multicast router ports (`bridge -d -s mdb show`); null when not read (older bundles, no iproute2). */
  multicastRouterPorts: MdbRouterPort[] | null;
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
  /** The LXD client the host is judged by (lxc or incus), when one answered. */
  lxdCommand: 'lxc' | 'incus' | null;
  /** Which daemon (LXD or Incus) the host is judged by, and why (named by the inventory, or detected). */
  daemon: DaemonJudgement;
  /** The first line `lxc list` printed besides the client announcement ('' when none): its error when it failed. */
  lxdListError: string;
  /** That error says LXD's unix socket is missing: LXD is not running (or not installed) here. */
  lxdNotRunning: boolean;
  /** What each running container on this host saw from the inside (stage two). */
  containerProbes: ContainerProbe[];
  /** This host's part of the multicast mesh (its own stage, the last), null when none ran. */
  multicast: MulticastResult | null;
  /** The one dnsmasq's log (DHCP host only, stage two), for duplicate names. */
  dnsmasqLog: string | null;
  /** The DHCPACKs in that log (which MAC got which name), [] without a log. */
  dhcpAcks: DhcpAck[];
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
