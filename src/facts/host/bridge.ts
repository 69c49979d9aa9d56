/** bridge: the cluster bridge's ports (sysfs and `brctl show`), its multicast snooping state and MTU settings. */
import type { Inventory } from '../../inventory/types.js';
import { quoteArg as q } from '../../transport/quote.js';
import type { HostFacts } from '../host-facts.js';
import { NOT_FOUND, okOutput } from '../host-facts.js';
import { parseBrctlShow } from '../parsers/brctl.js';
import { parseMdbRouterPorts } from '../parsers/bridge-mdb.js';
import { parseGrepH, parseLsLines } from '../parsers/sysfs.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

/** `ls /sys/class/net/BRIDGE/brif`: the bridge's ports. */
export const BRIF = 'brif';
/**
 * Multicast snooping/querier of the bridge, the MTUs, the overlay's operstate and
 * its multicast_router mode as a bridge port, as `path:value`.
 */
export const SYSFS = 'sysfs';
export const BRCTL = 'brctl';
/** `bridge -d -s mdb show dev BRIDGE`: the ports the snooping bridge treats as multicast routers. */
export const MDB = 'mdb';

export function bridgeSections(inv: Inventory): Section[] {
  const br = inv.cluster.bridge;
  const ov = inv.cluster.overlay.interface;
  const sys = (iface: string, file: string) => q(`/sys/class/net/${iface}/${file}`);
  return [
    { name: BRIF, shell: `ls -1 ${sys(br, 'brif')}`, timeoutSeconds: 5 },
    {
      name: SYSFS,
      shell: `grep -H . ${sys(br, 'bridge/multicast_snooping')} ${sys(br, 'bridge/multicast_querier')} ${sys(br, 'mtu')} ${sys(ov, 'mtu')} ${sys(ov, 'operstate')} ${sys(ov, 'brport/multicast_router')}`,
      timeoutSeconds: 5,
    },
    { name: BRCTL, shell: 'brctl show', timeoutSeconds: 5 },
    { name: MDB, shell: `bridge -d -s mdb show dev ${q(br)}`, timeoutSeconds: 5 },
  ];
}

export function bridgeFacts(
  raw: Record<string, RawOutput>,
  inv: Inventory,
): Pick<HostFacts, 'bridgePorts' | 'brctl' | 'brctlMissing' | 'sysfs' | 'multicastRouterPorts'> {
  const brif = okOutput(raw, BRIF);
  const brctl = raw[BRCTL];
  const mdb = okOutput(raw, MDB);
  return {
    multicastRouterPorts: mdb !== null ? parseMdbRouterPorts(mdb, inv.cluster.bridge) : null,
    bridgePorts: brif !== null ? parseLsLines(brif) : null,
    brctl: brctl?.exitCode === 0 ? parseBrctlShow(brctl.stdout) : null,
    brctlMissing: brctl?.exitCode === NOT_FOUND,
    sysfs: parseGrepH(raw[SYSFS]?.stdout ?? ''),
  };
}
