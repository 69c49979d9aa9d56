/** `daemon: lxd | incus` at cluster and host level, and the older `cluster.lxd: lxc | incus`. */
import test from 'ava';
import { InventoryError, parseInventory } from '../../src/inventory/load.js';

function y(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const parse = (text: string) =>
  parseInventory(text, 'cluster.yaml', { homeDir: '/home/me', localUser: 'me' });

function inv(cluster: string[] = [], host1: string[] = []) {
  return y(
    'cluster:',
    '  subnet: 172.16.0.0/16',
    '  overlay:',
    '    type: peervpn',
    '  dhcp: lxd1',
    ...cluster,
    'hosts:',
    '  - name: lxd1',
    '    ssh: root@192.168.99.1',
    '    bridgeAddress: 172.16.0.1',
    ...host1,
    '  - name: lxd2',
    '    ssh: root@192.168.99.2',
    '    bridgeAddress: 172.16.0.2',
  );
}

function problems(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof InventoryError) return (e.all ?? [e]).map((x) => x.message);
    throw e;
  }
  return [];
}

test('no daemon named: left to per-host detection', (t) => {
  const i = parse(inv());
  t.is(i.cluster.daemon, undefined);
  t.is(i.hosts[0]?.daemon, undefined);
});

test('cluster daemon: incus applies to the cluster; a host may name its own', (t) => {
  const i = parse(inv(['  daemon: incus'], ['    daemon: lxd']));
  t.is(i.cluster.daemon, 'incus');
  t.is(i.hosts[0]?.daemon, 'lxd');
  t.is(i.hosts[1]?.daemon, undefined);
});

test('the older cluster.lxd key still works: lxc means lxd, incus means incus', (t) => {
  t.is(parse(inv(['  lxd: lxc'])).cluster.daemon, 'lxd');
  t.is(parse(inv(['  lxd: lxc'])).cluster.lxdCommand, 'lxc');
  t.is(parse(inv(['  lxd: incus'])).cluster.daemon, 'incus');
  t.is(parse(inv(['  lxd: incus', '  daemon: incus'])).cluster.daemon, 'incus');
});

test('an unknown daemon and a disagreement with cluster.lxd are errors with their field', (t) => {
  const bad = problems(inv(['  daemon: docker'], ['    daemon: lxc']));
  t.true(
    bad.some((m) => /cluster\.daemon: "docker" is not a known daemon \(expected lxd or incus\)/.test(m)),
  );
  t.true(bad.some((m) => /hosts\[0\]\.daemon: "lxc" is not a known daemon/.test(m)));
  const clash = problems(inv(['  lxd: lxc', '  daemon: incus']));
  t.true(
    clash.some((m) => /cluster\.daemon: "incus" disagrees with cluster\.lxd: lxc/.test(m)),
    clash.join('\n'),
  );
});
