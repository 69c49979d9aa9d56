/** The cluster file, validated (schema.ts checks it, load.ts builds these). */

export type OverlayType = 'peervpn' | 'tinc' | 'vxlan';

export interface OverlaySpec {
  type: OverlayType;
  /** The tap/vxlan device that must be a port of the bridge, e.g. peervpn0. */
  interface: string;
  /** Optional: the subnet of the overlay device's own addresses, e.g. 10.99.0.0/24. */
  subnet?: string;
  /** tinc network name (tincd -n NAME); defaults to the interface's network in /etc/tinc. */
  network?: string;
  /** Where the VPN daemon logs, when not the journal (peervpn stdout redirected, tinc --logfile). */
  logFile?: string;
  /** peervpn config file (read for interface/port/peers; the psk is never printed). */
  configFile?: string;
  /** systemd unit of the VPN daemon, e.g. peervpn.service or tinc@lxd.service. */
  unit?: string;
}

export interface SshSpec {
  /** As written: user@host[:port] or a Host alias from ~/.ssh/config. */
  target: string;
  user: string;
  hostname: string;
  port: number;
  identityFiles: string[];
  /** Bastions, outermost first (ProxyJump, comma separated in OpenSSH). */
  proxyJump: SshHop[];
  proxyCommand?: string;
  /** Run commands through `sudo -n`. */
  sudo: boolean;
  /** UserKnownHostsFile from ~/.ssh/config for this host, expanded (when set there). */
  userKnownHostsFiles?: string[];
  /** GlobalKnownHostsFile from ~/.ssh/config (default: /etc/ssh/ssh_known_hosts{,2}); read, never written. */
  globalKnownHostsFiles?: string[];
  /** The host as written in the target (ProxyCommand's %n); default: the target's host part. */
  alias?: string;
  /** IdentitiesOnly: offer only identityFiles, never agent keys. */
  identitiesOnly?: boolean;
  /** UserKnownHostsFile then GlobalKnownHostsFile, as OpenSSH resolved them; the first receives --accept-new keys. */
  knownHostsFiles?: string[];
  /** ConnectTimeout from the SSH config. */
  connectTimeoutMs?: number;
  /** StrictHostKeyChecking as the SSH config sets it (lxdcheck verifies host keys whatever it says). */
  strictHostKeyChecking?: string;
  /** Who resolved the fields above: OpenSSH's `ssh -G`, or the ssh-config library (no ssh binary). */
  resolvedBy?: 'openssh' | 'library';
  /** Where each value came from. */
  sources?: Partial<Record<SshField, SshSource>>;
  /** What the inventory itself says about this host's SSH (for resolving it with OpenSSH later). */
  inventory?: SshInventoryLayers;
}

export type SshField =
  | 'hostname'
  | 'user'
  | 'port'
  | 'identityFiles'
  | 'proxyJump'
  | 'proxyCommand'
  | 'knownHostsFiles'
  | 'connectTimeout';

export type SshSource = 'ssh -G' | 'ssh config' | 'inventory' | 'default';

/** The inventory's own SSH settings for one host: its target, host-level fields and the `ssh:` defaults. */
export interface SshInventoryLayers {
  target: { user?: string; host: string; port?: number };
  host: {
    user?: string;
    identityFiles?: string[];
    proxyJump?: { user?: string; host: string; port?: number }[];
  };
  defaults: {
    user?: string;
    identityFiles?: string[];
    proxyJump?: { user?: string; host: string; port?: number }[];
  };
  /** `-F FILE`: the SSH config the inventory names (ssh.config); default: OpenSSH's own files. */
  configFile?: string;
}

export interface SshHop {
  user: string;
  hostname: string;
  port: number;
  identityFiles: string[];
  /** As for SshSpec (set when OpenSSH resolved the hop). */
  alias?: string;
  identitiesOnly?: boolean;
  knownHostsFiles?: string[];
  connectTimeoutMs?: number;
}

export interface HostSpec {
  name: string;
  ssh: SshSpec;
  bridgeAddress: string;
  overlayAddress?: string;
  /** 'local' runs commands on this machine; 'ssh' (default) over SSH. */
  transport: 'ssh' | 'local';
  /** Optional wrapper argv for the local transport (e.g. the lab's nsenter into a host). */
  localWrapper?: string[];
  /** Which daemon runs on this host, overriding the cluster's (detected when unset). */
  daemon?: LxdDaemon;
}

/** The container daemons lxdcheck knows: LXD (client `lxc`) and its fork Incus (client `incus`). */
export type LxdDaemon = 'lxd' | 'incus';

export interface ClusterSpec {
  name: string;
  domain: string;
  bridge: string;
  /** CIDR, e.g. 172.16.0.0/16 */
  subnet: string;
  overlay: OverlaySpec;
  /** Name of the one host whose dnsmasq serves DHCP and DNS. */
  dhcp: string;
  /** DHCP range as `first,last` when known (checked against dnsmasq's own). */
  dhcpRange?: string;
  /** The LXD client command: lxc or incus (detected when unset). */
  lxdCommand?: 'lxc' | 'incus';
  /** Which daemon the hosts run: LXD or Incus (detected when unset; a host may say otherwise). */
  daemon?: LxdDaemon;
}

export interface Inventory {
  /** Absolute path of the file it came from ('' when built in memory). */
  file: string;
  cluster: ClusterSpec;
  hosts: HostSpec[];
  /** known_hosts file to verify against (default ~/.ssh/known_hosts). */
  knownHosts?: string;
}
