/**
 * The lab's peervpn stand-in must not drift from the real peervpn's log format: every line it prints
 * must have the shape of a line the real daemon printed (fixtures/peervpn/, real captures), its banner
 * must be the real banner line for line, and it must behave as the real daemon was observed to (count
 * on change, sessions not peers, silent peers dropped after a timeout, resolving while alone, the
 * shutdown lines). It runs here for real (bash), with a stub tincd, `lo` as its "tap" and short timers.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { parsePeervpnConfig, parsePeervpnLog } from '../../src/facts/parsers/peervpn.js';
import { peervpnConfig, STANDIN_SCRIPT } from '../../src/lab/peervpn.js';

const FIX = new URL('../../fixtures/peervpn/', import.meta.url).pathname;
const real = (f: string) => readFileSync(join(FIX, f), 'utf8');
const REAL_LOGS = [
  'baseline.peervpn-log.pv-h1.txt',
  'faultB.peervpn-log.pv-h1.txt',
  'faultB.peervpn-log-killed.pv-h3.txt',
  'run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt',
];
const lines = (t: string) => t.replace(/\n$/, '').split('\n');

/** A line with its variable parts (uptime, counts, IDs, addresses, device name) abstracted. */
function shape(line: string): string {
  return line
    .replace(/\b[0-9A-F]{64}\b/g, '<hex64>')
    .replace(/^\[\d+\] \d+ peers connected\.$/, '[<n>] <m> peers connected.')
    .replace(/^\[\d+\]/, '[<n>]')
    .replace(/\d+\.\d+\.\d+\.\d+:\d+/g, '<addr>')
    .replace(/device "[^"]+"/, 'device "<if>"');
}

/** Shapes of the lines the real daemon prints to its log, console tables aside (the stand-in has no console). */
const REAL_SHAPES = new Set(
  REAL_LOGS.flatMap((f) => lines(real(f)))
    .filter((l) => !/^(PeerID|MAC|[0-9A-F]{8}\s|[0-9A-F]{2}(:[0-9A-F]{2}){5}\s)/.test(l))
    .map(shape),
);

/** The banner up to and including the first count, as shapes. */
function banner(text: string): string[] {
  const ls = lines(text);
  const end = ls.findIndex((l) => / peers connected\.$/.test(l));
  return ls.slice(0, end + 1).map(shape);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run the stand-in in a temp dir; `script` drives it (sessions dir given); returns its output. */
async function runStandin(
  conf: string,
  script: (sessions: string, out: () => string) => Promise<void>,
): Promise<{ out: string; code: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'lxlab-peervpn-'));
  const tinc = join(dir, 'tinc');
  const bin = join(dir, 'bin');
  mkdirSync(join(tinc, 'peers'), { recursive: true });
  mkdirSync(bin);
  const pub = '-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n';
  writeFileSync(join(tinc, 'peers', hostname()), `Address = 192.168.99.1\n\n${pub}`);
  writeFileSync(join(tinc, 'peers', 'lxd2'), `Address = 192.168.99.2\n\n${pub}`);
  writeFileSync(join(tinc, 'stand-in.key'), 'k\n');
  // A stub tincd: stays until TERM, ignores ALRM (the stand-in's "retry now"), writes its pid file as tincd does.
  writeFileSync(
    join(bin, 'tincd'),
    `#!/bin/sh\ntrap '' ALRM\ntrap 'exit 0' TERM\necho $$ > ${join(dir, 'tinc.pid')}\n: > ${join(dir, 'run', 'tap-open')}\nwhile :; do sleep 0.2; done\n`,
  );
  chmodSync(join(bin, 'tincd'), 0o755);
  writeFileSync(join(dir, 'peervpn.conf'), conf);
  // Named peervpn, as in the lab (the kernel names the process after the script).
  writeFileSync(join(bin, 'peervpn'), STANDIN_SCRIPT);
  chmodSync(join(bin, 'peervpn'), 0o755);
  const sessions = join(dir, 'run', 'sessions');
  // stdout and stderr into one pipe, in order, as in the lab's log file (sh execs, so TERM reaches it).
  const child = spawn(
    '/bin/sh',
    ['-c', 'exec "$0" "$1" 2>&1', join(bin, 'peervpn'), join(dir, 'peervpn.conf')],
    {
      env: {
        PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
        LXLAB_PEERVPN_TINC_DIR: tinc,
        LXLAB_PEERVPN_TINC_PIDFILE: join(dir, 'tinc.pid'),
        LXLAB_PEERVPN_RUN: join(dir, 'run'),
        LXLAB_PEERVPN_CHECK_S: '1',
        LXLAB_PEERVPN_TIMEOUT_S: '2',
        LXLAB_PEERVPN_RESOLVE_S: '2',
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  try {
    await script(sessions, () => out);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await exited;
  await sleep(100);
  return { out, code };
}

async function until(what: string, cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const CONF = (upcmd: string) =>
  [
    'networkname LXLAB',
    'psk s3cretPSKvalue',
    'enabletunneling yes',
    'interface lo',
    'port 7000',
    'initpeers 192.168.99.2 7000',
    `upcmd ${upcmd}`,
    '',
  ].join('\n');

test('the lab writes peervpn.conf in the write-up’s shape, which lxdcheck’s parser reads', (t) => {
  const text = peervpnConfig({ index: 2, overlayAddress: '10.99.0.2' }, 3, 'abc123');
  const c = parsePeervpnConfig(text);
  t.is(c.interface, 'peervpn0');
  t.is(c.networkname, 'LXLAB');
  t.true(c.hasPsk);
  t.is(c.upcmd, 'brctl addif lxdbr0 peervpn0');
  t.deepEqual(c.initpeers, [
    { host: '192.168.99.1', port: 7000 },
    { host: '192.168.99.3', port: 7000 },
  ]);
  t.regex(text, /^port 7000$/m);
});

test('the stand-in prints only real peervpn lines, and behaves as the real daemon in each state', async (t) => {
  // The upcmd fails as brctl does when the bridge is missing (in the lab it is the real brctl).
  const upcmd = "echo 'bridge lxdbr0 does not exist!' >&2";
  const { out, code } = await runStandin(CONF(upcmd), async (sessions, o) => {
    await until('two resolve rounds while alone', () => (o().match(/resolving/g) ?? []).length >= 2);
    // Two peers connect (tinc's host-up opens a session each).
    writeFileSync(join(sessions, 'S.lxd2.1'), '');
    writeFileSync(join(sessions, 'S.lxd3.1'), '');
    await until('2 peers', () => / 2 peers connected\.\n/.test(o()));
    // lxd3 restarts: its old session goes silent (host-down), a new one opens.
    writeFileSync(join(sessions, 'S.lxd3.1.down'), `${Math.floor(Date.now() / 1000)}\n`);
    writeFileSync(join(sessions, 'S.lxd3.2'), '');
    await until('3 sessions', () => / 3 peers connected\.\n/.test(o()));
    await until('the silent session dropped', () => / 3 peers connected\.\n(.*\n)*\[\d+\] 2 peers/.test(o()));
  });
  t.is(code, 0);
  const ls = lines(out);
  for (const l of ls) t.true(REAL_SHAPES.has(shape(l)), `not a real peervpn line: ${JSON.stringify(l)}`);
  t.deepEqual(
    banner(out),
    banner(real('run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt')),
    'the banner, upcmd failure included, is the real one line for line',
  );
  // The shutdown lines on SIGTERM, exactly as the real daemon ends.
  t.deepEqual(
    ls.slice(-3),
    lines(real('run3-faultA.peervpn-log-console-started-before-lxdbr0.pv-h2.txt')).slice(-3),
  );
  // The count is printed only when it changes: 0, 2, 3 (a restarted peer's two sessions), 2.
  const counts = ls.map((l) => /^\[\d+\] (\d+) peers connected\.$/.exec(l)?.[1]).filter(Boolean);
  t.deepEqual(counts, ['0', '2', '3', '2']);
  // lxdcheck's parser reads it as it reads the real log.
  const parsed = parsePeervpnLog(out);
  t.is(parsed.version, '0.044');
  t.true(parsed.started);
  t.true(parsed.bridgeMissing);
  t.is(parsed.peerCount, 2);
  t.false(out.includes('s3cretPSKvalue'), 'the psk is never printed');
});

test('alone (a wrong psk looks like this): it keeps resolving its initpeers and prints no count after 0', async (t) => {
  const { out, code } = await runStandin(CONF('true'), async (_s, o) => {
    await until('three resolve rounds', () => (o().match(/resolving/g) ?? []).length >= 3);
  });
  t.is(code, 0);
  const ls = lines(out);
  for (const l of ls) t.true(REAL_SHAPES.has(shape(l)), `not a real peervpn line: ${JSON.stringify(l)}`);
  t.deepEqual(banner(out), banner(real('baseline.peervpn-log.pv-h1.txt')));
  t.is(ls.filter((l) => / peers connected\.$/.test(l)).length, 1);
  t.is(parsePeervpnLog(out).peerCount, 0);
  // Each round: `[N] resolving host:port...` then `             done.`, as in the real log.
  const i = ls.findIndex((l) => /^\[\d+\] resolving 192\.168\.99\.2:7000\.\.\.$/.test(l));
  t.is(ls[i + 1], '             done.');
});

test('the embedded script is valid bash', async (t) => {
  const r = await new Promise<number | null>((resolve) => {
    const c = spawn('bash', ['-n'], { stdio: ['pipe', 'ignore', 'ignore'] });
    c.on('exit', resolve);
    c.stdin.end(STANDIN_SCRIPT);
  });
  t.is(r, 0);
});
