import { execFileSync } from 'node:child_process';
import test from 'ava';
import {
  LXC_LIST_FILTER_PY,
  parseLxcList,
  parseLxcNetworkShow,
  reduceLxcList,
} from '../../../src/facts/parsers/lxc.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

/** The parts of an `lxc list --format json` record the derived test edits. */
interface LxcRecord {
  name: string;
  status: string;
  location: string;
  expanded_config: Record<string, string>;
  expanded_devices: Record<string, Record<string, string>>;
  state: {
    network: Record<string, { addresses: Record<string, string>[]; hwaddr: string; type: string }>;
  } | null;
}

test('lxc list: running containers with eth0 addresses; location none is not a member', (t) => {
  const list = parseLxcList(fixture('lxc/lxd-running-list.json'));
  t.deepEqual(list[0], {
    name: 'c1',
    status: 'Running',
    running: true,
    hwaddr: '00:16:3e:8d:6d:bd',
    ipv4: ['10.201.1.201'],
    ipv6: [],
    nics: { eth0: { hwaddr: '00:16:3e:8d:6d:bd', ipv4: ['10.201.1.201'], ipv6: [] } },
  });
  t.is(list[1]!.name, 'c3');
});

test('lxc list: a stopped container keeps its NIC and MAC but has no addresses', (t) => {
  const stopped = parseLxcList(fixture('lxc/lxd-one-stopped-list.json')).find((c) => c.name === 'c3')!;
  t.deepEqual(stopped, {
    name: 'c3',
    status: 'Stopped',
    running: false,
    hwaddr: '00:16:3e:1e:aa:d1',
    ipv4: [],
    ipv6: [],
    nics: { eth0: { hwaddr: '00:16:3e:1e:aa:d1', ipv4: [], ipv6: [] } },
  });
});

test('lxc list after the moves: c1 on d2 with a new address, same MAC; local empty', (t) => {
  const d2 = parseLxcList(fixture('lxc/lxd-move-after-list-d2.json'));
  t.deepEqual(
    d2.map((c) => [c.name, c.running, c.ipv4]),
    [
      ['c1', true, ['10.201.2.201']],
      ['c2', true, ['10.201.2.62']],
      ['c3', false, []],
    ],
  );
  t.is(d2[0]!.hwaddr, '00:16:3e:8d:6d:bd');
  t.deepEqual(parseLxcList(fixture('lxc/lxd-move-after-list-local.json')), []);
});

test('lxc list: state null, a second NIC, a global IPv6 and a cluster location', (t) => {
  // Derived from the real c1 record: the shapes LXD uses for a clustered, dual-stack, two-NIC instance.
  const [c1] = JSON.parse(fixture('lxc/lxd-running-list.json')) as LxcRecord[];
  const clustered = structuredClone(c1!);
  const network = clustered.state!.network;
  clustered.location = 'lxd2';
  clustered.expanded_devices['eth1'] = { name: 'eth1', network: 'lxdbr1', type: 'nic' };
  clustered.expanded_config['volatile.eth1.hwaddr'] = '00:16:3e:00:00:02';
  network['eth0']!.addresses.push({
    family: 'inet6',
    address: 'fd42::216:3eff:fe8d:6dbd',
    netmask: '64',
    scope: 'global',
  });
  network['eth1'] = {
    addresses: [{ family: 'inet', address: '10.0.5.9', netmask: '24', scope: 'global' }],
    hwaddr: '00:16:3e:00:00:02',
    type: 'broadcast',
  };
  const stopped = { ...structuredClone(c1!), name: 'c9', status: 'Stopped', state: null };
  const [a, b] = parseLxcList(JSON.stringify([clustered, stopped]));
  t.is(a!.location, 'lxd2');
  t.deepEqual(a!.ipv6, ['fd42::216:3eff:fe8d:6dbd']);
  t.deepEqual(a!.nics['eth1'], { hwaddr: '00:16:3e:00:00:02', ipv4: ['10.0.5.9'], ipv6: [] });
  t.false('lo' in a!.nics);
  t.like(b, { name: 'c9', running: false, ipv4: [], hwaddr: '00:16:3e:8d:6d:bd' });
});

test('lxc network show: config as strings, managed, used_by', (t) => {
  t.deepEqual(parseLxcNetworkShow(fixture('lxc/lxd-running-network-show-lxdbr0.txt')), {
    name: 'lxdbr0',
    type: 'bridge',
    managed: true,
    config: {
      'ipv4.address': '10.201.1.1/24',
      'ipv4.firewall': 'false',
      'ipv4.nat': 'false',
      'ipv6.address': 'none',
      'raw.dnsmasq': 'no-resolv',
    },
    usedBy: ['/1.0/instances/c1', '/1.0/instances/c3', '/1.0/profiles/default'],
  });
  t.is(
    parseLxcNetworkShow(fixture('lxc/lxd-move-after-network-show-d2-lxdbr0.txt'))!.config['ipv4.address'],
    '10.201.2.1/24',
  );
});

test('lxc network show: unquoted YAML scalars still become strings', (t) => {
  const net = parseLxcNetworkShow(
    'name: lxdbr0\nmanaged: true\nconfig:\n  bridge.mtu: 1400\n  ipv4.nat: true\n',
  );
  t.deepEqual(net!.config, { 'bridge.mtu': '1400', 'ipv4.nat': 'true' });
  t.deepEqual(net!.usedBy, []);
});

test('lxc parsers: errors, empty and garbage input', (t) => {
  t.deepEqual(parseLxcList(''), []);
  t.deepEqual(parseLxcList(GARBAGE), []);
  t.deepEqual(parseLxcList(fixture('lxc/lxd-one-stopped-exec-c3-error.txt')), []);
  t.is(parseLxcNetworkShow(''), null);
  t.is(parseLxcNetworkShow(GARBAGE), null);
  t.is(parseLxcNetworkShow('Error: Network not found\n'), null);
  t.is(parseLxcNetworkShow('a: [unclosed'), null);
});

test('reduceLxcList keeps what the parser reads and drops every other field (host filter agrees)', (t) => {
  for (const file of [
    'lxc/lxd-running-list.json',
    'lxc/lxd-one-stopped-list.json',
    'lxc/lxd-move-after-list-d2.json',
  ]) {
    const text = fixture(file);
    const reduced = reduceLxcList(text);
    t.deepEqual(parseLxcList(reduced), parseLxcList(text), file);
    t.notRegex(reduced, /image\.description|volatile\.idmap|created_at|profiles/);
    const py = execFileSync('python3', ['-c', LXC_LIST_FILTER_PY], { input: text, encoding: 'utf8' });
    t.deepEqual(JSON.parse(py), JSON.parse(reduced), `python3 filter differs on ${file}`);
  }
  const planted = JSON.stringify([
    {
      name: 'c1',
      status: 'Running',
      config: { 'environment.DB_PASSWORD': 'x1', 'user.a': 'x2' },
      devices: { k: { type: 'disk', source: '/secret' } },
    },
  ]);
  t.is(reduceLxcList(planted), '[{"name":"c1","status":"Running","config":{},"devices":{}}]\n');
  t.is(reduceLxcList('Error: not authorized password=x9\n'), 'Error: not authorized password=<redacted>\n');
  // A truncated list (killed mid-output) is not JSON: its values are redacted instead.
  t.notRegex(reduceLxcList('[{"name":"c1","config":{"environment.TOKEN":"abc123"'), /abc123/);
});
