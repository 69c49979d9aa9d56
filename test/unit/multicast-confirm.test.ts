/**
 * Multicast: a pair that got nothing in the first window is measured again in
 * a short second one, between the hosts of such pairs only, and the verdict
 * says so. First rounds are the recorded lab bundles (fixtures/bundles); the
 * confirming rounds' outputs are hand-written in the probe's own format.
 */
import test from 'ava';
import { cutOffFrom } from '../../src/facts/containers.js';
import {
  MULTICAST_CONFIRM_SECTION,
  multicastConfirmHosts,
  multicastConfirmSections,
} from '../../src/facts/multicast.js';
import type { GatherResult, PingResult } from '../../src/facts/types.js';
import { replayBundle } from '../helpers/replay.js';

/** Add a confirming round to a recorded host: the same container, `sent` packets, and what it heard. */
function confirm(g: Map<string, GatherResult>, host: string, sent: number, heard: Record<string, number>) {
  const r = g.get(host)!;
  const first = r.raw['multicast']!;
  const stdout = [`##MC sent ${sent}`, ...Object.entries(heard).map(([c, n]) => `##MC from ${c} ${n}`)].join(
    '\n',
  );
  g.set(host, {
    ...r,
    raw: { ...r.raw, [MULTICAST_CONFIRM_SECTION]: { ...first, stdout: `${stdout}\n` } },
  });
}

test('the hosts of pairs that got nothing take part in the confirming round; none on a healthy cluster', async (t) => {
  const blocked = await replayBundle('lxd-multicast-blocked');
  // lxd2's multicast is dropped both ways: every pair with lxd2 failed, so every host takes part.
  t.deepEqual(multicastConfirmHosts(blocked.inventory, blocked.facts), ['lxd1', 'lxd2', 'lxd3']);
  const sections = blocked.inventory.hosts.flatMap((h) =>
    multicastConfirmSections(blocked.inventory, h, blocked.facts).map((s) => [
      h.name,
      s.name,
      s.shell.split(' ')[2],
    ]),
  );
  t.deepEqual(sections, [
    ['lxd1', MULTICAST_CONFIRM_SECTION, 'c1'],
    ['lxd2', MULTICAST_CONFIRM_SECTION, 'c2'],
    ['lxd3', MULTICAST_CONFIRM_SECTION, 'c3'],
  ]);
  const healthy = await replayBundle('lxd-healthy');
  t.deepEqual(multicastConfirmHosts(healthy.inventory, healthy.facts), []);
  t.deepEqual(
    healthy.inventory.hosts.flatMap((h) => multicastConfirmSections(healthy.inventory, h, healthy.facts)),
    [],
  );
});

const pair = (
  results: { id: string; subject: { host?: string; peer?: string } }[],
  host: string,
  peer: string,
) =>
  results.find((r) => r.id === 'multicast.containers' && r.subject.host === host && r.subject.peer === peer);

test('silent again in the second window: a failure that says it was confirmed', async (t) => {
  const { results } = await replayBundle('lxd-multicast-blocked', (g) => {
    confirm(g, 'lxd1', 10, { c3: 10 });
    confirm(g, 'lxd2', 10, {});
    confirm(g, 'lxd3', 10, { c1: 10 });
  });
  const r = pair(results as never, 'lxd2', 'lxd1') as unknown as {
    status: string;
    summary: string;
    evidence: { note?: string }[];
  };
  t.is(r.status, 'fail');
  t.regex(r.summary, /30 sent, 0 received, 100% loss/);
  t.true(r.evidence.some((e) => /confirmed by a second one: 10 sent, 0 received/.test(e.note ?? '')));
  t.is(
    (pair(results as never, 'lxd1', 'lxd3') as unknown as { status: string }).status,
    'pass',
    'a pair that passed is untouched',
  );
});

test('heard in the second window: no failure, a warning that says the first window got nothing', async (t) => {
  const { results } = await replayBundle('lxd-multicast-blocked', (g) => {
    confirm(g, 'lxd1', 10, { c2: 10, c3: 10 });
    confirm(g, 'lxd2', 10, { c1: 10, c3: 10 });
    confirm(g, 'lxd3', 10, { c1: 10, c2: 10 });
  });
  const r = pair(results as never, 'lxd2', 'lxd1') as unknown as {
    status: string;
    summary: string;
    evidence: { note?: string }[];
  };
  t.is(r.status, 'warn');
  t.regex(r.summary, /30 sent, 10 received, 67% loss/);
  t.true(r.evidence.some((e) => /a second window got 10\/10/.test(e.note ?? '')));
});

test('without a confirming round (older bundles), the verdict is the first round’s', async (t) => {
  const { results } = await replayBundle('lxd-multicast-blocked');
  const r = pair(results as never, 'lxd2', 'lxd1') as unknown as { status: string; summary: string };
  t.is(r.status, 'fail');
  t.regex(r.summary, /20 sent, 0 received, 100% loss/);
});

test('no confirming round between hosts already proven cut off from each other (two lost host ping rounds)', async (t) => {
  // The recorded service-order run (lxd2 cut off) predates the hosts' confirming ping round: add it.
  const { inventory, facts } = await replayBundle('lxd-service-order');
  const twice = (target: string): PingResult => ({
    target,
    sent: 5,
    received: 0,
    lossPercent: 100,
    confirmRound: { sent: 2, received: 0, lostAgain: true },
  });
  t.deepEqual(multicastConfirmHosts(inventory, facts), ['lxd1', 'lxd2', 'lxd3'], 'one round only: confirmed');
  const proven = new Map(
    [...facts].map(([name, f]) => {
      const silent = name === 'lxd2' ? ['172.16.0.1', '172.16.0.3'] : ['172.16.0.2'];
      return [
        name,
        { ...f, mesh: (f.mesh ?? []).map((m) => (silent.includes(m.target) ? twice(m.target) : m)) },
      ];
    }),
  );
  t.deepEqual([...cutOffFrom(inventory, 'lxd1', proven)], ['lxd2']);
  t.deepEqual(multicastConfirmHosts(inventory, proven), [], 'every silent pair involves the cut-off lxd2');
});

test('no confirming round for a sender whose container name is not unique (the count cannot be told apart)', async (t) => {
  const { inventory, facts } = await replayBundle('lxd-duplicate-name');
  // c1 runs on lxd1 and (the duplicate) on lxd2: each ignores the other's packets as its own.
  t.is(facts.get('lxd2')?.multicast?.container, 'c1');
  t.is(facts.get('lxd1')?.multicast?.received.get('c1'), undefined);
  t.deepEqual(multicastConfirmHosts(inventory, facts), []);
});
