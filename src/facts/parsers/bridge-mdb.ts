/**
 * `bridge -d -s mdb show dev BR` (iproute2): the bridge's multicast router
 * ports, the ports a snooping bridge always sends group traffic to. With
 * `-s` each port carries its timer and whether it was learned from a query
 * (`temp`) or set by hand (`permanent`); without it, names only:
 *   router ports on lxdbr0: peervpn0  252.35 temp
 *   router ports on lxdbr0: peervpn0
 * Group lines (`dev lxdbr0 port … grp …`) are not read here.
 */
import { splitLines } from './text.js';

export interface MdbRouterPort {
  port: string;
  /** Seconds until a learned mark expires (absent without -s). */
  timerSeconds?: number;
  kind?: 'temp' | 'permanent';
}

export function parseMdbRouterPorts(text: string, bridge: string): MdbRouterPort[] {
  const ports: MdbRouterPort[] = [];
  for (const line of splitLines(text)) {
    const m = /^router ports on (\S+):(.*)$/.exec(line.trim());
    if (!m || m[1] !== bridge) continue;
    let current: MdbRouterPort | undefined;
    for (const token of (m[2] ?? '').trim().split(/\s+/).filter(Boolean)) {
      if (/^\d+(\.\d+)?$/.test(token)) {
        if (current) current.timerSeconds = Number(token);
      } else if (token === 'temp' || token === 'permanent') {
        if (current) current.kind = token;
      } else {
        current = { port: token };
        ports.push(current);
      }
    }
  }
  return ports;
}
