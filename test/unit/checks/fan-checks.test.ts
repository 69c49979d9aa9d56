/**
 * The Ubuntu Fan, on hand-written `network show` outputs of Fan bridges (fixtures/fan/, from
 * LXD's documented keys: the Fan needs Ubuntu's kernel and cannot run here) on LXD and Incus.
 */
import test from 'ava';
import { judgeCheck } from '../../../src/checks/check.js';
import { fanBridgeAddress } from '../../../src/checks/fan-bridge-address.js';
import { fanReach } from '../../../src/checks/fan-reach.js';
import { fanSlices } from '../../../src/checks/fan-slices.js';
import { fanUnderlay } from '../../../src/checks/fan-underlay.js';
import { findCheck } from '../../../src/checks/index.js';
import { fanConfig, fanSlice, isFanConfig, parseCidr } from '../../../src/facts/fan.js';
import { parseLxcNetworkShow } from '../../../src/facts/parsers/lxc.js';
import type { RawOutput } from '../../../src/facts/types.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { context, fixture, hostFacts, section } from '../../helpers/facts.js';

/** A registered check, judged as the engine judges it (judgeCheck applies the Fan rule). */
const check = (id: string) => {
  const c = findCheck(id);
  if (!c) throw new Error(`no check ${id}`);
  return {
    subjects: c.subjects,
    judge: (s: Parameters<typeof c.judge>[0], ctx: Parameters<typeof c.judge>[1]) => judgeCheck(c, s, ctx),
  };
};

function inventory(bridge: string, daemon = 'lxd') {
  return parseInventory(
    `cluster:
  bridge: ${bridge}
  subnet: 240.0.0.0/8
  daemon: ${daemon}
  overlay: { type: vxlan, interface: vxlan0 }
  dhcp: lxd1
hosts:
  - { name: lxd1, ssh: root@10.10.1.11, bridgeAddress: 240.1.11.1 }
  - { name: lxd2, ssh: root@10.10.1.12, bridgeAddress: 240.1.12.1 }
  - { name: lxd3, ssh: root@10.10.2.11, bridgeAddress: 240.2.11.1 }
`,
    'fan.yaml',
    { sshConfigText: '' },
  );
}

/** `ip -j addr show` in iproute2's layout (as fixtures/ip/healthy-lxd1-addr.json): lo, eth0, the Fan bridge. */
function addrs(underlay: string | null, bridge: string, bridgeAddress: string): RawOutput {
  const inet = (local: string, prefixlen: number, label: string) => ({
    family: 'inet',
    local,
    prefixlen,
    scope: 'global',
    label,
  });
  const doc = [
    {
      ifindex: 1,
      ifname: 'lo',
      addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' }],
    },
    { ifindex: 2, ifname: 'eth0', addr_info: underlay ? [inet(underlay, 16, 'eth0')] : [] },
    { ifindex: 5, ifname: bridge, addr_info: [inet(bridgeAddress, 8, bridge)] },
  ];
  return section(`text:${JSON.stringify(doc)}\n`);
}

const HOSTS = [
  ['lxd1', '10.10.1.11', '240.1.11.1'],
  ['lxd2', '10.10.1.12', '240.1.12.1'],
  ['lxd3', '10.10.2.11', '240.2.11.1'],
] as const;

function fanCluster(
  file: string,
  bridge: string,
  daemon = 'lxd',
  override: Partial<Record<string, Record<string, RawOutput>>> = {},
) {
  const inv = inventory(bridge, daemon);
  const facts = HOSTS.map(([h, u, b]) =>
    hostFacts(inv, h, { 'lxc-network': section(file), addrs: addrs(u, bridge, b), ...override[h] }),
  );
  return { inv, ctx: context(inv, facts) };
}

test("the Fan mapping: fanctl's documented example and LXD's /24-underlay and /16-overlay layouts", (t) => {
  const fan = (u: string, o: string) => {
    const c = fanConfig({
      name: 'f',
      managed: true,
      usedBy: [],
      config: { 'bridge.mode': 'fan', 'fan.underlay_subnet': u, 'fan.overlay_subnet': o },
    });
    if (!isFanConfig(c)) throw new Error('not a fan');
    return c;
  };
  t.deepEqual(fanSlice(fan('172.16.0.0/16', '250.0.0.0/8'), '172.16.3.4'), {
    slice: '250.3.4.0/24',
    bridgeAddress: '250.3.4.1',
  });
  t.deepEqual(fanSlice(fan('10.10.2.0/24', '240.0.0.0/8'), '10.10.2.11'), {
    slice: '240.11.0.0/16',
    bridgeAddress: '240.11.0.1',
  });
  t.deepEqual(fanSlice(fan('10.10.2.0/24', '250.5.0.0/16'), '10.10.2.11'), {
    slice: '250.5.11.0/24',
    bridgeAddress: '250.5.11.1',
  });
  t.is(fanSlice(fan('10.10.0.0/16', '240.0.0.0/8'), '10.11.0.1'), null, 'outside the underlay');
  t.is(parseCidr('10.10.0.0/33'), null);
});

test('LXD Fan bridge: recognised, every host on its slice, overlay checks skip saying the Fan replaces the L2 overlay', (t) => {
  const { ctx } = fanCluster('fan/handwritten.lxd-network-show-lxdfan0.yaml', 'lxdfan0');
  t.deepEqual(fanUnderlay.subjects?.(ctx), [{ host: 'lxd1' }, { host: 'lxd2' }, { host: 'lxd3' }]);
  t.like(fanUnderlay.judge({ host: 'lxd3' }, ctx), {
    status: 'pass',
    summary: '10.10.2.11 on eth0 is inside fan.underlay_subnet 10.10.0.0/16',
  });
  t.like(fanBridgeAddress.judge({ host: 'lxd2' }, ctx), {
    status: 'pass',
    summary: 'lxdfan0 holds 240.1.12.1 (slice 240.1.12.0/24 from underlay 10.10.1.12)',
  });
  const slices = fanSlices.judge({}, ctx);
  t.is(slices.status, 'pass');
  t.regex(
    slices.summary,
    /^3 host\(s\) on 3 distinct slice\(s\): lxd1 240\.1\.11\.0\/24, lxd2 240\.1\.12\.0\/24, lxd3 240\.2\.11\.0\/24; the cluster uses the Ubuntu Fan on lxdfan0/,
  );
  for (const id of [
    'overlay.exists',
    'overlay.member',
    'overlay.peers',
    'overlay.psk',
    'routes.overlay',
    'mesh.overlay',
    'service-order.vpn-after-bridge',
    // One dnsmasq for the whole L2 is not how the Fan works: each host's daemon serves its slice.
    'dhcp.single',
    'dhcp.config',
    'dns.answers',
  ]) {
    const v = check(id).judge({ host: 'lxd1', peer: 'lxd2' }, ctx);
    t.is(v.status, 'skip', id);
    t.regex(
      v.summary,
      /the cluster uses the Ubuntu Fan on lxdfan0 \(overlay 240\.0\.0\.0\/8, underlay 10\.10\.0\.0\/16, vxlan\) instead of an L2 overlay/,
      id,
    );
  }
});

test('Incus Fan bridge (fan.type ipip): the same judgement through incus network show', (t) => {
  const net = parseLxcNetworkShow(fixture('fan/handwritten.incus-network-show-incusfan0.yaml'));
  const c = fanConfig(net);
  t.true(isFanConfig(c));
  t.like(c, { bridge: 'incusfan0', type: 'ipip' });
  const { ctx } = fanCluster('fan/handwritten.incus-network-show-incusfan0.yaml', 'incusfan0', 'incus');
  t.is(fanBridgeAddress.judge({ host: 'lxd1' }, ctx).status, 'pass');
  t.regex(
    check('overlay.daemon').judge({ host: 'lxd1' }, ctx).summary,
    /Ubuntu Fan on incusfan0 .*ipip\) instead of an L2 overlay/,
  );
});

test('a cluster without a Fan bridge has no fan.* instances and its overlay checks judge as before', (t) => {
  const inv = inventory('lxdbr0');
  const f = hostFacts(inv, 'lxd1', { 'lxc-network': section('lxc/lxd-running-network-show-lxdbr0.txt') });
  const ctx = context(inv, [f]);
  for (const id of ['fan.underlay', 'fan.bridge-address', 'fan.slices', 'fan.reach'])
    t.deepEqual(check(id).subjects?.(ctx), [], id);
  t.not(check('overlay.exists').judge({ host: 'lxd1' }, ctx).summary.includes('Fan'), true);
});

test('broken Fans: a bridge off its slice, a host outside the underlay, two hosts on one slice, an unresolved auto', (t) => {
  const file = 'fan/handwritten.lxd-network-show-lxdfan0.yaml';
  const { ctx } = fanCluster(file, 'lxdfan0', 'lxd', {
    lxd2: { addrs: addrs('10.10.1.12', 'lxdfan0', '240.1.99.1') },
    lxd3: { addrs: addrs('192.168.7.3', 'lxdfan0', '240.2.11.1') },
  });
  const moved = fanBridgeAddress.judge({ host: 'lxd2' }, ctx);
  t.like(moved, { status: 'fail', expected: '240.1.12.1', actual: '240.1.99.1/8' });
  t.regex(
    moved.summary,
    /lxdfan0 on lxd2 has 240\.1\.99\.1\/8, not 240\.1\.12\.1 that 10\.10\.1\.12 maps to \(slice 240\.1\.12\.0\/24\)/,
  );
  const outside = fanUnderlay.judge({ host: 'lxd3' }, ctx);
  t.like(outside, { status: 'fail', summary: 'lxd3 has no address inside fan.underlay_subnet 10.10.0.0/16' });
  t.regex(outside.actual ?? '', /192\.168\.7\.3\/16 on eth0/);

  // lxd3 set up with a /24 underlay (10.10.2.11 -> 240.11.0.0/16), lxd1 at 10.10.11.5 in the /16 (240.11.5.0/24).
  const underlay24 = section('fan/handwritten.lxd-network-show-lxdfan0-underlay-24.yaml');
  const collide = fanCluster(file, 'lxdfan0', 'lxd', {
    lxd1: { addrs: addrs('10.10.11.5', 'lxdfan0', '240.11.5.1') },
    lxd3: { 'lxc-network': underlay24, addrs: addrs('10.10.2.11', 'lxdfan0', '240.11.0.1') },
  });
  const s = fanSlices.judge({}, collide.ctx);
  t.is(s.status, 'fail');
  t.regex(s.summary, /lxd1 \(240\.11\.5\.0\/24\) and lxd3 \(240\.11\.0\.0\/16\) map to overlapping slices/);
  t.regex(
    s.summary,
    /the hosts disagree on the Fan: overlay 240\.0\.0\.0\/8, underlay 10\.10\.0\.0\/16 vs overlay 240\.0\.0\.0\/8, underlay 10\.10\.2\.0\/24/,
  );
  // The same slice twice: two hosts with one underlay address (a cloned machine kept its address).
  const twice = fanCluster('fan/handwritten.lxd-network-show-lxdfan0-underlay-24.yaml', 'lxdfan0', 'lxd', {
    lxd1: { addrs: addrs('10.10.2.11', 'lxdfan0', '240.11.0.1') },
    lxd2: { addrs: addrs('10.10.2.12', 'lxdfan0', '240.12.0.1') },
    lxd3: { addrs: addrs('10.10.2.11', 'lxdfan0', '240.11.0.1') },
  });
  t.regex(fanSlices.judge({}, twice.ctx).summary, /^lxd1 and lxd3 both map to 240\.11\.0\.0\/16$/);

  const auto = fanCluster('fan/handwritten.lxd-network-show-lxdfan0-auto.yaml', 'lxdfan0');
  t.like(fanUnderlay.judge({ host: 'lxd1' }, auto.ctx), {
    status: 'fail',
    summary: 'lxdfan0 on lxd1: fan.underlay_subnet is "auto", not a subnet (CIDR)',
  });
});

test('fan.reach: cross-host container pings from the probes, failures named', (t) => {
  const list = (name: string, ip: string) =>
    section(
      `text:${fixture('fan/handwritten.lxc-list-fan.json').replace('"c1"', `"${name}"`).replace('240.1.11.23', ip)}`,
      0,
      'lxdcheck-client: lxc\n',
    );
  const ok = fixture('ping/healthy-c1-ping-c3-ip.txt');
  const down = fixture('ping/fault-noroute-lxd3-ping-lxd1.txt');
  const probe = (text: string): RawOutput => ({ command: '(probe)', stdout: text, stderr: '', exitCode: 0 });
  const { ctx } = fanCluster('fan/handwritten.lxd-network-show-lxdfan0.yaml', 'lxdfan0', 'lxd', {
    lxd1: {
      'lxc-list': list('c1', '240.1.11.23'),
      'ct-0': probe(
        `##CT c1\n##TOOLS ping\n##PING ip 240.1.12.23 rc=0\n${ok}\n##PING ip 240.2.11.23 rc=2\n${down}\n`,
      ),
    },
    lxd2: { 'lxc-list': list('c2', '240.1.12.23') },
    lxd3: { 'lxc-list': list('c3', '240.2.11.23') },
  });
  const v = fanReach.judge({}, ctx);
  t.like(v, {
    status: 'fail',
    summary: '1 of 2 cross-host container pings failed: c1@lxd1 -> c3@lxd3 (240.2.11.23)',
  });
});
