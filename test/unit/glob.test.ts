/**
 * The one glob dialect (src/util/glob.ts), pinned where users meet it:
 * `--only/--skip` check ids and `gate --waivers` ids and hosts. `?` is one
 * character in both (the engine once treated it literally, the gate as a
 * wildcard).
 */
import test from 'ava';
import { allChecks } from '../../src/checks/index.js';
import { selectChecks } from '../../src/engine/plan.js';
import { gate } from '../../src/report/gate.js';
import { globToRegExp } from '../../src/util/glob.js';
import { fixture } from '../helpers/fixtures.js';

test('* is any run of characters, dots included; the whole string must match', (t) => {
  t.true(globToRegExp('mesh.*').test('mesh.ping'));
  t.true(globToRegExp('mesh.*').test('mesh.ping.loss'));
  t.false(globToRegExp('mesh.*').test('meshXping'), 'the dot is literal');
  t.false(globToRegExp('mesh.*').test('overlay.mesh.ping'), 'anchored at the start');
  t.true(globToRegExp('*->lxd3').test('lxd1->lxd3'));
});

test('? is exactly one character, never a literal question mark only', (t) => {
  t.true(globToRegExp('lxd?').test('lxd3'));
  t.false(globToRegExp('lxd?').test('lxd10'));
  t.false(globToRegExp('lxd?').test('lxd'));
  t.true(globToRegExp('lxd?').test('lxd?'), 'a literal ? is one character too');
});

test('regular-expression characters in a glob are literal', (t) => {
  t.true(globToRegExp('a+b(c)[d]$').test('a+b(c)[d]$'));
  t.false(globToRegExp('a+b').test('aab'));
});

test('--only and --skip: ? matches one character of a check id', (t) => {
  const only = selectChecks(allChecks, ['dhcp.singl?'], []).map((c) => c.id);
  t.true(only.includes('dhcp.single'));
  const skipped = selectChecks(allChecks, [], ['mesh.p?ng']).map((c) => c.id);
  t.false(skipped.includes('mesh.ping'));
  t.true(skipped.includes('mesh.overlay'), 'only the matching check is left out');
});

test('gate waivers: ? matches one character of an id or a host', async (t) => {
  const tap = fixture('tap/fail.tap');
  const now = new Date('2026-06-01T12:00:00Z');
  const waived = await gate(tap, {
    now,
    waivers: [
      { id: 'overlay.peer?', host: 'lxd?', justification: 'reinstall' },
      { id: 'mesh.p?ng', host: 'lxd?->lxd?', justification: 'known' },
    ],
  });
  t.true(waived.pass, waived.reasons.join('; '));
  const tooShort = await gate(tap, {
    now,
    waivers: [
      { id: 'overlay.peers', host: 'lx?', justification: 'no' },
      { id: 'mesh.ping', justification: 'known' },
    ],
  });
  t.false(tooShort.pass, '? is one character, not several');
  t.true(
    tooShort.reasons.some((r) => r.includes('overlay.peers')),
    tooShort.reasons.join('; '),
  );
});
