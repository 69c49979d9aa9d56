/**
 * lxd: the LXD side of a host — the legacy lxd-bridge defaults, the managed
 * network, and `lxc list` (or `incus list`), which also tells which client
 * the host has (announced on stderr, so the container probes use the same).
 * lxcListShell and the client detection (lxdClient) live here only.
 */
import type { HostSpec, Inventory } from '../../inventory/types.js';
import {
  configuredClient,
  INCUS_NETWORK,
  judgeDaemon,
  LXC_LIST_OTHER,
  type LxdClient,
  listCommand,
  networkShowShell,
  runningDaemons,
  scrubLxcList,
} from '../daemon.js';
import type { HostFacts } from '../host-facts.js';
import { okOutput } from '../host-facts.js';
import { parseLxcList, parseLxcNetworkShow } from '../parsers/lxc.js';
import { parseLxdBridgeDefaults } from '../parsers/lxdbridge.js';
import type { Section } from '../script.js';
import type { RawOutput } from '../types.js';

export const LXD_BRIDGE_DEFAULT = 'lxd-bridge-default';
export const LXC_NETWORK = 'lxc-network';
export const LXC_LIST = 'lxc-list';

/**
 * `lxc list` (or `incus list`): the client in use is announced on stderr's
 * first line so container probes use the same one.
 */
function lxcListShell(configured: LxdClient | undefined): string {
  const clients: LxdClient[] = configured ? [configured] : ['lxc', 'incus'];
  const tries = clients
    .map(
      (c) =>
        `if command -v ${c} >/dev/null 2>&1; then echo 'lxdcheck-client: ${c}' >&2; ${listCommand(c)}; exit 0; fi`,
    )
    .join('; ');
  return `${tries}; echo 'lxdcheck: no LXD client (${clients.join(', ')}) installed' >&2; exit 127`;
}

export function lxdSections(inv: Inventory, host: HostSpec): Section[] {
  const br = inv.cluster.bridge;
  // The client the inventory names for this host (daemon:, or cluster.lxd:); unset, lxc then incus.
  const client = configuredClient(inv, host);
  return [
    // The legacy lxd-bridge (LXD 2.x) never exists beside Incus.
    ...(client === 'incus'
      ? []
      : [{ name: LXD_BRIDGE_DEFAULT, shell: 'cat /etc/default/lxd-bridge', timeoutSeconds: 5 }]),
    {
      name: LXC_NETWORK,
      shell: networkShowShell(client ?? 'lxc', br),
      timeoutSeconds: 12,
      wrapTimeout: false,
    },
    {
      name: LXC_LIST,
      shell: lxcListShell(client),
      timeoutSeconds: 20,
      wrapTimeout: false,
      scrub: scrubLxcList,
    },
  ];
}

/** The client `lxc list` announced (`lxdcheck-client: lxc|incus` on stderr). */
function lxdClient(r: RawOutput | undefined): 'lxc' | 'incus' | null {
  const m = /lxdcheck-client: (lxc|incus)/.exec(r?.stderr ?? '');
  return m ? (m[1] as 'lxc' | 'incus') : null;
}

/** The first line `lxc list` printed besides the client announcement: its error when it failed. */
function lxdListError(r: RawOutput | undefined): string {
  return (
    (r?.stderr || r?.stdout || '').split('\n').filter((l) => l && !l.startsWith('lxdcheck-client:'))[0] ?? ''
  );
}

export function lxdFacts(
  inv: Inventory,
  host: HostSpec,
  raw: Record<string, RawOutput>,
  processes: HostFacts['processes'],
): Pick<
  HostFacts,
  | 'lxdBridgeDefaults'
  | 'lxdNetwork'
  | 'containers'
  | 'lxdCommand'
  | 'lxdListError'
  | 'lxdNotRunning'
  | 'daemon'
> {
  const defaults = okOutput(raw, LXD_BRIDGE_DEFAULT);
  const list = okOutput(raw, LXC_LIST);
  const first = lxdClient(raw[LXC_LIST]);
  const firstList = list !== null ? parseLxcList(list) : null;
  // LXD or Incus (facts/daemon.ts): named by the inventory, else detected, with stage two's
  // list of the other daemon when stage one left a doubt.
  const otherRaw = raw[LXC_LIST_OTHER];
  const otherText = okOutput(raw, LXC_LIST_OTHER);
  const otherList = otherText !== null ? parseLxcList(otherText) : null;
  const daemon = judgeDaemon(inv, host, {
    first: { client: first, containers: firstList },
    ...(otherRaw && first
      ? { other: { client: first === 'lxc' ? ('incus' as const) : ('lxc' as const), containers: otherList } }
      : {}),
    running: runningDaemons(processes),
  });
  const switched = otherRaw !== undefined && daemon.client !== first;
  // Stage one asks lxc for the bridge when the inventory names no daemon; Incus answers in stage two.
  const network =
    daemon.client === 'incus' && raw[INCUS_NETWORK]
      ? okOutput(raw, INCUS_NETWORK)
      : okOutput(raw, LXC_NETWORK);
  const error = lxdListError(raw[switched ? LXC_LIST_OTHER : LXC_LIST]);
  return {
    lxdBridgeDefaults: defaults !== null ? parseLxdBridgeDefaults(defaults) : null,
    lxdNetwork: network !== null ? parseLxcNetworkShow(network) : null,
    containers: switched ? otherList : firstList,
    lxdCommand: daemon.how === 'named' ? first : daemon.client,
    lxdListError: error,
    // No socket at all: the daemon is not running (or not installed) here, which some hosts legitimately are.
    lxdNotRunning: /unix\.socket.*no such file|connect: no such file/i.test(error),
    daemon,
  };
}
