/**
 * Typed facts gathered from one host. Parsers (src/facts/parsers/*) are pure
 * functions from raw command output to these shapes; checks read only these.
 * Anything a parser cannot know is `undefined` / `null`, never guessed.
 */

/** Raw output of one section of the gather command (also what --record writes). */
export interface RawOutput {
  /** The command as shown to the user (quoted shell text). */
  command: string;
  stdout: string;
  stderr: string;
  /** null when the section was killed or never finished. */
  exitCode: number | null;
  timedOut?: boolean;
  /** Wall time of the section on the host (from /proc/uptime at its markers); absent in old bundles. */
  durationMs?: number;
}

/** From `ip -j -d link` (details give bridge/vxlan/tun info). */
export interface LinkInfo {
  ifname: string;
  ifindex: number;
  flags: string[];
  /** flags include UP */
  up: boolean;
  /** operstate as the kernel says: UP, DOWN, UNKNOWN, LOWERLAYERDOWN ... */
  operstate: string;
  mtu: number;
  mac?: string;
  /** Bridge this link is enslaved to (`master`). */
  master?: string;
  /** linkinfo.info_kind: bridge, veth, vxlan, tun, ... */
  kind?: string;
  /** For tun/tap devices from info_data.type: 'tap' | 'tun' */
  tunType?: string;
  /** VXLAN details when kind === 'vxlan'. */
  vxlan?: { id?: number; local?: string; port?: number; dev?: string };
}

/** From `ip -j addr`. */
export interface AddressInfo {
  ifname: string;
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope?: string;
}

/** From `ip -j route` (main table, IPv4). */
export interface RouteInfo {
  /** 'default' or CIDR, e.g. 172.16.0.0/16 (host routes as a.b.c.d/32). */
  dst: string;
  dev?: string;
  gateway?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  /** blackhole, unreachable, prohibit, or unicast (default). */
  type: string;
}

/** One bridge as `brctl show` prints it. */
export interface BrctlBridge {
  name: string;
  id: string;
  stp: boolean;
  interfaces: string[];
}

/** A process from `ps -eo pid,comm,args`. */
export interface ProcessInfo {
  pid: number;
  comm: string;
  args: string;
  /** The real executable (/proc/PID/exe), when the host could read it. */
  exe?: string;
}

/** A UDP/TCP listening socket from `ss -H -lnp[u|t]`. */
export interface SocketInfo {
  proto: 'udp' | 'tcp';
  /** Bare address: `0.0.0.0`, `172.16.0.1`, `fe80::1`, `*` (no brackets, no `%dev`). */
  local: string;
  port: number;
  /** Device the socket is bound to (`0.0.0.0%lxdbr0:67` -> lxdbr0), when ss shows one. */
  device?: string;
  /** Process names from the users:(("dnsmasq",pid=..)) column, when -p worked. */
  processes: { name: string; pid: number }[];
}

/** A dnsmasq lease line: `<expiry> <mac> <ip> <hostname|*> <client-id|*>`. */
export interface Lease {
  expiry: number;
  mac: string;
  ip: string;
  /** null when dnsmasq wrote `*` */
  hostname: string | null;
  clientId: string | null;
}

/** tinc 1.0 node from the USR2 dump. */
export interface TincNode {
  name: string;
  /** Underlay address, or 'MYSELF' for the local node. */
  address: string;
  port?: number;
  status: number;
  /** bit 0x10 of status */
  reachable: boolean;
  myself: boolean;
  nexthop?: string;
  pmtu?: number;
}

/** The VPN daemon's view of its peers, whatever the overlay type. */
export interface OverlayPeerState {
  /** Where this came from: 'peervpn-log', 'tinc-dump', 'vxlan-fdb', ... */
  source: string;
  /** Peers the daemon says are connected (excludes this host). null when unknown. */
  connectedCount: number | null;
  /** Names or underlay addresses of connected peers, when the source tells. */
  connected: string[];
  /** Peers the source knows but that are not connected. */
  disconnected: string[];
  /** The log line(s) or dump this was read from (for evidence). */
  excerpt: string;
  /** e.g. peervpn uptime (s) of the last count line; lets a check say the count may lag. */
  ageSeconds?: number;
}

/** One ping target's outcome, whatever tool measured it (fping, ping). */
export interface PingResult {
  target: string;
  sent: number;
  received: number;
  /** 0..100 */
  lossPercent: number;
  rttMinMs?: number;
  rttAvgMs?: number;
  rttMaxMs?: number;
  /** e.g. 'Network is unreachable', 'Name or service not known', 'message too long, mtu=1400' */
  error?: string;
  /** The payload size when this was a path-MTU probe (-M do -s SIZE). */
  size?: number;
  /**
   * A first round lost packets, so a second short round was sent to this
   * target in the same command; the counts above are both rounds together.
   * `lostAgain`: the second round lost packets too (the loss is confirmed).
   */
  confirmRound?: { sent: number; received: number; lostAgain: boolean };
}

/** Legacy /etc/default/lxd-bridge (LXD 2.x): KEY="value" pairs, plus what they imply. */
export interface LxdBridgeDefaults {
  values: Record<string, string>;
  /** true when the file aliases dnsmasq away (the secondary-host trick). */
  dnsmasqAliasedAway: boolean;
  /** true when LXD_IPV4_ADDR, NETMASK and NETWORK are set, i.e. the script starts dnsmasq. */
  startsDnsmasq: boolean;
}

/** `lxc network show BRIDGE` (YAML) reduced to what the checks use. */
export interface LxdNetworkConfig {
  name: string;
  type?: string;
  managed: boolean;
  config: Record<string, string>;
  usedBy: string[];
}

/** A dnsmasq found in the process list, with the options that matter. */
export interface DnsmasqInstance {
  pid: number;
  args: string;
  /** Its executable as /proc/PID/exe shows it, when known. */
  exe?: string;
  /** --interface values */
  interfaces: string[];
  listenAddresses: string[];
  /** --dhcp-range values as written */
  dhcpRanges: string[];
  /** --domain / -s */
  domain?: string;
  leaseFile?: string;
  /** true when it serves DHCP (has a dhcp-range) */
  servesDhcp: boolean;
}

/** A container from `lxc list --format json`. */
export interface ContainerInfo {
  name: string;
  status: string;
  running: boolean;
  location?: string;
  hwaddr?: string;
  /** IPv4 addresses on eth0 (global scope) */
  ipv4: string[];
  ipv6: string[];
  /** All NICs: name -> addresses */
  nics: Record<string, { hwaddr?: string; ipv4: string[]; ipv6: string[] }>;
}

/** peervpn.conf reduced; the psk is dropped at parse time and never stored. */
export interface PeervpnConfig {
  networkname?: string;
  interface?: string;
  port?: number;
  initpeers: { host: string; port: number }[];
  upcmd?: string;
  ifconfig4?: string;
  hasPsk: boolean;
}

/** One host's gather (all stages merged): what a run judges and a bundle records. */
export interface GatherResult {
  host: string;
  reachable: boolean;
  /** Why the host could not be reached (connect error, host key problem, ...). */
  connectError?: string;
  connectErrorKind?: string;
  raw: Record<string, RawOutput>;
  /** Set when the compound command itself failed or was killed. */
  execError?: string;
  durationMs: number;
  /** Each stage's compound command(s) as the runner timed them; absent in old bundles. */
  stages?: StageTiming[];
}

export interface StageTiming {
  name: string;
  durationMs: number;
  /** The sections this stage ran. */
  sections: string[];
}

export interface ContainerProbe {
  container: string;
  /** Tools found inside; null when the exec itself failed. */
  tools: string[] | null;
  byIp: Map<string, PingResult>;
  byName: Map<string, PingResult>;
  /** fqdn -> IPv4 addresses getent returned ([] when it failed), with getent's exit code. */
  dns: Map<string, { addresses: string[]; exitCode: number | null; output: string }>;
  /** Why the probe could not run (lxc exec failed, timed out). */
  error?: string;
  section: string;
}

export interface MulticastResult {
  container: string;
  sent: number;
  /** sender container name -> packets received from it */
  received: Map<string, number>;
  /** The confirming round, when this host took part in one (the same container, a shorter window). */
  confirm?: { sent: number; received: Map<string, number> };
}

/** One answer to the DHCPDISCOVER, as the frame arrived. */
export interface DhcpReply {
  /** DHCP message type: OFFER normally (NAK, ACK ... when a server misbehaves; BOOTP when none). */
  type: string;
  /** Ethernet source of the frame. */
  srcMac: string;
  /** IP source of the frame. */
  srcIp: string;
  /** Option 54, the address the server names itself by. */
  serverId?: string;
  /** The address offered. */
  yiaddr: string;
  /** Set when a relay agent forwarded the answer. */
  giaddr?: string;
  mask?: string;
  routers?: string[];
  dns?: string[];
  domain?: string;
  leaseSeconds?: number;
  /** Milliseconds after the DISCOVER went out. */
  atMs?: number;
}

/** An ARP request seen during the listening: a server may be pinging the address it is about to offer. */
export interface DhcpSign {
  srcMac: string;
  senderIp: string;
  targetIp: string;
  atMs?: number;
}

export interface DhcpDiscovery {
  /** done: the listening ended; skipped: it could not run here (reason says why). */
  status: 'done' | 'skipped';
  skipReason?: string;
  iface?: string;
  xid?: string;
  /** The random client MAC the DISCOVER carried. */
  chaddr?: string;
  /** The Ethernet source it was sent from (the bridge's own MAC). */
  srcMac?: string;
  windowSeconds?: number;
  floorSeconds?: number;
  replies: DhcpReply[];
  /** ARP requests seen while listening (absent from probes older than the early end). */
  signs?: DhcpSign[];
  /** How long it listened, and whether it ended early (settled) or at the window, and why. */
  listenedMs?: number;
  stop?: 'settled' | 'window';
  why?: string;
  /** ARP requests seen for addresses known in use (not counted as signs). */
  arpInUse?: number;
}

export interface DnsAnswer {
  name: string;
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED, TIMEOUT, ERROR, ... */
  status: string;
  addresses: string[];
  error?: string;
}

/** A container client: `lxc` (LXD) or `incus` (Incus). */
export type LxdClient = 'lxc' | 'incus';

/** Which container daemon a host is judged by, and why (facts/daemon.ts). */
export interface DaemonJudgement {
  daemon: 'lxd' | 'incus' | null;
  client: LxdClient | null;
  how: 'named' | 'detected';
  /** Why, in words: "named by cluster.daemon", "detected: lxc answered". */
  why: string;
}
