/**
 * mesh: which hosts a host probes, its pings to their bridge addresses
 * (stage one) and to their overlay addresses (stage two, where both ends can
 * answer), and the path-MTU ladder across the overlay.
 */
import type { HostSpec, Inventory } from '../../inventory/types.js';
import { quoteArg as q } from '../../transport/quote.js';
import { parseFanOut } from '../fanout.js';
import type { HostFacts, PmtuResult } from '../host-facts.js';
import { overlayAddressUsable } from '../overlay-address.js';
import { parsePing } from '../parsers/ping.js';
import { pingFanOut, pingResults, pingSection } from '../ping.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

/** fping (or ping) to every mesh peer's bridge address (stage one). */
export const MESH_PING = 'mesh-ping';
/** The same to the peers' overlay addresses (stage two). */
export const MESH_OVERLAY_PING = 'mesh-overlay-ping';
/** The path-MTU ladder to every mesh peer's bridge address (stage one, its own channel). */
export const PMTU = 'pmtu';

/** Payload sizes probed across the overlay: IPv4 MTU minus 28 bytes of IP+ICMP headers. */
export const PMTU_LADDER = [1500, 1480, 1450, 1420, 1400, 1350, 1300, 1200, 1000] as const;

/** Up to this many hosts, every host probes every other; above it, a sampled mesh (meshPeers). */
export const MESH_FULL_LIMIT = 32;

/**
 * The hosts a host probes (pings, path MTU, and the pair checks on them):
 * every other host up to MESH_FULL_LIMIT hosts. Above it, the quadratic mesh
 * is sampled: the hosts 1, 2, 4, 8, … places after it in inventory order
 * (wrapping) and the one just before it — ⌈log2 N⌉+1 peers per host, every
 * host probed by as many others, and every host linked to every other by
 * at most ⌈log2 N⌉ probed hops, so a host cut off from the overlay still
 * fails from several sides.
 */
export function meshPeers(inv: Inventory, hostName: string): HostSpec[] {
  const hosts = inv.hosts;
  const i = hosts.findIndex((h) => h.name === hostName);
  if (i === -1) return [];
  if (hosts.length <= MESH_FULL_LIMIT) return hosts.filter((h) => h.name !== hostName);
  const offsets = new Set<number>([hosts.length - 1]);
  for (let o = 1; o < hosts.length; o *= 2) offsets.add(o);
  return [...offsets].sort((a, b) => a - b).map((o) => hosts[(i + o) % hosts.length] as HostSpec);
}

/** Targets a host pings in stage one: its mesh peers' bridge addresses. */
export function meshTargets(inv: Inventory, host: HostSpec): string[] {
  return [...new Set(meshPeers(inv, host.name).map((h) => h.bridgeAddress))];
}

function pmtuArgv(target: string, mtu: number): string[] {
  return ['ping', '-n', '-c', '1', '-W', '1', '-M', 'do', '-s', String(mtu - 28), target];
}

/**
 * The full size and the smallest size of the ladder to every target at
 * once; only where full size fails and the smallest passes, the sizes in
 * between, again in parallel. A target that answers neither is not worth
 * the ladder (mesh.pmtu needs mesh.bridge to pass), so a dead peer costs
 * one wait, not two. A healthy cluster pays two pings per target.
 */
function pmtuProbe(targets: readonly string[]): string {
  const full = PMTU_LADDER[0];
  const smallest = PMTU_LADDER[PMTU_LADDER.length - 1] as number;
  const between = PMTU_LADDER.slice(1, -1);
  const perTarget = targets.map((t) => {
    const block = (mtu: number) =>
      `o=$(${pmtuArgv(t, mtu).map(q).join(' ')} 2>&1); printf '##PING %s rc=%s\\n%s\\n' ${q(`${t} ${mtu}`)} "$?" "$o"`;
    const ladder = pingFanOut(between.map((mtu) => ({ key: `${t} ${mtu}`, argv: pmtuArgv(t, mtu) })));
    const route = `r=$(ip route get ${q(t)} 2>&1); printf '##PING %s rc=0\\n%s\\n' ${q(`${t} route`)} "$r"`;
    return `( b=$( ( ${block(smallest)} ) & ${block(full)}; wait ); printf '%s\\n' "$b"; case "$b" in *${q(`##PING ${t} ${full} rc=0`)}*) ;; *${q(`##PING ${t} ${smallest} rc=0`)}*) ${ladder}; ${route} ;; *) ${route} ;; esac ) &`;
  });
  return `${perTarget.join(' ')} wait`;
}

/** Stage one: pings and the path-MTU ladder to the mesh peers (none for a host alone). */
export function meshSections(inv: Inventory, host: HostSpec): Section[] {
  const targets = meshTargets(inv, host);
  if (targets.length === 0) return [];
  return [
    pingSection(MESH_PING, targets),
    // Its own channel: the path-MTU probes wait in parallel with the mesh pings, not after them.
    { name: PMTU, shell: pmtuProbe(targets), timeoutSeconds: 6, wrapTimeout: false, group: PMTU },
  ];
}

/** Stage two: overlay addresses, only where both ends can answer (stage one told which). */
export function meshOverlaySections(
  inv: Inventory,
  host: HostSpec,
  facts: ReadonlyMap<string, HostFacts>,
): Section[] {
  if (!overlayAddressUsable(inv, facts, host.name)) return [];
  const targets = meshPeers(inv, host.name)
    .filter((h) => h.overlayAddress && overlayAddressUsable(inv, facts, h.name))
    .map((h) => h.overlayAddress as string);
  return targets.length > 0 ? [pingSection(MESH_OVERLAY_PING, targets)] : [];
}

/** Bridge pings (stage one) and overlay-address pings (stage two, where they can answer), together. */
export function meshFacts(raw: Record<string, RawOutput>): Pick<HostFacts, 'mesh' | 'meshTool' | 'pmtu'> {
  const bridges = pingResults(raw[MESH_PING]);
  const overlay = pingResults(raw[MESH_OVERLAY_PING]);
  const pmtu = pmtuFacts(raw);
  if (!bridges && !overlay) return { mesh: null, meshTool: null, pmtu };
  return {
    mesh: [...(bridges?.results ?? []), ...(overlay?.results ?? [])],
    meshTool: bridges?.tool ?? overlay?.tool ?? null,
    pmtu,
  };
}

function pmtuFacts(raw: Record<string, RawOutput>): PmtuResult[] | null {
  const r = raw[PMTU];
  if (!r || r.stdout.trim() === '') return null;
  const byTarget = new Map<string, { mtu: number; ok: boolean; output: string }[]>();
  const routes = new Map<string, string>();
  for (const b of parseFanOut(r.stdout)) {
    const [target, mtu] = b.key.split(' ');
    if (!target || !mtu) continue;
    if (mtu === 'route') {
      routes.set(target, b.output);
      continue;
    }
    const list = byTarget.get(target) ?? [];
    list.push({ mtu: Number(mtu), ok: b.exitCode === 0, output: b.output });
    byTarget.set(target, list);
  }
  const full = PMTU_LADDER[0];
  return [...byTarget.entries()].map(([target, probes]) => {
    const fullProbe = probes.find((p) => p.mtu === full);
    const passing = probes.filter((p) => p.ok).map((p) => p.mtu);
    const fullError = fullProbe && !fullProbe.ok ? parsePing(fullProbe.output, target).error : undefined;
    const routeGet = routes.get(target);
    const cached = routeGet ? /\bmtu (\d+)/.exec(routeGet) : null;
    const expires = routeGet ? /expires (\d+)sec/.exec(routeGet) : null;
    return {
      target,
      fullOk: fullProbe?.ok ?? false,
      largestOk: passing.length > 0 ? Math.max(...passing) : null,
      ...(fullError ? { fullError } : {}),
      ...(routeGet !== undefined ? { routeGet } : {}),
      ...(cached ? { cachedMtu: Number(cached[1]) } : {}),
      ...(expires ? { cacheExpiresSeconds: Number(expires[1]) } : {}),
    };
  });
}
