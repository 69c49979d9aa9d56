/**
 * The judges that had no fixture test of their own, on real captures: the
 * recorded lab bundles (fixtures/bundles, every output as the lab's hosts
 * printed it) and the copied captures of fixtures/ip and fixtures/peervpn.
 */
import test from 'ava';
import { containersAddress, containersStaleLeases } from '../../../src/checks/containers.js';
import { dnsAnswers } from '../../../src/checks/dhcp.js';
import { meshOverlay } from '../../../src/checks/mesh.js';
import { multicastContainers } from '../../../src/checks/multicast.js';
import { overlayAddress } from '../../../src/checks/overlay.js';
import { routesConflict, routesDefault } from '../../../src/checks/routes.js';
import { MESH_OVERLAY_PING } from '../../../src/facts/host/mesh.js';
import { bundleContext, context, fanOut, hostFacts, inventory, section } from '../../helpers/facts.js';

test('overlay.address: the lab taps hold their inventory addresses; a wrong one fails with the command that adds it', (t) => {
  const healthy = bundleContext('lxd-healthy');
  for (const host of ['lxd1', 'lxd2', 'lxd3']) {
    const v = overlayAddress.judge({ host }, healthy);
    t.is(v.status, 'pass', `${host}: ${v.summary}`);
  }
  // The same recorded host, but the inventory expects another address on its tap.
  const moved = bundleContext('lxd-healthy', (text) =>
    text.replace('overlayAddress: 10.99.0.2', 'overlayAddress: 10.99.0.9'),
  );
  const v = overlayAddress.judge({ host: 'lxd2' }, moved);
  t.is(v.status, 'fail');
  t.is(v.summary, 'peervpn0 on lxd2 does not hold 10.99.0.9: it has 10.99.0.2/24');
  t.deepEqual(v.hint?.fix, ['ip addr add 10.99.0.9/24 dev peervpn0']);
  const none = bundleContext('lxd-healthy', (text) => text.replace('    overlayAddress: 10.99.0.3\n', ''));
  t.is(overlayAddress.judge({ host: 'lxd3' }, none).status, 'skip');
});

test('routes.default: a captured table with a default route passes; a captured one without warns', (t) => {
  const inv = inventory('tinc');
  const withDefault = hostFacts(inv, 'lxd1', {
    routes: section('ip/sandbox-route-blackhole-host-default.json'),
  });
  const v = routesDefault.judge({ host: 'lxd1' }, context(inv, [withDefault]));
  t.is(v.status, 'pass');
  t.regex(v.summary, /^default /);
  const without = hostFacts(inv, 'lxd1', { routes: section('ip/healthy-lxd1-route.json') });
  const w = routesDefault.judge({ host: 'lxd1' }, context(inv, [without]));
  t.is(w.status, 'warn');
  t.is(w.summary, 'lxd1 has no default route');
  t.deepEqual(w.hint?.fix, ['ip route add default via <gateway>']);
});

test('mesh.overlay: no pair on the lab bed, whose overlay addresses sit on enslaved taps (they cannot answer)', (t) => {
  t.deepEqual(meshOverlay.subjects?.(bundleContext('lxd-healthy')), []);
});

test('mesh.overlay: peervpn host 1 pinging host 2 on its overlay address, captured lost: a fail with the loss', (t) => {
  const inv = inventory('peervpn', 2);
  const f = hostFacts(inv, 'lxd1', {
    [MESH_OVERLAY_PING]: fanOut([
      {
        key: '10.99.0.2',
        rc: 1,
        source: 'peervpn/baseline.ping-c3-W1-10.99.0.2.fail-bridged-tap-ip.pv-h1.txt',
      },
    ]),
  });
  const v = meshOverlay.judge({ host: 'lxd1', peer: 'lxd2' }, context(inv, [f]));
  t.is(v.status, 'fail');
  t.regex(v.summary, /^lxd1 cannot reach lxd2's overlay address 10\.99\.0\.2: 3 sent, 0 received/);
  t.is(v.metrics?.['lossPercent'], 100);
});

test('dns.answers: the one dnsmasq answers every leased name from every host; stopped, every host times out', (t) => {
  const healthy = bundleContext('lxd-healthy');
  for (const host of ['lxd1', 'lxd2', 'lxd3']) {
    const v = dnsAnswers.judge({ host }, healthy);
    t.is(v.status, 'pass', `${host}: ${v.summary}`);
    t.regex(v.summary, /c1\.lxd → 172\.16\.116\.132/);
  }
  const down = bundleContext('lxd-dns-down');
  for (const host of ['lxd1', 'lxd2', 'lxd3']) {
    const v = dnsAnswers.judge({ host }, down);
    t.is(v.status, 'fail', `${host}: ${v.summary}`);
    t.regex(v.summary, /^no answer from the one dnsmasq at 172\.16\.0\.1 \(c1\.lxd: TIMEOUT/);
  }
});

test('containers.stale-leases: every lab lease is held; a lease left by a re-created container warns; no lxc list, no verdict', (t) => {
  const healthy = containersStaleLeases.judge({}, bundleContext('lxd-healthy'));
  t.is(healthy.status, 'pass');
  t.regex(healthy.summary, /leases, all held by containers$/);
  const stale = containersStaleLeases.judge({}, bundleContext('lxd-multicast-blocked'));
  t.is(stale.status, 'warn');
  t.is(stale.summary, '1 leases for MACs no container has: 172.16.140.131 00:16:3e:28:4f:11 *');
  t.is(containersStaleLeases.judge({}, bundleContext('nolxd-healthy')).status, 'skip');
});

test('multicast.containers: every pair hears every packet on the lab; with multicast dropped on lxd2, its pairs fail', (t) => {
  const healthy = bundleContext('lxd-healthy');
  const pairs = multicastContainers.subjects?.(healthy) ?? [];
  t.is(pairs.length, 6);
  for (const s of pairs) t.is(multicastContainers.judge(s, healthy).status, 'pass', JSON.stringify(s));
  const blocked = bundleContext('lxd-multicast-blocked');
  const c1c2 = { host: 'lxd1', container: 'c1', peer: 'lxd2', peerContainer: 'c2' };
  const v = multicastContainers.judge(c1c2, blocked);
  t.is(v.status, 'fail');
  t.is(v.summary, 'multicast from c1@lxd1 never reached c2@lxd2 (20 sent, 0 received, 100% loss)');
  const c1c3 = { host: 'lxd1', container: 'c1', peer: 'lxd3', peerContainer: 'c3' };
  t.is(multicastContainers.judge(c1c3, blocked).status, 'pass');
});

test('routes.conflict: the captured blackhole route is no conflict for the lab ranges; it is one for a cluster in 10.250/16', (t) => {
  const inv = inventory('tinc');
  const raw = { routes: section('ip/sandbox-route-blackhole-host-default.json') };
  t.is(routesConflict.judge({ host: 'lxd1' }, context(inv, [hostFacts(inv, 'lxd1', raw)])).status, 'pass');
  const other = { ...inv, cluster: { ...inv.cluster, subnet: '10.250.0.0/16' } };
  const v = routesConflict.judge({ host: 'lxd1' }, context(other, [hostFacts(other, 'lxd1', raw)]));
  t.is(v.status, 'fail');
  t.regex(v.summary, /^lxd1 routes part of the cluster ranges elsewhere: blackhole 10\.250\.0\.0\/16/);
  t.deepEqual(v.hint?.fix, ['ip route del blackhole 10.250.0.0/16']);
});

test('containers.address: every lab container holds an address in the cluster subnet; outside it, each fails', (t) => {
  const healthy = bundleContext('lxd-healthy');
  const subjects = containersAddress.subjects?.(healthy) ?? [];
  t.deepEqual(
    subjects.map((s) => `${s.container}@${s.host}`),
    ['c1@lxd1', 'c2@lxd2', 'c3@lxd3'],
  );
  for (const s of subjects) t.is(containersAddress.judge(s, healthy).status, 'pass', JSON.stringify(s));
  // The same recorded containers, judged for a cluster in another subnet.
  const elsewhere = {
    ...healthy,
    inventory: { ...healthy.inventory, cluster: { ...healthy.inventory.cluster, subnet: '10.201.0.0/16' } },
  };
  const v = containersAddress.judge({ host: 'lxd1', container: 'c1' }, elsewhere);
  t.is(v.status, 'fail');
  t.regex(v.summary, /^c1 on lxd1 has 172\.16\.116\.132.*none inside 10\.201\.0\.0\/16$/);
});
