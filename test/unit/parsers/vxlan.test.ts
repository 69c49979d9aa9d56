import test from 'ava';
import { parseBridgeFdb, vxlanPeerState } from '../../../src/facts/parsers/vxlan.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

// Real `bridge fdb show dev vx0` output captured in a sandbox netns (fixtures/vxlan/README.md).

test('bridge fdb: the local MAC and two flood entries', (t) => {
  const fdb = parseBridgeFdb(fixture('vxlan/sandbox-bridge-fdb-show-dev-vx0.txt'));
  t.is(fdb.length, 3);
  t.like(fdb[0], { master: 'lxdbr0', flags: ['permanent'] });
  t.deepEqual(fdb[1], { mac: '00:00:00:00:00:00', dst: '192.168.99.2', flags: ['self', 'permanent'] });
  t.deepEqual(fdb[2], { mac: '00:00:00:00:00:00', dst: '192.168.99.3', flags: ['self', 'permanent'] });
});

test('vxlan peers: every expected remote has a flood entry', (t) => {
  const state = vxlanPeerState(parseBridgeFdb(fixture('vxlan/sandbox-bridge-fdb-show-dev-vx0.txt')), [
    '192.168.99.2',
    '192.168.99.3',
  ]);
  t.deepEqual(state, {
    source: 'vxlan-fdb',
    connectedCount: 2,
    connected: ['192.168.99.2', '192.168.99.3'],
    disconnected: [],
    excerpt:
      '00:00:00:00:00:00 dst 192.168.99.2 self permanent\n00:00:00:00:00:00 dst 192.168.99.3 self permanent',
  });
});

test('vxlan peers: a remote whose flood entry was deleted is disconnected', (t) => {
  const fdb = parseBridgeFdb(fixture('vxlan/sandbox-bridge-fdb-show-dev-vx0-one-remote-removed.txt'));
  const state = vxlanPeerState(fdb, ['192.168.99.2', '192.168.99.3']);
  t.is(state.connectedCount, 1);
  t.deepEqual(state.disconnected, ['192.168.99.3']);
});

test('bridge fdb: vlan and dev words, learned entries are not flood entries', (t) => {
  const fdb = parseBridgeFdb(
    '02:00:00:00:00:c2 dst 192.168.99.2 self\n33:33:00:00:00:01 dev vx0 vlan 1 self permanent\n',
  );
  t.like(fdb[1], { dev: 'vx0', vlan: 1, flags: ['self', 'permanent'] });
  t.deepEqual(vxlanPeerState(fdb, ['192.168.99.2']).disconnected, ['192.168.99.2']);
});

test('bridge fdb: empty and garbage', (t) => {
  t.deepEqual(parseBridgeFdb(''), []);
  t.deepEqual(parseBridgeFdb(GARBAGE), []);
  t.like(vxlanPeerState([], ['10.0.0.2']), { connectedCount: 0, disconnected: ['10.0.0.2'] });
});
