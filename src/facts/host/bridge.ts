/** bridge: the cluster bridge's ports (sysfs and `brctl show`) and its multicast and MTU settings. */
import type { Inventory } from '../../inventory/types.js';
import { quoteArg as q } from '../../transport/quote.js';
import type { HostFacts } from '../host-facts.js';
import { NOT_FOUND, okOutput } from '../host-facts.js';
import { parseBrctlShow } from '../parsers/brctl.js';
import { parseGrepH, parseLsLines } from '../parsers/sysfs.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

/** `ls /sys/class/net/BRIDGE/brif`: the bridge's ports. */
export const BRIF = 'brif';
/** Multicast snooping/querier of the bridge, the MTUs and the overlay's operstate, as `path:value`. */
export const SYSFS = 'sysfs';
export const BRCTL = 'brctl';

export function bridgeSections(inv: Inventory): Section[] {
  const br = inv.cluster.bridge;
  const ov = inv.cluster.overlay.interface;
  const sys = (iface: string, file: string) => q(`/sys/class/net/${iface}/${file}`);
  return [
    { name: BRIF, shell: `ls -1 ${sys(br, 'brif')}`, timeoutSeconds: 5 },
    {
      name: SYSFS,
      shell: `grep -H . ${sys(br, 'bridge/multicast_snooping')} ${sys(br, 'bridge/multicast_querier')} ${sys(br, 'mtu')} ${sys(ov, 'mtu')} ${sys(ov, 'operstate')}`,
      timeoutSeconds: 5,
    },
    { name: BRCTL, shell: 'brctl show', timeoutSeconds: 5 },
  ];
}

export function bridgeFacts(
  raw: Record<string, RawOutput>,
): Pick<HostFacts, 'bridgePorts' | 'brctl' | 'brctlMissing' | 'sysfs'> {
  const brif = okOutput(raw, BRIF);
  const brctl = raw[BRCTL];
  return {
    bridgePorts: brif !== null ? parseLsLines(brif) : null,
    brctl: brctl?.exitCode === 0 ? parseBrctlShow(brctl.stdout) : null,
    brctlMissing: brctl?.exitCode === NOT_FOUND,
    sysfs: parseGrepH(raw[SYSFS]?.stdout ?? ''),
  };
}
