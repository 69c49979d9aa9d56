/**
 * `lxdcheck cleanup` only touches its own marked probes, deletes only with
 * --allow-mutations, and an unreadable host is an error, not "no probes".
 * The host is local with a stub `lxc` that logs every call.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { srcCli } from '../helpers/src-cli.js';

const LIST = JSON.stringify([
  { name: 'lxdcheck-probe-prod', status: 'Running', config: { 'image.os': 'debian' } },
  {
    name: 'lxdcheck-probe-a1b2c3',
    status: 'Running',
    config: { 'user.lxdcheck.probe': '2026-01-01T00:00:00Z' },
  },
  { name: 'lxdcheck-probe-ffffff', status: 'Stopped', config: {} },
  { name: 'web1', status: 'Running', config: { 'user.lxdcheck.probe': 'x' } },
]);

function setup(listWorks: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-cleanup-'));
  const stub = join(dir, 'stub');
  mkdirSync(stub);
  writeFileSync(join(dir, 'list.json'), LIST);
  const log = join(dir, 'calls.log');
  writeFileSync(
    join(stub, 'lxc'),
    `#!/bin/sh
echo "$*" >> ${log}
case "$1" in
  list) ${listWorks ? `cat ${join(dir, 'list.json')}` : "echo 'Error: LXD unix socket not accessible' >&2; exit 1"} ;;
  delete) exit 0 ;;
  *) exit 1 ;;
esac
`,
  );
  chmodSync(join(stub, 'lxc'), 0o755);
  const inv = join(dir, 'cluster.yaml');
  writeFileSync(
    inv,
    `cluster:
  subnet: 172.16.0.0/16
  overlay: { type: vxlan, interface: vx0 }
  dhcp: here
hosts:
  - name: here
    transport: local
    localWrapper: [env, 'PATH=${stub}:/usr/bin:/bin']
    bridgeAddress: 172.16.0.1
`,
  );
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  return { inv, calls };
}

test('without --allow-mutations cleanup only lists, and only marked probes', async (t) => {
  const { inv, calls } = setup(true);
  const r = await srcCli(['cleanup', '-i', inv]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /here: would delete lxdcheck-probe-a1b2c3 \(add --allow-mutations to delete\)/);
  t.notRegex(r.stdout, /probe-prod|ffffff|web1/);
  t.notRegex(calls(), /delete/);
});

test('with --allow-mutations it deletes the marked probe and nothing else', async (t) => {
  const { inv, calls } = setup(true);
  const r = await srcCli(['cleanup', '-i', inv, '--allow-mutations']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /here: deleted lxdcheck-probe-a1b2c3\n/);
  t.deepEqual(
    calls()
      .split('\n')
      .filter((l) => l.startsWith('delete')),
    ['delete --force lxdcheck-probe-a1b2c3'],
  );
});

test('a host whose lxc list fails is an error, not "no probe containers"', async (t) => {
  const { inv } = setup(false);
  const r = await srcCli(['cleanup', '-i', inv, '--allow-mutations']);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /here: cannot list containers: lxc list failed: Error: LXD unix socket not accessible/);
  t.notRegex(r.stdout, /no probe containers/);
});
