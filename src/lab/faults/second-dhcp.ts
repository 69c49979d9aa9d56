/** second-dhcp: a second dnsmasq serving DHCP on the shared L2, from another host's bridge. */
import { BRIDGE, ROGUE_DHCP_RANGE } from '../constants.js';
import { pidAlive } from '../proc.js';
import { dnsmasqArgv, startDnsmasq, stopDaemon } from '../services.js';
import { defineFault } from './types.js';

export const secondDhcp = defineFault({
  name: 'second-dhcp',
  summary: `a second dnsmasq serves DHCP (${ROGUE_DHCP_RANGE.first}-${ROGUE_DHCP_RANGE.last}) on that host's lxdbr0 at its bridge address`,
  whatYouSee:
    'two dnsmasq processes answering DHCP on the shared L2 segment (`ss -ulnp` shows :67 on two hosts); new or renewing clients may get 172.16.200.x or a NAK',
  host: 'lxd2',
  needsLxd: false,
  async apply(_s, h) {
    const pidFile = '/run/dnsmasq.second.pid';
    const argv = dnsmasqArgv(h.bridgeAddress, ROGUE_DHCP_RANGE, pidFile);
    const d = await startDnsmasq(h, argv, pidFile);
    return {
      detail: `started a second dnsmasq (pid ${d.pid}) on ${h.name}'s ${BRIDGE} at ${h.bridgeAddress} serving DHCP ${ROGUE_DHCP_RANGE.first}-${ROGUE_DHCP_RANGE.last}`,
      data: { pid: d.pid },
    };
  },
  async undo(_s, h, f) {
    const pid = Number(f.data?.pid);
    if (pid && (await pidAlive(pid))) await stopDaemon(h, { pid, nsPid: 0, argv: [] });
  },
});
