import test from 'ava';
import { parseLxdBridgeDefaults } from '../../../src/facts/parsers/lxdbridge.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

// No real /etc/default/lxd-bridge was captured: these fixtures are hand-written (fixtures/lxd-bridge/README.md).

test('lxd-bridge defaults: the primary host starts dnsmasq', (t) => {
  const d = parseLxdBridgeDefaults(fixture('lxd-bridge/primary-lxd-bridge.txt'));
  t.true(d.startsDnsmasq);
  t.false(d.dnsmasqAliasedAway);
  t.is(d.values['LXD_BRIDGE'], 'lxdbr0');
  t.is(d.values['LXD_IPV4_DHCP_RANGE'], '172.16.100.1,172.16.199.254');
  t.is(d.values['LXD_CONFILE'], '');
  t.is(Object.keys(d.values).length, 16);
});

test('lxd-bridge defaults: the secondary host aliases dnsmasq away; quoting styles', (t) => {
  const d = parseLxdBridgeDefaults(fixture('lxd-bridge/secondary-aliased-lxd-bridge.txt'));
  t.true(d.dnsmasqAliasedAway);
  // The script would still call dnsmasq; the alias is what makes it a no-op.
  t.true(d.startsDnsmasq);
  t.is(d.values['LXD_IPV4_ADDR'], '172.16.0.2');
  t.is(d.values['LXD_IPV4_NAT'], 'false');
  t.is(d.values['LXD_IPV6_PROXY'], 'false');
  t.false('alias' in d.values);
});

test('lxd-bridge defaults: no IPv4 network means no dnsmasq; a commented alias does not count', (t) => {
  const d = parseLxdBridgeDefaults(fixture('lxd-bridge/no-ipv4-lxd-bridge.txt'));
  t.false(d.startsDnsmasq);
  t.false(d.dnsmasqAliasedAway);
});

test('lxd-bridge defaults: USE_LXD_BRIDGE=false starts nothing', (t) => {
  const text = fixture('lxd-bridge/primary-lxd-bridge.txt').replace(
    'USE_LXD_BRIDGE="true"',
    'USE_LXD_BRIDGE="false"',
  );
  t.false(parseLxdBridgeDefaults(text).startsDnsmasq);
});

test('lxd-bridge defaults: empty and garbage', (t) => {
  t.deepEqual(parseLxdBridgeDefaults(''), { values: {}, dnsmasqAliasedAway: false, startsDnsmasq: false });
  t.false(parseLxdBridgeDefaults(GARBAGE).startsDnsmasq);
});
