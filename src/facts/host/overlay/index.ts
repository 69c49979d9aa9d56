/** overlay: the sections and facts of the inventory's overlay type (one file per type beside this one). */
import type { HostSpec, Inventory } from '../../../inventory/types.js';
import type { HostFacts } from '../../host-facts.js';
import type { Section, SectionOptions } from '../../script.js';
import type { RawOutput } from '../../types.js';
import type { OverlayFacts } from './common.js';
import { peervpnFacts, peervpnSections } from './peervpn.js';
import { tincFacts, tincSections } from './tinc.js';
import { vxlanFacts, vxlanSections } from './vxlan.js';

export function overlaySections(inv: Inventory, opts: SectionOptions = {}): Section[] {
  switch (inv.cluster.overlay.type) {
    case 'peervpn':
      return peervpnSections(inv, opts);
    case 'tinc':
      return tincSections(inv);
    case 'vxlan':
      return vxlanSections(inv);
  }
}

/** The overlay part of HostFacts, from the type's own parser. */
export function overlayFacts(
  inv: Inventory,
  host: HostSpec,
  raw: Record<string, RawOutput>,
): Pick<HostFacts, 'overlayPeers' | 'vpnLog' | 'peervpnConfig' | 'peervpn'> {
  const o = byType(inv, host, raw);
  return { overlayPeers: o.peers, vpnLog: o.log, peervpnConfig: o.config, peervpn: o.peervpn ?? null };
}

function byType(inv: Inventory, host: HostSpec, raw: Record<string, RawOutput>): OverlayFacts {
  switch (inv.cluster.overlay.type) {
    case 'peervpn':
      return peervpnFacts(raw);
    case 'tinc':
      return tincFacts(raw);
    case 'vxlan':
      return vxlanFacts(inv, host, raw);
  }
}
