/** bridge-address-conflict: a host's lxdbr0 takes another host's bridge address. */
import { BRIDGE } from '../constants.js';
import { run } from '../exec.js';
import { mustOn } from '../host.js';
import { defineFault } from './types.js';

export const bridgeAddressConflict = defineFault({
  name: 'bridge-address-conflict',
  summary: "the host's lxdbr0 gets lxd2's address 172.16.0.2 instead of its own",
  whatYouSee:
    "two bridges answer for 172.16.0.2, the host's own 172.16.0.N is unreachable, ARP flips between two MACs",
  host: 'lxd3',
  needsLxd: false,
  async apply(s, h) {
    const other =
      s.hosts.find((x) => x.name === 'lxd2' && x.name !== h.name) ?? s.hosts.find((x) => x.name !== h.name);
    if (!other) throw new Error('bridge-address-conflict needs at least two hosts');
    await mustOn(h, ['ip', 'addr', 'del', `${h.bridgeAddress}/16`, 'dev', BRIDGE]);
    await mustOn(h, ['ip', 'addr', 'add', `${other.bridgeAddress}/16`, 'dev', BRIDGE]);
    return {
      detail: `${h.name}'s ${BRIDGE} now has ${other.bridgeAddress}/16 (${other.name}'s) instead of ${h.bridgeAddress}/16`,
      data: { address: other.bridgeAddress },
    };
  },
  async undo(_s, h, f) {
    await run(['ip', '-n', h.netns, 'addr', 'del', `${String(f.data?.address)}/16`, 'dev', BRIDGE]);
    await run(['ip', '-n', h.netns, 'addr', 'replace', `${h.bridgeAddress}/16`, 'dev', BRIDGE]);
  },
});
