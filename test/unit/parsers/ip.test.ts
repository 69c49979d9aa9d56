import test from 'ava';
import {
  parseBridgeLinkText,
  parseIpAddrJson,
  parseIpLinkJson,
  parseIpRouteJson,
} from '../../../src/facts/parsers/ip.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('ip -j link: peervpn0 is enslaved to lxdbr0 on a healthy host', (t) => {
  const links = parseIpLinkJson(fixture('ip/healthy-lxd1-link.json'));
  t.deepEqual(
    links.map((l) => l.ifname),
    ['lo', 'eth0', 'lxdbr0', 'peervpn0', 'v-c1'],
  );
  const tap = links.find((l) => l.ifname === 'peervpn0')!;
  t.is(tap.master, 'lxdbr0');
  t.true(tap.up);
  t.is(tap.operstate, 'UNKNOWN');
  t.is(tap.mtu, 1500);
  t.is(tap.mac, 'b2:7b:c4:14:b7:f8');
  // Plain `ip -j link` has no linkinfo: the kind is unknown, not guessed.
  t.is(tap.kind, undefined);
  t.is(links.find((l) => l.ifname === 'lxdbr0')!.master, undefined);
});

test('ip -j link after brctl delif: peervpn0 has no master', (t) => {
  const tap = parseIpLinkJson(fixture('ip/fault-delif-lxd2-link.json')).find((l) => l.ifname === 'peervpn0');
  t.truthy(tap);
  t.is(tap!.master, undefined);
});

test('ip -j link with the MTU fault: peervpn0 and the bridge at 1200', (t) => {
  const links = parseIpLinkJson(fixture('ip/fault-mtu-lxd2-link.json'));
  t.is(links.find((l) => l.ifname === 'peervpn0')!.mtu, 1200);
  t.is(links.find((l) => l.ifname === 'lxdbr0')!.mtu, 1200);
});

test('ip -j link after tincd died: no peervpn0 at all', (t) => {
  const links = parseIpLinkJson(fixture('ip/fault-tinc-down-lxd3-link.json'));
  t.true(links.length > 0);
  t.false(links.some((l) => l.ifname === 'peervpn0'));
});

test('ip -j -d link: bridge, tap and vxlan details (sandbox capture)', (t) => {
  const links = parseIpLinkJson(fixture('ip/sandbox-bridge-tap-vxlan-d-link.json'));
  const byName = new Map(links.map((l) => [l.ifname, l]));
  t.is(byName.get('lxdbr0')!.kind, 'bridge');
  t.is(byName.get('peervpn0')!.kind, 'tun');
  t.is(byName.get('peervpn0')!.tunType, 'tap');
  t.is(byName.get('peervpn0')!.master, 'lxdbr0');
  t.is(byName.get('vx0')!.kind, 'vxlan');
  t.deepEqual(byName.get('vx0')!.vxlan, { id: 42, local: '192.168.99.1', port: 4789, dev: 'eth1' });
  t.is(byName.get('v-c1')!.kind, 'veth');
  t.is(byName.get('lxdbr0')!.vxlan, undefined);
});

test('ip -j link: stderr noise before and after the JSON is skipped', (t) => {
  const json = fixture('ip/healthy-lxd1-link.json');
  const noisy = `Warning: [something] odd\n${json.trim()}\nbash: line 1: oops\n`;
  t.deepEqual(parseIpLinkJson(noisy), parseIpLinkJson(json));
});

test('ip -j addr: IPv4 and IPv6 per interface', (t) => {
  const addrs = parseIpAddrJson(fixture('ip/healthy-lxd1-addr.json'));
  t.deepEqual(
    addrs.filter((a) => a.ifname === 'lxdbr0' && a.family === 'inet'),
    [{ ifname: 'lxdbr0', family: 'inet', local: '172.16.0.1', prefixlen: 16, scope: 'global' }],
  );
  t.true(addrs.some((a) => a.ifname === 'lo' && a.family === 'inet6' && a.local === '::1'));
  t.true(addrs.some((a) => a.ifname === 'peervpn0' && a.local === '10.99.0.1' && a.prefixlen === 24));
});

test('ip -j addr in a container: the DHCP address on eth0', (t) => {
  const addrs = parseIpAddrJson(fixture('ip/healthy-c1-addr.json'));
  t.true(addrs.some((a) => a.ifname === 'eth0' && a.family === 'inet' && a.local === '172.16.134.82'));
});

test('ip -j route: the connected bridge route and its absence after the noroute fault', (t) => {
  const healthy = parseIpRouteJson(fixture('ip/healthy-lxd1-route.json'));
  t.deepEqual(
    healthy.find((r) => r.dst === '172.16.0.0/16'),
    {
      dst: '172.16.0.0/16',
      type: 'unicast',
      dev: 'lxdbr0',
      protocol: 'kernel',
      scope: 'link',
      prefsrc: '172.16.0.1',
    },
  );
  const broken = parseIpRouteJson(fixture('ip/fault-noroute-lxd3-route.json'));
  t.is(broken.length, 2);
  t.false(broken.some((r) => r.dst === '172.16.0.0/16'));
});

test('ip -j route: default, host route as /32 and blackhole (sandbox capture)', (t) => {
  const routes = parseIpRouteJson(fixture('ip/sandbox-route-blackhole-host-default.json'));
  t.like(routes[0], { dst: 'default', gateway: '192.168.99.254', dev: 'eth1', type: 'unicast' });
  t.like(routes[1], { dst: '10.1.2.3/32', dev: 'eth1' });
  t.like(routes[2], { dst: '10.250.0.0/16', type: 'blackhole' });
  t.is(routes[2]!.dev, undefined);
});

test('bridge link: ports, masters, states and MTUs; veth @peer suffix dropped', (t) => {
  t.deepEqual(parseBridgeLinkText(fixture('ip/healthy-lxd1-bridge-link.txt')), [
    { ifname: 'peervpn0', mtu: 1500, master: 'lxdbr0', state: 'forwarding' },
    { ifname: 'v-c1', mtu: 1500, master: 'lxdbr0', state: 'forwarding' },
  ]);
  t.deepEqual(
    parseBridgeLinkText(fixture('ip/fault-delif-lxd2-bridge-link.txt')).map((p) => p.ifname),
    ['v-c2'],
  );
  t.is(parseBridgeLinkText(fixture('ip/fault-mtu-lxd2-bridge-link.txt'))[0]!.mtu, 1200);
  t.deepEqual(
    parseBridgeLinkText(fixture('ip/lxd-running-root-bridge-link-master-lxdbr0.txt')).map((p) => p.ifname),
    ['veth0c608bab', 'vethd8f7d83a'],
  );
});

test('bridge link: peervpn0 missing when upcmd failed (run3-faultA), present after the fix', (t) => {
  t.deepEqual(parseBridgeLinkText(fixture('peervpn/run3-faultA.bridge-link.pv-h2.txt')), []);
  t.deepEqual(parseBridgeLinkText(fixture('peervpn/run3-faultA-fixed.bridge-link.pv-h2.txt')), [
    { ifname: 'peervpn0', mtu: 1500, master: 'lxdbr0', state: 'forwarding' },
  ]);
});

test('ip parsers: empty and garbage input give empty lists', (t) => {
  for (const input of ['', GARBAGE, '{"ifname":"x"}', '[1, "a", null]']) {
    t.deepEqual(parseIpLinkJson(input), []);
    t.deepEqual(parseIpAddrJson(input), []);
    t.deepEqual(parseIpRouteJson(input), []);
    t.deepEqual(parseBridgeLinkText(input), []);
  }
});
