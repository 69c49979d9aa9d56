/**
 * When the DHCP discovery stops listening: the probe's own Python `listen`
 * (DHCP_SETTLE_PY) driven by a fake clock, with the events of real recorded
 * probes (fixtures/dhcp/README.md) as the timeline. Needs python3, as the
 * probe does on a host.
 */
import { execFileSync } from 'node:child_process';
import test from 'ava';
import {
  DHCP_DISCOVER_FLOOR_SECONDS,
  DHCP_DISCOVER_SETTLE_FACTOR,
  DHCP_DISCOVER_WINDOW_SECONDS,
  DHCP_SETTLE_PY,
  parseDhcpDiscover,
} from '../../src/facts/dhcp-discovery.js';
import { fixture } from '../helpers/fixtures.js';

type Event = ['reply' | 'sign', number, string, Record<string, unknown>];

/** The fake clock: wait(end) hands out the next event due before `end`, else None (time jumps to `end`). */
const HARNESS = `
import json, sys
events, window, floor, factor, expect = json.loads(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == '1'
def say(**kw):
    print(json.dumps(kw, sort_keys=True))
asked = []
def wait(end):
    asked.append(end)
    if events and events[0][1] < end:
        kind, t, mac, data = events.pop(0)
        return (kind, t, mac, data)
    return None
listen(wait, say, window, floor, factor, expect)
`;

function listen(events: Event[], expect = true): string {
  return execFileSync(
    'python3',
    [
      '-c',
      DHCP_SETTLE_PY + HARNESS,
      JSON.stringify(events),
      String(DHCP_DISCOVER_WINDOW_SECONDS),
      String(DHCP_DISCOVER_FLOOR_SECONDS),
      String(DHCP_DISCOVER_SETTLE_FACTOR),
      expect ? '1' : '0',
    ],
    { encoding: 'utf8' },
  );
}

/** A recorded probe's replies and signs as a timeline (their atMs). */
function timeline(recorded: string): Event[] {
  const events: Event[] = [];
  for (const line of recorded.split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line) as Record<string, unknown>;
    if (j['event'] === 'reply' || j['event'] === 'sign')
      events.push([j['event'], Number(j['atMs']) / 1000, String(j['srcMac']), j]);
  }
  return events;
}

const done = (out: string) => parseDhcpDiscover(`{"event": "discover"}\n${out}`);

test('healthy: one offer at once, no sign: stops at the floor, 0.5 s instead of 4', (t) => {
  const d = done(listen(timeline(fixture('dhcp/early-end-healthy-lxd2-discover.jsonl'))));
  t.is(d.replies.length, 1);
  t.is(d.listenedMs, 500);
  t.is(d.stop, 'settled');
  t.regex(d.why ?? '', /no other server showed a sign/);
});

test('container-dhcp: the ARP request of a pinging server keeps it listening until that server offered', (t) => {
  const recorded = fixture('dhcp/early-end-container-dhcp-c2-lxd2-discover.jsonl');
  const d = done(listen(timeline(recorded)));
  t.deepEqual(
    d.replies.map((r) => [r.srcMac, r.atMs]),
    [
      ['02:16:00:00:00:01', 1],
      ['02:00:00:00:00:c2', 3046],
    ],
  );
  t.deepEqual(
    d.signs?.map((s) => s.targetIp),
    ['172.16.201.81'],
    'the address it then offered',
  );
  t.is(d.stop, 'window', '4 × 3.046 s is past the window');
  t.is(d.listenedMs, 4000);
  // The replay ends where the probe on the host did (its reason was worded differently when captured).
  t.like(parseDhcpDiscover(recorded), { listenedMs: 4000, stop: 'window' });
});

test('without its sign, the same slow server is not waited for (the stated gap: a ping sent by unicast)', (t) => {
  const noSign = timeline(fixture('dhcp/early-end-container-dhcp-c2-lxd2-discover.jsonl')).filter(
    (e) => e[0] !== 'sign',
  );
  const d = done(listen(noSign));
  t.deepEqual(
    d.replies.map((r) => r.srcMac),
    ['02:16:00:00:00:01'],
  );
  t.is(d.listenedMs, 500);
});

test('a slower offer: listens the factor times its time, bounded by the window', (t) => {
  const at = (s: number, mac: string): Event => [
    'reply',
    s,
    mac,
    { event: 'reply', srcMac: mac, atMs: s * 1000 },
  ];
  t.like(done(listen([at(0.2, '02:00:00:00:00:01')])), { listenedMs: 800, stop: 'settled' });
  t.like(done(listen([at(0.001, '02:00:00:00:00:01'), at(0.3, '02:00:00:00:00:02')])), {
    listenedMs: 1200,
    stop: 'settled',
  });
  t.like(done(listen([at(1.5, '02:00:00:00:00:01')])), { listenedMs: 4000, stop: 'window' });
});

test('no offer: the whole window while one is expected, the floor when none is', (t) => {
  t.like(done(listen([])), {
    replies: [],
    listenedMs: 4000,
    stop: 'window',
    why: 'no offer came (one was expected)',
  });
  const down = done(listen(timeline(fixture('dhcp/early-end-dns-down-lxd2-discover.jsonl')), false));
  t.like(down, { replies: [], listenedMs: 500, stop: 'settled' });
  t.like(parseDhcpDiscover(fixture('dhcp/early-end-dns-down-lxd2-discover.jsonl')), {
    listenedMs: 500,
    stop: 'settled',
    why: down.why,
  });
});

test('a sign whose sender never offers: the whole window (an ARP request is no proof of a server)', (t) => {
  const sign: Event = [
    'sign',
    0.01,
    '02:00:00:00:00:99',
    { event: 'sign', srcMac: '02:00:00:00:00:99', senderIp: '172.16.1.1', targetIp: '172.16.1.2', atMs: 10 },
  ];
  const d = done(
    listen([
      [
        'reply',
        0.001,
        '02:16:00:00:00:01',
        { event: 'reply', srcMac: '02:16:00:00:00:01', srcIp: '172.16.0.1' },
      ],
      sign,
    ]),
  );
  t.like(d, { listenedMs: 4000, stop: 'window' });
  t.regex(d.why ?? '', /waiting for 02:00:00:00:00:99, which sent an ARP request for 172\.16\.1\.2 at 10 ms/);
});
