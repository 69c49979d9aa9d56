/**
 * A recorded lab bundle (fixtures/bundles/NAME) judged offline by the real
 * engine, as `run --replay` does: its events and its outcome, for the tests of
 * the diagnosis and the reporters.
 */
import { join } from 'node:path';
import { readBundle } from '../../src/bundle/index.js';
import { allChecks } from '../../src/checks/index.js';
import { runChecks } from '../../src/engine/run.js';
import { readOnlyStages } from '../../src/facts/stages.js';
import type { GatherResult } from '../../src/facts/types.js';
import { parseInventory } from '../../src/inventory/load.js';
import type { RunEvent } from '../../src/model.js';

export const BUNDLES = join(import.meta.dirname, '../../fixtures/bundles');

export async function replayBundle(name: string, edit?: (g: Map<string, GatherResult>) => void) {
  const b = readBundle(join(BUNDLES, name));
  const inventory = parseInventory(b.inventoryText, join(BUNDLES, name, 'inventory.yaml'));
  const gathers = new Map(b.gathers);
  edit?.(gathers);
  const events: RunEvent[] = [];
  const outcome = await runChecks({
    inventory,
    checks: allChecks,
    stages: readOnlyStages(),
    scenario: 'doctor',
    strict: false,
    concurrency: 4,
    timeoutMs: 1000,
    replay: gathers,
    emit: (e) => events.push(e),
  });
  return { ...outcome, events, inventory };
}
