/**
 * The lab must never send a packet off this machine. Before building, every lab
 * range is blackholed in the root namespace; then `ip route get` proves, for
 * every lab address, that nothing would go to the default gateway.
 */
import {
  BLACKHOLES,
  bridgeAddress,
  DHCP_RANGE,
  overlayAddress,
  ROGUE_DHCP_RANGE,
  ROOT_ADDRESS,
  UNDERLAY_GATEWAY,
  underlayAddress,
} from './constants.js';
import { must, pMap, run } from './exec.js';

export interface DefaultRoute {
  gateway?: string;
  dev?: string;
}

/** The root namespace's IPv4 default route(s), read now (never assumed). */
export async function defaultRoutes(): Promise<DefaultRoute[]> {
  const out = await must(['ip', '-4', '-j', 'route', 'show', 'default']);
  const routes = JSON.parse(out || '[]') as { gateway?: string; dev?: string }[];
  return routes.map((r) => ({ gateway: r.gateway, dev: r.dev }));
}

interface RouteGet {
  type?: string;
  dst?: string;
  gateway?: string;
  dev?: string;
}

/** Add the blackholes (idempotent). Refuses when a non-blackhole route already owns one of the ranges. */
export async function installBlackholes(): Promise<string[]> {
  for (const prefix of BLACKHOLES) {
    const out = await must(['ip', '-4', '-j', 'route', 'show', 'exact', prefix]);
    const existing = JSON.parse(out || '[]') as { type?: string }[];
    if (existing.some((r) => r.type !== 'blackhole')) {
      throw new Error(
        `refusing to build the lab: this machine already routes ${prefix} (${out.trim()}); the lab needs that range for itself`,
      );
    }
    await must(['ip', 'route', 'replace', 'blackhole', prefix]);
  }
  return [...BLACKHOLES];
}

export async function removeBlackholes(): Promise<void> {
  for (const prefix of BLACKHOLES) {
    const out = await run(['ip', '-4', '-j', 'route', 'show', 'exact', prefix]);
    const existing = JSON.parse(out.stdout || '[]') as { type?: string }[];
    if (existing.some((r) => r.type === 'blackhole')) await run(['ip', 'route', 'del', 'blackhole', prefix]);
  }
}

/** Every address the lab uses or hands out, for `ip route get`. */
export function labAddresses(hosts: number, extra: readonly string[] = []): string[] {
  const list = [ROOT_ADDRESS, UNDERLAY_GATEWAY, DHCP_RANGE.first, DHCP_RANGE.last, '172.16.150.1'];
  list.push(ROGUE_DHCP_RANGE.first, ROGUE_DHCP_RANGE.last);
  for (let i = 1; i <= hosts; i++) list.push(underlayAddress(i), bridgeAddress(i), overlayAddress(i));
  return [...new Set([...list, ...extra])];
}

export interface LeakReport {
  address: string;
  route: string;
  leaks: boolean;
}

/** `ip route get` each address from the root namespace; a route via the default gateway or its device leaks. */
export async function checkRoutes(addresses: readonly string[]): Promise<LeakReport[]> {
  const defaults = await defaultRoutes();
  return pMap(addresses, 16, async (address) => {
    const r = await run(['ip', '-4', '-j', 'route', 'get', address]);
    if (r.exitCode !== 0) {
      // A blackhole or unreachable route makes `ip route get` fail: nothing is sent.
      return { address, route: (r.stderr || r.stdout).trim(), leaks: false };
    }
    const routes = JSON.parse(r.stdout || '[]') as RouteGet[];
    const leaks = routes.some(
      (x) =>
        x.type !== 'blackhole' &&
        x.type !== 'unreachable' &&
        defaults.some((d) => (d.gateway && x.gateway === d.gateway) || (d.dev && x.dev === d.dev)),
    );
    const first = routes[0];
    const route = first
      ? `${first.type ?? 'unicast'} ${first.dst ?? address}${first.gateway ? ` via ${first.gateway}` : ''}${first.dev ? ` dev ${first.dev}` : ''}`
      : '(none)';
    return { address, route, leaks };
  });
}

/** Throws (and so stops the build) when any lab address would leave the machine. */
export async function assertNoLeak(addresses: readonly string[]): Promise<void> {
  const leaking = (await checkRoutes(addresses)).filter((r) => r.leaks);
  if (leaking.length > 0) {
    throw new Error(
      `SAFETY: refusing to continue, these lab addresses would be routed off the machine: ${leaking
        .map((l) => `${l.address} (${l.route})`)
        .join(', ')}`,
    );
  }
}
