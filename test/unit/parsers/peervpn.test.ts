import test from 'ava';
import {
  parsePeervpnAges,
  parsePeervpnConfig,
  parsePeervpnLog,
  parsePeervpnPeerTable,
  parsePskFingerprint,
  peervpnPeerState,
  peervpnStarts,
} from '../../../src/facts/parsers/peervpn.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('peervpn log, healthy mesh: started, 2 peers, no upcmd trouble', (t) => {
  const log = parsePeervpnLog(fixture('peervpn/baseline.peervpn-log.pv-h1.txt'));
  t.deepEqual(log, {
    version: '0.044',
    started: true,
    peerCount: 2,
    peerCountUptime: 12,
    lastUptime: 12,
    bridgeMissing: false,
    upcmdErrors: [],
    warnings: [],
    resolveFailures: [],
    counts: [
      { uptime: 0, count: 0 },
      { uptime: 12, count: 2 },
    ],
    stopped: false,
    errors: [],
    clientId: 'E95BB160C0084AE8E1BEBD411D929554300E16C42E71512F304940E97745F364',
    networkId: 'EDE14D183315365CF171564C2BDEDFE3BA51310352EBDBE1CDF49FAF662CF5BB',
  });
  t.deepEqual(peervpnPeerState(log), {
    source: 'peervpn-log',
    connectedCount: 2,
    connected: [],
    disconnected: [],
    excerpt: '[12] 2 peers connected.',
    ageSeconds: 0,
  });
});

test('peervpn log, faultB: the LAST count line wins (1 peer at [572])', (t) => {
  const log = parsePeervpnLog(fixture('peervpn/faultB.peervpn-log.pv-h1.txt'));
  t.is(log.peerCount, 1);
  t.is(log.peerCountUptime, 572);
  const state = peervpnPeerState(fixture('peervpn/faultB.peervpn-log.pv-h1.txt'));
  t.is(state.connectedCount, 1);
  t.is(state.excerpt, '[572] 1 peers connected.');
});

test('peervpn log, faultB seen before the count caught up: still 2 peers, and how old that is', (t) => {
  // The same real log cut before [572], plus a later line: what a check sees inside the ~110 s lag.
  const full = fixture('peervpn/faultB.peervpn-log.pv-h1.txt');
  const beforeLag = `${full.slice(0, full.indexOf('[572]'))}[561] warning: could not write to tap device!\n`;
  const log = parsePeervpnLog(beforeLag);
  t.is(log.peerCount, 2);
  t.is(log.peerCountUptime, 441);
  t.is(log.lastUptime, 561);
  t.deepEqual(log.warnings, ['could not write to tap device!']);
  t.is(peervpnPeerState(log).ageSeconds, 120);
});

test('peervpn log, run3-faultA: upcmd failed because lxdbr0 did not exist yet', (t) => {
  const log = parsePeervpnLog(
    fixture('peervpn/run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt'),
  );
  t.true(log.bridgeMissing);
  t.deepEqual(log.upcmdErrors, ['bridge lxdbr0 does not exist!']);
  t.true(log.started);
  // Console tables in the log do not disturb the count: last count line is [144] 2.
  t.is(log.peerCount, 2);
  t.is(log.peerCountUptime, 144);
});

test('peervpn log, a killed daemon has no shutdown lines but still parses', (t) => {
  const log = parsePeervpnLog(fixture('peervpn/faultB.peervpn-log-killed.pv-h3.txt'));
  t.is(log.peerCount, 2);
  t.false(log.bridgeMissing);
});

test('peervpn log: resolve failures, next-line and same-line (lines as formats.md describes; no capture)', (t) => {
  const text = [
    '[0] 0 peers connected.',
    '[0] resolving lxd2.example:7000...',
    '             failed: name could not be resolved.',
    '[0] resolving 192.168.99.3:7000...',
    '             done.',
    '[30] resolving lxd4.example:7000... failed: name could not be resolved.',
  ].join('\n');
  const log = parsePeervpnLog(text);
  t.deepEqual(log.resolveFailures, ['lxd2.example:7000', 'lxd4.example:7000']);
  t.is(log.peerCount, 0);
  t.is(log.lastUptime, 30);
  t.false(log.started);
});

test('peervpn log: empty and garbage', (t) => {
  const empty = parsePeervpnLog('');
  t.is(empty.peerCount, null);
  t.false(empty.started);
  t.is(peervpnPeerState(empty).connectedCount, null);
  t.is(peervpnPeerState(empty).ageSeconds, undefined);
  t.is(parsePeervpnLog(GARBAGE).peerCount, null);
});

test('peervpn config: fields read, psk dropped at parse time', (t) => {
  const text = fixture('peervpn/conf/h1.conf');
  const config = parsePeervpnConfig(text);
  t.deepEqual(config, {
    networkname: 'PEERVPN',
    interface: 'peervpn0',
    ifconfig4: '10.99.0.1/24',
    port: 7000,
    initpeers: [
      { host: '192.168.99.2', port: 7000 },
      { host: '192.168.99.3', port: 7000 },
    ],
    upcmd: 'brctl addif lxdbr0 peervpn0',
    hasPsk: true,
  });
  // The psk is taken from the capture, never written out here: a failing assertion cannot print it.
  const psk = /^psk[ \t]+(\S+)/m.exec(text)?.[1] ?? '';
  t.true(psk.length > 0, 'the capture has a psk line');
  t.false(JSON.stringify(config).includes(psk), 'the parsed config does not carry the psk');
});

test('peervpn config: # and ; end a line anywhere; endconfig stops; no psk', (t) => {
  const config = parsePeervpnConfig(
    [
      '# comment',
      'interface peervpn0 ; trailing',
      'upcmd brctl addif lxdbr0 peervpn0; ip link set peervpn0 up',
      'port 7000 # the port',
      'psk',
      'endconfig',
      'networkname AFTER-END',
    ].join('\n'),
  );
  t.is(config.interface, 'peervpn0');
  t.is(config.upcmd, 'brctl addif lxdbr0 peervpn0');
  t.is(config.port, 7000);
  t.false(config.hasPsk);
  t.is(config.networkname, undefined);
});

test('peervpn config: a psk cut by # still counts, and its text never leaks', (t) => {
  const config = parsePeervpnConfig('psk s3cr#et-tail\n');
  t.true(config.hasPsk);
  t.false(JSON.stringify(config).includes('s3cr'));
  t.deepEqual(parsePeervpnConfig(''), { initpeers: [], hasPsk: false });
  t.deepEqual(parsePeervpnConfig(GARBAGE).initpeers, []);
});

test('peervpn console p: self row, peers with decoded IPv4 addresses, hex numbers', (t) => {
  const rows = parsePeervpnPeerTable(fixture('peervpn/console.cmd-p.pv-h1.txt'));
  t.is(rows.length, 3);
  t.like(rows[0], { peerId: 0, self: true, lastPacketSeconds: 0x22, flag: 0 });
  t.is(rows[0]!.address, undefined);
  t.like(rows[1], {
    peerId: 1,
    self: false,
    address: '192.168.99.2:7000',
    status: 2,
    lastPacketSeconds: 1,
    sessionAgeSeconds: 0x21,
    flag: 1,
    rq: 0x0e,
  });
  t.is(rows[2]!.address, '192.168.99.3:7000');
});

test('peervpn console p during run3-faultA: old and new session of pv-h2 both listed', (t) => {
  const rows = parsePeervpnPeerTable(fixture('peervpn/run3-faultA.console-p.pv-h1.txt'));
  const h2 = rows.filter((r) => r.address === '192.168.99.2:7000');
  t.is(h2.length, 2);
  t.deepEqual(
    h2.map((r) => r.lastPacketSeconds),
    [0x29, 6],
  );
});

test('peervpn console p inside a log: the last table wins', (t) => {
  const rows = parsePeervpnPeerTable(
    fixture('peervpn/run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt'),
  );
  t.deepEqual(
    rows.map((r) => r.peerId),
    [0, 1, 3],
  );
  t.deepEqual(parsePeervpnPeerTable(''), []);
  t.deepEqual(parsePeervpnPeerTable(GARBAGE), []);
  t.deepEqual(parsePeervpnPeerTable(fixture('peervpn/console.cmd-m.pv-h1.txt')), []);
});

test('peervpn log, run3-faultA (real, ended by SIGTERM): every count in order, the 3 sessions of a restarted peer, the shutdown lines', (t) => {
  const text = fixture('peervpn/run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt');
  const log = parsePeervpnLog(text);
  t.deepEqual(log.counts, [
    { uptime: 0, count: 0 },
    { uptime: 11, count: 2 },
    { uptime: 110, count: 3 },
    { uptime: 144, count: 2 },
  ]);
  t.true(log.stopped);
  t.deepEqual(log.errors, []);
  t.is(log.networkId, 'EDE14D183315365CF171564C2BDEDFE3BA51310352EBDBE1CDF49FAF662CF5BB');
  t.is(peervpnStarts(text), 1);
  // Cut before its shutdown, the same daemon is running.
  t.false(parsePeervpnLog(text.slice(0, text.indexOf('main loop left.'))).stopped);
});

test('peervpn log: a killed daemon (real, SIGKILL) has no shutdown lines; a restart shows two banners', (t) => {
  const killed = fixture('peervpn/faultB.peervpn-log-killed.pv-h3.txt');
  t.false(parsePeervpnLog(killed).stopped);
  t.is(peervpnStarts(`${killed}\n${fixture('peervpn/baseline.peervpn-log.pv-h3.txt')}`), 2);
  t.is(peervpnStarts(''), 0);
});

test('peervpn log: `error: ...` before exit, and ip’s words for a missing bridge (lines from formats.md; no capture)', (t) => {
  const parseError = parsePeervpnLog('PeerVPN v0.044\nerror: config file parse error at line 3!\n');
  t.deepEqual(parseError.errors, ['config file parse error at line 3!']);
  t.false(parseError.started);
  const real = fixture('peervpn/run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt');
  const ip = parsePeervpnLog(
    real.replace('bridge lxdbr0 does not exist!', 'Error: argument "lxdbr0" is wrong: Device does not exist'),
  );
  t.true(ip.bridgeMissing);
  t.deepEqual(ip.upcmdErrors, ['Error: argument "lxdbr0" is wrong: Device does not exist']);
});

test('ps -o pid=,etimes= -C peervpn: pid and age; nothing else', (t) => {
  t.deepEqual(parsePeervpnAges('   812     125\n  9001 7\n'), [
    { pid: 812, ageSeconds: 125 },
    { pid: 9001, ageSeconds: 7 },
  ]);
  t.deepEqual(parsePeervpnAges(''), []);
  t.deepEqual(parsePeervpnAges(GARBAGE), []);
});

test('psk fingerprint output: hmac, none, and only lxdcheck’s own words when it failed', (t) => {
  const hex = 'ab'.repeat(32);
  t.deepEqual(parsePskFingerprint(`psk-hmac-sha256 ${hex} openssl\n`, 0), {
    state: 'hmac',
    hex,
    tool: 'openssl',
  });
  t.deepEqual(parsePskFingerprint('psk-none\n', 0), { state: 'none' });
  t.deepEqual(parsePskFingerprint('', 3, 'lxdcheck: cannot read /etc/peervpn/peervpn.conf\n'), {
    state: 'unknown',
    reason: 'cannot read /etc/peervpn/peervpn.conf',
  });
  t.deepEqual(parsePskFingerprint('', null), { state: 'unknown', reason: 'the fingerprint did not finish' });
  t.is(parsePskFingerprint(`psk-hmac-sha256 ${hex.slice(2)} python3\n`, 0).state, 'unknown');
  t.is(parsePskFingerprint(GARBAGE, 0).state, 'unknown');
});
