import test from 'ava';
import { parseSs } from '../../../src/facts/parsers/ss.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('ss -ulnp: dnsmasq on :53 and :67 (bound to lxdbr0), tincd on :655', (t) => {
  t.deepEqual(parseSs(fixture('ss/healthy-lxd1-ss-ulnp.txt'), 'udp'), [
    { proto: 'udp', local: '172.16.0.1', port: 53, processes: [{ name: 'dnsmasq', pid: 21 }] },
    { proto: 'udp', local: '0.0.0.0', device: 'lxdbr0', port: 67, processes: [{ name: 'dnsmasq', pid: 21 }] },
    { proto: 'udp', local: '0.0.0.0', port: 655, processes: [{ name: 'tincd', pid: 13 }] },
    {
      proto: 'udp',
      local: 'fe80::16:ff:fe00:1',
      device: 'lxdbr0',
      port: 53,
      processes: [{ name: 'dnsmasq', pid: 21 }],
    },
  ]);
});

test('ss -ulnpH (no header) gives the same sockets', (t) => {
  t.deepEqual(
    parseSs(fixture('ss/healthy-lxd1-ss-ulnpH.txt'), 'udp'),
    parseSs(fixture('ss/healthy-lxd1-ss-ulnp.txt'), 'udp'),
  );
});

test('ss -ulnH without -p: no processes', (t) => {
  t.deepEqual(parseSs(fixture('ss/fault-dhcp2-lxd2-ss-ulnH-sport67.txt'), 'udp'), [
    { proto: 'udp', local: '0.0.0.0', device: 'lxdbr0', port: 67, processes: [] },
  ]);
});

test('ss: the rogue DHCP server on lxd2; nothing on :67 when dnsmasq is dead', (t) => {
  const rogue = parseSs(fixture('ss/fault-dhcp2-lxd2-ss-ulnp.txt'), 'udp');
  t.true(rogue.some((s) => s.port === 67 && s.processes[0]?.pid === 96));
  const dead = parseSs(fixture('ss/fault-nodns-lxd1-ss-ulnp.txt'), 'udp');
  t.deepEqual(
    dead.map((s) => s.port),
    [655],
  );
  t.deepEqual(parseSs(fixture('ss/fault-tinc-down-lxd3-ss-ulnp.txt'), 'udp'), []);
});

test('ss -tlnp: TCP listeners, and LXD on 8443', (t) => {
  const tcp = parseSs(fixture('ss/healthy-lxd1-ss-tlnp.txt'), 'tcp');
  t.deepEqual(
    tcp.map((s) => `${s.local}:${s.port}`),
    ['172.16.0.1:53', '192.168.99.1:22', '0.0.0.0:655', 'fe80::16:ff:fe00:1:53'],
  );
  t.true(tcp.every((s) => s.proto === 'tcp'));
  t.deepEqual(parseSs(fixture('ss/lxd-running-root-ss-tlnp-8443.txt'), 'tcp')[0]!.processes, [
    { name: 'lxd', pid: 25444 },
  ]);
});

test('ss: wildcard `*:67`, `[::]:53`, a Netid column and several users', (t) => {
  const text = [
    'udp   UNCONN 0      0                *:67              *:*    users:(("dnsmasq",pid=12,fd=4))',
    'UNCONN 0      0             [::]:53           [::]:*    users:(("dnsmasq",pid=12,fd=6),("other",pid=99,fd=3))',
  ].join('\n');
  t.deepEqual(parseSs(text, 'udp'), [
    { proto: 'udp', local: '*', port: 67, processes: [{ name: 'dnsmasq', pid: 12 }] },
    {
      proto: 'udp',
      local: '::',
      port: 53,
      processes: [
        { name: 'dnsmasq', pid: 12 },
        { name: 'other', pid: 99 },
      ],
    },
  ]);
});

test('ss: empty and garbage input', (t) => {
  t.deepEqual(parseSs('', 'udp'), []);
  t.deepEqual(parseSs(GARBAGE, 'tcp'), []);
});
