/**
 * lxdcheck against the real lab, over real SSH: a healthy lab passes, and
 * each injected fault makes exactly the checks that should fail fail, with
 * the right host named and a fix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { labBreak, labHeal } from '../../src/lab/index.js';
import type { CheckResult, Diagnosis } from '../../src/model.js';
import { subjectLabel } from '../../src/model.js';
import { cli, labForFile, quietLog as log } from '../helpers/e2e.js';

const { lab, dir, inventoryFile } = await labForFile(
  test,
  { hosts: 3, overlay: 'tinc', lxd: false, containers: 3 },
  'checks',
);

interface RunOutput {
  code: number;
  results: CheckResult[];
  diagnosis: Diagnosis;
  tap: string;
  human: string;
}

async function lxdcheck(...extra: string[]): Promise<RunOutput> {
  const stamp = Date.now();
  const json = join(dir, `results-${stamp}.json`);
  const human = join(dir, `human-${stamp}.txt`);
  const r = await cli(
    [
      'run',
      '-i',
      inventoryFile,
      '--reporter',
      'tap',
      '--reporter',
      `json:${json}`,
      '--reporter',
      `human:${human}`,
      '--no-color',
      ...extra,
    ],
    60_000,
  );
  const doc = JSON.parse(readFileSync(json, 'utf8')) as { results: CheckResult[]; diagnosis: Diagnosis };
  return {
    code: r.code,
    results: doc.results,
    diagnosis: doc.diagnosis,
    tap: r.stdout,
    human: readFileSync(human, 'utf8'),
  };
}

/**
 * The diagnosis names exactly one root cause, the fault's, on the faulted host;
 * every other failure is folded under it; the human report's first problem is it.
 */
function assertRootCause(t: import('ava').ExecutionContext, o: RunOutput, check: string, host: string) {
  const roots = o.diagnosis.rootCauses;
  t.deepEqual(
    roots.map((c) => [c.check, c.host]),
    [[check, host]],
    `root causes: ${roots.map((c) => c.key).join(', ')}`,
  );
  const explained = new Set(roots[0]?.explains ?? []);
  for (const r of o.results.filter((x) => x.status === 'fail' || x.status === 'error')) {
    if (r.root) continue;
    t.true(explained.has(key(r)), `${key(r)} is folded under the root cause`);
    t.is(r.causedBy, roots[0]?.key);
  }
  const first = o.human.split('\n').find((l) => /^✗ 1\./.test(l)) ?? '';
  t.true(first.startsWith(`✗ 1.  ${host}: `), first);
  t.regex(o.tap, new RegExp(`cause: ${roots[0]?.key.replace(/[.>]/g, (c) => `\\${c}`)}`));
}

const key = (r: CheckResult) => `${r.id} ${subjectLabel(r.subject)}`.trim();
const failing = (o: RunOutput) =>
  o.results
    .filter((r) => r.status === 'fail' || r.status === 'error')
    .map(key)
    .sort();

/** Every expected failure is there, and nothing fails outside expected ∪ allowed. */
function assertFailures(
  t: import('ava').ExecutionContext,
  o: RunOutput,
  expected: string[],
  allowed: RegExp[] = [],
) {
  const got = failing(o);
  for (const e of expected) t.true(got.includes(e), `expected ${e} to fail; failing: ${got.join(', ')}`);
  const extra = got.filter((g) => !expected.includes(g) && !allowed.some((a) => a.test(g)));
  t.deepEqual(extra, [], `unexpected failures: ${extra.join(', ')}`);
  t.is(o.code, 1);
  for (const r of o.results.filter((x) => x.status === 'fail')) {
    t.truthy(r.hint?.fix?.length || r.hint?.why, `${key(r)} has a hint`);
  }
}

function result(o: RunOutput, k: string): CheckResult {
  const r = o.results.find((x) => key(x) === k);
  if (!r) throw new Error(`no result ${k}`);
  return r;
}

lab('healthy lab: exit 0, nothing fails, one SSH connection per host', async (t) => {
  const o = await lxdcheck();
  t.deepEqual(failing(o), []);
  t.is(o.code, 0);
  t.true(o.results.filter((r) => r.id === 'ssh.reachable').every((r) => r.status === 'pass'));
  t.true(o.results.some((r) => r.id === 'mesh.bridge' && r.status === 'pass'));
  t.regex(o.tap, /^TAP version 14\n/);
});

lab('service-order on lxd2: the tap is off the bridge and the log explains why', async (t) => {
  await labBreak('service-order', { host: 'lxd2' });
  try {
    const o = await lxdcheck();
    assertFailures(
      t,
      o,
      ['overlay.member lxd2', 'service-order.vpn-after-bridge lxd2', 'mesh.bridge lxd1->lxd2'],
      [/^mesh\.(bridge|pmtu) lxd\d->lxd\d$/, /^dns\.answers lxd2$/],
    );
    t.is(result(o, 'overlay.peers lxd1').status, 'pass', 'the VPN link is fine: the cause is local to lxd2');
    const so = result(o, 'service-order.vpn-after-bridge lxd2');
    t.regex(so.summary, /bridge did not exist/);
    t.true(so.hint?.fix?.some((f) => f.startsWith('ip link set peervpn0 master lxdbr0')) ?? false);
    assertRootCause(t, o, 'service-order.vpn-after-bridge', 'lxd2');
  } finally {
    await labHeal(log);
  }
});

lab('overlay-not-bridged on lxd2: overlay.member fails, service order is not blamed', async (t) => {
  await labBreak('overlay-not-bridged', { host: 'lxd2' });
  try {
    const o = await lxdcheck();
    assertFailures(
      t,
      o,
      ['overlay.member lxd2'],
      [/^mesh\.(bridge|pmtu) lxd\d->lxd\d$/, /^dns\.answers lxd2$/],
    );
    t.is(result(o, 'service-order.vpn-after-bridge lxd2').status, 'pass');
    assertRootCause(t, o, 'overlay.member', 'lxd2');
  } finally {
    await labHeal(log);
  }
});

lab('peer-down on lxd3: its daemon is gone and the others name it as the missing peer', async (t) => {
  await labBreak('peer-down', { host: 'lxd3' });
  try {
    const o = await lxdcheck();
    assertFailures(
      t,
      o,
      ['overlay.daemon lxd3', 'overlay.peers lxd1', 'overlay.peers lxd2', 'mesh.bridge lxd1->lxd3'],
      [/^overlay\.(exists|peers) lxd3$/, /^mesh\.(bridge|pmtu) lxd\d->lxd\d$/, /^dns\.answers lxd3$/],
    );
    t.regex(result(o, 'overlay.peers lxd1').summary, /lxd3/);
    assertRootCause(t, o, 'overlay.daemon', 'lxd3');
  } finally {
    await labHeal(log);
  }
});

lab('second-dhcp on lxd2: dhcp.single fails naming lxd2', async (t) => {
  await labBreak('second-dhcp', { host: 'lxd2' });
  try {
    const o = await lxdcheck();
    assertFailures(t, o, ['dhcp.single']);
    t.regex(result(o, 'dhcp.single').summary, /lxd2 also serves DHCP/);
    t.deepEqual(
      o.diagnosis.rootCauses.map((c) => [c.check, c.host]),
      [['dhcp.single', 'lxd2']],
    );
  } finally {
    await labHeal(log);
  }
});

lab('dns-down: no DHCP server and no DNS answers from any host', async (t) => {
  await labBreak('dns-down');
  try {
    const o = await lxdcheck();
    assertFailures(t, o, ['dhcp.single', 'dns.answers lxd1', 'dns.answers lxd2', 'dns.answers lxd3']);
    t.regex(result(o, 'dhcp.single').summary, /no DHCP server runs on lxd1/);
    assertRootCause(t, o, 'dhcp.single', 'lxd1');
  } finally {
    await labHeal(log);
  }
});

lab('route-missing on lxd3: routes.overlay fails on lxd3 only', async (t) => {
  await labBreak('route-missing', { host: 'lxd3' });
  try {
    const o = await lxdcheck();
    assertFailures(t, o, ['routes.overlay lxd3']);
    t.deepEqual(
      o.diagnosis.rootCauses.map((c) => [c.check, c.host]),
      [['routes.overlay', 'lxd3']],
    );
  } finally {
    await labHeal(log);
  }
});

lab('mtu on lxd2: bridge.mtu fails there and full-size frames from lxd2 are refused', async (t) => {
  await labBreak('mtu', { host: 'lxd2' });
  try {
    const o = await lxdcheck();
    assertFailures(
      t,
      o,
      ['bridge.mtu lxd2', 'mesh.pmtu lxd2->lxd1', 'mesh.pmtu lxd2->lxd3'],
      [/^mesh\.pmtu lxd\d->lxd2$/],
    );
    t.regex(result(o, 'mesh.pmtu lxd2->lxd1').summary, /largest that passes: 1400/);
    assertRootCause(t, o, 'bridge.mtu', 'lxd2');
  } finally {
    await labHeal(log);
  }
});

lab('bridge-address-conflict on lxd3: both holders are named, lxd3 lost its own address', async (t) => {
  await labBreak('bridge-address-conflict', { host: 'lxd3' });
  try {
    const o = await lxdcheck();
    assertFailures(
      t,
      o,
      ['bridge.unique-address', 'bridge.address lxd3'],
      // Both lxd2 and lxd3 answer ARP for 172.16.0.2: replies meant for lxd2 may land on lxd3.
      [/^mesh\.(bridge|pmtu) lxd\d->lxd\d$/, /^dns\.answers lxd[23]$/],
    );
    t.regex(result(o, 'bridge.unique-address').summary, /172\.16\.0\.2 is held by lxd2 and lxd3/);
    assertRootCause(t, o, 'bridge.address', 'lxd3');
  } finally {
    await labHeal(log);
  }
});

lab('two faults on two hosts at once: two root causes, each on its host', async (t) => {
  await labBreak('service-order', { host: 'lxd2' });
  await labBreak('peer-down', { host: 'lxd3' });
  try {
    const o = await lxdcheck();
    t.deepEqual(o.diagnosis.rootCauses.map((c) => [c.check, c.host]).sort(), [
      ['overlay.daemon', 'lxd3'],
      ['service-order.vpn-after-bridge', 'lxd2'],
    ]);
    const roots = new Set(o.diagnosis.rootCauses.map((c) => c.key));
    for (const r of o.results.filter((x) => x.status === 'fail' || x.status === 'error'))
      t.true(r.root === true || roots.has(r.causedBy ?? ''), `${key(r)} is tied to a root cause`);
  } finally {
    await labHeal(log);
  }
});

lab('after healing, the lab is healthy again', async (t) => {
  const o = await lxdcheck();
  t.deepEqual(o.diagnosis.rootCauses, []);
  t.deepEqual(failing(o), []);
  t.is(o.code, 0);
});
