import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { dnsmasqLogFile, dnsmasqLogShell } from '../../src/facts/host/dhcp.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import type { DnsmasqInstance } from '../../src/facts/types.js';

const inst = (args: string, exe?: string): DnsmasqInstance => ({
  pid: 21,
  args,
  ...(exe ? { exe } : {}),
  interfaces: [],
  listenAddresses: [],
  dhcpRanges: [],
  servesDhcp: false,
});
const facts = (...d: DnsmasqInstance[]) => ({ dnsmasq: d }) as unknown as HostFacts;

test('the dnsmasq log is read only from a log folder, for a system dnsmasq', (t) => {
  const ok = 'dnsmasq --log-facility=/var/log/dnsmasq.log';
  t.deepEqual(dnsmasqLogFile(facts(inst(ok, '/usr/sbin/dnsmasq'))), {
    pid: 21,
    path: '/var/log/dnsmasq.log',
  });
  t.deepEqual(dnsmasqLogFile(facts(inst(ok))), { pid: 21, path: '/var/log/dnsmasq.log' });
  t.is(dnsmasqLogFile(facts(inst('dnsmasq --log-facility=/etc/shadow', '/usr/sbin/dnsmasq'))), null);
  t.is(dnsmasqLogFile(facts(inst('dnsmasq --log-facility=/var/log/../../etc/shadow'))), null);
  t.is(dnsmasqLogFile(facts(inst('dnsmasq --log-facility=/root/.ssh/id_ed25519'))), null);
  t.is(dnsmasqLogFile(facts(inst(ok, '/tmp/dnsmasq'))), null, 'a copy outside system folders');
  t.is(dnsmasqLogFile(facts(inst('dnsmasq --log-facility=-'))), null, 'stderr is not a file');
});

test('on the host: a symlinked log or a pid that is not dnsmasq is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lxdcheck-dnslog-'));
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'SECRET\n');
  const link = join(dir, 'dnsmasq.log');
  symlinkSync(secret, link);
  const run = (pid: number, path: string) => {
    try {
      return {
        out: execFileSync('sh', ['-c', dnsmasqLogShell(pid, path)], { encoding: 'utf8', stdio: 'pipe' }),
        code: 0,
      };
    } catch (e) {
      const err = e as { status: number; stdout: string; stderr: string };
      return { out: err.stdout + err.stderr, code: err.status };
    }
  };
  // This test's own pid is node, not dnsmasq.
  const notDnsmasq = run(process.pid, secret);
  t.is(notDnsmasq.code, 3);
  t.false(notDnsmasq.out.includes('SECRET'));
  t.regex(notDnsmasq.out, /not a dnsmasq executable/);
  // A process whose executable is named dnsmasq (a copy of sleep): the file checks decide.
  const fake = join(dir, 'dnsmasq');
  copyFileSync('/bin/sleep', fake);
  chmodSync(fake, 0o755);
  const p = spawn(fake, ['30'], { stdio: 'ignore' });
  try {
    // Wait (bounded) until the child has exec'd the copy.
    for (let i = 0; i < 200 && readlinkSync(`/proc/${p.pid}/exe`) !== fake; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const log = join(dir, 'real.log');
    writeFileSync(log, 'dnsmasq-dhcp[1]: DHCPACK(lxdbr0) 172.16.100.5 00:16:3e:00:00:01 c1\n');
    t.deepEqual(run(p.pid!, log), {
      out: 'dnsmasq-dhcp[1]: DHCPACK(lxdbr0) 172.16.100.5 00:16:3e:00:00:01 c1\n',
      code: 0,
    });
    const viaLink = run(p.pid!, link);
    t.is(viaLink.code, 3);
    t.false(viaLink.out.includes('SECRET'));
    t.regex(viaLink.out, /not a regular log file/);
  } finally {
    p.kill();
  }
});
