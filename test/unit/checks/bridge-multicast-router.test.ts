/**
 * bridge.multicast-router on real captures (fixtures/mdb/: `bridge -d [-s] mdb show` and the
 * sysfs grep, taken on the lab in each router-port state) and on recorded lab bundles
 * (fixtures/multicast-router/): every VPN restarted at once, once with all cross-host multicast
 * lost and once with it still getting out, and the healthy lab after the querier asked again.
 */
import test from 'ava';
import { bridgeMulticastRouter } from '../../../src/checks/bridge-multicast-router.js';
import type { RawOutput } from '../../../src/facts/types.js';
import { context, hostFacts, inventory, section } from '../../helpers/facts.js';
import { replayBundle } from '../../helpers/replay.js';

const inv = inventory('tinc');

/** A host's bridge facts from the captures (sysfs grep, mdb), plus an optional multicast probe. */
function host(name: string, sysfs: string, mdb: string | null, multicast?: RawOutput) {
  const raw: Record<string, RawOutput> = { sysfs: section(`mdb/${sysfs}`) };
  if (mdb) raw.mdb = section(`mdb/${mdb}`);
  if (multicast) raw.multicast = multicast;
  return hostFacts(inv, name, raw);
}

/** The probe's output as a host prints it: what its container sent and heard from whom. */
function probe(container: string, heard: Record<string, number>): RawOutput {
  const lines = ['##MC sent 20', ...Object.entries(heard).map(([c, n]) => `##MC from ${c} ${n}`)];
  return {
    command: `lxc exec ${container} -- python3 -c '…'`,
    stdout: `${lines.join('\n')}\n`,
    stderr: '',
    exitCode: 0,
    durationMs: 3000,
  };
}

const querier = () => host('lxd1', 'lab-lxd1-querier-sysfs.txt', 'lab-lxd1-querier.txt');
const judge = (facts: ReturnType<typeof host>[], h: string) =>
  bridgeMulticastRouter.judge({ host: h }, context(inv, facts));

test('the querier itself, a learned router port and a permanent one pass', (t) => {
  const learned = host('lxd2', 'lab-lxd2-router-learned-sysfs.txt', 'lab-lxd3-router-learned-stats.txt');
  const permanent = host(
    'lxd3',
    'lab-lxd2-router-permanent-sysfs.txt',
    'lab-lxd2-router-permanent-stats.txt',
  );
  const facts = [querier(), learned, permanent];
  const q = judge(facts, 'lxd1');
  t.is(q.status, 'pass');
  t.regex(q.summary, /lxdbr0 on lxd1 is the querier/);
  const l = judge(facts, 'lxd2');
  t.is(l.status, 'pass');
  t.regex(l.summary, /peervpn0 is a multicast router port of lxdbr0: lxd1's queries arrive on it; 252 s/);
  const p = judge(facts, 'lxd3');
  t.is(p.status, 'pass');
  t.regex(p.summary, /permanent multicast router port/);
});

test('a port that re-joined the bridge: fail when the querier heard nothing of this host, warn when it did or no probe ran', (t) => {
  const lost = [
    host('lxd1', 'lab-lxd1-querier-sysfs.txt', 'lab-lxd1-querier.txt', probe('c1', {})),
    host('lxd2', 'lab-lxd2-router-learned-sysfs.txt', 'lab-lxd2-port-rejoined.txt', probe('c2', { c1: 20 })),
  ];
  const v = judge(lost, 'lxd2');
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /peervpn0 is not a multicast router port of lxdbr0 on lxd2 \(no query from lxd1 has arrived on it since it \(re\)joined the bridge\): group traffic from its containers does not leave the host/,
  );
  t.deepEqual(v.involves, ['lxd1']);
  t.regex(v.hint?.fix?.[0] ?? '', /^bridge link set dev peervpn0 mcast_router 2 {3}# on lxd2/);
  t.regex(v.hint?.fix?.[1] ?? '', /mcast_querier 0; .*mcast_querier 1 {3}# on lxd1: query now/);

  const gotOut = [
    host('lxd1', 'lab-lxd1-querier-sysfs.txt', 'lab-lxd1-querier.txt', probe('c1', { c2: 20 })),
    lost[1]!,
  ];
  const w = judge(gotOut, 'lxd2');
  t.is(w.status, 'warn');
  t.regex(w.summary, /the probe’s group traffic still got out this time/);

  const noProbe = [
    querier(),
    host('lxd2', 'lab-lxd2-router-learned-sysfs.txt', 'lab-lxd2-port-rejoined.txt'),
  ];
  const n = judge(noProbe, 'lxd2');
  t.is(n.status, 'warn');
  t.regex(n.summary, /no multicast probe ran/);
});

test('multicast_router=0 on the VPN port is named as why it never becomes a router port', (t) => {
  const v = judge(
    [querier(), host('lxd2', 'lab-lxd2-router-disabled-sysfs.txt', 'lab-lxd2-router-disabled.txt')],
    'lxd2',
  );
  t.is(v.status, 'warn');
  t.regex(v.summary, /peervpn0 has multicast_router=0, so it never becomes one/);
});

test('no querier on the L2, or snooping off: nothing prunes, pass; not read: skip', (t) => {
  const rejoined = host('lxd2', 'lab-lxd2-router-learned-sysfs.txt', 'lab-lxd2-port-rejoined.txt');
  const noQuerier = judge([rejoined], 'lxd2');
  t.is(noQuerier.status, 'pass');
  t.regex(noQuerier.summary, /no lxdbr0 on the L2 is a querier/);
  const off = hostFacts(inv, 'lxd2', {
    sysfs: section(
      'text:/sys/class/net/lxdbr0/bridge/multicast_snooping:0\n/sys/class/net/lxdbr0/bridge/multicast_querier:0\n',
    ),
    mdb: section('mdb/lab-lxd2-port-rejoined.txt'),
  });
  t.regex(judge([querier(), off], 'lxd2').summary, /IGMP snooping is off/);
  const unread = host('lxd2', 'lab-lxd2-router-learned-sysfs.txt', null);
  t.is(judge([querier(), unread], 'lxd2').status, 'skip');
});

const RECORDED = '../multicast-router';

test('recorded: every VPN restarted, all cross-host multicast lost: two roots, every multicast failure folded under them', async (t) => {
  const { results, diagnosis } = await replayBundle(`${RECORDED}/bundle-vpn-restarted-multicast-lost`);
  const router = results.filter((r) => r.id === 'bridge.multicast-router');
  t.deepEqual(
    router.map((r) => [r.subject.host, r.status]),
    [
      ['lxd1', 'pass'],
      ['lxd2', 'fail'],
      ['lxd3', 'fail'],
    ],
  );
  t.deepEqual(
    diagnosis?.rootCauses.map((c) => c.key),
    ['bridge.multicast-router lxd2', 'bridge.multicast-router lxd3'],
  );
  const mc = results.filter((r) => r.id === 'multicast.containers');
  t.is(mc.length, 6);
  for (const r of mc) {
    t.is(r.status, 'fail');
    t.regex(r.causedBy ?? '', /^bridge\.multicast-router lxd[23]$/);
  }
});

test('recorded: every VPN restarted, multicast still got out: a warning per host, nothing fails', async (t) => {
  const { results, diagnosis } = await replayBundle(`${RECORDED}/bundle-vpn-restarted-multicast-got-out`);
  t.deepEqual(
    results.filter((r) => r.id === 'bridge.multicast-router').map((r) => [r.subject.host, r.status]),
    [
      ['lxd1', 'pass'],
      ['lxd2', 'warn'],
      ['lxd3', 'warn'],
    ],
  );
  t.deepEqual(diagnosis?.rootCauses, []);
});

test('recorded: the healthy lab after the querier asked again: every host passes', async (t) => {
  const { results } = await replayBundle(`${RECORDED}/bundle-healthy-router-ports`);
  t.deepEqual(
    results.filter((r) => r.id === 'bridge.multicast-router').map((r) => r.status),
    ['pass', 'pass', 'pass'],
  );
  t.deepEqual(
    results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => r.id),
    [],
  );
});

test('nothing gets out and nothing arrives from a host whose port is a router port: a filter, not the mark (warn, no root)', (t) => {
  const facts = [
    host('lxd1', 'lab-lxd1-querier-sysfs.txt', 'lab-lxd1-querier.txt', probe('c1', { c3: 20 })),
    host('lxd2', 'lab-lxd2-router-learned-sysfs.txt', 'lab-lxd2-port-rejoined.txt', probe('c2', {})),
    host(
      'lxd3',
      'lab-lxd2-router-learned-sysfs.txt',
      'lab-lxd3-router-learned-stats.txt',
      probe('c3', { c1: 20 }),
    ),
  ];
  const v = judge(facts, 'lxd2');
  t.is(v.status, 'warn');
  t.regex(
    v.summary,
    /multicast from lxd3, whose peervpn0 is one, does not arrive here either: something on lxd2 drops multicast on peervpn0/,
  );
});
