/**
 * `--no-lxd` containers: a network namespace `lxlab-NAME` with a veth into its
 * host's lxdbr0 (fixed MAC) and ISC dhclient sending its name to the one dnsmasq.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { BRIDGE, bridgeAddress, CONTAINERS_DIR, containerNetns, DOMAIN } from './constants.js';
import { must, type RunResult, run, waitFor } from './exec.js';
import { pidAlive } from './proc.js';
import type { LabContainer, LabHost } from './state.js';

export const containerDir = (name: string) => `${CONTAINERS_DIR}/${name}`;
const resolvConf = (ns: string) => `/etc/netns/${ns}/resolv.conf`;

function dhclientScript(ns: string): string {
  // Configures eth0 and writes this container's own resolv.conf only: Debian's
  // dhclient-script would mv a file over /etc/resolv.conf, which is the machine's.
  return `#!/bin/sh
# lxlab dhclient script for ${ns}
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
  if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
    ip -4 addr flush dev "$interface"
  fi
  ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
  for r in $new_routers; do ip -4 route replace default via "$r" dev "$interface"; break; done
  {
    [ -n "$new_domain_name" ] && echo "search $new_domain_name"
    for s in $new_domain_name_servers; do echo "nameserver $s"; done
  } > ${resolvConf(ns)}.new && cat ${resolvConf(ns)}.new > ${resolvConf(ns)}
  rm -f ${resolvConf(ns)}.new
  ;;
EXPIRE|FAIL|RELEASE|STOP)
  ip -4 addr flush dev "$interface"
  ;;
esac
exit 0
`;
}

function dhclientArgv(name: string, ns: string, extra: string[] = []): string[] {
  const d = containerDir(name);
  return ['ip', 'netns', 'exec', ns, 'dhclient', '-4', ...extra]
    .concat(['-cf', `${d}/dhclient.conf`, '-lf', `${d}/dhclient.leases`, '-pf', `${d}/dhclient.pid`])
    .concat(['-sf', `${d}/dhclient-script`, 'eth0']);
}

/** Create the namespace, veth and files; does not run DHCP yet. `hostname` is what dhclient sends. */
export async function createNetnsContainer(
  name: string,
  host: Pick<LabHost, 'name' | 'netns'>,
  mac: string,
  hostname = name,
): Promise<LabContainer> {
  const ns = containerNetns(name);
  const dir = containerDir(name);
  await mkdir(dir, { recursive: true });
  await mkdir(`/etc/netns/${ns}`, { recursive: true });
  // Must exist before the first `ip netns exec`, which then bind-mounts it over /etc/resolv.conf.
  await writeFile(resolvConf(ns), `search ${DOMAIN}\nnameserver ${bridgeAddress(1)}\n`);
  await writeFile(
    `${dir}/dhclient.conf`,
    `send host-name "${hostname}";\nrequest subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name;\ntimeout 20;\nretry 5;\n`,
  );
  await writeFile(`${dir}/dhclient-script`, dhclientScript(ns));
  await chmod(`${dir}/dhclient-script`, 0o755);
  if (!existsSync(`/run/netns/${ns}`)) await must(['ip', 'netns', 'add', ns]);
  const hostLink = ns; // the host side of the veth, e.g. lxlab-c1 in lxd1
  await must([
    'ip',
    '-n',
    host.netns,
    'link',
    'add',
    hostLink,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    ns,
  ]);
  await must(['ip', '-n', host.netns, 'link', 'set', hostLink, 'master', BRIDGE, 'up']);
  await must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  await must(['ip', '-n', ns, 'link', 'set', 'eth0', 'address', mac, 'up']);
  return { name, host: host.name, kind: 'netns', mac, netns: ns };
}

/** Run dhclient once (it daemonizes once bound); returns the container with PID and address. */
export async function startDhclient(c: LabContainer, timeoutMs = 30_000): Promise<LabContainer> {
  const ns = c.netns as string;
  const r = await run(dhclientArgv(c.name, ns, ['-1']), { timeoutMs });
  if (r.exitCode !== 0) {
    throw new Error(
      `${c.name}: dhclient got no lease: exit ${r.exitCode} ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  const pid = await waitFor(`${c.name}: dhclient pid file`, 3000, async () => {
    try {
      const n = Number((await readFile(`${containerDir(c.name)}/dhclient.pid`, 'utf8')).trim());
      return n > 0 && (await pidAlive(n)) ? n : undefined;
    } catch {
      return undefined;
    }
  });
  return { ...c, dhclientPid: pid, address: (await netnsAddress(ns)) ?? undefined };
}

/** Release the lease (DHCPRELEASE) and stop the running dhclient. */
export async function releaseDhclient(c: LabContainer): Promise<void> {
  if (!c.netns || !existsSync(`/run/netns/${c.netns}`)) return;
  await run(dhclientArgv(c.name, c.netns, ['-r']), { timeoutMs: 10_000 });
  if (c.dhclientPid && (await pidAlive(c.dhclientPid))) await run(['kill', '-9', String(c.dhclientPid)]);
}

export async function netnsAddress(ns: string): Promise<string | null> {
  const r = await run(['ip', '-n', ns, '-4', '-j', 'addr', 'show', 'dev', 'eth0']);
  if (r.exitCode !== 0) return null;
  const j = JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string }[] }[];
  return j[0]?.addr_info?.[0]?.local ?? null;
}

export async function netnsMac(ns: string): Promise<string | null> {
  const r = await run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', 'eth0']);
  if (r.exitCode !== 0) return null;
  return (JSON.parse(r.stdout || '[]') as { address?: string }[])[0]?.address ?? null;
}

export async function deleteNetnsContainer(c: LabContainer): Promise<void> {
  if (c.dhclientPid && (await pidAlive(c.dhclientPid))) await run(['kill', '-9', String(c.dhclientPid)]);
  if (c.netns) {
    await run(['ip', 'netns', 'del', c.netns]);
    await rm(`/etc/netns/${c.netns}`, { recursive: true, force: true });
  }
  await rm(containerDir(c.name), { recursive: true, force: true });
}

export function netnsExec(ns: string, argv: string[], timeoutMs = 30_000): Promise<RunResult> {
  return run(['ip', 'netns', 'exec', ns, ...argv], { timeoutMs });
}
