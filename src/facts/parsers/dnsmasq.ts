/** Parsers for dnsmasq's lease file and DHCP log. */
import type { Lease } from '../types.js';
import { splitLines } from './text.js';

/** One DHCPACK line of the dnsmasq log: who got which address and name. */
export interface DhcpAck {
  /** Interface the request came in on, e.g. lxdbr0. */
  iface: string;
  ip: string;
  mac: string;
  /** The name dnsmasq acknowledged, when it printed one. */
  hostname?: string;
  /** The log line, for evidence. */
  line: string;
}

export interface DuplicateHostname {
  hostname: string;
  leases: Lease[];
}

/** `<expiry> <mac> <ip> <hostname|*> <client-id|*>` per line; the IPv6 `duid` line and junk are skipped. */
export function parseLeases(text: string): Lease[] {
  const out: Lease[] = [];
  for (const line of splitLines(text)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+$/.test(f[0]!)) continue;
    const [expiry, mac, ip, hostname, clientId] = f;
    out.push({
      expiry: Number(expiry),
      mac: mac!,
      ip: ip!,
      hostname: hostname === '*' ? null : hostname!,
      clientId: clientId === undefined || clientId === '*' ? null : clientId,
    });
  }
  return out;
}

const ACK = /DHCPACK\(([^)]+)\) (\S+) (\S+)(?: (\S+))?\s*$/;

/** DHCPACK lines of a dnsmasq log (`--log-dhcp` or not; syslog or log-facility format). */
export function parseDnsmasqDhcpAcks(logText: string): DhcpAck[] {
  const out: DhcpAck[] = [];
  for (const line of splitLines(logText)) {
    const m = ACK.exec(line);
    if (!m) continue;
    const ack: DhcpAck = { iface: m[1]!, ip: m[2]!, mac: m[3]!, line };
    if (m[4] !== undefined) ack.hostname = m[4];
    out.push(ack);
  }
  return out;
}

function groupBy<T>(items: T[], key: (item: T) => string | null | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null || k === undefined) continue;
    const group = groups.get(k) ?? [];
    group.push(item);
    groups.set(k, group);
  }
  return groups;
}

function distinctCount(values: string[]): number {
  return new Set(values.map((v) => v.toLowerCase())).size;
}

/**
 * Hostnames held by more than one MAC.
 *
 * The lease file alone is not enough: dnsmasq 2.90 gives the name to the later
 * client and rewrites the earlier lease's name to `*` (fixtures/dnsmasq/fault-dup-*),
 * so the file never shows the name twice. When the DHCP log is given, a name
 * ACKed to several MACs that all still hold a lease is reported too, with
 * those leases (one of them nameless).
 */
export function findDuplicateHostnames(leases: Lease[], acks: DhcpAck[] = []): DuplicateHostname[] {
  const found = new Map<string, Lease[]>();
  for (const [hostname, group] of groupBy(leases, (l) => l.hostname)) {
    if (distinctCount(group.map((l) => l.mac)) > 1) found.set(hostname, group);
  }
  const leaseByMac = new Map(leases.map((l) => [l.mac.toLowerCase(), l]));
  for (const [hostname, group] of groupBy(acks, (a) => a.hostname)) {
    if (found.has(hostname)) continue;
    const macs = [...new Set(group.map((a) => a.mac.toLowerCase()))];
    const held = macs.map((m) => leaseByMac.get(m)).filter((l): l is Lease => l !== undefined);
    if (held.length > 1) found.set(hostname, held);
  }
  return [...found].map(([hostname, group]) => ({ hostname, leases: group }));
}
