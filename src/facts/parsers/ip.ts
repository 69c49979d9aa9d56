/** Parsers for iproute2 output: `ip -j [-d] link`, `ip -j addr`, `ip -j route`, `bridge link`. */
import type { AddressInfo, LinkInfo, RouteInfo } from '../types.js';
import { asNumber, asString, extractJsonArray, isRecord, splitLines } from './text.js';

/** One port line of `bridge link`. */
export interface BridgePort {
  ifname: string;
  master?: string;
  /** STP port state: forwarding, disabled, blocking, ... */
  state?: string;
  mtu?: number;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function vxlanDetails(data: Record<string, unknown>): NonNullable<LinkInfo['vxlan']> {
  return {
    id: asNumber(data['id']),
    local: asString(data['local']),
    port: asNumber(data['port']),
    // iproute2 names the underlay device `link` in JSON (`dev` in text output).
    dev: asString(data['link']),
  };
}

function toLinkInfo(raw: Record<string, unknown>): LinkInfo | null {
  const ifname = asString(raw['ifname']);
  const ifindex = asNumber(raw['ifindex']);
  if (ifname === undefined || ifindex === undefined) return null;
  const flags = stringArray(raw['flags']);
  const link: LinkInfo = {
    ifname,
    ifindex,
    flags,
    up: flags.includes('UP'),
    operstate: asString(raw['operstate']) ?? 'UNKNOWN',
    mtu: asNumber(raw['mtu']) ?? 0,
  };
  const mac = asString(raw['address']);
  if (mac !== undefined) link.mac = mac;
  const master = asString(raw['master']);
  if (master !== undefined) link.master = master;
  // linkinfo only appears with `ip -d`; plain `ip -j link` leaves kind unknown.
  const linkinfo = raw['linkinfo'];
  if (isRecord(linkinfo)) {
    const kind = asString(linkinfo['info_kind']);
    if (kind !== undefined) link.kind = kind;
    const data = isRecord(linkinfo['info_data']) ? linkinfo['info_data'] : {};
    if (kind === 'tun') {
      const tunType = asString(data['type']);
      if (tunType !== undefined) link.tunType = tunType;
    }
    if (kind === 'vxlan') link.vxlan = vxlanDetails(data);
  }
  return link;
}

/** `ip -j -d link` (or plain `ip -j link`). */
export function parseIpLinkJson(text: string): LinkInfo[] {
  return extractJsonArray(text)
    .filter(isRecord)
    .map(toLinkInfo)
    .filter((l): l is LinkInfo => l !== null);
}

/** `ip -j addr`: one entry per address, IPv4 and IPv6. */
export function parseIpAddrJson(text: string): AddressInfo[] {
  const out: AddressInfo[] = [];
  for (const link of extractJsonArray(text).filter(isRecord)) {
    const ifname = asString(link['ifname']);
    if (ifname === undefined || !Array.isArray(link['addr_info'])) continue;
    for (const a of link['addr_info'].filter(isRecord)) {
      const family = a['family'];
      const local = asString(a['local']);
      const prefixlen = asNumber(a['prefixlen']);
      if ((family !== 'inet' && family !== 'inet6') || local === undefined || prefixlen === undefined)
        continue;
      const addr: AddressInfo = { ifname, family, local, prefixlen };
      const scope = asString(a['scope']);
      if (scope !== undefined) addr.scope = scope;
      out.push(addr);
    }
  }
  return out;
}

/** ip prints host routes without a prefix length; the model wants a CIDR. */
function normaliseDst(dst: string): string {
  if (dst === 'default' || dst.includes('/')) return dst;
  return dst.includes(':') ? `${dst}/128` : `${dst}/32`;
}

/** `ip -j route`. */
export function parseIpRouteJson(text: string): RouteInfo[] {
  const out: RouteInfo[] = [];
  for (const r of extractJsonArray(text).filter(isRecord)) {
    const dst = asString(r['dst']);
    if (dst === undefined) continue;
    const route: RouteInfo = { dst: normaliseDst(dst), type: asString(r['type']) ?? 'unicast' };
    for (const key of ['dev', 'gateway', 'protocol', 'scope', 'prefsrc'] as const) {
      const value = asString(r[key]);
      if (value !== undefined) route[key] = value;
    }
    out.push(route);
  }
  return out;
}

const BRIDGE_LINK_LINE = /^\d+:\s+([^\s:@]+)(?:@\S+)?:\s+<[^>]*>(.*)$/;

/** `bridge link` (text): `4: peervpn0: <...> mtu 1500 master lxdbr0 state forwarding ...`. */
export function parseBridgeLinkText(text: string): BridgePort[] {
  const out: BridgePort[] = [];
  for (const line of splitLines(text)) {
    const m = BRIDGE_LINK_LINE.exec(line.trim());
    if (!m) continue;
    const port: BridgePort = { ifname: m[1]! };
    const words = m[2]!.trim().split(/\s+/);
    for (let i = 0; i + 1 < words.length; i++) {
      const value = words[i + 1]!;
      if (words[i] === 'master') port.master = value;
      else if (words[i] === 'state') port.state = value;
      else if (words[i] === 'mtu' && /^\d+$/.test(value)) port.mtu = Number(value);
    }
    out.push(port);
  }
  return out;
}
