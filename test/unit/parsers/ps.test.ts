import test from 'ava';
import { findDnsmasqInstances, parseProcesses } from '../../../src/facts/parsers/ps.js';
import { fixture, GARBAGE } from '../../helpers/fixtures.js';

test('ps -eo pid,comm,args: header skipped, args keep their spaces', (t) => {
  const procs = parseProcesses(fixture('ps/healthy-lxd1-ps-eo-pid-comm-args.txt'));
  t.deepEqual(
    procs.map((p) => [p.pid, p.comm]),
    [
      [1, 'bash'],
      [11, 'sleep'],
      [13, 'tincd'],
      [21, 'dnsmasq'],
      [23, 'sshd'],
      [49, 'ps'],
    ],
  );
  t.is(procs[0]!.args, 'bash -c trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done');
  t.is(procs[4]!.args, 'sshd: /usr/sbin/sshd -E /var/log/sshd.log [listener] 0 of 10-100 startups');
});

test('ps: a comm containing spaces is kept whole thanks to the header columns', (t) => {
  const header = fixture('ps/healthy-lxd1-ps-C-tincd.txt').split('\n')[0]!;
  // ps right-aligns the pid under PID and pads comm to 15 characters.
  const row = `${'77'.padStart(7)} ${'tmux: server'.padEnd(15)} tmux new -s x`;
  const procs = parseProcesses(`${header}\n${row}\n`);
  t.deepEqual(procs, [{ pid: 77, comm: 'tmux: server', args: 'tmux new -s x' }]);
});

test('ps without a header: comm is the first word', (t) => {
  t.deepEqual(parseProcesses('  13 tincd tincd -n lxd --logfile -d1\n'), [
    { pid: 13, comm: 'tincd', args: 'tincd -n lxd --logfile -d1' },
  ]);
});

test('dnsmasq: the lab server on lxd1 (--opt=value form)', (t) => {
  const [d, ...rest] = findDnsmasqInstances(
    parseProcesses(fixture('ps/healthy-lxd1-ps-eo-pid-comm-args.txt')),
  );
  t.is(rest.length, 0);
  t.like(d, {
    pid: 21,
    interfaces: ['lxdbr0'],
    listenAddresses: ['172.16.0.1'],
    dhcpRanges: ['172.16.100.1,172.16.199.254,255.255.0.0,1h'],
    domain: 'lxd',
    leaseFile: '/var/lib/misc/dnsmasq.leases',
    servesDhcp: true,
  });
});

test('dnsmasq: none on a secondary host, none after it was killed', (t) => {
  t.deepEqual(findDnsmasqInstances(parseProcesses(fixture('ps/healthy-lxd2-ps-eo-pid-comm-args.txt'))), []);
  t.deepEqual(
    findDnsmasqInstances(parseProcesses(fixture('ps/fault-nodns-lxd1-ps-eo-pid-comm-args.txt'))),
    [],
  );
});

test('dnsmasq: the rogue second DHCP server on lxd2 (fault-dhcp2)', (t) => {
  const found = findDnsmasqInstances(parseProcesses(fixture('ps/fault-dhcp2-lxd2-ps-eo-pid-comm-args.txt')));
  t.is(found.length, 1);
  t.like(found[0], { pid: 96, servesDhcp: true, listenAddresses: ['172.16.0.2'] });
  t.deepEqual(found[0]!.dhcpRanges, ['172.16.200.1,172.16.200.254,255.255.0.0,1h']);
});

test('dnsmasq started by LXD: `--opt value`, -s DOMAIN, and --interface-name not taken for --interface', (t) => {
  const found = findDnsmasqInstances(parseProcesses(fixture('ps/lxd-running-root-ps-C-dnsmasq.txt')));
  t.deepEqual(
    found.map((d) => d.pid),
    [25356, 25501, 25574],
  );
  t.like(found[1], {
    interfaces: ['lxdbr0'],
    listenAddresses: ['10.201.1.1'],
    dhcpRanges: ['10.201.1.2,10.201.1.254,1h'],
    domain: 'lxd',
    leaseFile: '/var/lib/lxd/networks/lxdbr0/dnsmasq.leases',
    servesDhcp: true,
  });
  t.is(found[2]!.leaseFile, '/srv/lxd-lab/d2/networks/lxdbr0/dnsmasq.leases');
});

test('dnsmasq: the legacy lxd-bridge command line (from formats.md)', (t) => {
  // Written from the option list in formats.md; no capture of the legacy script exists.
  const line =
    '  812 dnsmasq         dnsmasq -s lxd -S /lxd/ --strict-order --bind-interfaces --dhcp-no-override --except-interface=lo --interface=lxdbr0 --dhcp-leasefile=/var/lib/lxd-bridge/dnsmasq.lxdbr0.leases --dhcp-authoritative --listen-address 172.16.0.1 --dhcp-range 172.16.100.1,172.16.199.254 --dhcp-lease-max=25000';
  const [d] = findDnsmasqInstances(parseProcesses(line));
  t.like(d, {
    pid: 812,
    domain: 'lxd',
    interfaces: ['lxdbr0'],
    listenAddresses: ['172.16.0.1'],
    dhcpRanges: ['172.16.100.1,172.16.199.254'],
    leaseFile: '/var/lib/lxd-bridge/dnsmasq.lxdbr0.leases',
    servesDhcp: true,
  });
});

test('dnsmasq without a dhcp-range is DNS only', (t) => {
  const [d] = findDnsmasqInstances(
    parseProcesses('  5 dnsmasq dnsmasq --interface=lxdbr0,eth1 -a 172.16.0.2'),
  );
  t.deepEqual(d!.interfaces, ['lxdbr0', 'eth1']);
  t.deepEqual(d!.listenAddresses, ['172.16.0.2']);
  t.false(d!.servesDhcp);
});

test('ps: empty and garbage input', (t) => {
  t.deepEqual(parseProcesses(''), []);
  t.deepEqual(parseProcesses(GARBAGE), []);
  t.deepEqual(findDnsmasqInstances([]), []);
});

test('dnsmasq is judged by its executable, never by argv[0]', (t) => {
  const ps = [
    '    PID COMMAND         COMMAND',
    '     21 dnsmasq         dnsmasq --interface=lxdbr0 --dhcp-range=172.16.100.1,172.16.199.254',
    '     30 sleep           dnsmasq 1d --log-facility=/etc/shadow',
    '     31 dnsmasq         dnsmasq --log-facility=/var/log/x.log',
    '     32 dnsmasq         /usr/sbin/dnsmasq -k',
    '##EXE 21 /usr/sbin/dnsmasq',
    '##EXE 30 /usr/bin/sleep',
    '##EXE 31 /tmp/evil/bash',
    '##EXE 32 /usr/sbin/dnsmasq (deleted)',
  ].join('\n');
  const procs = parseProcesses(ps);
  t.is(procs.find((p) => p.pid === 30)!.exe, '/usr/bin/sleep');
  t.deepEqual(
    findDnsmasqInstances(procs).map((d) => [d.pid, d.exe]),
    [
      [21, '/usr/sbin/dnsmasq'],
      [32, '/usr/sbin/dnsmasq (deleted)'],
    ],
  );
  // Without exe lines (no root, old recordings) the kernel's comm decides, not argv[0].
  t.deepEqual(
    findDnsmasqInstances(parseProcesses(ps.split('\n').slice(0, 4).join('\n'))).map((d) => d.pid),
    [21, 31],
  );
});
