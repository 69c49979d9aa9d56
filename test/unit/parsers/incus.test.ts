/**
 * The LXD parsers on real Incus 6.0.4 output captured from `lxdcheck lab up --daemon incus`
 * (fixtures/incus/, see fixtures/README.md): `incus list --format json`, `incus network show`
 * for an unmanaged and a managed bridge, and the managed bridge's dnsmasq lease file.
 */
import { execFileSync } from 'node:child_process';
import test from 'ava';
import { parseLeases } from '../../../src/facts/parsers/dnsmasq.js';
import {
  LXC_LIST_FILTER_PY,
  parseLxcList,
  parseLxcNetworkShow,
  reduceLxcList,
} from '../../../src/facts/parsers/lxc.js';
import { fixture } from '../../helpers/fixtures.js';

test('incus list: the running container with its Incus MAC (10:66:6a) and its lease from the one dnsmasq', (t) => {
  t.deepEqual(parseLxcList(fixture('incus/incus-list-lxd1.json')), [
    {
      name: 'c1',
      status: 'Running',
      running: true,
      hwaddr: '10:66:6a:ce:3b:17',
      ipv4: ['172.16.111.125'],
      ipv6: [],
      nics: { eth0: { hwaddr: '10:66:6a:ce:3b:17', ipv4: ['172.16.111.125'], ipv6: [] } },
    },
  ]);
});

test('incus list: a container on the profile bridge and one on a managed bridge (network: instead of parent:)', (t) => {
  const list = parseLxcList(fixture('incus/incus-list-lxd2-managed-bridge.json'));
  t.deepEqual(
    list.map((c) => [c.name, c.hwaddr, c.ipv4]),
    [
      ['c2', '10:66:6a:da:1f:13', ['172.16.124.83']],
      ['mb1', '10:66:6a:ed:f1:de', ['192.168.98.144']],
    ],
  );
});

test('incus list: reduced on arrival and by the on-host python filter to the same fields the parser reads', (t) => {
  const text = fixture('incus/incus-list-lxd2-managed-bridge.json');
  const reduced = reduceLxcList(text);
  t.deepEqual(parseLxcList(reduced), parseLxcList(text));
  t.false(reduced.includes('volatile.idmap'), 'idmaps and the rest of the config are dropped');
  const filtered = execFileSync('python3', ['-c', LXC_LIST_FILTER_PY], { input: text }).toString();
  t.deepEqual(parseLxcList(filtered), parseLxcList(text));
});

test('incus network show: the lab bridge is unmanaged; a managed bridge carries its config as strings', (t) => {
  t.deepEqual(parseLxcNetworkShow(fixture('incus/incus-network-show-lxdbr0-unmanaged.yaml')), {
    name: 'lxdbr0',
    type: 'bridge',
    managed: false,
    config: {},
    usedBy: ['/1.0/instances/c1', '/1.0/profiles/default'],
  });
  const managed = parseLxcNetworkShow(fixture('incus/incus-network-show-incusbr0-managed.yaml'));
  t.is(managed?.managed, true);
  t.deepEqual(managed?.config, {
    'dns.domain': 'incus',
    'ipv4.address': '192.168.98.1/24',
    'ipv4.dhcp.ranges': '192.168.98.100-192.168.98.150',
    'ipv4.firewall': 'false',
    'ipv4.nat': 'false',
    'ipv6.address': 'none',
  });
});

test("Incus's own dnsmasq lease file (networks/incusbr0/dnsmasq.leases) reads like any dnsmasq's", (t) => {
  t.deepEqual(parseLeases(fixture('incus/incus-networks-incusbr0-dnsmasq.leases')), [
    { expiry: 1795780274, mac: '10:66:6a:ed:f1:de', ip: '192.168.98.144', hostname: 'mb1', clientId: null },
  ]);
});
