import test from 'ava';
import {
  findDuplicateHostnames,
  parseDnsmasqDhcpAcks,
  parseLeases,
} from '../../../src/facts/parsers/dnsmasq.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('leases: one line per client, `*` becomes null', (t) => {
  const leases = parseLeases(fixture('dnsmasq/healthy-lxd1-leases.txt'));
  t.is(leases.length, 3);
  t.deepEqual(leases[0], {
    expiry: 1795674617,
    mac: '02:00:00:00:00:c3',
    ip: '172.16.134.84',
    hostname: 'c3',
    clientId: null,
  });
  t.deepEqual(findDuplicateHostnames(leases), []);
});

test('leases: LXD-managed lease file', (t) => {
  t.deepEqual(
    parseLeases(fixture('dnsmasq/lxd-running-root-lxd-leases.txt')).map((l) => l.hostname),
    ['c3', 'c1'],
  );
});

test('fault-dup: dnsmasq renames the earlier lease to `*`, so the lease file alone shows no duplicate', (t) => {
  const leases = parseLeases(fixture('dnsmasq/fault-dup-lxd1-leases.txt'));
  t.deepEqual(
    leases.filter((l) => l.mac.startsWith('02:00:00:00:0d')).map((l) => [l.mac, l.hostname]),
    [
      ['02:00:00:00:0d:0b', 'dup'],
      ['02:00:00:00:0d:0a', null],
    ],
  );
  t.deepEqual(findDuplicateHostnames(leases), []);
});

test('fault-dup: the DHCP log shows both MACs ACKed as `dup`, so the duplicate is found', (t) => {
  const leases = parseLeases(fixture('dnsmasq/fault-dup-lxd1-leases.txt'));
  const acks = parseDnsmasqDhcpAcks(fixture('dnsmasq/fault-dup-lxd1-log.txt'));
  const dups = findDuplicateHostnames(leases, acks);
  t.is(dups.length, 1);
  t.is(dups[0]!.hostname, 'dup');
  t.deepEqual(dups[0]!.leases.map((l) => l.mac).sort(), ['02:00:00:00:0d:0a', '02:00:00:00:0d:0b']);
});

test('healthy log: repeated ACKs to the same MAC are not duplicates', (t) => {
  const acks = parseDnsmasqDhcpAcks(fixture('dnsmasq/healthy-lxd1-log.txt'));
  t.true(acks.length >= 3);
  t.like(
    acks.find((a) => a.hostname === 'c1'),
    { iface: 'lxdbr0', ip: '172.16.134.82', mac: '02:00:00:00:00:c1' },
  );
  t.deepEqual(findDuplicateHostnames(parseLeases(fixture('dnsmasq/healthy-lxd1-leases.txt')), acks), []);
});

test('two lease files merged (fault-dhcp2) and a same-name pair in one file are reported', (t) => {
  const merged = [
    ...parseLeases(fixture('dnsmasq/fault-dhcp2-lxd1-leases.txt')),
    ...parseLeases(fixture('dnsmasq/fault-dhcp2-lxd2-leases.txt')),
  ];
  t.deepEqual(findDuplicateHostnames(merged), []);
  // formats.md's shape: two lines, same name, different MACs.
  const twoLines =
    '1795674914 02:00:00:00:0d:0b 172.16.165.17 dup *\n1795674915 02:00:00:00:0d:0a 172.16.165.16 dup *\n';
  const dups = findDuplicateHostnames(parseLeases(twoLines));
  t.deepEqual(
    dups.map((d) => [d.hostname, d.leases.length]),
    [['dup', 2]],
  );
});

test('leases: a missing file, empty and garbage input', (t) => {
  t.deepEqual(parseLeases(fixture('dnsmasq/healthy-lxd2-leases-absent.txt')), []);
  t.deepEqual(parseLeases(''), []);
  t.deepEqual(parseLeases(GARBAGE), []);
  t.deepEqual(parseDnsmasqDhcpAcks(GARBAGE), []);
  t.deepEqual(findDuplicateHostnames([], []), []);
});
