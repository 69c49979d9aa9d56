import test from 'ava';
import { parseGrepH, parseLsLines } from '../../../src/facts/parsers/sysfs.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('grep -H: path -> value (sandbox capture)', (t) => {
  t.deepEqual(parseGrepH(fixture('sysfs/sandbox-grep-H.txt')), {
    '/sys/class/net/lxdbr0/bridge/multicast_snooping': '1',
    '/sys/class/net/lxdbr0/bridge/multicast_querier': '0',
    '/sys/class/net/lxdbr0/mtu': '1450',
    '/sys/class/net/peervpn0/mtu': '1500',
  });
});

test("grep -H: grep's error for a missing file is not a value", (t) => {
  const merged = fixture('sysfs/sandbox-grep-H.stderr.txt') + fixture('sysfs/sandbox-grep-H.txt');
  const values = parseGrepH(merged);
  t.is(Object.keys(values).length, 4);
  t.false('/sys/class/net/nosuch/mtu' in values);
});

test('grep -H: values containing colons (a MAC address) stay whole', (t) => {
  t.deepEqual(parseGrepH('/sys/class/net/lxdbr0/address:02:16:00:00:00:01\n'), {
    '/sys/class/net/lxdbr0/address': '02:16:00:00:00:01',
  });
});

test('ls -1 brif: the bridge ports, healthy and after delif', (t) => {
  t.deepEqual(parseLsLines(fixture('sysfs/healthy-lxd1-lxdbr0-brif.txt')), ['peervpn0', 'v-c1']);
  t.deepEqual(parseLsLines(fixture('sysfs/fault-delif-lxd2-lxdbr0-brif.txt')), ['v-c2']);
  t.deepEqual(parseLsLines(fixture('sysfs/sandbox-ls-1-lxdbr0-brif.txt')), ['peervpn0', 'v-c1', 'vx0']);
  t.deepEqual(parseLsLines(fixture('peervpn/run3-faultA.ls-sys-class-net-lxdbr0-brif.pv-h2.txt')), []);
});

test('sysfs parsers: empty and garbage input', (t) => {
  t.deepEqual(parseGrepH(''), {});
  t.deepEqual(parseGrepH(GARBAGE), {});
  t.deepEqual(parseLsLines(''), []);
  t.deepEqual(
    parseLsLines("ls: cannot access '/sys/class/net/lxdbr0/brif': No such file or directory\n"),
    [],
  );
});
