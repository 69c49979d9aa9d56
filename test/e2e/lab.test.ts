/**
 * The lab, end to end (--no-lxd, 3 hosts, tinc): brought up once for this file,
 * checked with plain commands, then every fault is applied, seen to be really
 * broken, healed, and seen to be healthy again. Needs root and the lab's tools.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { parseInventory } from '../../src/inventory/load.js';
import { run } from '../../src/lab/exec.js';
import {
  checkRoutes,
  FAULT_NAMES,
  FAULTS,
  formatLabStatus,
  labAddresses,
  labBreak,
  labDown,
  labHeal,
  labHelp,
  labInventoryYaml,
  labLeftovers,
  labMain,
  labStatus,
  labUp,
  readLabState,
} from '../../src/lab/index.js';
import {
  acquireLabForTests,
  brctlPorts,
  cx,
  hostPing,
  hx,
  hxCode,
  labSkipReason,
  releaseLabForTests,
  rootDefaultGateway,
  sshArgv,
} from '../helpers/lab.js';

const OPTS = { hosts: 3, overlay: 'tinc' as const, lxd: false, containers: 3 };
const skipReason = await labSkipReason(OPTS);
const serial = skipReason ? test.serial.skip : test.serial;
if (skipReason) test(`lab e2e skipped: ${skipReason}`, (t) => t.pass());

const lines: string[] = [];
const log = (l: string) => lines.push(l);
let upMs = 0;

test.before(async () => {
  if (skipReason) return;
  await acquireLabForTests();
  await labDown(log);
  const t0 = Date.now();
  await labUp(OPTS, log);
  upMs = Date.now() - t0;
});

test.after.always(async () => {
  if (skipReason) return;
  try {
    await labDown(log);
  } finally {
    await releaseLabForTests();
  }
});

/** Leases on lxd1: mac -> [ip, hostname]. */
async function leases(): Promise<{ mac: string; ip: string; name: string }[]> {
  const text = await hx('lxd1', 'cat', '/var/lib/misc/dnsmasq.leases');
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [, mac = '', ip = '', name = ''] = l.split(' ');
      return { mac, ip, name };
    });
}

async function addressOf(container: string): Promise<string> {
  const r = await cx(container, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0');
  const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.stdout);
  if (!m?.[1]) throw new Error(`${container} has no address: ${r.stdout}`);
  return m[1];
}

async function resolve(from: string, name: string): Promise<string | null> {
  const r = await cx(from, 'getent', 'hosts', name);
  return r.exitCode === 0 ? (r.stdout.trim().split(/\s+/)[0] ?? null) : null;
}

async function assertHealthy(t: import('ava').ExecutionContext) {
  for (const h of ['lxd1', 'lxd2', 'lxd3'])
    t.true((await brctlPorts(h)).includes('peervpn0'), `${h}: peervpn0 in lxdbr0`);
  t.true(await hostPing('lxd1', '172.16.0.2'), 'lxd1 pings lxd2');
  t.true(await hostPing('lxd1', '172.16.0.3'), 'lxd1 pings lxd3');
  t.true(await hostPing('lxd3', '172.16.0.2'), 'lxd3 pings lxd2');
  t.is(await resolve('c1', 'c2.lxd'), await addressOf('c2'));
  t.is(await resolve('c3', 'c1.lxd'), await addressOf('c1'));
}

serial('up: 3 hosts with tinc and netns containers, within 15 s, progress printed', async (t) => {
  t.true(upMs < 15_000, `up took ${upMs} ms`);
  t.log(`up took ${upMs} ms`);
  t.true(lines.some((l) => l.includes('sshd listening')));
  t.true(lines.some((l) => l.includes('ready in')));
  const s = await readLabState();
  t.is(s?.phase, 'ready');
  t.deepEqual(
    s?.hosts.map((h) => h.name),
    ['lxd1', 'lxd2', 'lxd3'],
  );
});

serial('ssh from the root namespace reaches every host with pinned host keys', async (t) => {
  const known = await readFile('/run/lxlab/known_hosts', 'utf8');
  for (const n of [1, 2, 3]) {
    t.regex(known, new RegExp(`^192\\.168\\.99\\.${n} ssh-ed25519 AAAA`, 'm'));
    const r = await run(sshArgv(`192.168.99.${n}`, 'hostname'), { timeoutMs: 15_000 });
    t.is(r.exitCode, 0, r.stderr);
    t.is(r.stdout.trim(), `lxd${n}`);
  }
  // Each host is its own PID namespace: lxd2 sees no dnsmasq, lxd1 sees exactly one.
  const ps2 = await run(sshArgv('192.168.99.2', 'pgrep', '-c', 'dnsmasq'), { timeoutMs: 15_000 });
  t.is(ps2.stdout.trim(), '0');
  const ps1 = await run(sshArgv('192.168.99.1', 'pgrep', '-c', 'dnsmasq'), { timeoutMs: 15_000 });
  t.is(ps1.stdout.trim(), '1');
  // Password authentication is off: without the key the host refuses.
  const nokey = await run(
    [
      'ssh',
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'UserKnownHostsFile=/run/lxlab/known_hosts',
    ].concat([
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'IdentityFile=/dev/null',
      'root@192.168.99.1',
      'true',
    ]),
    { timeoutMs: 15_000 },
  );
  t.not(nokey.exitCode, 0);
});

serial('every host bridges peervpn0 into lxdbr0 with the fixed MAC and address', async (t) => {
  for (const n of [1, 2, 3]) {
    const h = `lxd${n}`;
    t.true((await brctlPorts(h)).includes('peervpn0'), `${h}: ${await hx(h, 'brctl', 'show')}`);
    const link = await hx(h, 'ip', '-o', 'link', 'show', 'lxdbr0');
    t.true(link.includes(`02:16:00:00:00:0${n}`), link);
    t.true((await hx(h, 'ip', '-4', '-o', 'addr', 'show', 'lxdbr0')).includes(`172.16.0.${n}/16`));
    t.true((await hx(h, 'ip', '-4', '-o', 'addr', 'show', 'peervpn0')).includes(`10.99.0.${n}/24`));
    t.is((await hx(h, 'hostname')).trim(), h);
    t.is((await hx(h, 'cat', '/sys/class/net/eth0/mtu')).trim(), '1600');
    t.regex(await hx(h, 'pgrep', '-a', 'tincd'), /tincd -n lxd --logfile -d1/);
  }
});

serial('bridges ping each other across the overlay', async (t) => {
  for (const a of [1, 2, 3]) {
    for (const b of [1, 2, 3]) {
      if (a !== b) t.true(await hostPing(`lxd${a}`, `172.16.0.${b}`), `lxd${a} -> 172.16.0.${b}`);
    }
  }
  // Full-size frames pass: the underlay's MTU 1600 leaves room for tinc's overhead.
  t.true(await hostPing('lxd2', '172.16.0.1', '-M', 'do', '-s', '1472'));
});

serial('containers have leases from lxd1 and resolve each other by name', async (t) => {
  const ls = await leases();
  for (const k of [1, 2, 3]) {
    const addr = await addressOf(`c${k}`);
    t.regex(addr, /^172\.16\.1\d\d\.\d+$/);
    const lease = ls.find((l) => l.mac === `02:00:00:00:00:c${k}`);
    t.is(lease?.ip, addr);
    t.is(lease?.name, `c${k}`);
    const resolv = await readFile(`/etc/netns/lxlab-c${k}/resolv.conf`, 'utf8');
    t.regex(resolv, /search lxd/);
    t.regex(resolv, /nameserver 172\.16\.0\.1/);
  }
  t.is(await resolve('c1', 'c2.lxd'), await addressOf('c2'));
  t.is(await resolve('c1', 'c3.lxd'), await addressOf('c3'));
  t.is(await resolve('c3', 'c1.lxd'), await addressOf('c1'));
  t.is((await cx('c1', 'ping', '-c', '1', '-W', '2', 'c3.lxd')).exitCode, 0);
});

serial('safety: no lab address routes via the default gateway', async (t) => {
  const gw = await rootDefaultGateway();
  const s = await readLabState();
  const addrs = labAddresses(
    3,
    (s?.containers ?? []).map((c) => c.address).filter((a): a is string => !!a),
  );
  for (const a of addrs) {
    const r = await run(['ip', 'route', 'get', a]);
    const out = r.stdout + r.stderr;
    if (gw) t.false(out.includes(`via ${gw}`), `${a}: ${out}`);
    t.false(/dev eth0\b/.test(out), `${a}: ${out}`);
  }
  for (const r of await checkRoutes(addrs)) t.false(r.leaks, `${r.address}: ${r.route}`);
  // The machine's resolver (10.x) and gateway are not blackholed.
  const routes = (await run(['ip', 'route', 'show', 'type', 'blackhole'])).stdout;
  t.false(routes.includes('10.0.0.0/8'));
  t.true(routes.includes('172.16.0.0/16'));
  // Hosts have no way out either: their default route points into the lab.
  t.regex(await hx('lxd1', 'ip', 'route', 'show', 'default'), /default via 192\.168\.99\.254/);
});

serial('status lists each host with its daemons and every container', async (t) => {
  const s = await labStatus();
  t.true(s.up);
  t.is(s.hosts.length, 3);
  for (const h of s.hosts) {
    t.true(h.initAlive);
    t.true(h.overlayBridged);
    const names = h.daemons.map((d) => d.name);
    t.true(names.includes('sshd') && names.includes('tincd'));
    for (const d of h.daemons) t.true(d.alive && d.listening !== false, `${h.name} ${d.name}`);
  }
  t.true(s.hosts[0]?.daemons.some((d) => d.name === 'dnsmasq' && d.listening));
  t.false(s.hosts[1]?.daemons.some((d) => d.name === 'dnsmasq'));
  t.deepEqual(
    s.containers.map((c) => [c.name, c.host, c.mac]),
    [
      ['c1', 'lxd1', '02:00:00:00:00:c1'],
      ['c2', 'lxd2', '02:00:00:00:00:c2'],
      ['c3', 'lxd3', '02:00:00:00:00:c3'],
    ],
  );
  const text = formatLabStatus(s);
  t.regex(text, /lxd2\s+192\.168\.99\.2\s+172\.16\.0\.2/);
  t.regex(text, /c3\s+lxd3\s+running\s+02:00:00:00:00:c3\s+172\.16\.1/);
});

serial('the inventory loads with lxdcheck’s own loader', async (t) => {
  const s = await readLabState();
  if (!s) return t.fail('no state');
  const yaml = labInventoryYaml(s);
  const inv = parseInventory(yaml, '/tmp/lxlab-inventory.yaml');
  t.is(inv.hosts.length, 3);
  t.is(inv.cluster.dhcp, 'lxd1');
  t.is(inv.cluster.overlay.interface, 'peervpn0');
  t.is(inv.cluster.overlay.type, 'tinc');
  t.is(inv.knownHosts, '/run/lxlab/known_hosts');
  t.is(inv.hosts[1]?.ssh.hostname, '192.168.99.2');
  t.deepEqual(inv.hosts[1]?.ssh.identityFiles, ['/run/lxlab/id_ed25519']);
  t.is(inv.hosts[2]?.bridgeAddress, '172.16.0.3');
});

serial('up again reuses the healthy lab (same init PIDs)', async (t) => {
  const before = await readLabState();
  const t0 = Date.now();
  const after = await labUp(OPTS, log);
  t.true(Date.now() - t0 < 10_000);
  t.deepEqual(
    after.hosts.map((h) => h.initPid),
    before?.hosts.map((h) => h.initPid),
  );
});

// ------------------------------------------------------------------ faults

serial('fault service-order: tinc-up fails, peervpn0 not in the re-created bridge; heal', async (t) => {
  const before = await hx('lxd2', 'cat', '/var/log/tinc.lxd.log');
  const did = await labBreak('service-order');
  t.regex(did, /bridge lxdbr0 does not exist!/);
  t.false((await brctlPorts('lxd2')).includes('peervpn0'));
  t.true((await brctlPorts('lxd2')).includes('lxlab-c2'), 'container port re-attached');
  const logText = await hx('lxd2', 'cat', '/var/log/tinc.lxd.log');
  t.true(logText.slice(before.length).includes('bridge lxdbr0 does not exist!'));
  t.regex(await hx('lxd2', 'pgrep', '-a', 'tincd'), /tincd/);
  t.false(await hostPing('lxd1', '172.16.0.2'));
  t.not((await cx('c1', 'ping', '-c', '1', '-W', '1', await addressOf('c2'))).exitCode, 0);
  t.deepEqual(
    (await readLabState())?.faults.map((f) => f.name),
    ['service-order'],
  );
  await labHeal(log);
  t.deepEqual((await readLabState())?.faults, []);
  await assertHealthy(t);
});

serial('fault peer-down: tincd on lxd3 stopped; heal', async (t) => {
  await labBreak('peer-down');
  t.is(await hxCode('lxd3', 'pgrep', 'tincd'), 1);
  t.not(await hxCode('lxd3', 'ip', 'link', 'show', 'peervpn0'), 0);
  t.false(await hostPing('lxd1', '172.16.0.3'));
  t.true(await hostPing('lxd1', '172.16.0.2'));
  await labHeal(log);
  t.is(await hxCode('lxd3', 'pgrep', 'tincd'), 0);
  await assertHealthy(t);
});

serial('fault second-dhcp: a second dnsmasq answers DHCP from lxd2; heal', async (t) => {
  t.is(await hxCode('lxd2', 'pgrep', 'dnsmasq'), 1);
  await labBreak('second-dhcp');
  t.regex(await hx('lxd2', 'ss', '-Hulnp', 'sport = :67'), /dnsmasq/);
  t.regex(await hx('lxd2', 'pgrep', '-a', 'dnsmasq'), /172\.16\.200\.1,172\.16\.200\.254/);
  // A throwaway DHCP client in c3 (on lxd3) hears the rogue server too; -sf /bin/true changes nothing.
  const probe = '/run/lxlab/containers/c3/probe';
  await cx(
    'c3',
    'timeout',
    '3',
    'dhclient',
    '-4',
    '-1',
    '-d',
    '-sf',
    '/bin/true',
    '-lf',
    `${probe}.leases`,
    '-pf',
    `${probe}.pid`,
    'eth0',
  );
  const rogueLog = await hx('lxd2', 'cat', '/var/log/dnsmasq.log');
  t.regex(rogueLog, /DHCPOFFER\(lxdbr0\) 172\.16\.200\.\d+ 02:00:00:00:00:c3/);
  await labHeal(log);
  t.is(await hxCode('lxd2', 'pgrep', 'dnsmasq'), 1);
  t.is((await hx('lxd2', 'ss', '-Hulnp', 'sport = :67')).trim(), '');
  await assertHealthy(t);
});

serial('fault dns-down: no dnsmasq on lxd1, names do not resolve; heal', async (t) => {
  await labBreak('dns-down');
  t.is(await hxCode('lxd1', 'pgrep', 'dnsmasq'), 1);
  t.is(await resolve('c1', 'c2.lxd'), null);
  await labHeal(log);
  t.is(await hxCode('lxd1', 'pgrep', 'dnsmasq'), 0);
  await assertHealthy(t);
});

serial('fault route-missing: lxd3 has no route to 10.99.0.0/24; heal', async (t) => {
  t.regex(await hx('lxd3', 'ip', 'route', 'show', '10.99.0.0/24'), /dev peervpn0/);
  await labBreak('route-missing');
  t.is((await hx('lxd3', 'ip', 'route', 'show', '10.99.0.0/24')).trim(), '');
  t.regex(await hx('lxd3', 'ip', 'route', 'get', '10.99.0.1'), /via 192\.168\.99\.254 dev eth0/);
  await labHeal(log);
  t.regex(await hx('lxd3', 'ip', 'route', 'show', '10.99.0.0/24'), /dev peervpn0/);
  await assertHealthy(t);
});

serial('fault mtu: peervpn0 MTU 1400 on lxd2, full-size frames fail; heal', async (t) => {
  await labBreak('mtu');
  t.regex(await hx('lxd2', 'ip', 'link', 'show', 'peervpn0'), /mtu 1400/);
  t.false(await hostPing('lxd2', '172.16.0.1', '-M', 'do', '-s', '1472'));
  t.not(
    (await cx('c2', 'ping', '-c', '1', '-W', '1', '-M', 'do', '-s', '1472', await addressOf('c1'))).exitCode,
    0,
  );
  t.true(await hostPing('lxd2', '172.16.0.1'), 'small frames still pass');
  await labHeal(log);
  t.regex(await hx('lxd2', 'ip', 'link', 'show', 'peervpn0'), /mtu 1500/);
  t.true(await hostPing('lxd2', '172.16.0.1', '-M', 'do', '-s', '1472'));
  t.is(
    (await cx('c2', 'ping', '-c', '1', '-W', '1', '-M', 'do', '-s', '1472', await addressOf('c1'))).exitCode,
    0,
  );
  await assertHealthy(t);
});

serial('fault duplicate-name: a second c1 on lxd2 takes the name; heal', async (t) => {
  const c1 = await addressOf('c1');
  await labBreak('duplicate-name');
  const ls = await leases();
  const dup = ls.find((l) => l.mac === '02:00:00:00:0d:01');
  t.is(dup?.name, 'c1');
  t.not(dup?.ip, c1);
  t.is(ls.find((l) => l.mac === '02:00:00:00:00:c1')?.name, '*', 'the older lease lost its name');
  t.is(await resolve('c3', 'c1.lxd'), dup?.ip ?? 'none');
  await labHeal(log);
  t.false(existsSync('/run/netns/lxlab-c1-dup'));
  const after = await leases();
  t.is(after.find((l) => l.mac === '02:00:00:00:00:c1')?.name, 'c1');
  t.is(after.filter((l) => l.name === 'c1').length, 1);
  t.is(await resolve('c3', 'c1.lxd'), c1);
  await assertHealthy(t);
});

serial('fault bridge-address-conflict: lxd3 takes 172.16.0.2; heal', async (t) => {
  await labBreak('bridge-address-conflict');
  const addrs = await hx('lxd3', 'ip', '-4', '-o', 'addr', 'show', 'lxdbr0');
  t.true(addrs.includes('172.16.0.2/16'));
  t.false(addrs.includes('172.16.0.3/16'));
  t.false(await hostPing('lxd1', '172.16.0.3'));
  await labHeal(log);
  const healed = await hx('lxd3', 'ip', '-4', '-o', 'addr', 'show', 'lxdbr0');
  t.true(healed.includes('172.16.0.3/16'));
  t.false(healed.includes('172.16.0.2/16'));
  await assertHealthy(t);
});

/** Which bridge addresses answer a multicast ping from lxd1's lxdbr0 (all-hosts group). */
async function multicastRepliers(): Promise<Set<string>> {
  const r = await hx('lxd1', 'ping', '-n', '-w', '2', '-i', '0.3', '-I', 'lxdbr0', '224.0.0.1').catch(
    (e: Error) => e.message,
  );
  return new Set([...r.matchAll(/from (172\.16\.0\.\d+)/g)].map((m) => m[1] as string));
}

serial('fault multicast-blocked: lxd2 stops answering multicast, unicast works; heal', async (t) => {
  t.true((await multicastRepliers()).has('172.16.0.2'), 'healthy: lxd2 answers the all-hosts group');
  await labBreak('multicast-blocked');
  const broken = await multicastRepliers();
  t.false(broken.has('172.16.0.2'));
  t.true(broken.has('172.16.0.3'));
  t.true(await hostPing('lxd1', '172.16.0.2'), 'unicast still works');
  t.regex(
    await run(['ip', 'netns', 'exec', 'lxlab-lxd2', 'nft', 'list', 'tables']).then((r) => r.stdout),
    /bridge lxlab-mcast/,
  );
  await labHeal(log);
  t.true((await multicastRepliers()).has('172.16.0.2'));
  await assertHealthy(t);
});

serial('fault overlay-not-bridged: brctl delif on lxd2; heal', async (t) => {
  await labBreak('overlay-not-bridged');
  t.false((await brctlPorts('lxd2')).includes('peervpn0'));
  t.regex(await hx('lxd2', 'ip', 'link', 'show', 'peervpn0'), /UP/);
  t.false(await hostPing('lxd1', '172.16.0.2'));
  t.not((await cx('c3', 'ping', '-c', '1', '-W', '1', await addressOf('c2'))).exitCode, 0);
  await labHeal(log);
  await assertHealthy(t);
});

serial('several faults at once, healed together; a second break of the same fault is refused', async (t) => {
  await labBreak('overlay-not-bridged', { host: 'lxd3' });
  await labBreak('dns-down');
  await t.throwsAsync(labBreak('dns-down'), { message: /already applied/ });
  await t.throwsAsync(labBreak('mtu', { host: 'lxd9' }), { message: /does not have/ });
  const s = await labStatus();
  t.deepEqual(
    s.faults.map((f) => `${f.name}@${f.host}`),
    ['overlay-not-bridged@lxd3', 'dns-down@lxd1'],
  );
  t.is(s.hosts[2]?.overlayBridged, false);
  t.false(s.hosts[0]?.daemons.find((d) => d.name === 'dnsmasq')?.alive);
  await labHeal(log);
  await assertHealthy(t);
});

serial('every fault has a summary, what you see, and a default host; help teaches them', async (t) => {
  const help = labHelp();
  for (const f of FAULT_NAMES) {
    t.truthy(FAULTS[f].summary);
    t.truthy(FAULTS[f].whatYouSee);
    t.regex(FAULTS[f].host, /^lxd\d$/);
    t.true(help.includes(f));
  }
  for (const sub of ['up', 'down', 'status', 'inventory', 'break', 'heal', 'faults'])
    t.true(help.includes(`lab ${sub}`));
  t.is(await labMain(['break', 'no-such-fault']), 2);
  t.is(await labMain(['up', '--hosts', '99']), 2);
});

// ------------------------------------------------------------------ life cycle

serial('down removes everything; down again is a no-op', async (t) => {
  const t0 = Date.now();
  await labDown(log);
  t.true(Date.now() - t0 < 15_000);
  t.deepEqual(await labLeftovers(), []);
  t.false((await run(['ip', 'netns', 'list'])).stdout.includes('lxlab-'));
  t.false((await run(['ip', 'route', 'show', 'type', 'blackhole'])).stdout.includes('172.16.0.0/16'));
  lines.length = 0;
  await labDown(log);
  t.deepEqual(lines, ['lab: nothing to tear down']);
});

serial('down after a half-built up (killed midway) cleans up', async (t) => {
  const child = spawn(
    process.execPath,
    [
      '--import=tsx',
      '-e',
      "import('./src/lab/index.ts').then(m => m.labMain(['up','--no-lxd','--hosts','6']))",
    ],
    { stdio: 'ignore', cwd: process.cwd() },
  );
  // Kill it as soon as the hosts exist but before it finishes.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !existsSync('/run/netns/lxlab-lxd3'))
    await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.true((await labLeftovers()).length > 0, 'something was half-built');
  const st = await readLabState();
  t.not(st?.phase, 'ready');
  await labDown(log);
  t.deepEqual(await labLeftovers(), []);
  t.false((await run(['pgrep', '-f', '/run/lxlab/hosts/'])).stdout.trim().length > 0, 'no host init left');
});

serial('vxlan overlay: same shape, peer-down deletes the device; 10 hosts work', async (t) => {
  const t0 = Date.now();
  await labUp({ hosts: 10, overlay: 'vxlan', lxd: false, containers: 10 }, log);
  const ms = Date.now() - t0;
  t.log(`10 hosts with vxlan up in ${ms} ms`);
  t.true(ms < 60_000);
  t.regex(await hx('lxd10', 'ip', '-d', 'link', 'show', 'peervpn0'), /vxlan id 99 .*dstport 4789/s);
  t.true((await brctlPorts('lxd7')).includes('peervpn0'));
  t.true(await hostPing('lxd10', '172.16.0.4'));
  t.true(await hostPing('lxd10', '172.16.0.1', '-M', 'do', '-s', '1472'));
  const r = await run(sshArgv('192.168.99.10', 'hostname'), { timeoutMs: 15_000 });
  t.is(r.stdout.trim(), 'lxd10');
  t.is(await resolve('c10', 'c7.lxd'), await addressOf('c7'));
  await labBreak('peer-down');
  t.not(await hxCode('lxd3', 'ip', 'link', 'show', 'peervpn0'), 0);
  t.false(await hostPing('lxd1', '172.16.0.3'));
  await labBreak('service-order');
  t.regex(await hx('lxd2', 'cat', '/var/log/vxlan.peervpn0.log'), /bridge lxdbr0 does not exist!/);
  t.false((await brctlPorts('lxd2')).includes('peervpn0'));
  await labHeal(log);
  t.true(await hostPing('lxd1', '172.16.0.3'));
  t.true(await hostPing('lxd1', '172.16.0.2'));
  const d0 = Date.now();
  await labDown(log);
  t.log(`10 hosts down in ${Date.now() - d0} ms`);
  t.deepEqual(await labLeftovers(), []);
});
