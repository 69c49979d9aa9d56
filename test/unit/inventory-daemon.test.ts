/** `daemon: lxd | incus` at cluster and host level, and the older `cluster.lxd: lxc | incus`, as the judge reads them. */
import test from 'ava';
import { configuredClient, namedDaemon } from '../../src/facts/daemon.js';
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
  t.is(namedDaemon(i, i.hosts[0]!), undefined);
  t.is(configuredClient(i, i.hosts[0]!), undefined);
});

test("cluster daemon: incus names every host's daemon; a host's own daemon: wins", (t) => {
  const i = parse(inv(['  daemon: incus'], ['    daemon: lxd']));
  t.is(i.cluster.daemon, 'incus');
  t.deepEqual(namedDaemon(i, i.hosts[0]!), { daemon: 'lxd', field: "lxd1's daemon:" });
  t.deepEqual(namedDaemon(i, i.hosts[1]!), { daemon: 'incus', field: 'cluster.daemon' });
  t.is(configuredClient(i, i.hosts[0]!), 'lxc');
  t.is(configuredClient(i, i.hosts[1]!), 'incus');
});

test('the older cluster.lxd key still names the daemon: lxc means lxd, incus means incus', (t) => {
  const lxc = parse(inv(['  lxd: lxc']));
  t.deepEqual(namedDaemon(lxc, lxc.hosts[0]!), { daemon: 'lxd', field: 'cluster.lxd: lxc' });
  const incus = parse(inv(['  lxd: incus']));
  t.deepEqual(namedDaemon(incus, incus.hosts[1]!), { daemon: 'incus', field: 'cluster.lxd: incus' });
  t.is(configuredClient(incus, incus.hosts[1]!), 'incus');
});

test('an unknown daemon is an error with its field', (t) => {
  const bad = problems(inv(['  daemon: docker'], ['    daemon: lxc']));
  t.true(
    bad.some((m) => /cluster\.daemon: "docker" is not a known daemon \(expected lxd or incus\)/.test(m)),
    bad.join('\n'),
  );
  t.true(
    bad.some((m) => /hosts\[0\]\.daemon: "lxc" is not a known daemon/.test(m)),
    bad.join('\n'),
  );
});
