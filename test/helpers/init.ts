/**
 * `lxdcheck init` against the lab for the e2e tests: run it with only the
 * SSH targets (plus the lab's key and known_hosts, as a user would pass
 * them), and compare what it wrote with `lxdcheck lab inventory` by meaning.
 */
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/types.js';
import { CLIENT_KEY, KNOWN_HOSTS, underlayAddress } from '../../src/lab/constants.js';
import { type CliResult, cli } from './e2e.js';

export const labTargets = (hosts = 3): string[] =>
  Array.from({ length: hosts }, (_, i) => `root@${underlayAddress(i + 1)}`);

/** `lxdcheck init` on the lab's hosts, writing DIR/NAME.yaml. */
export async function initOnLab(
  dir: string,
  name: string,
  extra: string[] = [],
  targets = labTargets(),
): Promise<CliResult & { file: string }> {
  const file = join(dir, `${name}.yaml`);
  const r = await cli(
    ['init', ...targets, '--identity-file', CLIENT_KEY, '--known-hosts', KNOWN_HOSTS, '-o', file, ...extra],
    120_000,
  );
  return { ...r, file };
}

/** What an inventory means for the checks: hosts, addresses, overlay, DHCP host, domain. */
export function meaning(inv: Inventory) {
  const { name: _name, ...cluster } = inv.cluster;
  return {
    cluster,
    hosts: inv.hosts.map((h) => ({
      name: h.name,
      target: h.ssh.target,
      user: h.ssh.user,
      hostname: h.ssh.hostname,
      port: h.ssh.port,
      bridgeAddress: h.bridgeAddress,
      overlayAddress: h.overlayAddress,
      sudo: h.ssh.sudo,
      identityFiles: h.ssh.identityFiles,
    })),
    knownHosts: inv.knownHosts,
  };
}

/**
 * init's file and the lab's say the same; init may add what the lab leaves
 * to detection (the LXD client), nothing else.
 */
export function assertSameMeaning(t: ExecutionContext, initFile: string, labFile: string): void {
  const fromInit = meaning(loadInventory(initFile));
  const fromLab = meaning(loadInventory(labFile));
  const { lxdCommand, ...initCluster } = fromInit.cluster;
  if (lxdCommand !== undefined) t.is(lxdCommand, 'lxc');
  t.deepEqual({ ...fromInit, cluster: initCluster }, fromLab);
}
