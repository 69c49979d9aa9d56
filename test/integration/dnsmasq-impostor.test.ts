/**
 * A process that only calls itself dnsmasq (argv[0]) must not make lxdcheck
 * read the file its fake `--log-facility=` names: the canary's content must
 * not reach the bundle. Runs the real `ps` through the local transport.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { srcCli } from '../helpers/src-cli.js';

test('exec -a dnsmasq … --log-facility=FILE: FILE is never read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-impostor-'));
  const canary = join(dir, 'shadow');
  writeFileSync(canary, 'root:$6$CANARYSHADOWHASH:19000:0:99999:7:::\n');
  // bash's `exec -a` sets argv[0]; sh ignores the arguments after its -c program.
  const impostor = spawn(
    'bash',
    ['-c', `exec -a dnsmasq /bin/sh -c 'sleep 120; :' --log-facility=${canary}`],
    {
      stdio: 'ignore',
    },
  );
  try {
    await new Promise((r) => setTimeout(r, 300));
    const inv = join(dir, 'cluster.yaml');
    writeFileSync(
      inv,
      `cluster:
  subnet: 127.0.0.0/8
  overlay: { type: vxlan, interface: lxck-none0 }
  dhcp: here
hosts:
  - { name: here, transport: local, bridgeAddress: 127.0.0.1 }
`,
    );
    const rec = join(dir, 'bundle');
    const r = await srcCli(['run', '-i', inv, '--record', rec, '--reporter', `json:${join(dir, 'r.json')}`], {
      timeoutMs: 120_000,
    });
    t.true(r.code === 0 || r.code === 1, r.stderr);
    const bundle = readFileSync(join(rec, 'hosts', readdirSync(join(rec, 'hosts'))[0]!), 'utf8');
    // The impostor is in the process list (so the test saw it), yet its "log" was not read.
    t.true(bundle.includes(`dnsmasq -c sleep 120; : --log-facility=${canary}`), 'the impostor is not in ps');
    t.false(bundle.includes('CANARYSHADOWHASH'), 'the canary file was read into the bundle');
    t.false(readFileSync(join(dir, 'r.json'), 'utf8').includes('CANARYSHADOWHASH'));
  } finally {
    impostor.kill();
  }
});
