import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {
  expandProxyCommand,
  formatInventoryError,
  InventoryError,
  loadInventory,
  parseInventory,
  parseProxyJump,
  parseSshTarget,
} from '../../src/inventory/load.js';
import type { SshSpec } from '../../src/inventory/types.js';

const HOME = '/home/me';
const ME = 'me';
const FIXTURES = path.resolve('fixtures/inventory');

/** YAML from lines, so that line N of the file is lines[N-1]. */
function y(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

function parse(text: string, sshConfigText?: string) {
  return parseInventory(text, 'cluster.yaml', {
    homeDir: HOME,
    localUser: ME,
    ...(sshConfigText === undefined ? {} : { sshConfigText }),
  });
}

function parseError(text: string): InventoryError {
  const e = (() => {
    try {
      parse(text);
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  if (!(e instanceof InventoryError)) throw new Error(`expected an InventoryError, got ${String(e)}`);
  return e;
}

// A valid three-host file; the invalid cases below each change one thing.
const HEAD = [
  'cluster:', //                         1
  '  subnet: 172.16.0.0/16', //          2
  '  overlay:', //                       3
  '    type: peervpn', //                4
  '    subnet: 10.99.0.0/24', //         5
  '  dhcp: lxd1', //                     6
  'hosts:', //                           7
  '  - name: lxd1', //                   8
  '    ssh: root@192.168.99.1', //       9
  '    bridgeAddress: 172.16.0.1', //    10
  '    overlayAddress: 10.99.0.1', //    11
];

test('the example cluster file (fixtures/inventory/cluster.yaml) loads with the right values', (t) => {
  const inv = loadInventory(path.join(FIXTURES, 'cluster.yaml'), {
    sshConfigPath: '/nonexistent/ssh_config',
  });
  t.is(inv.file, path.join(FIXTURES, 'cluster.yaml'));
  t.deepEqual(inv.cluster, {
    name: 'cluster',
    domain: 'lxd',
    bridge: 'lxdbr0',
    subnet: '172.16.0.0/16',
    dhcpRange: '172.16.100.1,172.16.199.254',
    overlay: {
      type: 'peervpn',
      interface: 'peervpn0',
      subnet: '10.99.0.0/24',
      configFile: '/etc/peervpn/peervpn.conf',
      unit: 'peervpn.service',
    },
    dhcp: 'lxd1',
  });
  t.deepEqual(
    inv.hosts.map((h) => [h.name, h.bridgeAddress, h.overlayAddress, h.transport]),
    [
      ['lxd1', '172.16.0.1', '10.99.0.1', 'ssh'],
      ['lxd2', '172.16.0.2', '10.99.0.2', 'ssh'],
      ['lxd3', '172.16.0.3', '10.99.0.3', 'ssh'],
    ],
  );
  const home = os.homedir();
  t.is(inv.hosts[0]!.ssh.resolvedBy, 'library');
  t.deepEqual(inv.hosts[0]!.ssh.inventory?.target, { user: 'root', host: '192.168.99.1' });
  t.deepEqual(withoutResolution(inv.hosts[0]!.ssh), {
    target: 'root@192.168.99.1',
    user: 'root',
    hostname: '192.168.99.1',
    port: 22,
    identityFiles: [path.join(home, '.ssh/id_ed25519')],
    proxyJump: [],
    sudo: false,
  });
  t.like(inv.hosts[2]!.ssh, { user: 'admin', hostname: '192.168.99.3', port: 2222, sudo: true });
  t.is(inv.knownHosts, path.join(home, '.ssh/known_hosts'));
});

test('defaults: cluster name from the file name, domain, bridge, overlay interface, transport', (t) => {
  const inv = parseInventoryNamed(y(...HEAD), '/etc/lxdcheck/prod-east.yaml');
  t.is(inv.cluster.name, 'prod-east');
  t.is(inv.cluster.domain, 'lxd');
  t.is(inv.cluster.bridge, 'lxdbr0');
  t.is(inv.cluster.overlay.interface, 'peervpn0');
  t.is(inv.cluster.lxdCommand, undefined);
  t.is(inv.hosts[0]!.transport, 'ssh');
  t.is(inv.hosts[0]!.ssh.user, 'root');
  t.is(inv.knownHosts, undefined);
});

function parseInventoryNamed(text: string, file: string) {
  return parseInventory(text, file, { homeDir: HOME, localUser: ME });
}

test('the lab example: transport local with a wrapper, ssh optional for local hosts', (t) => {
  const inv = loadInventory(path.join(FIXTURES, 'lab-example.yaml'), {
    sshConfigPath: '/nonexistent/ssh_config',
  });
  t.is(inv.cluster.name, 'lab');
  t.deepEqual(inv.cluster.overlay, { type: 'vxlan', interface: 'vxlan0' });
  t.deepEqual(
    inv.hosts.map((h) => [h.name, h.transport, h.localWrapper]),
    [
      ['lab1', 'local', ['ip', 'netns', 'exec', 'lxdcheck-lab1']],
      ['lab2', 'local', ['nsenter', '--net=/run/netns/lxdcheck-lab2', '--']],
      ['remote1', 'ssh', undefined],
    ],
  );
});

test('the message reads file:line:col: field: problem', (t) => {
  const e = parseError(
    y(
      ...HEAD,
      '  - name: lxd2', //                12
      '    ssh: root@192.168.99.2', //    13
      '    bridgeAddress: 172.17.0.2', // 14
    ),
  );
  t.is(e.file, 'cluster.yaml');
  t.is(e.line, 14);
  t.is(e.column, 20);
  t.is(e.field, 'hosts[1].bridgeAddress');
  t.is(
    e.message,
    'cluster.yaml:14:20: hosts[1].bridgeAddress: 172.17.0.2 is not inside cluster.subnet 172.16.0.0/16 ' +
      '(expected 172.16.0.1 .. 172.16.255.254)',
  );
});

interface Bad {
  title: string;
  text: string;
  line: number;
  column: number;
  field: string;
  problem: RegExp;
}

const HOST2 = (bridge = '172.16.0.2', overlay = '10.99.0.2', name = 'lxd2') => [
  `  - name: ${name}`, //                12
  '    ssh: root@192.168.99.2', //       13
  `    bridgeAddress: ${bridge}`, //     14
  `    overlayAddress: ${overlay}`, //   15
];

const BAD: Bad[] = [
  {
    title: 'YAML syntax error at the parser position',
    text: y('cluster:', '  subnet: [172.16.0.0/16', 'hosts: []'),
    line: 3,
    column: 1,
    field: '',
    problem: /^YAML syntax: .*Flow sequence/,
  },
  {
    title: 'duplicate YAML key',
    text: y('cluster:', '  subnet: 172.16.0.0/16', '  subnet: 172.17.0.0/16'),
    line: 3,
    column: 3,
    field: '',
    problem: /^YAML syntax: Map keys must be unique/,
  },
  {
    title: 'not a mapping',
    text: y('- lxd1', '- lxd2'),
    line: 1,
    column: 1,
    field: '(file)',
    problem: /expected a mapping with cluster: and hosts:, got a list/,
  },
  {
    title: 'unknown key with did-you-mean',
    text: y(...HEAD, '  - name: lxd2', '    ssh: root@192.168.99.2', '    bridgeAdress: 172.16.0.2'),
    line: 14,
    column: 5,
    field: 'hosts[1].bridgeAdress',
    problem: /^unknown key "bridgeAdress"; did you mean "bridgeAddress"\?$/,
  },
  {
    title: 'unknown top-level key lists the known ones',
    text: y(...HEAD, 'extras: 1'),
    line: 12,
    column: 1,
    field: 'extras',
    problem: /^unknown key "extras" \(known keys: cluster, ssh, hosts\)$/,
  },
  {
    title: 'missing cluster.subnet points at cluster:',
    text: y(...HEAD.slice(0, 1), ...HEAD.slice(2)),
    line: 1,
    column: 1,
    field: 'cluster.subnet',
    problem: /^is required: the shared L2 subnet/,
  },
  {
    title: 'missing bridgeAddress points at the host item',
    text: y(...HEAD, '  - name: lxd2', '    ssh: root@192.168.99.2'),
    line: 12,
    column: 5,
    field: 'hosts[1].bridgeAddress',
    problem: /^is required: this host's IPv4 address on the bridge, inside 172\.16\.0\.0\/16$/,
  },
  {
    title: 'empty value of a required field points at its key',
    text: y(...HEAD.slice(0, 5), '  dhcp:', ...HEAD.slice(6)),
    line: 6,
    column: 3,
    field: 'cluster.dhcp',
    problem: /^is empty; /,
  },
  {
    title: 'wrong type: sudo is not a boolean (YAML 1.2: yes is a string)',
    text: y(...HEAD, '    sudo: yes'),
    line: 12,
    column: 11,
    field: 'hosts[0].sudo',
    problem: /^expected true or false, got the string "yes"$/,
  },
  {
    title: 'wrong type: a number where a string belongs, with a quoting hint',
    text: y(...HEAD, '    localWrapper: [nsenter, -t, 123]', '    transport: local'),
    line: 12,
    column: 33,
    field: 'hosts[0].localWrapper[2]',
    problem: /^expected a string, got number 123 \(quote it: '123'\)$/,
  },
  {
    title: 'invalid CIDR prefix',
    text: y('cluster:', '  subnet: 172.16.0.0/33', ...HEAD.slice(2)),
    line: 2,
    column: 11,
    field: 'cluster.subnet',
    problem: /prefix length 33; it must be 0\.\.32/,
  },
  {
    title: 'CIDR with host bits set suggests the network',
    text: y('cluster:', '  subnet: 172.16.0.1/16', ...HEAD.slice(2)),
    line: 2,
    column: 11,
    field: 'cluster.subnet',
    problem: /did you mean 172\.16\.0\.0\/16\?$/,
  },
  {
    title: 'address not IPv4',
    text: y(...HEAD, ...HOST2('172.16.0.256')),
    line: 14,
    column: 20,
    field: 'hosts[1].bridgeAddress',
    problem: /^172\.16\.0\.256 is not an IPv4 address/,
  },
  {
    title: 'address with a prefix length',
    text: y(...HEAD, ...HOST2('172.16.0.2/16')),
    line: 14,
    column: 20,
    field: 'hosts[1].bridgeAddress',
    problem: /write the address alone: 172\.16\.0\.2$/,
  },
  {
    title: 'network address used as a host address',
    text: y(...HEAD, ...HOST2('172.16.0.0')),
    line: 14,
    column: 20,
    field: 'hosts[1].bridgeAddress',
    problem: /^172\.16\.0\.0 is the network address of cluster\.subnet 172\.16\.0\.0\/16/,
  },
  {
    title: 'broadcast address used as an overlay address',
    text: y(...HEAD, ...HOST2('172.16.0.2', '10.99.0.255')),
    line: 15,
    column: 21,
    field: 'hosts[1].overlayAddress',
    problem: /^10\.99\.0\.255 is the broadcast address of cluster\.overlay\.subnet 10\.99\.0\.0\/24/,
  },
  {
    title: 'overlay address outside overlay.subnet',
    text: y(...HEAD, ...HOST2('172.16.0.2', '10.98.0.2')),
    line: 15,
    column: 21,
    field: 'hosts[1].overlayAddress',
    problem: /^10\.98\.0\.2 is not inside cluster\.overlay\.subnet 10\.99\.0\.0\/24/,
  },
  {
    title: 'duplicate host names',
    text: y(...HEAD, ...HOST2('172.16.0.2', '10.99.0.2', 'lxd1')),
    line: 12,
    column: 11,
    field: 'hosts[1].name',
    problem: /^duplicate host name "lxd1" \(first used on line 8\)$/,
  },
  {
    title: 'duplicate bridge addresses',
    text: y(...HEAD, ...HOST2('172.16.0.1')),
    line: 14,
    column: 20,
    field: 'hosts[1].bridgeAddress',
    problem: /^172\.16\.0\.1 is already the bridgeAddress of hosts\[0\] on line 10$/,
  },
  {
    title: 'duplicate overlay addresses',
    text: y(...HEAD, ...HOST2('172.16.0.2', '10.99.0.1')),
    line: 15,
    column: 21,
    field: 'hosts[1].overlayAddress',
    problem: /^10\.99\.0\.1 is already the overlayAddress of hosts\[0\] on line 11$/,
  },
  {
    title: 'dhcp names a host that does not exist',
    text: y(...HEAD.slice(0, 5), '  dhcp: lxd11', ...HEAD.slice(6)),
    line: 6,
    column: 9,
    field: 'cluster.dhcp',
    problem: /^"lxd11" is not one of the hosts \(lxd1\); did you mean "lxd1"\?$/,
  },
  {
    title: 'unknown overlay type lists the known ones',
    text: y(...HEAD.slice(0, 3), '    type: wireguard', ...HEAD.slice(4)),
    line: 4,
    column: 11,
    field: 'cluster.overlay.type',
    problem: /^"wireguard" is not a known overlay type \(known: peervpn, tinc, vxlan\)$/,
  },
  {
    title: 'dhcpRange reversed',
    text: y(...HEAD.slice(0, 2), '  dhcpRange: 172.16.199.254,172.16.100.1', ...HEAD.slice(2)),
    line: 3,
    column: 14,
    field: 'cluster.dhcpRange',
    problem: /comes after 172\.16\.100\.1; write the lower address first: 172\.16\.100\.1,172\.16\.199\.254$/,
  },
  {
    title: 'dhcpRange outside the subnet',
    text: y(...HEAD.slice(0, 2), '  dhcpRange: 172.16.100.1,172.17.0.9', ...HEAD.slice(2)),
    line: 3,
    column: 14,
    field: 'cluster.dhcpRange',
    problem: /^172\.17\.0\.9 is not inside cluster\.subnet 172\.16\.0\.0\/16$/,
  },
  {
    title: 'dhcpRange malformed',
    text: y(...HEAD.slice(0, 2), '  dhcpRange: 172.16.100.1-172.16.199.254', ...HEAD.slice(2)),
    line: 3,
    column: 14,
    field: 'cluster.dhcpRange',
    problem: /is not first,last/,
  },
  {
    title: 'hosts empty',
    text: y(...HEAD.slice(0, 6), 'hosts: []'),
    line: 7,
    column: 1,
    field: 'hosts',
    problem: /^is empty; list at least one host$/,
  },
  {
    title: 'bad host name characters',
    text: y(...HEAD.slice(0, 7), '  - name: LXD_1', ...HEAD.slice(8)),
    line: 8,
    column: 11,
    field: 'hosts[0].name',
    problem: /^"LXD_1" is not a valid host name .*e\.g\. lxd-1\)$/,
  },
  {
    title: 'ssh target port out of range',
    text: y(...HEAD.slice(0, 8), '    ssh: root@192.168.99.1:70000', ...HEAD.slice(9)),
    line: 9,
    column: 10,
    field: 'hosts[0].ssh',
    problem: /^port 70000 in root@192\.168\.99\.1:70000 is out of range \(expected 1\.\.65535\)$/,
  },
  {
    title: 'ssh target with an empty user',
    text: y(...HEAD.slice(0, 8), '    ssh: "@192.168.99.1"', ...HEAD.slice(9)),
    line: 9,
    column: 10,
    field: 'hosts[0].ssh',
    problem: /empty user/,
  },
  {
    title: 'localWrapper without transport local',
    text: y(...HEAD, '    localWrapper: [nsenter, -t, "1", -n, --]'),
    line: 12,
    column: 5,
    field: 'hosts[0].localWrapper',
    problem: /^is only used with transport: local/,
  },
  {
    title: 'bad proxyJump hop',
    text: y(...HEAD, '    proxyJump: bastion,,other'),
    line: 12,
    column: 16,
    field: 'hosts[0].proxyJump',
    problem: /^hop 2 of "bastion,,other" is empty$/,
  },
  {
    title: 'vxlan overlay needs an interface',
    text: y(...HEAD.slice(0, 3), '    type: vxlan', ...HEAD.slice(4)),
    line: 3,
    column: 3,
    field: 'cluster.overlay.interface',
    problem: /^is required: the vxlan device/,
  },
  {
    title: 'relative overlay logFile',
    text: y(...HEAD.slice(0, 5), '    logFile: var/log/peervpn.log', ...HEAD.slice(5)),
    line: 6,
    column: 14,
    field: 'cluster.overlay.logFile',
    problem: /is not an absolute path/,
  },
  {
    title: 'a unit that would be an option (--host=evil.example)',
    text: y(...HEAD.slice(0, 5), '    unit: --host=evil.example', ...HEAD.slice(5)),
    line: 6,
    column: 11,
    field: 'cluster.overlay.unit',
    problem: /is not a systemd unit name/,
  },
  {
    title: 'a tinc network that would be an option',
    text: y(...HEAD.slice(0, 3), '    type: tinc', '    network: -kKILL', ...HEAD.slice(4)),
    line: 5,
    column: 14,
    field: 'cluster.overlay.network',
    problem: /is not a tinc network name/,
  },
];

for (const bad of BAD) {
  test(`invalid: ${bad.title}`, (t) => {
    const e = parseError(bad.text);
    t.is(e.field, bad.field, e.message);
    t.is(e.line, bad.line, e.message);
    t.is(e.column, bad.column, e.message);
    t.regex(e.problem, bad.problem);
    t.true(e.message.startsWith(`cluster.yaml:${bad.line}:${bad.column}: `));
  });
}

test('every problem is reported, in file order', (t) => {
  const e = parseError(
    y(
      'cluster:',
      '  subnet: 172.16.0.0/16',
      '  overlay: {type: tnic}',
      '  dhcp: lxd1',
      'hosts:',
      '  - name: lxd1',
      '    ssh: root@h1:0',
      '    bridgeAddress: 10.0.0.1',
    ),
  );
  t.deepEqual(
    e.all.map((x) => [x.line, x.field]),
    [
      [3, 'cluster.overlay.type'],
      [7, 'hosts[0].ssh'],
      [8, 'hosts[0].bridgeAddress'],
    ],
  );
  t.regex(e.all[0]!.problem, /did you mean "tinc"\?$/);
  const text = formatInventoryError(e);
  t.is(text.split('\n').length, 4);
  t.regex(text, /^cluster\.yaml:3:/);
  t.regex(text, /3 problems in cluster\.yaml$/);
});

test('a missing file is an InventoryError without a line', (t) => {
  const e = t.throws(() => loadInventory('/nonexistent/cluster.yaml'), { instanceOf: InventoryError });
  t.is(e.line, null);
  t.is(e.column, null);
  t.is(e.message, '/nonexistent/cluster.yaml: cannot read the inventory: no such file');
});

// ---- ssh ----

const SSH_CONFIG = [
  'Host web',
  '  HostName web.internal.example',
  '  User alice',
  '  Port 2200',
  '  IdentityFile ~/.ssh/web_%r',
  '  ProxyJump jumpy,bob@hop2:2022',
  '',
  'Host jumpy',
  '  HostName jump.example.com',
  '  User jumper',
  '  Port 2222',
  '  IdentityFile ~/.ssh/jump',
  '',
  'Host piped',
  '  ProxyCommand ssh -W %h:%p gateway',
  '  ProxyJump jumpy',
  '',
  'Host jumpfirst',
  '  ProxyJump jumpy',
  '  ProxyCommand nc %h %p',
  '',
  'Host 10.0.0.*',
  '  User tenuser',
  '',
  'Host *',
  '  User nobody',
  '  IdentityFile ~/.ssh/id_%u',
  '',
].join('\n');

/** One host whose ssh settings are `hostLines`, with optional inventory `ssh:` defaults. */
function sshInventory(hostLines: string[], defaults: string[] = []) {
  return y(
    'cluster:',
    '  subnet: 172.16.0.0/16',
    '  overlay: {type: peervpn}',
    '  dhcp: h',
    ...(defaults.length ? ['ssh:', ...defaults.map((l) => `  ${l}`)] : []),
    'hosts:',
    '  - name: h',
    '    bridgeAddress: 172.16.0.1',
    ...hostLines.map((l) => `    ${l}`),
  );
}

/** The spec without what is kept for OpenSSH's later resolution (openssh.test.ts covers that). */
function withoutResolution(ssh: SshSpec): SshSpec {
  const { inventory: _inventory, resolvedBy: _resolvedBy, alias: _alias, ...rest } = ssh;
  return rest;
}

/** `config` null: no ~/.ssh/config at all. */
function sshOf(hostLines: string[], defaults: string[] = [], config: string | null = SSH_CONFIG) {
  return parse(sshInventory(hostLines, defaults), config ?? undefined).hosts[0]!.ssh;
}

test('ssh config alias: HostName, User, Port, IdentityFile, ProxyJump resolved (hops through the config too)', (t) => {
  const ssh = sshOf(['ssh: web'], ['identityFile: ~/.ssh/inventory_default']);
  t.deepEqual(withoutResolution(ssh), {
    target: 'web',
    user: 'alice',
    hostname: 'web.internal.example',
    port: 2200,
    identityFiles: ['/home/me/.ssh/web_alice', '/home/me/.ssh/id_me', '/home/me/.ssh/inventory_default'],
    proxyJump: [
      {
        user: 'jumper',
        hostname: 'jump.example.com',
        port: 2222,
        identityFiles: ['/home/me/.ssh/jump', '/home/me/.ssh/id_me'],
      },
      { user: 'bob', hostname: 'hop2', port: 2022, identityFiles: ['/home/me/.ssh/id_me'] },
    ],
    sudo: false,
  });
});

test('precedence: user@ and :port in the target beat ~/.ssh/config', (t) => {
  const ssh = sshOf(['ssh: carol@web:2201']);
  t.like(ssh, { user: 'carol', hostname: 'web.internal.example', port: 2201 });
});

test('precedence: ~/.ssh/config (incl. Host * and patterns) beats the inventory ssh: defaults', (t) => {
  t.is(sshOf(['ssh: 10.0.0.5'], ['user: root']).user, 'tenuser');
  t.is(sshOf(['ssh: other.example'], ['user: root']).user, 'nobody');
  // Without a config the inventory default applies, and without that the local user.
  t.is(sshOf(['ssh: other.example'], ['user: root'], null).user, 'root');
  t.is(sshOf(['ssh: other.example'], [], null).user, ME);
  t.is(sshOf(['ssh: other.example'], [], null).port, 22);
});

test('precedence: host-level identityFile and proxyJump beat ~/.ssh/config; none switches the jump off', (t) => {
  const ssh = sshOf([
    'ssh: web',
    'identityFile: [~/.ssh/host_key, "%d/keys/%h-%r"]',
    'proxyJump: ops@bastion:2200',
  ]);
  t.deepEqual(ssh.identityFiles, [
    '/home/me/.ssh/host_key',
    '/home/me/keys/web.internal.example-alice',
    '/home/me/.ssh/web_alice',
    '/home/me/.ssh/id_me',
  ]);
  t.deepEqual(ssh.proxyJump, [
    { user: 'ops', hostname: 'bastion', port: 2200, identityFiles: ['/home/me/.ssh/id_me'] },
  ]);
  t.deepEqual(sshOf(['ssh: web', 'proxyJump: none']).proxyJump, []);
});

test('inventory default proxyJump applies only when ~/.ssh/config sets no jump', (t) => {
  const defaults = ['proxyJump: gw.example.com'];
  t.deepEqual(
    sshOf(['ssh: plain.example'], defaults).proxyJump.map((h) => h.hostname),
    ['gw.example.com'],
  );
  t.deepEqual(
    sshOf(['ssh: web'], defaults).proxyJump.map((h) => h.hostname),
    ['jump.example.com', 'hop2'],
  );
});

test('ProxyCommand is passed through as written; the first of ProxyCommand/ProxyJump wins', (t) => {
  const ssh = sshOf(['ssh: piped']);
  t.is(ssh.proxyCommand, 'ssh -W %h:%p gateway');
  t.deepEqual(ssh.proxyJump, []);
  t.is(expandProxyCommand(ssh), 'ssh -W piped:22 gateway');
  t.is(expandProxyCommand(sshOf(['ssh: web'])), undefined);
  const jumpFirst = sshOf(['ssh: jumpfirst']);
  t.is(jumpFirst.proxyCommand, undefined);
  t.deepEqual(
    jumpFirst.proxyJump.map((h) => h.hostname),
    ['jump.example.com'],
  );
});

test('sudo: host-level beats the ssh: default', (t) => {
  t.true(sshOf(['ssh: a'], ['sudo: true']).sudo);
  t.false(sshOf(['ssh: a', 'sudo: false'], ['sudo: true']).sudo);
  t.false(sshOf(['ssh: a']).sudo);
});

test('~ expansion in identityFile and knownHosts', (t) => {
  const inv = parse(sshInventory(['ssh: a', 'identityFile: ~/.ssh/k'], ['knownHosts: ~/.ssh/kh_%u']));
  t.deepEqual(inv.hosts[0]!.ssh.identityFiles, ['/home/me/.ssh/k']);
  t.is(inv.knownHosts, '/home/me/.ssh/kh_me');
  // `~user` and absolute paths are left alone.
  t.deepEqual(sshOf(['ssh: a', 'identityFile: [~bob/k, /etc/k]'], [], null).identityFiles, [
    '~bob/k',
    '/etc/k',
  ]);
});

test('a bad Port in ~/.ssh/config is reported on the host ssh field', (t) => {
  const e = t.throws(() => parse(sshInventory(['ssh: weird']), 'Host weird\n  Port 99999\n'), {
    instanceOf: InventoryError,
  });
  t.is(e.field, 'hosts[0].ssh');
  t.is(e.line, 8);
  t.regex(e.problem, /Port 99999 for weird; expected 1\.\.65535/);
});

test('parseSshTarget: user@host:port, IPv6, aliases, URLs and errors', (t) => {
  t.deepEqual(parseSshTarget('root@192.168.99.1'), { user: 'root', host: '192.168.99.1' });
  t.deepEqual(parseSshTarget('root@192.168.99.1:2222'), { user: 'root', host: '192.168.99.1', port: 2222 });
  t.deepEqual(parseSshTarget('admin@[fe80::1]:22'), { user: 'admin', host: 'fe80::1', port: 22 });
  t.deepEqual(parseSshTarget('[2001:db8::5]'), { host: '2001:db8::5' });
  t.deepEqual(parseSshTarget('2001:db8::5'), { host: '2001:db8::5' });
  t.deepEqual(parseSshTarget('my-alias'), { host: 'my-alias' });
  t.deepEqual(parseSshTarget('ssh://u@h.example:2022'), { user: 'u', host: 'h.example', port: 2022 });
  t.regex(parseSshTarget('root@h:0') as string, /out of range/);
  t.regex(parseSshTarget('root@h:ssh') as string, /is not a number/);
  t.regex(parseSshTarget('a@b@c') as string, /more than one "@"/);
  t.regex(parseSshTarget('root@[fe80::1') as string, /without "]"/);
  t.regex(parseSshTarget('root@host name') as string, /whitespace/);
  t.regex(parseSshTarget('root@ho$t') as string, /not a valid host name/);
});

test('parseProxyJump: chains, none, and errors', (t) => {
  t.deepEqual(parseProxyJump('user@jump:2222,other'), [
    { user: 'user', host: 'jump', port: 2222 },
    { host: 'other' },
  ]);
  t.deepEqual(parseProxyJump('a, b@[::1]:2'), [{ host: 'a' }, { user: 'b', host: '::1', port: 2 }]);
  t.deepEqual(parseProxyJump('none'), []);
  t.deepEqual(parseProxyJump('NONE'), []);
  t.regex(parseProxyJump('a,b:99999') as string, /^hop 2: port 99999/);
});

test('loadInventory reads the given ssh config file', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lxdcheck-inv-'));
  const cfg = path.join(dir, 'ssh_config');
  const inv = path.join(dir, 'c.yaml');
  writeFileSync(cfg, 'Host h1\n  HostName 192.0.2.7\n  Port 2022\n');
  writeFileSync(inv, sshInventory(['ssh: h1']));
  const loaded = loadInventory(inv, { sshConfigPath: cfg });
  t.like(loaded.hosts[0]!.ssh, { target: 'h1', hostname: '192.0.2.7', port: 2022 });
  t.is(loaded.file, inv);
  t.is(loaded.cluster.name, 'c');
});

test('YAML anchors under a top-level x- key can be reused; an unknown alias is one error', (t) => {
  const inv = parse(
    y(
      'x-net: &net 172.16.0.0/16',
      'cluster:',
      '  subnet: *net',
      '  overlay: {type: peervpn}',
      '  dhcp: lxd1',
      'hosts:',
      '  - name: lxd1',
      '    ssh: root@192.168.99.1',
      '    bridgeAddress: 172.16.0.1',
    ),
  );
  t.is(inv.cluster.subnet, '172.16.0.0/16');
  const e = parseError(y(...HEAD.slice(0, 1), '  subnet: *nowhere', ...HEAD.slice(2)));
  t.deepEqual(
    e.all.map((x) => [x.line, x.column, x.field, x.problem]),
    [[2, 11, 'cluster.subnet', 'unknown YAML alias *nowhere']],
  );
});

test('user names OpenSSH (>= 9.6) would refuse are refused in targets', (t) => {
  for (const bad of [
    '$(touch$' + '{IFS}x)u@h',
    '`id`@h',
    'a;b@h',
    '-oProxyCommand=x@h',
    "o'neil@h",
    'a|b@h',
  ]) {
    const r = parseSshTarget(bad);
    t.is(typeof r, 'string', bad);
    t.regex(r as string, /invalid user/, bad);
  }
  t.deepEqual(parseSshTarget('deploy.bot-1@h'), { host: 'h', user: 'deploy.bot-1' });
});

test('UserKnownHostsFile and GlobalKnownHostsFile from ~/.ssh/config are kept for verification', (t) => {
  const inv = parse(
    y(...HEAD),
    'Host 192.168.99.1\n  UserKnownHostsFile ~/.ssh/kh_prod /etc/kh_extra\n  GlobalKnownHostsFile /etc/ssh/corp_known_hosts\n',
  );
  t.deepEqual(inv.hosts[0]!.ssh.userKnownHostsFiles, [`${HOME}/.ssh/kh_prod`, '/etc/kh_extra']);
  t.deepEqual(inv.hosts[0]!.ssh.globalKnownHostsFiles, ['/etc/ssh/corp_known_hosts']);
});

test('daemon: lxd or incus at cluster level and per host; cluster.lxd is still the client command', (t) => {
  const inv = parse(
    y(
      'cluster:',
      '  subnet: 172.16.0.0/16',
      '  lxd: incus',
      '  daemon: incus',
      '  overlay: {type: peervpn}',
      '  dhcp: lxd1',
      'hosts:',
      '  - name: lxd1',
      '    ssh: root@192.168.99.1',
      '    bridgeAddress: 172.16.0.1',
      '    daemon: lxd',
      '  - name: lxd2',
      '    ssh: root@192.168.99.2',
      '    bridgeAddress: 172.16.0.2',
    ),
  );
  t.is(inv.cluster.daemon, 'incus');
  t.is(inv.cluster.lxdCommand, 'incus');
  t.deepEqual(
    inv.hosts.map((h) => h.daemon),
    ['lxd', undefined],
  );
  t.is(parse(y(...HEAD)).cluster.daemon, undefined);

  const e = parseError(y(...HEAD.slice(0, 1), '  daemon: lxc', ...HEAD.slice(1), '    daemon: 4'));
  t.deepEqual(
    e.all.map((x) => [x.line, x.column, x.field, x.problem]),
    [
      [2, 11, 'cluster.daemon', '"lxc" is not a known daemon (expected lxd or incus)'],
      [13, 13, 'hosts[0].daemon', "expected a string, got number 4 (quote it: '4')"],
    ],
  );
  const typo = parseError(y(...HEAD, '    deamon: incus'));
  t.is(typo.message, 'cluster.yaml:12:5: hosts[0].deamon: unknown key "deamon"; did you mean "daemon"?');
});

test('an overlay interface: with no value takes the type default, or is reported where one is needed', (t) => {
  const peervpn = parse(y(...HEAD.slice(0, 4), '    interface:', ...HEAD.slice(4)));
  t.deepEqual(peervpn.cluster.overlay, { type: 'peervpn', interface: 'peervpn0', subnet: '10.99.0.0/24' });
  const e = parseError(y(...HEAD.slice(0, 3), '    type: vxlan', '    interface:', ...HEAD.slice(4)));
  t.deepEqual(
    e.all.map((x) => [x.line, x.column, x.field, x.problem]),
    [
      [
        5,
        5,
        'cluster.overlay.interface',
        'is empty; the vxlan device that is a port of the bridge, e.g. vxlan0',
      ],
    ],
  );
});

test('wrong types in lists and unions say what was expected', (t) => {
  const e = parseError(
    y(...HEAD, '    identityFile: {a: 1}', '    transport: local', '    localWrapper: []', '    sudo: 1'),
  );
  t.deepEqual(
    e.all.map((x) => [x.line, x.field, x.problem]),
    [
      [12, 'hosts[0].identityFile', 'expected a string or a list of strings, got a mapping'],
      [14, 'hosts[0].localWrapper', 'is an empty list'],
      [15, 'hosts[0].sudo', 'expected true or false, got number 1'],
    ],
  );
  const number = parseError(y(...HEAD, '    identityFile: 5'));
  t.is(number.problem, "expected a string, got number 5 (quote it: '5')");
  const item = parseError(y(...HEAD, '    identityFile: [~/.ssh/a, 7]'));
  t.is(item.field, 'hosts[0].identityFile[1]');
  const hosts = parseError(y(...HEAD.slice(0, 6), 'hosts: {lxd1: 1}'));
  t.deepEqual(
    [hosts.line, hosts.column, hosts.problem],
    [7, 8, 'expected a list of hosts (- name: ...), got a mapping'],
  );
});

test('a key that is not a plain name; a mapping reused through an x- anchor; errors through an alias point at the anchor', (t) => {
  const e = parseError(y(...HEAD.slice(0, 2), '  1: x', ...HEAD.slice(2)));
  t.deepEqual(
    [e.line, e.column, e.field, e.problem],
    [3, 3, 'cluster', 'keys must be plain names, got number 1'],
  );
  const overlay = [
    'x-overlay: &o {type: tinc, network: lxd}',
    'cluster:',
    '  subnet: 172.16.0.0/16',
    '  overlay: *o',
  ];
  const inv = parse(y(...overlay, ...HEAD.slice(5)));
  t.deepEqual(inv.cluster.overlay, { type: 'tinc', interface: 'lxd', network: 'lxd' });
  const bad = parseError(
    y('x-host: &h {ssh: root@192.168.99.1}', ...HEAD.slice(0, 8), '    ssh: *h', ...HEAD.slice(9)),
  );
  t.deepEqual(
    [bad.line, bad.column, bad.field, bad.problem],
    [1, 12, 'hosts[0].ssh', 'expected a string, got a mapping'],
  );
});
