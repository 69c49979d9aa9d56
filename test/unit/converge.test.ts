/** post-reboot's story over the rounds: when each root cause was seen, and whether it healed by itself. */
import test from 'ava';
import type { RunOutcome } from '../../src/engine/run.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import type { RootCause } from '../../src/model.js';
import { CauseTimeline } from '../../src/scenarios/converge.js';

const cause = (key: string, host: string): RootCause => ({
  key,
  check: key.split(' ')[0]!,
  host,
  subject: { host },
  status: 'fail',
  summary: `${key} fails`,
  fix: [],
  explains: [],
});

function outcome(roots: RootCause[], uptimes: Record<string, number>): RunOutcome {
  const facts = new Map(
    Object.entries(uptimes).map(([h, u]) => [h, { host: h, uptimeSeconds: u } as unknown as HostFacts]),
  );
  return { results: [], facts, diagnosis: { rootCauses: roots } };
}

test('a cause seen in the first rounds and gone later healed by itself; first and last sightings with host uptime', (t) => {
  const tl = new CauseTimeline();
  const order = cause('service-order.vpn-after-bridge lxd2', 'lxd2');
  tl.observe(1, 0, outcome([order], { lxd2: 31 }));
  tl.observe(2, 5, outcome([order], { lxd2: 36.4 }));
  tl.observe(3, 10, outcome([], { lxd2: 41 }));
  t.deepEqual(tl.entriesAtEnd(), [
    {
      key: order.key,
      check: 'service-order.vpn-after-bridge',
      host: 'lxd2',
      summary: order.summary,
      firstSeen: { round: 1, seconds: 0, hostUptimeSeconds: 31 },
      lastSeen: { round: 2, seconds: 5, hostUptimeSeconds: 36 },
      healed: true,
    },
  ]);
});

test('a cause still there in the last round did not heal; a later one is listed after it', (t) => {
  const tl = new CauseTimeline();
  const a = cause('overlay.member lxd2', 'lxd2');
  const b = cause('overlay.daemon lxd3', 'lxd3');
  tl.observe(1, 0, outcome([a], {}));
  tl.observe(2, 5, outcome([a, b], {}));
  const end = tl.entriesAtEnd();
  t.deepEqual(
    end.map((e) => [e.key, e.firstSeen.round, e.lastSeen.round, e.healed]),
    [
      [a.key, 1, 2, false],
      [b.key, 2, 2, false],
    ],
  );
  t.is(end[0]?.firstSeen.hostUptimeSeconds, undefined, 'no uptime known: none invented');
});
