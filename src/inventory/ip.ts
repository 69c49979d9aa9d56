/**
 * Strict IPv4 address and CIDR parsing. The netmask package is lenient (it
 * reads `010.1.1.1` and `1.2.3` without complaint), so the text is checked here
 * first and netmask only does the arithmetic.
 */
import { Netmask } from 'netmask';

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/** Why `text` is not a plain IPv4 address, or undefined when it is one. */
export function ipv4Problem(text: string): string | undefined {
  if (isIPv4(text)) return undefined;
  const slash = text.indexOf('/');
  if (slash > 0 && isIPv4(text.slice(0, slash))) {
    return `${text} has a prefix length; write the address alone: ${text.slice(0, slash)}`;
  }
  if (text.includes(':')) return `${text} is not an IPv4 address (IPv6 is not supported here)`;
  return `${text} is not an IPv4 address (expected four decimal numbers 0-255 like 172.16.0.1)`;
}

export function ipv4ToLong(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export interface Cidr {
  text: string;
  net: Netmask;
  prefix: number;
}

/** Parse `a.b.c.d/nn` strictly; returns the problem text on failure. */
export function parseCidr(text: string): Cidr | string {
  const m = /^([^/]+)\/([0-9]{1,2})$/.exec(text);
  if (!m) {
    if (isIPv4(text)) return `${text} has no prefix length (expected a CIDR like ${text}/24)`;
    return `${text} is not an IPv4 CIDR (expected e.g. 172.16.0.0/16)`;
  }
  const [, addr, prefixText] = m as unknown as [string, string, string];
  const bad = ipv4Problem(addr);
  if (bad) return `${text} is not an IPv4 CIDR: ${bad}`;
  const prefix = Number(prefixText);
  if (prefix > 32) return `${text} has prefix length ${prefix}; it must be 0..32`;
  const net = new Netmask(addr, prefix);
  if (net.base !== addr) {
    return `${text} is not a network address (host bits are set); did you mean ${net.base}/${prefix}?`;
  }
  return { text, net, prefix };
}

/** Network and broadcast addresses cannot be given to a host (prefixes up to /30). */
export function reservedAddress(cidr: Cidr, ip: string): 'network' | 'broadcast' | undefined {
  if (cidr.prefix > 30) return undefined;
  if (ip === cidr.net.base) return 'network';
  if (ip === cidr.net.broadcast) return 'broadcast';
  return undefined;
}
