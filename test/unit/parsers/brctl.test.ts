import test from 'ava';
import { parseBrctlShow } from '../../../src/facts/parsers/brctl.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('brctl show: ports continue on indented lines', (t) => {
  t.deepEqual(parseBrctlShow(fixture('brctl/healthy-lxd1-show.txt')), [
    { name: 'lxdbr0', id: '8000.021600000001', stp: false, interfaces: ['peervpn0', 'v-c1'] },
  ]);
  t.deepEqual(parseBrctlShow(fixture('brctl/lxd-running-root-show-lxdbr0.txt'))[0]!.interfaces, [
    'veth0c608bab',
    'vethd8f7d83a',
  ]);
});

test('brctl show after delif / tinc down: peervpn0 is no longer a port', (t) => {
  t.deepEqual(parseBrctlShow(fixture('brctl/fault-delif-lxd2-show.txt'))[0]!.interfaces, ['v-c2']);
  t.deepEqual(parseBrctlShow(fixture('brctl/fault-tinc-down-lxd3-show.txt'))[0]!.interfaces, ['v-c3']);
});

test('brctl show: a bridge with no ports (run3-faultA, trailing tabs)', (t) => {
  t.deepEqual(parseBrctlShow(fixture('peervpn/run3-faultA.brctl-show.pv-h2.txt')), [
    { name: 'lxdbr0', id: '8000.000000000000', stp: false, interfaces: [] },
  ]);
  t.deepEqual(parseBrctlShow(fixture('peervpn/run3-faultA-fixed.brctl-show.pv-h2.txt'))[0]!.interfaces, [
    'peervpn0',
  ]);
});

test('brctl show: error lines and several bridges', (t) => {
  // Built from the real healthy output plus the error lines brctl prints for missing bridges.
  const text = [
    fixture('brctl/healthy-lxd2-show.txt').trimEnd(),
    'bridge lxdbr1 does not exist!',
    "can't get info No such device",
    'br-stp\t\t8000.aabbccddeeff\tyes\t\t',
  ].join('\n');
  t.deepEqual(parseBrctlShow(text), [
    { name: 'lxdbr0', id: '8000.021600000002', stp: false, interfaces: ['peervpn0', 'v-c2'] },
    { name: 'br-stp', id: '8000.aabbccddeeff', stp: true, interfaces: [] },
  ]);
});

test('brctl show: empty and garbage input', (t) => {
  t.deepEqual(parseBrctlShow(''), []);
  t.deepEqual(parseBrctlShow(GARBAGE), []);
  t.deepEqual(parseBrctlShow('bridge name\tbridge id\t\tSTP enabled\tinterfaces\n'), []);
});
