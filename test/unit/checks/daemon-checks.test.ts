/**
 * Which daemon a host is judged by, on a real recording: the Incus lab's hosts have the lxc
 * client too (it finds no LXD there) while incusd holds the containers, and the inventory of
 * fixtures/incus/bundle-lxc-client-incus-daemon names no daemon.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { containersListed } from '../../../src/checks/containers.js';
import { containersDaemon } from '../../../src/checks/daemon.js';
import { daemonFollowUps, judgeDaemon, runningDaemons } from '../../../src/facts/daemon.js';
import type { RawOutput } from '../../../src/facts/types.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { context, hostFacts } from '../../helpers/facts.js';

const BUNDLE = new URL('../../../fixtures/incus/bundle-lxc-client-incus-daemon/', import.meta.url);
const invText = readFileSync(new URL('inventory.yaml', BUNDLE), 'utf8');
const inventory = (extra = '') =>
  parseInventory(invText.replace('  dhcp: lxd1\n', `  dhcp: lxd1\n${extra}`), 'lab.yaml', {
    sshConfigText: '',
  });

/** One host's raw sections as recorded; `stageOne` keeps only what stage one gathered. */
function raw(host: string, stageOne = false): Record<string, RawOutput> {
  const doc = JSON.parse(readFileSync(new URL(`hosts/${host}.json`, BUNDLE), 'utf8')) as {
    raw: Record<string, RawOutput>;
    stages: { sections: string[] }[];
  };
  if (!stageOne) return doc.raw;
  const first = new Set(doc.stages[0]?.sections ?? []);
  return Object.fromEntries(Object.entries(doc.raw).filter(([k]) => first.has(k)));
}

test('stage one: lxc answered first (no LXD socket) while incusd runs, so stage two lists incus too', (t) => {
  const inv = inventory();
  const f = hostFacts(inv, 'lxd1', raw('lxd1', true));
  t.deepEqual([...runningDaemons(f.processes)], ['incus']);
  t.is(f.containers, null);
  const host = inv.hosts[0]!;
  t.deepEqual(
    daemonFollowUps(inv, host, f).map((s) => s.name),
    ['lxc-list-other', 'incus-network'],
  );
  // Named in the inventory: stage one already asked the named client, nothing follows.
  const named = inventory('  daemon: incus\n');
  t.deepEqual(daemonFollowUps(named, named.hosts[0]!, hostFacts(named, 'lxd1', raw('lxd1', true))), []);
  const listed = containersListed.judge({ host: 'lxd1' }, context(inv, [f]));
  t.is(listed.status, 'warn');
  t.regex(
    listed.summary,
    /lxd1 has the lxc client while incusd runs there, and the inventory names no daemon/,
  );
});

test('after stage two: judged Incus, the one holding the containers, and said so', (t) => {
  const inv = inventory();
  const facts = ['lxd1', 'lxd2', 'lxd3'].map((h) => hostFacts(inv, h, raw(h)));
  const f = facts[0]!;
  t.like(f.daemon, { daemon: 'incus', client: 'incus', how: 'detected' });
  t.is(f.lxdCommand, 'incus');
  t.deepEqual(
    f.containers?.map((c) => [c.name, c.ipv4]),
    [['c1', ['172.16.111.125']]],
  );
  t.is(f.lxdNetwork?.managed, false, 'incus network show read in stage two');
  const ctx = context(inv, facts);
  t.deepEqual(containersDaemon.subjects?.(ctx), [{ host: 'lxd1' }, { host: 'lxd2' }, { host: 'lxd3' }]);
  const v = containersDaemon.judge({ host: 'lxd1' }, ctx);
  t.is(v.status, 'pass');
  t.is(
    v.summary,
    '1 containers, 1 running (Incus via incus; detected: both lxc (no answer) and incus (1 container(s)) are here; incus holds the containers; name daemon: in the inventory to choose)',
  );
});

test('the inventory naming the daemon wins, whatever the host holds', (t) => {
  const inv = inventory('  daemon: lxd\n');
  const f = hostFacts(inv, 'lxd1', raw('lxd1'));
  t.like(f.daemon, { daemon: 'lxd', client: 'lxc', how: 'named', why: 'named by cluster.daemon' });
  const hostLevel = parseInventory(
    invText.replace('    bridgeAddress: 172.16.0.1\n', '    bridgeAddress: 172.16.0.1\n    daemon: incus\n'),
    'lab.yaml',
    { sshConfigText: '' },
  );
  t.like(
    judgeDaemon(hostLevel, hostLevel.hosts[0]!, {
      first: { client: 'lxc', containers: null },
      running: new Set(),
    }),
    {
      daemon: 'incus',
      why: "named by lxd1's daemon:",
    },
  );
});

test('both daemons answer: the one with containers is judged; a tie keeps the client that answered first', (t) => {
  const inv = inventory();
  const host = inv.hosts[0]!;
  const c = (name: string) => ({ name, status: 'Running', running: true, ipv4: [], ipv6: [], nics: {} });
  const running = new Set(['lxd', 'incus'] as const);
  t.like(
    judgeDaemon(inv, host, {
      first: { client: 'lxc', containers: [] },
      other: { client: 'incus', containers: [c('a')] },
      running,
    }),
    {
      daemon: 'incus',
    },
  );
  t.like(
    judgeDaemon(inv, host, {
      first: { client: 'lxc', containers: [c('a')] },
      other: { client: 'incus', containers: [c('b')] },
      running,
    }),
    {
      daemon: 'lxd',
    },
  );
  t.like(
    judgeDaemon(inv, host, {
      first: { client: 'lxc', containers: [] },
      other: { client: 'incus', containers: [] },
      running,
    }),
    {
      daemon: 'lxd',
    },
  );
});
