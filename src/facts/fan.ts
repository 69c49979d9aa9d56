/**
 * The Ubuntu Fan: a managed LXD/Incus bridge with `bridge.mode: fan` maps
 * each host's underlay address (inside `fan.underlay_subnet`) to its own
 * overlay slice of `fan.overlay_subnet` and routes between slices, instead
 * of joining the hosts' bridges into one L2 with a VPN. Pure: from the
 * bridge's `network show` config and the host's addresses.
 *
 * The mapping (LXD's and Incus's, documented for /16 or /24 underlays and
 * /8 or /16 overlays): the host part of the underlay address follows the
 * overlay prefix; the slice is /(overlay + 32 - underlay) and the bridge
 * holds its first address, shown with the overlay's prefix length.
 */
import type { AddressInfo, LxdNetworkConfig } from './types.js';

export interface FanConfig {
  bridge: string;
  underlay: Cidr;
  overlay: Cidr;
  /** vxlan (default) or ipip. */
  type: string;
}

export interface Cidr {
  text: string;
  network: number;
  prefix: number;
}

export function ipToLong(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

export function longToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

export function parseCidr(text: string): Cidr | null {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const ip = m ? ipToLong(m[1]!) : null;
  const prefix = m ? Number(m[2]) : Number.NaN;
  if (ip === null || !(prefix >= 0 && prefix <= 32)) return null;
  return { text: text.trim(), network: (ip & maskOf(prefix)) >>> 0, prefix };
}

export function inCidr(ip: string, c: Cidr): boolean {
  const n = ipToLong(ip);
  return n !== null && (n & maskOf(c.prefix)) >>> 0 === c.network;
}

/** The bridge's Fan configuration; null when the bridge is not a managed Fan bridge (or unreadable). */
export function fanConfig(
  net: LxdNetworkConfig | null,
): FanConfig | { bridge: string; problem: string } | null {
  if (!net?.managed || net.config['bridge.mode'] !== 'fan') return null;
  const u = net.config['fan.underlay_subnet'] ?? 'auto';
  // LXD writes the resolved subnet back on creation; `auto` left in place means it could not.
  const underlay = parseCidr(u);
  const overlay = parseCidr(net.config['fan.overlay_subnet'] ?? '240.0.0.0/8');
  if (!underlay) return { bridge: net.name, problem: `fan.underlay_subnet is "${u}", not a subnet (CIDR)` };
  if (!overlay)
    return {
      bridge: net.name,
      problem: `fan.overlay_subnet is "${net.config['fan.overlay_subnet']}", not a subnet (CIDR)`,
    };
  if (overlay.prefix + (32 - underlay.prefix) > 24)
    return {
      bridge: net.name,
      problem: `fan.overlay_subnet ${overlay.text} and fan.underlay_subnet ${underlay.text} leave no room for a slice (overlay /${overlay.prefix} + ${32 - underlay.prefix} underlay host bits > 24)`,
    };
  return { bridge: net.name, underlay, overlay, type: net.config['fan.type'] ?? 'vxlan' };
}

export function isFanConfig(c: ReturnType<typeof fanConfig>): c is FanConfig {
  return c !== null && 'underlay' in c;
}

/** The host's address inside the underlay subnet (IPv4, global), with its interface. */
export function underlayAddress(
  fan: FanConfig,
  addrs: readonly AddressInfo[] | null,
): AddressInfo | undefined {
  return (addrs ?? []).find(
    (a) => a.family === 'inet' && a.ifname !== fan.bridge && inCidr(a.local, fan.underlay),
  );
}

export interface FanSlice {
  /** e.g. 240.3.4.0/24 */
  slice: string;
  /** e.g. 240.3.4.1: the bridge's address in the slice. */
  bridgeAddress: string;
}

/** The overlay slice an underlay address maps to, and the bridge address in it. */
export function fanSlice(fan: FanConfig, underlayIp: string): FanSlice | null {
  const ip = ipToLong(underlayIp);
  if (ip === null || !inCidr(underlayIp, fan.underlay)) return null;
  const hostBits = 32 - fan.underlay.prefix;
  const host = (ip & ~maskOf(fan.underlay.prefix)) >>> 0;
  const sliceLen = fan.overlay.prefix + hostBits;
  const network = (fan.overlay.network | (host << (32 - sliceLen))) >>> 0;
  return { slice: `${longToIp(network)}/${sliceLen}`, bridgeAddress: longToIp(network + 1) };
}

/** Per host: its Fan bridge config (from `network show` of the cluster bridge), when it has one. */
export function clusterFan(
  hosts: ReadonlyMap<string, { lxdNetwork: LxdNetworkConfig | null }>,
): Map<string, ReturnType<typeof fanConfig>> {
  const out = new Map<string, ReturnType<typeof fanConfig>>();
  for (const [name, f] of hosts) {
    const c = fanConfig(f.lxdNetwork);
    if (c) out.set(name, c);
  }
  return out;
}

/** The sentence overlay checks skip with when the cluster uses the Fan. */
export function fanReason(
  hosts: ReadonlyMap<string, { lxdNetwork: LxdNetworkConfig | null }>,
): string | null {
  const fans = clusterFan(hosts);
  const first = [...fans.values()][0];
  if (!first) return null;
  const how = isFanConfig(first)
    ? ` (overlay ${first.overlay.text}, underlay ${first.underlay.text}, ${first.type})`
    : '';
  return `the cluster uses the Ubuntu Fan on ${first.bridge}${how} instead of an L2 overlay (bridge.mode=fan on ${[...fans.keys()].join(', ')}): the fan.* checks apply`;
}
