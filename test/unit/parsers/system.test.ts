import test from 'ava';
import {
  parseProcUptime,
  parseSystemctlShow,
  parseSystemctlShowMany,
} from '../../../src/facts/parsers/system.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('/proc/uptime: seconds since boot', (t) => {
  t.is(parseProcUptime(fixture('misc/healthy-lxd1-proc-uptime.txt')), 2692.25);
  t.is(parseProcUptime(fixture('misc/healthy-lxd3-proc-uptime.txt')), 2692.74);
  t.is(parseProcUptime('12345'), 12345);
  t.is(parseProcUptime(''), null);
  t.is(parseProcUptime(GARBAGE), null);
  t.is(parseProcUptime(fixture('misc/healthy-lxd1-uptime.txt')), null);
});

// systemctl output is hand-written (fixtures/systemd/README.md): the capture hosts had no systemd.

test('systemctl show: several units separated by blank lines; values may contain = and spaces', (t) => {
  const units = parseSystemctlShowMany(fixture('systemd/two-units-systemctl-show.txt'));
  t.deepEqual(
    units.map((u) => [u['Id'], u['SubState']]),
    [
      ['peervpn.service', 'running'],
      ['lxd-bridge.service', 'exited'],
    ],
  );
  t.false(units[0]!['After']!.includes('lxd-bridge.service'));
  t.is(units[1]!['ExecMainStartTimestamp'], 'Thu 2026-11-26 05:40:05 UTC');
  t.deepEqual(parseSystemctlShow('Environment=A=1 B=2\nActiveState=inactive\n'), {
    Environment: 'A=1 B=2',
    ActiveState: 'inactive',
  });
});

test('systemctl show: one unit; errors, empty and garbage', (t) => {
  const single = fixture('systemd/two-units-systemctl-show.txt').split('\n\n')[0]!;
  t.is(parseSystemctlShow(single)['ActiveState'], 'active');
  t.deepEqual(parseSystemctlShow(''), {});
  t.deepEqual(parseSystemctlShowMany(''), []);
  t.deepEqual(parseSystemctlShow(GARBAGE), {});
  t.deepEqual(
    parseSystemctlShowMany(
      "System has not been booted with systemd as init system (PID 1). Can't operate.\n",
    ),
    [],
  );
});
