/**
 * `lxdcheck doctor` in a real terminal: tmux runs the built CLI on a replay
 * bundle (no network) made of real captured outputs from fixtures/ — a healthy
 * three-host tinc bed where lxd2's overlay tap was taken off its bridge
 * (`brctl delif lxdbr0 peervpn0`). We press keys and read the screen as a
 * person would; one screen is compared with a committed text snapshot.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { textWidth } from '../../src/report/width.js';
import { fixture } from '../helpers/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const SNAPSHOT = join(ROOT, 'test', 'snapshots', 'doctor-failed.txt');
const FIX = 'ip link set peervpn0 master lxdbr0';

const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
const tmuxTest = hasTmux ? test.serial : test.serial.skip;

interface Raw {
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
}
const out = (command: string, stdout: string, exitCode = 0, stderr = ''): Raw => ({
  command,
  stdout,
  stderr,
  exitCode,
});

const INVENTORY = `cluster:
  name: lab
  domain: lxd
  bridge: lxdbr0
  subnet: 172.16.0.0/16
  dhcpRange: 172.16.100.1,172.16.199.254
  overlay:
    type: tinc
    network: lxd
    interface: peervpn0
    subnet: 10.99.0.0/24
  dhcp: lxd1
hosts:
${[1, 2, 3]
  .map(
    (n) =>
      `  - name: lxd${n}\n    ssh: root@192.168.99.${n}\n    bridgeAddress: 172.16.0.${n}\n    overlayAddress: 10.99.0.${n}\n`,
  )
  .join('')}`;

/** One host's sections as the gather script records them, from the captures of that host. */
function hostRaw(n: 1 | 2 | 3, delif: boolean): Record<string, Raw> {
  const h = `lxd${n}`;
  const faulty = delif && n === 2;
  const f = (healthy: string, fault: string) => fixture(faulty ? fault : healthy);
  return {
    hostname: out('hostname', `${h}\n`),
    links: out('ip -j -d link show', f(`ip/healthy-${h}-link.json`, 'ip/fault-delif-lxd2-link.json')),
    addrs: out('ip -j addr show', f(`ip/healthy-${h}-addr.json`, 'ip/fault-delif-lxd2-addr.json')),
    routes: out('ip -j -4 route show table main', fixture(`ip/healthy-${h}-route.json`)),
    brif: out(
      "ls -1 '/sys/class/net/lxdbr0/brif'",
      f(`sysfs/healthy-${h}-lxdbr0-brif.txt`, 'sysfs/fault-delif-lxd2-lxdbr0-brif.txt'),
    ),
    brctl: out('brctl show', f(`brctl/healthy-${h}-show.txt`, 'brctl/fault-delif-lxd2-show.txt')),
    sysfs: out(
      'grep -H . /sys/class/net/lxdbr0/bridge/multicast_snooping /sys/class/net/lxdbr0/bridge/multicast_querier',
      // lxd1 is the IGMP querier of the L2, as a healthy cluster has one.
      `/sys/class/net/lxdbr0/bridge/multicast_snooping:1\n/sys/class/net/lxdbr0/bridge/multicast_querier:${n === 1 ? 1 : 0}\n`,
    ),
    // Router ports as captured on the lab: none on the querier, lxd1's queries marked the others' taps.
    mdb: out(
      "bridge -d -s mdb show dev 'lxdbr0'",
      fixture(
        n === 1
          ? 'mdb/lab-lxd1-querier.txt'
          : faulty
            ? 'mdb/lab-lxd2-not-a-port.txt'
            : 'mdb/lab-lxd3-router-learned-stats.txt',
      ),
    ),
    ps: out('ps -eo pid,comm,args', fixture(`ps/healthy-${h}-ps-eo-pid-comm-args.txt`)),
    'ss-udp': out('ss -H -ulnp', fixture(`ss/healthy-${h}-ss-ulnp.txt`)),
    'overlay-dump': out('tincd -n lxd -kUSR2 …', fixture(`tinc/healthy-${h}-usr2-dump-only.txt`)),
    // fping -q reports on stderr. Only lxd1's view of the fault was captured (lxd2 lost).
    'mesh-ping': out(
      'fping -q -C 3 -p 200 -t 700 …',
      '',
      delif && n === 1 ? 1 : 0,
      fixture(delif && n === 1 ? 'fping/fault-delif-lxd1-c3-q.txt' : `fping/healthy-${h}-c3-q.txt`),
    ),
  };
}

function writeBundle(dir: string, delif: boolean): void {
  mkdirSync(join(dir, 'hosts'), { recursive: true });
  writeFileSync(join(dir, 'inventory.yaml'), INVENTORY);
  const hosts = ['lxd1', 'lxd2', 'lxd3'];
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({
      format: 'lxdcheck.bundle/v1',
      createdAt: '2026-01-01T00:00:00.000Z',
      lxdcheckVersion: '0.1.0',
      scenario: 'doctor',
      hosts,
    }),
  );
  for (const n of [1, 2, 3] as const) {
    const g = { host: `lxd${n}`, reachable: true, raw: hostRaw(n, delif), durationMs: 300 + n };
    writeFileSync(join(dir, 'hosts', `lxd${n}.json`), JSON.stringify(g, null, 2));
  }
}

let work = '';
let faultBundle = '';
let healthyBundle = '';

test.before(() => {
  // Build the CLI the test runs (the same dist/ a user runs). tsc emits even with type
  // errors; type-checking is `npm run typecheck`'s job, running what was built is ours.
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0)
    console.warn(`tsc reported problems (built anyway):\n${build.stdout}${build.stderr}`);
  if (!existsSync(join(ROOT, 'dist', 'cli', 'tui', 'index.js')))
    throw new Error('the build did not produce dist/cli');
  work = mkdtempSync(join(tmpdir(), 'lxdcheck-doctor-'));
  faultBundle = join(work, 'delif');
  healthyBundle = join(work, 'healthy');
  writeBundle(faultBundle, true);
  writeBundle(healthyBundle, false);
});

test.after.always(() => {
  if (work && !process.env.KEEP_BUNDLES) rmSync(work, { recursive: true, force: true });
  else if (work) console.warn(`bundles kept in ${work}`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A detached 80x24 tmux session on a private server (never the user's), running one command. */
/**
 * The environment of a person at a terminal: the test's own, without the
 * markers of a CI job (ink renders only the final frame when it thinks it
 * runs in CI, and CI runs this test with CI=true).
 */
function personEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  for (const k of Object.keys(env)) {
    if (k === 'CI' || k === 'CONTINUOUS_INTEGRATION' || k.startsWith('CI_')) delete env[k];
  }
  return env;
}

class Tmux {
  // The server's socket lives in the test's temporary directory, removed with it.
  readonly socket = join(work, `tmux-${Math.random().toString(36).slice(2, 8)}.sock`);
  readonly session = 'doctor';
  readonly statusFile: string;
  constructor(command: string, env: Record<string, string> = {}) {
    this.statusFile = `${this.socket}.status`;
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // The shell records the command's exit status for waitExit (tmux 3.3 does not report it).
    const wrapped = `${command}; echo $? > ${JSON.stringify(this.statusFile)}`;
    // remain-on-exit before the pane exists: its last screen stays readable after the command ends.
    this.tmux(
      '-f',
      '/dev/null',
      'start-server',
      ';',
      'set-option',
      '-g',
      'remain-on-exit',
      'on',
      ';',
      'new-session',
      '-d',
      '-s',
      this.session,
      '-x',
      '80',
      '-y',
      '24',
      ...envArgs,
      wrapped,
    );
  }
  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', env: personEnv() });
  }
  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.session);
  }
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.session, ...keys);
  }
  /** Poll the screen until `re` shows up (or fail with the last screen). */
  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let s = '';
    while (Date.now() < deadline) {
      s = this.screen();
      if (re.test(s)) return s;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${re} on screen:\n${s}`);
  }
  async waitExit(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(this.statusFile)) {
        const text = readFileSync(this.statusFile, 'utf8').trim();
        if (text !== '') return Number(text);
      }
      await sleep(100);
    }
    throw new Error(`doctor did not exit; screen:\n${this.screen()}`);
  }
  kill(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server']);
  }
}

/** Timings change from run to run; everything else on the screen must not. */
function normalise(screen: string): string {
  return (
    screen
      .replace(/\b\d+(?:\.\d+)?(?:ms|s)\b/g, '<t>')
      // The header right-aligns the elapsed time, so its padding varies with the time's width.
      .replace(/ {2,}done <t>$/gm, '  done <t>')
      .split('\n')
      .map((l) => l.replace(/\s+$/, ''))
      .join('\n')
      .replace(/\n+$/, '\n')
  );
}

// fixtures/ holds no capture of the DNS probe, the path-MTU ladder or `lxc list` on these
// hosts: leave those checks out
// rather than invent their output.
const SKIPS = ['--skip', 'dns.*', '--skip', 'mesh.pmtu', '--skip', 'containers.*'];
const doctor = (bundle: string) =>
  `node ${JSON.stringify(CLI)} doctor --replay ${JSON.stringify(bundle)} ${SKIPS.map((a) => JSON.stringify(a)).join(' ')}`;

tmuxTest(
  'doctor on a terminal: the failed check, its evidence and its fix, keys, and exit code 1',
  async (t) => {
    const tm = new Tmux(doctor(faultBundle), { NO_COLOR: '1' });
    t.teardown(() => tm.kill());
    const first = await tm.waitFor(/Found \d+ problems?/);
    t.regex(first, /lxdcheck doctor · lab · doctor · 3 hosts/);
    t.regex(first, /✗ Found \d+ problems? on \d hosts?/);
    t.regex(first, /^›\s+✗ /m, 'the first failure is selected');

    // Move down the failures (j) to lxd2's bridge membership: the list scrolls to show it whole.
    const member = /^›\s+✗ lxd2 {2}peervpn0 is a port of lxdbr0 {2}\[overlay\.member\]/m;
    let screen = first;
    for (let i = 0; i < 8 && !member.test(screen); i++) {
      tm.keys('j');
      await sleep(150);
      screen = tm.screen();
    }
    t.regex(screen, member, 'the failed check by name, selected');
    t.regex(screen, /peervpn0 is not a port of lxdbr0 on lxd2/);
    t.true(screen.includes(`fix: ${FIX}`), 'the fix line is on screen');
    for (const line of screen.split('\n')) t.true(textWidth(line) <= 80, `fits 80 columns: ${line}`);

    // The snapshot: what a person sees once the run is done (timings normalised), compared with
    // the committed test/snapshots/doctor-failed.txt. A missing file is a failure, never written
    // silently; UPDATE_SNAPSHOTS=1 rewrites it on purpose (then review the diff and say why).
    const normalised = normalise(screen);
    if (process.env.UPDATE_SNAPSHOTS === '1') {
      writeFileSync(SNAPSHOT, normalised);
      t.log(`wrote ${SNAPSHOT}`);
    } else if (!existsSync(SNAPSHOT)) {
      t.fail(`${SNAPSHOT} is missing: it is committed with the test (UPDATE_SNAPSHOTS=1 writes it)`);
    } else {
      t.is(normalised, readFileSync(SNAPSHOT, 'utf8'), 'matches test/snapshots/doctor-failed.txt');
    }

    // e on the root cause unfolds what it explains; e again folds it.
    tm.keys('e');
    const unfolded = await tm.waitFor(/↳ /);
    t.regex(unfolded, /↳ ✗ lxd1->lxd2 {2}lxd1 pings lxd2's bridge/);
    t.regex(unfolded, /explains 1 other failure \(e: fold\)/);
    tm.keys('e');
    await tm.waitFor(/\(e: unfold\)/);

    // Enter opens it: expected, actual, the evidence and the hint.
    tm.keys('Enter');
    const details = await tm.waitFor(/How to fix/);
    t.regex(details, /✗ peervpn0 is a port of lxdbr0/);
    t.regex(details, /overlay\.member {2}· {2}lxd2 {2}· {2}fail/);
    t.regex(details, /expected: /);
    t.regex(details, /actual: {3}/);
    t.regex(details, /\$ brctl show/);
    t.true(details.includes(FIX));
    tm.keys('Escape');
    await tm.waitFor(member);
    tm.keys('g');
    await tm.waitFor(/Found \d+ problems?/);

    // f: failures only — the passing checks leave the screen.
    tm.keys('f');
    const failures = await tm.waitFor(/\[failures only\]/);
    t.notRegex(failures, /gathered in/, 'no host tree');
    t.notRegex(failures, /! lxd\d {2}a default route exists/, 'no warnings');
    t.regex(failures, /✗ lxd1->lxd2 {2}lxd1 pings lxd2's bridge/);
    // The VPN link itself is fine (lxd2's tap is off its bridge): its peer check is not a failure.
    t.notRegex(failures, /✗ lxd1 {2}the tinc daemon is connected/);

    // r: re-run only the failed checks; the replay fails the same way.
    tm.keys('r');
    await tm.waitFor(/re-run \d+ failed/);
    await tm.waitFor(/done .*\n(?:.*\n)*.*Found \d+ problems?/);

    tm.keys('q');
    t.is(await tm.waitExit(), 1, 'exit code of the last run: a check failed');
  },
);

tmuxTest(
  'doctor on the healthy bundle: no problems (the captures have warnings); Ctrl-C quits with 0',
  async (t) => {
    const tm = new Tmux(doctor(healthyBundle), { NO_COLOR: '1' });
    t.teardown(() => tm.kill());
    const screen = await tm.waitFor(/No issues found!|No problems found|Found \d+ problem/);
    // The lab captures have no default route and addresses on the enslaved taps: warnings, not failures.
    t.regex(screen, /! No problems found \(\d+ warnings?(, \d+ skipped)?\)/, screen);
    t.regex(screen, /✓ \d+ {2}✗ 0 {2}! \d+/);
    t.notRegex(screen, /Found \d+ problem/);
    tm.keys('C-c');
    t.is(await tm.waitExit(), 0);
  },
);

test('not a terminal: doctor prints the plain summary and exits 1 on the failing bundle', (t) => {
  // As a person would type it; pipefail makes the pipeline's status doctor's.
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${doctor(faultBundle)} | cat`], { encoding: 'utf8' });
  t.is(r.status, 1, r.stderr);
  // stdin a terminal or not, stdout a pipe is enough to fall back.
  const direct = spawnSync('node', [CLI, 'doctor', '--replay', faultBundle, ...SKIPS], { encoding: 'utf8' });
  t.is(direct.status, 1, direct.stderr);
  for (const s of [r.stdout, direct.stdout]) {
    t.regex(s, /Found \d+ problems? on \d hosts?/);
    t.true(s.includes(FIX));
    t.false(s.includes('\u001b['), 'no ANSI on a pipe');
    t.notRegex(s, /↑↓\/jk move/, 'not the TUI');
  }
  const healthy = spawnSync('node', [CLI, 'doctor', '--replay', healthyBundle, ...SKIPS], {
    encoding: 'utf8',
  });
  t.is(healthy.status, 0, healthy.stdout);
});
