/** Small pure helpers the check families share. */
import { Netmask } from 'netmask';
import type { HostFacts } from '../facts/host-facts.js';
import type { AddressInfo, LinkInfo, PingResult } from '../facts/types.js';
import type { Inventory } from '../inventory/types.js';
import type { Evidence, Metrics } from '../model.js';
import type { Verdict } from './check.js';

const MAX_EXCERPT_LINES = 20;

/** Trim an excerpt to what a reader needs; the full output lives in --record bundles. */
export function excerpt(text: string, maxLines = MAX_EXCERPT_LINES): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  if (lines.length <= maxLines) return lines.join('\n');
  return [...lines.slice(0, maxLines), `… (${lines.length - maxLines} more lines)`].join('\n');
}

/** Evidence from one gathered section of a host. */
export function sectionEvidence(
  f: HostFacts,
  section: string,
  opts: { excerpt?: string; note?: string } = {},
): Evidence {
  const r = f.raw[section];
  const text = opts.excerpt ?? (r ? [r.stdout, r.stderr].filter((s) => s.trim() !== '').join('\n') : '');
  return {
    host: f.host,
    ...(r ? { command: r.command, exitCode: r.exitCode } : {}),
    ...(text.trim() !== '' ? { excerpt: excerpt(text) } : {}),
    ...(opts.note ? { note: opts.note } : {}),
  };
}

/**
 * When a section the judge needs could not be read, an `error` verdict that
 * says why (timeout, tool missing, exit code) instead of a guessed pass/fail.
 */
export function unreadable(f: HostFacts, section: string, what: string): Verdict {
  const r = f.raw[section];
  let why: string;
  if (!r) why = f.execError ? `the gather command failed: ${f.execError}` : 'it was not gathered';
  else if (r.timedOut) why = 'the command timed out';
  else if (r.exitCode === 127) why = `the command is not installed (${r.command.split(' ')[0]})`;
  else why = `the command exited ${r.exitCode}: ${firstLine(r.stderr) || firstLine(r.stdout)}`;
  return {
    status: 'error',
    summary: `could not read ${what} on ${f.host}: ${why}`,
    evidence: [sectionEvidence(f, section)],
  };
}

export function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

export function link(f: HostFacts, name: string): LinkInfo | undefined {
  return f.links?.find((l) => l.ifname === name);
}

export function ipv4Of(f: HostFacts, ifname: string): AddressInfo[] {
  return (f.addresses ?? []).filter((a) => a.ifname === ifname && a.family === 'inet');
}

export function inSubnet(ip: string, cidr: string): boolean {
  try {
    return new Netmask(cidr).contains(ip);
  } catch {
    return false;
  }
}

export function prefixOf(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

/** Ports of the bridge as the kernel sees them: sysfs first, then `master` from ip link. */
export function bridgePorts(f: HostFacts, bridge: string): string[] | null {
  if (f.bridgePorts) return f.bridgePorts;
  if (!f.links) return null;
  return f.links.filter((l) => l.master === bridge).map((l) => l.ifname);
}

export function otherHosts(inv: Inventory, name: string | undefined) {
  return inv.hosts.filter((h) => h.name !== name);
}

/** How the VPN is restarted, for fix lines. */
export function vpnRestartCommand(inv: Inventory): string {
  const o = inv.cluster.overlay;
  if (o.unit) return `systemctl restart ${o.unit}`;
  if (o.type === 'peervpn') return 'systemctl restart peervpn';
  if (o.type === 'tinc') return `systemctl restart tinc@${o.network ?? 'lxd'}`;
  return '';
}

/** A ping's numbers as verdict metrics. */
export function pingMetrics(r: PingResult): Metrics {
  const m: Metrics = { sent: r.sent, received: r.received, lossPercent: r.lossPercent };
  if (r.rttMinMs !== undefined) m['rttMinMs'] = r.rttMinMs;
  if (r.rttAvgMs !== undefined) m['rttAvgMs'] = r.rttAvgMs;
  if (r.rttMaxMs !== undefined) m['rttMaxMs'] = r.rttMaxMs;
  return m;
}
