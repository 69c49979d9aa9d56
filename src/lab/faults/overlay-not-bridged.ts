/** overlay-not-bridged: the overlay device taken out of lxdbr0 while the VPN stays connected. */
import { BRIDGE, OVERLAY_IF } from '../constants.js';
import { mustOn } from '../host.js';
import { addIf } from './common.js';
import { defineFault } from './types.js';

export const overlayNotBridged = defineFault({
  name: 'overlay-not-bridged',
  summary: 'peervpn0 is removed from lxdbr0 (brctl delif lxdbr0 peervpn0)',
  whatYouSee:
    "peervpn0 missing from `brctl show`, the VPN still connected, the host's bridge and containers unreachable from the other hosts",
  host: 'lxd2',
  needsLxd: false,
  async apply(_s, h) {
    await mustOn(h, ['brctl', 'delif', BRIDGE, OVERLAY_IF]);
    return { detail: `brctl delif ${BRIDGE} ${OVERLAY_IF} on ${h.name}` };
  },
  async undo(_s, h) {
    await addIf(h);
  },
});
