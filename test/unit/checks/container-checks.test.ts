/** Container judges on real `lxc list --format json`, lease files, pings and getent outputs. */
import test from 'ava';
import { containersDns, containersPingIp, containersPingName } from '../../../src/checks/container-probes.js';
import {
  containersAddress,
  containersDuplicateName,
  containersLease,
  containersListed,
} from '../../../src/checks/containers.js';
import { type PlacedContainer, targetsFor } from '../../../src/facts/containers.js';
import type { RawOutput } from '../../../src/facts/types.js';
import { parseInventory } from '../../../src/inventory/load.js';
import { context, fixture, hostFacts, section } from '../../helpers/facts.js';

// Two standalone LXD daemons as captured (d1 and d2), each on its own bridge in 10.201.0.0/16.
const inv = parseInventory(
  `cluster:
  domain: lxd
  bridge: lxdbr0
  subnet: 10.201.0.0/16
  overlay: { type: tinc, interface: peervpn0, network: lxd }
  dhcp: lxd1
hosts:
  - { name: lxd1, ssh: root@192.168.99.1, bridgeAddress: 10.201.1.1 }
  - { name: lxd2, ssh: root@192.168.99.2, bridgeAddress: 10.201.2.1 }
`,
  'lxd.yaml',
  { sshConfigText: '' },
);

/** Frame what a probe inside a container prints (sections from containers.innerProbeScript). */
function probe(
  container: string,
  tools: string,
  blocks: { key: string; rc: number; text: string }[],
): RawOutput {
  const body = blocks.map((b) => `##PING ${b.key} rc=${b.rc}\n${b.text}`).join('\n');
  return {
    command: `lxc exec ${container} -- sh -c '...'`,
    stdout: `##CT ${container}\n##TOOLS ${tools}\n${body}\n`,
    stderr: '',
    exitCode: 0,
  };
}

const lxcList = (file: string) => ({ ...section(file), stderr: 'lxdcheck-client: lxc\n' });

function facts(extra1: Record<string, RawOutput> = {}, extra2: Record<string, RawOutput> = {}) {
  const lxd1 = hostFacts(inv, 'lxd1', {
    'lxc-list': lxcList('lxc/lxd-running-list.json'),
    leases: section(
      `text:==> /var/lib/lxd/networks/lxdbr0/dnsmasq.leases <==\n${fixture('dnsmasq/lxd-running-root-lxd-leases.txt')}`,
    ),
    ...extra1,
  });
  const lxd2 = hostFacts(inv, 'lxd2', { 'lxc-list': lxcList('lxc/lxd-move-after-list-d2.json'), ...extra2 });
  return context(inv, [lxd1, lxd2]);
}

test('lxc list answered on both hosts; stopped containers are not probed', (t) => {
  const ctx = facts();
  t.is(containersListed.judge({ host: 'lxd1' }, ctx).status, 'pass');
  t.regex(
    containersListed.judge({ host: 'lxd2' }, ctx).summary,
    /3 containers, 2 running \(LXD via lxc; detected: lxc answered\)/,
  );
  const subjects = containersAddress.subjects?.(ctx) ?? [];
  t.deepEqual(
    subjects.map((s) => `${s.container}@${s.host}`),
    ['c1@lxd1', 'c3@lxd1', 'c1@lxd2', 'c2@lxd2'],
  );
});

test('LXD not running (no socket) is a warning that names the host; another lxc error is a failure', (t) => {
  const noSocket = {
    command: 'lxc list',
    stdout: '',
    stderr:
      'lxdcheck-client: lxc\nError: Get "http://unix.socket/1.0": dial unix /var/lib/lxd/unix.socket: connect: no such file or directory\n',
    exitCode: 1,
  };
  const ctx = facts({ 'lxc-list': noSocket });
  t.is(containersListed.judge({ host: 'lxd1' }, ctx).status, 'warn');
  const hung = {
    command: 'lxc list',
    stdout: '',
    stderr: 'lxdcheck-client: lxc\n',
    exitCode: 124,
    timedOut: true,
  };
  t.is(containersListed.judge({ host: 'lxd1' }, facts({ 'lxc-list': hung })).status, 'fail');
});

test('leases: a container the one dnsmasq leased passes; one with no lease for its MAC fails', (t) => {
  const ctx = facts();
  const c1 = containersLease.judge({ host: 'lxd1', container: 'c1' }, ctx);
  t.is(c1.status, 'pass');
  t.regex(c1.summary, /lease 10\.201\.1\.201 for 00:16:3e:8d:6d:bd as c1/);
  const c2 = containersLease.judge({ host: 'lxd2', container: 'c2' }, ctx);
  t.is(c2.status, 'fail');
  t.regex(c2.summary, /no lease for c2 \(00:16:3e:5e:29:88\)/);
  // c1 moved to lxd2 keeps its MAC, but holds an address the lease does not say.
  const moved = containersLease.judge({ host: 'lxd2', container: 'c1' }, ctx);
  t.is(moved.status, 'fail');
  t.regex(moved.summary, /lease says 10\.201\.1\.201, but LXD reports 10\.201\.2\.201/);
});

test('the same name on two hosts: duplicate-name fails, says which one the name reaches, and how to rename', (t) => {
  const getent = fixture('misc/healthy-c1-getent-ahostsv4-c3.txt')
    .replace(/172\.16\.134\.84/g, '10.201.1.201')
    .replace(/c3\.lxd/g, 'c1.lxd');
  const ctx = facts(
    {},
    { 'ct-0': probe('c2', 'ping getent python3', [{ key: 'dns c1.lxd', rc: 0, text: getent }]) },
  );
  const v = containersDuplicateName.judge({}, ctx);
  t.is(v.status, 'fail');
  t.regex(
    v.summary,
    /c1 exists on lxd1 and lxd2; c1\.lxd resolves to 10\.201\.1\.201 \(c1@lxd1\), so c1@lxd2 is unreachable by name/,
  );
  t.true(v.hint?.fix?.some((f) => f.startsWith('on lxd2: lxc stop c1 && lxc move c1 c1-lxd2')) ?? false);
  const dns = containersDns.judge({ host: 'lxd2', container: 'c1' }, ctx);
  t.is(dns.status, 'fail');
  t.regex(dns.summary, /c1\.lxd resolves to 10\.201\.1\.201 \(c1@lxd1\), but c1@lxd2 has 10\.201\.2\.201/);
});

test('the duplicate-hostname lease case from the dnsmasq log (two MACs, one name) is found without lxc', (t) => {
  const bed = parseInventory(
    'cluster:\n  subnet: 172.16.0.0/16\n  overlay: { type: tinc, interface: peervpn0 }\n  dhcp: lxd1\nhosts:\n  - { name: lxd1, ssh: root@192.168.99.1, bridgeAddress: 172.16.0.1 }\n',
    'bed.yaml',
    { sshConfigText: '' },
  );
  const f = hostFacts(bed, 'lxd1', {
    leases: section(
      `text:==> /var/lib/misc/dnsmasq.leases <==\n${fixture('dnsmasq/fault-dup-lxd1-leases.txt')}`,
    ),
    'dnsmasq-log': section('dnsmasq/fault-dup-lxd1-log.txt'),
  });
  const v = containersDuplicateName.judge({}, context(bed, [f]));
  t.is(v.status, 'fail');
  t.regex(v.summary, /hostname dup was leased to 02:00:00:00:0d:0[ab].* and 02:00:00:00:0d:0[ab]/);
});

test('a container without ping is a SKIP naming the package, never a pass', (t) => {
  const ctx = facts({ 'ct-0': probe('c1', 'getent', []) });
  const v = containersPingIp.judge({ host: 'lxd1', container: 'c1', peer: 'lxd2', peerContainer: 'c2' }, ctx);
  t.is(v.status, 'skip');
  t.regex(v.summary, /c1 has no ping \(install iputils-ping in the container\)/);
});

test('by name fails on a resolution error while by address passes (dnsmasq down)', (t) => {
  const ctx = facts({
    'ct-0': probe('c1', 'ping getent', [
      { key: 'ip 10.201.2.62', rc: 0, text: fixture('ping/healthy-c1-ping-c3-ip.txt') },
      {
        key: 'name c2.lxd',
        rc: 2,
        text: fixture('ping/fault-nodns-c1-ping-c3-name.txt').replace('c3', 'c2'),
      },
      { key: 'dns c2.lxd', rc: 2, text: '' },
    ]),
  });
  const s = { host: 'lxd1', container: 'c1', peer: 'lxd2', peerContainer: 'c2' };
  t.is(containersPingIp.judge(s, ctx).status, 'pass');
  const byName = containersPingName.judge(s, ctx);
  t.is(byName.status, 'fail');
  t.regex(byName.summary, /c2\.lxd does not resolve \(Temporary failure in name resolution\)/);
});

test('an lxc exec that failed is an error with LXD’s message', (t) => {
  const failed = {
    command: "lxc exec c1 -- sh -c '...'",
    stdout: '',
    stderr: fixture('lxc/lxd-one-stopped-exec-c3-error.txt'),
    exitCode: 1,
  };
  const v = containersPingIp.judge(
    { host: 'lxd1', container: 'c1', peer: 'lxd2', peerContainer: 'c2' },
    facts({ 'ct-0': failed }),
  );
  t.is(v.status, 'error');
  t.regex(v.summary, /lxc exec c1 failed \(exit 1: Error: Instance is not running\)/);
});

test('sampling is deterministic and still reaches every host', (t) => {
  const mk = (name: string, host: string): PlacedContainer => ({
    name,
    host,
    info: { name, status: 'Running', running: true, ipv4: ['10.0.0.1'], ipv6: [], nics: {} },
  });
  const all = Array.from({ length: 40 }, (_, i) => mk(`c${i}`, `lxd${(i % 5) + 1}`));
  const a = targetsFor(all[0]!, all, 6).map((c) => c.name);
  const b = targetsFor(all[0]!, all, 6).map((c) => c.name);
  t.deepEqual(a, b);
  t.is(a.length, 6);
  t.deepEqual(new Set(targetsFor(all[0]!, all, 6).map((c) => c.host)).size, 5);
  t.is(targetsFor(all[0]!, all.slice(0, 10)).length, 9, 'small clusters: all pairs');
});

test('duplicate-name does not pass when a host’s lxc list was not read (hung, killed at its bound)', (t) => {
  const hung: RawOutput = {
    command: 'lxc list --format json',
    stdout: '',
    stderr: '',
    exitCode: 124,
    timedOut: true,
  };
  const v = containersDuplicateName.judge({}, facts({}, { 'lxc-list': hung }));
  t.is(v.status, 'skip');
  t.regex(v.summary, /lxd2 \(timed out\)/);
});

test('a ping that lost its first round and answered the confirming one is a loss, not a failure', (t) => {
  const ctx = facts({
    'ct-0': probe('c1', 'ping getent', [
      {
        key: 'ip 10.201.2.10',
        rc: 1,
        text: '2 packets transmitted, 0 received, 100% packet loss, time 1001ms',
      },
      {
        key: 'confirm ip 10.201.2.10',
        rc: 0,
        text: '2 packets transmitted, 2 received, 0% packet loss, time 201ms\nrtt min/avg/max/mdev = 0.1/0.2/0.3/0.1 ms',
      },
    ]),
  });
  const r = ctx.hosts.get('lxd1')?.containerProbes[0]?.byIp.get('10.201.2.10');
  t.is(r?.sent, 4);
  t.is(r?.received, 2);
  t.deepEqual(r?.confirmRound, { sent: 2, received: 2, lostAgain: false });
});

test('duplicate-name is a SKIP, never a PASS, when a host’s lxc list was not read', (t) => {
  const c1only = JSON.stringify([{ name: 'c1', status: 'Running' }]);
  const lxd1 = hostFacts(inv, 'lxd1', {
    'lxc-list': { command: 'lxc list', stdout: c1only, stderr: '', exitCode: 0 },
  });
  const killed = { command: 'lxc list', stdout: '', stderr: '', exitCode: null, timedOut: true };
  const lxd2 = hostFacts(inv, 'lxd2', { 'lxc-list': killed });
  const v = containersDuplicateName.judge({}, context(inv, [lxd1, lxd2]));
  t.is(v.status, 'skip');
  t.regex(v.summary, /lxc list was not read on lxd2/);
  // A host with no LXD client (exit 127) has no containers: that is an answer.
  const noLxd = hostFacts(inv, 'lxd2', {
    'lxc-list': { command: 'lxc list', stdout: '', stderr: '', exitCode: 127 },
  });
  t.is(containersDuplicateName.judge({}, context(inv, [lxd1, noLxd])).status, 'pass');
});
