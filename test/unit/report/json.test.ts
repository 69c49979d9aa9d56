/**
 * The JSON reporter on real runs: every recorded lab bundle (fixtures/bundles)
 * judged offline by the engine, as `run --replay` does, and its document
 * compared with what the engine decided — not with numbers written here.
 */
import { readdirSync } from 'node:fs';
import test from 'ava';
import { type CheckResult, countResults, type RunEvent } from '../../../src/model.js';
import { createJsonReporter, RESULTS_SCHEMA_ID, type ResultsDocument } from '../../../src/report/json.js';
import { redactDiagnosis, redactResult } from '../../../src/report/redact.js';
import { resultsJsonSchema } from '../../../src/report/schema.js';
import { BUNDLES, replayBundle } from '../../helpers/replay.js';
import { resultsSchemaErrors } from '../../helpers/results-schema.js';
import { render } from './helpers.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const json = async (evs: RunEvent[]): Promise<ResultsDocument> =>
  JSON.parse(await render((s) => createJsonReporter(s, { now: () => NOW }), evs)) as ResultsDocument;

/** What the document must hold: JSON has no undefined, so compare through a round trip. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const bundles = readdirSync(BUNDLES).sort();
const replays = new Map<string, ReturnType<typeof replayBundle>>();
const replayed = (name: string) => {
  let r = replays.get(name);
  if (!r) {
    r = replayBundle(name);
    replays.set(name, r);
  }
  return r;
};

test('there are recorded bundles, healthy and faulty', (t) => {
  t.true(bundles.length >= 20, bundles.join(' '));
  t.true(bundles.includes('nolxd-healthy') && bundles.includes('nolxd-overlay-not-bridged'));
});

for (const name of bundles) {
  test(`${name}: one v1 document with the run's hosts, counts, results and diagnosis, valid against the schema`, async (t) => {
    const run = await replayed(name);
    const doc = await json(run.events);
    t.deepEqual(resultsSchemaErrors(doc), []);
    t.is(doc.schema, RESULTS_SCHEMA_ID);
    t.is(doc.cluster, run.inventory.cluster.name);
    t.is(doc.scenario, 'doctor');
    t.deepEqual(
      doc.hosts,
      run.inventory.hosts.map((h) => h.name),
    );
    t.is(doc.startedAt, NOW.toISOString());
    const end = run.events.find((e) => e.type === 'run-end');
    t.is(doc.durationMs, end?.type === 'run-end' ? end.durationMs : Number.NaN);
    // Every result the engine judged, in its order, redacted as every reporter redacts it.
    t.is(doc.results.length, run.results.length);
    t.deepEqual(doc.results, plain(run.results.map(redactResult)));
    t.deepEqual(doc.counts, countResults(run.results));
    t.is(
      doc.counts.pass + doc.counts.fail + doc.counts.warn + doc.counts.skip + doc.counts.error,
      doc.counts.total,
    );
    t.deepEqual(doc.diagnosis, run.diagnosis ? plain(redactDiagnosis(run.diagnosis)) : undefined);
    t.false('aborted' in doc);
  });
}

test('a healthy bundle has no failure and no root cause; a broken one names its root cause and what it explains', async (t) => {
  const healthy = await json((await replayed('nolxd-healthy')).events);
  t.is(healthy.counts.fail + healthy.counts.error, 0);
  t.deepEqual(healthy.diagnosis?.rootCauses ?? [], []);

  const broken = await json((await replayed('nolxd-overlay-not-bridged')).events);
  t.true(broken.counts.fail > 0);
  const [root, ...others] = broken.diagnosis?.rootCauses ?? [];
  t.deepEqual(others, [], 'one fault, one root cause');
  t.is(root?.check, 'overlay.member');
  const member = broken.results.find((r) => r.id === 'overlay.member' && r.subject.host === root?.host);
  t.is(member?.status, 'fail');
  t.true(member?.root);
  // Every other failure is explained by it, and says so.
  const failed = broken.results.filter((r) => (r.status === 'fail' || r.status === 'error') && !r.root);
  t.true(failed.length > 0);
  for (const r of failed) t.is(r.causedBy, root?.key, `${r.id} ${JSON.stringify(r.subject)}`);
  t.is(root?.explains.length, failed.length);
});

/** The run-start and the first `n` results of a real run, then a run-end that stops there. */
function stopped(events: RunEvent[], n: number, how: { aborted?: string; bailOut?: string }): RunEvent[] {
  const start = events.filter((e) => e.type === 'run-start');
  const results = events.filter((e) => e.type === 'result').slice(0, n);
  const judged: CheckResult[] = results.flatMap((e) => (e.type === 'result' ? [e.result] : []));
  const out: RunEvent[] = [...start, ...results];
  if (how.bailOut) out.push({ type: 'bail-out', reason: how.bailOut });
  out.push({
    type: 'run-end',
    results: judged,
    durationMs: 10,
    ...(how.aborted ? { aborted: how.aborted } : {}),
  });
  return out;
}

test('aborted runs say why and count only what was judged', async (t) => {
  const { events } = await replayed('nolxd-peer-down');
  const doc = await json(stopped(events, 5, { aborted: 'SIGINT' }));
  t.is(doc.aborted, 'SIGINT');
  t.is(doc.counts.total, 5);
  t.is(doc.results.length, 5);
  t.deepEqual(resultsSchemaErrors(doc), []);
  const bailed = await json(stopped(events, 0, { bailOut: 'inventory invalid' }));
  t.is(bailed.aborted, 'inventory invalid');
  t.is(bailed.counts.total, 0);
  t.deepEqual(resultsSchemaErrors(bailed), []);
});

test('a secret in a real evidence excerpt leaves only redacted', async (t) => {
  const { events } = await replayed('nolxd-overlay-not-bridged');
  const secret = 'q7'.repeat(8);
  const edited = plain(events);
  const end = edited.find((e) => e.type === 'run-end');
  const withExcerpt =
    end?.type === 'run-end' ? end.results.find((r) => r.evidence.some((ev) => ev.excerpt)) : undefined;
  const ev = withExcerpt?.evidence.find((e) => e.excerpt);
  if (!ev?.excerpt) return t.fail('no evidence excerpt in the bundle');
  // The config line a leaked file would add, on a line of its own.
  const before = ev.excerpt.replace(/\n?$/, '\n');
  ev.excerpt = `${before}psk ${secret}\n`;
  const text = JSON.stringify(await json(edited));
  t.false(text.includes(secret));
  const doc = JSON.parse(text) as ResultsDocument;
  const out = doc.results.find(
    (r) => r.id === withExcerpt?.id && r.evidence.some((e) => e.excerpt?.startsWith(before)),
  );
  t.truthy(out, 'the excerpt is still there');
  t.true(out?.evidence.some((e) => e.excerpt === `${before}psk <redacted>\n`));
});

test('ajv applies the published schema to a real document: what is wrong, with JSON pointers', async (t) => {
  const doc = plain(await json((await replayed('nolxd-overlay-not-bridged')).events)) as unknown as Record<
    string,
    // biome-ignore lint/suspicious/noExplicitAny: the test breaks the document on purpose
    any
  >;
  const ev = doc.results.findIndex((r: CheckResult) => r.evidence.length > 0);
  const host = doc.results.findIndex((r: CheckResult) => r.subject.host !== undefined);
  t.true(ev >= 0 && host >= 0);
  doc.schema = 'lxdcheck.results/v2';
  doc.counts.fail = -1;
  delete doc.hosts;
  doc.results[0].status = 'ok';
  doc.results[ev].evidence[0].exitCode = 'zero';
  doc.results[host].subject.host = 3;
  t.deepEqual(
    resultsSchemaErrors(doc)
      .map((e) => `${e.at} ${e.keyword}`)
      .sort(),
    [
      ' required',
      '/schema const',
      '/counts/fail minimum',
      '/results/0/status enum',
      `/results/${ev}/evidence/0/exitCode type`,
      `/results/${host}/subject/host type`,
    ].sort(),
  );
  t.is(
    resultsSchemaErrors(doc).find((e) => e.keyword === 'required')?.message,
    "must have required property 'hosts'",
  );
  t.deepEqual(resultsSchemaErrors([]), [{ at: '', keyword: 'type', message: 'must be object' }]);
  const fine = plain(await json((await replayed('nolxd-healthy')).events));
  t.deepEqual(resultsSchemaErrors({ ...fine, extra: 'ignored' }), [], 'additive fields are fine');
});

test('the schema is draft 2020-12 and pins the v1 id', (t) => {
  t.is(resultsJsonSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.is(resultsJsonSchema.properties.schema.const, RESULTS_SCHEMA_ID);
});

test('timings from run-end go into the document as `timings` and validate; absent when not sent', async (t) => {
  const { events } = await replayed('nolxd-healthy');
  const timings = [
    {
      host: 'lxd1',
      totalMs: 900,
      stages: [{ name: 'host', durationMs: 700 }],
      sections: [{ name: 'mesh-ping', stage: 'host', durationMs: 410 }],
    },
  ];
  const edited = plain(events);
  const end = edited.find((e) => e.type === 'run-end');
  if (end?.type !== 'run-end') return t.fail('no run-end');
  const { timings: _none, ...without } = end;
  edited[edited.indexOf(end)] = without;
  t.false('timings' in (await json(edited)));
  edited[edited.indexOf(without)] = { ...without, timings };
  const doc = await json(edited);
  t.deepEqual(doc.timings, timings);
  t.deepEqual(resultsSchemaErrors(doc), []);
  t.true(resultsSchemaErrors({ ...doc, timings: [{ host: 'lxd1' }] }).length > 0);
});
