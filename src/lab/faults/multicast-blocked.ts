/** multicast-blocked: an nftables bridge rule drops multicast (not broadcast) on the overlay port. */
import { OVERLAY_IF } from '../constants.js';
import { run } from '../exec.js';
import { defineFault } from './types.js';

const MCAST_TABLE = 'lxlab-mcast';
const NOT_BCAST_MCAST =
  'ether daddr & 01:00:00:00:00:00 == 01:00:00:00:00:00 ether daddr != ff:ff:ff:ff:ff:ff';

export const multicastBlocked = defineFault({
  name: 'multicast-blocked',
  summary:
    'an nftables bridge rule drops multicast (not broadcast) frames in and out of peervpn0; unicast still works',
  whatYouSee:
    '`ping 224.0.0.1` from another host gets no reply from this one while unicast pings work; mDNS / omping fail across hosts',
  host: 'lxd2',
  needsLxd: false,
  async apply(_s, h) {
    const rule = (dir: 'iifname' | 'oifname') => `${dir} "${OVERLAY_IF}" ${NOT_BCAST_MCAST} counter drop`;
    const ruleset = `table bridge ${MCAST_TABLE} {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ${rule('iifname')}
    ${rule('oifname')}
  }
  chain input {
    type filter hook input priority 0; policy accept;
    ${rule('iifname')}
  }
  chain output {
    type filter hook output priority 0; policy accept;
    ${rule('oifname')}
  }
}
`;
    const r = await run(['ip', 'netns', 'exec', h.netns, 'nft', '-f', '-'], { input: ruleset });
    if (r.exitCode !== 0) throw new Error(`nft failed on ${h.name}: ${r.stderr.trim()}`);
    return {
      detail: `nftables table bridge ${MCAST_TABLE} on ${h.name} drops multicast (not broadcast) frames in and out of ${OVERLAY_IF}`,
    };
  },
  async undo(_s, h) {
    await run(['ip', 'netns', 'exec', h.netns, 'nft', 'delete', 'table', 'bridge', MCAST_TABLE]);
  },
});
