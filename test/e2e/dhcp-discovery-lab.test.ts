/**
 * Active DHCP discovery against the real lab, over real SSH: in a healthy lab
 * the one dnsmasq is the only server that answers, a DHCP server inside a
 * container (in no host's process list) is found and named by its address,
 * and no lease is ever taken from either.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { labBreak, labHeal } from '../../src/lab/index.js';
import { readLabState } from '../../src/lab/state.js';
import type { CheckResult, Diagnosis } from '../../src/model.js';
import { cli, labForFile, quietLog as log } from '../helpers/e2e.js';

const { lab, dir, inventoryFile } = await labForFile(
  test,
  { hosts: 3, overlay: 'tinc', lxd: false, containers: 3 },
  'dhcp-discovery',
);

async function lxdcheck(): Promise<{ code: number; results: CheckResult[]; diagnosis: Diagnosis }> {
  const json = join(dir, `results-${Date.now()}.json`);
  const r = await cli(['run', '-i', inventoryFile, '--reporter', `json:${json}`], 60_000);
  const doc = JSON.parse(readFileSync(json, 'utf8')) as { results: CheckResult[]; diagnosis: Diagnosis };
  return { code: r.code, results: doc.results, diagnosis: doc.diagnosis };
}

/** The one dnsmasq's lease file on lxd1, as bytes hashed. */
async function leaseFileHash(): Promise<string> {
  const s = await readLabState();
  const lxd1 = s?.hosts.find((h) => h.name === 'lxd1');
  if (!lxd1) throw new Error('no lxd1 in the lab state');
  return createHash('sha256')
    .update(readFileSync(`${lxd1.dir}/misc/dnsmasq.leases`))
    .digest('hex');
}

const dhcpSingle = (results: CheckResult[]) => {
  const r = results.find((x) => x.id === 'dhcp.single');
  if (!r) throw new Error('no dhcp.single result');
  return r;
};
/** The discovery's evidence: one line per server that answered. */
const discovered = (r: CheckResult) =>
  (r.evidence.find((e) => e.note?.includes('DHCPDISCOVER'))?.excerpt ?? '').split('\n').filter(Boolean);

lab('healthy lab: exactly one server answers, the one dnsmasq, and no lease is taken', async (t) => {
  const before = await leaseFileHash();
  const o = await lxdcheck();
  const r = dhcpSingle(o.results);
  t.is(r.status, 'pass', r.summary);
  t.regex(r.summary, /a DHCPDISCOVER from lxd2 was answered by lxd1's dnsmasq alone/);
  const servers = discovered(r);
  t.is(servers.length, 1, servers.join('\n'));
  t.regex(servers[0] ?? '', /^server id 172\.16\.0\.1, MAC 02:16:00:00:00:01 on host lxd1 /);
  t.is(await leaseFileHash(), before, "the one dnsmasq's lease file did not change");
});

lab('container-dhcp on lxd2: the server inside c2 is found and named by its address and MAC', async (t) => {
  const detail = await labBreak('container-dhcp', { host: 'lxd2' });
  try {
    const address = /address (\d+\.\d+\.\d+\.\d+)\)/.exec(detail)?.[1];
    const mac = /MAC ([0-9a-f:]{17})/.exec(detail)?.[1];
    t.truthy(address && mac, detail);
    const before = await leaseFileHash();
    const o = await lxdcheck();
    t.is(o.code, 1);
    const r = dhcpSingle(o.results);
    t.is(r.status, 'fail');
    t.true(r.summary.includes(`server id ${address}, MAC ${mac}`), r.summary);
    // c2's MAC is learned on its veth (lxlab-c2) in lxd2's bridge, and it holds a lease as c2.
    t.regex(
      r.summary,
      /a DHCP server on c2 \(behind port lxlab-c2 of lxd2; it holds a lease from the one dnsmasq\) answers on lxdbr0/,
    );
    t.regex(r.summary, /offered 172\.16\.201\.\d+/);
    t.notRegex(r.summary, /also serves DHCP/, 'no host process list shows it');
    t.is(discovered(r).length, 2);
    t.true((r.hint?.fix ?? []).some((f) => f.startsWith('ip -d link show lxlab-c2   # on lxd2')));
    t.is(await leaseFileHash(), before, "the one dnsmasq's lease file did not change");
    const s = await readLabState();
    const rogue = s?.faults.find((f) => f.name === 'container-dhcp')?.data?.dir;
    t.is(
      readFileSync(`${String(rogue)}/dnsmasq.leases`, 'utf8'),
      '',
      'the rogue server leased nothing either',
    );
    // Only the DHCP check notices; nothing else in the cluster is broken.
    const failing = o.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => x.id);
    t.deepEqual(failing, ['dhcp.single']);
    // The diagnosis files it under the host the rogue server sits behind.
    t.deepEqual(
      o.diagnosis.rootCauses.map((c) => [c.check, c.host]),
      [['dhcp.single', 'lxd2']],
    );
  } finally {
    await labHeal(log);
  }
});

lab('after healing, the one dnsmasq is alone again', async (t) => {
  const r = dhcpSingle((await lxdcheck()).results);
  t.is(r.status, 'pass', r.summary);
  t.is(discovered(r).length, 1);
});
