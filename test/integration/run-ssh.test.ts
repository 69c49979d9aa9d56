/**
 * `lxdcheck run` end to end against a real OpenSSH server this test starts
 * on 127.0.0.1: a host that answers, one that refuses, one with a changed
 * host key. The TAP must stay complete and strict-valid, the exit code 1,
 * and every check of a lost host a SKIP that says why.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Parser } from 'tap-parser';
import { cli } from '../helpers/e2e.js';
import { freePort, startSshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-run-ssh-'));

function inventory(port: number, deadPort: number, key: string, knownHosts: string): string {
  const file = join(dir, `inv-${port}.yaml`);
  writeFileSync(
    file,
    `cluster:
  name: loopback
  subnet: 172.16.0.0/16
  overlay: { type: tinc, interface: peervpn0, network: lxd }
  dhcp: here
ssh:
  identityFile: ${key}
  knownHosts: ${knownHosts}
hosts:
  - { name: here, ssh: 'root@127.0.0.1:${port}', bridgeAddress: 172.16.0.1 }
  - { name: gone, ssh: 'root@127.0.0.1:${deadPort}', bridgeAddress: 172.16.0.2 }
`,
  );
  return file;
}

async function strictTap(text: string) {
  const p = new Parser({ strict: true });
  const failures: unknown[] = [];
  p.on('parseError', (e: unknown) => failures.push(e));
  const done = new Promise<Parser['results']>((resolve) => p.on('complete', resolve));
  p.end(text);
  return { results: await done, failures };
}

test.serial(
  'a reachable host is checked, an unreachable one is SKIPped with the reason, and the TAP is complete',
  async (t) => {
    const sshd = await startSshd();
    try {
      const inv = inventory(sshd.port, await freePort(), sshd.userKeyPath, sshd.knownHostsPath);
      const json = join(dir, 'r.json');
      const r = await cli(
        ['run', '-i', inv, '--reporter', 'tap', '--reporter', `json:${json}`, '--connect-timeout', '3s'],
        60_000,
      );
      t.is(r.code, 1, r.stderr);
      const { results, failures } = await strictTap(r.stdout);
      t.deepEqual(failures, []);
      t.true(
        results !== null && results.ok === false && results.count > 10 && results.plan.end === results.count,
      );
      const doc = JSON.parse(readFileSync(json, 'utf8')) as {
        results: { id: string; status: string; subject: { host?: string }; summary: string }[];
      };
      const here = doc.results.filter((x) => x.subject.host === 'here');
      t.is(here.find((x) => x.id === 'ssh.reachable')?.status, 'pass');
      // This machine has no lxdbr0: a real, judged failure, not a skip.
      t.is(here.find((x) => x.id === 'bridge.exists')?.status, 'fail');
      const gone = doc.results.filter((x) => x.subject.host === 'gone' && x.id !== 'ssh.reachable');
      t.regex(
        doc.results.find((x) => x.subject.host === 'gone' && x.id === 'ssh.reachable')?.summary ?? '',
        /gone unreachable: .*ECONNREFUSED/,
      );
      t.true(
        gone
          .filter((x) => !x.id.startsWith('mesh.'))
          .every((x) => x.status === 'skip' && /needs ssh\.reachable on gone failed/.test(x.summary)),
      );
      t.is(sshd.acceptedCount(), 1, 'one SSH connection for the whole run');
    } finally {
      await sshd.stop();
    }
  },
);

test.serial('a changed host key is refused loudly and nothing runs on that host', async (t) => {
  const sshd = await startSshd();
  const other = await startSshd();
  try {
    // known_hosts holds another server's key for this address: a mismatch.
    const wrong = join(dir, 'known_hosts_wrong');
    writeFileSync(
      wrong,
      readFileSync(other.knownHostsPath, 'utf8').replaceAll(`:${other.port}]`, `:${sshd.port}]`),
    );
    const inv = inventory(sshd.port, await freePort(), sshd.userKeyPath, wrong);
    const json = join(dir, 'mismatch.json');
    const r = await cli(['run', '-i', inv, '--reporter', `json:${json}`, '--reporter', 'tap'], 60_000);
    t.is(r.code, 1);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as {
      results: { id: string; status: string; subject: { host?: string }; summary: string }[];
    };
    const reach = doc.results.find((x) => x.subject.host === 'here' && x.id === 'ssh.reachable');
    t.is(reach?.status, 'fail');
    t.regex(reach?.summary ?? '', /SHA256:/);
    t.is(sshd.acceptedCount(), 0, 'no login to a host whose key changed');
  } finally {
    await sshd.stop();
    await other.stop();
  }
});

test.serial('a bad inventory exits 2 with file, line and field, and no stack trace', async (t) => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    'cluster:\n  subnet: 172.16.0.0/16\n  overlay: { type: peervpn }\n  dhcp: lxd1\nhosts:\n  - { name: lxd1, ssh: root@10.0.0.1, bridgeAdress: 172.16.0.1 }\n',
  );
  const r = await cli(['run', '-i', file]);
  t.is(r.code, 2);
  t.regex(r.stderr, /bad\.yaml:6:\d+: hosts\[0\]\.bridgeAdress: .*did you mean "bridgeAddress"/);
  t.notRegex(r.stderr, /\n\s+at /);
});
