/** The daemons of a lab host: sshd, the overlay (tinc 1.0 or kernel VXLAN), the one dnsmasq. */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import {
  BRIDGE,
  CLIENT_KEY,
  DHCP_RANGE,
  DNSMASQ_LOG,
  DNSMASQ_PIDFILE,
  DOMAIN,
  hostName,
  KNOWN_HOSTS,
  LEASE_FILE,
  OVERLAY_IF,
  SSHD_PIDFILE,
  TINC_KEYS_DIR,
  TINC_LOG,
  TINC_NET,
  TINC_PIDFILE,
  underlayAddress,
  VXLAN_LOG,
} from './constants.js';
import { must, pMap, run, waitFor } from './exec.js';
import { execOn, mustOn } from './host.js';
import { lxdEnv } from './lxd.js';
import { pidAlive, rootPidOf } from './proc.js';
import type { DaemonRef, LabHost } from './state.js';

type H = Pick<LabHost, 'name' | 'index' | 'initPid' | 'dir' | 'underlayAddress' | 'overlayAddress'>;

/** Where a host's /run/FILE lives on disk (its private /run). */
export const hostRunFile = (h: Pick<LabHost, 'dir'>, path: string) =>
  `${h.dir}/run/${path.replace(/^\/run\//, '')}`;
export const hostLogFile = (h: Pick<LabHost, 'dir'>, path: string) =>
  `${h.dir}/log/${path.replace(/^\/var\/log\//, '')}`;

/** The PID in a pid file, or undefined. */
export async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Wait for a daemon's pid file, then map its PID to the root namespace. */
export async function daemonFromPidFile(
  h: H,
  pidFile: string,
  argv: string[],
  timeoutMs = 5000,
): Promise<DaemonRef> {
  return waitFor(`${h.name}: ${pidFile}`, timeoutMs, async () => {
    const nsPid = await readPid(hostRunFile(h, pidFile));
    if (!nsPid) return undefined;
    const pid = await rootPidOf(h.initPid, nsPid);
    if (!pid || !(await pidAlive(pid))) return undefined;
    return { pid, nsPid, argv };
  });
}

// ---------------------------------------------------------------- ssh

/** The lab's client key (made once per lab). */
export async function ensureClientKey(): Promise<string> {
  if (!existsSync(CLIENT_KEY)) {
    await must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'lxlab-client', '-f', CLIENT_KEY]);
  }
  return (await readFile(`${CLIENT_KEY}.pub`, 'utf8')).trim();
}

function sshdConfig(h: H): string {
  return `# lxlab sshd for ${h.name}: key authentication only
ListenAddress ${h.underlayAddress}:22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile ${SSHD_PIDFILE}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile /root/.ssh/authorized_keys
StrictModes no
UseDNS no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 50
Subsystem sftp /usr/lib/openssh/sftp-server
# Logins find this host's own LXD daemon (its LXD_DIR is not the default path) and its dead proxies.
SetEnv ${lxdEnv(h).join(' ')}
`;
}

/** Host key, config and authorized_keys; returns the known_hosts line. */
export async function prepareSsh(h: H, clientPub: string): Promise<string> {
  const etc = `${h.dir}/etc-ssh`;
  await rm(`${etc}/ssh_host_ed25519_key`, { force: true });
  await rm(`${etc}/ssh_host_ed25519_key.pub`, { force: true });
  await must([
    'ssh-keygen',
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    `root@${h.name}`,
    '-f',
    `${etc}/ssh_host_ed25519_key`,
  ]);
  await writeFile(`${etc}/sshd_config`, sshdConfig(h));
  await writeFile(`${h.dir}/root/.ssh/authorized_keys`, `${clientPub}\n`, { mode: 0o600 });
  const pub = (await readFile(`${etc}/ssh_host_ed25519_key.pub`, 'utf8')).trim().split(/\s+/);
  return `${h.underlayAddress} ${pub[0]} ${pub[1]}`;
}

export async function writeKnownHosts(lines: string[]): Promise<void> {
  await writeFile(KNOWN_HOSTS, `${lines.join('\n')}\n`);
}

/** Start sshd; success is the listening socket, not sshd's exit code (a second sshd exits 0 and dies). */
export async function startSshd(h: H): Promise<DaemonRef> {
  const argv = ['/usr/sbin/sshd', '-f', '/etc/ssh/sshd_config', '-E', '/var/log/sshd.log'];
  await execOn(h, argv, { timeoutMs: 10_000 });
  await waitFor(`${h.name}: sshd listening on ${h.underlayAddress}:22`, 5000, async () =>
    (await listening(h, 'tcp', h.underlayAddress, 22)) ? true : undefined,
  );
  return daemonFromPidFile(h, SSHD_PIDFILE, argv);
}

/** Is something listening on ADDR:PORT inside the host? (0.0.0.0 also matches a wildcard socket.) */
export async function listening(
  h: Pick<LabHost, 'initPid'>,
  proto: 'tcp' | 'udp',
  addr: string,
  port: number,
) {
  const r = await execOn(h, ['ss', '-Hln', proto === 'tcp' ? '-t' : '-u', `sport = :${port}`]);
  if (r.exitCode !== 0) return false;
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[3] ?? '')
    .some((local) => local === `${addr}:${port}` || (addr === '0.0.0.0' && /^(\*|0\.0\.0\.0):/.test(local)));
}

// ---------------------------------------------------------------- tinc

/** RSA keys are slow to make: made once per host name and kept in /var/cache/lxlab/tinc-keys. */
export async function ensureTincKeys(count: number): Promise<void> {
  const missing: number[] = [];
  for (let i = 1; i <= count; i++) {
    if (!existsSync(`${TINC_KEYS_DIR}/${hostName(i)}/rsa_key.priv`)) missing.push(i);
  }
  await pMap(missing, 4, async (i) => {
    const dir = `${TINC_KEYS_DIR}/${hostName(i)}`;
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(`${tmp}/hosts`, { recursive: true });
    await writeFile(`${tmp}/tinc.conf`, `Name = ${hostName(i)}\n`);
    await must(['tincd', '-c', tmp, '-K2048'], { input: '' });
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/rsa_key.priv`, await readFile(`${tmp}/rsa_key.priv`), { mode: 0o600 });
    await writeFile(`${dir}/rsa_key.pub`, await readFile(`${tmp}/hosts/${hostName(i)}`));
    await rm(tmp, { recursive: true, force: true });
  });
}

/** Up to this many hosts every tincd connects to every other; above, to a few (tincConnectTo). */
export const TINC_FULL_MESH_LIMIT = 10;

/**
 * Whom host `i` (1-based) of `n` names in ConnectTo: everyone up to
 * TINC_FULL_MESH_LIMIT hosts; above, the hosts 1, 2, 4, 8, ... places after
 * it (⌈log2 n⌉ meta connections each, every host still within a few hops, so
 * tinc learns every node and sends data to each directly over UDP). A full
 * mesh of 30 meant 870 RSA handshakes at once on 2 cores: lxd7 was still
 * not through after 15 s (issue 13).
 */
export function tincConnectTo(i: number, n: number): number[] {
  if (n <= TINC_FULL_MESH_LIMIT) return Array.from({ length: n }, (_, k) => k + 1).filter((j) => j !== i);
  const out = new Set<number>();
  for (let step = 1; step < n; step *= 2) out.add(((i - 1 + step) % n) + 1);
  return [...out].sort((a, b) => a - b);
}

/** /etc/tinc/lxd on host h: tinc.conf, its key, a hosts/ file per node, tinc-up/down. */
export async function writeTincConfig(h: H, hosts: number): Promise<void> {
  const dir = `${h.dir}/etc-tinc/${TINC_NET}`;
  await mkdir(`${dir}/hosts`, { recursive: true });
  for (let j = 1; j <= hosts; j++) {
    const pub = await readFile(`${TINC_KEYS_DIR}/${hostName(j)}/rsa_key.pub`, 'utf8');
    await writeFile(`${dir}/hosts/${hostName(j)}`, `Address = ${underlayAddress(j)}\nPort = 655\n\n${pub}`);
  }
  const connect = tincConnectTo(h.index, hosts).map((j) => `ConnectTo = ${hostName(j)}`);
  await writeFile(
    `${dir}/tinc.conf`,
    [
      `Name = ${h.name}`,
      'Mode = switch',
      'DeviceType = tap',
      `Interface = ${OVERLAY_IF}`,
      'AddressFamily = ipv4',
      // Broadcasts go straight to every node reached directly, not along tinc's minimum spanning
      // tree: when connections come up at the same moment a node's tree can end up with none of its
      // connections in it, and its broadcasts (ARP) then reach nobody while it still receives (seen
      // in the lab: "lxd3 cannot reach 172.16.0.1", its ARP for it INCOMPLETE, issue 15 #16).
      'Broadcast = direct',
    ]
      .concat(connect)
      .join('\n')
      .concat('\n'),
  );
  await writeFile(
    `${dir}/rsa_key.priv`,
    await readFile(`${TINC_KEYS_DIR}/${hostName(h.index)}/rsa_key.priv`),
    {
      mode: 0o600,
    },
  );
  // As peervpn's upcmd: bring the tap up, address it, put it in the bridge. Output goes to the
  // daemon's log so a failing brctl ("bridge lxdbr0 does not exist!") leaves a trace.
  await writeFile(
    `${dir}/tinc-up`,
    `#!/bin/sh
exec >>${TINC_LOG} 2>&1
ip link set $INTERFACE up
ip addr add ${h.overlayAddress}/24 dev $INTERFACE
brctl addif ${BRIDGE} $INTERFACE
`,
  );
  await writeFile(
    `${dir}/tinc-down`,
    `#!/bin/sh
exec >>${TINC_LOG} 2>&1
brctl delif ${BRIDGE} $INTERFACE
ip link set $INTERFACE down
`,
  );
  await chmod(`${dir}/tinc-up`, 0o755);
  await chmod(`${dir}/tinc-down`, 0o755);
}

export const TINCD_ARGV = ['tincd', '-n', TINC_NET, '--logfile', '-d1'];

export async function startTincd(h: H): Promise<DaemonRef> {
  await rm(hostRunFile(h, TINC_PIDFILE), { force: true });
  await mustOn(h, TINCD_ARGV, 10_000);
  return daemonFromPidFile(h, TINC_PIDFILE, TINCD_ARGV);
}

// ---------------------------------------------------------------- vxlan

/** The same shape with kernel VXLAN: a script that makes peervpn0, its peers, and bridges it. */
export async function writeVxlanScript(h: H, hosts: number): Promise<void> {
  const peers: string[] = [];
  for (let j = 1; j <= hosts; j++) {
    if (j !== h.index)
      peers.push(`bridge fdb append 00:00:00:00:00:00 dev ${OVERLAY_IF} dst ${underlayAddress(j)}`);
  }
  const dir = `${h.dir}/etc-tinc/vxlan`;
  await mkdir(dir, { recursive: true });
  await writeFile(
    `${dir}/vxlan-up`,
    `#!/bin/sh
exec >>${VXLAN_LOG} 2>&1
ip link add ${OVERLAY_IF} mtu 1500 type vxlan id 99 dstport 4789 local ${h.underlayAddress} dev eth0
${peers.join('\n')}
ip link set ${OVERLAY_IF} up
ip addr add ${h.overlayAddress}/24 dev ${OVERLAY_IF}
brctl addif ${BRIDGE} ${OVERLAY_IF}
`,
  );
  await chmod(`${dir}/vxlan-up`, 0o755);
}

export const VXLAN_UP = '/etc/tinc/vxlan/vxlan-up';

export async function startVxlan(h: H): Promise<void> {
  const r = await execOn(h, ['/bin/sh', VXLAN_UP]);
  if (r.exitCode !== 0) throw new Error(`${h.name}: ${VXLAN_UP} failed; see ${VXLAN_LOG} on ${h.name}`);
}

// ---------------------------------------------------------------- dnsmasq

export function dnsmasqArgv(
  listen: string,
  range: { first: string; last: string },
  pidFile = DNSMASQ_PIDFILE,
) {
  return [
    'dnsmasq',
    '--conf-file=/dev/null',
    '--no-hosts',
    '--no-resolv',
    `--interface=${BRIDGE}`,
    '--except-interface=lo',
    '--bind-interfaces',
    `--listen-address=${listen}`,
    `--dhcp-range=${range.first},${range.last},255.255.0.0,1h`,
    '--dhcp-authoritative',
    `--domain=${DOMAIN}`,
    `--local=/${DOMAIN}/`,
    '--expand-hosts',
    '--no-ping',
    `--pid-file=${pidFile}`,
    `--dhcp-leasefile=${LEASE_FILE}`,
    `--log-facility=${DNSMASQ_LOG}`,
    '--log-dhcp',
    '--log-queries',
  ];
}

export async function startDnsmasq(h: H, argv: string[], pidFile = DNSMASQ_PIDFILE): Promise<DaemonRef> {
  await rm(hostRunFile(h, pidFile), { force: true });
  await mustOn(h, argv, 10_000);
  return daemonFromPidFile(h, pidFile, argv);
}

export async function startMainDnsmasq(h: H): Promise<DaemonRef> {
  return startDnsmasq(h, dnsmasqArgv(`172.16.0.${h.index}`, DHCP_RANGE));
}

/** SIGTERM a host daemon by PID (its own shutdown runs, e.g. tinc-down), wait until it is gone. */
export async function stopDaemon(h: H, d: DaemonRef | undefined): Promise<void> {
  if (!d || !(await pidAlive(d.pid))) return;
  await run(['kill', String(d.pid)]);
  try {
    await waitFor(`${h.name}: pid ${d.pid} to exit`, 5000, async () =>
      (await pidAlive(d.pid)) ? undefined : true,
    );
  } catch {
    await run(['kill', '-9', String(d.pid)]);
  }
}
