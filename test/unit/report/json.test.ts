import test from 'ava';
import { createJsonReporter, RESULTS_SCHEMA_ID } from '../../../src/report/json.js';
import { resultsJsonSchema } from '../../../src/report/schema.js';
import { resultsSchemaErrors } from '../../helpers/results-schema.js';
import { events, mixedResults, render } from './helpers.js';

const json = (evs: Parameters<typeof render>[1]) =>
  render((s) => createJsonReporter(s, { now: () => new Date('2026-06-01T12:00:00.000Z') }), evs);

test('one JSON document with the v1 envelope, counts and redacted results', async (t) => {
  const text = await json(events(mixedResults()));
  t.true(text.endsWith('}\n'));
  const doc = JSON.parse(text);
  t.is(doc.schema, RESULTS_SCHEMA_ID);
  t.is(doc.cluster, 'lab');
  t.is(doc.scenario, 'doctor');
  t.is(doc.startedAt, '2026-06-01T12:00:00.000Z');
  t.is(doc.durationMs, 1234);
  t.deepEqual(doc.hosts, ['lxd1', 'lxd2', 'lxd3']);
  t.deepEqual(doc.counts, { pass: 2, fail: 1, warn: 1, skip: 1, error: 1, total: 6 });
  t.is(doc.results.length, 6);
  t.is(doc.results[1].evidence[1].excerpt, 'networkname lab\npsk <redacted>\ninterface peervpn0\n');
  t.false('aborted' in doc);
  t.false(text.includes('hunter2'));
  t.deepEqual(resultsSchemaErrors(doc), []);
});

test('aborted runs say why', async (t) => {
  const doc = JSON.parse(await json(events(mixedResults().slice(0, 2), { aborted: 'SIGINT' })));
  t.is(doc.aborted, 'SIGINT');
  t.is(doc.counts.total, 2);
  t.deepEqual(resultsSchemaErrors(doc), []);
  const bailed = JSON.parse(await json(events([], { bailOut: 'inventory invalid' })));
  t.is(bailed.aborted, 'inventory invalid');
});

test('ajv applies the published schema: what is wrong, with JSON pointers', async (t) => {
  const doc = JSON.parse(await json(events(mixedResults())));
  doc.schema = 'lxdcheck.results/v2';
  doc.counts.fail = -1;
  delete doc.hosts;
  doc.results[0].status = 'ok';
  doc.results[1].evidence[0].exitCode = 'zero';
  doc.results[2].subject.host = 3;
  t.deepEqual(
    resultsSchemaErrors(doc).map((e) => [e.at, e.keyword]),
    [
      ['', 'required'],
      ['/schema', 'const'],
      ['/counts/fail', 'minimum'],
      ['/results/0/status', 'enum'],
      ['/results/1/evidence/0/exitCode', 'type'],
      ['/results/2/subject/host', 'type'],
    ],
  );
  t.is(resultsSchemaErrors(doc)[0]!.message, "must have required property 'hosts'");
  t.deepEqual(resultsSchemaErrors([]), [{ at: '', keyword: 'type', message: 'must be object' }]);
  t.deepEqual(
    resultsSchemaErrors({ ...JSON.parse(await json(events([]))), extra: 'ignored' }),
    [],
    'additive fields are fine',
  );
});

test('the schema is draft 2020-12 and pins the v1 id', (t) => {
  t.is(resultsJsonSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.is(resultsJsonSchema.properties.schema.const, RESULTS_SCHEMA_ID);
});

test('timings from run-end go into the document as `timings` and validate; absent when not sent', async (t) => {
  const evs = events(mixedResults());
  const timings = [
    {
      host: 'lxd1',
      totalMs: 900,
      stages: [{ name: 'host', durationMs: 700 }],
      sections: [{ name: 'mesh-ping', stage: 'host', durationMs: 410 }],
    },
  ];
  const end = evs[evs.length - 1];
  if (end?.type === 'run-end') end.timings = timings;
  const doc = JSON.parse(await json(evs));
  t.deepEqual(doc.timings, timings);
  t.deepEqual(resultsSchemaErrors(doc), []);
  t.deepEqual(resultsSchemaErrors({ ...doc, timings: [{ host: 'lxd1' }] }).length > 0, true);
  t.false('timings' in JSON.parse(await json(events(mixedResults()))));
});
