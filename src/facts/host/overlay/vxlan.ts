/** overlay (VXLAN as a port of the bridge): the forwarding database of its device. */
import type { HostSpec, Inventory } from '../../../inventory/types.js';
import { quoteArg as q } from '../../../transport/quote.js';
import { okOutput } from '../../host-facts.js';
import { parseBridgeFdb, vxlanPeerState } from '../../parsers/vxlan.js';
import type { Section } from '../../script.js';
import type { RawOutput } from '../../types.js';
import type { OverlayFacts } from './common.js';

/** `bridge fdb show dev VXLAN`. */
export const OVERLAY_FDB = 'overlay-fdb';

export function vxlanSections(inv: Inventory): Section[] {
  return [
    {
      name: OVERLAY_FDB,
      shell: `bridge fdb show dev ${q(inv.cluster.overlay.interface)}`,
      timeoutSeconds: 5,
    },
  ];
}

export function vxlanFacts(inv: Inventory, host: HostSpec, raw: Record<string, RawOutput>): OverlayFacts {
  const fdbText = okOutput(raw, OVERLAY_FDB);
  // VXLAN floods to the other hosts' underlay addresses (the SSH address, for want of a better one).
  const remotes = inv.hosts.filter((h) => h.name !== host.name).map((h) => h.ssh.hostname);
  return {
    peers: fdbText !== null ? vxlanPeerState(parseBridgeFdb(fdbText), remotes) : null,
    log: null,
    config: null,
  };
}
