/** psk-mismatch: one host's peervpn psk differs from the others'; peervpn says nothing about it. */
import { PEERVPN_CONF } from '../constants.js';
import { labPsk, randomPsk, startPeervpn, writePeervpnConfig } from '../peervpn.js';
import { stopDaemon } from '../services.js';
import { restartPeervpn } from './common.js';
import { defineFault } from './types.js';

export const pskMismatch = defineFault({
  name: 'psk-mismatch',
  summary:
    "(--overlay peervpn only) the host's psk in /etc/peervpn/peervpn.conf differs from the others' and its peervpn is restarted: it carries no frames to or from them",
  whatYouSee:
    'nothing about it in any log: that host stays at `[0] 0 peers connected.` and resolves its initpeers every ~31 s; the others keep counting its old session for ~100 s, then `1 peers connected.`; pings to and from its bridge fail',
  host: 'lxd3',
  needsLxd: false,
  overlay: 'peervpn',
  async apply(s, h) {
    const right = await labPsk();
    let wrong = randomPsk();
    while (wrong === right) wrong = randomPsk();
    await writePeervpnConfig(h, s.hosts.length, wrong);
    await stopDaemon(h, h.daemons.peervpn);
    h.daemons.peervpn = await startPeervpn(h);
    // The psk itself is never printed, not even the wrong one.
    return {
      detail: `wrote a different psk into ${h.name}'s ${PEERVPN_CONF} and restarted peervpn (pid ${h.daemons.peervpn.pid}): it connects to no one and says nothing about it`,
    };
  },
  async undo(s, h) {
    await writePeervpnConfig(h, s.hosts.length, await labPsk());
    await restartPeervpn(h);
  },
});
