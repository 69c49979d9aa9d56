/**
 * The shell lxdcheck generates, run with `sh` on this machine against fake
 * commands on PATH that print real captured outputs (fixtures/), and read
 * back by the parsers that read a host's answers: the ping section (fping,
 * and iputils ping where fping is missing) with its confirming round, the
 * path-MTU ladder, and a container's inner probe through `lxc exec`. No
 * root, no lab, no packet leaves: every network tool here is a fake.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { innerProbeScript, type PlacedContainer, parseContainerProbe } from '../../src/facts/containers.js';
import { MESH_PING, meshFacts, meshSections, PMTU } from '../../src/facts/host/mesh.js';
import { pingSection } from '../../src/facts/ping.js';
import { buildScript, newMarker, type Section, splitSections } from '../../src/facts/script.js';
import type { RawOutput } from '../../src/facts/types.js';
import { quoteArg as q } from '../../src/transport/quote.js';
import { inventory } from '../helpers/facts.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures');

/** Real tools the generated shell uses besides the faked network ones. */
const TOOLS = ['sh', 'awk', 'sed', 'grep', 'tail', 'wc', 'cat', 'sleep', 'timeout', 'tr', 'head'];

interface Bed {
  bin: string;
  log: string;
  done(): void;
}

/** A PATH of the real tools above plus the given fakes (sh scripts); every fake call is logged. */
function bed(fakes: Record<string, string>): Bed {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-shell-'));
  const bin = join(dir, 'bin');
  execFileSync('mkdir', [bin]);
  for (const t of TOOLS) {
    const real = execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim();
    symlinkSync(real, join(bin, t));
  }
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  for (const [name, body] of Object.entries(fakes)) {
    const path = join(bin, name);
    writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> ${q(log)}\nF=${q(FIXTURES)}\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return { bin, log, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run sections as the gather does (one compound script) and split their outputs back. */
function runSections(b: Bed, sections: Section[]): Record<string, RawOutput> {
  const marker = newMarker();
  const script = buildScript(sections, marker);
  const r = spawnSync('sh', ['-c', script], { env: { PATH: b.bin }, encoding: 'utf8' });
  return splitSections(sections, r.stdout, r.stderr, marker, false);
}

const calls = (b: Bed) => readFileSync(b.log, 'utf8').trim().split('\n');

test('ping section with fping: the lost target gets a confirming round with a measured timeout, and the loss is confirmed', (t) => {
  // fping -C prints its per-ping summary on stderr: the captured lxd1 view with lxd3's tinc down.
  const b = bed({
    fping: `awk -v a=" $* " 'index(a, " " $1 " ")' "$F/fping/fault-tinc-down-lxd1-C3-q.txt" >&2; exit 1`,
  });
  try {
    const raw = runSections(b, [pingSection(MESH_PING, ['172.16.0.2', '172.16.0.3'])]);
    const [first, again] = calls(b);
    t.is(first, 'fping -q -C 3 -p 100 -t 700 172.16.0.2 172.16.0.3');
    // Ten times the slowest reply (0.365 ms) is below the floor: 250 ms, and only the lost target.
    t.is(again, 'fping -q -C 2 -p 50 -t 250 172.16.0.3');
    const { mesh, meshTool } = meshFacts(raw);
    t.is(meshTool, 'fping');
    const two = mesh?.find((m) => m.target === '172.16.0.2');
    const three = mesh?.find((m) => m.target === '172.16.0.3');
    t.like(two, { sent: 3, received: 3, lossPercent: 0 });
    t.is(two?.confirmRound, undefined);
    t.like(three, { sent: 6, received: 0, lossPercent: 100 });
    t.deepEqual(three?.confirmRound, { sent: 3, received: 0, lostAgain: true });
  } finally {
    b.done();
  }
});

test('ping section without fping: iputils ping per target in parallel, framed so the fan-out parser reads each', (t) => {
  // No fping on PATH: the section says so on stderr and falls back to ping.
  const b = bed({
    ping: [
      'for a; do t=$a; done',
      'case "$t" in',
      `  172.16.134.84) cat "$F/ping/healthy-c1-ping-c3-ip.txt"; exit 0 ;;`,
      `  *) cat "$F/ping/healthy-lxd1-ping-absent.txt"; exit 1 ;;`,
      'esac',
    ].join('\n'),
  });
  try {
    const raw = runSections(b, [pingSection(MESH_PING, ['172.16.134.84', '172.16.0.99'])]);
    t.regex(raw[MESH_PING]?.stderr ?? '', /fping not found, using ping/);
    const { mesh, meshTool } = meshFacts(raw);
    t.is(meshTool, 'ping');
    t.like(
      mesh?.find((m) => m.target === '172.16.134.84'),
      { sent: 3, received: 3, lossPercent: 0, rttAvgMs: 0.33 },
    );
    // The absent target lost everything twice: the confirming ping ran and is folded in.
    const absent = mesh?.find((m) => m.target === '172.16.0.99');
    t.is(absent?.received, 0);
    t.true(absent?.confirmRound?.lostAgain);
    t.is(calls(b).filter((c) => c.endsWith(' 172.16.0.99')).length, 2);
  } finally {
    b.done();
  }
});

test('path-MTU ladder: full size and smallest first, then the sizes between where only the smallest passed', (t) => {
  // The captured `ping -M do` outputs: over 1200 bytes "message too long, mtu=1200", at most that, a pass.
  const b = bed({
    fping: `awk -v a=" $* " 'index(a, " " $1 " ")' "$F/fping/healthy-lxd1-C3-noq.stderr.txt" >&2`,
    ping: [
      'for a; do t=$a; done',
      's=0; prev=; for a; do [ "$prev" = -s ] && s=$a; prev=$a; done',
      'if [ "$s" -gt 1172 ]; then',
      `  cat "$F/ping/fault-mtu-lxd2-ping-lxd1-Mdo-s1472.txt"; cat "$F/ping/fault-mtu-lxd2-ping-lxd1-Mdo-s1472.stderr.txt" >&2; exit 1`,
      'fi',
      `cat "$F/peervpn/baseline.ping-c3-Mdo-s1472-172.16.0.2.ok.pv-h1.txt"`,
    ].join('\n'),
    // The route lookup after a failed ladder: nothing cached here.
    ip: 'exit 0',
  });
  try {
    const inv = inventory('tinc', 2);
    const sections = meshSections(inv, inv.hosts[0]!);
    t.deepEqual(
      sections.map((s) => s.name),
      [MESH_PING, PMTU],
    );
    const raw = runSections(b, sections);
    const { pmtu, mesh } = meshFacts(raw);
    t.like(mesh?.[0], { target: '172.16.0.2', received: 3 });
    t.is(pmtu?.length, 1);
    t.like(pmtu?.[0], {
      target: '172.16.0.2',
      fullOk: false,
      largestOk: 1200,
      fullError: 'message too long, mtu=1200',
    });
    const sizes = calls(b)
      .filter((c) => c.startsWith('ping '))
      .map((c) => Number(/-s (\d+)/.exec(c)?.[1]) + 28)
      .sort((a, z) => z - a);
    t.deepEqual(sizes, [1500, 1480, 1450, 1420, 1400, 1350, 1300, 1200, 1000]);
    t.true(calls(b).includes('ip route get 172.16.0.2'));
  } finally {
    b.done();
  }
});

test("a container's inner probe, run through `lxc exec` as its section runs it: tools, pings by address and name, getent", (t) => {
  const inv = inventory('tinc');
  const c = (name: string, host: string, ip: string): PlacedContainer => ({
    name,
    host,
    info: { name, status: 'Running', running: true, ipv4: [ip], ipv6: [], nics: {} },
  });
  const script = innerProbeScript(inv, c('c1', 'lxd1', '172.16.116.132'), [c('c3', 'lxd3', '172.16.134.84')]);
  const b = bed({
    // `lxc exec c1 -- sh -c SCRIPT`: run what follows `--` here.
    lxc: 'shift 3; exec "$@"',
    ping: [
      'for a; do t=$a; done',
      `case "$t" in c3.lxd) cat "$F/ping/healthy-c1-ping-c3-name.txt" ;; *) cat "$F/ping/healthy-c1-ping-c3-ip.txt" ;; esac`,
    ].join('\n'),
    getent: `cat "$F/misc/healthy-c1-getent-ahostsv4-c3.txt"`,
  });
  try {
    const section: Section = {
      name: 'ct-0',
      shell: `${q('lxc')} exec ${q('c1')} -- sh -c ${q(script)}`,
      timeoutSeconds: 20,
    };
    const raw = runSections(b, [section]);
    const probe = parseContainerProbe('ct-0', raw['ct-0']!);
    t.is(probe?.container, 'c1');
    t.is(probe?.error, undefined);
    // python3 and socat are not on this PATH: the probe lists only what it found.
    t.deepEqual(probe?.tools, ['ping', 'getent']);
    t.like(probe?.byIp.get('172.16.134.84'), { sent: 3, received: 3 });
    t.like(probe?.byName.get('c3.lxd'), { received: probe?.byName.get('c3.lxd')?.sent });
    t.deepEqual(probe?.dns.get('c3.lxd')?.addresses, ['172.16.134.84']);
    t.true(calls(b).includes('getent ahostsv4 c3.lxd'));
  } finally {
    b.done();
  }
});
