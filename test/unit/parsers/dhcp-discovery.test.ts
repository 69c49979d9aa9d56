/** The DHCP discovery probe's output, parsed from real lab captures (fixtures/dhcp/README.md). */
import test from 'ava';
import {
  addressesInUse,
  DHCP_DISCOVER_SECTION,
  DHCP_FDB_SECTION,
  dhcpDiscoverSection,
  dhcpDiscoveryFacts,
  dhcpDiscoverySections,
  dhcpFdbSections,
  dhcpProber,
  parseDhcpDiscover,
  serversSeen,
} from '../../../src/facts/dhcp-discovery.js';
import type { RawOutput } from '../../../src/facts/types.js';
import { context, hostFacts, inventory, section } from '../../helpers/facts.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

const ran = (stdout: string, exitCode: number | null = 0, stderr = ''): RawOutput => ({
  command: 'python3 -c ...',
  stdout,
  stderr,
  exitCode,
});

test('healthy: one OFFER from the one dnsmasq, with its options', (t) => {
  const d = parseDhcpDiscover(fixture('dhcp/healthy-lxd2-discover.jsonl'));
  t.is(d.status, 'done');
  t.is(d.iface, 'lxdbr0');
  t.is(d.srcMac, '02:16:00:00:00:02', 'sent from the bridge’s own MAC');
  t.regex(d.chaddr ?? '', /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  // The client MAC is locally administered and unicast: bit 1 set, bit 0 clear.
  t.is(Number.parseInt((d.chaddr ?? '').slice(0, 2), 16) & 3, 2);
  t.is(d.windowSeconds, 4);
  t.is(d.replies.length, 1);
  t.like(d.replies[0], {
    type: 'OFFER',
    srcMac: '02:16:00:00:00:01',
    srcIp: '172.16.0.1',
    serverId: '172.16.0.1',
    mask: '255.255.0.0',
    routers: ['172.16.0.1'],
    dns: ['172.16.0.1'],
    domain: 'lxd',
    leaseSeconds: 3600,
  });
  t.regex(d.replies[0]?.yiaddr ?? '', /^172\.16\.(1\d\d)\.\d+$/, 'inside the one dnsmasq’s range');
});

test('container-dhcp: a second OFFER from the container’s MAC, about 3 s later', (t) => {
  const d = parseDhcpDiscover(fixture('dhcp/fault-container-dhcp-c2-lxd2-discover.jsonl'));
  const servers = serversSeen(d);
  t.deepEqual(
    servers.map((s) => [s.srcMac, s.serverId]),
    [
      ['02:16:00:00:00:01', '172.16.0.1'],
      ['02:00:00:00:00:c2', '172.16.134.83'],
    ],
  );
  const rogue = servers[1]?.replies[0];
  t.regex(rogue?.yiaddr ?? '', /^172\.16\.201\.\d+$/);
  t.is(rogue?.dns, undefined, 'that dnsmasq (--port=0) offers no DNS server');
  t.true((rogue?.atMs ?? 0) >= 3000, 'a stock dnsmasq pings the address first');
});

test('the same fault seen from lxd3, across the overlay', (t) => {
  const d = parseDhcpDiscover(fixture('dhcp/fault-container-dhcp-c2-lxd3-discover.jsonl'));
  t.deepEqual(
    d.replies.map((r) => r.srcMac),
    ['02:16:00:00:00:01', '02:00:00:00:00:c2'],
  );
});

test('no answer: the one dnsmasq stopped, or the probe ran on the DHCP host itself', (t) => {
  for (const f of [
    'dhcp/fault-dns-down-lxd2-discover.jsonl',
    'dhcp/healthy-lxd1-discover-from-dhcp-host.jsonl',
  ]) {
    const d = parseDhcpDiscover(fixture(f));
    t.is(d.status, 'done', f);
    t.deepEqual(d.replies, [], f);
  }
});

test('skips carry the reason: no raw-socket permission, no such bridge', (t) => {
  t.like(parseDhcpDiscover(fixture('dhcp/skip-not-root-discover.jsonl')), {
    status: 'skipped',
    skipReason: 'needs root or CAP_NET_RAW for a raw packet socket',
  });
  t.like(parseDhcpDiscover(fixture('dhcp/skip-no-bridge-discover.jsonl')), {
    status: 'skipped',
    skipReason: 'cannot bind to nonexist0: No such device',
  });
});

test('facts: python3 missing is a skip with the reason; a cut-off or failed run is unknown', (t) => {
  t.like(dhcpDiscoveryFacts(ran('', 127, 'sh: 1: python3: not found')), {
    status: 'skipped',
    skipReason: 'python3 is not installed (it sends the DHCPDISCOVER)',
  });
  const full = fixture('dhcp/healthy-lxd2-discover.jsonl');
  const cut = full.split('\n').slice(0, 2).join('\n');
  t.is(dhcpDiscoveryFacts(ran(cut, null)), null);
  t.is(dhcpDiscoveryFacts(ran(cut, 0)), null, 'no done line: the window did not end');
  t.is(dhcpDiscoveryFacts(ran('', 1, 'Traceback ...')), null);
  t.is(dhcpDiscoveryFacts(undefined), null);
  t.is(dhcpDiscoveryFacts(ran(full))?.replies.length, 1);
});

test('garbage and foreign lines are ignored, never guessed into servers', (t) => {
  const text = `${GARBAGE}\n{"event": "reply", "srcIp": "1.2.3.4"}\n{not json\n${fixture('dhcp/healthy-lxd2-discover.jsonl')}`;
  t.is(parseDhcpDiscover(text).replies.length, 1);
  t.throws(() => parseDhcpDiscover(GARBAGE));
});

test('the section: bridge and window are argv, quoted; its own group so the window overlaps other probes', (t) => {
  const s = dhcpDiscoverSection("br0'; rm -rf /", { windowSeconds: 4 });
  t.is(s.name, DHCP_DISCOVER_SECTION);
  t.is(s.group, DHCP_DISCOVER_SECTION);
  t.true(s.shell.startsWith("python3 -c '"));
  t.true(s.shell.endsWith(` 'br0'\\''; rm -rf /' 4 0.5 4 1`), 'bridge, window, floor, factor, expected');
  t.true(s.timeoutSeconds > 4);
});

const inv = inventory('tinc');
const fpingFrom = (n: number, lost: string[]) => {
  const others = [1, 2, 3].filter((i) => i !== n).map((i) => `172.16.0.${i}`);
  const lines = others.map((a) => (lost.includes(a) ? `${a} : - - -` : `${a} : 0.10 0.12 0.11`));
  return { command: 'fping -q -C 3 ...', stdout: '', stderr: `${lines.join('\n')}\n`, exitCode: 0 };
};

test('the prober: the first other host that reaches the DHCP host’s bridge', (t) => {
  const healthy = [1, 2, 3].map((n) => hostFacts(inv, `lxd${n}`, { 'mesh-ping': fpingFrom(n, []) }));
  t.is(dhcpProber(inv, context(inv, healthy).hosts), 'lxd2');
  const lxd2Cut = [
    hostFacts(inv, 'lxd1', { 'mesh-ping': fpingFrom(1, ['172.16.0.2']) }),
    hostFacts(inv, 'lxd2', { 'mesh-ping': fpingFrom(2, ['172.16.0.1', '172.16.0.3']) }),
    hostFacts(inv, 'lxd3', { 'mesh-ping': fpingFrom(3, ['172.16.0.2']) }),
  ];
  t.is(dhcpProber(inv, context(inv, lxd2Cut).hosts), 'lxd3');
  const noneReach = [2, 3].map((n) =>
    hostFacts(inv, `lxd${n}`, { 'mesh-ping': fpingFrom(n, ['172.16.0.1']) }),
  );
  t.is(
    dhcpProber(inv, context(inv, noneReach).hosts),
    'lxd2',
    'still asks the L2, from the first other host',
  );
  const onlyDhcp = [hostFacts(inv, 'lxd1', { ps: section('ps/healthy-lxd1-ps-eo-pid-comm-args.txt') })];
  t.is(dhcpProber(inv, context(inv, onlyDhcp).hosts), null, 'the DHCP host cannot hear its own dnsmasq');
  const one = inventory('tinc', 1);
  t.is(
    dhcpProber(one, context(one, [hostFacts(one, 'lxd1', {})]).hosts),
    'lxd1',
    'one host: it is all there is',
  );
});

test('sections: the prober sends the DISCOVER; every host reads its FDB in the next stage', (t) => {
  const healthy = [1, 2, 3].map((n) => hostFacts(inv, `lxd${n}`, { 'mesh-ping': fpingFrom(n, []) }));
  const hosts = context(inv, healthy).hosts;
  t.deepEqual(
    dhcpDiscoverySections(inv, 'lxd2', hosts, 4).map((s) => [s.name, s.group]),
    [[DHCP_DISCOVER_SECTION, DHCP_DISCOVER_SECTION]],
  );
  t.deepEqual(dhcpDiscoverySections(inv, 'lxd1', hosts), []);
  t.deepEqual(dhcpDiscoverySections(inv, 'lxd3', hosts), []);
  t.deepEqual(dhcpFdbSections(inv, hosts), [], 'nobody probed yet');
  const probed = context(inv, [
    healthy[0]!,
    hostFacts(inv, 'lxd2', { 'dhcp-discover': section('dhcp/healthy-lxd2-discover.jsonl') }),
  ]).hosts;
  t.deepEqual(
    dhcpFdbSections(inv, probed).map((s) => [s.name, s.shell]),
    [[DHCP_FDB_SECTION, 'bridge fdb show br lxdbr0']],
  );
  t.deepEqual(dhcpDiscoverySections(inv, 'lxd1', context(inv, [healthy[0]!]).hosts), [], 'nobody can probe');
  const fdb = hostFacts(inv, 'lxd2', {
    'dhcp-fdb': section('dhcp/fault-container-dhcp-c2-lxd2-fdb.txt'),
  }).dhcpFdb;
  t.deepEqual(
    fdb?.find((e) => e.mac === '02:00:00:00:00:c2'),
    { mac: '02:00:00:00:00:c2', dev: 'lxlab-c2', master: 'lxdbr0', flags: [] },
  );
});

test('addresses in use go to the probe on stdin (ARP requests for them are no sign of a server), never in the command', (t) => {
  const hosts = context(inv, [
    hostFacts(inv, 'lxd1', {
      leases: section(
        `text:==> /var/lib/misc/dnsmasq.leases <==\n${fixture('dnsmasq/healthy-lxd1-leases.txt')}`,
      ),
    }),
    hostFacts(inv, 'lxd2', { 'mesh-ping': fpingFrom(2, []) }),
  ]).hosts;
  const inUse = addressesInUse(inv, hosts);
  for (const a of ['172.16.0.1', '172.16.0.2', '172.16.0.3', '172.16.134.82']) t.true(inUse.includes(a), a);
  const [s] = dhcpDiscoverySections(inv, 'lxd2', hosts);
  t.is(s?.input, inUse.join(' '));
  t.false(s?.shell.includes('172.16.134.82'));
});
