/** `bridge -d [-s] mdb show dev lxdbr0`, captured on the lab (fixtures/mdb/) in each router-port state. */
import test from 'ava';
import { parseMdbRouterPorts } from '../../../src/facts/parsers/bridge-mdb.js';
import { fixture } from '../../helpers/facts.js';

const ports = (file: string) => parseMdbRouterPorts(fixture(`mdb/${file}`), 'lxdbr0');

test('a router port learned from the querier, with and without -s', (t) => {
  t.deepEqual(ports('lab-lxd3-router-learned-stats.txt'), [
    { port: 'peervpn0', timerSeconds: 252.35, kind: 'temp' },
  ]);
  t.deepEqual(ports('lab-lxd2-router-learned.txt'), [{ port: 'peervpn0' }]);
});

test('a permanent router port (mcast_router 2)', (t) => {
  t.deepEqual(ports('lab-lxd2-router-permanent-stats.txt'), [
    { port: 'peervpn0', timerSeconds: 0, kind: 'permanent' },
  ]);
});

test('no router port: the querier itself, a port that re-joined, mcast_router 0, a port removed', (t) => {
  for (const f of [
    'lab-lxd1-querier.txt',
    'lab-lxd2-port-rejoined.txt',
    'lab-lxd2-router-disabled.txt',
    'lab-lxd2-not-a-port.txt',
  ])
    t.deepEqual(ports(f), [], f);
});

test('group lines are not router ports; another bridge’s router ports are not this one’s', (t) => {
  const text = `dev lxdbr0 port veth1 grp 239.255.77.77 temp
router ports on br1: eth1  200.00 temp
router ports on lxdbr0: peervpn0  12.50 temp
router ports on lxdbr0: vx0  0.00 permanent
`;
  t.deepEqual(parseMdbRouterPorts(text, 'lxdbr0'), [
    { port: 'peervpn0', timerSeconds: 12.5, kind: 'temp' },
    { port: 'vx0', timerSeconds: 0, kind: 'permanent' },
  ]);
  t.deepEqual(parseMdbRouterPorts('', 'lxdbr0'), []);
});
