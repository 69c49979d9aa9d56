/** Real LXD 5.0 (or Incus 6.0) in the lab: one daemon per host, inside the host's namespaces. */
import { parseLxcList } from '../facts/parsers/lxc.js';
import { lxdDir, UNDERLAY_SUBNET } from './constants.js';

export const LXD_IMAGE = 'lxlab-img';

import { execOn } from './host.js';
import type { LabContainer, LabHost } from './state.js';

/** Nothing listens on port 9 (discard): every proxied request fails at once, locally. */
export const DEAD_PROXY = 'http://127.0.0.1:9';

/**
 * Environment for lxd and lxc on a host: its own LXD_DIR, and dead proxies so nothing
 * (e.g. images.linuxcontainers.org) is ever fetched, except the lab members themselves.
 */
export function lxdEnv(
  h: Pick<LabHost, 'name' | 'daemon'>,
  members: readonly string[] = [UNDERLAY_SUBNET],
): string[] {
  const noProxy = ['127.0.0.1', 'localhost', UNDERLAY_SUBNET, ...members].join(',');
  return [
    // Only the lab's own daemon's variable: the other client finds no daemon (as on a real host).
    h.daemon === 'incus' ? `INCUS_DIR=${lxdDir(h.name)}` : `LXD_DIR=${lxdDir(h.name)}`,
    `https_proxy=${DEAD_PROXY}`,
    `http_proxy=${DEAD_PROXY}`,
    `HTTPS_PROXY=${DEAD_PROXY}`,
    `HTTP_PROXY=${DEAD_PROXY}`,
    `no_proxy=${noProxy}`,
    `NO_PROXY=${noProxy}`,
  ];
}

/** The lab host's client: `incus` on an Incus lab, `lxc` on an LXD lab. */
export const labClient = (h: Pick<LabHost, 'daemon'>): 'lxc' | 'incus' =>
  h.daemon === 'incus' ? 'incus' : 'lxc';

/** argv for the client (lxc or incus) talking to this host's own daemon (run it inside the host). */
export function lxcArgv(h: Pick<LabHost, 'name' | 'daemon'>, args: readonly string[]): string[] {
  return ['env', ...lxdEnv(h), labClient(h), ...args];
}

/** The host's instances as lab containers (the same parser lxdcheck's own checks use). */
export async function lxcList(h: LabHost): Promise<LabContainer[]> {
  const r = await execOn(h, lxcArgv(h, ['list', '--format', 'json']), { timeoutMs: 20_000 });
  if (r.exitCode !== 0) return [];
  return parseLxcList(r.stdout).map((c) => ({
    name: c.name,
    host: h.name,
    kind: 'lxd' as const,
    mac: c.hwaddr ?? '',
    address: c.ipv4[0],
    status: c.status,
  }));
}

/** Launch an instance from the lab image on this host's daemon. */
export async function lxdLaunch(_s: unknown, h: LabHost, name: string): Promise<void> {
  const r = await execOn(h, lxcArgv(h, ['launch', LXD_IMAGE, name]), { timeoutMs: 120_000 });
  if (r.exitCode !== 0)
    throw new Error(`${h.name}: ${labClient(h)} launch ${LXD_IMAGE} ${name}: ${r.stderr.trim()}`);
}

export async function lxdDeleteInstance(h: LabHost, name: string): Promise<void> {
  await execOn(h, lxcArgv(h, ['delete', '--force', name]), { timeoutMs: 60_000 });
}

/** Restart the DHCP client inside an instance (the image's init runs dhclient on eth0). */
export async function lxdRenewDhcp(h: LabHost, name: string): Promise<void> {
  await execOn(h, lxcArgv(h, ['exec', name, '--', 'sh', '-c', 'dhclient -r eth0; dhclient -1 eth0']), {
    timeoutMs: 60_000,
  });
}
