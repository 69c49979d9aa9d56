/**
 * The lab with real LXD 5.0 daemons (3 hosts, tinc, 3 containers): takes a few
 * minutes the first time (debootstrap builds the image, then it is cached).
 * Skips with a reason when not root or LXD/debootstrap are missing.
 */
import test from 'ava';
import { run } from '../../src/lab/exec.js';
import { labBreak, labDown, labHeal, labStatus, labUp, readLabState } from '../../src/lab/index.js';
import { lxcArgv } from '../../src/lab/lxd.js';
import {
  acquireLabForTests,
  brctlPorts,
  cx,
  hostPing,
  hx,
  labSkipReason,
  releaseLabForTests,
  rootDefaultGateway,
} from '../helpers/lab.js';

const OPTS = { hosts: 3, overlay: 'tinc' as const, lxd: true, containers: 3 };
const skipReason = await labSkipReason(OPTS);
const serial = skipReason ? test.serial.skip : test.serial;
if (skipReason) test(`lab LXD e2e skipped: ${skipReason}`, (t) => t.pass());

const lines: string[] = [];
let upMs = 0;

test.before(async () => {
  if (skipReason) return;
  await acquireLabForTests();
  await labDown((l) => lines.push(l));
  const t0 = Date.now();
  await labUp(OPTS, (l) => lines.push(l));
  upMs = Date.now() - t0;
});

test.after.always(async () => {
  if (skipReason) return;
  try {
    await labDown((l) => lines.push(l));
  } finally {
    await releaseLabForTests();
  }
});

interface Instance {
  name: string;
  status: string;
  state?: { network?: Record<string, { addresses?: { family: string; address: string }[] }> } | null;
}

async function lxcList(host: string): Promise<Instance[]> {
  return JSON.parse(await hx(host, ...lxcArgv({ name: host }, ['list', '--format', 'json']))) as Instance[];
}

const inet = (i: Instance | undefined) =>
  i?.state?.network?.eth0?.addresses?.find((a) => a.family === 'inet')?.address ?? null;

async function resolve(from: string, name: string): Promise<string | null> {
  const r = await cx(from, 'getent', 'hosts', name);
  return r.exitCode === 0 ? (r.stdout.trim().split(/\s+/)[0] ?? null) : null;
}

serial('up: one LXD daemon per host, containers running with leases from lxd1', async (t) => {
  t.log(`up took ${(upMs / 1000).toFixed(1)} s`);
  for (const l of lines) t.log(l);
  for (const [k, host] of [
    [1, 'lxd1'],
    [2, 'lxd2'],
    [3, 'lxd3'],
  ] as const) {
    const list = await lxcList(host);
    const c = list.find((i) => i.name === `c${k}`);
    t.is(c?.status, 'Running', `${host}: ${JSON.stringify(list.map((i) => i.name))}`);
    t.regex(inet(c) ?? '', /^172\.16\.1\d\d\.\d+$/);
    t.regex(await hx(host, 'ss', '-Htln', 'sport = :8443'), /192\.168\.99\.\d:8443/);
    // The daemon runs inside the host: its own PID namespace sees it, the others do not see theirs.
    t.regex(await hx(host, 'pgrep', '-a', '-x', 'lxd'), /lxd --group lxd/);
  }
  const leases = await hx('lxd1', 'cat', '/var/lib/misc/dnsmasq.leases');
  for (const k of [1, 2, 3]) t.regex(leases, new RegExp(` c${k} `));
  const s = await labStatus();
  t.true(s.up);
  for (const h of s.hosts) t.true(h.daemons.find((d) => d.name === 'lxd')?.listening, h.name);
});

serial('LXD containers resolve and reach each other across hosts; nothing leaks', async (t) => {
  const c3 = inet((await lxcList('lxd3')).find((i) => i.name === 'c3'));
  t.is(await resolve('c1', 'c3.lxd'), c3);
  t.is((await cx('c1', 'ping', '-c', '2', '-W', '2', 'c3.lxd')).exitCode, 0);
  t.is((await cx('c2', 'ping', '-c', '1', '-W', '2', '172.16.0.1')).exitCode, 0);
  const gw = await rootDefaultGateway();
  for (const a of [c3 ?? '', '192.168.99.1', '192.168.99.3']) {
    const r = await run(['ip', 'route', 'get', a]);
    if (gw) t.false((r.stdout + r.stderr).includes(`via ${gw}`), a);
  }
  // The image has no route out either: its default route is lxd1's bridge, which routes nowhere.
  t.regex((await cx('c2', 'ip', 'route', 'show', 'default')).stdout, /via 172\.16\.0\.1/);
});

serial('lxc move between hosts (stop, move, start) keeps the MAC and gets a lease', async (t) => {
  const before = (await readLabState())?.containers.find((c) => c.name === 'c1');
  const t0 = Date.now();
  await hx('lxd1', ...lxcArgv({ name: 'lxd1' }, ['stop', 'c1']));
  await hx('lxd1', ...lxcArgv({ name: 'lxd1' }, ['move', 'c1', 'lxd2:c1']));
  await hx('lxd2', ...lxcArgv({ name: 'lxd2' }, ['start', 'c1']));
  t.log(`stop/move/start took ${Date.now() - t0} ms`);
  t.false((await lxcList('lxd1')).some((i) => i.name === 'c1'));
  let addr: string | null = null;
  for (let i = 0; i < 60 && !addr; i++) {
    addr = inet((await lxcList('lxd2')).find((x) => x.name === 'c1'));
    if (!addr) await new Promise((r) => setTimeout(r, 250));
  }
  t.regex(addr ?? '', /^172\.16\.1\d\d\.\d+$/);
  const cfg = await hx('lxd2', ...lxcArgv({ name: 'lxd2' }, ['config', 'get', 'c1', 'volatile.eth0.hwaddr']));
  t.is(cfg.trim(), before?.mac ?? 'unknown');
  t.is(await resolve('c3', 'c1.lxd'), addr);
  // Move it back so the rest of the file sees the original layout.
  await hx('lxd2', ...lxcArgv({ name: 'lxd2' }, ['stop', 'c1']));
  await hx('lxd2', ...lxcArgv({ name: 'lxd2' }, ['move', 'c1', 'lxd1:c1']));
  await hx('lxd1', ...lxcArgv({ name: 'lxd1' }, ['start', 'c1']));
});

serial(
  'faults with LXD: service-order re-attaches LXD veths, duplicate-name launches a second c1; heal',
  async (t) => {
    await labBreak('service-order');
    const ports = await brctlPorts('lxd2');
    t.false(ports.includes('peervpn0'));
    t.true(
      ports.some((p) => p.startsWith('veth')),
      `LXD's veth re-attached: ${ports.join(' ')}`,
    );
    t.false(await hostPing('lxd1', '172.16.0.2'));
    await labHeal(() => undefined);
    t.true(await hostPing('lxd1', '172.16.0.2'));

    await labBreak('duplicate-name');
    const dup = (await lxcList('lxd2')).find((i) => i.name === 'c1');
    t.is(dup?.status, 'Running');
    let dupAddr: string | null = null;
    for (let i = 0; i < 60 && !dupAddr; i++) {
      dupAddr = inet((await lxcList('lxd2')).find((x) => x.name === 'c1'));
      if (!dupAddr) await new Promise((r) => setTimeout(r, 250));
    }
    const leases = (await hx('lxd1', 'cat', '/var/lib/misc/dnsmasq.leases')).trim().split('\n');
    t.true(
      leases.some((l) => l.includes(` ${dupAddr} c1 `)),
      leases.join('\n'),
    );
    await labHeal(() => undefined);
    t.false((await lxcList('lxd2')).some((i) => i.name === 'c1'));
    const c1 = inet((await lxcList('lxd1')).find((i) => i.name === 'c1'));
    t.is(await resolve('c3', 'c1.lxd'), c1);
  },
);

serial('down removes the daemons, their cgroups and LXD dirs', async (t) => {
  const t0 = Date.now();
  await labDown(() => undefined);
  t.log(`down took ${Date.now() - t0} ms`);
  t.is((await run(['pgrep', '-x', 'lxd'])).stdout.trim(), '');
  t.false((await run(['ls', '/sys/fs/cgroup/memory'])).stdout.includes('lxlab-'));
  t.is((await run(['ls', '/var/lib/lxlab'])).exitCode, 2);
});
