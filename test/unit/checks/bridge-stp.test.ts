/** bridge.stp on captured `brctl show` outputs (the STP-on table is the healthy capture with its flag set, hand-written). */
import test from 'ava';
import { bridgeStp } from '../../../src/checks/bridge-stp.js';
import { context, fixture, hostFacts, inventory, section } from '../../helpers/facts.js';

const inv = inventory('tinc');

test('the lab bridges run without STP; one with STP on warns with the command that turns it off', (t) => {
  const off = hostFacts(inv, 'lxd1', { brctl: section('brctl/healthy-lxd1-show.txt') });
  t.is(bridgeStp.judge({ host: 'lxd1' }, context(inv, [off])).status, 'pass');
  const onText = fixture('brctl/healthy-lxd1-show.txt').replace('\tno\t', '\tyes\t');
  const on = hostFacts(inv, 'lxd1', { brctl: section(`text:${onText}`) });
  const v = bridgeStp.judge({ host: 'lxd1' }, context(inv, [on]));
  t.is(v.status, 'warn');
  t.deepEqual(v.hint?.fix, ['ip link set lxdbr0 type bridge stp_state 0']);
});
