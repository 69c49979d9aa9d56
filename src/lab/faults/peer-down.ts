/** peer-down: one host's VPN daemon stopped (vxlan: its device deleted). */
import { BRIDGE, OVERLAY_IF } from '../constants.js';
import { must } from '../exec.js';
import { PEER_TIMEOUT_S, startPeervpn } from '../peervpn.js';
import { startTincd, startVxlan, stopDaemon } from '../services.js';
import { defineFault } from './types.js';

export const peerDown = defineFault({
  name: 'peer-down',
  summary: 'the VPN daemon on one host is stopped (vxlan: the device is deleted)',
  whatYouSee:
    'no tincd / no peervpn0 on that host, other hosts list it as unreachable (USR2 dump), pings to its bridge fail',
  host: 'lxd3',
  needsLxd: false,
  async apply(s, h) {
    if (s.options.overlay === 'peervpn') {
      const pid = h.daemons.peervpn?.pid;
      await stopDaemon(h, h.daemons.peervpn);
      return {
        detail: `stopped peervpn (pid ${pid}) with SIGTERM: its log ends in \`main loop left.\`/\`exit.\`, its tap ${OVERLAY_IF} is gone; the others count it for ~${PEER_TIMEOUT_S} s more`,
      };
    }
    if (s.options.overlay === 'tinc') {
      const pid = h.daemons.tincd?.pid;
      await stopDaemon(h, h.daemons.tincd);
      return {
        detail: `stopped tincd (pid ${pid}); its tinc-down took ${OVERLAY_IF} out of ${BRIDGE} and the tap is gone`,
      };
    }
    await must(['ip', '-n', h.netns, 'link', 'del', OVERLAY_IF]);
    return { detail: `deleted the VXLAN device ${OVERLAY_IF}` };
  },
  async undo(s, h) {
    if (s.options.overlay === 'peervpn') h.daemons.peervpn = await startPeervpn(h);
    else if (s.options.overlay === 'tinc') h.daemons.tincd = await startTincd(h);
    else await startVxlan(h);
  },
});
