/**
 * Every peervpn state judged on real peervpn 0.044 output (fixtures/peervpn/,
 * see its README for the few hand-written logs): stopped, a restarted peer
 * counted twice, a wrong psk, the latent service order, starting. Facts are
 * built from raw sections exactly as a live run builds them.
 */
import { createHmac } from 'node:crypto';
import test from 'ava';
import type { Verdict } from '../../../src/checks/check.js';
import { overlayDaemon } from '../../../src/checks/overlay.js';
import { overlayPeers } from '../../../src/checks/overlay-peers.js';
import { overlayPsk } from '../../../src/checks/overlay-psk.js';
import { serviceOrder } from '../../../src/checks/service-order.js';
import type { RawOutput } from '../../../src/facts/types.js';
import { redactSecrets } from '../../../src/redact.js';
import {
  context,
  fanOut,
  fixture,
  hostFacts,
  inventory,
  peervpnConfAsSent,
  section,
} from '../../helpers/facts.js';

const pv = inventory('peervpn');
const pv2 = inventory('peervpn', 2);

const PS_RUNNING = section(
  'text:    PID COMMAND         COMMAND\n     12 peervpn         peervpn /etc/peervpn/peervpn.conf\n',
);
const PS_NONE = section('text:    PID COMMAND         COMMAND\n      1 init            /sbin/init\n');
/** `ps -o pid=,etimes= -C peervpn`: the daemon's age; no daemon = exit 1, no output. */
const age = (seconds: number): RawOutput => section(`text:     12 ${seconds}\n`);
const NO_DAEMON_AGE: RawOutput = {
  command: 'ps -o pid=,etimes= -C peervpn',
  stdout: '',
  stderr: '',
  exitCode: 1,
};

const KEY = 'a'.repeat(64);
/** The captured configs as their hosts send them (the psk value replaced on the host). */
const conf = (n: 1 | 2 | 3): RawOutput =>
  section(`text:${peervpnConfAsSent(fixture(`peervpn/conf/h${n}.conf`))}`);
/** The lab's psk, read from the capture (all three share it) and only ever hashed, never written here. */
const CAPTURED_PSK = /^psk[ \t]+(\S+)/m.exec(fixture('peervpn/conf/h1.conf'))?.[1] ?? '';
const fingerprint = (psk: string): RawOutput =>
  section(`text:psk-hmac-sha256 ${createHmac('sha256', KEY).update(psk).digest('hex')} python3\n`);

const log = (name: string) => fixture(`peervpn/${name}`);
const cutBefore = (text: string, marker: string) => {
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`no ${marker}`);
  return text.slice(0, at);
};
const RUN3 = log('run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt');

const OK = (n: 1 | 2 | 3, to: 1 | 2 | 3) => ({
  key: `172.16.0.${to}`,
  rc: 0,
  source: `peervpn/baseline.ping-c3-W1-172.16.0.${to}.pv-h${n}.txt`,
});
const DOWN = (to: 1 | 2 | 3) => ({
  key: `172.16.0.${to}`,
  rc: 1,
  source: 'peervpn/faultB.ping-c3-W1-172.16.0.3.fail-peerdown.pv-h1.txt',
});

/** A healthy peervpn host of the baseline capture (links, bridge, log, daemon, pings to both others). */
function healthy(n: 1 | 2 | 3, extra: Record<string, RawOutput> = {}): Record<string, RawOutput> {
  const others = ([1, 2, 3] as const).filter((o) => o !== n);
  return {
    links: section(`peervpn/baseline.ip-j-addr.pv-h${n === 3 ? 3 : n}.json`),
    addrs: section(`peervpn/baseline.ip-j-addr.pv-h${n === 3 ? 3 : n}.json`),
    brif: section(`peervpn/baseline.ls-sys-class-net-lxdbr0-brif.pv-h${n}.txt`),
    ps: PS_RUNNING,
    'overlay-log': section(`peervpn/baseline.peervpn-log.pv-h${n}.txt`),
    'overlay-config': conf(n),
    'overlay-age': age(3600),
    'mesh-ping': fanOut(others.map((o) => OK(n, o))),
    ...extra,
  };
}

function judgeAll(v: Verdict): string {
  return [v.summary, v.actual ?? '', v.hint?.why ?? '', ...(v.hint?.fix ?? [])].join('\n');
}

/** Messages that name the psk must survive the reporters' secret redaction intact. */
function survivesRedaction(t: { is: (a: unknown, b: unknown, m?: string) => void }, v: Verdict) {
  for (const text of [
    v.summary,
    v.actual ?? '',
    v.expected ?? '',
    v.hint?.why ?? '',
    ...(v.hint?.fix ?? []),
  ]) {
    t.is(redactSecrets(text), text, 'a message was mangled by the psk redaction');
  }
}

// ------------------------------------------------------------------ stopped

test('stopped (real log ending in `main loop left.` / `exit.`, no process): the last count is history', (t) => {
  const raw = healthy(2, {
    ps: PS_NONE,
    'overlay-age': NO_DAEMON_AGE,
    'overlay-log': section(`text:${RUN3}`),
  });
  raw['mesh-ping'] = fanOut([DOWN(1), DOWN(3)]);
  const ctx = context(pv, [hostFacts(pv, 'lxd2', raw)]);
  const v = overlayPeers.judge({ host: 'lxd2' }, ctx);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /peervpn is not running on lxd2: it was stopped: its log ends with `main loop left\.` \/ `exit\.`/,
  );
  t.regex(v.summary, /the count `\[144\] 2 peers connected\.` in its log is history, not the current state/);
  t.deepEqual(v.hint?.fix, ['systemctl restart peervpn']);
  const d = overlayDaemon.judge({ host: 'lxd2' }, ctx);
  t.is(d.status, 'fail');
  t.regex(d.summary, /no peervpn process on lxd2: it was stopped/);
});

test('stopped, with a process list that says nothing: the shutdown lines alone decide, never the count', (t) => {
  const raw = healthy(2, { 'overlay-log': section(`text:${RUN3}`) });
  delete raw.ps;
  delete raw['overlay-age'];
  const v = overlayPeers.judge({ host: 'lxd2' }, context(pv, [hostFacts(pv, 'lxd2', raw)]));
  t.is(v.status, 'fail');
  t.regex(v.summary, /not running on lxd2: it was stopped.*is history/);
});

test('killed (real SIGKILL log: no shutdown lines) and gone from the process list: said so', (t) => {
  const raw = healthy(3, {
    ps: PS_NONE,
    'overlay-age': NO_DAEMON_AGE,
    'overlay-log': section('peervpn/faultB.peervpn-log-killed.pv-h3.txt'),
  });
  const v = overlayPeers.judge({ host: 'lxd3' }, context(pv, [hostFacts(pv, 'lxd3', raw)]));
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /its log ends without shutdown lines: it was killed or crashed; the count `\[12\] 2 peers connected\.`/,
  );
});

test('a survivor still counting a stopped peer (real faultB lag): the peer is named as stopped, from its own facts', (t) => {
  const h1 = healthy(1, {
    'overlay-log': section(`text:${cutBefore(log('faultB.peervpn-log.pv-h1.txt'), '[572]')}`),
    'mesh-ping': fanOut([OK(1, 2), DOWN(3)]),
  });
  const h3 = healthy(3, {
    ps: PS_NONE,
    'overlay-age': NO_DAEMON_AGE,
    'overlay-log': section('peervpn/faultB.peervpn-log-killed.pv-h3.txt'),
    'mesh-ping': fanOut([DOWN(1), DOWN(2)]),
  });
  const ctx = context(pv, [
    hostFacts(pv, 'lxd1', h1),
    hostFacts(pv, 'lxd2', healthy(2)),
    hostFacts(pv, 'lxd3', h3),
  ]);
  const v = overlayPeers.judge({ host: 'lxd1' }, ctx);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /lxd1: the VPN reports 2 peers, but lxd3 does not answer pings: peervpn is not running on lxd3 \(its log ends without shutdown lines/,
  );
  t.deepEqual(v.hint?.fix, ['on lxd3: systemctl restart peervpn']);
});

test('a daemon runs but the log read ends in a shutdown: that log is not the running daemon’s; its count is not used', (t) => {
  const raw = healthy(2, { 'overlay-log': section(`text:${RUN3}`) });
  const ctx = context(pv, [hostFacts(pv, 'lxd2', raw)]);
  const v = overlayPeers.judge({ host: 'lxd2' }, ctx);
  t.is(v.status, 'warn');
  t.regex(v.summary, /not this daemon's log, so its count says nothing/);
  t.is(overlayDaemon.judge({ host: 'lxd2' }, ctx).status, 'warn');
});

// ------------------------------------------------------------------ restarted peer: sessions, not peers

/** pv-h2's real log at the moment it printed `[110] 3 peers connected.` (a peer had restarted). */
const THREE_SESSIONS = cutBefore(RUN3, '[144]');

test('3 sessions in a 3-host cluster right after a peer restarted (real `[110] 3 peers connected.`): pass, not a forgotten node', (t) => {
  const raw = healthy(2, {
    'overlay-log': section(`text:${THREE_SESSIONS}`),
    'overlay-age': age(125),
    brif: section('peervpn/baseline.ls-sys-class-net-lxdbr0-brif.pv-h2.txt'),
  });
  const ctx = { ...context(pv, [hostFacts(pv, 'lxd2', raw)]), options: { strict: true } };
  const v = overlayPeers.judge({ host: 'lxd2' }, ctx);
  t.is(v.status, 'pass');
  t.regex(
    v.summary,
    /3 sessions for 2 other hosts, and all of them answer pings: the extra session appeared 15 s ago/,
  );
  t.regex(v.summary, /not a forgotten node/);
});

test('the restarted peer is named when its own daemon is young, whatever this host’s age', (t) => {
  const h2 = healthy(2, { 'overlay-log': section(`text:${THREE_SESSIONS}`), 'overlay-age': age(9000) });
  const h3 = healthy(3, { 'overlay-age': age(30) });
  const ctx = context(pv, [hostFacts(pv, 'lxd2', h2), hostFacts(pv, 'lxd3', h3)]);
  const v = overlayPeers.judge({ host: 'lxd2' }, ctx);
  t.is(v.status, 'pass');
  t.regex(v.summary, /lxd3 \(restarted 30 s ago\)/);
});

test('more sessions than peers for longer than the restart window: a node outside the inventory (warn)', (t) => {
  const h2 = healthy(2, { 'overlay-log': section(`text:${THREE_SESSIONS}`), 'overlay-age': age(400) });
  const ctx = context(pv, [
    hostFacts(pv, 'lxd1', healthy(1)),
    hostFacts(pv, 'lxd2', h2),
    hostFacts(pv, 'lxd3', healthy(3)),
  ]);
  const v = overlayPeers.judge({ host: 'lxd2' }, ctx);
  t.is(v.status, 'warn');
  t.regex(
    v.summary,
    /3 peers connected for 290 s, longer than the ~100 s a restarted peer’s old session lasts.*a node outside the inventory\?/,
  );
});

test('no timing known and only one host counts more: most likely a restart, not a warning', (t) => {
  const h2 = healthy(2, { 'overlay-log': section(`text:${THREE_SESSIONS}`) });
  delete h2['overlay-age'];
  const v = overlayPeers.judge({ host: 'lxd2' }, context(pv, [hostFacts(pv, 'lxd2', h2)]));
  t.is(v.status, 'pass');
  t.regex(v.summary, /most likely a restarted peer’s old session/);
});

test('every host counting one more peer than the inventory has is the evidence of a forgotten node', (t) => {
  const facts = ([1, 2, 3] as const).map((n) => {
    const raw = healthy(n, {
      'overlay-log': section(
        `text:${log(`baseline.peervpn-log.pv-h${n}.txt`).replace('[12] 2 peers', '[12] 3 peers')}`,
      ),
    });
    delete raw['overlay-age'];
    return hostFacts(pv, `lxd${n}`, raw);
  });
  const v = overlayPeers.judge({ host: 'lxd1' }, context(pv, facts));
  t.is(v.status, 'warn');
  t.regex(v.summary, /every host counts more peers than the inventory has/);
});

// ------------------------------------------------------------------ wrong psk

function wrongPskCluster(withFingerprints: boolean) {
  const fp = (psk: string): Record<string, RawOutput> =>
    withFingerprints ? { 'overlay-psk': fingerprint(psk) } : {};
  const survivor = (n: 1 | 2) =>
    healthy(n, {
      'overlay-log': section(
        n === 1
          ? 'peervpn/handwritten.wrong-psk-survivor.peervpn-log.pv-h1.txt'
          : `text:${log('baseline.peervpn-log.pv-h2.txt').replace('[12] 2 peers', '[12] 1 peers')}`,
      ),
      'mesh-ping': fanOut([OK(n, n === 1 ? 2 : 1), DOWN(3)]),
      ...fp(CAPTURED_PSK),
    });
  const h3 = healthy(3, {
    'overlay-log': section('peervpn/handwritten.wrong-psk.peervpn-log.pv-h3.txt'),
    'mesh-ping': fanOut([DOWN(1), DOWN(2)]),
    // Any other key: only its fingerprint differs.
    ...fp(`${CAPTURED_PSK}-other`),
  });
  return context(pv, [
    hostFacts(pv, 'lxd1', survivor(1)),
    hostFacts(pv, 'lxd2', survivor(2)),
    hostFacts(pv, 'lxd3', h3),
  ]);
}

test('wrong psk on lxd3: its 0 peers are blamed on its psk (by fingerprints), not on the two healthy hosts', (t) => {
  const ctx = wrongPskCluster(true);
  const v = overlayPeers.judge({ host: 'lxd3' }, ctx);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /lxd3: 0 of 2 peers connected: lxd3's pre-shared key \(psk\) differs from that of lxd1, lxd2 \(overlay\.psk\)/,
  );
  t.deepEqual(v.hint?.fix, [
    'on lxd3: copy the `psk` line of /etc/peervpn/peervpn.conf from lxd1 (over a secure channel)',
    'on lxd3: systemctl restart peervpn',
  ]);
  t.false(judgeAll(v).includes('on lxd1'));
  survivesRedaction(t, v);
  // The survivors name lxd3's psk too.
  const s = overlayPeers.judge({ host: 'lxd1' }, ctx);
  t.is(s.status, 'fail');
  t.regex(s.summary, /lxd1: 1 of 2 peers connected: the pre-shared key \(psk\) of lxd3 differs/);
  t.true(s.hint?.fix?.every((f) => f.startsWith('on lxd3:')));
  survivesRedaction(t, s);
  // And the cluster check names it once.
  const c = overlayPsk.judge({}, ctx);
  t.is(c.status, 'fail');
  t.regex(c.summary, /the pre-shared key \(psk\) on lxd3 differs from the one on lxd1, lxd2/);
  survivesRedaction(t, c);
});

test('wrong psk without fingerprints: the other hosts’ view (connected to each other, lxd3 alone at 0 with resolving initpeers) names lxd3', (t) => {
  const ctx = wrongPskCluster(false);
  for (const host of ['lxd3', 'lxd1']) {
    const v = overlayPeers.judge({ host }, ctx);
    t.is(v.status, 'fail');
    t.regex(
      v.summary,
      /lxd3 is at 0 peers although its initpeers resolve, while the other hosts are connected/,
    );
    t.true(v.hint?.fix?.every((f) => f.startsWith('on lxd3:')));
    t.true(v.hint?.fix?.some((f) => f.includes('`psk`')));
    survivesRedaction(t, v);
  }
  t.is(overlayPsk.judge({}, ctx).status, 'skip');
});

test('two hosts with different psks: no majority, both named', (t) => {
  const ctx = context(pv2, [
    hostFacts(pv2, 'lxd1', { 'overlay-psk': fingerprint('one') }),
    hostFacts(pv2, 'lxd2', { 'overlay-psk': fingerprint('two') }),
  ]);
  const v = overlayPsk.judge({}, ctx);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /the pre-shared keys \(psks\) of lxd1 and lxd2 differ, and no majority tells which is right/,
  );
  survivesRedaction(t, v);
});

test('overlay.psk: the same psk everywhere passes; a host that could not be read is listed; networkname compared too', (t) => {
  const same = context(pv, [
    hostFacts(pv, 'lxd1', {
      'overlay-psk': fingerprint(CAPTURED_PSK),
      'overlay-config': conf(1),
    }),
    hostFacts(pv, 'lxd2', {
      'overlay-psk': fingerprint(CAPTURED_PSK),
      'overlay-config': conf(2),
    }),
    hostFacts(pv, 'lxd3', {
      'overlay-psk': {
        command: 'x',
        stdout: '',
        stderr: 'lxdcheck: cannot read /etc/peervpn/peervpn.conf\n',
        exitCode: 3,
      },
    }),
  ]);
  const v = overlayPsk.judge({}, same);
  t.is(v.status, 'pass');
  t.regex(
    v.summary,
    /the same fingerprint of the psk, on lxd1, lxd2 .*not compared: lxd3 \(cannot read \/etc\/peervpn\/peervpn\.conf\)/,
  );
  survivesRedaction(t, v);
  const renamed = context(pv, [
    hostFacts(pv, 'lxd1', { 'overlay-config': conf(1) }),
    hostFacts(pv, 'lxd2', { 'overlay-config': conf(2) }),
    hostFacts(pv, 'lxd3', {
      'overlay-config': section(
        `text:${peervpnConfAsSent(fixture('peervpn/conf/h3.conf').replace('PEERVPN', 'PEERVPN2'))}`,
      ),
    }),
  ]);
  const n = overlayPsk.judge({}, renamed);
  t.is(n.status, 'fail');
  t.regex(n.summary, /networkname on lxd3 differs from the one on lxd1, lxd2/);
  t.is(overlayPsk.judge({}, context(inventory('tinc'), [])).status, 'skip');
});

// ------------------------------------------------------------------ latent service order

/** pv-h2's real log while it ran: the upcmd failure, then peers; before its later shutdown. */
const RUN3_RUNNING = cutBefore(RUN3, '\n\nmain loop left.');

test('latent service order (real): the running instance’s upcmd failed, the tap was added by hand since → warn', (t) => {
  const raw = healthy(2, {
    'overlay-log': section(`text:${RUN3_RUNNING}`),
    brctl: section('peervpn/run3-faultA-fixed.brctl-show.pv-h2.txt'),
    'mesh-ping': fanOut([
      { key: '172.16.0.1', rc: 0, source: 'peervpn/run3-faultA-fixed.ping-c3-W1-172.16.0.1.pv-h2.txt' },
      { key: '172.16.0.3', rc: 0, source: 'peervpn/run3-faultA-fixed.ping-c3-W1-172.16.0.3.pv-h2.txt' },
    ]),
  });
  const ctx = context(pv, [hostFacts(pv, 'lxd2', raw)]);
  const v = serviceOrder.judge({ host: 'lxd2' }, ctx);
  t.is(v.status, 'warn');
  t.regex(
    v.summary,
    /peervpn0 is on lxdbr0 now, but the running VPN's up-script failed when it started \(`bridge lxdbr0 does not exist!`\)/,
  );
  t.true(v.hint?.fix?.some((f) => f.includes('/etc/systemd/system/peervpn.service.d/')));
  t.is(overlayPeers.judge({ host: 'lxd2' }, ctx).status, 'pass');
  // The same with ip's words for it (formats.md: `ip link set … master lxdbr0`).
  const ipWords = RUN3_RUNNING.replace(
    'bridge lxdbr0 does not exist!',
    'Error: argument "lxdbr0" is wrong: Device does not exist',
  );
  const w = serviceOrder.judge(
    { host: 'lxd2' },
    context(pv, [hostFacts(pv, 'lxd2', { ...raw, 'overlay-log': section(`text:${ipWords}`) })]),
  );
  t.is(w.status, 'warn');
  t.regex(w.summary, /Device does not exist/);
  // Ordered since (the drop-in is in): no warning, the failure is mentioned.
  const ordered = serviceOrder.judge(
    { host: 'lxd2' },
    context(pv, [hostFacts(pv, 'lxd2', { ...raw, systemd: section('systemd/order-peervpn-after-lxd.txt') })]),
  );
  t.is(ordered.status, 'pass');
  t.regex(
    ordered.summary,
    /ordered after the bridge \(the running instance's up-script failed before that order was set/,
  );
});

test('the failure line of an earlier instance does not count: only the log after the last `PeerVPN v0.044` banner', (t) => {
  const raw = healthy(2, {
    'overlay-log': section(`text:${RUN3}\n${log('baseline.peervpn-log.pv-h2.txt')}`),
    // The unit order is known (ordered), so only the log could make this warn.
    systemd: section('systemd/order-peervpn-after-lxd.txt'),
  });
  const v = serviceOrder.judge({ host: 'lxd2' }, context(pv, [hostFacts(pv, 'lxd2', raw)]));
  t.is(v.status, 'pass');
  t.is(overlayPeers.judge({ host: 'lxd2' }, context(pv, [hostFacts(pv, 'lxd2', raw)])).status, 'pass');
});

// ------------------------------------------------------------------ starting

/** The real start of pv-h1's log, before its first real count `[12] 2 peers connected.`. */
const STARTING = cutBefore(log('baseline.peervpn-log.pv-h1.txt'), '[12]');

test('starting (real first lines, `[0] 0 peers connected.`, up 5 s) with pings answering: pass, said to be starting', (t) => {
  const raw = healthy(1, { 'overlay-log': section(`text:${STARTING}`), 'overlay-age': age(5) });
  const v = overlayPeers.judge({ host: 'lxd1' }, context(pv, [hostFacts(pv, 'lxd1', raw)]));
  t.is(v.status, 'pass');
  t.regex(v.summary, /peervpn on lxd1 is starting \(started 5 s ago; `\[0\] 0 peers connected\.`\)/);
});

test('starting with the age unknown: the log still at uptime 0 with initpeers says it is young', (t) => {
  const raw = healthy(1, { 'overlay-log': section(`text:${STARTING}`) });
  delete raw['overlay-age'];
  const v = overlayPeers.judge({ host: 'lxd1' }, context(pv, [hostFacts(pv, 'lxd1', raw)]));
  t.is(v.status, 'pass');
  t.regex(v.summary, /starting \(started less than ~30 s ago/);
});

test('starting but pings do not answer yet: a warning to look again, not a failure', (t) => {
  const raw = healthy(1, {
    'overlay-log': section(`text:${STARTING}`),
    'overlay-age': age(5),
    'mesh-ping': fanOut([DOWN(2), DOWN(3)]),
  });
  const v = overlayPeers.judge({ host: 'lxd1' }, context(pv, [hostFacts(pv, 'lxd1', raw)]));
  t.is(v.status, 'warn');
  t.regex(v.summary, /pings to lxd2, lxd3 do not answer yet/);
});

test('not starting any more: `[0] 0 peers connected.` from a daemon up an hour is a failure', (t) => {
  const raw = healthy(1, {
    'overlay-log': section(`text:${STARTING}`),
    'mesh-ping': fanOut([DOWN(2), DOWN(3)]),
  });
  const v = overlayPeers.judge({ host: 'lxd1' }, context(pv, [hostFacts(pv, 'lxd1', raw)]));
  t.is(v.status, 'fail');
  t.regex(v.summary, /lxd1: 0 of 2 peers connected/);
});

test('healthy baseline (real): every peervpn check passes', (t) => {
  const ctx = context(
    pv,
    ([1, 2, 3] as const).map((n) =>
      hostFacts(pv, `lxd${n}`, { ...healthy(n), 'overlay-psk': fingerprint(CAPTURED_PSK) }),
    ),
  );
  t.true(CAPTURED_PSK.length > 0, 'the capture has a psk line');
  for (const f of ctx.hosts.values())
    t.false(JSON.stringify(f.raw).includes(CAPTURED_PSK), `${f.host}'s sections carry the psk value`);
  for (const host of ['lxd1', 'lxd2', 'lxd3']) {
    t.is(overlayPeers.judge({ host }, ctx).status, 'pass', host);
    t.is(overlayDaemon.judge({ host }, ctx).status, 'pass', host);
  }
  t.is(overlayPsk.judge({}, ctx).status, 'pass');
});

test('one process source missing the daemon is not enough to call it stopped (ps list shows it, ps -C does not)', (t) => {
  const raw = healthy(1, { 'overlay-age': NO_DAEMON_AGE });
  const ctx = context(pv, [hostFacts(pv, 'lxd1', raw)]);
  t.is(overlayPeers.judge({ host: 'lxd1' }, ctx).status, 'pass');
  t.is(overlayDaemon.judge({ host: 'lxd1' }, ctx).status, 'pass');
  const none = context(pv, [hostFacts(pv, 'lxd1', { ...raw, ps: PS_NONE })]);
  t.is(overlayPeers.judge({ host: 'lxd1' }, none).status, 'fail');
});

test('a peer that restarted seconds ago and does not answer yet is still connecting: warn, not blamed', (t) => {
  const h1 = healthy(1, { 'mesh-ping': fanOut([OK(1, 2), DOWN(3)]) });
  const h3 = healthy(3, { 'overlay-log': section(`text:${STARTING}`), 'overlay-age': age(6) });
  const ctx = context(pv, [hostFacts(pv, 'lxd1', h1), hostFacts(pv, 'lxd3', h3)]);
  const v = overlayPeers.judge({ host: 'lxd1' }, ctx);
  t.is(v.status, 'warn');
  t.regex(v.summary, /peervpn on lxd3 \(started 6 s ago\) is still connecting/);
});
