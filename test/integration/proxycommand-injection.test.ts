/**
 * ProxyCommand runs under /bin/sh on this machine. A hostile user name (from
 * the inventory or ~/.ssh/config) must never reach that shell: the canary
 * file `x` that `$(touch${IFS}x)` would create must not appear.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { srcCli } from '../helpers/src-cli.js';

function setup(target: string, sshConfig: string) {
  const home = mkdtempSync(join(tmpdir(), 'lxdcheck-proxycmd-'));
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'config'), sshConfig);
  const inv = join(home, 'cluster.yaml');
  writeFileSync(
    inv,
    `cluster:
  subnet: 172.16.0.0/16
  overlay: { type: vxlan, interface: vx0 }
  dhcp: a
hosts:
  - { name: a, ssh: '${target}', bridgeAddress: 172.16.0.1 }
`,
  );
  return { home, inv };
}

const PROXY = 'Host h\n  ProxyCommand echo "as %r" >&2; exit 1\n';

test('a user name with $(…) in the inventory is refused before any ProxyCommand runs', async (t) => {
  const { home, inv } = setup('$(touch$' + '{IFS}x)u@h', PROXY);
  const r = await srcCli(['run', '-i', inv, '--connect-timeout', '3s', '--reporter', 'tap'], {
    cwd: home,
    env: { HOME: home },
  });
  t.false(existsSync(join(home, 'x')), 'the user name ran in the ProxyCommand shell');
  t.is(r.code, 2, r.stdout + r.stderr);
  t.regex(r.stderr, /invalid user/);
});

test('a hostile User from ~/.ssh/config is refused too', async (t) => {
  const { home, inv } = setup(
    'h',
    `Host h\n  User $(touch\${IFS}x)u\n  ProxyCommand echo "as %r" >&2; exit 1\n`,
  );
  const r = await srcCli(['run', '-i', inv, '--connect-timeout', '3s', '--reporter', 'tap'], {
    cwd: home,
    env: { HOME: home },
  });
  t.false(existsSync(join(home, 'x')));
  t.is(r.code, 2, r.stdout + r.stderr);
  t.regex(r.stderr, /SSH user/);
});
