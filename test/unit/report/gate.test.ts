import test from 'ava';
import { gate, parseDescription } from '../../../src/report/gate.js';
import { createTapReporter } from '../../../src/report/tap.js';
import { loadWaivers, type Waiver, WaiverError } from '../../../src/report/waivers.js';
import { fixture } from '../../helpers/fixtures.js';
import { events, mixedResults, render, result } from './helpers.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const w = (x: Omit<Waiver, 'justification'> & { justification?: string }): Waiver => ({
  justification: 'because',
  ...x,
});

test('pass.tap passes', async (t) => {
  const v = await gate(fixture('tap/pass.tap'), { now: NOW });
  t.true(v.pass, v.text);
  t.deepEqual(v.reasons, []);
  t.is(v.counts.total, 3);
  t.is(v.counts.pass, 3);
  t.regex(v.text, /^gate: PASS — 3 checks: 3 passed/);
});

test('fail.tap fails on the not ok points, reading id, label and status back', async (t) => {
  const v = await gate(fixture('tap/fail.tap'), { now: NOW });
  t.false(v.pass);
  t.is(v.counts.fail, 1);
  t.is(v.counts.error, 1);
  t.deepEqual(v.reasons, [
    'failed: overlay.peers lxd3: peervpn sees every other host (test point 2)',
    'check error: mesh.ping lxd1->lxd3: lxd1 reaches lxd3 over the overlay (test point 3)',
  ]);
  const p = v.points[2]!;
  t.is(p.id, 'mesh.ping');
  t.is(p.label, 'lxd1->lxd3');
  t.is(p.host, 'lxd1');
  t.is(v.points[3]!.label, '');
  t.is(v.points[3]!.id, 'dhcp.single');
});

test('waived failures pass; exact id and glob waivers; the justification is in the verdict', async (t) => {
  const v = await gate(fixture('tap/fail.tap'), {
    now: NOW,
    waivers: [w({ id: 'overlay.peers', host: 'lxd3', justification: 'reinstall' }), w({ id: 'mesh.*' })],
  });
  t.true(v.pass, v.text);
  t.is(v.counts.waived, 2);
  t.deepEqual(
    v.waived.map((x) => [x.point.id, x.waiver.id]),
    [
      ['overlay.peers', 'overlay.peers'],
      ['mesh.ping', 'mesh.*'],
    ],
  );
  t.regex(v.text, /waived: overlay\.peers lxd3: peervpn sees every other host — reinstall/);
  t.deepEqual(v.unusedWaivers, []);
});

test('a host-specific waiver does not waive other hosts', async (t) => {
  const v = await gate(fixture('tap/fail.tap'), {
    now: NOW,
    waivers: [w({ id: 'overlay.peers', host: 'lxd2' }), w({ id: 'mesh.ping', host: 'lxd?' })],
  });
  t.false(v.pass);
  t.deepEqual(v.reasons, ['failed: overlay.peers lxd3: peervpn sees every other host (test point 2)']);
  t.deepEqual(
    v.unusedWaivers.map((x) => x.host),
    ['lxd2'],
  );
  // a host glob may also match the full pair label
  const v2 = await gate(fixture('tap/fail.tap'), {
    now: NOW,
    waivers: [w({ id: 'overlay.*' }), w({ id: 'mesh.ping', host: '*->lxd3' })],
  });
  t.true(v2.pass, v2.text);
});

test('an expired waiver no longer waives, and the verdict says so', async (t) => {
  const expired = w({ id: 'overlay.peers', expires: '2026-05-31' });
  const v = await gate(fixture('tap/fail.tap'), { now: NOW, waivers: [expired, w({ id: 'mesh.*' })] });
  t.false(v.pass);
  t.deepEqual(v.expiredWaivers, [expired]);
  t.is(v.reasons.length, 1);
  t.regex(v.reasons[0]!, /^failed: overlay\.peers lxd3: .*\(waiver overlay\.peers expired 2026-05-31\)$/);
  t.regex(v.text, /expired waiver: overlay\.peers expired 2026-05-31; it no longer waives anything/);
  // valid through the whole expiry day
  const sameDay = await gate(fixture('tap/fail.tap'), {
    now: new Date('2026-05-31T23:59:00Z'),
    waivers: [expired, w({ id: 'mesh.*' })],
  });
  t.true(sameDay.pass, sameDay.text);
});

test('an unused waiver is reported but does not fail the gate', async (t) => {
  const v = await gate(fixture('tap/pass.tap'), { now: NOW, waivers: [w({ id: 'routes.default' })] });
  t.true(v.pass);
  t.deepEqual(
    v.unusedWaivers.map((x) => x.id),
    ['routes.default'],
  );
  t.regex(v.text, /unused waiver: routes\.default matched nothing; remove it/);
});

test('skips fail unless allowSkip; warnings counted from the YAML status', async (t) => {
  const strict = await gate(fixture('tap/skip-warn.tap'), { now: NOW });
  t.false(strict.pass);
  t.deepEqual(strict.reasons, [
    'skipped (skips are not allowed): multicast.omping lxd1->lxd2: multicast reaches lxd2 (test point 4)',
  ]);
  t.is(strict.counts.warn, 2);
  t.is(strict.counts.skip, 1);
  t.is(strict.counts.pass, 1);
  const allowed = await gate(fixture('tap/skip-warn.tap'), { now: NOW, allowSkip: true });
  t.true(allowed.pass, allowed.text);
});

test('maxWarnings: over the limit fails, at the limit passes, waived warnings do not count', async (t) => {
  const over = await gate(fixture('tap/skip-warn.tap'), { now: NOW, allowSkip: true, maxWarnings: 1 });
  t.false(over.pass);
  t.deepEqual(over.reasons, ['2 warnings, more than the allowed 1']);
  const at = await gate(fixture('tap/skip-warn.tap'), { now: NOW, allowSkip: true, maxWarnings: 2 });
  t.true(at.pass);
  const waived = await gate(fixture('tap/skip-warn.tap'), {
    now: NOW,
    allowSkip: true,
    maxWarnings: 1,
    waivers: [w({ id: 'overlay.peers', host: 'lxd3' })],
  });
  t.true(waived.pass, waived.text);
});

test('malformed TAP fails with a clear reason', async (t) => {
  const noPlan = await gate(fixture('tap/no-plan.tap'), { now: NOW });
  t.false(noPlan.pass);
  t.deepEqual(noPlan.reasons, ['malformed TAP: no plan (1..N) found']);

  const mismatch = await gate(fixture('tap/plan-mismatch.tap'), { now: NOW });
  t.false(mismatch.pass);
  t.deepEqual(mismatch.reasons, ['malformed TAP: plan 1..3 but 2 test points']);

  const garbage = await gate(fixture('tap/garbage.tap'), { now: NOW });
  t.false(garbage.pass);
  t.is(garbage.reasons.length, 1);
  t.regex(garbage.reasons[0]!, /^malformed TAP: non-TAP line: "Warning: Permanently added 'lxd2'/);

  const noVersion = await gate(fixture('tap/no-version.tap'), { now: NOW });
  t.false(noVersion.pass);
  t.deepEqual(noVersion.reasons, ["malformed TAP: no 'TAP version' line at the start"]);

  const empty = await gate('', { now: NOW });
  t.false(empty.pass);
  t.deepEqual(empty.reasons, ['malformed TAP: empty input']);

  const nonsense = await gate('hello\nworld\n', { now: NOW });
  t.false(nonsense.pass);
  t.true(nonsense.reasons.some((r) => r.includes('non-TAP line: "hello"')));
});

test('bail-out fails the gate with its reason', async (t) => {
  const v = await gate(fixture('tap/bailout.tap'), { now: NOW });
  t.false(v.pass);
  t.deepEqual(v.reasons, ['run bailed out: lxd1 unreachable: connect ETIMEDOUT 192.168.99.1:22']);
});

test('TAP from our own reporter: statuses, labels and waivers work end to end', async (t) => {
  const text = await render((s) => createTapReporter(s), events(mixedResults()));
  const v = await gate(text, { now: NOW });
  t.false(v.pass);
  t.deepEqual(
    v.points.map((p) => [p.id, p.label, p.status]),
    [
      ['bridge.exists', 'lxd1', 'pass'],
      ['overlay.member', 'lxd2', 'fail'],
      ['overlay.peers', 'lxd3', 'warn'],
      ['mesh.ping', 'lxd1->lxd3', 'skip'],
      ['dhcp.single', '', 'error'],
      ['containers.dns', 'c1@lxd1', 'pass'],
    ],
  );
  const waived = await gate(text, {
    now: NOW,
    allowSkip: true,
    waivers: [w({ id: 'overlay.member', host: 'lxd2' }), w({ id: 'dhcp.*' })],
  });
  t.true(waived.pass, waived.text);

  const allPass = await render(
    (s) => createTapReporter(s),
    events([result('bridge.exists', { host: 'lxd1' }, 'pass', 'lxdbr0 exists')]),
  );
  t.true((await gate(allPass, { now: NOW })).pass);
  const aborted = await render(
    (s) => createTapReporter(s),
    events([result('bridge.exists', { host: 'lxd1' }, 'pass', 'lxdbr0 exists')], { aborted: 'SIGINT' }),
  );
  const va = await gate(aborted, { now: NOW });
  t.false(va.pass);
  t.deepEqual(va.reasons, ['run bailed out: run aborted: SIGINT']);
});

test('parseDescription', (t) => {
  t.deepEqual(parseDescription('overlay.member lxd2: peervpn0 is a port of lxdbr0'), {
    id: 'overlay.member',
    label: 'lxd2',
    title: 'peervpn0 is a port of lxdbr0',
  });
  t.deepEqual(parseDescription('dhcp.single: one server: really'), {
    id: 'dhcp.single',
    label: '',
    title: 'one server: really',
  });
});

test('loadWaivers reads the fixture with source lines', (t) => {
  const ws = loadWaivers(fixture('tap/waivers.yaml'), 'waivers.yaml');
  t.deepEqual(ws, [
    {
      id: 'overlay.peers',
      host: 'lxd3',
      justification: 'lxd3 is being re-installed (OPS-1234)',
      expires: '2099-12-31',
      source: { file: 'waivers.yaml', line: 2 },
    },
    {
      id: 'mesh.*',
      justification: 'ICMP is filtered between lxd1 and lxd3 until the firewall change lands',
      source: { file: 'waivers.yaml', line: 6 },
    },
    { id: 'routes.default', justification: 'no longer needed?', source: { file: 'waivers.yaml', line: 8 } },
  ]);
  t.deepEqual(loadWaivers('', 'empty.yaml'), []);
  t.deepEqual(loadWaivers('waivers: []\n', 'x.yaml'), []);
});

test('loadWaivers reports every problem with file and line', (t) => {
  const err = t.throws(() => loadWaivers(fixture('tap/waivers-bad.yaml'), 'waivers-bad.yaml'), {
    instanceOf: WaiverError,
  });
  t.deepEqual(err!.problems, [
    "waivers-bad.yaml:2: waiver 1: 'justification' is required: say why this check may fail",
    `waivers-bad.yaml:4: waiver 2: 'expires' must be a date YYYY-MM-DD, got "31/12/2026"`,
    "waivers-bad.yaml:8: waiver 3: unknown field 'expire' (allowed: id, host, justification, expires)",
    "waivers-bad.yaml:7: waiver 3: 'id' is required (a check id or glob, e.g. mesh.*)",
  ]);
  const yamlErr = t.throws(() => loadWaivers('- id: a\n  justification: [unclosed\n', 'broken.yaml'), {
    instanceOf: WaiverError,
  });
  t.regex(yamlErr!.problems[0]!, /^broken\.yaml:\d+: YAML: /);
  const notList = t.throws(() => loadWaivers('id: a\n', 'map.yaml'), { instanceOf: WaiverError });
  t.regex(notList!.message, /map\.yaml:1: expected a list of waivers/);
  const badDate = t.throws(() =>
    loadWaivers('- id: a\n  justification: b\n  expires: 2026-02-30\n', 'd.yaml'),
  );
  t.regex(badDate!.message, /d\.yaml:1: waiver 1: 'expires' must be a date/);
});

test('a not ok inside a subtest fails the gate even under an ok parent', async (t) => {
  const tap = [
    'TAP version 14',
    '# Subtest: containers',
    '    ok 1 - containers.address c1@lxd1: c1 has an address',
    '    # Subtest: deeper',
    '        not ok 1 - containers.ping c1@lxd1->c2@lxd2: c1 reaches c2',
    '        1..1',
    '    ok 2 - deeper',
    '    1..2',
    'ok 1 - containers',
    '1..1',
    '',
  ].join('\n');
  const v = await gate(tap, { now: NOW });
  t.false(v.pass, v.text);
  t.true(
    v.reasons.some((r) => /failed in a subtest: containers > deeper > containers\.ping/.test(r)),
    v.text,
  );
});

test('a plan of 1..0 (no checks ran) fails the gate', async (t) => {
  const v = await gate('TAP version 14\n1..0\n', { now: NOW });
  t.false(v.pass, v.text);
  t.true(
    v.reasons.some((r) => /no checks ran \(plan 1\.\.0\)/.test(r)),
    v.text,
  );
});

test('--max-warnings 0: no warning allowed', async (t) => {
  const tap = [
    'TAP version 14',
    'ok 1 - dhcp.single: one DHCP server',
    '  ---',
    '  status: warn',
    '  ...',
    '1..1',
    '',
  ].join('\n');
  t.false((await gate(tap, { now: NOW, maxWarnings: 0 })).pass);
  t.true((await gate(tap, { now: NOW, maxWarnings: 1 })).pass);
});

test('loadWaivers: a wrong type is named at its key line, a number is a fine host glob', (t) => {
  const text = [
    'waivers:',
    '  - id: [mesh.ping]',
    '    justification: " "',
    '  - id: a',
    '    host: 10',
    '    justification: b',
  ];
  const err = t.throws(() => loadWaivers(`${text.join('\n')}\n`, 'w.yaml'), { instanceOf: WaiverError });
  t.deepEqual(err!.problems, [
    "w.yaml:2: waiver 1: 'id' must be a string",
    "w.yaml:2: waiver 1: 'id' is required (a check id or glob, e.g. mesh.*)",
    "w.yaml:2: waiver 1: 'justification' is required: say why this check may fail",
  ]);
  const ok = loadWaivers('- id: a\n  host: 10\n  justification: b\n', 'w.yaml');
  t.deepEqual(ok, [{ id: 'a', host: '10', justification: 'b', source: { file: 'w.yaml', line: 1 } }]);
});
