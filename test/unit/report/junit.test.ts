import test from 'ava';
import { createJunitReporter, escapeXmlAttr, stripInvalidXmlChars } from '../../../src/report/junit.js';
import { events, mixedResults, planFor, render, result } from './helpers.js';
import { findAll, parseXml } from './xml.js';

const junit = (evs: Parameters<typeof render>[1]) =>
  render((s) => createJunitReporter(s, { now: () => new Date('2026-06-01T12:00:00Z') }), evs);

test('the XML checker rejects ill-formed documents (so the tests below can fail)', (t) => {
  t.throws(() => parseXml('<a><b></a></b>'));
  t.throws(() => parseXml('<a x="1 < 2"/>'));
  t.throws(() => parseXml('<a>fish & chips</a>'));
  t.throws(() => parseXml('<a>\u0001</a>'));
  t.throws(() => parseXml('<a/><b/>'));
  t.throws(() => parseXml('<a x="1" x="2"/>'));
  t.is(parseXml('<a x="&quot;&#10;">t&amp;u</a>').attrs.x, '"\n');
});

test('one testsuite per host and per cluster-wide family, one failure per failed check', async (t) => {
  const xml = await junit(events(mixedResults()));
  const root = parseXml(xml);
  t.is(root.name, 'testsuites');
  const suites = findAll(root, 'testsuite');
  t.deepEqual(
    suites.map((s) => s.attrs.name),
    ['lxd1', 'lxd2', 'lxd3', 'cluster:dhcp'],
  );
  const failures = findAll(root, 'failure');
  t.is(failures.length, 2, 'one <failure> per fail/error result');
  t.deepEqual(
    failures.map((f) => f.attrs.type),
    ['fail', 'error'],
  );
  t.is(root.attrs.tests, '6');
  t.is(root.attrs.failures, '2');
  t.is(root.attrs.skipped, '1');
  const cases = findAll(root, 'testcase');
  t.is(cases.length, 6);
  const member = cases.find((c) => c.attrs.name?.startsWith('overlay.member'))!;
  t.is(member.attrs.classname, 'lxdcheck.lxd2');
  t.is(member.attrs.name, 'overlay.member lxd2: peervpn0 is a port of lxdbr0');
  t.is(member.attrs.time, '0.042');
  const f = findAll(member, 'failure')[0]!;
  t.is(f.attrs.message, 'peervpn0 is not attached to lxdbr0');
  t.true(f.text.includes('$ brctl show lxdbr0 on lxd2 (exit 0)'));
  t.true(f.text.includes('fix: brctl addif lxdbr0 peervpn0'));
  t.true(f.text.includes('why: Containers on other hosts are unreachable'));
  t.true(f.text.includes('key: "quoted" \'single\''), 'quotes survive escaping');
  const dhcp = suites.find((s) => s.attrs.name === 'cluster:dhcp')!;
  t.is(findAll(dhcp, 'testcase')[0]!.attrs.classname, 'lxdcheck.cluster');
  const skip = cases.find((c) => c.attrs.name?.startsWith('mesh.ping'))!;
  t.is(findAll(skip, 'skipped')[0]!.attrs.message, 'lxd3 # unreachable\nover ssh');
  const warn = cases.find((c) => c.attrs.name?.startsWith('overlay.peers'))!;
  t.is(findAll(warn, 'failure').length, 0);
  t.regex(findAll(warn, 'system-out')[0]!.text, /^WARNING: peervpn log says 1 peer/);
});

test('secrets are redacted in JUnit', async (t) => {
  const xml = await junit(events(mixedResults()));
  t.false(xml.includes('s3cr3t-overlay-key'));
  t.false(xml.includes('hunter2'));
  t.false(xml.includes('PRIVATE KEY-----'));
});

test('an aborted run still writes JUnit: planned checks that never ran are skipped "not run: <reason>"', async (t) => {
  const all = mixedResults();
  const planned = planFor(all);
  const xml = await junit(events(all.slice(0, 2), { planned, aborted: 'lxd2 unreachable' }));
  const root = parseXml(xml);
  const cases = findAll(root, 'testcase');
  t.is(cases.length, 6);
  const notRun = cases.filter((c) =>
    findAll(c, 'skipped').some((s) => s.attrs.message === 'not run: lxd2 unreachable'),
  );
  t.deepEqual(
    notRun.map((c) => c.attrs.name),
    // grouped by suite: lxd1, lxd2, lxd3, cluster:dhcp
    [
      'mesh.ping lxd1->lxd3: lxd1 reaches lxd3 over the overlay',
      'containers.dns c1@lxd1: c1.lxd resolves \\ backslash',
      'overlay.peers lxd3: peervpn sees 2 peers',
      'dhcp.single: exactly one DHCP server # on the L2 second line {',
    ],
  );
  t.is(findAll(root, 'failure').length, 1);
  t.is(root.attrs.skipped, '4');
});

test('a bail-out (and a run that never ended) also produce a complete skeleton', async (t) => {
  const planned = planFor(mixedResults());
  const bailed = parseXml(await junit(events([], { planned, bailOut: 'inventory invalid' })));
  t.is(findAll(bailed, 'skipped').length, 6);
  t.true(findAll(bailed, 'skipped').every((s) => s.attrs.message === 'not run: inventory invalid'));

  const evs = events(mixedResults().slice(0, 1), { planned });
  const unfinished = parseXml(await junit(evs.slice(0, 2)));
  t.is(findAll(unfinished, 'testcase').length, 6);
  t.is(
    findAll(unfinished, 'skipped').filter((s) => s.attrs.message === 'not run: run did not finish').length,
    5,
  );
});

test('XML escaping: markup, quotes, control characters and lone surrogates', async (t) => {
  const nasty = result('routes.default', { host: 'a<b>&"c\'' }, 'fail', 'title ]]> <x/> \u0007bell', {
    summary: 'bad \u0000 nul \uD800 surrogate & <tag> "q" \'a\'',
    evidence: [{ command: 'echo "<&>"', excerpt: 'line\u001b[31m red \u001b[0m\u000c ff\nnext' }],
  });
  const xml = await junit(events([nasty], { hosts: [] }));
  const root = parseXml(xml);
  const tc = findAll(root, 'testcase')[0]!;
  t.is(tc.attrs.classname, 'lxdcheck.a<b>&"c\'');
  const f = findAll(tc, 'failure')[0]!;
  t.false(/[\u0000\uD800]/.test(f.attrs.message!));
  t.true(f.text.includes('$ echo "<&>"'));
  t.is(stripInvalidXmlChars('a\u0000b\uFFFEc\u{1F600}'), 'abc\u{1F600}');
  t.is(escapeXmlAttr('a\tb\nc'), 'a&#9;b&#10;c');
});
