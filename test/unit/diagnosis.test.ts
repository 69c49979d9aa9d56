import test from 'ava';
import { allChecks } from '../../src/checks/index.js';
import { diagnose, diagnoseRun } from '../../src/diagnosis/index.js';
import type { GatherResult } from '../../src/facts/types.js';
import { parseInventory } from '../../src/inventory/load.js';
import {
  type CheckResult,
  type Diagnosis,
  type Status,
  type Subject,
  subjectLabel,
} from '../../src/model.js';
import { replayBundle } from '../helpers/replay.js';

async function replay(name: string, edit?: (g: Map<string, GatherResult>) => void) {
  const outcome = await replayBundle(name, edit);
  return { ...outcome, diagnosis: outcome.diagnosis as Diagnosis };
}

const failing = (rs: CheckResult[]) => rs.filter((r) => r.status === 'fail' || r.status === 'error');

/** Every failure is a root or names a root that exists; every root lists exactly its consequences. */
function assertConsistent(t: import('ava').ExecutionContext, results: CheckResult[], d: Diagnosis) {
  const roots = new Set(d.rootCauses.map((c) => c.key));
  for (const r of failing(results)) {
    t.true(r.root === true || (r.causedBy !== undefined && roots.has(r.causedBy)), `unexplained: ${r.id}`);
  }
  const explained = d.rootCauses.flatMap((c) => c.explains);
  t.is(new Set(explained).size, explained.length, 'each consequence under one root');
  for (const r of results.filter((x) => x.causedBy !== undefined)) {
    t.falsy(r.hint?.fix?.length, `a consequence offers no fix of its own: ${r.id}`);
  }
}

const faults: [bundle: string, check: string, host: string | undefined][] = [
  ['nolxd-service-order', 'service-order.vpn-after-bridge', 'lxd2'],
  ['nolxd-peer-down', 'overlay.daemon', 'lxd3'],
  ['nolxd-overlay-not-bridged', 'overlay.member', 'lxd2'],
  ['nolxd-dns-down', 'dhcp.single', 'lxd1'],
  ['nolxd-second-dhcp', 'dhcp.single', 'lxd2'],
  ['nolxd-mtu', 'bridge.mtu', 'lxd2'],
  ['nolxd-route-missing', 'routes.overlay', 'lxd3'],
  ['nolxd-bridge-address-conflict', 'bridge.address', 'lxd3'],
  ['nolxd-duplicate-name', 'containers.duplicate-name', undefined],
  // With real LXD containers: container pings, names, leases and multicast fold under the host's fault too.
  ['lxd-service-order', 'service-order.vpn-after-bridge', 'lxd2'],
  ['lxd-peer-down', 'overlay.daemon', 'lxd3'],
  ['lxd-overlay-not-bridged', 'overlay.member', 'lxd2'],
  ['lxd-dns-down', 'dhcp.single', 'lxd1'],
  ['lxd-mtu', 'bridge.mtu', 'lxd2'],
  ['lxd-bridge-address-conflict', 'bridge.address', 'lxd3'],
  ['lxd-duplicate-name', 'containers.duplicate-name', undefined],
  ['lxd-multicast-blocked', 'multicast.containers', 'lxd2'],
];

for (const [bundle, check, host] of faults) {
  test(`${bundle}: one root cause, ${check} on ${host ?? 'the cluster'}, explaining every other failure`, async (t) => {
    const { results, diagnosis } = await replay(bundle);
    t.is(diagnosis.rootCauses.length, 1, diagnosis.rootCauses.map((c) => c.key).join(', '));
    const [root] = diagnosis.rootCauses;
    t.is(root?.check, check);
    t.is(root?.host, host);
    t.true((root?.fix.length ?? 0) > 0, 'the root carries its fix');
    const others = failing(results).filter((r) => !r.root);
    t.deepEqual(
      others.filter((r) => !root?.explains.includes(`${r.id} ${subjectLabel(r.subject)}`.trim())),
      [],
      'every other failure is folded under it',
    );
    assertConsistent(t, results, diagnosis);
  });
}

test('healthy lab: no root causes, nothing annotated', async (t) => {
  const { results, diagnosis } = await replay('nolxd-healthy');
  t.deepEqual(diagnosis.rootCauses, []);
  t.false(results.some((r) => r.root || r.causedBy));
});

test('multicast blocked on a --no-lxd lab (no containers to probe): no failure, no root', async (t) => {
  const { diagnosis } = await replay('nolxd-multicast-blocked');
  t.deepEqual(diagnosis.rootCauses, []);
});

for (const bundle of ['nolxd-two-faults', 'lxd-two-faults'])
  test(`${bundle}: two faults on two hosts, two root causes, each folding only its own consequences`, async (t) => {
    const { results, diagnosis } = await replay(bundle);
    const byHost = new Map(diagnosis.rootCauses.map((c) => [c.host, c]));
    t.is(diagnosis.rootCauses.length, 2);
    t.is(byHost.get('lxd2')?.check, 'service-order.vpn-after-bridge');
    t.is(byHost.get('lxd3')?.check, 'overlay.daemon');
    // What lxd3's root explains is about lxd3 (as subject, peer or a missing peer); likewise for lxd2.
    for (const host of ['lxd2', 'lxd3']) {
      const root = byHost.get(host)!;
      for (const x of results.filter((x) => x.causedBy === root.key)) {
        const about = [x.subject.host, x.subject.peer, ...(x.involves ?? [])];
        t.true(about.includes(host), `${x.id} ${subjectLabel(x.subject)} blamed on ${host}`);
      }
    }
    assertConsistent(t, results, diagnosis);
  });

test('an unreachable host: its SSH failure is the root of everything that touches it', async (t) => {
  const { results, diagnosis } = await replay('nolxd-peer-down', (g) => {
    g.set('lxd3', {
      host: 'lxd3',
      reachable: false,
      connectError: 'connect ETIMEDOUT 192.168.99.3:22',
      connectErrorKind: 'timeout',
      raw: {},
      durationMs: 10000,
    });
  });
  t.is(diagnosis.rootCauses.length, 1, diagnosis.rootCauses.map((c) => c.key).join(', '));
  t.is(diagnosis.rootCauses[0]?.check, 'ssh.reachable');
  t.is(diagnosis.rootCauses[0]?.host, 'lxd3');
  assertConsistent(t, results, diagnosis);
});

// Synthetic results, for what the lab bundles cannot show.

const inv = parseInventory(
  `cluster:
  name: t
  domain: lxd
  bridge: lxdbr0
  subnet: 172.16.0.0/16
  overlay: { type: tinc, interface: peervpn0 }
  dhcp: h1
hosts:
  - { name: h1, ssh: root@192.0.2.1, bridgeAddress: 172.16.0.1 }
  - { name: h2, ssh: root@192.0.2.2, bridgeAddress: 172.16.0.2 }
  - { name: h3, ssh: root@192.0.2.3, bridgeAddress: 172.16.0.3 }
  - { name: h4, ssh: root@192.0.2.4, bridgeAddress: 172.16.0.4 }
`,
  'synthetic.yaml',
);

function r(id: string, subject: Subject, status: Status, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    title: id,
    subject,
    status,
    summary: `${id} ${status}`,
    evidence: [],
    durationMs: 0,
    ...extra,
  };
}

function pairs(id: string, bad: (a: string, b: string) => boolean): CheckResult[] {
  const hs = ['h1', 'h2', 'h3', 'h4'];
  return hs.flatMap((a) =>
    hs.filter((b) => b !== a).map((b) => r(id, { host: a, peer: b }, bad(a, b) ? 'fail' : 'pass')),
  );
}

test('pairs that all touch one host, with nothing on it to say why: that host is the inferred root', (t) => {
  const results = pairs('multicast.containers', (a, b) => a === 'h3' || b === 'h3');
  const { diagnosis } = diagnoseRun(results, inv, allChecks);
  t.is(diagnosis.rootCauses.length, 1);
  const [root] = diagnosis.rootCauses;
  t.is(root?.host, 'h3');
  t.true(root?.inferred);
  t.is(root?.explains.length, 6);
  t.regex(root?.fix.join('\n') ?? '', /nft list ruleset.*on h3/);
});

test('every pair failing is a cluster-wide root, not one per host', (t) => {
  const results = pairs('multicast.containers', () => true);
  const { diagnosis } = diagnoseRun(results, inv, allChecks);
  t.is(diagnosis.rootCauses.length, 1);
  t.is(diagnosis.rootCauses[0]?.host, undefined);
  t.is(diagnosis.rootCauses[0]?.explains.length, 12);
});

test('a failure nothing explains stays a root cause of its own (never hidden)', (t) => {
  const results = [
    r('overlay.member', { host: 'h2' }, 'fail', { hint: { fix: ['ip link set peervpn0 master lxdbr0'] } }),
    ...pairs('mesh.bridge', (a, b) => a === 'h2' || b === 'h2'),
    r('routes.default', { host: 'h4' }, 'fail'),
    r('mesh.pmtu', { host: 'h1', peer: 'h4' }, 'fail'),
  ];
  const { diagnosis, results: annotated } = diagnoseRun(results, inv, allChecks);
  const keys = diagnosis.rootCauses.map((c) => c.key).sort();
  t.deepEqual(keys, ['mesh.pmtu h1->h4', 'overlay.member h2', 'routes.default h4']);
  t.is(diagnosis.rootCauses.find((c) => c.key === 'overlay.member h2')?.explains.length, 6);
  t.is(annotated.find((x) => x.id === 'routes.default')?.root, true);
});

test('a cause the check named counts only when that result really failed', (t) => {
  const named = { check: 'containers.duplicate-name', subject: {} };
  const lonely = diagnose([r('containers.dns', { host: 'h1', container: 'c1' }, 'fail', { cause: named })], {
    dhcpHost: 'h1',
    roleOf: () => undefined,
  });
  t.is(lonely.diagnosis.rootCauses[0]?.check, 'containers.dns');
  const withDup = diagnose(
    [
      r('containers.dns', { host: 'h1', container: 'c1' }, 'fail', { cause: named }),
      r('containers.duplicate-name', {}, 'fail'),
    ],
    { dhcpHost: 'h1', roleOf: () => undefined },
  );
  t.deepEqual(
    withDup.diagnosis.rootCauses.map((c) => [c.check, c.explains]),
    [['containers.duplicate-name', ['containers.dns c1@h1']]],
  );
});

test('the one dnsmasq down explains DNS failures on every host, and a warning is folded, not counted', (t) => {
  const results = [
    r('dhcp.single', {}, 'fail', { involves: ['h1'], breaks: ['dns'] }),
    r('dns.answers', { host: 'h1' }, 'fail', { breaks: ['dns'] }),
    r('dns.answers', { host: 'h2' }, 'fail'),
    r('dns.answers', { host: 'h3' }, 'warn'),
    r('containers.ping-name', { host: 'h4', container: 'c4', peer: 'h2', peerContainer: 'c2' }, 'fail'),
  ];
  const { diagnosis, results: annotated } = diagnoseRun(results, inv, allChecks);
  t.is(diagnosis.rootCauses.length, 1);
  t.is(diagnosis.rootCauses[0]?.host, 'h1');
  t.is(diagnosis.rootCauses[0]?.explains.length, 4);
  t.is(annotated.find((x) => x.subject.host === 'h3')?.causedBy, 'dhcp.single');
});

test('a psk that differs on one host: overlay.psk is the one root, on that host, and explains its peers and pings', (t) => {
  const results = [
    r('overlay.psk', {}, 'fail', { involves: ['h3'], hint: { fix: ['copy the psk line from h1'] } }),
    r('overlay.peers', { host: 'h3' }, 'fail', { breaks: ['l2'] }),
    r('overlay.peers', { host: 'h1' }, 'fail', { involves: ['h3'] }),
    r('overlay.peers', { host: 'h2' }, 'fail', { involves: ['h3'] }),
    ...pairs('mesh.bridge', (a, b) => a === 'h3' || b === 'h3'),
  ];
  const { diagnosis } = diagnoseRun(results, inv, allChecks);
  t.deepEqual(
    diagnosis.rootCauses.map((c) => [c.check, c.host, c.explains.length]),
    [['overlay.psk', 'h3', 9]],
  );
});
