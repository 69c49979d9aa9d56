/**
 * Bad input to the CLI is a clear exit 2 with a message, never exit 3 with a
 * stack trace, and never silently ignored.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { srcCli } from '../helpers/src-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-usage-'));
const tap = join(dir, 'ok.tap');
writeFileSync(tap, 'TAP version 14\nok 1 - a.b: x\n1..1\n');

const usage = test.macro(async (t, args: string[], message: RegExp) => {
  const r = await srcCli(args);
  t.is(r.code, 2, r.stdout + r.stderr);
  t.regex(r.stderr, message);
  t.notRegex(r.stderr, /internal error|\n\s+at /);
});

test('gate DIR', usage, ['gate', dir], /is a folder, not a file/);
test('gate --waivers DIR', usage, ['gate', tap, '--waivers', dir], /--waivers .* is a folder/);
test('gate --max-warnings 0 is accepted', async (t) => {
  const r = await srcCli(['gate', tap, '--max-warnings', '0']);
  t.is(r.code, 0, r.stdout + r.stderr);
});

const inv = join(dir, 'cluster.yaml');
writeFileSync(
  inv,
  `cluster:
  subnet: 172.16.0.0/16
  overlay: { type: vxlan, interface: vx0 }
  dhcp: a
hosts:
  - { name: a, ssh: 'root@127.0.0.1:1', bridgeAddress: 172.16.0.1 }
`,
);
test(
  '--wait 5x is refused outside post-reboot too',
  usage,
  ['run', '-i', inv, '--wait', '5x'],
  /--wait: "5x" is not a duration/,
);
test(
  '--timeout beyond what a timer holds',
  usage,
  ['run', '-i', inv, '--timeout', '60000m'],
  /--timeout: .* too long/,
);
test('malformed bundle: missing meta', usage, ['run', '--replay', dir], /is not an lxdcheck bundle/);

test('`help CMD` is `CMD --help`; every command answers --help with exit 0', async (t) => {
  for (const cmd of ['run', 'doctor', 'init', 'gate', 'collect', 'cleanup', 'hosts', 'lab', 'demo']) {
    const viaHelp = await srcCli(['help', cmd]);
    const viaFlag = await srcCli([cmd, '--help']);
    t.is(viaFlag.code, 0, `${cmd} --help: ${viaFlag.stderr}`);
    t.is(viaHelp.code, 0, `help ${cmd}: ${viaHelp.stderr}`);
    t.is(viaHelp.stdout, viaFlag.stdout, cmd);
    t.regex(viaFlag.stdout, new RegExp(`lxdcheck ${cmd}`), cmd);
  }
});
