import test from 'ava';
import { UsageError } from '../../../src/errors.js';
import { createReporters, parseReporterSpecs } from '../../../src/report/spec.js';
import { createMemorySink, type Sink } from '../../../src/report/types.js';
import { events, mixedResults } from './helpers.js';

test('defaults: human on a TTY, tap otherwise', (t) => {
  t.deepEqual(parseReporterSpecs([], { isTTY: true }), [{ kind: 'human', path: null }]);
  t.deepEqual(parseReporterSpecs([], { isTTY: false }), [{ kind: 'tap', path: null }]);
});

test('kind and kind:path; "-" is stdout', (t) => {
  t.deepEqual(
    parseReporterSpecs(['tap', 'junit:out/report.xml', 'JSON:r.json', 'human:h.txt'], { isTTY: false }),
    [
      { kind: 'tap', path: null },
      { kind: 'junit', path: 'out/report.xml' },
      { kind: 'json', path: 'r.json' },
      { kind: 'human', path: 'h.txt' },
    ],
  );
  t.deepEqual(parseReporterSpecs(['json:-'], { isTTY: true }), [{ kind: 'json', path: null }]);
});

test('usage errors: unknown kind, two reporters on stdout, same file twice, empty path', (t) => {
  const unknown = t.throws(() => parseReporterSpecs(['xml:out.xml'], { isTTY: false }), {
    instanceOf: UsageError,
  });
  t.regex(unknown!.message, /unknown reporter "xml"; use one of tap, json, junit, human, github/);
  const twice = t.throws(() => parseReporterSpecs(['tap', 'json'], { isTTY: false }), {
    instanceOf: UsageError,
  });
  t.regex(twice!.message, /reporters tap and json would both write to stdout/);
  t.throws(() => parseReporterSpecs(['tap', 'json:-'], { isTTY: false }), { instanceOf: UsageError });
  const same = t.throws(() => parseReporterSpecs(['json:x', 'junit:x'], { isTTY: false }), {
    instanceOf: UsageError,
  });
  t.regex(same!.message, /json and junit would both write to x/);
  t.throws(() => parseReporterSpecs(['junit:'], { isTTY: false }), {
    instanceOf: UsageError,
    message: /missing file name/,
  });
});

test('createReporters wires sinks; GITHUB_ACTIONS adds annotations on stderr', async (t) => {
  const stdout = createMemorySink();
  const stderr = createMemorySink();
  const files = new Map<string, ReturnType<typeof createMemorySink>>();
  const openFile = (p: string): Sink => {
    const s = createMemorySink();
    files.set(p, s);
    return s;
  };
  const specs = parseReporterSpecs(['tap', 'junit:j.xml', 'json:r.json'], { isTTY: false });
  const reporters = createReporters(specs, {
    color: true,
    verbose: false,
    stdout,
    stderr,
    openFile,
    env: { GITHUB_ACTIONS: 'true' },
  });
  t.is(reporters.length, 4);
  for (const e of events(mixedResults())) for (const r of reporters) r.onEvent(e);
  await Promise.all(reporters.map((r) => r.finish()));
  t.true(stdout.text.startsWith('TAP version 14\n'));
  t.true(files.get('j.xml')!.text.includes('<testsuites'));
  t.is(JSON.parse(files.get('r.json')!.text).counts.total, 6);
  t.true(stderr.text.startsWith('::error title=overlay.member lxd2::'));
  t.false(stdout.text.includes('::error'), 'annotations never enter the TAP stream');

  const quiet = createReporters(parseReporterSpecs(['tap'], { isTTY: false }), {
    color: false,
    verbose: false,
    stdout,
    stderr,
    env: {},
  });
  t.is(quiet.length, 1);
});
