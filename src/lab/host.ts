/**
 * Lab hosts: a network namespace plus a tiny init holding its own PID, mount
 * and UTS namespaces, with private /etc/ssh, /etc/tinc, /root, /run,
 * /var/lib/misc and /var/log. Wired to the underlay bridge in `lxlab-ul`.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import {
  BRIDGE,
  bridgeAddress,
  bridgeMac,
  hostDir,
  hostName,
  hostNetns,
  overlayAddress,
  ROOT_ADDRESS,
  ROOT_LINK,
  ROOT_PEER_LINK,
  UNDERLAY_BRIDGE,
  UNDERLAY_GATEWAY,
  UNDERLAY_MTU,
  UNDERLAY_NS,
  underlayAddress,
  underlayLink,
} from './constants.js';
import { inHost, must, type RunResult, run, startDetached, waitFor } from './exec.js';
import { childrenOf, pidAlive } from './proc.js';
import { findHost, type LabHost, requireState } from './state.js';

/** Private dirs of a host and where the init bind-mounts them (/run last: it hides /run/lxlab). */
export const HOST_MOUNTS: readonly [string, string][] = [
  ['etc-ssh', '/etc/ssh'],
  ['etc-tinc', '/etc/tinc'],
  ['root', '/root'],
  ['misc', '/var/lib/misc'],
  ['log', '/var/log'],
  ['run', '/run'],
];
/** The peervpn overlay's private /etc/peervpn (mounted before /run, like the others). */
const PEERVPN_MOUNT: [string, string] = ['etc-peervpn', '/etc/peervpn'];

export function hostMounts(peervpn: boolean): [string, string][] {
  const m = [...HOST_MOUNTS];
  if (peervpn) m.splice(m.length - 1, 0, PEERVPN_MOUNT);
  return m;
}

const READY_MARK = 'lxlab-init-ready';

export async function netnsExists(name: string): Promise<boolean> {
  return existsSync(`/run/netns/${name}`);
}

export async function createUnderlay(): Promise<void> {
  const ul = ['ip', '-n', UNDERLAY_NS];
  if (!(await netnsExists(UNDERLAY_NS))) await must(['ip', 'netns', 'add', UNDERLAY_NS]);
  await must([...ul, 'link', 'set', 'lo', 'up']);
  await must([...ul, 'link', 'add', UNDERLAY_BRIDGE, 'mtu', String(UNDERLAY_MTU), 'type', 'bridge']);
  await must([...ul, 'addr', 'add', `${UNDERLAY_GATEWAY}/24`, 'dev', UNDERLAY_BRIDGE]);
  await must([...ul, 'link', 'set', UNDERLAY_BRIDGE, 'up']);
  // The root namespace joins the underlay so lxdcheck can SSH to 192.168.99.N.
  await must(
    ['ip', 'link', 'add', ROOT_LINK, 'mtu', String(UNDERLAY_MTU), 'type', 'veth', 'peer', 'name'].concat([
      ROOT_PEER_LINK,
      'mtu',
      String(UNDERLAY_MTU),
      'netns',
      UNDERLAY_NS,
    ]),
  );
  await must([...ul, 'link', 'set', ROOT_PEER_LINK, 'master', UNDERLAY_BRIDGE, 'up']);
  await must(['ip', 'addr', 'add', `${ROOT_ADDRESS}/24`, 'dev', ROOT_LINK]);
  await must(['ip', 'link', 'set', ROOT_LINK, 'up']);
}

function initScript(name: string, dir: string, peervpn: boolean): string {
  const mounts = hostMounts(peervpn)
    .map(([src, dst]) => `mount --bind ${dir}/${src} ${dst}`)
    .join('\n');
  return `# lxlab host init for ${name}: PID 1 of its PID namespace; killing it ends the host.
set -e
hostname ${name}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
${mounts}
echo 0 > /proc/sys/net/ipv4/icmp_echo_ignore_broadcasts
: > /run/${READY_MARK}
set +e
trap 'exit 0' TERM
# bash reaps every orphan it inherits while it waits, so dead daemons never linger as zombies
while :; do sleep 86400 & wait $!; done
`;
}

/** Create host i up to a running init with addresses and lxdbr0; returns its state entry (no daemons yet). */
export async function createHost(i: number, opts: { peervpn?: boolean } = {}): Promise<LabHost> {
  const name = hostName(i);
  const ns = hostNetns(i);
  const dir = hostDir(name);
  const peervpn = opts.peervpn ?? false;
  for (const [src] of hostMounts(peervpn)) await mkdir(`${dir}/${src}`, { recursive: true });
  await mkdir(`${dir}/run/sshd`, { recursive: true, mode: 0o755 });
  await mkdir(`${dir}/root/.ssh`, { recursive: true, mode: 0o700 });
  await writeFile(`${dir}/init.sh`, initScript(name, dir, peervpn));

  if (!(await netnsExists(ns))) await must(['ip', 'netns', 'add', ns]);
  const link = underlayLink(i);
  const mtu = String(UNDERLAY_MTU);
  await must(
    ['ip', '-n', UNDERLAY_NS, 'link', 'add', link, 'mtu', mtu, 'type', 'veth', 'peer', 'name', 'eth0'].concat(
      ['mtu', mtu, 'netns', ns],
    ),
  );
  await must(['ip', '-n', UNDERLAY_NS, 'link', 'set', link, 'master', UNDERLAY_BRIDGE, 'up']);

  const wrapperPid = await startDetached(
    ['nsenter', `--net=/run/netns/${ns}`, 'unshare', '--pid', '--fork', '--mount', '--uts'].concat([
      '--propagation',
      'private',
      '/bin/bash',
      `${dir}/init.sh`,
    ]),
    `${dir}/init.log`,
  );
  const initPid = await waitFor(
    `${name}'s init`,
    5000,
    async () => {
      const [child] = await childrenOf(wrapperPid);
      if (child && existsSync(`${dir}/run/${READY_MARK}`)) return child;
      if (!(await pidAlive(wrapperPid))) throw new Error(`${name}'s init exited; see ${dir}/init.log`);
      return undefined;
    },
    10,
  );

  const ipn = ['ip', '-n', ns];
  await must([...ipn, 'link', 'set', 'lo', 'up']);
  await must([...ipn, 'addr', 'add', `${underlayAddress(i)}/24`, 'dev', 'eth0']);
  await must([...ipn, 'link', 'set', 'eth0', 'up']);
  // The only default route points at the underlay bridge inside the lab, which routes nowhere.
  await must([...ipn, 'route', 'add', 'default', 'via', UNDERLAY_GATEWAY]);
  await createBridge(ns, i);
  return {
    name,
    index: i,
    netns: ns,
    initPid,
    wrapperPid,
    underlayAddress: underlayAddress(i),
    bridgeAddress: bridgeAddress(i),
    bridgeMac: bridgeMac(i),
    overlayAddress: overlayAddress(i),
    dir,
    daemons: {},
  };
}

/** lxdbr0 with its fixed MAC and 172.16.0.N/16, up. */
export async function createBridge(ns: string, i: number): Promise<void> {
  const ipn = ['ip', '-n', ns];
  // lxd1's bridge is the L2's IGMP querier, so snooping bridges keep their group memberships (a well-run cluster).
  const querier = i === 1 ? ['mcast_querier', '1'] : [];
  await must([...ipn, 'link', 'add', BRIDGE, 'address', bridgeMac(i), 'type', 'bridge', ...querier]);
  await must([...ipn, 'addr', 'add', `${bridgeAddress(i)}/16`, 'dev', BRIDGE]);
  await must([...ipn, 'link', 'set', BRIDGE, 'up']);
}

export interface ExecResultLite {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** Run argv on a lab host (nsenter into its init's namespaces). */
export async function hostExec(
  host: string,
  argv: string[],
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<ExecResultLite> {
  const h = findHost(await requireState(), host);
  return execOn(h, argv, opts);
}

export async function execOn(
  h: Pick<LabHost, 'initPid'>,
  argv: readonly string[],
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return run(inHost(h.initPid, argv), { timeoutMs: opts.timeoutMs ?? 30_000, input: opts.input });
}

export async function mustOn(
  h: Pick<LabHost, 'initPid' | 'name'>,
  argv: readonly string[],
  timeoutMs = 30_000,
) {
  const r = await execOn(h, argv, { timeoutMs });
  if (r.exitCode !== 0) {
    throw new Error(`${h.name}: ${argv.join(' ')}: exit ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** Run a shell script on a host (the script is built from constants and lab values only). */
export function shOn(h: Pick<LabHost, 'initPid'>, script: string, timeoutMs = 30_000): Promise<RunResult> {
  return execOn(h, ['/bin/sh', '-c', script], { timeoutMs });
}
