/** mtu: the overlay device's MTU lowered on one host, so full-size frames across hosts fail. */
import { OVERLAY_IF } from '../constants.js';
import { mustOn } from '../host.js';
import { defineFault } from './types.js';

export const mtu = defineFault({
  name: 'mtu',
  summary: `${OVERLAY_IF} MTU set to 1400 on one host: full-size (1500) frames across hosts fail`,
  whatYouSee:
    '`ip link` shows mtu 1400 on peervpn0 (and lxdbr0 follows); `ping -M do -s 1472` across hosts fails while small pings work',
  host: 'lxd2',
  needsLxd: false,
  async apply(_s, h) {
    await mustOn(h, ['ip', 'link', 'set', OVERLAY_IF, 'mtu', '1400']);
    return { detail: `ip link set ${OVERLAY_IF} mtu 1400 on ${h.name} (was 1500)` };
  },
  async undo(_s, h) {
    await mustOn(h, ['ip', 'link', 'set', OVERLAY_IF, 'mtu', '1500']);
  },
});
