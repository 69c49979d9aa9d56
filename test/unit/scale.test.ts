/** The scale bench's bundle multiplier: N consistent hosts from a real 3-host lab bundle, one fault. */
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { multiplyBundle } from '../../bench/scale-lib.js';
import { readBundle } from '../../src/bundle/index.js';
import { allChecks } from '../../src/checks/index.js';
import { runChecks } from '../../src/engine/run.js';
import { readOnlyStages } from '../../src/facts/stages.js';
import type { GatherResult } from '../../src/facts/types.js';
import { parseInventory } from '../../src/inventory/load.js';

const src = readBundle(fileURLToPath(new URL('../../fixtures/lab/bundle-healthy-3-nolxd', import.meta.url)));

async function judge(n: number, faultHost: number) {
  const { inventoryText, gathers } = multiplyBundle(src, n, faultHost);
  const inventory = parseInventory(inventoryText, 'scaled.yaml', { sshConfigText: '' });
  const outcome = await runChecks({
    inventory,
    checks: allChecks,
    stages: readOnlyStages(),
    scenario: 'doctor',
    strict: false,
    concurrency: 16,
    timeoutMs: 1000,
    replay: new Map<string, GatherResult>(gathers.map((g) => [g.host, g])),
    emit: () => undefined,
  });
  return { inventory, results: outcome.results };
}

test('a healthy 40-host bundle (sampled mesh) judges with no failure; addresses are unique', async (t) => {
  const { inventory, results } = await judge(40, 0);
  t.is(new Set(inventory.hosts.map((h) => h.bridgeAddress)).size, 40);
  t.deepEqual(
    results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => r.id),
    [],
  );
});

test('the injected fault fails exactly where it should, and the pings say it was confirmed', async (t) => {
  const { results } = await judge(40, 7);
  const bad = results.filter((r) => r.status === 'fail' || r.status === 'error');
  t.deepEqual([...new Set(bad.map((r) => r.id))].sort(), ['dns.answers', 'mesh.bridge', 'overlay.member']);
  t.true(bad.every((r) => r.subject.host === 'lxd7' || r.subject.peer === 'lxd7'));
  const mesh = bad.find((r) => r.id === 'mesh.bridge');
  t.regex(mesh?.evidence[0]?.note ?? '', /loss confirmed by a second round/);
});
