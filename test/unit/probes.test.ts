/**
 * The probe sections run by a real sh against stub tools: pings that lost a
 * round get a confirming round for those targets only, in the same command;
 * the facts add both rounds up and the verdict says it was confirmed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { meshBridge } from '../../src/checks/mesh.js';
import { defaultSubjects } from '../../src/engine/plan.js';
import {
  containerSections,
  cutOffFrom,
  dnsServerDown,
  innerProbeScript,
  type PlacedContainer,
  parseContainerProbe,
} from '../../src/facts/containers.js';
import { parseDnsProbe } from '../../src/facts/host/dns.js';
import { MESH_FULL_LIMIT, meshPeers } from '../../src/facts/host/mesh.js';
import { parseLoad } from '../../src/facts/host/system.js';
import { overloadNote } from '../../src/facts/host-facts.js';
import { pingSection } from '../../src/facts/ping.js';
import { buildScript, newMarker, type Section, splitSections } from '../../src/facts/script.js';
import type { PingResult } from '../../src/facts/types.js';
import { context, fixture, hostFacts, inventory } from '../helpers/facts.js';
import { replayBundle } from '../helpers/replay.js';

const inv = inventory('tinc');

/** A stub fping: the first round prints a real capture (lxd3 silent), the confirming round a silent lxd3 again. */
function stubFping(firstRound: string, confirmRound: string): { dir: string; log: string } {
  const dir = mkdtempSync(join(os.tmpdir(), 'lxdcheck-probes-'));
  const log = join(dir, 'calls');
  writeFileSync(join(dir, 'first'), firstRound);
  writeFileSync(join(dir, 'confirm'), confirmRound);
  writeFileSync(
    join(dir, 'fping'),
    `#!/bin/sh\necho "$*" >> ${log}\ncase "$*" in *"-C 3"*) cat ${join(dir, 'first')} >&2 ;; *) cat ${join(dir, 'confirm')} >&2 ;; esac\nexit 1\n`,
  );
  chmodSync(join(dir, 'fping'), 0o755);
  return { dir, log };
}

function runWithPath(sections: Section[], dir: string) {
  const marker = newMarker();
  const r = spawnSync('sh', ['-c', buildScript(sections, marker)], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
  });
  return splitSections(sections, r.stdout, r.stderr, marker, false);
}

test('a silent peer is pinged a second time (only it), and mesh.bridge says the loss was confirmed', (t) => {
  const { dir, log } = stubFping(fixture('fping/fault-tinc-down-lxd1-C3-q.txt'), '172.16.0.3 : - -\n');
  const raw = runWithPath([pingSection('mesh-ping', ['172.16.0.2', '172.16.0.3'])], dir);
  const calls = readFileSync(log, 'utf8').trim().split('\n');
  t.is(calls.length, 2);
  // Second round: the lossy target only, its timeout ten times the slowest reply, at least 250 ms.
  t.regex(calls[1] ?? '', /-C 2 .*-t 250 172\.16\.0\.3$/);
  const f = hostFacts(inv, 'lxd1', raw);
  const r3 = f.mesh?.find((m) => m.target === '172.16.0.3');
  t.deepEqual(
    { sent: r3?.sent, received: r3?.received, confirm: r3?.confirmRound },
    { sent: 5, received: 0, confirm: { sent: 2, received: 0, lostAgain: true } },
  );
  t.is(f.mesh?.find((m) => m.target === '172.16.0.2')?.confirmRound, undefined);
  const ctx = context(inv, [f]);
  const v = meshBridge.judge({ host: 'lxd1', peer: 'lxd3' }, ctx);
  t.is(v.status, 'fail');
  t.regex(v.evidence?.[0]?.note ?? '', /loss confirmed by a second round/);
  t.is(meshBridge.judge({ host: 'lxd1', peer: 'lxd2' }, ctx).status, 'pass');
});

test('a reply lost in the first round and answered in the second is a warning, not a failure', (t) => {
  const { dir } = stubFping(
    '172.16.0.2 : 0.312 0.365 0.289\n172.16.0.3 : - - -\n',
    '172.16.0.3 : 0.30 0.28\n',
  );
  const f = hostFacts(
    inv,
    'lxd1',
    runWithPath([pingSection('mesh-ping', ['172.16.0.2', '172.16.0.3'])], dir),
  );
  const v = meshBridge.judge({ host: 'lxd1', peer: 'lxd3' }, context(inv, [f]));
  t.is(v.status, 'warn');
  t.regex(v.evidence?.[0]?.note ?? '', /a second round got 2\/2 replies/);
});

test('no second round when the first had no loss', (t) => {
  const { dir, log } = stubFping(fixture('fping/healthy-lxd1-c3-q.txt'), '');
  runWithPath([pingSection('mesh-ping', ['172.16.0.2', '172.16.0.3'])], dir);
  t.is(readFileSync(log, 'utf8').trim().split('\n').length, 1);
});

test('load: /proc/loadavg and nproc; a host at twice its CPUs is named as overloaded', (t) => {
  t.deepEqual(parseLoad('0.52 0.58 0.59 2/611 12345\n2\n'), {
    load1: 0.52,
    load5: 0.58,
    load15: 0.59,
    cpus: 2,
  });
  t.is(parseLoad('garbage'), null);
  const busy = hostFacts(inv, 'lxd1', {
    load: {
      command: 'cat /proc/loadavg && nproc',
      stdout: '68.10 40.00 12.00 70/900 999\n2\n',
      stderr: '',
      exitCode: 0,
    },
  });
  t.regex(overloadNote(busy) ?? '', /lxd1 was overloaded during its probes \(load 68\.1 on 2 CPUs\)/);
  const calm = hostFacts(inv, 'lxd1', {
    load: {
      command: 'cat /proc/loadavg && nproc',
      stdout: '0.50 0.40 0.30 1/100 9\n2\n',
      stderr: '',
      exitCode: 0,
    },
  });
  t.is(overloadNote(calm), null);
});

test('DNS probe notes (# lines) are not answers', (t) => {
  const a = parseDnsProbe(
    'c1.lxd NOERROR 172.16.100.5\nx.lxd TIMEOUT\n# no answer to 1 of 2 names after 3 rounds in 1.5 s (confirmed)\n',
  );
  t.deepEqual(
    a.map((x) => `${x.name} ${x.status}`),
    ['c1.lxd NOERROR', 'x.lxd TIMEOUT'],
  );
});

test('the mesh is full up to MESH_FULL_LIMIT hosts and sampled above: log2 peers, each host probed as often, all reachable', (t) => {
  t.is(meshPeers(inventory('tinc', 3), 'lxd1').length, 2);
  t.is(meshPeers(inventory('tinc', MESH_FULL_LIMIT), 'lxd1').length, MESH_FULL_LIMIT - 1);
  const big = inventory('tinc', 100);
  const peers = new Map(big.hosts.map((h) => [h.name, meshPeers(big, h.name).map((p) => p.name)]));
  t.deepEqual(peers.get('lxd1'), ['lxd2', 'lxd3', 'lxd5', 'lxd9', 'lxd17', 'lxd33', 'lxd65', 'lxd100']);
  const probedBy = new Map<string, number>();
  for (const list of peers.values()) for (const p of list) probedBy.set(p, (probedBy.get(p) ?? 0) + 1);
  t.true(big.hosts.every((h) => probedBy.get(h.name) === 8 && !peers.get(h.name)?.includes(h.name)));
  // Every host reaches every other through probed pairs.
  const seen = new Set(['lxd1']);
  const queue = ['lxd1'];
  while (queue.length)
    for (const p of peers.get(queue.shift() as string) ?? []) if (!seen.has(p) && seen.add(p)) queue.push(p);
  t.is(seen.size, 100);
  // The pair checks are planned on exactly the probed pairs.
  t.is(defaultSubjects('pair', big)?.length, 800);
});

test('inside a container: a lost ping is asked again, a name that did not resolve is not', (t) => {
  const dir = mkdtempSync(join(os.tmpdir(), 'lxdcheck-ct-'));
  const log = join(dir, 'calls');
  // Stub ping: the address is silent (real capture of a lost ping), the name does not resolve (real capture).
  writeFileSync(join(dir, 'lost'), fixture('ping/fault-noroute-lxd3-ping-lxd1.txt'));
  writeFileSync(join(dir, 'noname'), fixture('ping/fault-nodns-c1-ping-c3-name.txt'));
  writeFileSync(
    join(dir, 'ping'),
    `#!/bin/sh\necho "$*" >> ${log}\ncase "$*" in *c2.lxd) cat ${join(dir, 'noname')}; exit 2 ;; *) cat ${join(dir, 'lost')}; exit 1 ;; esac\n`,
  );
  writeFileSync(join(dir, 'getent'), '#!/bin/sh\nexit 2\n');
  for (const f of ['ping', 'getent']) chmodSync(join(dir, f), 0o755);
  const ct = (name: string, host: string, ip: string): PlacedContainer => ({
    name,
    host,
    info: { name, status: 'Running', running: true, ipv4: [ip], ipv6: [], nics: {} },
  });
  const script = innerProbeScript(inv, ct('c1', 'lxd1', '172.16.100.5'), [ct('c2', 'lxd2', '172.16.100.6')]);
  const r = spawnSync('sh', ['-c', script], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
  });
  const calls = readFileSync(log, 'utf8').trim().split('\n');
  t.is(calls.filter((c) => c.endsWith('172.16.100.6')).length, 2);
  t.is(calls.filter((c) => c.endsWith('c2.lxd')).length, 1);
  const probe = parseContainerProbe('ct-0', {
    command: "lxc exec c1 -- sh -c '...'",
    stdout: r.stdout,
    stderr: '',
    exitCode: 0,
  });
  t.deepEqual(probe?.byIp.get('172.16.100.6')?.confirmRound?.lostAgain, true);
  t.is(probe?.byName.get('c2.lxd')?.confirmRound, undefined);
});

test('inside a container: a host known cut off gets its confirming round beside the first, and a resolver of one 1 s try', (t) => {
  const dir = mkdtempSync(join(os.tmpdir(), 'lxdcheck-ct-cut-'));
  const log = join(dir, 'calls');
  writeFileSync(join(dir, 'lost'), fixture('ping/fault-noroute-lxd3-ping-lxd1.txt'));
  writeFileSync(join(dir, 'noname'), fixture('ping/fault-nodns-c1-ping-c3-name.txt'));
  // Each stub logs its arguments, the resolver options it was given, and when it started.
  const stamp = `echo "$(date +%s.%N) RES_OPTIONS=\${RES_OPTIONS:-none} $0 $*" >> ${log}`;
  writeFileSync(
    join(dir, 'ping'),
    `#!/bin/sh\n${stamp}\ncase "$*" in *c2.lxd.) cat ${join(dir, 'noname')}; exit 2 ;; *) sleep 1; cat ${join(dir, 'lost')}; exit 1 ;; esac\n`,
  );
  writeFileSync(join(dir, 'getent'), `#!/bin/sh\n${stamp}\nexit 2\n`);
  for (const f of ['ping', 'getent']) chmodSync(join(dir, f), 0o755);
  const ct = (name: string, host: string, ip: string): PlacedContainer => ({
    name,
    host,
    info: { name, status: 'Running', running: true, ipv4: [ip], ipv6: [], nics: {} },
  });
  const script = innerProbeScript(
    inv,
    ct('c1', 'lxd1', '172.16.100.5'),
    [ct('c2', 'lxd2', '172.16.100.6'), ct('c3', 'lxd3', '172.16.100.7')],
    { cutOffHosts: new Set(['lxd2']), dnsCutOff: true },
  );
  const r = spawnSync('sh', ['-c', script], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
  });
  const calls = readFileSync(log, 'utf8').trim().split('\n');
  const at = (c: string) => Number(c.split(' ')[0]);
  const toC2 = calls.filter((c) => c.endsWith('172.16.100.6'));
  const toC3 = calls.filter((c) => c.endsWith('172.16.100.7'));
  t.is(toC2.length, 2, 'c2 (on the cut-off lxd2) asked twice');
  t.is(toC3.length, 2, 'c3 asked twice: once, and again after its loss');
  // The stub ping takes 1 s: c2's second round starts before its first ended, c3's only after.
  t.true(at(toC2[1]!) - at(toC2[0]!) < 0.9);
  t.true(at(toC3[1]!) - at(toC3[0]!) >= 0.9);
  // Names and getent get one 1 s try of the resolver; pings by address need none.
  t.true(
    calls
      .filter((c) => / getent | ping .*\.lxd\.?$/.test(c))
      .every((c) => c.includes('RES_OPTIONS=timeout:1 attempts:1')),
  );
  t.true(calls.filter((c) => /\d$/.test(c)).every((c) => c.includes('RES_OPTIONS=none')));
  // Asked as absolute names: the search domains would each cost the short try again.
  t.true(calls.filter((c) => / getent /.test(c)).every((c) => /\.lxd\.$/.test(c)));
  t.is(
    calls.filter((c) => c.includes('/ping ') && c.endsWith('c2.lxd.')).length,
    2,
    'both rounds were started...',
  );
  const probe = parseContainerProbe('ct-0', {
    command: "lxc exec c1 -- sh -c '...'",
    stdout: r.stdout,
    stderr: '',
    exitCode: 0,
  });
  t.is(probe?.byIp.get('172.16.100.6')?.confirmRound?.lostAgain, true);
  t.is(probe?.byIp.get('172.16.100.7')?.confirmRound?.lostAgain, true);
  t.is(
    probe?.byName.get('c2.lxd')?.confirmRound,
    undefined,
    '...but a name that did not resolve is no confirmed loss',
  );
});

test('cut off: only hosts whose bridge lost both ping rounds', (t) => {
  const ping = (target: string, received: number, again?: number): PingResult => ({
    target,
    sent: 3,
    received,
    lossPercent: Math.round(((3 - received) / 3) * 100),
    ...(again !== undefined ? { confirmRound: { sent: 2, received: again, lostAgain: again < 2 } } : {}),
  });
  const lxd1 = {
    ...hostFacts(inv, 'lxd1', {}),
    // lxd2: silent twice; lxd3: silent once, then answered.
    mesh: [ping('172.16.0.2', 0, 0), ping('172.16.0.3', 0, 2)],
  };
  t.deepEqual([...cutOffFrom(inv, 'lxd1', context(inv, [lxd1]).hosts)], ['lxd2']);
  const oneRound = { ...lxd1, mesh: [ping('172.16.0.2', 0), ping('172.16.0.3', 3)] };
  t.deepEqual(
    [...cutOffFrom(inv, 'lxd1', context(inv, [oneRound]).hosts)],
    [],
    'one lost round proves nothing',
  );
});

test('the one dnsmasq not running (stage one): containers resolve with one 1 s try; a healthy cluster keeps the defaults', async (t) => {
  const down = await replayBundle('lxd-dns-down');
  t.true(dnsServerDown(down.inventory, down.facts));
  const shells = down.inventory.hosts.flatMap((h) => containerSections(down.inventory, h, down.facts));
  t.true(shells.length > 0 && shells.every((s) => s.shell.includes('RES_OPTIONS=')));
  const healthy = await replayBundle('lxd-healthy');
  t.false(dnsServerDown(healthy.inventory, healthy.facts));
  const plain = healthy.inventory.hosts.flatMap((h) =>
    containerSections(healthy.inventory, h, healthy.facts),
  );
  t.true(plain.length > 0 && plain.every((s) => !s.shell.includes('RES_OPTIONS')));
});
