/**
 * Every name, path and address the lab uses. Everything it creates starts with
 * PREFIX so tear-down can find (and delete) only its own things.
 */

export const PREFIX = 'lxlab-';

export const STATE_DIR = '/run/lxlab';
export const STATE_FILE = `${STATE_DIR}/state.json`;
export const HOSTS_DIR = `${STATE_DIR}/hosts`;
export const CONTAINERS_DIR = `${STATE_DIR}/containers`;
export const CLIENT_KEY = `${STATE_DIR}/id_ed25519`;
export const KNOWN_HOSTS = `${STATE_DIR}/known_hosts`;
export const LOCK_FILE = `${STATE_DIR}.lock`;
/** Kept across labs: tinc keys, the debootstrap tarballs, the LXD image. */
export const CACHE_DIR = '/var/cache/lxlab';
export const TINC_KEYS_DIR = `${CACHE_DIR}/tinc-keys`;
/** LXD_DIR per host lives on disk outside /run (each host gets its own /run). */
export const LXD_ROOT = '/var/lib/lxlab';

export const UNDERLAY_NS = `${PREFIX}ul`;
export const UNDERLAY_BRIDGE = `${PREFIX}ulbr`;
export const UNDERLAY_PREFIX = '192.168.99';
export const UNDERLAY_SUBNET = '192.168.99.0/24';
export const UNDERLAY_GATEWAY = '192.168.99.254';
export const ROOT_LINK = `${PREFIX}root`;
export const ROOT_PEER_LINK = `${PREFIX}rootp`;
export const ROOT_ADDRESS = '192.168.99.253';
export const UNDERLAY_MTU = 1600;

export const BRIDGE = 'lxdbr0';
export const BRIDGE_SUBNET = '172.16.0.0/16';
export const OVERLAY_IF = 'peervpn0';
export const OVERLAY_SUBNET = '10.99.0.0/24';
export const TINC_NET = 'lxd';
export const TINC_LOG = `/var/log/tinc.${TINC_NET}.log`;
export const TINC_PIDFILE = `/run/tinc.${TINC_NET}.pid`;
export const VXLAN_LOG = '/var/log/vxlan.peervpn0.log';
/** The peervpn stand-in (src/lab/peervpn.ts): where lxdcheck finds peervpn's config and log. */
export const PEERVPN_CONF_DIR = '/etc/peervpn';
export const PEERVPN_CONF = `${PEERVPN_CONF_DIR}/peervpn.conf`;
export const PEERVPN_LOG = '/var/log/peervpn.log';
export const PEERVPN_PORT = 7000;
export const PEERVPN_NETWORK = 'LXLAB';
/** The stand-in script, visible in every host (LXD_ROOT is not hidden by a host's private mounts). */
export const PEERVPN_STANDIN = '/var/lib/lxlab/peervpn-stand-in/peervpn';
/** The lab's psk (0600, root namespace only): heal rewrites configs from it, the state file never holds it. */
export const PEERVPN_PSK_FILE = '/run/lxlab/peervpn.psk';
export const DOMAIN = 'lxd';
export const DHCP_RANGE = { first: '172.16.100.1', last: '172.16.199.254' };
/** The rogue server of the second-dhcp fault hands out this range. */
export const ROGUE_DHCP_RANGE = { first: '172.16.200.1', last: '172.16.200.254' };
export const LEASE_FILE = '/var/lib/misc/dnsmasq.leases';
export const DNSMASQ_LOG = '/var/log/dnsmasq.log';
export const DNSMASQ_PIDFILE = '/run/dnsmasq.pid';
export const SSHD_PIDFILE = '/run/sshd.pid';

/**
 * Blackholed in the root namespace before anything is built. The underlay /24
 * is covered by a wider /23 so its connected route (via lxlab-root) still wins.
 * Never 10.0.0.0/8 (the machine's resolver) nor the gateway's network.
 */
export const BLACKHOLES = ['172.16.0.0/16', '10.99.0.0/24', '192.168.98.0/23'] as const;

export const MAX_HOSTS = 30;

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export const hostName = (i: number): string => `lxd${i}`;
export const hostNetns = (i: number): string => `${PREFIX}lxd${i}`;
export const underlayAddress = (i: number): string => `${UNDERLAY_PREFIX}.${i}`;
export const underlayLink = (i: number): string => `${PREFIX}ul${i}`;
export const bridgeAddress = (i: number): string => `172.16.0.${i}`;
export const bridgeMac = (i: number): string => `02:16:00:00:00:${hex2(i)}`;
export const overlayAddress = (i: number): string => `10.99.0.${i}`;
export const hostDir = (name: string): string => `${HOSTS_DIR}/${name}`;
export const lxdDir = (name: string): string => `${LXD_ROOT}/${name}`;

export const containerNetns = (name: string): string => `${PREFIX}${name}`;
/** c1..c9 get 02:00:00:00:00:c1.. (as in the fixtures); beyond that 02:00:00:00:0c:KK. */
export function containerMac(k: number): string {
  return k < 10 ? `02:00:00:00:00:c${k}` : `02:00:00:00:0c:${hex2(k)}`;
}
/** Host (1-based) that container k (1-based) lives on: round-robin. */
export const containerHost = (k: number, hosts: number): number => ((k - 1) % hosts) + 1;

export function hostIndex(host: string): number {
  const m = /^lxd(\d+)$/.exec(host);
  if (!m) throw new Error(`not a lab host name: ${host} (expected lxd1, lxd2, ...)`);
  return Number(m[1]);
}
