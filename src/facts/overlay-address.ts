/**
 * Whether a host's overlay address can answer at all. An IPv4 address on a
 * tap that is a bridge port is unreachable by design: ARP replies for it
 * arrive on the bridge, not the port. Only addresses on non-enslaved
 * overlay devices are worth pinging (and both ends must have one).
 */
import type { Inventory } from '../inventory/types.js';
import type { HostFacts } from './host-facts.js';

export function overlayAddressUsable(
  inv: Inventory,
  facts: ReadonlyMap<string, HostFacts>,
  host: string,
): boolean {
  const spec = inv.hosts.find((h) => h.name === host);
  if (!spec?.overlayAddress) return false;
  const f = facts.get(host);
  // Unknown (unreachable host): let the ping say what it says.
  if (!f?.reachable) return true;
  const { bridge, overlay } = inv.cluster;
  const ports = f.bridgePorts ?? (f.links ?? []).filter((l) => l.master === bridge).map((l) => l.ifname);
  const onTap = (f.addresses ?? []).some(
    (a) => a.ifname === overlay.interface && a.family === 'inet' && a.local === spec.overlayAddress,
  );
  return !(ports.includes(overlay.interface) && onTap);
}
