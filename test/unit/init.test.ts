/**
 * `lxdcheck init`'s inference rules on recorded host outputs: the lab's
 * (fixtures/init/<state>/, recorded with `lxdcheck init --record`) and the
 * real peervpn captures (fixtures/init/peervpn/).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { REDACT_PSK } from '../../src/facts/host/overlay/peervpn.js';
import type { RawOutput } from '../../src/facts/types.js';
import { type Inference, infer, networkOf, rangeOf } from '../../src/init/infer.js';
import {
  type HostRecord,
  observe,
  parseIpLinkText,
  parseTincConf,
  parseUnitList,
  splitFileBlocks,
} from '../../src/init/observe.js';
import { renderInventory } from '../../src/init/render.js';
import { INIT_SECTIONS } from '../../src/init/sections.js';
import { InventoryError, parseInventory } from '../../src/inventory/load.js';
import {
  BRIDGE,
  BRIDGE_SUBNET,
  bridgeAddress,
  DHCP_RANGE,
  OVERLAY_IF,
  OVERLAY_SUBNET,
  overlayAddress,
  TINC_LOG,
  TINC_NET,
} from '../../src/lab/constants.js';

const FIXTURES = new URL('../../fixtures/init/', import.meta.url);

function labRecords(state: string): HostRecord[] {
  const dir = new URL(`${state}/`, FIXTURES);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as HostRecord);
}

function inferLab(state: string): Inference {
  return infer(labRecords(state).map(observe));
}

function render(inf: Inference): string {
  return renderInventory(inf, { name: 'test', command: 'lxdcheck init (test)', createdAt: 'now' });
}

/** The rendered file loaded as `lxdcheck run` would load it. */
function load(inf: Inference) {
  return parseInventory(render(inf), 'init.yaml', { sshConfigText: '', homeDir: '/root', localUser: 'root' });
}

const out = (stdout: string, exitCode = 0): RawOutput => ({
  command: '(fixture)',
  stdout,
  stderr: '',
  exitCode,
});

function peervpnRecord(n: number, state: 'baseline' | 'run3-faultA' = 'baseline'): HostRecord {
  const f = (name: string) => readFileSync(new URL(`peervpn/${name}`, FIXTURES), 'utf8');
  return {
    target: `root@192.168.99.${n}`,
    raw: {
      // The captures have no `hostname` output; the name is the capture's host label.
      hostname: out(`pv-h${n}\n`),
      links: out(f(`${state}.ip-d-link-show-peervpn0.pv-h${n}.txt`)),
      addrs: out(f(`${state}.ip-j-addr.pv-h${n}.json`)),
      'peervpn-conf': out(`==> /etc/peervpn/peervpn.conf <==\n${f(`peervpn.conf.pv-h${n}.txt`)}`),
    },
  };
}

/** What `lxdcheck lab inventory` says, for the fields init infers. */
function assertLabMeaning(t: import('ava').ExecutionContext, inf: Inference, type: 'tinc' | 'vxlan') {
  const inv = load(inf);
  t.is(inv.cluster.bridge, BRIDGE);
  t.is(inv.cluster.subnet, BRIDGE_SUBNET);
  t.is(inv.cluster.domain, 'lxd');
  t.is(inv.cluster.dhcp, 'lxd1');
  t.is(inv.cluster.dhcpRange, `${DHCP_RANGE.first},${DHCP_RANGE.last}`);
  t.is(inv.cluster.overlay.type, type);
  t.is(inv.cluster.overlay.interface, OVERLAY_IF);
  t.is(inv.cluster.overlay.subnet, OVERLAY_SUBNET);
  if (type === 'tinc') {
    t.is(inv.cluster.overlay.network, TINC_NET);
    t.is(inv.cluster.overlay.logFile, TINC_LOG);
  } else {
    t.is(inv.cluster.overlay.network, undefined);
    t.is(inv.cluster.overlay.logFile, undefined);
  }
  t.deepEqual(
    inv.hosts.map((h) => [h.name, h.ssh.target, h.bridgeAddress, h.overlayAddress, h.ssh.sudo]),
    [1, 2, 3].map((i) => [`lxd${i}`, `root@192.168.99.${i}`, bridgeAddress(i), overlayAddress(i), false]),
  );
}

test('tinc lab without LXD: everything the lab inventory says, nothing left to decide', (t) => {
  const inf = inferLab('tinc-nolxd');
  t.deepEqual(inf.undecided, []);
  assertLabMeaning(t, inf, 'tinc');
  t.is(load(inf).cluster.lxdCommand, undefined);
  t.true(inf.notes.some((n) => /no LXD or Incus daemon/.test(n)));
});

test('vxlan lab: the overlay type comes from the link kind; no daemon, no log', (t) => {
  const inf = inferLab('vxlan-nolxd');
  t.deepEqual(inf.undecided, []);
  assertLabMeaning(t, inf, 'vxlan');
  t.regex(inf.overlay!.type.from, /vxlan device/);
});

test('tinc lab with real LXD: the client is lxc (the LXD daemon runs)', (t) => {
  const inf = inferLab('tinc-lxd');
  t.deepEqual(inf.undecided, []);
  assertLabMeaning(t, inf, 'tinc');
  t.is(load(inf).cluster.lxdCommand, 'lxc');
  t.regex(inf.lxd!.from, /lxd daemon running/);
});

test('every written value carries a comment saying where it came from', (t) => {
  const text = render(inferLab('tinc-nolxd'));
  const valueLines = text
    .split('\n')
    .filter((l) => /^\s+(- )?[a-zA-Z]+: \S/.test(l) && !/^\s+(name: test|ssh: )/.test(l));
  t.true(valueLines.length >= 15);
  for (const l of valueLines) t.regex(l, / {3}# \S/, l);
  t.regex(text, /dhcp: lxd1 {3}# the only dnsmasq serving DHCP on lxdbr0/);
  t.regex(text, /type: tinc {3}# \/etc\/tinc\/lxd\/tinc\.conf says Interface = peervpn0/);
});

test('second DHCP server: dhcp is left unset with both servers named; the rest is still written', (t) => {
  const inf = inferLab('second-dhcp');
  t.is(inf.dhcp, undefined);
  t.is(inf.dhcpRange, undefined);
  const why = inf.undecided.find((u) => u.field === 'cluster.dhcp')?.why ?? '';
  t.regex(why, /2 hosts run a dnsmasq serving DHCP on lxdbr0/);
  t.regex(why, /lxd1 \(pid \d+, 172\.16\.100\.1,172\.16\.199\.254/);
  t.regex(why, /lxd2 \(pid \d+, 172\.16\.200\.1,172\.16\.200\.254/);
  t.is(inf.undecided.length, 1);
  t.is(inf.bridge?.value, BRIDGE);
  t.is(inf.overlay?.type.value, 'tinc');
  t.is(inf.domain?.value, 'lxd');
  const text = render(inf);
  t.regex(text, /^ {2}# dhcp:\n {2}# TODO dhcp: 2 hosts run a dnsmasq/m);
  // The file does not load until a human picks the one DHCP host.
  const err = t.throws(() => load(inf), { instanceOf: InventoryError }) as InventoryError;
  t.deepEqual(
    (err.all ?? [err]).map((e) => e.field),
    ['cluster.dhcp'],
  );
});

test('overlay not bridged on one host: the bridge comes from the others and the host is named', (t) => {
  const inf = inferLab('overlay-not-bridged');
  t.is(inf.bridge?.value, BRIDGE);
  t.regex(inf.bridge!.from, /on 2 of 3 hosts/);
  t.deepEqual(
    inf.undecided.map((u) => u.field),
    ['cluster.bridge'],
  );
  t.regex(inf.undecided[0]!.why, /on lxd2 peervpn0 is a port of no bridge/);
  t.true(inf.notes.some((n) => n.startsWith('lxd2: peervpn0 is not a port of any bridge')));
  // Written, loadable, and the doubt is in the file next to the value.
  assertLabMeaning(t, inf, 'tinc');
  t.regex(render(inf), /# CHECK bridge: taken from 2 of 3 hosts/);
});

test('peervpn (real captures): the config file says peervpn, the tap is the port of lxdbr0', (t) => {
  const inf = infer([1, 2, 3].map((n) => observe(peervpnRecord(n))));
  t.is(inf.overlay?.type.value, 'peervpn');
  t.regex(inf.overlay!.type.from, /\/etc\/peervpn\/peervpn\.conf says interface peervpn0/);
  t.is(inf.overlay?.interface.value, 'peervpn0');
  t.is(inf.overlay?.configFile?.value, '/etc/peervpn/peervpn.conf');
  t.is(inf.overlay?.subnet?.value, '10.99.0.0/24');
  t.is(inf.bridge?.value, 'lxdbr0');
  t.is(inf.subnet?.value, '172.16.0.0/16');
  t.deepEqual(
    inf.hosts.map((h) => [h.name.value, h.bridgeAddress?.value, h.overlayAddress?.value]),
    [
      ['pv-h1', '172.16.0.1', '10.99.0.1'],
      ['pv-h2', '172.16.0.2', '10.99.0.2'],
      ['pv-h3', '172.16.0.3', '10.99.0.3'],
    ],
  );
  // No process list in the captures: no DHCP server seen, and peervpn's log is not known.
  t.deepEqual(
    inf.undecided.map((u) => u.field),
    ['cluster.dhcp'],
  );
  t.true(inf.notes.some((n) => /set cluster.overlay.logFile/.test(n)));
  // The psk never reaches the inventory (it was removed on the host; nothing re-adds it).
  t.false(/psk|password/i.test(render(inf)));
});

test('peervpn tap not bridged on one host (real capture of the service-order failure)', (t) => {
  const inf = infer([
    observe(peervpnRecord(1)),
    observe(peervpnRecord(2, 'run3-faultA')),
    observe(peervpnRecord(3)),
  ]);
  t.is(inf.overlay?.type.value, 'peervpn');
  t.is(inf.bridge?.value, 'lxdbr0');
  t.regex(
    inf.undecided.find((u) => u.field === 'cluster.bridge')?.why ?? '',
    /on pv-h2 peervpn0 is a port of no bridge/,
  );
  t.is(inf.hosts[1]?.bridgeAddress?.value, '172.16.0.2');
});

test('peervpn without a readable config: the running daemon says whose tap it is', (t) => {
  const records = [1, 2, 3].map((n) => {
    const r = peervpnRecord(n);
    delete r.raw['peervpn-conf'];
    // Hand-written ps row (peervpn runs as nobody after start-up; its argv is the config path).
    r.raw['ps'] = out(
      '    PID COMMAND         COMMAND\n    412 peervpn         /usr/local/sbin/peervpn /etc/peervpn/peervpn.conf\n',
    );
    return r;
  });
  const inf = infer(records.map(observe));
  t.is(inf.overlay?.type.value, 'peervpn');
  t.regex(inf.overlay!.type.from, /peervpn0 is a tap device and peervpn runs/);
  // The config it was started with, from its command line (it could not be read as this user).
  t.deepEqual(inf.overlay?.configFile, {
    value: '/etc/peervpn/peervpn.conf',
    from: "peervpn's command line",
  });
  // And with no daemon either, a tap is not guessed to be one VPN or the other.
  const bare = infer(
    [1, 2, 3].map((n) => {
      const r = peervpnRecord(n);
      delete r.raw['peervpn-conf'];
      return observe(r);
    }),
  );
  t.is(bare.overlay, undefined);
  t.regex(
    bare.undecided.find((u) => u.field === 'cluster.overlay.type')?.why ?? '',
    /neither a peervpn nor a tinc/,
  );
  t.is(bare.bridge?.value, 'lxdbr0');
});

test('--bridge names the bridge; a host without it is said', (t) => {
  const records = labRecords('tinc-nolxd').map(observe);
  const inf = infer(records, { bridge: 'br-other' });
  t.is(inf.bridge?.value, 'br-other');
  t.true(inf.notes.some((n) => /--bridge br-other: no such bridge on lxd1, lxd2, lxd3/.test(n)));
  t.deepEqual(
    inf.undecided.filter((u) => u.field.endsWith('bridgeAddress')).map((u) => u.field),
    ['hosts.lxd1.bridgeAddress', 'hosts.lxd2.bridgeAddress', 'hosts.lxd3.bridgeAddress'],
  );
});

test('the same hostname twice: the second is numbered, and said so', (t) => {
  const [a] = labRecords('tinc-nolxd');
  const inf = infer([observe(a!), observe({ ...a!, target: 'root@192.168.99.9' })]);
  t.deepEqual(
    inf.hosts.map((h) => h.name.value),
    ['lxd1', 'lxd1-2'],
  );
  t.regex(inf.hosts[1]!.name.from, /was taken/);
});

test('not root and no sudo: sudo stays off and a human is asked', (t) => {
  const [a] = labRecords('tinc-nolxd');
  const r = { ...a!, raw: { ...a!.raw, whoami: out('uid 1000\nsudo no\n') } };
  const inf = infer([observe(r)]);
  t.false(inf.hosts[0]!.sudo.value);
  t.regex(
    inf.undecided.find((u) => u.field === 'hosts.lxd1.sudo')?.why ?? '',
    /uid 1000 and `sudo -n true` fails/,
  );
  const withSudo = infer([observe({ ...a!, raw: { ...a!.raw, whoami: out('uid 1000\nsudo yes\n') } })]);
  t.true(withSudo.hosts[0]!.sudo.value);
  t.regex(render(withSudo), /sudo: true {3}# uid 1000; sudo -n works/);
});

test('an unreadable host is listed as a comment, never as a host', (t) => {
  const text = renderInventory(inferLab('tinc-nolxd'), {
    name: 'test',
    command: 'x',
    createdAt: 'now',
    unreachable: [{ target: 'root@192.168.99.7', error: 'connect ETIMEDOUT\nsecond line' }],
  });
  t.regex(
    text,
    /^ {2}# - ssh: root@192\.168\.99\.7\n {2}# {3}TODO: not reached: connect ETIMEDOUT second line$/m,
  );
  t.is(parseInventory(text, 'x.yaml', { sshConfigText: '' }).hosts.length, 3);
});

test('small parsers: tinc.conf, ip -d link text, file blocks, ranges, networks', (t) => {
  const tinc = labRecords('tinc-nolxd')[0]!.raw['tinc-conf']!.stdout;
  const [block] = splitFileBlocks(tinc);
  t.is(block?.path, '/etc/tinc/lxd/tinc.conf');
  t.deepEqual(parseTincConf(block!.path, block!.text), {
    path: '/etc/tinc/lxd/tinc.conf',
    network: 'lxd',
    interface: 'peervpn0',
    mode: 'switch',
    deviceType: 'tap',
  });
  const text = readFileSync(new URL('peervpn/baseline.ip-d-link-show-peervpn0.pv-h1.txt', FIXTURES), 'utf8');
  const [link] = parseIpLinkText(text);
  t.like(link, { ifname: 'peervpn0', master: 'lxdbr0', kind: 'tun', tunType: 'tap', mtu: 1500, up: true });
  t.is(
    rangeOf(['172.16.100.1,172.16.199.254,255.255.0.0,1h'], '172.16.0.0/16'),
    '172.16.100.1,172.16.199.254',
  );
  t.is(rangeOf(['set:lan,10.1.0.10,10.1.0.99,12h'], '10.1.0.0/24'), '10.1.0.10,10.1.0.99');
  t.is(rangeOf(['10.1.0.10,10.1.0.99'], '172.16.0.0/16'), undefined);
  t.is(networkOf('172.16.0.3', 16), '172.16.0.0/16');
  t.is(networkOf('10.99.0.130', 25), '10.99.0.128/25');
});

test('init reads only: no section writes, signals or restarts anything', (t) => {
  for (const s of INIT_SECTIONS) {
    t.notRegex(
      s.shell,
      /(^|[;&|]\s*)(kill|rm|mv|tee|systemctl (start|stop|restart)|ip (link|addr) (add|del|set)|brctl (add|del))/,
      s.name,
    );
    t.notRegex(s.shell, /(^|[\s\d])>>?\s*\/(?!dev\/null)/, s.name);
  }
});

test("the psk is removed on the host: the section's sed on a real peervpn.conf", (t) => {
  const conf = new URL('../../fixtures/peervpn/conf/h1.conf', import.meta.url).pathname;
  // The psk is read from the capture, never written here, and only ever tested, never shown.
  const psk = /^psk[ \t]+(\S+)/m.exec(readFileSync(conf, 'utf8'))?.[1] ?? '';
  t.true(psk.length > 0, 'the capture has a psk line');
  const shown = execFileSync('sh', ['-c', `${REDACT_PSK} "$1"`, 'sh', conf], { encoding: 'utf8' });
  t.true(/^psk <redacted>$/m.test(shown), 'the psk line is redacted');
  t.false(shown.includes(psk), 'the psk is gone');
  t.regex(shown, /^interface peervpn0$/m);
  t.is(
    observe({ target: 'x', raw: { 'peervpn-conf': out(`==> /etc/peervpn/peervpn.conf <==\n${shown}`) } })
      .peervpnConfigs[0]?.config.hasPsk,
    true,
  );
});

test('bad usage is refused before any connection (exit 2 via UsageError)', async (t) => {
  const { initCommand } = await import('../../src/cli/init.js');
  const { UsageError } = await import('../../src/errors.js');
  for (const [argv, message] of [
    [[], /name the hosts/],
    [['root@h1', 'root@h1'], /root@h1 is given twice/],
    [['bad host'], /contains whitespace/],
    [['root@h1', '--run'], /--run needs -o FILE/],
    [['root@h1', '--bridge', 'a/b'], /not a Linux interface name/],
    [['root@h1', '-o', new URL('../../package.json', import.meta.url).pathname], /exists; pass --force/],
  ] as const) {
    await t.throwsAsync(initCommand([...argv]), { instanceOf: UsageError, message }, argv.join(' '));
  }
});

/** The lab recording with peervpn0 taken out of every bridge (as if the VPN's up-script never ran anywhere). */
function unbridgedEverywhere(): HostRecord[] {
  return labRecords('tinc-nolxd').map((r) => {
    const strip = (o: RawOutput) => {
      const links = JSON.parse(o.stdout) as { ifname: string; master?: string }[];
      for (const l of links) if (l.ifname === 'peervpn0') delete l.master;
      return { ...o, stdout: JSON.stringify(links) };
    };
    return { ...r, raw: { ...r.raw, links: strip(r.raw['links']!), addrs: strip(r.raw['addrs']!) } };
  });
}

test('no overlay port anywhere: the bridge falls back to lxd-bridge, then to the only bridge', (t) => {
  const only = infer(unbridgedEverywhere().map(observe));
  t.deepEqual(only.bridge, { value: 'lxdbr0', from: 'the only bridge' });
  t.is(only.overlay?.interface.value, 'peervpn0');
  t.deepEqual(
    only.notes.filter((n) => /not a port of any bridge/.test(n)),
    ['lxd1', 'lxd2', 'lxd3'].map(
      (h) => `${h}: peervpn0 is not a port of any bridge (lxdcheck run will report it)`,
    ),
  );
  const defaults = readFileSync(
    new URL('../../fixtures/lxd-bridge/primary-lxd-bridge.txt', import.meta.url),
    'utf8',
  );
  const legacy = infer(
    unbridgedEverywhere().map((r) =>
      observe({ ...r, raw: { ...r.raw, 'lxd-bridge-default': out(defaults) } }),
    ),
  );
  t.deepEqual(legacy.bridge, { value: 'lxdbr0', from: '/etc/default/lxd-bridge LXD_BRIDGE' });
});

test('LXD-managed dnsmasq command lines (real): range and domain from `--dhcp-range A,B,1h` and `-s lxd`', (t) => {
  const ps = readFileSync(
    new URL('../../fixtures/ps/lxd-running-root-ps-C-dnsmasq.txt', import.meta.url),
    'utf8',
  );
  const [lab] = labRecords('tinc-nolxd');
  // One host whose process list is the real capture: three dnsmasq, one of them on 172.16.0.1.
  const inf = infer([observe({ ...lab!, raw: { ...lab!.raw, ps: out(ps) } })]);
  t.is(inf.dhcp?.value, 'lxd1');
  t.is(inf.dhcpRange?.value, '172.16.100.1,172.16.199.254');
  t.is(rangeOf(['10.201.1.2,10.201.1.254,1h'], '10.201.1.0/24'), '10.201.1.2,10.201.1.254');
  const lxdOnly = ps
    .split('\n')
    .filter((l) => !l.includes('--conf-file=/dev/null'))
    .join('\n');
  const obs = observe({ ...lab!, raw: { ...lab!.raw, ps: out(lxdOnly) } });
  t.deepEqual(
    obs.dnsmasq.map((d) => [d.dhcpRanges, d.domain, d.interfaces]),
    [
      [['10.201.1.2,10.201.1.254,1h'], 'lxd', ['lxdbr0']],
      [['10.201.2.2,10.201.2.254,1h'], 'lxd', ['lxdbr0']],
    ],
  );
});

test('systemd units: the active VPN unit is named in the inventory', (t) => {
  // HAND-WRITTEN in the format the systemctl(1) man page shows for list-units (no systemd on
  // this machine or in the lab to capture it from): UNIT LOAD ACTIVE SUB DESCRIPTION, ● on failed ones.
  const units = [
    'lxd.service loaded active running LXD - main daemon',
    'peervpn.service loaded active running PeerVPN',
    '● tinc@old.service loaded failed failed Tinc net old',
  ].join('\n');
  t.deepEqual(parseUnitList(units), [
    { name: 'lxd.service', active: 'active', sub: 'running' },
    { name: 'peervpn.service', active: 'active', sub: 'running' },
    { name: 'tinc@old.service', active: 'failed', sub: 'failed' },
  ]);
  const inf = infer(
    [1, 2, 3].map((n) =>
      observe({ ...peervpnRecord(n), raw: { ...peervpnRecord(n).raw, units: out(units) } }),
    ),
  );
  t.deepEqual(inf.overlay?.unit, { value: 'peervpn.service', from: 'systemctl list-units (active)' });
  t.false(inf.notes.some((n) => /set cluster.overlay.logFile/.test(n)));
});
