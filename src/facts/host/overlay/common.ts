/** What every overlay type shares: the daemon log's section name (peervpn, tinc) and the shape of its facts. */
import type { PeervpnFacts, VpnLogFacts } from '../../host-facts.js';
import type { OverlayPeerState, PeervpnConfig } from '../../types.js';

export const OVERLAY_LOG = 'overlay-log';

/** The overlay part of HostFacts, whatever the type (overlay/index.ts picks the type's). */
export interface OverlayFacts {
  peers: OverlayPeerState | null;
  log: VpnLogFacts | null;
  config: PeervpnConfig | null;
  peervpn?: PeervpnFacts;
}
