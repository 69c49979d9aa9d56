/**
 * The JSON report of every recorded lab bundle, judged by the real engine
 * (test/helpers/replay.ts), is valid against the published schema as ajv
 * reads it; and a real report broken on purpose is rejected where it broke.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { RunEvent } from '../../src/model.js';
import { createJsonReporter } from '../../src/report/json.js';
import { createMemorySink } from '../../src/report/types.js';
import { BUNDLES, replayBundle } from '../helpers/replay.js';
import { resultsSchemaErrors } from '../helpers/results-schema.js';

async function jsonReport(events: RunEvent[]): Promise<Record<string, unknown>> {
  const sink = createMemorySink();
  const reporter = createJsonReporter(sink);
  for (const e of events) reporter.onEvent(e);
  await reporter.finish();
  return JSON.parse(sink.text) as Record<string, unknown>;
}

const bundles = readdirSync(BUNDLES).filter((n) => existsSync(join(BUNDLES, n, 'inventory.yaml')));

test('there are recorded bundles to validate', (t) => {
  t.true(bundles.length >= 20, `only ${bundles.length} bundles in ${BUNDLES}`);
});

for (const name of bundles) {
  test(`the JSON report of ${name} is valid against the schema`, async (t) => {
    const doc = await jsonReport((await replayBundle(name)).events);
    t.true((doc['results'] as unknown[]).length > 0);
    t.deepEqual(resultsSchemaErrors(doc), []);
  });
}

test('ajv rejects a real report broken on purpose, at each broken place', async (t) => {
  const doc = await jsonReport((await replayBundle('nolxd-two-faults')).events);
  const results = doc['results'] as Record<string, unknown>[];
  const failed = results.findIndex((r) => r['status'] === 'fail');
  t.true(failed >= 0, 'the two-faults bundle has a failing result');
  delete doc['counts'];
  results[0]!['status'] = 'passed';
  results[failed]!['durationMs'] = -5;
  (doc['diagnosis'] as { rootCauses: Record<string, unknown>[] }).rootCauses[0]!['fix'] = 'reboot';
  t.deepEqual(
    resultsSchemaErrors(doc).map((e) => [e.at, e.keyword]),
    [
      ['', 'required'],
      ['/results/0/status', 'enum'],
      [`/results/${failed}/durationMs`, 'minimum'],
      ['/diagnosis/rootCauses/0/fix', 'type'],
    ],
  );
});
