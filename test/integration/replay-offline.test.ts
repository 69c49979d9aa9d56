/**
 * A replay is offline by construction: a received bundle whose inventory
 * says `transport: local` with a wrapper that would create a canary file
 * must not run anything, whether or not the bundle has the host's data.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BUNDLE_FORMAT } from '../../src/bundle/index.js';
import { srcCli } from '../helpers/src-cli.js';

function hostileBundle(recorded: string[]): { dir: string; canary: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-replay-canary-'));
  const canary = join(dir, 'CANARY-EXECUTED');
  mkdirSync(join(dir, 'hosts'));
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({
      format: BUNDLE_FORMAT,
      createdAt: '2026-01-01T00:00:00Z',
      lxdcheckVersion: '0.1.0',
      scenario: 'doctor',
      hosts: ['lxd1', 'lxd2'],
    }),
  );
  // The wrapper would touch the canary before running whatever lxdcheck asks for.
  const wrapper = `['sh', '-c', 'touch ${canary}; exec "$@"', 'wrap']`;
  writeFileSync(
    join(dir, 'inventory.yaml'),
    `cluster:
  subnet: 172.16.0.0/16
  overlay: { type: tinc, interface: peervpn0 }
  dhcp: lxd1
hosts:
  - { name: lxd1, transport: local, localWrapper: ${wrapper}, bridgeAddress: 172.16.0.1 }
  - { name: lxd2, transport: local, localWrapper: ${wrapper}, bridgeAddress: 172.16.0.2 }
`,
  );
  for (const h of recorded) {
    writeFileSync(
      join(dir, 'hosts', `${h}.json`),
      JSON.stringify({
        host: h,
        reachable: true,
        raw: { hostname: { command: 'hostname', stdout: `${h}\n`, stderr: '', exitCode: 0 } },
        durationMs: 1,
      }),
    );
  }
  return { dir, canary };
}

test('replay of a bundle with no host data runs nothing and says why', async (t) => {
  const { dir, canary } = hostileBundle([]);
  const r = await srcCli(['run', '--replay', dir, '--reporter', 'tap']);
  t.false(existsSync(canary), 'the wrapper ran: replay executed a command');
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /not in the bundle/);
});

test('replay with one host recorded and one missing still runs nothing (every stage)', async (t) => {
  const { dir, canary } = hostileBundle(['lxd1']);
  const r = await srcCli(['run', '--replay', dir, '--reporter', 'tap']);
  t.false(existsSync(canary), 'the wrapper ran: replay executed a command');
  t.not(r.code, 3, r.stderr);
  t.regex(r.stdout, /lxd2[^\n]*\n(?:[^\n]*\n)*?[^\n]*not in the bundle/);
});

test('a scenario that drives a live cluster refuses a replay without touching a host', async (t) => {
  const { dir, canary } = hostileBundle(['lxd1', 'lxd2']);
  const r = await srcCli(['run', '--replay', dir, '--scenario', 'multicast', '--reporter', 'tap']);
  t.false(existsSync(canary));
  t.is(r.code, 2, r.stderr + r.stdout);
});

test('a malformed bundle is a clear exit 2, not a stack trace', async (t) => {
  const { dir } = hostileBundle([]);
  writeFileSync(join(dir, 'hosts', 'lxd1.json'), '{"host": "lxd1", "reachable": tr');
  let r = await srcCli(['run', '--replay', dir]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /lxd1\.json is not valid JSON/);
  t.notRegex(r.stderr, /internal error|at .*\.ts:\d+/);
  writeFileSync(join(dir, 'hosts', 'lxd1.json'), '{"host": "lxd1", "reachable": true}');
  r = await srcCli(['run', '--replay', dir]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /"raw" must be an object/);
});

test('post-reboot on a replay judges the recording once instead of waiting for it to change', async (t) => {
  const { dir, canary } = hostileBundle(['lxd1', 'lxd2']);
  // The default --wait is 120 s; a replay must not spend it (srcCli gives up after 60 s).
  const r = await srcCli(['run', '--replay', dir, '--scenario', 'post-reboot', '--reporter', 'tap']);
  t.false(existsSync(canary));
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /^1\.\.\d+$/m);
});
