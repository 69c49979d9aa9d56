/** dns-down: the cluster's one dnsmasq (DHCP and DNS for .lxd) stopped. */
import { pidAlive } from '../proc.js';
import { startDnsmasq, stopDaemon } from '../services.js';
import { defineFault } from './types.js';

export const dnsDown = defineFault({
  name: 'dns-down',
  summary: 'the one dnsmasq (DHCP and DNS for .lxd) on lxd1 is stopped',
  whatYouSee:
    'no dnsmasq on lxd1, `getent hosts c2.lxd` fails in every container, new containers get no address',
  host: 'lxd1',
  needsLxd: false,
  async apply(_s, h) {
    const d = h.daemons.dnsmasq;
    if (!d) throw new Error(`${h.name} runs no dnsmasq (the one dnsmasq is on lxd1)`);
    await stopDaemon(h, d);
    return { detail: `stopped dnsmasq (pid ${d.pid}) on ${h.name}: no DHCP and no DNS for .lxd` };
  },
  async undo(_s, h) {
    const d = h.daemons.dnsmasq;
    if (d && !(await pidAlive(d.pid))) h.daemons.dnsmasq = await startDnsmasq(h, d.argv);
  },
});
