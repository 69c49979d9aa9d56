import test from 'ava';
import { mtuFromPingError, parseFpingSummary, parsePing } from '../../../src/facts/parsers/ping.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('fping -c -q: all reachable', (t) => {
  t.deepEqual(parseFpingSummary(fixture('fping/healthy-lxd1-c3-q.txt')), [
    {
      target: '172.16.0.2',
      sent: 3,
      received: 3,
      lossPercent: 0,
      rttMinMs: 0.322,
      rttAvgMs: 0.38,
      rttMaxMs: 0.42,
    },
    {
      target: '172.16.0.3',
      sent: 3,
      received: 3,
      lossPercent: 0,
      rttMinMs: 0.161,
      rttAvgMs: 0.226,
      rttMaxMs: 0.282,
    },
  ]);
});

test('fping -c -q: 100% loss has no rtt; padded target names', (t) => {
  t.deepEqual(parseFpingSummary(fixture('fping/fault-delif-lxd1-c3-q.txt'))[0], {
    target: '172.16.0.2',
    sent: 3,
    received: 0,
    lossPercent: 100,
  });
  const absent = parseFpingSummary(fixture('fping/healthy-lxd1-c3-q-one-absent.txt'));
  t.deepEqual(
    absent.map((r) => [r.target, r.lossPercent]),
    [
      ['172.16.0.2', 0],
      ['172.16.0.99', 100],
    ],
  );
  t.deepEqual(
    parseFpingSummary(fixture('fping/fault-noroute-lxd3-c3-q.txt')).map((r) => r.received),
    [0, 0],
  );
});

test('fping -C -q: `-` marks a lost reply', (t) => {
  const results = parseFpingSummary(fixture('fping/fault-tinc-down-lxd1-C3-q.txt'));
  t.deepEqual(results[0], {
    target: '172.16.0.2',
    sent: 3,
    received: 3,
    lossPercent: 0,
    rttMinMs: 0.289,
    rttAvgMs: 0.322,
    rttMaxMs: 0.365,
  });
  t.deepEqual(results[1], { target: '172.16.0.3', sent: 3, received: 0, lossPercent: 100 });
  t.deepEqual(
    parseFpingSummary(fixture('fping/healthy-lxd1-C3-q-one-absent.txt')).map((r) => [r.target, r.received]),
    [
      ['172.16.0.2', 3],
      ['172.16.0.99', 0],
    ],
  );
});

test('fping -C: partial loss is counted per probe', (t) => {
  t.like(parseFpingSummary('10.0.0.1 : 0.200 - 0.400\n')[0], {
    sent: 3,
    received: 2,
    lossPercent: 33,
    rttMinMs: 0.2,
    rttAvgMs: 0.3,
    rttMaxMs: 0.4,
  });
});

test('fping without -q: per-probe lines (stdout) are ignored, the summary (stderr) counts', (t) => {
  for (const name of ['healthy-lxd1-C3-noq', 'healthy-lxd1-c3-noq']) {
    const stdout = fixture(`fping/${name}.txt`);
    const stderr = fixture(`fping/${name}.stderr.txt`);
    t.deepEqual(parseFpingSummary(stdout), [], name);
    const merged = parseFpingSummary(`${stdout}${stderr}`);
    t.deepEqual(merged, parseFpingSummary(stderr), name);
    t.deepEqual(
      merged.map((r) => [r.target, r.sent, r.received]),
      [
        ['172.16.0.2', 3, 3],
        ['172.16.0.3', 3, 3],
      ],
    );
  }
});

test('fping: a name that does not resolve', (t) => {
  t.deepEqual(parseFpingSummary('c9.lxd: Name or service not known\n'), [
    { target: 'c9.lxd', sent: 0, received: 0, lossPercent: 100, error: 'Name or service not known' },
  ]);
});

test('fping: alive lines, empty and garbage are not summaries', (t) => {
  t.deepEqual(parseFpingSummary(fixture('fping/healthy-lxd1-alive-one-absent.txt')), []);
  t.deepEqual(parseFpingSummary(''), []);
  t.deepEqual(parseFpingSummary(GARBAGE), []);
});

test('ping: healthy run by name', (t) => {
  t.deepEqual(parsePing(fixture('ping/healthy-c1-ping-c3-name.txt')), {
    target: 'c3.lxd',
    sent: 3,
    received: 3,
    lossPercent: 0,
    rttMinMs: 0.244,
    rttAvgMs: 0.287,
    rttMaxMs: 0.326,
    size: 56,
  });
});

test('ping: 100% loss with nothing else; Destination Host Unreachable with +errors', (t) => {
  t.deepEqual(parsePing(fixture('ping/healthy-lxd1-ping-absent.txt')), {
    target: '172.16.0.99',
    sent: 3,
    received: 0,
    lossPercent: 100,
    size: 56,
  });
  t.like(parsePing(fixture('ping/healthy-lxd1-ping-absent-i02.txt')), {
    received: 0,
    lossPercent: 100,
    error: 'Destination Host Unreachable',
  });
  t.like(parsePing(fixture('peervpn/run3-faultA.ping-c3-Mdo-s1472-172.16.0.1.fail-not-bridged.pv-h2.txt')), {
    target: '172.16.0.1',
    size: 1472,
    sent: 3,
    error: 'Destination Host Unreachable',
  });
});

test('ping -M do -s 1472 with the MTU fault: stdout and stderr together give the local MTU', (t) => {
  const stdout = fixture('ping/fault-mtu-lxd2-ping-lxd1-Mdo-s1472.txt');
  const stderr = fixture('ping/fault-mtu-lxd2-ping-lxd1-Mdo-s1472.stderr.txt');
  const result = parsePing(`${stdout}${stderr}`);
  t.deepEqual(result, {
    target: '172.16.0.1',
    sent: 2,
    received: 0,
    lossPercent: 100,
    size: 1472,
    error: 'message too long, mtu=1200',
  });
  t.is(mtuFromPingError(result.error), 1200);
  // stdout alone knows the loss but not why.
  t.is(parsePing(stdout).error, undefined);
});

test('ping -M do: the inline local error (peervpn fixtures) and a fitting size', (t) => {
  t.like(parsePing(fixture('peervpn/baseline.ping-c3-Mdo-s1472-172.16.0.2.fail-mtu1400.pv-h1.txt')), {
    size: 1472,
    error: 'message too long, mtu=1400',
  });
  t.like(parsePing(fixture('peervpn/baseline.ping-c3-Mdo-s1473-172.16.0.2.fail-local-mtu.pv-h1.txt')), {
    size: 1473,
    error: 'message too long, mtu=1500',
  });
  const ok = parsePing(fixture('peervpn/baseline.ping-c3-Mdo-s1472-172.16.0.2.ok.pv-h1.txt'));
  t.like(ok, { size: 1472, received: 3, lossPercent: 0 });
  t.is(ok.error, undefined);
});

test('ping: a remote router says frag needed (line as iputils prints it; no capture)', (t) => {
  const text = [
    'PING 172.16.0.2 (172.16.0.2) 1472(1500) bytes of data.',
    'From 192.168.99.254 icmp_seq=1 Frag needed and DF set (mtu = 1400)',
    '',
    '--- 172.16.0.2 ping statistics ---',
    '1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms',
  ].join('\n');
  const result = parsePing(text);
  t.is(result.error, 'frag needed and DF set (mtu = 1400)');
  t.is(mtuFromPingError(result.error), 1400);
});

test('ping: routing and resolver failures print no statistics', (t) => {
  t.deepEqual(parsePing(fixture('ping/fault-noroute-lxd3-ping-lxd1.txt'), '172.16.0.1'), {
    target: '172.16.0.1',
    sent: 0,
    received: 0,
    lossPercent: 100,
    error: 'Network is unreachable',
  });
  t.deepEqual(parsePing(fixture('ping/fault-nodns-c1-ping-c3-name.txt')), {
    target: 'c3.lxd',
    sent: 0,
    received: 0,
    lossPercent: 100,
    error: 'Temporary failure in name resolution',
  });
  t.like(parsePing('ping: nosuch.lxd: Name or service not known\n'), {
    target: 'nosuch.lxd',
    error: 'Name or service not known',
  });
});

test('ping: empty and garbage input are flagged, not trusted', (t) => {
  t.like(parsePing('', 'c1'), { target: 'c1', sent: 0, received: 0, error: 'no ping output recognised' });
  t.like(parsePing(GARBAGE), { target: '', sent: 0, error: 'no ping output recognised' });
  t.is(mtuFromPingError(undefined), null);
  t.is(mtuFromPingError('Network is unreachable'), null);
});
