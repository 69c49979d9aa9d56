import test from 'ava';
import { parseTincLogEvents, parseTincNodes, tincPeerState } from '../../../src/facts/parsers/tinc.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('tinc USR2 dump: three nodes, all reachable, status is hex', (t) => {
  const nodes = parseTincNodes(fixture('tinc/healthy-lxd1-usr2-dump-only.txt'));
  t.truthy(nodes);
  t.deepEqual(nodes![0], {
    name: 'lxd1',
    address: 'MYSELF',
    status: 0x18,
    reachable: true,
    myself: true,
    nexthop: 'lxd1',
    pmtu: 1518,
  });
  t.like(nodes![1], { name: 'lxd2', address: '192.168.99.2', port: 655, status: 0x1a, reachable: true });
  t.deepEqual(tincPeerState(nodes!), {
    source: 'tinc-dump',
    connectedCount: 2,
    connected: ['lxd2', 'lxd3'],
    disconnected: [],
    excerpt:
      'lxd1 at MYSELF status 0018\nlxd2 at 192.168.99.2 port 655 status 001a\nlxd3 at 192.168.99.3 port 655 status 001a',
  });
});

test('tinc dump after lxd3 died: lxd3 unreachable (status 0020, address (null))', (t) => {
  const nodes = parseTincNodes(fixture('tinc/fault-tinc-down-lxd1-usr2-dump-only.txt'))!;
  t.like(nodes[2], { name: 'lxd3', address: '(null)', status: 0x20, reachable: false, myself: false });
  const state = tincPeerState(nodes);
  t.is(state.connectedCount, 1);
  t.deepEqual(state.connected, ['lxd2']);
  t.deepEqual(state.disconnected, ['lxd3']);
});

test('tinc whole log: the LAST complete block wins', (t) => {
  const log = fixture('tinc/fault-tinc-down-lxd1-log-after-usr2-usr1.txt');
  // The log holds the healthy dump (05:32) and the one after lxd3 died (05:33).
  t.is(log.split('End of nodes.').length - 1, 2);
  const latest = tincPeerState(parseTincNodes(log)!);
  t.deepEqual(latest.disconnected, ['lxd3']);
  // On lxd3 itself the log ends with a healthy dump, then TERM: the dump is still the last one.
  const own = parseTincNodes(fixture('tinc/fault-tinc-down-lxd3-log.txt'))!;
  t.is(own.find((n) => n.myself)!.name, 'lxd3');
});

test('tinc: an unfinished block is not used', (t) => {
  const log = fixture('tinc/healthy-lxd2-log-after-usr2-usr1.txt');
  const cut = log.slice(0, log.lastIndexOf('End of nodes.'));
  const lastNodesAt = cut.lastIndexOf('Nodes:');
  const firstNodesAt = cut.indexOf('Nodes:');
  t.is(firstNodesAt, lastNodesAt, 'fixture has a single dump');
  t.is(parseTincNodes(cut), null);
});

test('tinc: no dump at all gives null (USR1-only output, no daemon)', (t) => {
  t.is(parseTincNodes(fixture('tinc/healthy-lxd1-usr1-dump-only.txt')), null);
  t.is(parseTincNodes(fixture('tinc/fault-tinc-down-lxd3-kUSR2-no-daemon.txt')), null);
  t.is(parseTincNodes(''), null);
  t.is(parseTincNodes(GARBAGE), null);
});

test('tinc syslog prefix is stripped too', (t) => {
  const syslog = fixture('tinc/healthy-lxd1-usr2-dump-only.txt').replaceAll(
    '2026-11-26 05:32:00 tinc.lxd[13]:',
    'Nov 26 05:32:00 lxd1 tinc.lxd[13]:',
  );
  t.deepEqual(parseTincNodes(syslog), parseTincNodes(fixture('tinc/healthy-lxd1-usr2-dump-only.txt')));
});

test('tinc log events: start, connections activated/closed, TERM', (t) => {
  const events = parseTincLogEvents(fixture('tinc/fault-tinc-down-lxd3-log.txt'));
  t.deepEqual(
    events.map((e) => [e.kind, e.subject]),
    [
      ['started', '1.0.36'],
      ['connection-activated', 'lxd1'],
      ['connection-activated', 'lxd2'],
      ['connection-closed', 'lxd1'],
      ['connection-closed', 'lxd2'],
      ['connection-closed', 'lxd3'],
      ['stopped', undefined],
    ],
  );
  t.is(events[0]!.time, '2026-11-26 05:30:17');
  const lxd1 = parseTincLogEvents(fixture('tinc/fault-tinc-down-lxd1-log-after-usr2-usr1.txt'));
  t.true(
    lxd1.some((e) => e.kind === 'connection-closed' && e.subject === 'lxd3' && /closed by/.test(e.line)),
  );
  t.true(lxd1.some((e) => e.kind === 'connect-error' && e.subject === 'lxd3'));
});

test('tinc log events: tinc-up script failures (lines as tinc 1.0 prints them; no capture exists)', (t) => {
  const log = [
    '2026-11-26 05:40:01 tinc.lxd[13]: Script tinc-up exited with non-zero status 1',
    '2026-11-26 05:40:01 tinc.lxd[13]: Error executing script tinc-up: No such file or directory',
    'Nov 26 05:40:02 lxd2 tinc.lxd[13]: Script tinc-down terminated abnormally',
  ].join('\n');
  t.deepEqual(
    parseTincLogEvents(log).map((e) => [e.kind, e.subject, e.time]),
    [
      ['script-error', 'tinc-up', '2026-11-26 05:40:01'],
      ['exec-error', 'tinc-up', '2026-11-26 05:40:01'],
      ['script-error', 'tinc-down', 'Nov 26 05:40:02'],
    ],
  );
  t.deepEqual(parseTincLogEvents(GARBAGE), []);
  t.deepEqual(parseTincLogEvents(''), []);
});
