/** Host and overlay judges on real captured outputs: healthy beds pass, each captured fault fails where it should. */
import test from 'ava';
import {
  bridgeAddress,
  bridgeExists,
  bridgeMtu,
  bridgeMulticastQuerier,
  bridgeUniqueAddress,
} from '../../../src/checks/bridge.js';
import { dhcpConfig, dhcpSingle } from '../../../src/checks/dhcp.js';
import { hostChecks } from '../../../src/checks/index.js';
import { meshBridge, meshPmtu } from '../../../src/checks/mesh.js';
import {
  overlayDaemon,
  overlayExists,
  overlayMember,
  overlayPortAddresses,
} from '../../../src/checks/overlay.js';
import { overlayPeers } from '../../../src/checks/overlay-peers.js';
import { routesCluster, routesOverlay } from '../../../src/checks/routes.js';
import { serviceOrder } from '../../../src/checks/service-order.js';
import { sshReachable } from '../../../src/checks/ssh.js';
import type { RawOutput } from '../../../src/facts/types.js';
import { context, fanOut, hostFacts, inventory, section } from '../../helpers/facts.js';

const tinc = inventory('tinc');

function healthyTincRaw(n: 1 | 2 | 3): Record<string, RawOutput> {
  return {
    links: section(`ip/healthy-lxd${n}-link.json`),
    addrs: section(`ip/healthy-lxd${n}-addr.json`),
    routes: section(`ip/healthy-lxd${n}-route.json`),
    brif: section(`sysfs/healthy-lxd${n}-lxdbr0-brif.txt`),
    brctl: section(`brctl/healthy-lxd${n}-show.txt`),
    ps: section(`ps/healthy-lxd${n}-ps-eo-pid-comm-args.txt`),
    'ss-udp': section(`ss/healthy-lxd${n}-ss-ulnp.txt`),
    'overlay-dump': section(`tinc/healthy-lxd${n}-usr2-dump-only.txt`),
    // fping -q writes its summary to stderr.
    'mesh-ping': {
      command: 'fping -q -C 3 ...',
      stdout: '',
      stderr: section(`fping/healthy-lxd${n}-c3-q.txt`).stdout,
      exitCode: 0,
    },
    sysfs: section(
      'text:/sys/class/net/lxdbr0/bridge/multicast_snooping:1\n/sys/class/net/lxdbr0/bridge/multicast_querier:0\n',
    ),
    // No querier on this bed: a re-joined port's empty router list (captured on the lab) prunes nothing.
    mdb: section('mdb/lab-lxd2-port-rejoined.txt'),
    // The lab's hosts: systemd is not PID 1 (the section says so and exits 3), as recorded.
    systemd: noSystemd(),
  };
}

function noSystemd(): RawOutput {
  return {
    command: 'systemctl show ...',
    stdout: '',
    stderr: 'lxdcheck: systemd is not PID 1\n',
    exitCode: 3,
  };
}

const healthy = () => [1, 2, 3].map((n) => hostFacts(tinc, `lxd${n}`, healthyTincRaw(n as 1 | 2 | 3)));

/** Host checks that cannot pass on this bed, and why: a new host check passes here, or says why not. */
const NOT_ON_THIS_BED: Record<string, string> = {
  'routes.default': 'these lab captures have no default route: it warns (fixture-checks.test.ts)',
  'dns.answers': 'a stage-two probe, and this bed is stage-one captures only (fixture-checks.test.ts)',
  'dhcp.config': 'judged on the DHCP host alone, below',
};

test('the exceptions of the bed are registered host checks (the list cannot go stale)', (t) => {
  for (const id of Object.keys(NOT_ON_THIS_BED)) t.is(hostChecks.find((c) => c.id === id)?.scope, 'host', id);
});

test('a healthy tinc bed passes every host check of the registry on every host', (t) => {
  const ctx = context(tinc, healthy());
  const checks = hostChecks.filter((c) => c.scope === 'host' && !(c.id in NOT_ON_THIS_BED));
  t.true(checks.length >= 12);
  for (const host of ['lxd1', 'lxd2', 'lxd3']) {
    for (const check of checks) {
      const v = check.judge({ host }, ctx);
      t.is(v.status, 'pass', `${check.id} on ${host}: ${v.summary}`);
    }
  }
  t.is(dhcpSingle.judge({}, ctx).status, 'pass');
  t.is(
    dhcpConfig.judge({ host: 'lxd1' }, ctx).status,
    'pass',
    dhcpConfig.judge({ host: 'lxd1' }, ctx).summary,
  );
  t.is(bridgeUniqueAddress.judge({}, ctx).status, 'pass');
  t.is(meshBridge.judge({ host: 'lxd1', peer: 'lxd3' }, ctx).status, 'pass');
});

test('the tinc overlay addresses sit on an enslaved tap: one cluster warning, not a failure', (t) => {
  const v = overlayPortAddresses.judge({}, context(tinc, healthy()));
  t.is(v.status, 'warn');
  t.regex(v.summary, /lxd1 \(10\.99\.0\.1\)/);
});

test('overlay removed from the bridge on lxd2 (brctl delif): overlay.member fails with the fix; service order is not blamed', (t) => {
  const raw = healthyTincRaw(2);
  raw.links = section('ip/fault-delif-lxd2-link.json');
  raw.addrs = section('ip/fault-delif-lxd2-addr.json');
  raw.brif = section('sysfs/fault-delif-lxd2-lxdbr0-brif.txt');
  raw.brctl = section('brctl/fault-delif-lxd2-show.txt');
  const ctx = context(tinc, [hostFacts(tinc, 'lxd2', raw)]);
  const v = overlayMember.judge({ host: 'lxd2' }, ctx);
  t.is(v.status, 'fail');
  t.regex(v.summary, /peervpn0 is not a port of lxdbr0 on lxd2/);
  t.true(v.hint?.fix?.some((f) => f.startsWith('ip link set peervpn0 master lxdbr0')));
  t.regex(v.actual ?? '', /brctl show: v-c2/);
  const so = serviceOrder.judge({ host: 'lxd2' }, ctx);
  t.is(so.status, 'pass');
  t.regex(so.summary, /not because of start order/);
});

test('lxd1 pinging lxd2 while lxd2 is not bridged: mesh.bridge fails with loss evidence', (t) => {
  const raw = healthyTincRaw(1);
  raw['mesh-ping'] = {
    command: 'fping',
    stdout: '',
    stderr: section('fping/fault-delif-lxd1-c3-q.txt').stdout,
    exitCode: 1,
  };
  const ctx = context(tinc, [hostFacts(tinc, 'lxd1', raw)]);
  const v = meshBridge.judge({ host: 'lxd1', peer: 'lxd2' }, ctx);
  t.is(v.status, 'fail');
  t.regex(v.summary, /100% loss/);
  t.is(meshBridge.judge({ host: 'lxd1', peer: 'lxd3' }, ctx).status, 'pass');
});

test('tinc down on lxd3: lxd1 names lxd3 as the missing peer; lxd3 has no daemon and no tap', (t) => {
  const raw1 = healthyTincRaw(1);
  raw1['overlay-dump'] = section('tinc/fault-tinc-down-lxd1-usr2-dump-only.txt');
  raw1['mesh-ping'] = {
    command: 'fping',
    stdout: '',
    stderr: section('fping/fault-tinc-down-lxd1-C3-q.txt').stdout,
    exitCode: 1,
  };
  const raw3 = healthyTincRaw(3);
  raw3.links = section('ip/fault-tinc-down-lxd3-link.json');
  raw3.ps = section('ps/fault-tinc-down-lxd3-ps-eo-pid-comm-args.txt');
  raw3['overlay-dump'] = section('tinc/fault-tinc-down-lxd3-kUSR2-no-daemon.txt', 4);
  const ctx = context(tinc, [hostFacts(tinc, 'lxd1', raw1), hostFacts(tinc, 'lxd3', raw3)]);
  const peers = overlayPeers.judge({ host: 'lxd1' }, ctx);
  t.is(peers.status, 'fail');
  t.regex(peers.summary, /1 of 2 peers connected; missing: lxd3/);
  t.is(overlayExists.judge({ host: 'lxd3' }, ctx).status, 'fail');
  const d = overlayDaemon.judge({ host: 'lxd3' }, ctx);
  t.is(d.status, 'fail');
  t.regex(d.summary, /no tincd process on lxd3/);
});

test('peervpn: the log still says 2 peers while pings to the dead peer fail → fail, naming it (the second signal)', (t) => {
  const pv = inventory('peervpn');
  const raw: Record<string, RawOutput> = {
    links: section('peervpn/baseline.ip-j-addr.pv-h1.json'),
    addrs: section('peervpn/baseline.ip-j-addr.pv-h1.json'),
    brif: section('peervpn/baseline.ls-sys-class-net-lxdbr0-brif.pv-h1.txt'),
    ps: section(
      'text:    PID COMMAND         COMMAND\n     12 peervpn         peervpn /etc/peervpn/peervpn.conf\n',
    ),
    // The log before the lagging count line arrived (cut at uptime 561 s).
    'overlay-log': section(
      `text:${section('peervpn/faultB.peervpn-log.pv-h1.txt').stdout.split('[572]')[0]}`,
    ),
    'mesh-ping': fanOut([
      { key: '172.16.0.2', rc: 0, source: 'peervpn/faultB.ping-c3-W1-172.16.0.2.pv-h1.txt' },
      { key: '172.16.0.3', rc: 1, source: 'peervpn/faultB.ping-c3-W1-172.16.0.3.fail-peerdown.pv-h1.txt' },
    ]),
  };
  const ctx = context(pv, [hostFacts(pv, 'lxd1', raw)]);
  const v = overlayPeers.judge({ host: 'lxd1' }, ctx);
  t.is(v.status, 'fail');
  t.regex(v.summary, /reports 2 peers, but lxd3 does not answer pings/);
});

test('peervpn started before lxdbr0 existed (run3-faultA): member fails and service-order names the cause and the drop-in fix', (t) => {
  const pv = inventory('peervpn');
  const raw: Record<string, RawOutput> = {
    links: section('peervpn/run3-faultA.ip-j-addr.pv-h2.json'),
    addrs: section('peervpn/run3-faultA.ip-j-addr.pv-h2.json'),
    brif: section('peervpn/run3-faultA.ls-sys-class-net-lxdbr0-brif.pv-h2.txt'),
    brctl: section('peervpn/run3-faultA.brctl-show.pv-h2.txt'),
    'overlay-log': section('peervpn/run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt'),
  };
  const ctx = context(pv, [hostFacts(pv, 'lxd2', raw)]);
  const m = overlayMember.judge({ host: 'lxd2' }, ctx);
  t.is(m.status, 'fail');
  t.regex(m.hint?.why ?? '', /VPN started before the bridge existed/);
  t.true(m.evidence?.some((e) => /does not exist/.test(e.excerpt ?? '')));
  const so = serviceOrder.judge({ host: 'lxd2' }, ctx);
  t.is(so.status, 'fail');
  t.regex(so.summary, /bridge did not exist when its up-script ran/);
  t.true(so.hint?.fix?.some((f) => f.includes('/etc/systemd/system/peervpn.service.d/')));
  t.true(so.hint?.fix?.some((f) => f.startsWith('ip link set peervpn0 master lxdbr0')));
});

test('overlay MTU lowered to 1200 on lxd2: bridge.mtu fails and says the size', (t) => {
  const raw = healthyTincRaw(2);
  raw.links = section('ip/fault-mtu-lxd2-link.json');
  const v = bridgeMtu.judge({ host: 'lxd2' }, context(tinc, [hostFacts(tinc, 'lxd2', raw)]));
  t.is(v.status, 'fail');
  t.regex(v.summary, /peervpn0 MTU 1200 on lxd2 is below 1500/);
  t.deepEqual(v.hint?.fix, ['ip link set peervpn0 mtu 1500']);
});

test('connected route to the cluster subnet deleted on lxd3: routes.cluster fails with the fix, routes.overlay passes', (t) => {
  const raw = healthyTincRaw(3);
  raw.routes = section('ip/fault-noroute-lxd3-route.json');
  const ctx = context(tinc, [hostFacts(tinc, 'lxd3', raw)]);
  const v = routesCluster.judge({ host: 'lxd3' }, ctx);
  t.is(v.status, 'fail');
  t.regex(v.summary, /lxd3 has no route to 172\.16\.0\.0\/16/);
  t.deepEqual(v.hint?.fix, ['ip route replace 172.16.0.0/16 dev lxdbr0']);
  t.is(routesOverlay.judge({ host: 'lxd3' }, ctx).status, 'pass');
});

test('a second dnsmasq serving DHCP on lxd2: dhcp.single fails naming lxd2 and the pid to stop', (t) => {
  const raw2 = healthyTincRaw(2);
  raw2.ps = section('ps/fault-dhcp2-lxd2-ps-eo-pid-comm-args.txt');
  raw2['ss-udp'] = section('ss/fault-dhcp2-lxd2-ss-ulnp.txt');
  const ctx = context(tinc, [
    hostFacts(tinc, 'lxd1', healthyTincRaw(1)),
    hostFacts(tinc, 'lxd2', raw2),
    hostFacts(tinc, 'lxd3', healthyTincRaw(3)),
  ]);
  const v = dhcpSingle.judge({}, ctx);
  t.is(v.status, 'fail');
  t.regex(v.summary, /lxd2 also serves DHCP on lxdbr0 \(dnsmasq pid \d+\)/);
  t.true(v.hint?.fix?.some((f) => /^kill \d+ {3}# on lxd2/.test(f)));
});

test('the one dnsmasq stopped on lxd1: dhcp.single fails saying no DHCP server runs there', (t) => {
  const raw1 = healthyTincRaw(1);
  raw1.ps = section('ps/fault-nodns-lxd1-ps-eo-pid-comm-args.txt');
  raw1['ss-udp'] = section('ss/fault-nodns-lxd1-ss-ulnp.txt');
  const ctx = context(tinc, [hostFacts(tinc, 'lxd1', raw1), hostFacts(tinc, 'lxd2', healthyTincRaw(2))]);
  const v = dhcpSingle.judge({}, ctx);
  t.is(v.status, 'fail');
  t.regex(v.summary, /no DHCP server runs on lxd1/);
});

test('two hosts holding the same bridge address: unique-address fails naming both, bridge.address fails on the copy', (t) => {
  const raw3 = healthyTincRaw(3);
  raw3.addrs = section('ip/healthy-lxd2-addr.json'); // lxd2's real addresses, as if lxd3 had been given them
  const ctx = context(tinc, [hostFacts(tinc, 'lxd2', healthyTincRaw(2)), hostFacts(tinc, 'lxd3', raw3)]);
  const v = bridgeUniqueAddress.judge({}, ctx);
  t.is(v.status, 'fail');
  t.regex(v.summary, /172\.16\.0\.2 is held by lxd2 and lxd3/);
  t.true(
    v.hint?.fix?.some((f) =>
      f.includes('on lxd3: ip addr del 172.16.0.2/16 dev lxdbr0 && ip addr add 172.16.0.3/16 dev lxdbr0'),
    ),
  );
  const a = bridgeAddress.judge({ host: 'lxd3' }, ctx);
  t.is(a.status, 'fail');
});

test('an unreachable host: ssh.reachable fails with the transport error; a missing section is an error, never a guess', (t) => {
  const f = hostFacts(
    tinc,
    'lxd2',
    {},
    {
      reachable: false,
      connectError: 'connect ECONNREFUSED 192.168.99.2:22',
      connectErrorKind: 'unreachable',
    },
  );
  const ctx = context(tinc, [f]);
  const v = sshReachable.judge({ host: 'lxd2' }, ctx);
  t.is(v.status, 'fail');
  t.regex(v.summary, /ECONNREFUSED/);
  const partial = hostFacts(tinc, 'lxd1', {
    links: { command: 'ip -j -d link show', stdout: '', stderr: '', exitCode: 124, timedOut: true },
  });
  const e = bridgeExists.judge({ host: 'lxd1' }, context(tinc, [partial]));
  t.is(e.status, 'error');
  t.regex(e.summary, /timed out/);
});

test('ssh.reachable says so when the SSH config sets StrictHostKeyChecking no (host keys were verified anyway)', (t) => {
  const f = hostFacts(tinc, 'lxd1', healthyTincRaw(1));
  t.is(sshReachable.judge({ host: 'lxd1' }, context(tinc, [f])).evidence, undefined);
  const relaxed = {
    ...tinc,
    hosts: tinc.hosts.map((h) =>
      h.name === 'lxd1' ? { ...h, ssh: { ...h.ssh, strictHostKeyChecking: 'false' } } : h,
    ),
  };
  const v = sshReachable.judge({ host: 'lxd1' }, context(relaxed, [f]));
  t.is(v.status, 'pass');
  t.regex(v.evidence?.[0]?.note ?? '', /StrictHostKeyChecking no; lxdcheck verifies host keys anyway/);
});

test('pings to a peer whose tap is off its own bridge do not blame the VPN link: overlay.peers passes and says why', (t) => {
  const raw1 = healthyTincRaw(1);
  raw1['mesh-ping'] = {
    command: 'fping',
    stdout: '',
    stderr: section('fping/fault-delif-lxd1-c3-q.txt').stdout,
    exitCode: 1,
  };
  const raw2 = healthyTincRaw(2);
  raw2.links = section('ip/fault-delif-lxd2-link.json');
  raw2.addrs = section('ip/fault-delif-lxd2-addr.json');
  raw2.brif = section('sysfs/fault-delif-lxd2-lxdbr0-brif.txt');
  const ctx = context(tinc, [hostFacts(tinc, 'lxd1', raw1), hostFacts(tinc, 'lxd2', raw2)]);
  const v = overlayPeers.judge({ host: 'lxd1' }, ctx);
  t.is(v.status, 'pass');
  t.regex(v.summary, /pings to lxd2 fail because peervpn0 is not a port of lxdbr0 on lxd2/);
  // Without lxd2's facts nothing explains the silence: the disagreement is a failure.
  const alone = overlayPeers.judge({ host: 'lxd1' }, context(tinc, [hostFacts(tinc, 'lxd1', raw1)]));
  t.is(alone.status, 'fail');
});

test('an up-script error from an earlier start of the daemon is history, not evidence', (t) => {
  const pv = inventory('peervpn');
  const old = section('peervpn/run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt').stdout;
  const restarted = `${old}\n${section('peervpn/baseline.peervpn-log.pv-h2.txt').stdout}`;
  const raw: Record<string, RawOutput> = {
    links: section('peervpn/run3-faultA.ip-j-addr.pv-h2.json'),
    addrs: section('peervpn/run3-faultA.ip-j-addr.pv-h2.json'),
    brif: section('peervpn/run3-faultA.ls-sys-class-net-lxdbr0-brif.pv-h2.txt'),
    'overlay-log': section(`text:${restarted}`),
    systemd: noSystemd(),
  };
  const so = serviceOrder.judge({ host: 'lxd2' }, context(pv, [hostFacts(pv, 'lxd2', raw)]));
  t.is(so.status, 'pass');
  t.regex(so.summary, /not because of start order/);
});

test('a path MTU the kernel cached from an ICMP "fragmentation needed" is named, with the flush', (t) => {
  const raw = healthyTincRaw(1);
  raw.pmtu = {
    command: '(pmtu probes)',
    stdout: [
      '##PING 172.16.0.2 1500 rc=1',
      section('lab/cached-pmtu-lxd1-ping-Mdo-s1472-lxd2.txt').stdout,
      '##PING 172.16.0.2 1000 rc=0',
      '1 packets transmitted, 1 received, 0% packet loss, time 0ms',
      '##PING 172.16.0.2 route rc=0',
      section('lab/cached-pmtu-lxd1-ip-route-get-lxd2.txt').stdout,
    ].join('\n'),
    stderr: '',
    exitCode: 0,
  };
  const v = meshPmtu.judge({ host: 'lxd1', peer: 'lxd2' }, context(tinc, [hostFacts(tinc, 'lxd1', raw)]));
  t.is(v.status, 'fail');
  t.regex(v.summary, /lxd1 has a cached path MTU of 1066 towards lxd2 \(172\.16\.0\.2\), expiring in 440 s/);
  t.is(v.hint?.fix?.[0], 'ip route flush cache   # on lxd1, once the overlay has settled');
});

test('IGMP snooping without a querier anywhere on the L2 is one cluster warning; one querier settles it', (t) => {
  const v = bridgeMulticastQuerier.judge({}, context(tinc, healthy()));
  t.is(v.status, 'warn');
  t.regex(v.summary, /snoops IGMP on lxd1, lxd2, lxd3, and no bridge on the L2 is a querier/);
  const raw1 = healthyTincRaw(1);
  raw1.sysfs = section(
    'text:/sys/class/net/lxdbr0/bridge/multicast_snooping:1\n/sys/class/net/lxdbr0/bridge/multicast_querier:1\n',
  );
  const withQuerier = [hostFacts(tinc, 'lxd1', raw1), ...healthy().slice(1)];
  const ok = bridgeMulticastQuerier.judge({}, context(tinc, withQuerier));
  t.is(ok.status, 'pass');
  t.regex(ok.summary, /lxdbr0 on lxd1 is the IGMP querier/);
});

test('vxlan: a peer without a flood entry is named as missing', (t) => {
  const vx = inventory('vxlan');
  const full = hostFacts(vx, 'lxd1', { 'overlay-fdb': section('vxlan/sandbox-bridge-fdb-show-dev-vx0.txt') });
  t.is(overlayPeers.judge({ host: 'lxd1' }, context(vx, [full])).status, 'pass');
  const missing = hostFacts(vx, 'lxd1', {
    'overlay-fdb': section('vxlan/sandbox-bridge-fdb-show-dev-vx0-one-remote-removed.txt'),
  });
  const v = overlayPeers.judge({ host: 'lxd1' }, context(vx, [missing]));
  t.is(v.status, 'fail');
  t.regex(v.summary, /1 of 2 peers connected; missing: lxd3/);
});

test('systemd: a VPN unit that started before LXD with no ordering fails with the drop-in; ordered after it passes', (t) => {
  const pv = inventory('peervpn');
  const base: Record<string, RawOutput> = {
    links: section('peervpn/run3-faultA.ip-j-addr.pv-h2.json'),
    addrs: section('peervpn/run3-faultA.ip-j-addr.pv-h2.json'),
    brif: section('peervpn/run3-faultA.ls-sys-class-net-lxdbr0-brif.pv-h2.txt'),
    'overlay-log': section('peervpn/baseline.peervpn-log.pv-h2.txt'),
  };
  const before = { ...base, systemd: section('systemd/order-peervpn-before-lxd.txt') };
  const v = serviceOrder.judge({ host: 'lxd2' }, context(pv, [hostFacts(pv, 'lxd2', before)]));
  t.is(v.status, 'fail');
  t.regex(v.summary, /peervpn\.service started before lxd\.service/);
  t.true(
    v.hint?.fix?.some((f) => f.includes('After=lxd.service sys-subsystem-net-devices-lxdbr0.device')) ??
      false,
  );
  t.true(
    v.evidence?.some((e) => /active at 4\.1 s after boot, lxd\.service at 9\.9 s/.test(e.excerpt ?? '')) ??
      false,
  );
  // Tap on the bridge now, but nothing orders the units: it worked by luck, the next reboot may break it.
  const bridged = { ...before, brif: section('peervpn/baseline.ls-sys-class-net-lxdbr0-brif.pv-h1.txt') };
  const latent = serviceOrder.judge({ host: 'lxd2' }, context(pv, [hostFacts(pv, 'lxd2', bridged)]));
  t.is(latent.status, 'warn');
  t.regex(latent.summary, /nothing orders peervpn\.service after the bridge/);
  const ordered = { ...bridged, systemd: section('systemd/order-peervpn-after-lxd.txt') };
  const ok = serviceOrder.judge({ host: 'lxd2' }, context(pv, [hostFacts(pv, 'lxd2', ordered)]));
  t.is(ok.status, 'pass');
  t.regex(ok.summary, /peervpn\.service is ordered after the bridge/);
});

test('a systemctl that hung (killed at its own bound) makes service order a SKIP with the reason, never a pass', (t) => {
  const raw = healthyTincRaw(2);
  raw.systemd = { command: 'systemctl show ...', stdout: '', stderr: '', exitCode: 124, timedOut: true };
  const so = serviceOrder.judge({ host: 'lxd2' }, context(tinc, [hostFacts(tinc, 'lxd2', raw)]));
  t.is(so.status, 'skip');
  t.regex(so.summary, /systemctl show was not read on lxd2 \(timed out\)/);
});
